// The vocabulary of the BGP finite state machine: states, events, effects and
// the configuration the transition function reads. Pure data, no behaviour.
// RFCs: 4271 §8.1 (events, timers, optional session attributes) and §8.2.2
// (states), 6608 (FSM error subcodes), 9003 (shutdown communication),
// 9687 (send hold timer event),
// 6793 (4-octet AS in the OPEN), 6286 (BGP identifier).
import type { Asn, RouterId } from '../types.ts';
import type { OpenMessage } from '../wire/index.ts';

/** The six states of RFC 4271 §8.2.2. */
export type FsmStateName = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/** The timers of RFC 4271 §8.1.3 plus the optional DelayOpen and IdleHold timers (§8.1.1). */
export type TimerName = 'ConnectRetry' | 'Hold' | 'Keepalive' | 'DelayOpen' | 'IdleHold';

/** The timers stopped whenever the FSM drops back to Idle. */
export const SESSION_TIMERS: readonly TimerName[] = ['ConnectRetry', 'Hold', 'Keepalive', 'DelayOpen'];

/**
 * The fields of a received OPEN the FSM checks (RFC 4271 §6.2): the decoded
 * wire OPEN satisfies it; the 4-octet AS capability (RFC 6793 §3) is looked
 * up among `capabilities`.
 */
export type PeerOpen = Pick<OpenMessage, 'version' | 'myAs' | 'holdTime' | 'routerId' | 'capabilities'>;

/** What the OPEN exchange settled on, carried by OpenConfirm and Established. */
export interface Negotiated {
  /** Negotiated hold time in seconds: min(ours, theirs); 0 means no hold timer and no keepalives (RFC 4271 §4.2). */
  readonly holdTimeS: number;
  /** Keepalive interval in milliseconds (a third of the hold time, or less if configured); 0 when the hold time is 0. */
  readonly keepaliveMs: number;
  readonly peerAsn: Asn;
  readonly peerId: RouterId;
  /** Both sides advertised the 4-octet AS capability (RFC 6793 §4). */
  readonly as4: boolean;
  /** Internal (same AS) session. */
  readonly ibgp: boolean;
}

/** A NOTIFICATION to send or that was received (RFC 4271 §4.5). */
export interface Notification {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
  /** RFC 9003 shutdown communication (Cease 2 and 4), already encoded in `data`; used in reasons. */
  readonly communication?: string;
}

/** Fields every state carries. */
export interface FsmCommon {
  /** RFC 4271 §8.1.3 ConnectRetryCounter. */
  readonly connectRetryCounter: number;
  /** The IdleHold duration the next automatic restart will wait (exponential damping, RFC 4271 §8.1.1 DampPeerOscillations). */
  readonly idleHoldMs: number;
  /** PassiveTcpEstablishment for this run (RFC 4271 §8.1.1): never initiate the TCP connection. */
  readonly passive: boolean;
  /** Automatic restart is armed: set by a start event, cleared by ManualStop (RFC 4271 §8.1.1 AllowAutomaticStart). */
  readonly autoRestart: boolean;
}

export type FsmState =
  | (FsmCommon & { readonly name: 'Idle' })
  /** `delayOpen`: the TCP connection is up and the DelayOpenTimer runs (RFC 4271 §8.2.2). */
  | (FsmCommon & { readonly name: 'Connect'; readonly delayOpen: boolean })
  | (FsmCommon & { readonly name: 'Active'; readonly delayOpen: boolean })
  | (FsmCommon & { readonly name: 'OpenSent' })
  | (FsmCommon & { readonly name: 'OpenConfirm'; readonly negotiated: Negotiated })
  | (FsmCommon & { readonly name: 'Established'; readonly negotiated: Negotiated });

/** A shutdown request: Cease subcode and RFC 9003 message. */
export interface StopRequest {
  /** Cease subcode (RFC 4486): administrativeShutdown (2) by default, or administrativeReset (4), peerDeconfigured (3)... */
  readonly subcode?: number;
  /** RFC 9003 shutdown communication, at most 255 UTF-8 bytes (longer text is cut at a character boundary). */
  readonly message?: string;
  /**
   * RFC 8538 §3: wrap the Cease in a Hard Reset (subcode 9, the inner subcode
   * and data after it) so a peer that negotiated notification graceful
   * restart flushes our routes instead of keeping them as stale.
   */
  readonly hardReset?: boolean;
  /** The NOTIFICATION's data for subcodes that carry some (RFC 4486 §4: Maximum Number of Prefixes Reached: AFI, SAFI, limit). */
  readonly data?: Uint8Array;
}

/** Events of RFC 4271 §8.1.2-8.1.5 (numbers in comments), as a tagged union. */
export type FsmEvent =
  | { readonly type: 'ManualStart' } // 1
  | ({ readonly type: 'ManualStop' } & StopRequest) // 2
  | { readonly type: 'AutomaticStart' } // 3
  | { readonly type: 'ManualStart_with_PassiveTcpEstablishment' } // 4
  | { readonly type: 'AutomaticStart_with_PassiveTcpEstablishment' } // 5
  | ({ readonly type: 'AutomaticStop' } & StopRequest) // 8
  | { readonly type: 'ConnectRetryTimer_Expires' } // 9
  | { readonly type: 'HoldTimer_Expires' } // 10
  | { readonly type: 'KeepaliveTimer_Expires' } // 11
  | { readonly type: 'DelayOpenTimer_Expires' } // 12
  | { readonly type: 'IdleHoldTimer_Expires' } // 13
  | { readonly type: 'Tcp_CR_Acked' } // 16: our outgoing connection completed
  | { readonly type: 'TcpConnectionConfirmed' } // 17: an incoming connection was accepted
  | { readonly type: 'TcpConnectionFails'; readonly error?: string } // 18
  | { readonly type: 'BGPOpen'; readonly open: PeerOpen } // 19/20
  | { readonly type: 'BGPHeaderErr'; readonly error: Notification; readonly detail?: string } // 21
  | { readonly type: 'BGPOpenMsgErr'; readonly error: Notification; readonly detail?: string } // 22
  | { readonly type: 'OpenCollisionDump'; readonly why?: string } // 23
  | { readonly type: 'NotifMsgVerErr'; readonly notification: Notification } // 24
  | { readonly type: 'NotifMsg'; readonly notification: Notification } // 25
  | { readonly type: 'KeepAliveMsg' } // 26
  | { readonly type: 'UpdateMsg' } // 27
  | { readonly type: 'UpdateMsgErr'; readonly error: Notification; readonly detail?: string } // 28
  | { readonly type: 'RouteRefreshMsg' } // RFC 2918: liveness like an UPDATE
  | { readonly type: 'SendHoldTimer_Expires' }; // 29, RFC 9687 §4.2: our output made no progress for SendHoldTime

export type FsmEventType = FsmEvent['type'];

/** Side effects the shell executes, in order. */
export type FsmEffect =
  | { readonly kind: 'connect' }
  | { readonly kind: 'close' }
  | { readonly kind: 'sendOpen'; readonly holdTimeS: number }
  | { readonly kind: 'sendKeepalive' }
  | { readonly kind: 'sendNotification'; readonly notification: Notification }
  /** Start the timer, or restart it if it runs. */
  | { readonly kind: 'startTimer'; readonly timer: TimerName; readonly ms: number }
  | { readonly kind: 'stopTimer'; readonly timer: TimerName }
  | { readonly kind: 'sessionUp'; readonly negotiated: Negotiated }
  | { readonly kind: 'sessionDown'; readonly reason: string }
  /** Drop per-connection state (framer, pending output); RFC 4271 "releases all BGP resources". */
  | { readonly kind: 'releaseResources' }
  /** Informational: ConnectRetryCounter changed to `value`. */
  | { readonly kind: 'connectRetryCounter'; readonly value: number }
  /** Informational: the damping backoff moved; the next restart waits `nextMs`. */
  | { readonly kind: 'idleHoldBackoff'; readonly nextMs: number };

export interface FsmResult {
  readonly state: FsmState;
  readonly effects: readonly FsmEffect[];
  /** Human-readable: why this transition happened (logged and shown by the CLI). */
  readonly reason: string;
}

/** Per-peer configuration read by the transition function. */
export interface FsmConfig {
  readonly localAsn: Asn;
  readonly localId: RouterId;
  /** The AS we expect the peer to announce (RFC 4271 §6.2 Bad Peer AS). */
  readonly peerAsn: Asn;
  /** Our proposed hold time in seconds: 0 or 3..65535 (RFC 4271 §4.2). */
  readonly holdTimeS: number;
  /** Lowest non-zero hold time we accept from the peer (at least 3). */
  readonly minHoldTimeS: number;
  /** Optional upper bound for the keepalive interval in seconds; by default a third of the hold time. */
  readonly keepaliveTimeS?: number;
  /** Hold time used in OpenSent before the OPEN arrives (RFC 4271 §8.2.2 suggests 4 minutes). */
  readonly largeHoldTimeS: number;
  readonly connectRetryMs: number;
  /** DelayOpen (RFC 4271 §8.1.1): wait this long for the peer's OPEN before sending ours; 0 disables. */
  readonly delayOpenMs: number;
  /** DampPeerOscillations (RFC 4271 §8.1.1): automatic restarts back off exponentially. */
  readonly dampPeerOscillations: boolean;
  readonly idleHoldMs: number;
  readonly idleHoldMaxMs: number;
  /** SendNOTIFICATIONwithoutOPEN (RFC 4271 §8.1.1): report header/OPEN errors before our OPEN is sent. */
  readonly sendNotificationWithoutOpen: boolean;
}

/** Defaults per RFC 4271 §10 (ConnectRetry 120 s, hold 90 s, large hold 4 min) and common practice. */
export const DEFAULT_FSM_CONFIG = {
  holdTimeS: 90,
  minHoldTimeS: 3,
  largeHoldTimeS: 240,
  connectRetryMs: 120_000,
  delayOpenMs: 0,
  dampPeerOscillations: true,
  idleHoldMs: 5_000,
  idleHoldMaxMs: 120_000,
  sendNotificationWithoutOpen: true,
} as const;

/** The state a peer's FSM starts in. */
export function initialState(config: Pick<FsmConfig, 'idleHoldMs'>): FsmState {
  return { name: 'Idle', connectRetryCounter: 0, idleHoldMs: config.idleHoldMs, passive: false, autoRestart: false };
}
