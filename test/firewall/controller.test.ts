// The firewall controller's sync: compiles from its readers, keeps the
// desired state and the plan against the previous sync, writes nothing.
import assert from 'node:assert/strict';
import { createFirewallController } from '../../firewall/controller.ts';
import type { FirewallSource } from '../../firewall/controller.ts';
import { silentLogger } from '../../src/obs/log.ts';
import type { Reader } from '../../src/k8s/store.ts';
import { namespace, pod, policy } from './objects.ts';

function reader<T>(items: T[]): Reader<T> & { items: T[] } {
  return {
    items,
    get: () => undefined,
    list() {
      return [...this.items];
    },
    size() {
      return this.items.length;
    },
    revision: () => 0,
  };
}

describe('firewall/controller: sync compiles (no kernel writes)', () => {
  const ctx = { log: silentLogger(), signal: new AbortController().signal };

  it('without a source behaves as the contract stub', async () => {
    const c = createFirewallController({ syncPeriodMs: 1000 });
    assert.deepEqual(await c.sync('full', ctx), { programmed: 0, changed: 0 });
    assert.equal(c.lastDesired(), undefined);
  });

  it('compiles from its readers; a second sync with no change plans nothing, a policy change plans its chains', async () => {
    const pods = reader([pod('web', { ip: '10.244.1.10', labels: { app: 'web' } }), pod('c', { ip: '10.244.1.11' })]);
    const policies = reader([policy('deny-web', 'default', { podSelector: { matchLabels: { app: 'web' } } })]);
    const source: FirewallSource = {
      nodeName: 'node-a',
      readers: { pods, namespaces: reader([namespace('default')]), networkpolicies: policies },
      podCidrs: () => ['10.244.1.0/24'],
      options: { families: ['inet'] },
    };
    const c = createFirewallController({ syncPeriodMs: 1000, source });
    await c.sync('full', ctx);
    const first = c.lastDesired();
    assert.ok(first !== undefined);
    assert.ok(first.contributions.get('pod/default/web')?.chains.some((n) => n.startsWith('PODNET-FWI-')));
    assert.equal(c.lastPlan()?.iptables[0]?.jumps.insert.length, 3);

    await c.sync('incremental', ctx);
    assert.deepEqual(c.lastPlan()?.iptables, []);

    policies.items = [];
    await c.sync('incremental', ctx);
    const v4 = c.lastPlan()?.iptables[0];
    assert.ok(v4 !== undefined);
    assert.ok(v4.remove.some((n) => n.startsWith('PODNET-FWI-')) && v4.remove.some((n) => n.startsWith('PODNET-NPI-')));
  });
});
