// Interned attribute sets: one immutable AttrSet per distinct (path
// attributes, next hop), shared by every prefix that carries it, with the
// fields the decision process and export rules read precomputed once (AS_PATH
// length, neighbour and first AS, MED/LOCAL_PREF defaults, well-known
// communities, ORIGINATOR_ID, CLUSTER_LIST length). The intern table holds
// weak references, so a set no path uses any more is collected.
// RFCs: 4271 §9.1.2.2 (AS_PATH length: AS_SET counts 1; neighbour AS for MED),
// 5065 §5.3 (confederation segments count 0), 1997 (well-known communities),
// 4456 §8-§9 (ORIGINATOR_ID, CLUSTER_LIST).
import { ipv4ToNumber, type Asn, type IpAddress } from '../types.ts';
import { WellKnownCommunity, type AsPathSegment, type PathAttributes } from '../wire/index.ts';

/** Community flags of an attribute set. */
export const CommunityFlag = { noExport: 1, noAdvertise: 2, noExportSubconfed: 4 } as const;

export interface AttrSet {
  /** Unique per set for this process (not reused). */
  readonly id: number;
  /** The canonical key it is interned under. */
  readonly key: string;
  /** Attributes without nextHop / mpReach / mpUnreach. */
  readonly attributes: PathAttributes;
  readonly nextHop: IpAddress | null;
  // derived, for the decision process and the export rules
  /** RFC 4271 §9.1.2.2 a: AS_SEQUENCE counts each AS, AS_SET 1, confederation segments 0. */
  readonly asPathLength: number;
  /** First AS of the first non-confederation segment, or -1 for an empty path (the local AS). */
  readonly neighborAs: number;
  /** First AS of the first segment when it is an AS_SEQUENCE, else -1 (RFC 4271 §6.3 first-AS check). */
  readonly firstAs: number;
  readonly origin: number;
  /** MED, or -1 when missing (the decision process maps it to 0 or worst). */
  readonly med: number;
  /** LOCAL_PREF, or -1 when missing. */
  readonly localPref: number;
  /** ORIGINATOR_ID as uint32, or -1. */
  readonly originatorId: number;
  readonly clusterListLength: number;
  /** CommunityFlag bits. */
  readonly communityFlags: number;
}

function segmentKey(segs: readonly AsPathSegment[]): string {
  let s = '';
  for (const g of segs) s += `${g.type}:${g.asns.join(',')};`;
  return s;
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** The canonical key of (attributes, next hop): equal keys mean equal sets. */
export function attrKey(a: PathAttributes, nextHop: IpAddress | null): string {
  let k = `${nextHop ?? ''}|${a.origin ?? ''}|${a.asPath === undefined ? '-' : segmentKey(a.asPath)}|${a.med ?? ''}|${a.localPref ?? ''}|${a.atomicAggregate === true ? 'A' : ''}`;
  if (a.aggregator !== undefined) k += `|ag${a.aggregator.asn}@${a.aggregator.address}`;
  if (a.communities !== undefined) k += `|c${a.communities.join(',')}`;
  if (a.originatorId !== undefined) k += `|o${a.originatorId}`;
  if (a.clusterList !== undefined) k += `|cl${a.clusterList.join(',')}`;
  if (a.extendedCommunities !== undefined) k += `|x${a.extendedCommunities.join(',')}`;
  if (a.largeCommunities !== undefined) k += `|l${a.largeCommunities.map((c) => `${c.globalAdmin}:${c.localData1}:${c.localData2}`).join(',')}`;
  if (a.unknown !== undefined) k += `|u${a.unknown.map((u) => `${u.flags}:${u.code}:${hex(u.value)}`).join(',')}`;
  return k;
}

function asPathLength(segs: readonly AsPathSegment[] | undefined): number {
  if (segs === undefined) return 0;
  let n = 0;
  for (const g of segs) {
    if (g.type === 'sequence') n += g.asns.length;
    else if (g.type === 'set') n += 1; // RFC 4271 §9.1.2.2 a
    // RFC 5065 §5.3: confederation segments do not count
  }
  return n;
}

function neighborAs(segs: readonly AsPathSegment[] | undefined): number {
  if (segs === undefined) return -1;
  for (const g of segs) {
    if (g.type === 'confed-sequence' || g.type === 'confed-set') continue;
    return g.asns[0] ?? -1;
  }
  return -1;
}

function communityFlags(c: readonly number[] | undefined): number {
  if (c === undefined) return 0;
  let f = 0;
  for (const x of c) {
    if (x === WellKnownCommunity.noExport) f |= CommunityFlag.noExport;
    else if (x === WellKnownCommunity.noAdvertise) f |= CommunityFlag.noAdvertise;
    else if (x === WellKnownCommunity.noExportSubconfed) f |= CommunityFlag.noExportSubconfed;
  }
  return f;
}

/** Drops the attributes a stored set never keeps (next hop and MP attributes are per route / per family). */
export function stripPerRoute(a: PathAttributes): PathAttributes {
  if (a.nextHop === undefined && a.mpReach === undefined && a.mpUnreach === undefined) return a;
  const { nextHop: _n, mpReach: _r, mpUnreach: _u, ...rest } = a;
  return rest;
}

/** True when the AS_PATH contains `asn` in any segment. */
export function pathContainsAs(a: PathAttributes, asn: Asn): boolean {
  for (const g of a.asPath ?? []) if (g.asns.includes(asn)) return true;
  return false;
}

let nextId = 1;

/**
 * The intern table. Sets are looked up by canonical key; an UPDATE's
 * attributes are interned once and shared by all its prefixes. Entries are
 * weak: the table never keeps a set alive by itself.
 */
export class AttrInterner {
  readonly #table = new Map<string, WeakRef<AttrSet>>();
  readonly #registry = new FinalizationRegistry<string>((key) => {
    const ref = this.#table.get(key);
    if (ref !== undefined && ref.deref() === undefined) this.#table.delete(key);
  });
  /** One-entry cache: consecutive UPDATEs from a peer often carry the same attributes object. */
  #lastAttrs: PathAttributes | null = null;
  #lastNextHop: IpAddress | null = null;
  #lastSet: AttrSet | null = null;

  /** The interned set for (attributes, next hop); nextHop/mpReach/mpUnreach in `attributes` are ignored. */
  intern(attributes: PathAttributes, nextHop: IpAddress | null): AttrSet {
    if (attributes === this.#lastAttrs && nextHop === this.#lastNextHop && this.#lastSet !== null) return this.#lastSet;
    const a = stripPerRoute(attributes);
    const key = attrKey(a, nextHop);
    let set = this.#table.get(key)?.deref();
    if (set === undefined) {
      set = {
        id: nextId++,
        key,
        attributes: a,
        nextHop,
        asPathLength: asPathLength(a.asPath),
        neighborAs: neighborAs(a.asPath),
        firstAs: a.asPath?.[0]?.type === 'sequence' ? (a.asPath[0].asns[0] ?? -1) : -1,
        origin: a.origin ?? 2,
        med: a.med ?? -1,
        localPref: a.localPref ?? -1,
        originatorId: a.originatorId === undefined ? -1 : ipv4ToNumber(a.originatorId),
        clusterListLength: a.clusterList?.length ?? 0,
        communityFlags: communityFlags(a.communities),
      };
      this.#table.set(key, new WeakRef(set));
      this.#registry.register(set, key);
    }
    this.#lastAttrs = attributes;
    this.#lastNextHop = nextHop;
    this.#lastSet = set;
    return set;
  }

  /** Live entries (for tests and memory accounting; collected sets may linger until finalised). */
  get size(): number {
    return this.#table.size;
  }
}
