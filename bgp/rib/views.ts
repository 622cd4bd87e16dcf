// Read-only views of RIB records for the CLI/API and for events: plain data
// built on demand (never kept), so the tables themselves stay compact.
// RFCs: none (presentation of RFC 4271 §3.2 RIB contents as data).
import type { Family, IpAddress, Prefix } from '../types.ts';
import { decide, type DecisionContext } from './best-path.ts';
import { Dest, type Entry, type Path } from './path.ts';
import type { CandidateView, LocRibEntry, PathView, PrefixLookup } from './types.ts';

/** The (cached) view of a path. */
export function pathView(p: Path): PathView {
  p.view ??= Object.freeze({ source: p.src.view, pathId: p.pathId, nextHop: p.attrs.nextHop, attributes: p.attrs.attributes, since: p.since });
  return p.view;
}

/** The multipath views and ECMP next hops of a multipath set (cached for a single path). */
export function multipathViews(mp: readonly Path[]): { readonly views: readonly PathView[]; readonly nextHops: readonly IpAddress[] } {
  if (mp.length === 1) {
    const p = mp[0] as Path;
    p.single ??= Object.freeze({ views: Object.freeze([pathView(p)]), nextHops: Object.freeze(p.attrs.nextHop === null ? [] : [p.attrs.nextHop]) });
    return p.single;
  }
  const nextHops: IpAddress[] = [];
  for (const m of mp) if (m.attrs.nextHop !== null && !nextHops.includes(m.attrs.nextHop)) nextHops.push(m.attrs.nextHop);
  return { views: mp.map(pathView), nextHops };
}

/** A Loc-RIB entry view: best, reason, multipath, candidate count. */
export function entryView(family: Family, prefix: Prefix, e: Entry): LocRibEntry {
  if (e instanceof Dest) {
    return { family, prefix, best: e.best === null ? null : pathView(e.best), reason: e.reason, multipath: e.multipath.map(pathView), candidates: e.paths.length };
  }
  const v = pathView(e);
  return { family, prefix, best: v, reason: 'only-path', multipath: [v], candidates: 1 };
}

/** All candidates of an entry with their role in the decision; best first, then the rest in decision order. */
export function lookupView(family: Family, prefix: Prefix, e: Entry, ctx: DecisionContext): PrefixLookup {
  const paths = e instanceof Dest ? e.paths : [e];
  const best = e instanceof Dest ? e.best : e;
  const mp = e instanceof Dest ? e.multipath : [e];
  const reason = e instanceof Dest ? e.reason : 'only-path';
  // order: repeatedly take the best of the remaining ones, so the list reads as a ranking
  const ranked: Path[] = [];
  let rest = [...paths];
  while (rest.length > 0) {
    const d = decide(rest, ctx);
    if (d.best === null) break;
    const top = d.best;
    ranked.push(top);
    rest = rest.filter((p) => p !== top);
  }
  const candidates: CandidateView[] = [...ranked, ...rest].map((p) => ({
    ...pathView(p),
    best: p === best,
    multipath: mp.includes(p),
    eligible: !rest.includes(p),
  }));
  return { family, prefix, reason, candidates };
}
