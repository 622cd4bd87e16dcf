// The BGP speaker: ties the session layer (Peer, Listener) to the RIB
// (bgp/rib). Neighbours are configured and removed at run time; one Listener
// takes inbound connections (collisions are resolved by the Peer); received
// UPDATEs go to the RIB, which runs the decision process and marks each
// Adj-RIB-Out; each Established session pulls its UPDATEs as its socket
// drains. Originate/withdraw for local routes, best-path change
// subscriptions for the routes controller, read views for the management
// API, and per-neighbour reset / soft reset / shutdown / enable. Nothing a
// peer sends, and no subscriber, can throw out of here: errors are logged and
// stay with their session.
// RFCs: 4271 §8.2.2 (Idle refuses connections: see #accept), §5.1.2 (AS_PATH
// prepend toward eBGP: local-AS override and extra prepends), 2918 (route
// refresh: soft reset in; answered by re-sending the Adj-RIB-Out), 4486
// (Cease subcodes for reset, shutdown, deconfiguration, configuration
// change), 9003 (shutdown communication), 4760 (families per neighbour).
import type { Socket } from 'node:net';
import type { DestinationView, GlobalView, GracefulRestartView, LastErrorView, MessageCountersView, NeighborView, PathView } from './api.ts';
import { Rib, type BestPathChange, type PathSource } from './rib/index.ts';
import { Listener, Peer, canonicalAddress, realClock, type Clock, type ListenerPeer, type PeerDown, type SessionInfo, type TimerHandle } from './session/index.ts';
import { FAMILIES, familyAfiSafi, type Asn, type Family, type Prefix, type RouterId } from './types.ts';
import { CeaseSubcode, ErrorCode, encodeRouteRefresh, type PathAttributes, type UpdateMessage } from './wire/index.ts';
import { SpeakerError, neighborKey, originAttributes, peerConfigOf, type NeighborConfig, type OriginateRequest, type SpeakerOptions } from './speaker/config.ts';
import { adjInPaths, adjOutPaths, familyCounts, ribDestinations, type Ager } from './speaker/reads.ts';
import { compilePolicies, runChain, type PolicyDefinition, type PolicyTable } from './policy/index.ts';
import { BfdTransport } from './bfd/transport.ts';
import { DEFAULT_BFD, type BfdSession } from './bfd/session.ts';
import { compareAddresses, comparePrefixes, neighborView, notificationView } from './speaker/views.ts';

type Counters = { -readonly [K in keyof MessageCountersView]: number };

interface Neighbor {
  readonly config: NeighborConfig;
  readonly address: string;
  readonly key: string;
  readonly peer: Peer;
  /** What the Listener routes this neighbour's connections to (see #accept). */
  readonly gate: ListenerPeer;
  enabled: boolean;
  info: SessionInfo | null;
  /** Messages queued ahead of the RIB's UPDATEs (ROUTE-REFRESH). */
  readonly queue: Uint8Array[];
  readonly counters: Counters;
  upDownAt: number | null;
  establishedAt: number | null;
  stateReason: string;
  lastError: LastErrorView | null;
  /** When each family's End-of-RIB arrived on the current session (epoch ms). */
  readonly endOfRib: Map<Family, number>;
  /** Max-prefix: set while the session is held down after the limit was exceeded (epoch ms of the restart, or 0: until reset/enable). */
  maxPrefixHold: { readonly until: number; readonly timer: TimerHandle | null } | null;
  /** The BFD session with this neighbour (config.bfd), from its first BGP session on. */
  bfd: BfdSession | null;
  /** Max-prefix: the warning threshold was logged for the current session. */
  maxPrefixWarned: boolean;
  /** Graceful restart helper: runs while the peer is gone (its Restart Time), then sweeps its stale routes. */
  grRestartTimer: TimerHandle | null;
  /** Graceful restart helper: runs once the peer is back, until its End-of-RIB sweeps what stayed stale. */
  grStaleTimer: TimerHandle | null;
}

export class Speaker {
  readonly asn: Asn;
  readonly routerId: RouterId;
  readonly #opts: SpeakerOptions;
  readonly #clock: Clock;
  readonly #listener: Listener | null;
  readonly #neighbors = new Map<string, Neighbor>();
  readonly #rib: Rib;
  readonly #originated = new Map<Prefix, OriginateRequest>();
  #policies: PolicyTable;
  #bfd: BfdTransport | null = null;
  #started = false;

  constructor(opts: SpeakerOptions) {
    this.asn = opts.asn;
    this.routerId = opts.routerId;
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
    this.#policies = compilePolicies(opts.policies ?? []);
    const l = opts.listen ?? {};
    this.#listener = l === false ? null : new Listener({ ...(l.addresses !== undefined ? { addresses: l.addresses } : {}), ...(l.port !== undefined ? { port: l.port } : {}) });
    if (this.#listener !== null) this.#listener.onRejected = (r) => this.#log('debug', 'connection refused', { ...r });
    this.#rib = new Rib({
      localAsn: opts.asn,
      routerId: opts.routerId,
      ...(opts.maxPaths !== undefined ? { maxPaths: opts.maxPaths } : {}),
      ...(opts.clusterId !== undefined ? { clusterId: opts.clusterId } : {}),
      importPolicy: (prefix, attributes, from) => this.#importPolicy(prefix, attributes, from),
      exportPolicy: (prefix, attributes, target, source) => this.#exportPolicy(prefix, attributes, target, source),
    });
    this.#rib.onUpdatesPending((id) => this.#neighbors.get(id)?.peer.updatesPending());
  }

  /** Binds the listener and starts every enabled neighbour. */
  async start(): Promise<void> {
    await this.#listener?.listen();
    this.#started = true;
    for (const n of this.#neighbors.values()) if (n.enabled) n.peer.start();
  }

  /**
   * Cease (Administrative Shutdown, RFC 9003 message) to every neighbour, then
   * closes everything. `restart`: with graceful restart on, the connections
   * are dropped without a NOTIFICATION instead, so that helpers keep our
   * routes (RFC 4724 §4.2) until we are back and send End-of-RIB.
   */
  async stop(message = 'speaker shutting down', opts: { restart?: boolean } = {}): Promise<void> {
    this.#started = false;
    await this.#listener?.close();
    for (const n of this.#neighbors.values()) this.#grCancel(n);
    if (opts.restart !== true || this.#opts.gracefulRestart === undefined) {
      await Promise.all([...this.#neighbors.values()].map((n) => n.peer.stop({ subcode: CeaseSubcode.administrativeShutdown, message, hardReset: this.#hardReset(n) })));
    }
    for (const n of this.#neighbors.values()) n.peer.dispose();
    this.#bfd?.close();
    this.#bfd = null;
  }

  /** The (address, port) pairs the listener is bound to. */
  get listening(): readonly { address: string; port: number }[] {
    return this.#listener?.bound ?? [];
  }

  // ---------------------------------------------------------------- neighbours

  /** Adds a neighbour; starts it when the speaker runs and it is enabled. */
  addNeighbor(config: NeighborConfig): void {
    const address = canonicalAddress(config.address);
    if (this.#neighbors.has(address)) throw new SpeakerError('exists', `neighbor ${address} already exists`);
    for (const name of [...(config.importPolicies ?? []), ...(config.exportPolicies ?? [])]) {
      if (!this.#policies.has(name)) throw new SpeakerError('invalid', `neighbor ${address}: no policy named ${JSON.stringify(name)}`);
    }
    const localAddress = config.localAddress ?? this.#defaultLocalAddress(address);
    const peerConfig = peerConfigOf(config, { asn: this.asn, routerId: this.routerId, clock: this.#clock, gracefulRestart: this.#opts.gracefulRestart }, localAddress);
    let peer: Peer;
    try {
      peer = new Peer(peerConfig);
    } catch (e) {
      throw new SpeakerError('invalid', `neighbor ${address}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const ibgp = config.remoteAsn === (config.localAsn ?? this.asn);
    this.#rib.addPeer({
      id: address,
      asn: config.remoteAsn,
      role: !ibgp ? 'ebgp' : config.routeReflectorClient === true ? 'rr-client' : 'ibgp',
      ...(config.nextHopIpv4 !== undefined ? { localNextHop4: config.nextHopIpv4 } : {}),
      ...(config.nextHopIpv6 !== undefined ? { localNextHop6: config.nextHopIpv6 } : {}),
    });
    const n: Neighbor = {
      config,
      address,
      key: neighborKey(config),
      peer,
      // the Listener reads remoteAddress, transport (MD5 key, TTLs) and accept()
      gate: { remoteAddress: peer.remoteAddress, transport: peer.transport, accept: (socket: Socket) => this.#accept(n, socket) },
      enabled: config.enabled ?? true,
      info: null,
      queue: [],
      counters: { updatesIn: 0, updatesOut: 0, notificationsIn: 0, notificationsOut: 0, routeRefreshIn: 0, routeRefreshOut: 0, established: 0 },
      upDownAt: null,
      establishedAt: null,
      stateReason: 'configured',
      lastError: null,
      endOfRib: new Map(),
      grRestartTimer: null,
      grStaleTimer: null,
      maxPrefixHold: null,
      maxPrefixWarned: false,
      bfd: null,
    };
    peer.hooks = {
      onStateChange: (c) => {
        n.stateReason = c.reason;
        this.#log('debug', 'neighbor state', { neighbor: address, from: c.from, to: c.to, peerState: c.peerState, reason: c.reason });
      },
      onEstablished: (info) => this.#guard(n, 'established', () => this.#onEstablished(n, info)),
      onDown: (down) => this.#guard(n, 'down', () => this.#onDown(n, down)),
      onUpdate: (msg) => this.#guard(n, 'update', () => this.#onUpdate(n, msg)),
      onRouteRefresh: (msg) =>
        this.#guard(n, 'route-refresh', () => {
          n.counters.routeRefreshIn++;
          const f = FAMILIES.find((x) => familyAfiSafi(x).afi === msg.afi && familyAfiSafi(x).safi === msg.safi);
          // RFC 2918 §4: re-send the Adj-RIB-Out of that family; RFC 7313 BoRR/EoRR markers are ignored
          if (f !== undefined && msg.subtype === 'normal') this.#rib.routeRefresh(address, f);
        }),
      nextUpdate: () => this.#pull(n),
    };
    this.#neighbors.set(address, n);
    this.#listener?.addPeer(n.gate);
    if (this.#started && n.enabled) peer.start();
    this.#log('info', 'neighbor added', { neighbor: address, remoteAsn: config.remoteAsn });
  }

  /** Stops (Cease / Peer De-configured, RFC 4486) and forgets a neighbour, withdrawing its routes. */
  async removeNeighbor(address: string, subcode: number = CeaseSubcode.peerDeconfigured): Promise<void> {
    const n = this.#get(address);
    this.#neighbors.delete(n.address);
    this.#listener?.removePeer(n.gate);
    this.#grCancel(n);
    n.maxPrefixHold?.timer?.cancel();
    this.#bfd?.remove(n.address);
    n.bfd = null;
    await n.peer.stop({ subcode, hardReset: this.#hardReset(n) });
    n.peer.dispose();
    this.#rib.removePeer(n.address);
    this.#log('info', 'neighbor removed', { neighbor: n.address });
  }

  /**
   * Adds, replaces or leaves a neighbour: unchanged configuration keeps the
   * session as it is; a changed one restarts it (Cease / Other Configuration
   * Change, RFC 4486); `enabled` alone toggles shutdown/enable.
   */
  async setNeighbor(config: NeighborConfig): Promise<'added' | 'changed' | 'unchanged'> {
    const n = this.#neighbors.get(canonicalAddress(config.address));
    if (n === undefined) {
      this.addNeighbor(config);
      return 'added';
    }
    const enabled = config.enabled ?? true;
    if (n.key === neighborKey(config)) {
      if (enabled !== n.enabled) await (enabled ? this.enable(n.address) : this.shutdown(n.address, 'disabled by configuration'));
      return 'unchanged';
    }
    await this.removeNeighbor(n.address, CeaseSubcode.otherConfigurationChange);
    this.addNeighbor(config);
    return 'changed';
  }

  /** Addresses of the configured neighbours. */
  neighborAddresses(): string[] {
    return [...this.#neighbors.keys()];
  }

  // ---------------------------------------------------------------- per-neighbour actions

  /** Hard reset: Cease / Administrative Reset with an RFC 9003 message, then reconnect. */
  async reset(address: string, message = 'administrative reset'): Promise<void> {
    const n = this.#get(address);
    if (n.maxPrefixHold !== null) {
      // a reset ends a max-prefix hold (RFC 4486 §4 leaves the restart to the operator)
      n.maxPrefixHold.timer?.cancel();
      n.maxPrefixHold = null;
      n.enabled = true;
    }
    await n.peer.stop({ subcode: CeaseSubcode.administrativeReset, message, hardReset: this.#hardReset(n) });
    if (n.enabled && this.#started) n.peer.start();
  }

  /** Soft reset: 'in' asks the neighbour to re-send (ROUTE-REFRESH), 'out' re-sends our Adj-RIB-Out. */
  softReset(address: string, direction: 'in' | 'out' | 'both' = 'both'): Promise<void> {
    const n = this.#get(address);
    const info = n.info;
    if (info === null) throw new SpeakerError('invalid', `neighbor ${n.address} is not established`);
    const families = FAMILIES.filter((f) => info.capabilities.families.has(f));
    if (direction !== 'out') {
      if (!info.capabilities.routeRefresh) throw new SpeakerError('unsupported', `neighbor ${n.address} did not advertise route refresh (RFC 2918)`);
      // RFC 2918 §3: one ROUTE-REFRESH per negotiated family
      for (const f of families) {
        n.queue.push(encodeRouteRefresh({ type: 'route-refresh', ...familyAfiSafi(f), subtype: 'normal' }));
        n.counters.routeRefreshOut++;
      }
      n.peer.updatesPending();
    }
    if (direction !== 'in') for (const f of families) this.#rib.routeRefresh(n.address, f);
    return Promise.resolve();
  }

  /** Administrative shutdown (Cease 2 with an RFC 9003 message); stays down until enable(). */
  async shutdown(address: string, message = 'administrative shutdown'): Promise<void> {
    const n = this.#get(address);
    n.enabled = false;
    await n.peer.stop({ subcode: CeaseSubcode.administrativeShutdown, message, hardReset: this.#hardReset(n) });
  }

  /** Re-enables a shut-down neighbour (also one held down by its maximum number of prefixes). */
  enable(address: string): Promise<void> {
    const n = this.#get(address);
    n.maxPrefixHold?.timer?.cancel();
    n.maxPrefixHold = null;
    n.enabled = true;
    if (this.#started) n.peer.start();
    return Promise.resolve();
  }

  /**
   * The import or export policy's decisions changed: exports are recomputed
   * for every neighbour (withdrawing what is now suppressed) and, for import,
   * neighbours that support it are asked to send their routes again
   * (ROUTE-REFRESH, RFC 2918), so the new import policy applies without a
   * session reset.
   */
  policiesChanged(what: { readonly import?: boolean; readonly export?: boolean }): void {
    if (what.export === true) this.#rib.reexport();
    if (what.import !== true) return;
    for (const n of this.#neighbors.values()) {
      const info = n.info;
      if (info === null) continue;
      if (!info.capabilities.routeRefresh) {
        this.#log('warn', 'import policy changed but the neighbor does not support route refresh: it applies to routes it sends from now on', { neighbor: n.address });
        continue;
      }
      void this.softReset(n.address, 'in').catch((e: unknown) => this.#log('warn', 'route refresh failed', { neighbor: n.address, error: e instanceof Error ? e.message : String(e) }));
    }
  }

  // ---------------------------------------------------------------- local routes

  /** Originates (or updates) a local route. */
  originate(r: OriginateRequest): void {
    const prev = this.#originated.get(r.prefix);
    if (prev !== undefined && JSON.stringify(prev) === JSON.stringify(r)) return;
    this.#originated.set(r.prefix, r);
    const attributes = originAttributes(r);
    this.#rib.originate({ prefix: r.prefix, attributes, nextHop: r.nextHop ?? null });
  }

  /** Withdraws a local route; false when it was not originated. */
  withdraw(prefix: Prefix): boolean {
    if (!this.#originated.delete(prefix)) return false;
    this.#rib.withdrawLocal(prefix);
    return true;
  }

  /** The originated routes. */
  originated(): OriginateRequest[] {
    return [...this.#originated.values()];
  }

  /**
   * Subscribes to Loc-RIB best-path changes (batched per RIB operation: an
   * UPDATE, an originate, a session going down). A throwing listener is
   * logged and does not disturb the others. Returns the unsubscribe function.
   */
  onBestPathChange(listener: (changes: readonly BestPathChange[]) => void): () => void {
    return this.#rib.subscribe((changes) => {
      try {
        listener(changes);
      } catch (e) {
        this.#log('error', 'best-path subscriber failed', { error: e instanceof Error ? e.message : String(e) });
      }
    });
  }

  // ---------------------------------------------------------------- views

  globalView(): GlobalView {
    const ns = [...this.#neighbors.values()];
    return {
      asn: this.asn,
      routerId: this.routerId,
      listen: this.listening,
      neighbors: ns.length,
      established: ns.filter((n) => n.info !== null).length,
      destinations: { 'ipv4-unicast': this.#rib.size('ipv4-unicast'), 'ipv6-unicast': this.#rib.size('ipv6-unicast') },
    };
  }

  neighbors(): NeighborView[] {
    return [...this.#neighbors.values()].sort((a, b) => compareAddresses(a.address, b.address)).map((n) => this.#neighborView(n));
  }

  neighbor(address: string): NeighborView {
    return this.#neighborView(this.#get(address));
  }

  /** The Loc-RIB with every candidate path, best first; optionally one family and/or one prefix. */
  rib(family?: Family, prefix?: Prefix): DestinationView[] {
    return ribDestinations(this.#rib, this.#ager(), family, prefix);
  }

  /** The paths a neighbour sent us that are in the RIB. */
  adjIn(address: string, family?: Family): PathView[] {
    return adjInPaths(this.#rib, this.#get(address).address, this.#ager(), family);
  }

  /** What we advertised to a neighbour (sent, not merely queued). */
  adjOut(address: string, family?: Family): PathView[] {
    return adjOutPaths(this.#rib, this.#get(address).address, this.#ager(), family);
  }

  // ---------------------------------------------------------------- internals

  #get(address: string): Neighbor {
    const n = this.#neighbors.get(canonicalAddress(address));
    if (n === undefined) throw new SpeakerError('not-found', `no such neighbor: ${address}`);
    return n;
  }

  #log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    try {
      this.#opts.log?.(level, msg, fields);
    } catch {
      // a broken log sink must not break the speaker
    }
  }

  /** Runs a hook body; an exception is logged and stays with this neighbour. */
  #guard(n: Neighbor, what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.#log('error', `neighbor ${what} handling failed`, { neighbor: n.address, error: e instanceof Error ? e.stack : String(e) });
    }
  }

  /** The first specific listen address of the neighbour's family, if any. */
  #defaultLocalAddress(neighbor: string): string | undefined {
    const l = this.#opts.listen;
    if (l === false || l === undefined) return undefined;
    const v6 = neighbor.includes(':');
    return (l.addresses ?? []).find((a) => a.includes(':') === v6 && a !== '0.0.0.0' && a !== '::');
  }

  /** Ages of paths in seconds, as of now, from the RIB's record of when each path was received or last changed. */
  #ager(): Ager {
    const now = Date.now();
    return (since) => (since === undefined || since === null ? null : Math.max(0, Math.round((now - since) / 1000)));
  }

  /**
   * An inbound connection for `n`. RFC 4271 §8.2.2 Idle refuses connections,
   * so two speakers that both connect and both wait out an IdleHold after a
   * failure can keep refusing each other in lockstep (each connects while the
   * other is idle). A connection from an enabled neighbour that is waiting to
   * restart is therefore taken as a passive start (event 4) on the spot.
   */
  #accept(n: Neighbor, socket: Socket): boolean {
    if (n.peer.accept(socket)) return true;
    const [only, ...more] = n.peer.sessions;
    if (!n.enabled || !this.#started || only === undefined || more.length > 0 || only.state.name !== 'Idle') return false;
    only.handle({ type: 'ManualStart_with_PassiveTcpEstablishment' });
    this.#log('debug', 'incoming connection while idle: passive start', { neighbor: n.address });
    return n.peer.accept(socket);
  }

  #onEstablished(n: Neighbor, info: SessionInfo): void {
    const now = Date.now();
    n.maxPrefixWarned = false;
    n.info = info;
    n.queue.length = 0;
    n.counters.established++;
    n.upDownAt = now;
    n.establishedAt = now;
    n.endOfRib.clear();
    this.#log('info', 'neighbor established', { neighbor: n.address, peerAsn: info.negotiated.peerAsn, peerId: info.negotiated.peerId, holdTimeS: info.negotiated.holdTimeS });
    this.#rib.peerUp(n.address, info);
    this.#grPeerBack(n, info);
    if (n.config.bfd !== undefined && n.bfd === null) void this.#startBfd(n, info.localAddress);
  }

  /** RFC 5882 §4.3: BFD Up -> Down closes the BGP session at once; it restarts and comes back when the path does. */
  async #startBfd(n: Neighbor, local: string): Promise<void> {
    const c = n.config.bfd ?? {};
    const params = { minTxMs: c.minTxMs ?? DEFAULT_BFD.minTxMs, minRxMs: c.minRxMs ?? DEFAULT_BFD.minRxMs, multiplier: c.multiplier ?? DEFAULT_BFD.multiplier };
    try {
      this.#bfd ??= new BfdTransport(this.#clock, (msg, fields) => this.#log('warn', msg, fields), this.#opts.bfdPort);
      const s = await this.#bfd.add(n.address, canonicalAddress(local), params);
      n.bfd = s;
      s.onChange = (ch) => {
        this.#log(ch.to === 'Up' || ch.from === 'Up' ? 'info' : 'debug', 'BFD session state', { neighbor: n.address, from: ch.from, to: ch.to, diag: ch.diag, detectMs: s.detectMs });
        if (ch.from !== 'Up' || ch.to !== 'Down' || n.info === null) return;
        this.#log('warn', 'BFD down: closing the BGP session', { neighbor: n.address, diag: ch.diag });
        void n.peer.stop({ subcode: CeaseSubcode.bfdDown }).then(() => {
          if (n.enabled && this.#started && this.#neighbors.get(n.address) === n) n.peer.start();
        });
      };
    } catch (e) {
      this.#log('error', 'BFD session not started', { neighbor: n.address, error: e instanceof Error ? e.message : String(e) });
    }
  }

  #onDown(n: Neighbor, down: PeerDown): void {
    const now = Date.now();
    if (down.sent !== null) n.counters.notificationsOut++;
    if (down.received !== null) n.counters.notificationsIn++;
    const notification = down.received !== null ? notificationView('received', down.received) : down.sent !== null ? notificationView('sent', down.sent) : null;
    n.lastError = { reason: down.reason, at: now, notification };
    n.upDownAt = now;
    n.establishedAt = null;
    n.info = null;
    n.queue.length = 0;
    n.endOfRib.clear();
    this.#log('warn', 'neighbor down', { neighbor: n.address, reason: down.reason, communication: notification?.communication ?? undefined });
    const retain = this.#grRetain(down);
    this.#rib.peerDown(n.address, retain);
    // a speaker that is stopping arms no timers (they would hold the process up)
    if (retain.size > 0 && this.#started) this.#grPeerGone(n, down);
  }

  /** RFC 4271 §9: the RIB applies the UPDATE; the speaker keeps the ages of the routes for the views. */
  #onUpdate(n: Neighbor, msg: UpdateMessage): void {
    n.counters.updatesIn++;
    const r = this.#rib.receiveUpdate(n.address, msg);
    // RFC 4724 §2: the neighbour finished its initial announcements of this family
    if (r.endOfRib !== null) {
      n.endOfRib.set(r.endOfRib, Date.now());
      // RFC 4724 §4.2: the End-of-RIB of a family ends its stale routes' grace
      if (n.grStaleTimer !== null) this.#grSweep(n, r.endOfRib, 'End-of-RIB received');
    }
    // per-route ages live in the RIB's paths (PathView.since): nothing per prefix here, this is the full-table hot path
    if (r.rejectedBy !== null) this.#log('warn', 'UPDATE routes refused', { neighbor: n.address, reason: r.rejectedBy, errors: msg.errors?.map((e) => e.message) });
    if (r.announced > 0 && n.config.maxPrefixes !== undefined) this.#checkMaxPrefixes(n, msg);
  }

  /**
   * RFC 4486 §4: more prefixes accepted than the neighbour may send: Cease /
   * Maximum Number of Prefixes Reached with AFI, SAFI and the limit as data,
   * then the session stays down for the restart time (or until reset/enable).
   */
  #checkMaxPrefixes(n: Neighbor, msg: UpdateMessage): void {
    const mp = n.config.maxPrefixes;
    if (mp === undefined) return;
    const accepted = this.#rib.counters(n.address).accepted;
    const warnAt = Math.ceil((mp.limit * (mp.warningPercent ?? 75)) / 100);
    if (accepted >= warnAt && !n.maxPrefixWarned) {
      n.maxPrefixWarned = true;
      this.#log('warn', 'neighbor close to its maximum number of prefixes', { neighbor: n.address, accepted, limit: mp.limit });
    }
    if (accepted <= mp.limit || n.maxPrefixHold !== null) return;
    const family = msg.attributes.mpReach?.family ?? 'ipv4-unicast';
    const { afi, safi } = familyAfiSafi(family);
    const data = Uint8Array.of(afi >> 8, afi & 255, safi, (mp.limit >>> 24) & 255, (mp.limit >>> 16) & 255, (mp.limit >>> 8) & 255, mp.limit & 255);
    const restartMs = (mp.restartS ?? 0) * 1000;
    this.#log('error', 'neighbor exceeded its maximum number of prefixes: closing the session', { neighbor: n.address, accepted, limit: mp.limit, restartS: mp.restartS ?? null });
    n.enabled = false;
    const timer =
      restartMs > 0
        ? this.#clock.setTimer(restartMs, () => {
            n.maxPrefixHold = null;
            n.enabled = true;
            this.#log('info', 'max-prefix restart time over: starting the session again', { neighbor: n.address });
            if (this.#started) n.peer.start();
          })
        : null;
    n.maxPrefixHold = { until: restartMs > 0 ? Date.now() + restartMs : 0, timer };
    void n.peer.stop({ subcode: CeaseSubcode.maxPrefixesReached, data }).catch(() => undefined);
  }

  // ---------------------------------------------------------------- graceful restart (RFC 4724, 8538)

  /** Both sides sent the N bit (RFC 8538 §2): an administrative Cease must then be a Hard Reset to flush. */
  #hardReset(n: Neighbor): boolean {
    const info = n.peer.info;
    return this.#opts.gracefulRestart !== undefined && info?.capabilities.peerGracefulRestart?.notification === true;
  }

  /**
   * The families whose routes survive a lost session (RFC 4724 §4.2): those in
   * the peer's graceful restart capability, when we do graceful restart too
   * and the session ended by TCP failure, hold timer expiry, or (RFC 8538 §4,
   * both N bits) any NOTIFICATION other than a Hard Reset.
   */
  #grRetain(down: PeerDown): Set<Family> {
    const cap = down.info.capabilities.peerGracefulRestart;
    if (this.#opts.gracefulRestart === undefined || cap === null || cap.time === 0) return new Set();
    const note = down.received ?? down.sent;
    const hard = note !== null && note.code === ErrorCode.cease && note.subcode === CeaseSubcode.hardReset;
    const graceful = note === null || (note.code === ErrorCode.holdTimerExpired && down.received === null) || (cap.notification && !hard);
    if (!graceful) return new Set();
    const negotiated = down.info.capabilities.families;
    return new Set(cap.families.map((f) => FAMILIES.find((x) => familyAfiSafi(x).afi === f.afi && familyAfiSafi(x).safi === f.safi)).filter((f): f is Family => f !== undefined && negotiated.has(f)));
  }

  /** The peer is gone with stale routes kept: they wait its Restart Time for the session to come back. */
  #grPeerGone(n: Neighbor, down: PeerDown): void {
    const time = down.info.capabilities.peerGracefulRestart?.time ?? 0;
    this.#grCancel(n);
    this.#log('info', 'graceful restart: keeping the neighbor\'s routes as stale', { neighbor: n.address, restartTimeS: time, stale: Object.fromEntries(this.#rib.staleCounts(n.address)) });
    n.grRestartTimer = this.#clock.setTimer(time * 1000, () => {
      n.grRestartTimer = null;
      this.#guard(n, 'graceful restart timer', () => this.#grSweep(n, undefined, 'restart time expired'));
    });
  }

  /**
   * The peer is back: families it no longer preserves (absent from its new
   * capability, or F bit clear) are swept at once (RFC 4724 §4.2); the rest
   * wait for its End-of-RIB, at most the stale-path time.
   */
  #grPeerBack(n: Neighbor, info: SessionInfo): void {
    n.grRestartTimer?.cancel();
    n.grRestartTimer = null;
    const stale = this.#rib.staleCounts(n.address);
    if (stale.size === 0) return;
    const cap = info.capabilities.peerGracefulRestart;
    for (const f of stale.keys()) {
      const { afi, safi } = familyAfiSafi(f);
      const kept = cap?.families.find((x) => x.afi === afi && x.safi === safi);
      if (kept === undefined || !kept.forwarding || !info.capabilities.families.has(f)) this.#grSweep(n, f, 'forwarding state not preserved');
    }
    if (this.#rib.staleCounts(n.address).size === 0) return;
    const t = this.#opts.gracefulRestart?.stalePathTimeS ?? 360;
    n.grStaleTimer?.cancel();
    n.grStaleTimer = this.#clock.setTimer(t * 1000, () => {
      n.grStaleTimer = null;
      this.#guard(n, 'graceful restart stale-path timer', () => this.#grSweep(n, undefined, 'stale-path time expired before End-of-RIB'));
    });
  }

  #grSweep(n: Neighbor, family: Family | undefined, why: string): void {
    const removed = this.#rib.sweepStale(n.address, family);
    if (removed > 0 || family === undefined) this.#log('info', 'graceful restart: stale routes swept', { neighbor: n.address, family: family ?? 'all', removed, why });
    if (this.#rib.staleCounts(n.address).size === 0) this.#grCancel(n);
  }

  #grView(n: Neighbor): GracefulRestartView {
    const cap = (n.info ?? n.peer.lastDown?.info ?? null)?.capabilities.peerGracefulRestart ?? null;
    const stale = this.#rib.staleCounts(n.address);
    return {
      enabled: this.#opts.gracefulRestart !== undefined,
      peerRestartTimeS: cap?.time ?? null,
      notification: this.#opts.gracefulRestart !== undefined && cap?.notification === true,
      state: stale.size === 0 ? 'none' : n.info === null ? 'peer-restarting' : 'waiting-end-of-rib',
      stale: FAMILIES.filter((f) => stale.has(f)).map((family) => ({ family, routes: stale.get(family) ?? 0 })),
    };
  }

  #grCancel(n: Neighbor): void {
    n.grRestartTimer?.cancel();
    n.grRestartTimer = null;
    n.grStaleTimer?.cancel();
    n.grStaleTimer = null;
  }

  /**
   * Export policy hook of the RIB, run after its eBGP/iBGP rules: the
   * local-AS override replaces the AS the RIB prepended, and originated
   * routes get their extra prepends (RFC 4271 §5.1.2), toward eBGP only.
   */
  #exportPolicy(prefix: Prefix, a: PathAttributes, target: string, source: PathSource): PathAttributes | null {
    const n = this.#neighbors.get(target);
    if (n === undefined) return a;
    const built = this.#exportPrepend(n, prefix, a, source);
    const ours = n.config.localAsn ?? this.asn;
    const ibgp = n.config.remoteAsn === ours;
    const policy = this.#opts.exportPolicy;
    const app = policy === undefined ? built : policy(prefix, built, { address: n.address, remoteAsn: n.config.remoteAsn, ibgp }, source.kind === 'local' ? 'local' : 'peer');
    if (app === null) return null;
    const chain = n.config.exportPolicies ?? [];
    // RFC 8212 §2: no export policy toward an eBGP neighbour, nothing sent
    if (chain.length === 0) return !ibgp && this.#opts.ebgpRequirePolicy === true ? null : app;
    return runChain(this.#policies, chain, prefix, app, { neighbor: n.address, neighborAsn: n.config.remoteAsn, localAsn: ours });
  }

  /** The neighbour's import chain (RFC 8212 for eBGP without one), then the app's import policy. */
  #importPolicy(prefix: Prefix, a: PathAttributes, from: string): PathAttributes | null {
    const n = this.#neighbors.get(from);
    if (n === undefined) return a;
    const ours = n.config.localAsn ?? this.asn;
    const chain = n.config.importPolicies ?? [];
    let r: PathAttributes | null = a;
    if (chain.length === 0) {
      if (n.config.remoteAsn !== ours && this.#opts.ebgpRequirePolicy === true) return null;
    } else r = runChain(this.#policies, chain, prefix, a, { neighbor: n.address, neighborAsn: n.config.remoteAsn, localAsn: ours });
    if (r === null) return null;
    return this.#opts.importPolicy === undefined ? r : this.#opts.importPolicy(prefix, r, from);
  }

  /**
   * Replaces the named policies (validated definitions) and re-applies them:
   * exports recomputed, ROUTE-REFRESH to every neighbour that supports it;
   * no session is reset. Throws when a neighbour refers to a name that would
   * no longer exist.
   */
  setPolicies(defs: readonly PolicyDefinition[]): void {
    const table = compilePolicies(defs);
    for (const n of this.#neighbors.values()) {
      for (const name of [...(n.config.importPolicies ?? []), ...(n.config.exportPolicies ?? [])]) {
        if (!table.has(name)) throw new SpeakerError('invalid', `neighbor ${n.address} uses policy ${JSON.stringify(name)}, which the new set lacks`);
      }
    }
    this.#policies = table;
    this.policiesChanged({ import: true, export: true });
  }

  #exportPrepend(n: Neighbor, prefix: Prefix, a: PathAttributes, source: PathSource): PathAttributes {
    const ours = n.config.localAsn ?? this.asn;
    if (n.config.remoteAsn === ours) return a;
    const extra = source.kind === 'local' ? (this.#originated.get(prefix)?.asPathPrepend ?? 0) : 0;
    if (ours === this.asn && extra === 0) return a;
    const [head, ...rest] = a.asPath ?? [];
    if (head === undefined || head.type !== 'sequence') return a;
    const asns = [...Array.from({ length: 1 + extra }, () => ours), ...head.asns.slice(1)];
    return { ...a, asPath: [{ type: 'sequence', asns }, ...rest] };
  }

  #pull(n: Neighbor): Uint8Array | null {
    try {
      const q = n.queue.shift();
      if (q !== undefined) return q;
      const m = this.#rib.nextUpdate(n.address);
      if (m !== null) n.counters.updatesOut++;
      return m;
    } catch (e) {
      this.#log('error', 'building UPDATEs failed', { neighbor: n.address, error: e instanceof Error ? e.message : String(e) });
      return null;
    }
  }

  #neighborView(n: Neighbor): NeighborView {
    const c = n.config;
    const perFamily = familyCounts(this.#rib, n.address);
    return neighborView(
      {
        address: n.address,
        port: c.port ?? 179,
        remoteAsn: c.remoteAsn,
        localAsn: c.localAsn ?? this.asn,
        passive: c.passive ?? false,
        enabled: n.enabled,
        families: c.families ?? FAMILIES,
        holdTimeS: c.holdTimeS ?? 90,
        keepaliveS: c.keepaliveS ?? null,
        routeReflectorClient: c.routeReflectorClient ?? false,
        state: n.peer.state,
        stateReason: n.stateReason,
        upDownAt: n.upDownAt,
        establishedAt: n.establishedAt,
        info: n.info,
        messages: n.counters,
        rib: this.#rib.counters(n.address),
        perFamily,
        endOfRib: n.endOfRib,
        lastError: n.lastError,
        gracefulRestart: this.#grView(n),
        bfd: n.bfd === null ? null : { state: n.bfd.state, remoteState: n.bfd.remoteState, diag: n.bfd.diag, detectMs: n.bfd.detectMs, minTxMs: n.bfd.params.minTxMs, minRxMs: n.bfd.params.minRxMs, multiplier: n.bfd.params.multiplier },
        maxPrefixes:
          c.maxPrefixes === undefined
            ? null
            : { limit: c.maxPrefixes.limit, restartS: c.maxPrefixes.restartS ?? null, heldDown: n.maxPrefixHold !== null, restartAt: n.maxPrefixHold === null || n.maxPrefixHold.until === 0 ? null : n.maxPrefixHold.until },
      },
      Date.now(),
    );
  }
}

export { comparePrefixes, neighborKey, SpeakerError };
export type { GracefulRestartOptions, NeighborConfig, OriginateRequest, SpeakerErrorKind, SpeakerOptions } from './speaker/config.ts';
