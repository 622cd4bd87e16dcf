// The RIB's internal route records: a Source (a peer, or the local speaker)
// with the fields the decision process compares precomputed, and Path, one
// small immutable record (source, interned attribute set, ADD-PATH id) per
// route. A prefix with one path stores the Path itself; only contested
// prefixes get a Dest holding candidates and the decision outcome.
// RFCs: 4271 §9.1 (what a route is: prefix + attributes + origin peer),
// 7911 §3 (path identifier is part of the route's key).
import { ipv4ToNumber, ipv6ToBytes, type Asn, type IpAddress, type RouterId } from '../types.ts';
import type { AttrSet } from './attr-set.ts';
import type { BestReason, PathSource, PathView, PeerCounters, PeerRole } from './types.ts';

/** Routes of one source with equal attributes share a Path when they arrive within this much time (their age's precision). */
export const AGE_GRANULARITY_MS = 1000;

/** A route's origin: one per configured peer, plus one for local origination. */
export class Source {
  readonly id: string;
  readonly kind: 'local' | 'peer';
  readonly role: PeerRole | 'local';
  readonly asn: Asn;
  /** BGP identifier as uint32 (set when the session comes up; our own for 'local'). */
  routerIdNum: number;
  routerId: RouterId | null;
  /** Sort key of the peer address: lower compares first (RFC 4271 §9.1.2.2 g). */
  readonly addressKey: string;
  readonly counters: PeerCounters = { received: 0, accepted: 0, rejected: 0, withdrawn: 0, advertised: 0, withdrawnOut: 0, unsendable: 0, updatesIn: 0, updatesOut: 0 };
  #view: PathSource | null = null;
  /** Paths are shared by every prefix with the same (source, attributes, path id 0): one object, not one per prefix. */
  readonly #paths = new WeakMap<AttrSet, Path>();
  #lastAttrs: AttrSet | null = null;
  #lastPath: Path | null = null;

  constructor(id: string, kind: 'local' | 'peer', role: PeerRole | 'local', asn: Asn, routerId: RouterId | null) {
    this.id = id;
    this.kind = kind;
    this.role = role;
    this.asn = asn;
    this.routerId = routerId;
    this.routerIdNum = routerId === null ? 0 : ipv4ToNumber(routerId);
    this.addressKey = addressSortKey(id);
  }

  /**
   * The path of (this source, attrs, pathId) received at `now`: shared when
   * pathId is 0 and `now` is within AGE_GRANULARITY_MS of the shared one's
   * time, so equal routes arriving together are one object.
   */
  path(attrs: AttrSet, pathId: number, now: number): Path {
    if (pathId !== 0) return new Path(this, attrs, pathId, now);
    const last = this.#lastPath;
    if (attrs === this.#lastAttrs && last !== null && now - last.since < AGE_GRANULARITY_MS) return last;
    let p = this.#paths.get(attrs);
    if (p === undefined || now - p.since >= AGE_GRANULARITY_MS) {
      p = new Path(this, attrs, 0, now);
      this.#paths.set(attrs, p);
    }
    this.#lastAttrs = attrs;
    this.#lastPath = p;
    return p;
  }

  get ebgp(): boolean {
    return this.role === 'ebgp';
  }

  setRouterId(id: RouterId): void {
    this.routerId = id;
    this.routerIdNum = ipv4ToNumber(id);
    this.#view = null;
  }

  get view(): PathSource {
    this.#view ??= this.kind === 'local' ? { kind: 'local' } : { kind: 'peer', peer: this.id, role: this.role as PeerRole, asn: this.asn, routerId: this.routerId };
    return this.#view;
  }
}

/** IPv4 sorts before IPv6; within a family by numeric value. Non-addresses sort last, by text. */
export function addressSortKey(address: string): string {
  const v4 = ipv4ToNumber(address);
  if (v4 >= 0) return `4${v4.toString(16).padStart(8, '0')}`;
  const b = ipv6ToBytes(address);
  if (b !== null) {
    let s = '6';
    for (const x of b) s += x.toString(16).padStart(2, '0');
    return s;
  }
  return `9${address}`;
}

/**
 * A route's (source, attributes, path id): immutable and shared by every
 * prefix that has the same triple and arrived within a second (Source.path),
 * so a table of a million prefixes from one peer with one attribute set holds
 * a handful of Paths. A change of
 * attributes is a different Path, so identity comparison detects changes.
 */
export class Path {
  readonly src: Source;
  readonly attrs: AttrSet;
  readonly pathId: number;
  /** When the route was received or last changed (epoch ms, to AGE_GRANULARITY_MS). */
  readonly since: number;
  /** Cached read-only view (events, CLI). */
  view: PathView | null = null;
  /** Cached [view] and next-hop list of the single-path multipath set (events). */
  single: { readonly views: readonly PathView[]; readonly nextHops: readonly IpAddress[] } | null = null;

  constructor(src: Source, attrs: AttrSet, pathId: number, since: number) {
    this.src = src;
    this.attrs = attrs;
    this.pathId = pathId;
    this.since = since;
  }

  get nextHop(): IpAddress | null {
    return this.attrs.nextHop;
  }
}

/** A contested prefix: several candidates and the outcome of the last decision. */
export class Dest {
  paths: Path[];
  best: Path | null = null;
  reason: BestReason | null = null;
  /** The ECMP set, best first; empty when best is null. */
  multipath: readonly Path[] = [];

  constructor(paths: Path[]) {
    this.paths = paths;
  }
}

/** A Loc-RIB table entry. */
export type Entry = Path | Dest;
