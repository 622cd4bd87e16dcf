// The speaker's read views over the RIB: the Loc-RIB with every candidate
// (best marked with its deciding reason, ECMP members, eligibility), one
// neighbour's Adj-RIB-In and Adj-RIB-Out, and per-family counts. Listings are
// sorted by prefix; ages come from the RIB's paths (when each was received or
// last changed), turned into seconds by the speaker's Ager.
// RFCs: 4271 §3.2 (Adj-RIB-In, Loc-RIB, Adj-RIB-Out), §9.1.2.2 (reason).
import type { DestinationView, PathView } from '../api.ts';
import type { Rib } from '../rib/index.ts';
import { FAMILIES, prefixFamily, type Family, type Prefix } from '../types.ts';
import { comparePrefixes, pathView, sourceText } from './views.ts';

/** Seconds since `since` (epoch ms: when a path was received or last changed), or null when unknown. */
export type Ager = (since: number | null | undefined) => number | null;

/** The Loc-RIB with every candidate path, best first; optionally one family and/or one prefix. */
export function ribDestinations(rib: Rib, age: Ager, family?: Family, prefix?: Prefix): DestinationView[] {
  let prefixes: Prefix[];
  if (prefix !== undefined) prefixes = [prefix];
  else {
    prefixes = [];
    for (const f of FAMILIES) if (family === undefined || f === family) for (const e of rib.locRib(f)) prefixes.push(e.prefix);
    prefixes.sort(comparePrefixes);
  }
  const out: DestinationView[] = [];
  for (const p of prefixes) {
    if (family !== undefined && prefixFamily(p) !== family) continue;
    const l = rib.lookup(p);
    if (l === null || l.candidates.length === 0) continue;
    const paths = l.candidates.map((c) =>
      pathView(p, sourceText(c), c, {
        best: c.best,
        multipath: c.multipath,
        valid: c.eligible,
        reason: c.best ? l.reason : null,
        ageS: age(c.since),
        stale: c.source.kind === 'peer' && rib.isStale(c.source.peer, l.family, p, c.pathId),
      }),
    );
    out.push({ prefix: p, family: l.family, paths });
  }
  return out;
}

/** The paths neighbour `id` sent us that are in the RIB. */
export function adjInPaths(rib: Rib, id: string, age: Ager, family?: Family): PathView[] {
  const out: PathView[] = [];
  for (const f of FAMILIES) {
    if (family !== undefined && f !== family) continue;
    for (const e of rib.adjIn(id, f)) {
      out.push(pathView(e.prefix, id, e, { best: false, multipath: false, valid: true, reason: null, ageS: age(e.since), stale: rib.isStale(id, f, e.prefix, e.pathId) }));
    }
  }
  return out.sort((a, b) => comparePrefixes(a.prefix as Prefix, b.prefix as Prefix));
}

/** What we advertised to neighbour `id` (sent, not merely queued); the age is that of the best path behind it. */
export function adjOutPaths(rib: Rib, id: string, age: Ager, family?: Family): PathView[] {
  const out: PathView[] = [];
  for (const f of FAMILIES) {
    if (family !== undefined && f !== family) continue;
    for (const e of rib.adjOut(id, f)) {
      const best = rib.lookup(e.prefix)?.candidates.find((c) => c.best);
      const ageS = best === undefined ? null : age(best.since);
      out.push(pathView(e.prefix, 'local', e, { best: false, multipath: false, valid: true, reason: null, ageS }));
    }
  }
  return out.sort((a, b) => comparePrefixes(a.prefix as Prefix, b.prefix as Prefix));
}

/** Per family: the neighbour's paths in the RIB and the paths advertised to it. */
export function familyCounts(rib: Rib, id: string): Map<Family, { accepted: number; advertised: number }> {
  // the RIB's live counters: O(1) per family (walking the Adj-RIB-In made every neighbour view O(N) during a full-table ingest)
  return new Map(rib.familyCounters(id).map((c) => [c.family, { accepted: c.accepted, advertised: c.advertised }] as const));
}
