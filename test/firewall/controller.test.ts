// The firewall controller's sync over a fake exec seam: compiles from its
// readers (node pod CIDRs from the nodes cache), applies in the README's order
// (sets, iptables per family, local-pods set, destroys), an incremental sync
// with no change runs no process at all, a removed policy removes its chains
// and sets, and a failed family is re-planned from iptables-save next time.
import assert from 'node:assert/strict';
import type { V1Node } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { createFirewallController, nodePodCidrs } from '../../firewall/controller.ts';
import type { FirewallSource } from '../../firewall/controller.ts';
import { ExecError } from '../../src/kernel/exec.ts';
import { KernelWriter } from '../../src/kernel/writer.ts';
import type { ExecFn } from '../../src/kernel/writer.ts';
import { silentLogger } from '../../src/obs/log.ts';
import type { Reader } from '../../src/k8s/store.ts';
import { namespace, pod, policy } from './objects.ts';

function reader<T>(items: T[], key: (t: T) => string = () => ''): Reader<T> & { items: T[] } {
  return {
    items,
    get(k: string) {
      return this.items.find((t) => key(t) === k);
    },
    list() {
      return [...this.items];
    },
    size() {
      return this.items.length;
    },
    revision: () => 0,
  };
}

interface Call {
  readonly cmd: string;
  readonly args: readonly string[];
  readonly input: string;
}

/** Records every process; ipset list answers from the creates/destroys seen; `fail` makes a command fail. */
function fakeKernel(): { exec: ExecFn; calls: Call[]; fail: Set<string> } {
  const calls: Call[] = [];
  const fail = new Set<string>();
  const sets = new Set<string>();
  const exec: ExecFn = async (cmd, args, opts) => {
    calls.push({ cmd, args, input: opts.input ?? '' });
    if (fail.has(cmd)) throw new ExecError(cmd, 1, 'iptables-restore: line 2 failed');
    if (cmd === 'ipset' && args[0] === 'list') return { stdout: [...sets].map((s) => `${s}\n`).join(''), stderr: '' };
    for (const line of (opts.input ?? '').split('\n')) {
      const [verb, name] = line.split(' ');
      if (cmd === 'ipset' && verb === 'create' && name !== undefined && !name.includes('TMP')) sets.add(name);
      if (cmd === 'ipset' && verb === 'destroy' && name !== undefined) sets.delete(name);
    }
    return { stdout: '', stderr: '' };
  };
  return { exec, calls, fail };
}

const node: V1Node = { metadata: { name: 'node-a' }, spec: { podCIDRs: ['10.244.1.0/24'] } };

describe('firewall/controller: sync applies through the kernel writer', () => {
  const ctx = { log: silentLogger(), signal: new AbortController().signal };

  it('without a source behaves as the contract stub and runs nothing', async () => {
    const k = fakeKernel();
    const c = createFirewallController({ syncPeriodMs: 1000, writer: new KernelWriter({ exec: k.exec }) });
    assert.deepEqual(await c.sync('full', ctx), { programmed: 0, changed: 0 });
    assert.equal(c.lastDesired(), undefined);
    assert.deepEqual(k.calls, []);
  });

  it('nodePodCidrs reads spec.podCIDRs, else spec.podCIDR', () => {
    assert.deepEqual(nodePodCidrs(node), ['10.244.1.0/24']);
    assert.deepEqual(nodePodCidrs({ spec: { podCIDR: '10.244.9.0/24' } }), ['10.244.9.0/24']);
    assert.deepEqual(nodePodCidrs(undefined), []);
  });

  it('applies in order; a no-change incremental sync runs no process; a removed policy removes its chains and sets', async () => {
    const k = fakeKernel();
    const writer = new KernelWriter({ exec: k.exec, flavour: { flavour: 'nft', binaries: { inet: 'iptables-nft', inet6: 'ip6tables-nft' }, why: 't' } });
    const pods = reader([pod('web', { ip: '10.244.1.10', labels: { app: 'web' } }), pod('c', { ip: '10.244.1.11', labels: { role: 'client' } })]);
    const policies = reader([
      policy('web-in', 'default', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }] }),
    ]);
    const source: FirewallSource = {
      nodeName: 'node-a',
      readers: { pods, namespaces: reader([namespace('default')]), networkpolicies: policies, nodes: reader([node], (n) => n.metadata?.name ?? '') },
      options: { families: ['inet'], defaultDeny: true },
    };
    const registry = new Registry();
    const c = createFirewallController({ syncPeriodMs: 1000, source, writer, registry });
    const first = await c.sync('full', ctx);
    assert.ok((first?.changed ?? 0) > 0);
    const order = k.calls.map((x) => `${x.cmd} ${x.args[0] ?? ''}`);
    // list sets, write sets (the local-pods set empty), save+restore per family, local-pods final.
    assert.deepEqual(order, ['ipset list', 'ipset restore', 'iptables-nft-save -t', 'iptables-nft-restore --noflush', 'ip6tables-nft-save -t', 'ipset restore']);
    const early = k.calls[1]?.input ?? '';
    assert.match(early, /create PODNET-LOCAL-PODS4 hash:ip/);
    const local = early.slice(early.indexOf('create PODNET-LOCAL-PODS4'), early.search(/swap \S+ PODNET-LOCAL-PODS4/));
    assert.doesNotMatch(local, /^add /m, 'no local pod in the set before its chain exists');
    assert.match(k.calls[3]?.input ?? '', /-A PODNET-UNPROGRAMMED .*-s 10\.244\.1\.0\/24/, 'the pod CIDR came from the nodes cache');
    assert.match(k.calls[5]?.input ?? '', /add PODNET-TMP-\S+ 10\.244\.1\.10\nadd PODNET-TMP-\S+ 10\.244\.1\.11\nswap PODNET-TMP-\S+ PODNET-LOCAL-PODS4/);
    assert.match(await registry.metrics(), /podnet_firewall_chains\{family="inet"\} 7/);

    k.calls.splice(0);
    assert.equal((await c.sync('incremental', ctx))?.changed, 0);
    assert.equal(k.calls.length, 0, 'nothing changed: no process at all');

    policies.items = [];
    await c.sync('incremental', ctx);
    const restore = k.calls.find((x) => x.cmd === 'iptables-nft-restore')?.input ?? '';
    assert.match(restore, /-X PODNET-FWI-[0-9A-F]{16}/);
    assert.match(restore, /-X PODNET-NPI-[0-9A-F]{16}/);
    const destroy = k.calls.at(-1)?.input ?? '';
    assert.match(destroy, /^destroy PODNET-P-[0-9A-F]{16}\n$/);
    assert.deepEqual(c.lastResult()?.setsDestroyed.length, 1);
  });

  it('a node no policy restricts gets nothing: the cold sync only reads, later syncs run nothing, a policy programs', async () => {
    const k = fakeKernel();
    const writer = new KernelWriter({ exec: k.exec, flavour: { flavour: 'nft', binaries: { inet: 'iptables-nft', inet6: 'ip6tables-nft' }, why: 't' } });
    const policies = reader<ReturnType<typeof policy>>([]);
    const source: FirewallSource = {
      nodeName: 'node-a',
      readers: { pods: reader([pod('web', { ip: '10.244.1.10' })]), namespaces: reader([namespace('default')]), networkpolicies: policies, nodes: reader([node], (n) => n.metadata?.name ?? '') },
    };
    const c = createFirewallController({ syncPeriodMs: 1000, source, writer });
    assert.equal((await c.sync('full', ctx))?.changed, 0);
    assert.deepEqual(k.calls.map((x) => x.cmd), ['ipset', 'iptables-nft-save', 'ip6tables-nft-save'], 'reads only');
    k.calls.splice(0);
    await c.sync('incremental', ctx);
    assert.equal(k.calls.length, 0);
    policies.items = [policy('deny', 'default', { podSelector: {} })];
    await c.sync('incremental', ctx);
    assert.deepEqual(k.calls.map((x) => x.cmd), ['iptables-nft-restore', 'ip6tables-nft-restore'], 'planned from the known-empty kernel, no reads');
    assert.match(k.calls[0]?.input ?? '', /-I FORWARD 1 -m comment --comment "podnet network policy" -j PODNET-FORWARD/);
  });

  it('records a failed family as unknown: the retry plans it from iptables-save, the other family from state', async () => {
    const k = fakeKernel();
    const writer = new KernelWriter({ exec: k.exec, flavour: { flavour: 'nft', binaries: { inet: 'iptables-nft', inet6: 'ip6tables-nft' }, why: 't' } });
    const pods = reader([pod('web', { ips: ['10.244.1.10', 'fd00:244:1::10'], labels: { app: 'web' } })]);
    const policies = reader([policy('deny', 'default', { podSelector: {} })]);
    const source: FirewallSource = {
      nodeName: 'node-a',
      readers: { pods, namespaces: reader([namespace('default')]), networkpolicies: policies, nodes: reader([node], (n) => n.metadata?.name ?? '') },
    };
    const c = createFirewallController({ syncPeriodMs: 1000, source, writer });
    k.fail.add('ip6tables-nft-restore');
    await assert.rejects(c.sync('full', ctx), /inet6 iptables/);
    assert.deepEqual(c.lastResult()?.iptables.map((b) => b.family), ['inet']);
    k.fail.clear();
    k.calls.splice(0);
    await c.sync('incremental', ctx);
    assert.deepEqual(k.calls.map((x) => x.cmd), ['ip6tables-nft-save', 'ip6tables-nft-restore']);
    assert.deepEqual(c.lastResult()?.iptables.map((b) => `${b.family} ${b.planned}`), ['inet6 kernel']);
  });
});
