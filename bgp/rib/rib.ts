// The RIB of our speaker: peers register, UPDATEs come in (received-side
// checks, import policy, Adj-RIB-In), the Loc-RIB runs the decision process,
// best-path changes become events and Adj-RIB-Out marks, and each peer's
// session pulls its next encoded UPDATE. One synchronous operation at a time;
// events and "updates pending" notices are delivered at the end of each.
// Modules: attr-set (interned attributes), path (Source/Path/Dest records),
// best-path (decision + reason + ECMP), loc-rib (table), import (received
// checks), export (per-peer rules), adj-out (queue, batching, End-of-RIB),
// peer-state, views (read-only data for the CLI and events).
// RFCs: 4271 §9 (UPDATE processing, decision, dissemination), §5.1.5
// (LOCAL_PREF from eBGP ignored), §6.3 (NEXT_HOP and first-AS checks),
// 4456 §8 (ORIGINATOR_ID / CLUSTER_LIST loop checks), 7606 §2
// (treat-as-withdraw), 4724 §2 (End-of-RIB), 2918 (route refresh), 7911.
import { FAMILIES, prefixFamily, type Family, type Prefix } from '../types.ts';
import { endOfRibFamily, isTreatAsWithdraw, Origin, updateRoutes, type NlriList, type PathAttributes, type UpdateMessage } from '../wire/index.ts';
import { AdjOut } from './adj-out.ts';
import { AttrInterner, type AttrSet } from './attr-set.ts';
import { checkReceived, nextHopOf, receivedAttributes } from './import.ts';
import { bindSession, newPeerState, parsePreKey, preKey, type PeerState } from './peer-state.ts';
import type { DecisionContext } from './best-path.ts';
import { exportPath, type ExportContext } from './export.ts';
import { bestOf, LocRib, multipathOf, reasonOf, type LocRibListener } from './loc-rib.ts';
import { Dest, Source, type Entry, type Path } from './path.ts';
import type { AdjInEntry, AdjOutEntry, BestPathChange, FamilyCounters, BestPathListener, LocalRoute, LocRibEntry, PeerCounters, PrefixLookup, RejectReason, RibConfig, RibPeerConfig, RibSessionInfo, UpdateResult } from './types.ts';
import { entryView, lookupView, multipathViews, pathView } from './views.ts';

export class Rib {
  readonly config: RibConfig;
  readonly #ctx: DecisionContext;
  readonly #exportCtx: ExportContext;
  readonly #interner = new AttrInterner();
  readonly #outInterner = new AttrInterner();
  readonly #loc: LocRib;
  readonly #peers = new Map<string, PeerState>();
  readonly #local: Source;
  readonly #listeners = new Set<BestPathListener>();
  readonly #pendingListeners = new Set<(peer: string) => void>();
  #changes: BestPathChange[] = [];
  readonly #dirty = new Set<PeerState>();
  #depth = 0;
  readonly #clock: () => number;

  constructor(config: RibConfig) {
    this.config = config;
    this.#clock = config.now ?? Date.now;
    this.#ctx = {
      localAsn: config.localAsn,
      defaultLocalPref: config.defaultLocalPref ?? 100,
      options: config,
      igpCost: config.igpCost ?? null,
    };
    this.#exportCtx = { localAsn: config.localAsn, routerId: config.routerId, clusterId: config.clusterId ?? config.routerId, defaultLocalPref: config.defaultLocalPref ?? 100 };
    const listener: LocRibListener = { bestChanged: (family, prefix, prevBest, _prevMp, entry) => this.#bestChanged(family, prefix, prevBest, entry) };
    this.#loc = new LocRib(this.#ctx, listener);
    this.#local = new Source('local', 'local', 'local', config.localAsn, config.routerId);
  }

  // ------------------------------------------------------------ peers

  /** Registers a peer (before its session comes up). Throws when the id is taken. */
  addPeer(config: RibPeerConfig): void {
    if (this.#peers.has(config.id)) throw new Error(`peer ${config.id} already in the RIB`);
    this.#peers.set(config.id, newPeerState(config, this.config.localAsn));
  }

  /** Removes a peer and all its routes. */
  removePeer(id: string): void {
    this.peerDown(id);
    const p = this.#peers.get(id);
    if (p !== undefined) p.stale = null;
    this.#peers.delete(id);
  }

  /** The registered peer ids. */
  get peers(): readonly string[] {
    return [...this.#peers.keys()];
  }

  /** The session is Established: start the initial table dump toward it (End-of-RIB after it, per family). */
  peerUp(id: string, info: RibSessionInfo): void {
    const p = this.#peer(id);
    this.#op(() => {
      if (p.src.routerId !== info.negotiated.peerId) {
        p.src.setRouterId(info.negotiated.peerId);
        // exported attributes may carry it (ORIGINATOR_ID when reflecting): drop every cached export
        for (const q of this.#peers.values()) q.cache = new Map();
      }
      // a new session without peerDown for the old one: its Adj-RIB-Out is stale
      p.out?.clear();
      bindSession(p, info);
      const families = FAMILIES.filter((f) => info.capabilities.families.has(f));
      p.out = new AdjOut(info.capabilities.context, families, p.src.counters, (family, prefix, entry) => this.#exportFor(p, family, prefix, bestOf(entry)));
      for (const f of families) p.out.startFeed(f, this.#loc.table(f).entries(), true);
      this.#dirty.add(p);
    });
  }

  /**
   * The session went down: its Adj-RIB-Out is dropped and its routes leave
   * the RIB (with events), except those of the `retain` families: graceful
   * restart (RFC 4724 §4.2) keeps them as stale, still in the decision, until
   * the peer re-announces them or `sweepStale` removes what it did not.
   */
  peerDown(id: string, retain?: ReadonlySet<Family>): void {
    const p = this.#peer(id);
    this.#op(() => {
      p.out?.clear();
      p.out = null;
      p.target = null;
      p.cache = new Map();
      this.#dirty.delete(p);
      for (const m of p.prePolicy?.values() ?? []) m.clear();
      const keep = retain ?? new Set<Family>();
      const drop = new Set(FAMILIES.filter((f) => !keep.has(f)));
      for (const f of drop) {
        const removed = this.#loc.removeSource(p.src, new Set([f]));
        p.src.counters.accepted -= removed;
        const fc = p.fam.get(f);
        if (fc !== undefined) fc[1] = 0;
        p.stale?.delete(f);
      }
      for (const f of keep) {
        // a second loss before the sweep: every path of the family is stale again
        const keys = p.stale?.get(f) ?? new Set<string>();
        for (const [prefix, pathId] of this.#loc.pathsOfSource(f, p.src)) keys.add(preKey(prefix, pathId));
        if (keys.size > 0) (p.stale ??= new Map()).set(f, keys);
      }
      if (p.stale?.size === 0) p.stale = null;
    });
  }

  /**
   * Graceful restart: removes the paths of a peer still stale in `family`
   * (all families when omitted): its End-of-RIB came, or a timer ran out.
   * Returns how many paths were removed.
   */
  sweepStale(id: string, family?: Family): number {
    const p = this.#peer(id);
    const stale = p.stale;
    if (stale === null) return 0;
    return this.#op(() => {
      let n = 0;
      for (const [f, keys] of stale) {
        if (family !== undefined && f !== family) continue;
        for (const key of keys) {
          const [prefix, pathId] = parsePreKey(key);
          if (this.#loc.remove(f, prefix, p.src, pathId)) {
            this.#accepted(p, f, -1);
            n++;
          }
        }
        stale.delete(f);
      }
      if (stale.size === 0) p.stale = null;
      return n;
    });
  }

  /** Per family, how many of a peer's paths are stale (graceful restart); empty when none. */
  staleCounts(id: string): Map<Family, number> {
    const p = this.#peer(id);
    // a family whose stale paths were all re-announced or withdrawn counts as none
    return new Map([...(p.stale ?? [])].filter(([, keys]) => keys.size > 0).map(([f, keys]) => [f, keys.size]));
  }

  /** Whether the path (prefix, path id) of a peer is stale. */
  isStale(id: string, family: Family, prefix: Prefix, pathId: number): boolean {
    return this.#peers.get(id)?.stale?.get(family)?.has(preKey(prefix, pathId)) ?? false;
  }

  // ------------------------------------------------------------ input

  /** Applies a received UPDATE from an Established peer. */
  receiveUpdate(id: string, msg: UpdateMessage): UpdateResult {
    const p = this.#peer(id);
    return this.#op(() => {
      const c = p.src.counters;
      c.updatesIn++;
      const eor = endOfRibFamily(msg);
      if (eor !== null) return { announced: 0, withdrawn: 0, rejectedBy: null, endOfRib: eor };
      const { announced, withdrawn } = updateRoutes(msg);
      let nw = 0;
      let na = 0;
      let rejectedBy: RejectReason | null = isTreatAsWithdraw(msg) ? 'rfc7606' : null;
      for (const [family, list] of withdrawn) nw += this.#withdraw(p, family, list);
      for (const [family, list] of announced) {
        na += list.prefixes.length;
        c.received += list.prefixes.length;
        (p.fam.get(family) as [number, number])[0] += list.prefixes.length;
        const nh = nextHopOf(msg.attributes, family);
        const set = nh === null ? null : this.#interner.intern(receivedAttributes(msg.attributes, p.role), nh);
        const reject = set === null ? 'no-next-hop' : checkReceived(set, p.check, this.#exportCtx);
        if (reject !== null || set === null) {
          rejectedBy = reject;
          c.rejected += list.prefixes.length;
          this.#withdraw(p, family, list); // RFC 7606 §2 style: treat as withdraw
          continue;
        }
        this.#announce(p, family, list, set);
      }
      c.withdrawn += nw;
      return { announced: na, withdrawn: nw, rejectedBy, endOfRib: null };
    });
  }

  #withdraw(p: PeerState, family: Family, list: NlriList): number {
    const pre = p.prePolicy?.get(family);
    const ids = list.pathIds;
    const n = list.prefixes.length;
    const stale = p.stale?.get(family);
    for (let k = 0; k < n; k++) {
      const prefix = list.prefixes[k] as Prefix;
      const id = ids?.[k] ?? 0;
      if (pre !== undefined || stale !== undefined) {
        const key = preKey(prefix, id);
        pre?.delete(key);
        stale?.delete(key);
      }
      if (this.#loc.remove(family, prefix, p.src, id)) this.#accepted(p, family, -1);
    }
    return n;
  }

  #announce(p: PeerState, family: Family, list: NlriList, set: AttrSet): void {
    const pre = p.prePolicy?.get(family);
    const ids = list.pathIds;
    const policy = this.config.importPolicy;
    const c = p.src.counters;
    const n = list.prefixes.length;
    const now = this.#clock();
    // graceful restart: a re-announced path is fresh again (RFC 4724 §4.2)
    const stale = p.stale?.get(family);
    for (let k = 0; k < n; k++) {
      const prefix = list.prefixes[k] as Prefix;
      const id = ids?.[k] ?? 0;
      if (pre !== undefined || stale !== undefined) {
        const key = preKey(prefix, id);
        pre?.set(key, set);
        stale?.delete(key);
      }
      const final = policy === undefined ? set : this.#imported(p, prefix, set);
      if (final === null) {
        c.rejected++;
        if (this.#loc.remove(family, prefix, p.src, id)) this.#accepted(p, family, -1);
      } else if (this.#loc.upsert(family, prefix, p.src, id, final, now)) {
        this.#accepted(p, family, 1);
      }
    }
  }

  #accepted(p: PeerState, family: Family, delta: number): void {
    p.src.counters.accepted += delta;
    (p.fam.get(family) as [number, number])[1] += delta;
  }

  #imported(p: PeerState, prefix: Prefix, set: AttrSet): AttrSet | null {
    const policy = this.config.importPolicy;
    if (policy === undefined) return set;
    const r = policy(prefix, set.attributes, p.config.id);
    if (r === null) return null;
    return r === set.attributes ? set : this.#interner.intern(r, r.nextHop ?? set.nextHop);
  }

  /** Re-applies the import policy to the kept pre-policy routes (soft reconfiguration inbound). False when not kept. */
  softReconfigureIn(id: string): boolean {
    const p = this.#peer(id);
    if (p.prePolicy === null) return false;
    this.#op(() => {
      const now = this.#clock();
      for (const [family, m] of p.prePolicy as Map<Family, Map<string, AttrSet>>) {
        for (const [key, set] of m) {
          const [prefix, pathId] = parsePreKey(key);
          const final = this.#imported(p, prefix, set);
          if (final === null) {
            if (this.#loc.remove(family, prefix, p.src, pathId)) this.#accepted(p, family, -1);
          } else if (this.#loc.upsert(family, prefix, p.src, pathId, final, now)) this.#accepted(p, family, 1);
        }
      }
    });
    return true;
  }

  // ------------------------------------------------------------ local routes

  /** Originates a prefix (or replaces our attributes for it). ORIGIN defaults to IGP, AS_PATH to empty. */
  originate(route: LocalRoute): void {
    const a = route.attributes ?? {};
    const attrs: PathAttributes = { ...a, origin: a.origin ?? Origin.igp, asPath: a.asPath ?? [] };
    const set = this.#interner.intern(attrs, route.nextHop ?? null);
    this.#op(() => {
      this.#loc.upsert(prefixFamily(route.prefix), route.prefix, this.#local, 0, set, this.#clock());
    });
  }

  /** Withdraws a locally originated prefix; false when we did not originate it. */
  withdrawLocal(prefix: Prefix): boolean {
    return this.#op(() => this.#loc.remove(prefixFamily(prefix), prefix, this.#local, 0));
  }

  /** Runs the decision again everywhere (the IGP costs from the hook changed). */
  reevaluate(): void {
    this.#op(() => this.#loc.reevaluate());
  }

  // ------------------------------------------------------------ output

  /** The next encoded UPDATE for the peer's session (its pull source), or null. */
  nextUpdate(id: string): Uint8Array | null {
    return this.#peers.get(id)?.out?.next() ?? null;
  }

  /** True when the peer has UPDATEs to pull. */
  hasPendingUpdates(id: string): boolean {
    return this.#peers.get(id)?.out?.pending ?? false;
  }

  /** Calls `cb(peerId)` when a peer gets new UPDATEs to pull (the speaker then calls Peer.updatesPending()). */
  onUpdatesPending(cb: (peer: string) => void): () => void {
    this.#pendingListeners.add(cb);
    return () => this.#pendingListeners.delete(cb);
  }

  /**
   * The export policy changed: every established peer's Adj-RIB-Out is
   * recomputed, so what the policy now suppresses is withdrawn and what it
   * changes is re-sent, without a session reset.
   */
  reexport(): void {
    this.#op(() => {
      for (const p of this.#peers.values()) {
        const out = p.out;
        if (out === null) continue;
        for (const f of out.families) {
          const table = this.#loc.table(f);
          for (const [prefix, e] of table) if (out.mark(f, prefix, this.#exportFor(p, f, prefix, bestOf(e)))) this.#dirty.add(p);
          for (const prefix of out.advertised(f).keys()) if (!table.has(prefix) && out.mark(f, prefix, null)) this.#dirty.add(p);
        }
      }
    });
  }

  /** The peer sent ROUTE-REFRESH for a family (RFC 2918 §4): send the whole Adj-RIB-Out again. */
  routeRefresh(id: string, family: Family): void {
    const p = this.#peer(id);
    const out = p.out;
    if (out === null || !out.has(family)) return;
    this.#op(() => {
      out.resetAdvertised(family);
      out.startFeed(family, this.#loc.table(family).entries(), false);
      this.#dirty.add(p);
    });
  }

  /** Subscribes to best-path changes (batched per RIB operation). Returns the unsubscribe function. */
  subscribe(listener: BestPathListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A prefix's best path or multipath set changed: mark every Established peer's Adj-RIB-Out, queue the event. */
  #bestChanged(family: Family, prefix: Prefix, prevBest: Path | null, entry: Entry | undefined): void {
    const best = bestOf(entry);
    if (best !== prevBest) {
      for (const p of this.#peers.values()) {
        const out = p.out;
        if (out === null) continue;
        if (out.mark(family, prefix, this.#exportFor(p, family, prefix, best))) this.#dirty.add(p);
      }
    }
    if (this.#listeners.size === 0) return;
    const mp = multipathViews(multipathOf(entry));
    this.#changes.push({
      family,
      prefix,
      kind: best === null ? 'withdrawn' : prevBest === null ? 'added' : 'changed',
      best: best === null ? null : pathView(best),
      reason: best === null ? null : reasonOf(entry),
      nextHops: mp.nextHops,
      multipath: mp.views,
    });
  }

  /** The out attribute set of `best` toward peer `p`, or null (cached per attribute set; export policy per prefix). */
  #exportFor(p: PeerState, family: Family, prefix: Prefix, best: Path | null): AttrSet | null {
    const t = p.target;
    if (best === null || t === null || best.src === p.src) return null;
    let byAttrs = p.cache.get(family);
    if (byAttrs === undefined) p.cache.set(family, (byAttrs = new WeakMap()));
    let bySrc = byAttrs.get(best.attrs);
    if (bySrc === undefined) byAttrs.set(best.attrs, (bySrc = new Map()));
    let out = bySrc.get(best.src);
    if (out === undefined) {
      const e = exportPath(best.src, best.attrs, family, t, this.#exportCtx);
      out = e === null ? null : this.#outInterner.intern(e.attributes, e.nextHop);
      bySrc.set(best.src, out);
    }
    const policy = this.config.exportPolicy;
    if (out === null || policy === undefined) return out;
    const r = policy(prefix, out.attributes, p.config.id, best.src.view);
    if (r === null) return null;
    return r === out.attributes ? out : this.#outInterner.intern(r, r.nextHop ?? out.nextHop);
  }

  // ------------------------------------------------------------ reads

  /** The Loc-RIB of a family, best marked with its reason. */
  *locRib(family: Family): Generator<LocRibEntry> {
    for (const [prefix, e] of this.#loc.table(family)) yield entryView(family, prefix, e);
  }

  /** Number of prefixes in the Loc-RIB of a family. */
  size(family: Family): number {
    return this.#loc.table(family).size;
  }

  /** All candidates of one prefix, ranked, with the decision; null when unknown. */
  lookup(prefix: Prefix): PrefixLookup | null {
    const family = prefixFamily(prefix);
    const e = this.#loc.table(family).get(prefix);
    return e === undefined ? null : lookupView(family, prefix, e, this.#ctx);
  }

  /** A peer's Adj-RIB-In: post-policy (the Loc-RIB candidates from it), or the kept pre-policy routes. */
  *adjIn(id: string, family: Family, prePolicy = false): Generator<AdjInEntry> {
    const p = this.#peer(id);
    if (prePolicy) {
      for (const [key, set] of p.prePolicy?.get(family) ?? []) {
        const [prefix, pathId] = parsePreKey(key);
        yield { prefix, pathId, nextHop: set.nextHop, attributes: set.attributes, since: null };
      }
      return;
    }
    for (const [prefix, e] of this.#loc.table(family)) {
      for (const path of e instanceof Dest ? e.paths : [e]) {
        if (path.src === p.src) yield { prefix, pathId: path.pathId, nextHop: path.attrs.nextHop, attributes: path.attrs.attributes, since: path.since };
      }
    }
  }

  /** What we advertised to a peer in a family (sent, not merely queued). */
  *adjOut(id: string, family: Family): Generator<AdjOutEntry> {
    const out = this.#peer(id).out;
    if (out === null) return;
    for (const [prefix, set] of out.advertised(family)) yield { prefix, nextHop: set.nextHop, attributes: set.attributes };
  }

  /** A peer's counters (live object: read, do not modify). */
  counters(id: string): Readonly<PeerCounters> {
    return this.#peer(id).src.counters;
  }

  /** A peer's prefix counts per family. */
  familyCounters(id: string): FamilyCounters[] {
    const p = this.#peer(id);
    return FAMILIES.map((family) => {
      const [received, accepted] = p.fam.get(family) as [number, number];
      return { family, received, accepted, advertised: p.out?.advertised(family).size ?? 0 };
    });
  }

  /** Prefixes queued toward a peer and not yet pulled. */
  pendingCount(id: string): number {
    return this.#peer(id).out?.pendingCount ?? 0;
  }

  // ------------------------------------------------------------ internals

  #peer(id: string): PeerState {
    const p = this.#peers.get(id);
    if (p === undefined) throw new Error(`unknown peer ${id}`);
    return p;
  }

  /** Runs one RIB operation; at the outermost level delivers the batched events and pending notices. */
  #op<T>(fn: () => T): T {
    this.#depth++;
    try {
      return fn();
    } finally {
      this.#depth--;
      if (this.#depth === 0) this.#flush();
    }
  }

  /**
   * Delivers batched events and pending notices. The RIB is consistent by
   * now; a listener that throws does not stop the others, and the first
   * error is rethrown once all have run.
   */
  #flush(): void {
    let error: unknown = null;
    const call = (f: () => void): void => {
      try {
        f();
      } catch (e) {
        error ??= e;
      }
    };
    if (this.#dirty.size > 0) {
      const dirty = [...this.#dirty];
      this.#dirty.clear();
      for (const p of dirty) for (const cb of this.#pendingListeners) call(() => cb(p.config.id));
    }
    if (this.#changes.length > 0) {
      const changes = this.#changes;
      this.#changes = [];
      for (const l of this.#listeners) call(() => l(changes));
    }
    if (error !== null) throw error;
  }
}
