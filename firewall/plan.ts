// From desired firewall state to the kernel batches that get there. Two
// ways: against the state applied last (incremental: chains whose content
// hash changed, sets whose hash changed, stale ones removed), or against
// what the kernel holds (iptables-save parsed by src/kernel/iptables/saved.ts:
// cold start and drift repair). Pure; apply.ts (to come) runs the batches in
// order: ipset `write`, iptables per family, ipset `destroy`. No RFCs.
import type { IpFamily, RestoreBatch } from '../src/kernel/iptables/model.ts';
import { diffSaved } from '../src/kernel/iptables/saved.ts';
import type { SavedTable } from '../src/kernel/iptables/saved.ts';
import { ownsChain } from './names.ts';
import type { IpSet, IpSetBatch } from '../src/kernel/ipset.ts';
import type { DesiredFirewall, FamilyFirewall } from './compile.ts';

export interface FirewallPlan {
  /** New or changed sets; run before iptables so every referenced set exists. */
  readonly ipsetWrite: IpSetBatch;
  /** One batch per family, only for families with something to do. */
  readonly iptables: readonly RestoreBatch[];
  /** Sets nothing references any more; run after iptables. */
  readonly ipsetDestroy: IpSetBatch;
}

function familyOf(d: DesiredFirewall | undefined, f: IpFamily): FamilyFirewall | undefined {
  return d?.families.find((x) => x.family === f);
}

function key(j: { from: string; to: string; position: number }): string {
  return `${j.from}>${j.to}@${j.position}`;
}

/**
 * Plans the change from `previous` (the last state applied successfully, or
 * undefined on a cold start) to `desired`. With no previous state every chain
 * and set is written and the built-in jumps are inserted; the apply step must
 * then first remove jumps a previous process left behind (by their comment).
 */
export function planFirewall(desired: DesiredFirewall, previous: DesiredFirewall | undefined): FirewallPlan {
  const writeSets: IpSet[] = [];
  const destroySets: string[] = [];
  const iptables: RestoreBatch[] = [];
  const families = new Set<IpFamily>([...desired.families.map((f) => f.family), ...(previous?.families.map((f) => f.family) ?? [])]);
  for (const fam of [...families].sort()) {
    const want = familyOf(desired, fam);
    const had = familyOf(previous, fam);
    for (const [name, e] of want?.sets ?? []) if (had?.sets.get(name)?.hash !== e.hash) writeSets.push(e.set);
    for (const name of had?.sets.keys() ?? []) if (want?.sets.has(name) !== true) destroySets.push(name);
    const write = [...(want?.chains ?? [])].filter(([name, e]) => had?.chains.get(name)?.hash !== e.hash).map(([, e]) => e.chain);
    const remove = [...(had?.chains.keys() ?? [])].filter((name) => want?.chains.has(name) !== true);
    const wantJumps = want?.jumps ?? [];
    const hadJumps = had?.jumps ?? [];
    const insert = wantJumps.filter((j) => !hadJumps.some((h) => key(h) === key(j)));
    const del = hadJumps.filter((h) => !wantJumps.some((j) => key(h) === key(j)));
    if (write.length + remove.length + insert.length + del.length === 0) continue;
    iptables.push({ family: fam, table: 'filter', write, remove, jumps: { insert, delete: del } });
  }
  return { ipsetWrite: { write: writeSets, destroy: [] }, iptables, ipsetDestroy: { write: [], destroy: destroySets } };
}

/**
 * Plans one family against what the kernel holds (`iptables-save -t filter`
 * parsed with `parseSave(text, 'filter', ownsChain)`), for a cold start and
 * for the periodic full resync that repairs drift: rewrites chains whose
 * rules differ, removes our chains nobody wants, and puts each built-in jump
 * back at its position exactly once.
 */
export function planFamilyFromKernel(want: FamilyFirewall, saved: SavedTable): RestoreBatch {
  const chains = [...want.chains.values()].map((e) => e.chain);
  return diffSaved(want.family, 'filter', chains, want.jumps, saved, ownsChain);
}
