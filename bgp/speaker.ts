// The BGP speaker: ties the session layer (Peer, Listener) to the route
// table. Neighbours are configured and removed at run time; one Listener
// takes inbound connections (collisions are resolved by the Peer); received
// UPDATEs feed the Adj-RIBs-In, the decision process picks best paths, and
// each Established neighbour's Adj-RIB-Out is pulled into UPDATEs as its
// socket drains. Originate/withdraw for local routes, best-path change
// subscriptions for the routes controller, read views for the management
// API, and per-neighbour reset / soft reset / shutdown / enable. Nothing a
// peer sends, and no subscriber, can throw out of here: errors are logged.
// RFCs: 4271 §9 (UPDATE handling and decision), §9.1.2 (loop detection:
// our AS in AS_PATH), §5.1.5 (LOCAL_PREF from external peers is ignored),
// 4456 §8 (ORIGINATOR_ID / CLUSTER_LIST loops), 4760 (MP-BGP families),
// 7606 §2 (treat-as-withdraw), 2918 (route refresh: soft reset in; answered
// by re-sending the Adj-RIB-Out), 4486 (Cease subcodes for reset, shutdown,
// deconfiguration, configuration change), 9003 (shutdown communication).
import type { Socket } from 'node:net';
import type { LastErrorView, NeighborView, PathView, DestinationView, GlobalView, MessageCountersView } from './api.ts';
import { FAMILIES, familyAfiSafi, prefixFamily, type Asn, type Family, type IpAddress, type Prefix, type RouterId } from './types.ts';
import { Listener, Peer, canonicalAddress, realClock, type Clock, type PeerConfig, type PeerDown, type SessionInfo } from './session/index.ts';
import { CeaseSubcode, encodeRouteRefresh, isTreatAsWithdraw, type LargeCommunity, type Origin, type PathAttributes, type UpdateMessage } from './wire/index.ts';
import { AdjOut, attributesKey, exportRoute, type ExportTarget } from './speaker/export.ts';
import { LOCAL, RouteTable } from './speaker/table.ts';
import { notificationView, pathView } from './speaker/views.ts';

export interface SpeakerOptions {
  readonly asn: Asn;
  readonly routerId: RouterId;
  /** Where to accept connections (default all addresses, port 179); false: outbound only. */
  readonly listen?: { readonly addresses?: readonly string[]; readonly port?: number } | false;
  readonly clock?: Clock;
  /** Log sink (the app wires its logger here; bgp/ has none of its own). */
  readonly log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

export interface NeighborConfig {
  readonly address: IpAddress;
  readonly remoteAsn: Asn;
  /** Our AS toward this neighbour (local-as override); default the speaker's. */
  readonly localAsn?: Asn;
  /** The neighbour's TCP port (default 179). */
  readonly port?: number;
  /** Local address for our outbound connection. */
  readonly localAddress?: IpAddress;
  readonly passive?: boolean;
  /** Proposed hold time, seconds (default 90; 0 or 3..65535). */
  readonly holdTimeS?: number;
  /** Keepalive interval, seconds (default a third of the hold time). */
  readonly keepaliveS?: number;
  /** ConnectRetry timer, seconds (default 120, RFC 4271 §10). */
  readonly connectRetryS?: number;
  readonly families?: readonly Family[];
  /** Route-reflector client (RFC 4456): iBGP routes are reflected to and from it. */
  readonly routeReflectorClient?: boolean;
  /** TCP-MD5 (RFC 2385): node:net cannot set it, so a neighbour with a password is refused. */
  readonly password?: string;
  /** Administratively enabled (default true). */
  readonly enabled?: boolean;
}

/** A route to originate. */
export interface OriginateRequest {
  readonly prefix: Prefix;
  /** Fixed next hop for every neighbour; default: the session's local address (next hop self). */
  readonly nextHop?: IpAddress;
  readonly origin?: Origin;
  readonly med?: number;
  readonly localPref?: number;
  readonly communities?: readonly number[];
  readonly largeCommunities?: readonly LargeCommunity[];
  /** Extra copies of our AS toward eBGP neighbours. */
  readonly asPathPrepend?: number;
}

/** A Loc-RIB change: the new best path (null when the prefix is gone) and the previous one. */
export interface BestPathChange {
  readonly prefix: Prefix;
  readonly family: Family;
  readonly best: PathView | null;
  readonly previous: PathView | null;
}

export type SpeakerErrorKind = 'not-found' | 'exists' | 'invalid' | 'unsupported';

export class SpeakerError extends Error {
  readonly kind: SpeakerErrorKind;
  constructor(kind: SpeakerErrorKind, message: string) {
    super(message);
    this.name = 'SpeakerError';
    this.kind = kind;
  }
}

type Counters = { -readonly [K in keyof MessageCountersView]: number };

interface Neighbor {
  readonly config: NeighborConfig;
  readonly address: string;
  readonly key: string;
  readonly peer: Peer;
  /** What the Listener routes this neighbour's connections to (see #accept). */
  readonly gate: Peer;
  enabled: boolean;
  info: SessionInfo | null;
  target: ExportTarget | null;
  adjOut: AdjOut | null;
  readonly counters: Counters;
  upDownAt: number | null;
  establishedAt: number | null;
  stateReason: string;
  lastError: LastErrorView | null;
}

/** The canonical form of a neighbour config: equal keys mean no change. */
export function neighborKey(c: NeighborConfig): string {
  return JSON.stringify({ ...c, address: canonicalAddress(c.address), families: [...(c.families ?? FAMILIES)].sort(), enabled: undefined });
}

export class Speaker {
  readonly asn: Asn;
  readonly routerId: RouterId;
  readonly #opts: SpeakerOptions;
  readonly #clock: Clock;
  readonly #listener: Listener | null;
  readonly #neighbors = new Map<string, Neighbor>();
  readonly #table = new RouteTable();
  readonly #originated = new Map<Prefix, OriginateRequest>();
  readonly #subscribers = new Set<(changes: readonly BestPathChange[]) => void>();
  #started = false;

  constructor(opts: SpeakerOptions) {
    this.asn = opts.asn;
    this.routerId = opts.routerId;
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
    const l = opts.listen ?? {};
    this.#listener = l === false ? null : new Listener({ ...(l.addresses !== undefined ? { addresses: l.addresses } : {}), ...(l.port !== undefined ? { port: l.port } : {}) });
    if (this.#listener !== null) this.#listener.onRejected = (r) => this.#log('debug', 'connection refused', { ...r });
  }

  /** Binds the listener and starts every enabled neighbour. */
  async start(): Promise<void> {
    await this.#listener?.listen();
    this.#started = true;
    for (const n of this.#neighbors.values()) if (n.enabled) n.peer.start();
  }

  /** Cease (Administrative Shutdown, RFC 9003 message) to every neighbour, then closes everything. */
  async stop(message = 'speaker shutting down'): Promise<void> {
    this.#started = false;
    await this.#listener?.close();
    await Promise.all([...this.#neighbors.values()].map((n) => n.peer.stop({ subcode: CeaseSubcode.administrativeShutdown, message })));
    for (const n of this.#neighbors.values()) n.peer.dispose();
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
    // RFC 2385 needs setsockopt(TCP_MD5SIG), which node:net does not expose: refuse rather than run unprotected
    if (config.password !== undefined) throw new SpeakerError('unsupported', `neighbor ${address}: TCP-MD5 passwords are not supported`);
    const peerConfig: PeerConfig = {
      remoteAddress: address,
      localAsn: config.localAsn ?? this.asn,
      peerAsn: config.remoteAsn,
      routerId: this.routerId,
      clock: this.#clock,
      families: config.families ?? FAMILIES,
      ...(config.port !== undefined ? { remotePort: config.port } : {}),
      ...(config.localAddress !== undefined ? { localAddress: config.localAddress } : {}),
      ...(config.passive !== undefined ? { passive: config.passive } : {}),
      ...(config.holdTimeS !== undefined ? { holdTimeS: config.holdTimeS } : {}),
      ...(config.keepaliveS !== undefined ? { keepaliveTimeS: config.keepaliveS } : {}),
      ...(config.connectRetryS !== undefined ? { connectRetryMs: config.connectRetryS * 1000 } : {}),
    };
    let peer: Peer;
    try {
      peer = new Peer(peerConfig);
    } catch (e) {
      throw new SpeakerError('invalid', `neighbor ${address}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const n: Neighbor = {
      config,
      address,
      key: neighborKey(config),
      peer,
      // the Listener reads only remoteAddress and accept()
      gate: { remoteAddress: peer.remoteAddress, accept: (socket: Socket) => this.#accept(n, socket) } as unknown as Peer,
      enabled: config.enabled ?? true,
      info: null,
      target: null,
      adjOut: null,
      counters: { updatesIn: 0, updatesOut: 0, notificationsIn: 0, notificationsOut: 0, routeRefreshIn: 0, routeRefreshOut: 0, established: 0 },
      upDownAt: null,
      establishedAt: null,
      stateReason: 'configured',
      lastError: null,
    };
    peer.hooks = {
      onStateChange: (c) => {
        n.stateReason = c.reason;
        this.#log('debug', 'neighbor state', { neighbor: address, from: c.from, to: c.to, peerState: c.peerState, reason: c.reason });
      },
      onEstablished: (info) => this.#guard(n, 'established', () => this.#onEstablished(n, info)),
      onDown: (down) => this.#guard(n, 'down', () => this.#onDown(n, down)),
      onUpdate: (msg, info) => this.#guard(n, 'update', () => this.#onUpdate(n, msg, info)),
      onRouteRefresh: () =>
        this.#guard(n, 'route-refresh', () => {
          n.counters.routeRefreshIn++;
          // RFC 2918 §4: answer with our Adj-RIB-Out for the family (we re-send all families)
          this.#resync(n, true);
        }),
      nextUpdate: (info) => this.#pull(n, info),
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
    await n.peer.stop({ subcode });
    n.peer.dispose();
    this.#dropRoutes(n);
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
    await n.peer.stop({ subcode: CeaseSubcode.administrativeReset, message });
    if (n.enabled && this.#started) n.peer.start();
  }

  /** Soft reset: 'in' asks the neighbour to re-send (ROUTE-REFRESH), 'out' re-sends our Adj-RIB-Out. */
  softReset(address: string, direction: 'in' | 'out' | 'both' = 'both'): void {
    const n = this.#get(address);
    if (n.info === null || n.adjOut === null) throw new SpeakerError('invalid', `neighbor ${n.address} is not established`);
    if (direction !== 'out') {
      if (!n.info.capabilities.routeRefresh) throw new SpeakerError('unsupported', `neighbor ${n.address} did not advertise route refresh (RFC 2918)`);
      // RFC 2918 §3: one ROUTE-REFRESH per negotiated family
      for (const f of n.info.capabilities.families) {
        n.adjOut.enqueue(encodeRouteRefresh({ type: 'route-refresh', ...familyAfiSafi(f), subtype: 'normal' }));
        n.counters.routeRefreshOut++;
      }
      n.peer.updatesPending();
    }
    if (direction !== 'in') this.#resync(n, true);
  }

  /** Administrative shutdown (Cease 2 with an RFC 9003 message); stays down until enable(). */
  async shutdown(address: string, message = 'administrative shutdown'): Promise<void> {
    const n = this.#get(address);
    n.enabled = false;
    await n.peer.stop({ subcode: CeaseSubcode.administrativeShutdown, message });
  }

  /** Re-enables a shut-down neighbour. */
  enable(address: string): Promise<void> {
    const n = this.#get(address);
    n.enabled = true;
    if (this.#started) n.peer.start();
    return Promise.resolve();
  }

  // ---------------------------------------------------------------- local routes

  /** Originates (or updates) a local route. */
  originate(r: OriginateRequest): void {
    const prev = this.#originated.get(r.prefix);
    if (prev !== undefined && JSON.stringify(prev) === JSON.stringify(r)) return;
    this.#originated.set(r.prefix, r);
    const family = prefixFamily(r.prefix);
    const attributes: PathAttributes = {
      origin: r.origin ?? 0,
      asPath: [],
      ...(r.med !== undefined ? { med: r.med } : {}),
      ...(r.localPref !== undefined ? { localPref: r.localPref } : {}),
      ...(r.communities !== undefined && r.communities.length > 0 ? { communities: [...r.communities] } : {}),
      ...(r.largeCommunities !== undefined && r.largeCommunities.length > 0 ? { largeCommunities: [...r.largeCommunities] } : {}),
    };
    const fallback = (family === 'ipv4-unicast' ? '0.0.0.0' : '::') as IpAddress;
    this.#table.set({
      prefix: r.prefix,
      family,
      source: LOCAL,
      attributes,
      nextHop: r.nextHop ?? fallback,
      since: Date.now(),
      ibgp: false,
      peerAsn: this.asn,
      peerRouterId: this.routerId,
      valid: true,
      invalidReason: null,
      prepend: r.asPathPrepend ?? 0,
      fixedNextHop: r.nextHop !== undefined,
    });
    this.#propagate();
  }

  /** Withdraws a local route; false when it was not originated. */
  withdraw(prefix: Prefix): boolean {
    if (!this.#originated.delete(prefix)) return false;
    this.#table.delete(prefix, LOCAL);
    this.#propagate();
    return true;
  }

  /** The originated routes. */
  originated(): OriginateRequest[] {
    return [...this.#originated.values()];
  }

  /** Subscribes to Loc-RIB best-path changes (batched per UPDATE or call); returns the unsubscribe function. */
  onBestPathChange(listener: (changes: readonly BestPathChange[]) => void): () => void {
    this.#subscribers.add(listener);
    return () => void this.#subscribers.delete(listener);
  }

  // ---------------------------------------------------------------- views

  globalView(): GlobalView {
    const destinations: Record<Family, number> = { 'ipv4-unicast': 0, 'ipv6-unicast': 0 };
    for (const d of this.#table.bests()) destinations[d.best.family]++;
    const ns = [...this.#neighbors.values()];
    return { asn: this.asn, routerId: this.routerId, listen: this.listening, neighbors: ns.length, established: ns.filter((n) => n.info !== null).length, destinations };
  }

  neighbors(): NeighborView[] {
    return [...this.#neighbors.values()].sort((a, b) => (a.address < b.address ? -1 : 1)).map((n) => this.#neighborView(n));
  }

  neighbor(address: string): NeighborView {
    return this.#neighborView(this.#get(address));
  }

  /** The Loc-RIB with every candidate path, best first; optionally one family and/or one prefix. */
  rib(family?: Family, prefix?: Prefix): DestinationView[] {
    const now = Date.now();
    const prefixes = prefix !== undefined ? [prefix] : [...this.#table.prefixes()].sort(comparePrefixes);
    const out: DestinationView[] = [];
    for (const p of prefixes) {
      const f = prefixFamily(p);
      if (family !== undefined && f !== family) continue;
      const d = this.#table.best(p);
      const paths = this.#table.pathsOf(p).filter((x) => x.valid).map((x) => pathView(x, now, x === d?.best, x === d?.best ? d.reason : null));
      if (paths.length > 0) out.push({ prefix: p, family: f, paths });
    }
    return out;
  }

  /** What a neighbour sent us (valid or not). */
  adjIn(address: string, family?: Family): PathView[] {
    const n = this.#get(address);
    const now = Date.now();
    return [...this.#table.fromSource(n.address)].filter((p) => family === undefined || p.family === family).sort((a, b) => comparePrefixes(a.prefix, b.prefix)).map((p) => pathView(p, now));
  }

  /** What we advertise to a neighbour. */
  adjOut(address: string, family?: Family): PathView[] {
    const n = this.#get(address);
    const out: PathView[] = [];
    const now = Date.now();
    for (const r of n.adjOut?.sent.values() ?? []) {
      if (family !== undefined && r.family !== family) continue;
      const since = this.#table.best(r.prefix)?.best.since ?? now;
      out.push(pathView({ prefix: r.prefix, family: r.family, source: LOCAL, attributes: r.attributes, nextHop: r.nextHop, since, ibgp: false, peerAsn: 0, peerRouterId: this.routerId, valid: true, invalidReason: null, prepend: 0, fixedNextHop: false }, now));
    }
    return out.sort((a, b) => comparePrefixes(a.prefix as Prefix, b.prefix as Prefix));
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

  /** Runs a hook body; an exception is logged and, for the session's own input, resets only that session. */
  #guard(n: Neighbor, what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.#log('error', `neighbor ${what} handling failed`, { neighbor: n.address, error: e instanceof Error ? e.stack : String(e) });
    }
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
    n.info = info;
    n.counters.established++;
    n.upDownAt = now;
    n.establishedAt = now;
    n.target = {
      address: n.address,
      ibgp: info.negotiated.ibgp,
      localAsn: n.config.localAsn ?? this.asn,
      routerId: this.routerId,
      localAddress: canonicalAddress(info.localAddress) as IpAddress,
      families: info.capabilities.families,
      routeReflectorClient: n.config.routeReflectorClient ?? false,
      isClient: (source) => this.#neighbors.get(source)?.config.routeReflectorClient ?? false,
    };
    n.adjOut = new AdjOut(info.capabilities.families);
    this.#log('info', 'neighbor established', { neighbor: n.address, peerAsn: info.negotiated.peerAsn, peerId: info.negotiated.peerId, holdTimeS: info.negotiated.holdTimeS });
    this.#resync(n, false);
  }

  #onDown(n: Neighbor, down: PeerDown): void {
    const now = Date.now();
    if (down.sent !== null) n.counters.notificationsOut++;
    if (down.received !== null) n.counters.notificationsIn++;
    const notification = down.received !== null ? notificationView('received', down.received) : down.sent !== null ? notificationView('sent', down.sent) : null;
    n.lastError = { reason: down.reason, at: now, notification };
    n.upDownAt = now;
    n.establishedAt = null;
    this.#dropRoutes(n);
    this.#log('warn', 'neighbor down', { neighbor: n.address, reason: down.reason, communication: notification?.communication ?? undefined });
  }

  #dropRoutes(n: Neighbor): void {
    n.info = null;
    n.target = null;
    n.adjOut = null;
    this.#table.deleteSource(n.address);
    this.#propagate();
  }

  /** RFC 4271 §9: Adj-RIB-In update, then the decision process and export. */
  #onUpdate(n: Neighbor, msg: UpdateMessage, info: SessionInfo): void {
    n.counters.updatesIn++;
    const families = info.capabilities.families;
    const drop = (family: Family, prefixes: readonly Prefix[]): void => {
      if (!families.has(family)) return;
      for (const p of prefixes) this.#table.delete(p, n.address);
    };
    const a = msg.attributes;
    drop('ipv4-unicast', msg.withdrawn.prefixes);
    if (a.mpUnreach !== undefined && a.mpUnreach.family !== null) drop(a.mpUnreach.family, a.mpUnreach.withdrawn.prefixes);
    const reach = a.mpReach !== undefined && a.mpReach.family !== null ? a.mpReach : null;
    if (isTreatAsWithdraw(msg)) {
      // RFC 7606 §2: treat-as-withdraw: every route of this UPDATE is withdrawn
      drop('ipv4-unicast', msg.nlri.prefixes);
      if (reach !== null) drop(reach.family, reach.nlri.prefixes);
      this.#log('warn', 'UPDATE treated as withdraw', { neighbor: n.address, errors: msg.errors?.map((e) => e.message) });
    } else {
      const { nextHop, mpReach: _r, mpUnreach: _u, ...stored } = a;
      // RFC 4271 §5.1.5 / RFC 7606 §7.5: LOCAL_PREF from an external peer is ignored
      const attributes: PathAttributes = info.negotiated.ibgp ? stored : withoutLocalPref(stored);
      const invalid = this.#importCheck(n, info, attributes);
      const add = (family: Family, prefixes: readonly Prefix[], hop: IpAddress | undefined): void => {
        if (!families.has(family) || hop === undefined) return;
        for (const prefix of prefixes) {
          const old = this.#table.get(prefix, n.address);
          this.#table.set({
            prefix,
            family,
            source: n.address,
            attributes,
            nextHop: hop,
            since: old !== undefined && old.nextHop === hop && sameAttributes(old.attributes, attributes) ? old.since : Date.now(),
            ibgp: info.negotiated.ibgp,
            peerAsn: info.negotiated.peerAsn,
            peerRouterId: info.negotiated.peerId,
            valid: invalid === null,
            invalidReason: invalid,
            prepend: 0,
            fixedNextHop: false,
          });
        }
      };
      add('ipv4-unicast', msg.nlri.prefixes, nextHop);
      if (reach !== null) add(reach.family, reach.nlri.prefixes, reach.nextHop);
    }
    this.#propagate();
  }

  /** Import checks; the reason a path is unusable, or null. */
  #importCheck(n: Neighbor, info: SessionInfo, a: PathAttributes): string | null {
    const ourAs = n.config.localAsn ?? this.asn;
    // RFC 4271 §9.1.2: a route whose AS_PATH contains our AS is excluded
    if (!info.negotiated.ibgp && (a.asPath ?? []).some((s) => s.asns.includes(ourAs) || s.asns.includes(this.asn))) return 'AS_PATH loop';
    // RFC 4456 §8: our own ORIGINATOR_ID or our id in CLUSTER_LIST is a reflection loop
    if (a.originatorId === this.routerId) return 'ORIGINATOR_ID is ours';
    if ((a.clusterList ?? []).includes(this.routerId)) return 'CLUSTER_LIST loop';
    return null;
  }

  /** Decision process on what changed, then export to every Established neighbour and notify subscribers. */
  #propagate(): void {
    const changes = this.#table.recompute();
    if (changes.length === 0) return;
    const touched = new Set<Neighbor>();
    for (const n of this.#neighbors.values()) {
      if (n.target === null || n.adjOut === null) continue;
      for (const c of changes) {
        const route = c.after === null ? null : exportRoute(c.after.best, n.target);
        if (n.adjOut.offer(c.prefix, route)) touched.add(n);
      }
    }
    for (const n of touched) n.peer.updatesPending();
    if (this.#subscribers.size === 0) return;
    const now = Date.now();
    const events: BestPathChange[] = [];
    for (const c of changes) {
      if (c.before?.best === c.after?.best) continue;
      events.push({
        prefix: c.prefix,
        family: prefixFamily(c.prefix),
        best: c.after === null ? null : pathView(c.after.best, now, true, c.after.reason),
        previous: c.before === null ? null : pathView(c.before.best, now, true, c.before.reason),
      });
    }
    if (events.length === 0) return;
    for (const s of this.#subscribers) {
      try {
        s(events);
      } catch (e) {
        this.#log('error', 'best-path subscriber failed', { error: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  /** Offers the whole Loc-RIB to a neighbour (after Established, route refresh, soft reset out). */
  #resync(n: Neighbor, force: boolean): void {
    const { target, adjOut } = n;
    if (target === null || adjOut === null) return;
    for (const d of this.#table.bests()) adjOut.offer(d.best.prefix, exportRoute(d.best, target), force);
    for (const prefix of adjOut.sent.keys()) if (this.#table.best(prefix) === undefined) adjOut.offer(prefix, null);
    n.peer.updatesPending();
  }

  #pull(n: Neighbor, info: SessionInfo): Uint8Array | null {
    try {
      if (n.adjOut === null) return null;
      const before = n.adjOut.updatesBuilt;
      const m = n.adjOut.next(info.capabilities.context);
      n.counters.updatesOut += n.adjOut.updatesBuilt - before;
      return m;
    } catch (e) {
      this.#log('error', 'building UPDATEs failed', { neighbor: n.address, error: e instanceof Error ? e.message : String(e) });
      return null;
    }
  }

  #neighborView(n: Neighbor): NeighborView {
    const now = Date.now();
    const c = n.config;
    const info = n.info;
    const prefixes = FAMILIES.filter((f) => (c.families ?? FAMILIES).includes(f)).map((family) => {
      let received = 0;
      let accepted = 0;
      for (const p of this.#table.fromSource(n.address)) {
        if (p.family !== family) continue;
        received++;
        if (p.valid) accepted++;
      }
      let advertised = 0;
      for (const r of n.adjOut?.sent.values() ?? []) if (r.family === family) advertised++;
      return { family, received, accepted, advertised };
    });
    return {
      address: n.address,
      port: c.port ?? 179,
      remoteAsn: c.remoteAsn,
      localAsn: c.localAsn ?? this.asn,
      passive: c.passive ?? false,
      enabled: n.enabled,
      families: [...(c.families ?? FAMILIES)],
      holdTimeS: c.holdTimeS ?? 90,
      keepaliveS: c.keepaliveS ?? null,
      routeReflectorClient: c.routeReflectorClient ?? false,
      state: n.peer.state,
      stateReason: n.stateReason,
      upDownS: n.upDownAt === null ? null : Math.max(0, Math.floor((now - n.upDownAt) / 1000)),
      uptimeS: n.establishedAt === null || info === null ? null : Math.max(0, Math.floor((now - n.establishedAt) / 1000)),
      establishedAt: info === null ? null : n.establishedAt,
      session:
        info === null
          ? null
          : {
              localAddress: canonicalAddress(info.localAddress),
              localPort: info.localPort,
              remotePort: info.remotePort,
              direction: info.direction,
              peerRouterId: info.negotiated.peerId,
              peerAsn: info.negotiated.peerAsn,
              ibgp: info.negotiated.ibgp,
              holdTimeS: info.negotiated.holdTimeS,
              keepaliveS: info.negotiated.keepaliveMs / 1000,
              families: [...info.capabilities.families],
              capabilitiesSent: info.localOpen.capabilities.map((x) => x.kind),
              capabilitiesReceived: info.peerOpen.capabilities.map((x) => x.kind),
              fourOctetAs: info.capabilities.context.fourOctetAs,
              routeRefresh: info.capabilities.routeRefresh,
              extendedMessage: info.capabilities.context.extendedMessageTx,
            },
      messages: { ...n.counters },
      prefixes,
      lastError: n.lastError,
    };
  }
}

function withoutLocalPref(a: PathAttributes): PathAttributes {
  const { localPref: _lp, ...rest } = a;
  return rest;
}

function sameAttributes(a: PathAttributes, b: PathAttributes): boolean {
  return a === b || attributesKey('', a) === attributesKey('', b);
}

/** Prefix order for listings: IPv4 before IPv6, then by address bytes, then length. */
export function comparePrefixes(a: Prefix, b: Prefix): number {
  const fa = prefixFamily(a);
  const fb = prefixFamily(b);
  if (fa !== fb) return fa === 'ipv4-unicast' ? -1 : 1;
  const ka = prefixSortKey(a);
  const kb = prefixSortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function prefixSortKey(p: Prefix): string {
  const slash = p.lastIndexOf('/');
  const addr = p.slice(0, slash);
  const len = p.slice(slash + 1).padStart(3, '0');
  if (!addr.includes(':')) return `${addr.split('.').map((o) => o.padStart(3, '0')).join('.')}/${len}`;
  return `${expandIpv6(addr)}/${len}`;
}

function expandIpv6(a: string): string {
  const [head = '', tail = ''] = a.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = a.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = a.includes('::') ? [...h, ...Array.from({ length: 8 - h.length - t.length }, () => '0'), ...t] : h;
  return groups.map((g) => g.padStart(4, '0')).join(':');
}
