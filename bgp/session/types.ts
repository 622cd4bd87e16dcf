// The session layer's data shapes: where a connection goes, what an
// Established session negotiated (for the RIB and the API), the hooks a
// Session reports to (its Peer), and its options and counters.
// RFCs: 4271 §4.2 (OPEN), 5492 (capabilities), 9687 (send hold time).
import type { FsmConfig, FsmEvent, FsmResult, FsmState, Negotiated } from '../fsm/types.ts';
import type { Negotiation, OpenMessage, RouteRefreshMessage, UpdateMessage } from '../wire/index.ts';
import type { Clock } from './clock.ts';
import type { Session } from './session.ts';
import type { TransportSecurity } from './transport.ts';

/** Where an outbound connection goes, and what it binds locally. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  /** TCP-MD5 key and TTLs, set on the socket before its SYN (default: none). */
  readonly security?: TransportSecurity;
}

/** Everything known about an Established session: what the RIB and the API need. */
export interface SessionInfo {
  /** FSM negotiation: hold time, keepalive interval, peer AS and identifier, iBGP or not. */
  readonly negotiated: Negotiated;
  /** Capability negotiation: WireContext for encode/decode, common families, route refresh, GR. */
  readonly capabilities: Negotiation;
  readonly localOpen: OpenMessage;
  readonly peerOpen: OpenMessage;
  readonly direction: 'inbound' | 'outbound';
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Clock time (ms) the session became Established, for uptime. */
  readonly establishedAt: number;
}

export interface SessionHooks {
  /** After every FSM step, once its effects have run. */
  transition(session: Session, event: FsmEvent, from: FsmState, result: FsmResult): void;
  up(session: Session, info: SessionInfo): void;
  down(session: Session, reason: string): void;
  /** A received UPDATE in Established. A returned promise pauses input until it settles. */
  update(session: Session, message: UpdateMessage): void | Promise<void>;
  routeRefresh(session: Session, message: RouteRefreshMessage): void;
  /** The UPDATE pull source (encoded messages), consulted while the socket has room. */
  nextUpdate(session: Session): Uint8Array | null;
}

export interface SessionOptions {
  readonly fsm: FsmConfig;
  readonly clock: Clock;
  /**
   * RFC 4271 §10 jitter: Keepalive, ConnectRetry and IdleHold timers run for
   * a random 75-100 % of their duration. A source of [0, 1) numbers, or null
   * for exact timers (tests).
   */
  readonly jitter: (() => number) | null;
  /** RFC 9687 SendHoldTime in seconds; null: max(8 min, 2 x negotiated hold time) (§6); 0: off. */
  readonly sendHoldTimeS: number | null;
  /** Our OPEN; its hold time is replaced by the FSM's. */
  readonly localOpen: OpenMessage;
  /** Used by the connect effect. */
  readonly endpoint: Endpoint;
  readonly state: FsmState;
  readonly hooks: SessionHooks;
}

export interface SessionStats {
  updatesIn: number;
  /** Hold-timer expiries deferred because received messages were still queued. */
  holdDeferred: number;
}
