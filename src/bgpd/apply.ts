// Applies a `podnet bgpd` configuration to a running Speaker: the diff of
// neighbours (add, change, remove) and originated prefixes (originate new or
// changed, withdraw removed). Neighbours whose configuration did not change
// are left alone, so their sessions stay Established across a SIGHUP reload.
// Settings that need a new listener or identity (router-id, asn, listen) are
// reported, not applied.
import type { NeighborConfig, Speaker } from '../../bgp/index.ts';
import type { BgpdConfig } from './config.ts';

export interface ApplyResult {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  readonly unchanged: readonly string[];
  readonly originated: readonly string[];
  readonly withdrawn: readonly string[];
  /** Settings that differ from the running ones but need a restart. */
  readonly needsRestart: readonly string[];
}

/** Applies `next` (the running config is `prev`, or null at start-up). Neighbour errors are collected per neighbour. */
export async function applyConfig(speaker: Speaker, prev: BgpdConfig | null, next: BgpdConfig): Promise<ApplyResult> {
  const needsRestart: string[] = [];
  if (prev !== null) {
    if (prev.routerId !== next.routerId) needsRestart.push('router-id');
    if (prev.asn !== next.asn) needsRestart.push('asn');
    if (JSON.stringify(prev.listen) !== JSON.stringify(next.listen)) needsRestart.push('listen');
    if (JSON.stringify(prev.gracefulRestart) !== JSON.stringify(next.gracefulRestart)) needsRestart.push('graceful-restart');
    if (prev.apiSocket !== next.apiSocket) needsRestart.push('api-socket');
    if (prev.ebgpRequirePolicy !== next.ebgpRequirePolicy) needsRestart.push('ebgp-require-policy');
  }
  const added: string[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [];
  const removed: string[] = [];
  const wanted = new Map<string, NeighborConfig>(next.peers.map((p) => [p.address, p]));
  for (const address of speaker.neighborAddresses()) {
    if (wanted.has(address)) continue;
    await speaker.removeNeighbor(address);
    removed.push(address);
  }
  // new policies before the neighbours that may name them; re-applied without session resets
  if (prev !== null && JSON.stringify(prev.policies) !== JSON.stringify(next.policies)) speaker.setPolicies(next.policies);
  for (const p of next.peers) {
    const r = await speaker.setNeighbor(p);
    (r === 'added' ? added : r === 'changed' ? changed : unchanged).push(p.address);
  }
  const withdrawn: string[] = [];
  const keep = new Set<string>(next.prefixes.map((p) => p.prefix));
  for (const o of speaker.originated()) {
    if (keep.has(o.prefix)) continue;
    speaker.withdraw(o.prefix);
    withdrawn.push(o.prefix);
  }
  const before = new Map(speaker.originated().map((o) => [o.prefix, JSON.stringify(o)]));
  const originated: string[] = [];
  for (const p of next.prefixes) {
    if (before.get(p.prefix) === JSON.stringify(p)) continue;
    speaker.originate(p);
    originated.push(p.prefix);
  }
  return { added, changed, removed, unchanged, originated, withdrawn, needsRestart };
}
