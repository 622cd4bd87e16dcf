// The decision process: selects the best path of a prefix among its
// candidates and says which step decided (the "deciding reason" the CLI
// shows), and forms the ECMP multipath set. Selection eliminates candidates
// step by step over the whole set as RFC 4271 §9.1.2.2 describes (not a
// pairwise tournament), so the MED rule, which is not transitive pairwise,
// gives the same winner whatever the insertion order.
// Steps: local origin first (like BIRD/GoBGP preferring local routes), then
// RFC 4271 §9.1.2.2: LOCAL_PREF, AS_PATH length, ORIGIN, MED among the same
// neighbour AS, eBGP over iBGP, IGP cost, then router id (ORIGINATOR_ID when
// present, RFC 4456 §9), CLUSTER_LIST length (RFC 4456 §9), peer address,
// and the ADD-PATH path id as the last tie breaker (RFC 7911).
// RFCs: 4271 §9.1.2.1 (unresolvable next hop makes a route ineligible),
// §9.1.2.2, 4456 §9, 7911.
import type { Asn } from '../types.ts';
import type { Path } from './path.ts';
import { DECISION_STEPS, type BestReason, type DecisionOptions, type IgpCost } from './types.ts';

/** What the decision process needs besides the candidates. */
export interface DecisionContext {
  readonly localAsn: Asn;
  readonly defaultLocalPref: number;
  readonly options: DecisionOptions;
  readonly igpCost: IgpCost | null;
}

export interface Decision {
  readonly best: Path | null;
  readonly reason: BestReason | null;
  /** The ECMP set (best first), at most maxPaths long; empty when no path is eligible. */
  readonly multipath: readonly Path[];
}

const MED_WORST = 0xffffffff;

/** LOCAL_PREF used for comparison (RFC 4271 §5.1.5: eBGP-received ones are dropped on import). */
export function effectiveLocalPref(p: Path, ctx: DecisionContext): number {
  const lp = p.attrs.localPref;
  return lp >= 0 ? lp : ctx.defaultLocalPref;
}

/** MED used for comparison: missing is 0 (RFC 4271 §9.1.2.2 c) or the worst when configured. */
export function effectiveMed(p: Path, ctx: DecisionContext): number {
  const m = p.attrs.med;
  return m >= 0 ? m : ctx.options.missingMedAsWorst === true ? MED_WORST : 0;
}

/** The neighbour AS for the MED rule: the first AS of the path, our own for an empty path (RFC 4271 §9.1.2.2 c). */
export function neighborAs(p: Path, ctx: DecisionContext): number {
  const n = p.attrs.neighborAs;
  return n >= 0 ? n : ctx.localAsn;
}

/** Router id compared in step f: ORIGINATOR_ID when present (RFC 4456 §9), else the peer's BGP identifier. */
export function effectiveRouterId(p: Path): number {
  return p.attrs.originatorId >= 0 ? p.attrs.originatorId : p.src.routerIdNum;
}

interface Cand {
  readonly p: Path;
  readonly igp: number;
}

type Key = (c: Cand) => number;

/** Keeps the candidates with the lowest key. */
function keepMin(set: Cand[], key: Key): Cand[] {
  let min = Infinity;
  for (const c of set) min = Math.min(min, key(c));
  return set.filter((c) => key(c) === min);
}

function minBy(set: Cand[], key: (c: Cand) => string): Cand[] {
  let min: string | null = null;
  for (const c of set) {
    const k = key(c);
    if (min === null || k < min) min = k;
  }
  return set.filter((c) => key(c) === min);
}

/** RFC 4271 §9.1.2.2 c: within each neighbour AS keep the lowest MED (all together with alwaysCompareMed). */
function keepMed(set: Cand[], ctx: DecisionContext): Cand[] {
  if (ctx.options.alwaysCompareMed === true) return keepMin(set, (c) => effectiveMed(c.p, ctx));
  const minByAs = new Map<number, number>();
  for (const c of set) {
    const as = neighborAs(c.p, ctx);
    const m = effectiveMed(c.p, ctx);
    const cur = minByAs.get(as);
    if (cur === undefined || m < cur) minByAs.set(as, m);
  }
  return set.filter((c) => effectiveMed(c.p, ctx) === minByAs.get(neighborAs(c.p, ctx)));
}

function applyStep(step: Exclude<BestReason, 'only-path'>, set: Cand[], ctx: DecisionContext): Cand[] {
  switch (step) {
    case 'local-origin':
      return keepMin(set, (c) => (c.p.src.kind === 'local' ? 0 : 1));
    case 'local-pref': // §9.1.2.2 (degree of preference): highest LOCAL_PREF
      return keepMin(set, (c) => -effectiveLocalPref(c.p, ctx));
    case 'as-path-length': // §9.1.2.2 a
      return keepMin(set, (c) => c.p.attrs.asPathLength);
    case 'origin': // §9.1.2.2 b
      return keepMin(set, (c) => c.p.attrs.origin);
    case 'med': // §9.1.2.2 c
      return keepMed(set, ctx);
    case 'ebgp-over-ibgp': // §9.1.2.2 d
      return keepMin(set, (c) => (c.p.src.ebgp ? 0 : 1));
    case 'igp-cost': // §9.1.2.2 e
      return keepMin(set, (c) => c.igp);
    case 'router-id': // §9.1.2.2 f, RFC 4456 §9
      return keepMin(set, (c) => effectiveRouterId(c.p));
    case 'cluster-list-length': // RFC 4456 §9
      return keepMin(set, (c) => c.p.attrs.clusterListLength);
    case 'peer-address': // §9.1.2.2 g
      return minBy(set, (c) => c.p.src.addressKey);
    case 'path-id': // RFC 7911: several paths from one peer
      return keepMin(set, (c) => c.p.pathId);
  }
}

const STEPS = DECISION_STEPS;
const TIE_BREAKERS = STEPS.slice(STEPS.indexOf('router-id'));

/** IGP cost of a path's next hop, or null when unreachable (§9.1.2.1). Local routes cost 0. */
export function igpCostOf(p: Path, ctx: DecisionContext): number | null {
  if (ctx.igpCost === null || p.src.kind === 'local') return 0;
  return ctx.igpCost(p.attrs.nextHop);
}

/** Runs the decision process over `paths`. */
export function decide(paths: readonly Path[], ctx: DecisionContext): Decision {
  let set: Cand[] = [];
  for (const p of paths) {
    const igp = igpCostOf(p, ctx);
    if (igp !== null) set.push({ p, igp }); // §9.1.2.1: unresolvable next hop -> not eligible
  }
  if (set.length === 0) return { best: null, reason: null, multipath: [] };
  if (set.length === 1) {
    const only = (set[0] as Cand).p;
    return { best: only, reason: 'only-path', multipath: [only] };
  }
  let reason: BestReason = 'path-id';
  let mpSet: Cand[] | null = null;
  for (const step of STEPS) {
    if (step === 'router-id') mpSet = set;
    set = applyStep(step, set, ctx);
    if (set.length === 1) {
      reason = step;
      break;
    }
  }
  const best = (set[0] as Cand).p;
  return { best, reason, multipath: multipathOf(best, mpSet, ctx) };
}

/** ECMP: the candidates equal to the best up to the router-id step, same neighbour AS unless relaxed, same MED. */
function multipathOf(best: Path, equal: Cand[] | null, ctx: DecisionContext): readonly Path[] {
  const max = ctx.options.maxPaths ?? 1;
  if (equal === null || equal.length < 2 || max < 2) return [best];
  const relax = ctx.options.multipathRelax === true;
  const nbr = neighborAs(best, ctx);
  const med = effectiveMed(best, ctx);
  const mp = equal.filter((c) => (relax || neighborAs(c.p, ctx) === nbr) && effectiveMed(c.p, ctx) === med);
  mp.sort((a, b) => tieBreak(a, b, ctx));
  const out = mp.slice(0, max).map((c) => c.p);
  return out;
}

function tieBreak(a: Cand, b: Cand, ctx: DecisionContext): number {
  for (const step of TIE_BREAKERS) {
    const kept = applyStep(step, [a, b], ctx);
    if (kept.length === 1) return kept[0] === a ? -1 : 1;
  }
  return 0;
}

/**
 * Pairwise comparison (for "why is A better than B"): negative when `a` is
 * preferred, positive for `b`, with the step that decided. MED is compared
 * only when both have the same neighbour AS (or alwaysCompareMed). Ineligible
 * paths lose to eligible ones with reason 'igp-cost'.
 */
export function comparePaths(a: Path, b: Path, ctx: DecisionContext): { readonly order: number; readonly reason: BestReason | null } {
  const ia = igpCostOf(a, ctx);
  const ib = igpCostOf(b, ctx);
  if (ia === null || ib === null) {
    if (ia === ib) return { order: 0, reason: null };
    return { order: ia === null ? 1 : -1, reason: 'igp-cost' };
  }
  const ca: Cand = { p: a, igp: ia };
  const cb: Cand = { p: b, igp: ib };
  for (const step of STEPS) {
    const kept = applyStep(step, [ca, cb], ctx);
    if (kept.length === 1) return { order: kept[0] === ca ? -1 : 1, reason: step };
  }
  return { order: 0, reason: null };
}
