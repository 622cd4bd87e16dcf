// The speaker's route table: Adj-RIB-In per source (each neighbour, plus
// 'local' for originated routes), the Loc-RIB best path per prefix chosen by
// the decision process, and which best paths changed. The decision returns
// the step that decided it, so operators (and tests) see why a path won.
// RFCs: 4271 §9.1.2 (phase 2: only valid paths, one best per prefix),
// §9.1.2.2 (tie-breaking: a LOCAL_PREF, b AS_PATH length with an AS_SET
// counting one, c ORIGIN, d MED only between paths from the same neighbour
// AS, e eBGP over iBGP, f IGP cost (not modelled), g lowest BGP identifier,
// h lowest peer address), 4456 §9 (ORIGINATOR_ID stands for the identifier).
import type { Family, IpAddress, Prefix, RouterId } from '../types.ts';
import { routerIdToNumber } from '../types.ts';
import type { AsPathSegment, PathAttributes } from '../wire/index.ts';

/** 'local' for originated routes, else the neighbour's canonical address. */
export type PathSource = string;
export const LOCAL: PathSource = 'local';

/** One path: a prefix with the attributes one source gave it. */
export interface Path {
  readonly prefix: Prefix;
  readonly family: Family;
  readonly source: PathSource;
  /** Path attributes without NEXT_HOP / MP_REACH / MP_UNREACH (the next hop is below). */
  readonly attributes: PathAttributes;
  readonly nextHop: IpAddress;
  /** Wall-clock epoch milliseconds when received or originated. */
  readonly since: number;
  /** Learned over iBGP (false for eBGP and local). */
  readonly ibgp: boolean;
  /** The neighbour's AS and BGP identifier (ours for local paths). */
  readonly peerAsn: number;
  readonly peerRouterId: RouterId;
  /** Passed import checks; an invalid path stays in Adj-RIB-In but never competes. */
  readonly valid: boolean;
  readonly invalidReason: string | null;
  /** Extra AS_PATH prepends toward eBGP neighbours (originated routes only). */
  readonly prepend: number;
  /** An explicitly configured next hop (originated routes): kept toward every neighbour. */
  readonly fixedNextHop: boolean;
}

export interface Decision {
  readonly best: Path;
  /** The §9.1.2.2 step that beat the runner-up, or 'only path'. */
  readonly reason: string;
}

/** The AS_PATH length for the decision: AS_SET counts 1, confederation segments 0 (RFC 4271 §9.1.2.2 a, RFC 5065 §5.3). */
export function asPathLength(path: readonly AsPathSegment[] | undefined): number {
  let n = 0;
  for (const s of path ?? []) {
    if (s.type === 'sequence') n += s.asns.length;
    else if (s.type === 'set') n += 1;
  }
  return n;
}

/** The neighbouring AS a path came from: the first AS of the first AS_SEQUENCE (RFC 4271 §9.1.2.2 c). */
function neighborAs(p: Path): number | null {
  const first = p.attributes.asPath?.[0];
  return first !== undefined && first.type === 'sequence' ? (first.asns[0] ?? null) : null;
}

function ipKey(a: string): string {
  // comparable form: IPv4 before IPv6, numerically within a family
  if (!a.includes(':')) return `4${a.split('.').map((o) => o.padStart(3, '0')).join('')}`;
  return `6${a}`;
}

/** Negative when `a` is preferred; with the deciding step. RFC 4271 §9.1.2.2. */
export function comparePaths(a: Path, b: Path): { readonly order: number; readonly reason: string } {
  const lpA = a.attributes.localPref ?? 100;
  const lpB = b.attributes.localPref ?? 100;
  // §9.1.1: the degree of preference, LOCAL_PREF (or local policy for eBGP-learned routes: default 100)
  if (lpA !== lpB) return { order: lpB - lpA, reason: 'local-pref' };
  // locally originated routes win before path attributes are compared (as BIRD, FRR and GoBGP do)
  if ((a.source === LOCAL) !== (b.source === LOCAL)) return { order: a.source === LOCAL ? -1 : 1, reason: 'local origin' };
  const lenA = asPathLength(a.attributes.asPath);
  const lenB = asPathLength(b.attributes.asPath);
  if (lenA !== lenB) return { order: lenA - lenB, reason: 'as-path length' }; // §9.1.2.2 a
  const oA = a.attributes.origin ?? 0;
  const oB = b.attributes.origin ?? 0;
  if (oA !== oB) return { order: oA - oB, reason: 'origin' }; // §9.1.2.2 b
  // §9.1.2.2 c: MED only among paths from the same neighbouring AS; a missing MED is 0
  if (neighborAs(a) === neighborAs(b)) {
    const mA = a.attributes.med ?? 0;
    const mB = b.attributes.med ?? 0;
    if (mA !== mB) return { order: mA - mB, reason: 'med' };
  }
  // §9.1.2.2 d: eBGP-learned over iBGP-learned
  if (a.ibgp !== b.ibgp) return { order: a.ibgp ? 1 : -1, reason: 'external over internal' };
  // §9.1.2.2 f: lowest BGP identifier (ORIGINATOR_ID when reflected, RFC 4456 §9)
  const idA = routerIdToNumber(a.attributes.originatorId ?? a.peerRouterId);
  const idB = routerIdToNumber(b.attributes.originatorId ?? b.peerRouterId);
  if (idA !== idB) return { order: idA - idB, reason: 'router-id' };
  // §9.1.2.2 g: lowest peer address
  const kA = ipKey(a.source);
  const kB = ipKey(b.source);
  return { order: kA < kB ? -1 : kA > kB ? 1 : 0, reason: 'peer address' };
}

/** The best of `paths` (valid ones only) and why, or null when none is valid. */
export function decide(paths: Iterable<Path>): Decision | null {
  let best: Path | null = null;
  let runnerUp: Path | null = null;
  for (const p of paths) {
    if (!p.valid) continue;
    if (best === null || comparePaths(p, best).order < 0) {
      runnerUp = best;
      best = p;
    } else if (runnerUp === null || comparePaths(p, runnerUp).order < 0) runnerUp = p;
  }
  if (best === null) return null;
  return { best, reason: runnerUp === null ? 'only path' : comparePaths(best, runnerUp).reason };
}

/** Adj-RIBs-In of every source plus the Loc-RIB. */
export class RouteTable {
  /** prefix -> source -> path */
  readonly #paths = new Map<Prefix, Map<PathSource, Path>>();
  /** prefix -> decision */
  readonly #best = new Map<Prefix, Decision>();
  readonly #dirty = new Set<Prefix>();

  /** Adds or replaces the path of (prefix, source). */
  set(path: Path): void {
    let m = this.#paths.get(path.prefix);
    if (m === undefined) this.#paths.set(path.prefix, (m = new Map()));
    m.set(path.source, path);
    this.#dirty.add(path.prefix);
  }

  /** Removes the path of (prefix, source); true if there was one. */
  delete(prefix: Prefix, source: PathSource): boolean {
    const m = this.#paths.get(prefix);
    if (m === undefined || !m.delete(source)) return false;
    if (m.size === 0) this.#paths.delete(prefix);
    this.#dirty.add(prefix);
    return true;
  }

  /** Removes every path of a source (its session went down, or it was deconfigured). */
  deleteSource(source: PathSource): void {
    for (const [prefix, m] of this.#paths) {
      if (!m.delete(source)) continue;
      if (m.size === 0) this.#paths.delete(prefix);
      this.#dirty.add(prefix);
    }
  }

  get(prefix: Prefix, source: PathSource): Path | undefined {
    return this.#paths.get(prefix)?.get(source);
  }

  /** Paths of a prefix, best first then in preference order. */
  pathsOf(prefix: Prefix): Path[] {
    const m = this.#paths.get(prefix);
    if (m === undefined) return [];
    return [...m.values()].sort((a, b) => (a.valid !== b.valid ? (a.valid ? -1 : 1) : comparePaths(a, b).order));
  }

  /** Every path of one source. */
  *fromSource(source: PathSource): Generator<Path> {
    for (const m of this.#paths.values()) {
      const p = m.get(source);
      if (p !== undefined) yield p;
    }
  }

  best(prefix: Prefix): Decision | undefined {
    return this.#best.get(prefix);
  }

  /** Every Loc-RIB entry. */
  bests(): IterableIterator<Decision> {
    return this.#best.values();
  }

  prefixes(): IterableIterator<Prefix> {
    return this.#paths.keys();
  }

  /**
   * Runs the decision process on every prefix touched since the last call
   * and returns those whose best path changed (new, different or gone).
   */
  recompute(): { prefix: Prefix; before: Decision | null; after: Decision | null }[] {
    const out: { prefix: Prefix; before: Decision | null; after: Decision | null }[] = [];
    for (const prefix of this.#dirty) {
      const before = this.#best.get(prefix) ?? null;
      const after = decide(this.#paths.get(prefix)?.values() ?? []);
      if (after === null) this.#best.delete(prefix);
      else this.#best.set(prefix, after);
      if (before?.best !== after?.best || before?.reason !== after?.reason) out.push({ prefix, before, after });
    }
    this.#dirty.clear();
    return out;
  }
}
