// Adj-RIB-Out of one Established peer and its pull-based UPDATE queue. For
// each family it holds what was advertised (prefix -> interned out attribute
// set) and the pending changes: every changed prefix sits in exactly one
// bucket, the withdraw bucket or the bucket of its new attribute set, so a
// prefix that flaps while the peer is slow is sent once in its latest state
// (coalescing, BIRD's buckets). The session pulls one encoded UPDATE at a
// time: withdrawals first, then the next bucket packed to the size limit
// (many NLRI per UPDATE), then the initial table dump is continued lazily from
// a Loc-RIB iterator, and End-of-RIB follows once the dump has been sent.
// RFCs: 4271 §9.2 (Adj-RIB-Out, UPDATE with many NLRI), §9.2.1.1
// (only the latest state of a route needs sending), 4724 §2 (End-of-RIB),
// 4760 (MP attributes), 7911 §3, 8654.
import type { Family, IpAddress, Ipv4, Prefix } from '../types.ts';
import { buildUpdates, buildWithdrawals, encodeAttributes, encodeUpdate, endOfRib, maxTxLength, type WireContext } from '../wire/index.ts';
import type { AttrSet } from './attr-set.ts';
import type { Entry } from './path.ts';
import type { PeerCounters } from './types.ts';

/**
 * Prefixes waiting with one attribute set (or to be withdrawn). An array with
 * lazy deletion rather than a Set: a prefix is live in the bucket that
 * FamilyOut.pending names, other copies are skipped when taken; `live`
 * counts the live ones, and the array is compacted when mostly stale.
 */
interface Bucket {
  /** null for the withdraw bucket. */
  readonly attrs: AttrSet | null;
  items: Prefix[];
  head: number;
  live: number;
  /** NLRI octets of the live prefixes. */
  bytes: number;
  /** Octets left for NLRI in one UPDATE with these attributes (computed when the bucket is created). */
  readonly budget: number;
}

/** Produces the out attribute set of a prefix from the current Loc-RIB, for the initial dump (null: nothing to send). */
export type FeedFn = (family: Family, prefix: Prefix, entry: Entry) => AttrSet | null;

/** Drops stale and duplicate copies from a bucket's array. */
function compact(fs: FamilyOut, b: Bucket): void {
  const seen = new Set<Prefix>();
  const items: Prefix[] = [];
  for (let i = b.head; i < b.items.length; i++) {
    const p = b.items[i] as Prefix;
    if (fs.pending.get(p) === b && !seen.has(p)) {
      seen.add(p);
      items.push(p);
    }
  }
  b.items = items;
  b.head = 0;
}

class FamilyOut {
  readonly advertised = new Map<Prefix, AttrSet>();
  readonly pending = new Map<Prefix, Bucket>();
  readonly buckets = new Map<AttrSet, Bucket>();
  readonly withdraw: Bucket;
  feed: Iterator<[Prefix, Entry]> | null = null;
  eorPending = false;
  /** ADD-PATH toward the peer in this family: 4 more octets per NLRI. */
  readonly addPath: boolean;

  constructor(withdrawBudget: number, addPath: boolean) {
    this.addPath = addPath;
    this.withdraw = { attrs: null, items: [], head: 0, live: 0, bytes: 0, budget: withdrawBudget };
  }
}

const UPDATE_FIXED = 19 + 4;
/** Prefixes taken from the Loc-RIB per feed step. */
const FEED_CHUNK = 4096;

/** NLRI octets of a canonical prefix: length octet, address octets, path id (RFC 4271 §4.3, RFC 7911 §3). */
function entrySize(prefix: Prefix, addPath: boolean): number {
  // the length is the last one to three digits, after '/'
  const n = prefix.length;
  let len = prefix.charCodeAt(n - 1) - 48;
  const c2 = prefix.charCodeAt(n - 2);
  if (c2 !== 47) {
    len += (c2 - 48) * 10;
    const c3 = prefix.charCodeAt(n - 3);
    if (c3 !== 47) len += (c3 - 48) * 100;
  }
  return 1 + ((len + 7) >> 3) + (addPath ? 4 : 0);
}

export class AdjOut {
  readonly wire: WireContext;
  readonly families: readonly Family[];
  readonly #fam = new Map<Family, FamilyOut>();
  readonly #ready: Uint8Array[] = [];
  readonly #counters: PeerCounters;
  readonly #feedFn: FeedFn;
  /** Index into families of the one served first by the next pull. */
  #turn = 0;

  constructor(wire: WireContext, families: readonly Family[], counters: PeerCounters, feedFn: FeedFn) {
    this.wire = wire;
    this.families = families;
    this.#counters = counters;
    this.#feedFn = feedFn;
    const max = maxTxLength(wire);
    for (const f of families) {
      // IPv4 withdrawals use the Withdrawn Routes field; others MP_UNREACH_NLRI (4 header + 3 AFI/SAFI)
      this.#fam.set(f, new FamilyOut(max - UPDATE_FIXED - (f === 'ipv4-unicast' ? 0 : 7), wire.addPathTx.has(f)));
    }
  }

  /** Starts the initial (or a refresh) dump of a family from `entries` (a live Loc-RIB iterator); End-of-RIB follows it when `eor`. */
  startFeed(family: Family, entries: Iterator<[Prefix, Entry]>, eor: boolean): void {
    const fs = this.#fam.get(family);
    if (fs === undefined) return;
    fs.feed = entries;
    if (eor) fs.eorPending = true;
  }

  /** Forgets what was advertised in a family (route refresh: everything is sent again). */
  resetAdvertised(family: Family): void {
    const fs = this.#fam.get(family);
    if (fs === undefined) return;
    this.#counters.advertised -= fs.advertised.size;
    fs.advertised.clear();
  }

  /** True when the family is negotiated with this peer. */
  has(family: Family): boolean {
    return this.#fam.has(family);
  }

  /** Records the latest wanted state of a prefix (null: not advertised). Returns true when a change is now pending. */
  mark(family: Family, prefix: Prefix, wanted: AttrSet | null): boolean {
    const fs = this.#fam.get(family);
    if (fs === undefined) return false;
    let out = wanted;
    let bucket = out === null ? fs.withdraw : this.#bucket(fs, family, out);
    // attributes too large to leave room for this prefix in an UPDATE: it cannot be sent, so the peer must not keep an older version
    if (out !== null && bucket.budget < entrySize(prefix, fs.addPath)) {
      this.#counters.unsendable++;
      out = null;
      bucket = fs.withdraw;
    }
    // fast path: nothing to send and nothing ever sent (e.g. every route comes from this very peer)
    if (out === null && fs.pending.size === 0 && fs.advertised.size === 0) return false;
    const cur = fs.pending.get(prefix);
    const prev = fs.advertised.get(prefix);
    if (out === null ? prev === undefined : out === prev) {
      if (cur !== undefined) {
        // back to what the peer already has: nothing to send
        cur.live--;
        cur.bytes -= entrySize(prefix, fs.addPath);
        fs.pending.delete(prefix);
      }
      return false;
    }
    const b = bucket;
    if (cur === b) return true;
    const size = entrySize(prefix, fs.addPath);
    if (cur !== undefined) {
      cur.live--;
      cur.bytes -= size;
      if (cur.items.length - cur.head > 2 * cur.live + 64) compact(fs, cur);
    }
    b.items.push(prefix);
    b.live++;
    b.bytes += size;
    fs.pending.set(prefix, b);
    return true;
  }

  #bucket(fs: FamilyOut, family: Family, attrs: AttrSet): Bucket {
    let b = fs.buckets.get(attrs);
    if (b === undefined) {
      const nh = attrs.nextHop as string;
      const classic = family === 'ipv4-unicast' && !nh.includes(':');
      const encoded = encodeAttributes(classic ? { ...attrs.attributes, nextHop: attrs.nextHop as Ipv4 } : attrs.attributes, this.wire).length;
      // MP_REACH_NLRI: 4 octets of attribute header, AFI/SAFI/length/reserved (5), the next hop (we never add a link-local one)
      const mp = classic ? 0 : 4 + 5 + (nh.includes(':') ? 16 : 4);
      b = { attrs, items: [], head: 0, live: 0, bytes: 0, budget: maxTxLength(this.wire) - UPDATE_FIXED - encoded - mp };
      fs.buckets.set(attrs, b);
    }
    return b;
  }

  /** True when a message is ready or could be built now. */
  get pending(): boolean {
    if (this.#ready.length > 0) return true;
    for (const fs of this.#fam.values()) {
      if (fs.pending.size > 0 || fs.feed !== null || fs.eorPending) return true;
    }
    return false;
  }

  /** Prefixes waiting to be sent (announce or withdraw), for tests and status. */
  get pendingCount(): number {
    let n = 0;
    for (const fs of this.#fam.values()) n += fs.pending.size;
    return n;
  }

  /** The advertised routes of a family. */
  advertised(family: Family): ReadonlyMap<Prefix, AttrSet> {
    return this.#fam.get(family)?.advertised ?? new Map();
  }

  /** The next encoded UPDATE, or null when there is nothing to send now. Families take turns, so one cannot starve another. */
  next(): Uint8Array | null {
    const r = this.#ready.shift();
    if (r !== undefined) return r;
    const n = this.families.length;
    for (let k = 0; k < n; k++) {
      const family = this.families[(this.#turn + k) % n] as Family;
      const msg = this.#nextOf(family, this.#fam.get(family) as FamilyOut);
      if (msg !== null) {
        this.#turn = (this.#turn + k + 1) % n;
        return msg;
      }
    }
    return null;
  }

  #nextOf(family: Family, fs: FamilyOut): Uint8Array | null {
    for (;;) {
      if (fs.withdraw.live > 0) return this.#emit(this.#withdrawals(family, fs));
      const b = this.#firstBucket(fs);
      // during a dump, fill a bucket to a whole UPDATE before sending it
      if (b !== null && (fs.feed === null || b.bytes >= b.budget)) return this.#emit(this.#announce(family, fs, b));
      if (fs.feed !== null) {
        this.#advanceFeed(family, fs);
        continue;
      }
      if (fs.eorPending) {
        fs.eorPending = false;
        // RFC 4724 §2: End-of-RIB once the initial update has been sent
        return this.#emit([encodeUpdate(endOfRib(family), this.wire)]);
      }
      return null;
    }
  }

  #emit(msgs: Uint8Array[]): Uint8Array | null {
    this.#counters.updatesOut += msgs.length;
    const first = msgs.shift() ?? null;
    this.#ready.push(...msgs);
    return first;
  }

  #firstBucket(fs: FamilyOut): Bucket | null {
    for (const [attrs, b] of fs.buckets) {
      if (b.live > 0) return b;
      fs.buckets.delete(attrs);
    }
    return null;
  }

  #advanceFeed(family: Family, fs: FamilyOut): void {
    const it = fs.feed as Iterator<[Prefix, Entry]>;
    for (let k = 0; k < FEED_CHUNK; k++) {
      const n = it.next();
      if (n.done === true) {
        fs.feed = null;
        return;
      }
      const [prefix, entry] = n.value;
      this.mark(family, prefix, this.#feedFn(family, prefix, entry));
    }
  }

  /** Takes live prefixes from a bucket up to its budget. */
  #take(fs: FamilyOut, b: Bucket): Prefix[] {
    const out: Prefix[] = [];
    let left = b.budget;
    const items = b.items;
    let i = b.head;
    for (; i < items.length; i++) {
      const p = items[i] as Prefix;
      if (fs.pending.get(p) !== b) continue; // stale copy: moved elsewhere or already sent
      const s = entrySize(p, fs.addPath);
      if (s > left && out.length > 0) break;
      left -= s;
      out.push(p);
      fs.pending.delete(p);
    }
    b.live -= out.length;
    b.bytes -= b.budget - left;
    if (i >= items.length) {
      b.items = [];
      b.head = 0;
    } else {
      b.head = i;
    }
    return out;
  }

  #withdrawals(family: Family, fs: FamilyOut): Uint8Array[] {
    const prefixes = this.#take(fs, fs.withdraw);
    for (const p of prefixes) {
      if (fs.advertised.delete(p)) this.#counters.advertised--;
    }
    this.#counters.withdrawnOut += prefixes.length;
    return buildWithdrawals(family, prefixes, null, this.wire);
  }

  #announce(family: Family, fs: FamilyOut, b: Bucket): Uint8Array[] {
    const attrs = b.attrs as AttrSet;
    const prefixes = this.#take(fs, b);
    for (const p of prefixes) {
      const prev = fs.advertised.get(p);
      fs.advertised.set(p, attrs);
      if (prev === undefined) this.#counters.advertised++;
    }
    if (b.live === 0) fs.buckets.delete(attrs);
    return buildUpdates({ family, attributes: attrs.attributes, nextHop: attrs.nextHop as IpAddress, prefixes }, this.wire);
  }

  /** Drops all state (session down). */
  clear(): void {
    for (const fs of this.#fam.values()) this.#counters.advertised -= fs.advertised.size;
    this.#fam.clear();
    this.#ready.length = 0;
  }
}
