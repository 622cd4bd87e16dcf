// apply.ts pieces that need no kernel: ipset input split into bounded chunks
// (a big set alone, order kept), what a partly failed `ipset restore` finished
// (recorded, the rest re-planned), "enforces nothing", and the per-pod drop
// counters read back from `iptables-save -c`.
import assert from 'node:assert/strict';
import { FirewallApplier, FirewallApplyError, chunkSets, enforcesNothing } from '../../firewall/apply.ts';
import { compileFirewall } from '../../firewall/compile.ts';
import { podChain } from '../../firewall/names.ts';
import { parseDrops, podChains } from '../../firewall/metrics.ts';
import { ExecError } from '../../src/kernel/exec.ts';
import type { IpSet } from '../../src/kernel/ipset.ts';
import { KernelWriter } from '../../src/kernel/writer.ts';
import type { ExecFn } from '../../src/kernel/writer.ts';
import { namespace, pod, policy } from './objects.ts';

const set = (name: string, n: number): IpSet => ({
  name,
  type: 'hash:ip',
  family: 'inet',
  entries: Array.from({ length: n }, (_, i) => ({ kind: 'ip' as const, ip: `10.${Math.floor(i / 65536) % 256}.${Math.floor(i / 256) % 256}.${i % 256}` })),
});

const input = (policies: ReturnType<typeof policy>[], defaultDeny = false) => ({
  nodeName: 'node-a',
  podCidrs: ['10.244.1.0/24'],
  namespaces: [namespace('default')],
  pods: [pod('web', { ip: '10.244.1.10', labels: { app: 'web' } }), pod('c', { ip: '10.244.1.11', labels: { role: 'client' } })],
  policies,
  options: { families: ['inet' as const], defaultDeny },
});
const webIn = policy('web-in', 'default', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }] });

describe('firewall/apply (no kernel)', () => {
  it('chunks ipset input by lines, sets sorted, a set bigger than a chunk alone', () => {
    const chunks = chunkSets([set('S-C', 10), set('S-A', 10), set('S-BIG', 100), set('S-D', 10)], 40);
    assert.deepEqual(chunks.map((c) => c.map((s) => s.name)), [['S-A'], ['S-BIG'], ['S-C', 'S-D']]);
    assert.deepEqual(chunkSets([]), []);
  });

  it('enforcesNothing: no policy selecting a local pod and no default deny', () => {
    assert.equal(enforcesNothing(compileFirewall(input([]))), true);
    assert.equal(enforcesNothing(compileFirewall(input([], true))), false);
    assert.equal(enforcesNothing(compileFirewall(input([webIn]))), false);
  });

  it('a failed ipset chunk records the sets before the failing line; the next sync rewrites every set', async () => {
    const restores: string[] = [];
    let failAt: number | undefined;
    const exec: ExecFn = async (cmd, args, opts) => {
      if (cmd === 'ipset' && args[0] === 'restore') {
        restores.push(opts.input ?? '');
        if (failAt !== undefined) throw new ExecError('ipset restore', 1, `ipset v7.17: Error in line ${failAt}: Syntax error`);
      }
      return { stdout: '', stderr: '' };
    };
    const applier = new FirewallApplier(new KernelWriter({ exec, flavour: { flavour: 'nft', binaries: { inet: 'iptables-nft', inet6: 'ip6tables-nft' }, why: 't' } }));
    const both = policy('both', 'default', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }, { from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] });
    const desired = compileFirewall(input([both]));
    const names = [...(desired.families[0]?.sets.keys() ?? [])];
    assert.equal(names.length, 2);
    failAt = 7; // the first set is 6 lines (1 entry): it completed; the second failed
    const err = await applier.apply(desired, 'full').then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof FirewallApplyError);
    assert.deepEqual(err.result.setsWritten, [names[0]]);
    assert.match(err.result.failed[0] ?? '', new RegExp(`1 set\\(s\\) from ${names[1]}`));
    failAt = undefined;
    restores.splice(0);
    const r = await applier.apply(desired, 'incremental');
    assert.deepEqual(r.setsWritten, names, 'sets unknown after the failure: all rewritten');
    assert.deepEqual(r.setsChanged, [], 'their content equals the recorded state');
  });

  it('reads the drop counters of pod chains from iptables-save -c', () => {
    const d = compileFirewall(input([webIn]));
    const chains = podChains(d);
    const fwi = podChain('default', 'web', 'ingress', 'inet');
    assert.deepEqual([...chains.values()], [{ family: 'inet', namespace: 'default', pod: 'web', direction: 'ingress' }]);
    const save = [
      `[3:180] -A ${fwi} -m mark ! --mark 0x10000/0x10000 -m limit --limit 10/min --limit-burst 10 -j NFLOG --nflog-prefix "x" --nflog-group 100`,
      `[7:420] -A ${fwi} -m mark ! --mark 0x10000/0x10000 -j REJECT --reject-with icmp-port-unreachable`,
      '[9:9] -A PODNET-FWI-0000000000000000 -j REJECT --reject-with icmp-port-unreachable',
    ].join('\n');
    assert.deepEqual(parseDrops('inet', save, chains), [{ family: 'inet', namespace: 'default', pod: 'web', direction: 'ingress', packets: 7 }]);
    assert.deepEqual(parseDrops('inet6', save, chains), []);
  });
});
