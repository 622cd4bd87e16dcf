// One configured BGP neighbour: its FSM run (start/stop, automatic restart
// with damping), up to two connections (ours and the peer's) with collision
// resolution between them, and the hooks the speaker and the RIB use:
// onStateChange, onEstablished, onDown, onUpdate (decoded, with inbound
// backpressure), onRouteRefresh and the nextUpdate pull source. No RIB logic.
// RFCs: 4271 §6.8 (collision detection) and §8 (one FSM run per peer),
// 4486 §4 (Cease subcodes: Connection Rejected, Collision Resolution),
// 9003 (shutdown communication on stop), 5492 and 4760 §8 (the OPEN we send),
// 6793 (AS_TRANS in My AS for a 4-octet ASN), 9687 (send hold time),
// 2385 and 5082 (TCP-MD5 and GTSM: see transport.ts).
import type { Socket } from 'node:net';
import { resolveCollision } from '../fsm/collision.ts';
import { adoptRun, hasConnection, secondaryState } from '../fsm/transition.ts';
import { DEFAULT_FSM_CONFIG, initialState, type FsmConfig, type FsmEventType, type FsmStateName, type Notification, type StopRequest } from '../fsm/types.ts';
import { AS_TRANS, FAMILIES, familyAfiSafi, parseIpAddress, type Asn, type Family, type RouterId } from '../types.ts';
import { CeaseSubcode, ErrorCode, encodeNotification, type Capability, type NotificationMessage, type OpenMessage, type RouteRefreshMessage, type UpdateMessage } from '../wire/index.ts';
import { realClock, type Clock } from './clock.ts';
import { Session, type SessionInfo } from './session.ts';
import { transportOf, validateTransport, type TransportSecurity } from './transport.ts';

export interface PeerConfig {
  /** The neighbour's address (IPv4 or IPv6). */
  readonly remoteAddress: string;
  /** The neighbour's BGP port (kube-router --peer-router-ports; default 179). */
  readonly remotePort?: number;
  /** Local address to bind for our outbound connection. */
  readonly localAddress?: string;
  /** Local port to bind for our outbound connection (default: ephemeral). */
  readonly localPort?: number;
  readonly localAsn: Asn;
  readonly peerAsn: Asn;
  readonly routerId: RouterId;
  /** Never initiate the connection (RFC 4271 §8.1.1 PassiveTcpEstablishment). */
  readonly passive?: boolean;
  /** Families we advertise with the multiprotocol capability (default IPv4 and IPv6 unicast). */
  readonly families?: readonly Family[];
  /** Advertise Extended Message (RFC 8654). */
  readonly extendedMessage?: boolean;
  /** Further capabilities to advertise (graceful restart, ADD-PATH, ...). */
  readonly capabilities?: readonly Capability[];
  readonly holdTimeS?: number;
  readonly keepaliveTimeS?: number;
  readonly minHoldTimeS?: number;
  readonly largeHoldTimeS?: number;
  readonly connectRetryMs?: number;
  readonly delayOpenMs?: number;
  readonly dampPeerOscillations?: boolean;
  readonly idleHoldMs?: number;
  readonly idleHoldMaxMs?: number;
  readonly sendNotificationWithoutOpen?: boolean;
  readonly clock?: Clock;
  /** RFC 9687 SendHoldTime in seconds (default max(8 min, 2 x negotiated hold time)); 0 disables. */
  readonly sendHoldTimeS?: number;
  /** RFC 4271 §10 timer jitter (default Math.random); null for exact timers (tests). */
  readonly jitter?: (() => number) | null;
  /** TCP-MD5 shared secret (RFC 2385) on our connection and, through the Listener, on the peer's. */
  readonly password?: string;
  /** GTSM (RFC 5082): send TTL 255 and accept only 255 (256 - multihopTtl when set) from the peer. */
  readonly ttlSecurity?: boolean;
  /** TTL of our segments (eBGP multihop, 1..255). Default: 1 for eBGP (directly connected), system default for iBGP. */
  readonly multihopTtl?: number;
}

export interface PeerStateChange {
  /** The peer's state: the most advanced of its connections. */
  readonly peerState: FsmStateName;
  /** The connection that moved. */
  readonly connection: 'inbound' | 'outbound' | null;
  readonly from: FsmStateName;
  readonly to: FsmStateName;
  readonly event: FsmEventType;
  readonly reason: string;
}

export interface PeerDown {
  readonly reason: string;
  /** The NOTIFICATION we sent, if any. */
  readonly sent: Notification | null;
  /** The NOTIFICATION the peer sent, if any (with its RFC 9003 communication). */
  readonly received: NotificationMessage | null;
  readonly info: SessionInfo;
}

export interface PeerHooks {
  /** A connection changed FSM state. */
  onStateChange?(change: PeerStateChange): void;
  /** Every FSM step, including those that keep the state (KEEPALIVE received, timers): debug logging, counters. */
  onEvent?(change: PeerStateChange): void;
  onEstablished?(info: SessionInfo): void;
  onDown?(down: PeerDown): void;
  /** A received UPDATE (RFC 7606 errors in message.errors). Return a promise to pause input until it settles. */
  onUpdate?(message: UpdateMessage, info: SessionInfo): void | Promise<void>;
  onRouteRefresh?(message: RouteRefreshMessage, info: SessionInfo): void;
  /** Pull source: the next encoded UPDATE for this peer, or null when none is pending (then call updatesPending()). */
  nextUpdate?(info: SessionInfo): Uint8Array | null;
}

const RANK: Record<FsmStateName, number> = { Idle: 0, Connect: 1, Active: 1, OpenSent: 2, OpenConfirm: 3, Established: 4 };

/** Builds the FSM configuration of a peer from its configuration and the RFC defaults. */
export function fsmConfigOf(c: PeerConfig): FsmConfig {
  const d = DEFAULT_FSM_CONFIG;
  return {
    localAsn: c.localAsn,
    localId: c.routerId,
    peerAsn: c.peerAsn,
    holdTimeS: c.holdTimeS ?? d.holdTimeS,
    minHoldTimeS: c.minHoldTimeS ?? d.minHoldTimeS,
    ...(c.keepaliveTimeS !== undefined ? { keepaliveTimeS: c.keepaliveTimeS } : {}),
    largeHoldTimeS: c.largeHoldTimeS ?? d.largeHoldTimeS,
    connectRetryMs: c.connectRetryMs ?? d.connectRetryMs,
    delayOpenMs: c.delayOpenMs ?? d.delayOpenMs,
    dampPeerOscillations: c.dampPeerOscillations ?? d.dampPeerOscillations,
    idleHoldMs: c.idleHoldMs ?? d.idleHoldMs,
    idleHoldMaxMs: c.idleHoldMaxMs ?? d.idleHoldMaxMs,
    sendNotificationWithoutOpen: c.sendNotificationWithoutOpen ?? d.sendNotificationWithoutOpen,
  };
}

/** The OPEN we send (RFC 4271 §4.2): 4-octet AS always (RFC 6793), MP per family (RFC 4760 §8), route refresh. */
export function localOpenOf(c: PeerConfig): OpenMessage {
  const caps: Capability[] = [];
  for (const f of c.families ?? FAMILIES) caps.push({ kind: 'multiprotocol', ...familyAfiSafi(f) });
  caps.push({ kind: 'route-refresh' }, { kind: 'four-octet-as', asn: c.localAsn });
  if (c.extendedMessage === true) caps.push({ kind: 'extended-message' });
  caps.push(...(c.capabilities ?? []));
  // RFC 6793 §4.1: AS_TRANS in My AS when the ASN does not fit 2 octets
  return { type: 'open', version: 4, myAs: c.localAsn > 0xffff ? AS_TRANS : c.localAsn, holdTime: c.holdTimeS ?? DEFAULT_FSM_CONFIG.holdTimeS, routerId: c.routerId, capabilities: caps };
}

/** Rejects configurations the protocol cannot carry (RangeError). */
export function validateConfig(c: PeerConfig): void {
  const hold = c.holdTimeS ?? DEFAULT_FSM_CONFIG.holdTimeS;
  // RFC 4271 §4.2: the hold time is 0 or at least 3 seconds, in 16 bits
  if (!Number.isInteger(hold) || hold < 0 || hold > 0xffff || hold === 1 || hold === 2) throw new RangeError(`hold time ${hold}s: must be 0 or 3..65535`);
  for (const [name, port] of [['remotePort', c.remotePort], ['localPort', c.localPort]] as const) {
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 0xffff)) throw new RangeError(`${name} ${port} out of range`);
  }
  if (c.localAsn === 0 || c.peerAsn === 0) throw new RangeError('AS 0 is reserved (RFC 7607)');
  if (c.routerId === '0.0.0.0') throw new RangeError('router id 0.0.0.0 is invalid (RFC 6286)');
  parseIpAddress(c.remoteAddress);
  validateTransport(c);
}

/** Canonical text of an address as node:net reports it (IPv4-mapped IPv6 becomes IPv4). */
export function canonicalAddress(address: string): string {
  const a = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  try {
    return parseIpAddress(a);
  } catch {
    return a;
  }
}

/** Refuses a connection: optionally a Cease / Connection Rejected NOTIFICATION (RFC 4486 §4), then close. */
export function rejectConnection(socket: Socket, notify: boolean): void {
  socket.on('error', () => {});
  if (notify && !socket.destroyed) {
    socket.end(encodeNotification({ type: 'notification', code: ErrorCode.cease, subcode: CeaseSubcode.connectionRejected, data: new Uint8Array(0) }));
    setTimeout(() => socket.destroy(), 3_000).unref();
  } else {
    socket.destroy();
  }
}

export class Peer {
  readonly config: PeerConfig;
  readonly remoteAddress: string;
  /** The TCP-MD5 key and TTLs of this peer's connections (the Listener reads it too). */
  readonly transport: TransportSecurity;
  hooks: PeerHooks;
  readonly #fsm: FsmConfig;
  readonly #open: OpenMessage;
  readonly #clock: Clock;
  #primary: Session | null = null;
  #secondary: Session | null = null;

  /** The last session drop (for status displays), or null. */
  lastDown: PeerDown | null = null;

  constructor(config: PeerConfig, hooks: PeerHooks = {}) {
    validateConfig(config);
    this.config = config;
    this.remoteAddress = canonicalAddress(config.remoteAddress);
    this.transport = transportOf(config, config.localAsn !== config.peerAsn);
    this.hooks = hooks;
    this.#fsm = fsmConfigOf(config);
    this.#open = localOpenOf(config);
    this.#clock = config.clock ?? realClock;
  }

  /** The most advanced state among this peer's connections. */
  get state(): FsmStateName {
    return this.sessions.reduce<FsmStateName>((a, x) => (RANK[x.state.name] > RANK[a] ? x.state.name : a), 'Idle');
  }

  /** The Established session's details, or null. */
  get info(): SessionInfo | null {
    return this.#established()?.info ?? null;
  }

  /** The live connections (one, or two during a collision). */
  get sessions(): readonly Session[] {
    return [this.#primary, this.#secondary].filter((s): s is Session => s !== null);
  }

  /** ManualStart (or its passive variant): connect, or wait for the peer, and restart automatically after failures. */
  start(): void {
    this.#primary ??= this.#newSession(initialState(this.#fsm));
    this.#primary.handle({ type: this.config.passive === true ? 'ManualStart_with_PassiveTcpEstablishment' : 'ManualStart' });
  }

  /**
   * ManualStop: Cease (Administrative Shutdown by default) with an RFC 9003
   * message, no automatic restart. Resolves when the connections are closed.
   */
  async stop(request: StopRequest = {}): Promise<void> {
    const sessions = this.sessions;
    for (const s of sessions) s.handle({ type: 'ManualStop', ...request });
    await Promise.all(sessions.map((s) => s.closed()));
  }

  /** Drops everything at once, without NOTIFICATION (process exit, peer removed after stop()). */
  dispose(): void {
    for (const s of this.sessions) s.dispose();
    this.#primary = null;
    this.#secondary = null;
  }

  /** Tells the peer its UPDATE source has new messages: the transmitter pulls while the socket has room. */
  updatesPending(): void {
    this.#established()?.tx.pump();
  }

  /**
   * An inbound connection from this peer's address (from the Listener).
   * Returns false when refused (Idle, or two connections already); the
   * caller then closes it.
   */
  accept(socket: Socket): boolean {
    const p = this.#primary;
    if (p === null || p.state.name === 'Idle' || this.#secondary !== null) return false;
    if (p.state.name === 'Active' && !p.state.delayOpen) {
      // RFC 4271 §8.2.2 Active event 17: the connection we were waiting for
      p.attach(socket);
      p.handle({ type: 'TcpConnectionConfirmed' });
      return true;
    }
    // RFC 4271 §6.8: a second connection runs until its OPEN settles the collision
    const s = this.#newSession(secondaryState(this.#fsm));
    this.#secondary = s;
    s.attach(socket);
    s.handle({ type: 'TcpConnectionConfirmed' });
    this.#reconcile();
    return true;
  }

  #established(): Session | null {
    return this.sessions.find((s) => s.state.name === 'Established') ?? null;
  }

  #newSession(state: ReturnType<typeof initialState>): Session {
    const c = this.config;
    return new Session({
      fsm: this.#fsm,
      clock: this.#clock,
      jitter: c.jitter === undefined ? Math.random : c.jitter,
      sendHoldTimeS: c.sendHoldTimeS ?? null,
      localOpen: this.#open,
      endpoint: {
        host: this.remoteAddress,
        port: c.remotePort ?? 179,
        ...(c.localAddress !== undefined ? { localAddress: c.localAddress } : {}),
        ...(c.localPort !== undefined ? { localPort: c.localPort } : {}),
        security: this.transport,
      },
      state,
      hooks: {
        transition: (session, event, from, result) => {
          const change: PeerStateChange = { peerState: this.state, connection: session.direction, from: from.name, to: result.state.name, event: event.type, reason: result.reason };
          this.hooks.onEvent?.(change);
          if (from.name !== result.state.name) this.hooks.onStateChange?.(change);
          this.#reconcile();
        },
        up: (_session, info) => this.hooks.onEstablished?.(info),
        down: (session, reason) => {
          const info = session.info;
          if (info === null) return;
          this.lastDown = { reason, sent: session.lastNotificationOut, received: session.lastNotificationIn, info };
          this.hooks.onDown?.(this.lastDown);
        },
        update: (session, message) => (session.info !== null ? this.hooks.onUpdate?.(message, session.info) : undefined),
        routeRefresh: (session, message) => {
          if (session.info !== null) this.hooks.onRouteRefresh?.(message, session.info);
        },
        nextUpdate: (session) => (session.info !== null && session.state.name === 'Established' ? (this.hooks.nextUpdate?.(session.info) ?? null) : null),
      },
    });
  }

  /** Keeps at most one connection per peer: drops dead secondaries, promotes a live one, resolves collisions. */
  #reconcile(): void {
    const p = this.#primary;
    const s = this.#secondary;
    if (p === null || s === null) return;
    if (!hasConnection(s.state)) {
      s.dispose();
      this.#secondary = null;
      return;
    }
    const idle = p.state.name === 'Idle';
    const listening = p.state.name === 'Active' && !p.state.delayOpen;
    // our connect attempt is still pending but the peer's connection already made it: abandon the attempt
    const superseded = p.state.name === 'Connect' && !p.state.delayOpen && s.state.name === 'Established';
    if (idle || listening || superseded) {
      // the main run lost its connection (or never had one): the peer's connection carries on
      s.state = adoptRun(s.state, p.state);
      p.dispose();
      this.#primary = s;
      this.#secondary = null;
      return;
    }
    // the remote identifier is known once either connection has a valid OPEN
    let remoteId: RouterId | null = null;
    for (const x of [p.state, s.state]) if (x.name === 'OpenConfirm' || x.name === 'Established') remoteId = x.negotiated.peerId;
    if (remoteId === null || p.direction === null || s.direction === null) return;
    const verdict = resolveCollision(
      { localId: this.#fsm.localId, localAsn: this.#fsm.localAsn, remoteId, remoteAsn: this.#fsm.peerAsn },
      { direction: p.direction, state: p.state.name },
      { direction: s.direction, state: s.state.name },
    );
    if (verdict === null) return;
    // RFC 4271 §6.8 / RFC 4486 §4: Cease, Connection Collision Resolution on the loser
    (verdict.close === 'a' ? p : s).handle({ type: 'OpenCollisionDump', why: verdict.reason });
  }
}
