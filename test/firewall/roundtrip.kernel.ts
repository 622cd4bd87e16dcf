// Kernel tier: every golden scenario's rendered text is accepted by the real
// `ipset restore`, `iptables-restore --noflush` and `ip6tables-restore
// --noflush` (Debian's iptables-nft), reads back from iptables-save with
// exactly the rule text we rendered (so apply can detect drift by comparing
// text), and planning to an empty state removes every chain, jump and set.
import assert from 'node:assert/strict';
import { compileFirewall } from '../../firewall/compile.ts';
import type { DesiredFirewall } from '../../firewall/compile.ts';
import { planFirewall } from '../../firewall/plan.ts';
import { renderChainRules, renderRestore, renderRule } from '../../src/kernel/iptables/render.ts';
import { renderIpsetRestore } from '../../src/kernel/ipset.ts';
import { Lab } from '../helpers/netns.ts';
import type { Netns } from '../helpers/netns.ts';
import { scenarios } from './scenarios.ts';

async function save(ns: Netns, family: 'inet' | 'inet6'): Promise<string[]> {
  const out = (await ns.exec(family === 'inet' ? 'iptables-save' : 'ip6tables-save', ['-t', 'filter'])).stdout;
  return out.split('\n').filter((l) => l.startsWith('-A ') && l.includes('PODNET-'));
}

describe('firewall: rendered text round-trips through the real iptables-nft and ipset', function () {
  this.timeout(60_000);
  let lab: Lab | undefined;
  let ns: Netns;
  before(async () => {
    lab = await Lab.create();
    ns = await lab.addNamespace('rt');
  });
  after(async () => {
    await lab?.teardown();
  });

  for (const s of scenarios) {
    it(s.name, async () => {
      const desired = compileFirewall(s.input);
      const plan = planFirewall(desired, undefined);
      await ns.exec('ipset', ['restore'], { input: renderIpsetRestore(plan.ipsetWrite) });
      for (const b of plan.iptables) {
        await ns.exec(b.family === 'inet' ? 'iptables-restore' : 'ip6tables-restore', ['--noflush'], { input: renderRestore(b) });
      }
      for (const f of desired.families) {
        const want: string[] = [];
        for (const j of f.jumps) want.push(`-A ${j.from} ${renderRule({ matches: [], target: { kind: 'jump', chain: j.to }, comment: j.comment }, f.family)}`);
        for (const e of f.chains.values()) want.push(...renderChainRules(e.chain, f.family));
        assert.deepEqual((await save(ns, f.family)).sort(), want.sort(), `${f.family}: iptables-save reads back what we rendered`);
      }
      const setNames = (await ns.exec('ipset', ['list', '-n'])).stdout.split('\n').filter((l) => l !== '').sort();
      assert.deepEqual(setNames, desired.families.flatMap((f) => [...f.sets.keys()]).sort());
      const empty: DesiredFirewall = { families: [], contributions: new Map() };
      const down = planFirewall(empty, desired);
      for (const b of down.iptables) {
        await ns.exec(b.family === 'inet' ? 'iptables-restore' : 'ip6tables-restore', ['--noflush'], { input: renderRestore(b) });
      }
      await ns.exec('ipset', ['restore'], { input: renderIpsetRestore(down.ipsetDestroy) });
      assert.deepEqual(await save(ns, 'inet'), []);
      assert.deepEqual(await save(ns, 'inet6'), []);
      assert.equal((await ns.exec('ipset', ['list', '-n'])).stdout.trim(), '');
    });
  }
});
