// The Loc-RIB: per family, a Map from prefix to its entry, which is the Path
// itself while a prefix has one candidate (the common case: no decision runs,
// no array, no extra object) and a Dest once it has several. This table also
// is the post-policy Adj-RIB-In of every peer (BIRD-style single table): a
// peer's accepted routes are the candidates whose source is that peer.
// Every insert/remove reports a best-path or multipath change to one
// listener, which the Rib turns into events and Adj-RIB-Out marks.
// RFCs: 4271 §9.1 (phase 2 runs when a prefix's candidates change), 7911
// (candidates keyed by source and path id).
import type { Family, Prefix } from '../types.ts';
import { decide, type DecisionContext } from './best-path.ts';
import { Dest, Path, type Entry, type Source } from './path.ts';
import type { AttrSet } from './attr-set.ts';
import type { BestReason } from './types.ts';

/** Called when a prefix's best path or multipath set changed. `prevMp` null means "[prevBest]" (or [] when prevBest is null). */
export interface LocRibListener {
  bestChanged(family: Family, prefix: Prefix, prevBest: Path | null, prevMp: readonly Path[] | null, entry: Entry | undefined): void;
}

// A bare Path entry exists only without an IGP cost hook, so it is always eligible and best.

/** Best path of an entry. */
export function bestOf(e: Entry | undefined): Path | null {
  if (e === undefined) return null;
  return e instanceof Dest ? e.best : e;
}

/** Reason of an entry's best. */
export function reasonOf(e: Entry | undefined): BestReason | null {
  if (e === undefined) return null;
  return e instanceof Dest ? e.reason : 'only-path';
}

/** Multipath set of an entry (allocates for a single path). */
export function multipathOf(e: Entry | undefined): readonly Path[] {
  if (e === undefined) return [];
  return e instanceof Dest ? e.multipath : [e];
}

/** The candidates of an entry. */
export function pathsOf(e: Entry | undefined): readonly Path[] {
  if (e === undefined) return [];
  return e instanceof Dest ? e.paths : [e];
}

function sameMp(aBest: Path | null, aMp: readonly Path[] | null, bBest: Path | null, bMp: readonly Path[] | null): boolean {
  if (aMp === null && bMp === null) return aBest === bBest;
  const a = aMp ?? (aBest === null ? [] : [aBest]);
  const b = bMp ?? (bBest === null ? [] : [bBest]);
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

export class LocRib {
  readonly tables = new Map<Family, Map<Prefix, Entry>>([
    ['ipv4-unicast', new Map()],
    ['ipv6-unicast', new Map()],
  ]);
  readonly #ctx: DecisionContext;
  readonly #listener: LocRibListener;
  /** Single-path prefixes are stored as a bare Path (no IGP hook: every path is eligible). */
  readonly #bare: boolean;

  constructor(ctx: DecisionContext, listener: LocRibListener) {
    this.#ctx = ctx;
    this.#listener = listener;
    this.#bare = ctx.igpCost === null;
  }

  table(family: Family): Map<Prefix, Entry> {
    return this.tables.get(family) as Map<Prefix, Entry>;
  }

  #redecide(d: Dest): void {
    const r = decide(d.paths, this.#ctx);
    d.best = r.best;
    d.reason = r.reason;
    d.multipath = r.multipath;
  }

  /** Current (best, explicit multipath or null) of an entry, captured before a change. */
  #state(e: Entry | undefined): [Path | null, readonly Path[] | null] {
    if (e === undefined) return [null, null];
    if (e instanceof Dest) return [e.best, e.multipath];
    return [e, null];
  }

  #report(family: Family, prefix: Prefix, prev: [Path | null, readonly Path[] | null], e: Entry | undefined): void {
    const [best, mp] = this.#state(e);
    if (best === prev[0] && sameMp(prev[0], prev[1], best, mp)) return;
    this.#listener.bestChanged(family, prefix, prev[0], prev[1], e);
  }

  /** Adds or replaces the path of (src, pathId), received at `now` (epoch ms). Returns true when it is new (not a replacement). */
  upsert(family: Family, prefix: Prefix, src: Source, pathId: number, attrs: AttrSet, now: number): boolean {
    const t = this.table(family);
    const e = t.get(prefix);
    if (e === undefined) {
      const p = src.path(attrs, pathId, now);
      if (this.#bare) {
        t.set(prefix, p);
        this.#listener.bestChanged(family, prefix, null, null, p);
        return true;
      }
      const d = new Dest([p]);
      this.#redecide(d);
      t.set(prefix, d);
      if (d.best !== null) this.#listener.bestChanged(family, prefix, null, null, d);
      return true;
    }
    const prev = this.#state(e);
    if (e instanceof Path) {
      if (e.src === src && e.pathId === pathId) {
        if (e.attrs === attrs) return false;
        const p = src.path(attrs, pathId, now);
        t.set(prefix, p);
        this.#report(family, prefix, prev, p);
        return false;
      }
      const d = new Dest([e, src.path(attrs, pathId, now)]);
      this.#redecide(d);
      t.set(prefix, d);
      this.#report(family, prefix, prev, d);
      return true;
    }
    const paths = e.paths;
    let k = 0;
    while (k < paths.length && !((paths[k] as Path).src === src && (paths[k] as Path).pathId === pathId)) k++;
    const isNew = k === paths.length;
    if (!isNew && (paths[k] as Path).attrs === attrs) return false;
    // a fresh array: the previous multipath array is compared against afterwards and must not change under it
    e.paths = isNew ? [...paths, src.path(attrs, pathId, now)] : paths.map((p, i) => (i === k ? src.path(attrs, pathId, now) : p));
    this.#redecide(e);
    this.#report(family, prefix, prev, e);
    return isNew;
  }

  /** Removes the path of (src, pathId). Returns true when it existed. */
  remove(family: Family, prefix: Prefix, src: Source, pathId: number): boolean {
    const t = this.table(family);
    const e = t.get(prefix);
    if (e === undefined) return false;
    if (e instanceof Path) {
      if (e.src !== src || e.pathId !== pathId) return false;
      const prev = this.#state(e);
      t.delete(prefix);
      this.#report(family, prefix, prev, undefined);
      return true;
    }
    const idx = e.paths.findIndex((p) => p.src === src && p.pathId === pathId);
    if (idx < 0) return false;
    this.#removeAt(family, prefix, e, [idx]);
    return true;
  }

  #removeAt(family: Family, prefix: Prefix, d: Dest, idx: readonly number[]): void {
    const t = this.table(family);
    const prev = this.#state(d);
    const rest = d.paths.filter((_, i) => !idx.includes(i));
    let next: Entry | undefined;
    if (rest.length === 0) {
      t.delete(prefix);
      next = undefined;
    } else if (rest.length === 1 && this.#bare) {
      next = rest[0] as Path;
      t.set(prefix, next);
    } else {
      d.paths = rest;
      this.#redecide(d);
      next = d;
    }
    this.#report(family, prefix, prev, next);
  }

  /** The (prefix, path id) of every path of `src` in a family's table. */
  *pathsOfSource(family: Family, src: Source): Generator<[Prefix, number]> {
    for (const [prefix, e] of this.table(family)) {
      if (e instanceof Path) {
        if (e.src === src) yield [prefix, e.pathId];
        continue;
      }
      for (const p of e.paths) if (p.src === src) yield [prefix, p.pathId];
    }
  }

  /** Removes every path of `src` (session down, peer removed), in `families` when given; returns how many. */
  removeSource(src: Source, families?: ReadonlySet<Family>): number {
    let n = 0;
    for (const [family, t] of this.tables) {
      if (families !== undefined && !families.has(family)) continue;
      for (const [prefix, e] of t) {
        if (e instanceof Path) {
          if (e.src !== src) continue;
          const prev = this.#state(e);
          t.delete(prefix);
          n++;
          this.#report(family, prefix, prev, undefined);
          continue;
        }
        const idx: number[] = [];
        e.paths.forEach((p, i) => {
          if (p.src === src) idx.push(i);
        });
        if (idx.length === 0) continue;
        n += idx.length;
        this.#removeAt(family, prefix, e, idx);
      }
    }
    return n;
  }

  /** Runs the decision again everywhere (the IGP cost of next hops changed). */
  reevaluate(): void {
    for (const [family, t] of this.tables) {
      for (const [prefix, e] of t) {
        if (!(e instanceof Dest)) continue;
        const prev = this.#state(e);
        this.#redecide(e);
        this.#report(family, prefix, prev, e);
      }
    }
  }
}
