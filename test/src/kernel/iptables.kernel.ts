// Kernel tier for the iptables and ipset renderers: every match, target and
// quoting case goes through the real iptables-restore / ip6tables-restore
// --noflush (Debian's iptables-nft) and ipset restore inside a namespace,
// reads back from iptables-save byte for byte as rendered, leaves the
// built-in chains' other rules alone, and is removed again without trace.
import assert from 'node:assert/strict';
import { renderChainRules, renderRestore } from '../../../src/kernel/iptables/render.ts';
import type { Chain, IpFamily, RestoreBatch, Rule } from '../../../src/kernel/iptables/model.ts';
import { renderIpsetRestore } from '../../../src/kernel/ipset.ts';
import type { IpSet } from '../../../src/kernel/ipset.ts';
import { Lab } from '../../helpers/netns.ts';
import type { Netns } from '../../helpers/netns.ts';

function sets(family: IpFamily): IpSet[] {
  const v4 = family === 'inet';
  return [
    { name: `T-IP-${family}`, type: 'hash:ip', family, entries: [{ kind: 'ip', ip: v4 ? '10.244.1.1' : 'fd00::1' }] },
    {
      name: `T-NET-${family}`,
      type: 'hash:net',
      family,
      entries: [
        { kind: 'net', cidr: v4 ? '0.0.0.0/1' : '::/1' },
        { kind: 'net', cidr: v4 ? '10.0.0.0/8' : 'fd00::/8' },
        { kind: 'net', cidr: v4 ? '10.1.0.0/16' : 'fd00:1::/32', nomatch: true },
      ],
    },
    { name: `T-IPP-${family}`, type: 'hash:ip,port', family, entries: [{ kind: 'ip,port', ip: v4 ? '10.244.1.2' : 'fd00::2', proto: 'sctp', port: 3868 }] },
  ];
}

function chains(family: IpFamily): Chain[] {
  const v4 = family === 'inet';
  const rules: Rule[] = [
    { matches: [{ kind: 'addr', dir: 'src', cidr: v4 ? '10.244.1.10' : 'fd00::10' }], target: { kind: 'RETURN' }, comment: 'single-word' },
    { matches: [{ kind: 'addr', dir: 'dst', cidr: v4 ? '10.0.0.0/8' : 'fd00::/8', negate: true }], target: { kind: 'ACCEPT' }, comment: 'ns/pod with "quotes" and \'ticks\' é' },
    { matches: [{ kind: 'addrtype', dir: 'dst', type: 'LOCAL' }, { kind: 'proto', proto: 'tcp', dport: { from: 80, to: 90 } }], target: { kind: 'DROP' } },
    { matches: [{ kind: 'proto', proto: 'udp', dport: { from: 53 } }, { kind: 'set', name: `T-IP-${family}`, dirs: ['src'], negate: true }], target: { kind: 'REJECT' } },
    { matches: [{ kind: 'proto', proto: 'sctp' }, { kind: 'set', name: `T-IPP-${family}`, dirs: ['dst', 'dst'] }], target: { kind: 'mark', value: 0x10000, mask: 0x10000 } },
    { matches: [{ kind: 'set', name: `T-NET-${family}`, dirs: ['dst'] }, { kind: 'ctstate', states: ['ESTABLISHED', 'NEW', 'INVALID', 'RELATED'] }], target: { kind: 'jump', chain: 'T-LEAF' } },
    { matches: [{ kind: 'mark', value: 0x10000, mask: 0x10000, negate: true }, { kind: 'limit', perMinute: 10, burst: 5 }], target: { kind: 'nflog', group: 100, prefix: 'T DROP ns/pod' } },
    { matches: [{ kind: 'limit', perMinute: 60, burst: 20 }], target: { kind: 'nflog', group: 0, prefix: 'bare' } },
    { matches: [], target: { kind: 'REJECT', with: v4 ? 'icmp-admin-prohibited' : 'icmp6-adm-prohibited' } },
    { matches: [], target: { kind: 'mark', value: 0, mask: 0x10000 } },
  ];
  if (!v4) rules.push({ matches: [{ kind: 'icmp6', type: 135 }, { kind: 'addr', dir: 'src', cidr: 'fd00::/8' }], target: { kind: 'ACCEPT' } });
  return [
    { name: 'T-TOP', rules },
    { name: 'T-LEAF', rules: [{ matches: [], target: { kind: 'RETURN' } }] },
  ];
}

async function saved(ns: Netns, family: IpFamily): Promise<string[]> {
  const out = (await ns.exec(family === 'inet' ? 'iptables-save' : 'ip6tables-save', ['-t', 'filter'])).stdout;
  return out.split('\n').filter((l) => l.startsWith('-A '));
}

async function restore(ns: Netns, b: RestoreBatch): Promise<void> {
  await ns.exec(b.family === 'inet' ? 'iptables-restore' : 'ip6tables-restore', ['--noflush'], { input: renderRestore(b) });
}

describe('src/kernel: iptables and ipset text through the real tools', function () {
  this.timeout(30_000);
  let lab: Lab | undefined;
  let ns: Netns;
  before(async () => {
    lab = await Lab.create();
    ns = await lab.addNamespace('ipt');
  });
  after(async () => {
    await lab?.teardown();
  });

  for (const family of ['inet', 'inet6'] as const) {
    it(`${family}: restore, read back identical, keep foreign rules, rewrite, remove`, async () => {
      const ipt = family === 'inet' ? 'iptables' : 'ip6tables';
      // Someone else's rule in FORWARD, which a --noflush restore must keep.
      await ns.exec(ipt, ['-A', 'FORWARD', '-m', 'comment', '--comment', 'foreign', '-j', 'ACCEPT']);
      await ns.exec('ipset', ['restore'], { input: renderIpsetRestore({ write: sets(family), destroy: [] }) });
      const jump = { from: 'FORWARD', to: 'T-TOP', position: 1, comment: 'podnet test' } as const;
      await restore(ns, { family, table: 'filter', write: chains(family), remove: [], jumps: { insert: [jump], delete: [] } });
      const want = [
        '-A FORWARD -m comment --comment "podnet test" -j T-TOP',
        '-A FORWARD -m comment --comment foreign -j ACCEPT',
        ...chains(family).toSorted((a, b) => (a.name < b.name ? -1 : 1)).flatMap((c) => renderChainRules(c, family)),
      ];
      assert.deepEqual(await saved(ns, family), want);

      // Rewriting a chain replaces its rules (the declaration flushes it), nothing else moves.
      const leaf: Chain = { name: 'T-LEAF', rules: [{ matches: [], target: { kind: 'DROP' } }] };
      await restore(ns, { family, table: 'filter', write: [leaf], remove: [], jumps: { insert: [], delete: [] } });
      assert.deepEqual(await saved(ns, family), want.map((l) => (l === '-A T-LEAF -j RETURN' ? '-A T-LEAF -j DROP' : l)));

      // Swapping a set in place keeps the rules that reference it.
      const changed = sets(family).map((s) => (s.type === 'hash:ip' ? { ...s, entries: [] } : s));
      await ns.exec('ipset', ['restore'], { input: renderIpsetRestore({ write: changed, destroy: [] }) });
      assert.equal((await ns.exec('ipset', ['list', `T-IP-${family}`])).stdout.includes('Number of entries: 0'), true);

      await restore(ns, { family, table: 'filter', write: [], remove: ['T-TOP', 'T-LEAF'], jumps: { insert: [], delete: [jump] } });
      await ns.exec('ipset', ['restore'], { input: renderIpsetRestore({ write: [], destroy: sets(family).map((s) => s.name) }) });
      assert.deepEqual(await saved(ns, family), ['-A FORWARD -m comment --comment foreign -j ACCEPT']);
      assert.equal((await ns.exec('ipset', ['list', '-n'])).stdout.trim(), '');
    });
  }
});
