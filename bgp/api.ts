// The management-API view types of the speaker: what `GET /v1/bgp/...`
// returns and what the CLI renders (gobgp's `neighbor` and `global rib`
// views). Plain JSON data with stable field names: addresses and prefixes as
// canonical text, ASNs as numbers, durations in seconds, wall-clock times as
// epoch milliseconds. Adding a field is compatible; renaming one is not.
// RFCs: 4271 §8.2.2 (state names), §9.1 (the deciding reason of a best path),
// 1997 / 8092 (community text forms "asn:value", "global:local1:local2"),
// 9003 (shutdown communication shown with the last error).
import type { FsmStateName } from './fsm/index.ts';
import type { Family } from './types.ts';

/** A NOTIFICATION as shown to operators. */
export interface NotificationView {
  /** 'sent' by us or 'received' from the peer. */
  readonly direction: 'sent' | 'received';
  readonly code: number;
  readonly subcode: number;
  /** RFC 8203/9003 shutdown communication, when the NOTIFICATION carried one. */
  readonly communication: string | null;
  /** Data octets in hex (empty string when none). */
  readonly dataHex: string;
}

/** Why the session last went down. */
export interface LastErrorView {
  /** The FSM's reason text. */
  readonly reason: string;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly notification: NotificationView | null;
}

/** Per-family route counts of one neighbour (current). */
export interface PrefixCountersView {
  readonly family: Family;
  /** Paths from the neighbour in the RIB (passed the received-side checks). */
  readonly accepted: number;
  /** Paths in the Adj-RIB-Out (advertised to the neighbour). */
  readonly advertised: number;
}

/** Route counters of one neighbour over all families. */
export interface RouteCountersView {
  /** Announcements received (cumulative NLRI count; gobgp's #Received). */
  readonly received: number;
  /** Paths currently accepted (gobgp's #Accepted). */
  readonly accepted: number;
  /** Announcements refused by the received-side checks (AS loop, first AS, next hop, RFC 4456 loops; cumulative). */
  readonly rejected: number;
  /** Withdrawals received (cumulative). */
  readonly withdrawn: number;
  /** Paths currently advertised. */
  readonly advertised: number;
}

/** Message counters of one neighbour (cumulative over its sessions). */
export interface MessageCountersView {
  readonly updatesIn: number;
  readonly updatesOut: number;
  readonly notificationsIn: number;
  readonly notificationsOut: number;
  readonly routeRefreshIn: number;
  readonly routeRefreshOut: number;
  /** Times the session reached Established. */
  readonly established: number;
}

/** What the current Established session negotiated. */
export interface SessionView {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remotePort: number;
  readonly direction: 'inbound' | 'outbound';
  readonly peerRouterId: string;
  readonly peerAsn: number;
  readonly ibgp: boolean;
  /** Negotiated hold time and keepalive interval, seconds. */
  readonly holdTimeS: number;
  readonly keepaliveS: number;
  /** Families both sides enabled. */
  readonly families: readonly Family[];
  /** Capability kinds (e.g. "multiprotocol", "four-octet-as") in our OPEN and in the peer's. */
  readonly capabilitiesSent: readonly string[];
  readonly capabilitiesReceived: readonly string[];
  readonly fourOctetAs: boolean;
  readonly routeRefresh: boolean;
  readonly extendedMessage: boolean;
}

/** One configured neighbour. */
export interface NeighborView {
  readonly address: string;
  readonly port: number;
  readonly remoteAsn: number;
  readonly localAsn: number;
  readonly passive: boolean;
  /** Administratively enabled (false after `shutdown` until `enable`). */
  readonly enabled: boolean;
  readonly families: readonly Family[];
  readonly holdTimeS: number;
  readonly keepaliveS: number | null;
  readonly routeReflectorClient: boolean;
  readonly state: FsmStateName;
  /** Why the last FSM transition happened (e.g. "connect retry timer expired"). */
  readonly stateReason: string;
  /** Seconds since the session last went up or down (gobgp's Up/Down column); null if it never changed. */
  readonly upDownS: number | null;
  /** Seconds the current session has been Established, or null. */
  readonly uptimeS: number | null;
  /** Epoch milliseconds when the current session became Established, or null. */
  readonly establishedAt: number | null;
  readonly session: SessionView | null;
  readonly messages: MessageCountersView;
  readonly routes: RouteCountersView;
  readonly prefixes: readonly PrefixCountersView[];
  /** Per family, when the current session's End-of-RIB marker (RFC 4724 §2) arrived (epoch ms); empty until one does. */
  readonly endOfRib: readonly EndOfRibView[];
  readonly lastError: LastErrorView | null;
  readonly gracefulRestart: GracefulRestartView;
  /** The BFD session (RFC 5880) with the neighbour, or null without one. */
  readonly bfd: { readonly state: string; readonly remoteState: string; readonly diag: number; readonly detectMs: number; readonly minTxMs: number; readonly minRxMs: number; readonly multiplier: number } | null;
  /** The neighbour's maximum number of prefixes (RFC 4486 §4), or null without one. */
  readonly maxPrefixes: { readonly limit: number; readonly restartS: number | null; readonly heldDown: boolean; readonly restartAt: number | null } | null;
}

/** Graceful restart (RFC 4724) toward one neighbour. */
export interface GracefulRestartView {
  /** We advertise graceful restart (and act as helper). */
  readonly enabled: boolean;
  /** The Restart Time in the neighbour's last capability (seconds), or null when it sent none. */
  readonly peerRestartTimeS: number | null;
  /** Both sides sent the N bit (RFC 8538). */
  readonly notification: boolean;
  /**
   * 'peer-restarting': the session is down and the neighbour's routes are kept
   * as stale; 'waiting-end-of-rib': it is back and stale routes wait for its
   * End-of-RIB; 'none' otherwise.
   */
  readonly state: 'none' | 'peer-restarting' | 'waiting-end-of-rib';
  /** Stale routes per family. */
  readonly stale: readonly { readonly family: Family; readonly routes: number }[];
}

/** One End-of-RIB received from a neighbour on its current session. */
export interface EndOfRibView {
  readonly family: Family;
  /** Epoch milliseconds. */
  readonly receivedAt: number;
}

export interface AsPathSegmentView {
  readonly type: 'set' | 'sequence' | 'confed-sequence' | 'confed-set';
  readonly asns: readonly number[];
}

/** One path (a route with its attributes) in a RIB view. */
export interface PathView {
  readonly prefix: string;
  readonly family: Family;
  /** 'local' for routes this speaker originates, else the neighbour's address. */
  readonly source: string;
  /** null for a local route without a configured next hop (next hop self toward every neighbour). */
  readonly nextHop: string | null;
  readonly asPath: readonly AsPathSegmentView[];
  readonly origin: 'igp' | 'egp' | 'incomplete';
  readonly med: number | null;
  readonly localPref: number | null;
  /** RFC 1997 communities as "asn:value" (well-known ones by name, e.g. "no-export"). */
  readonly communities: readonly string[];
  /** RFC 8092 large communities as "global:local1:local2". */
  readonly largeCommunities: readonly string[];
  /** Seconds since the path was received or originated (null when unknown). */
  readonly ageS: number | null;
  /** The Loc-RIB's choice for this prefix (only in global RIB views). */
  readonly best: boolean;
  /** In the ECMP set of the prefix (the best path included). */
  readonly multipath: boolean;
  /** Eligible for selection (false: next hop unreachable, RFC 4271 §9.1.2.1). */
  readonly valid: boolean;
  /**
   * The decision step that made the best path win (only on the best path):
   * only-path, local-origin, local-pref, as-path-length, origin, med,
   * ebgp-over-ibgp, igp-cost, router-id, cluster-list-length, peer-address, path-id.
   */
  readonly reason: string | null;
  /** Kept from a lost session under graceful restart (RFC 4724 §4.2), not re-announced yet. */
  readonly stale: boolean;
}

/** All paths of one prefix, best first. */
export interface DestinationView {
  readonly prefix: string;
  readonly family: Family;
  readonly paths: readonly PathView[];
}

/** The speaker's global settings. */
export interface GlobalView {
  readonly asn: number;
  readonly routerId: string;
  readonly listen: readonly { readonly address: string; readonly port: number }[];
  readonly neighbors: number;
  readonly established: number;
  /** Destinations in the Loc-RIB per family. */
  readonly destinations: Readonly<Record<Family, number>>;
}

/** The body of POST /v1/bgp/neighbor/action. */
export interface NeighborActionRequest {
  readonly address: string;
  readonly action: 'reset' | 'softreset' | 'softreset-in' | 'softreset-out' | 'shutdown' | 'enable';
  /** RFC 9003 message for reset and shutdown. */
  readonly message?: string;
}
