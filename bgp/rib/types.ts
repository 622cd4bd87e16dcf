// Public types of the RIB: configuration of the RIB and of each peer as the
// RIB sees it, the deciding reasons of the decision process, best-path change
// events, counters, and the read-only views the CLI/API shows. Types only.
// RFCs: 4271 §9.1 (decision process, reasons), §9.2 (Adj-RIB-Out),
// 4456 (route reflection roles), 7911 (ADD-PATH path identifiers).
import type { Asn, Family, IpAddress, Prefix, RouterId } from '../types.ts';
import type { PathAttributes, WireContext } from '../wire/index.ts';

/**
 * How a peer relates to us: 'ebgp' (other AS), 'ibgp' (same AS, a plain
 * iBGP neighbour), 'rr-client' (same AS, a route-reflector client of ours,
 * RFC 4456 §6).
 */
export type PeerRole = 'ebgp' | 'ibgp' | 'rr-client';

/**
 * The step of the RFC 4271 §9.1.2.2 decision process (plus the local-origin
 * preference before it and the final tie breakers after it) that made the
 * best path win; 'only-path' when there was no competitor.
 */
export type BestReason =
  | 'only-path'
  | 'local-origin'
  | 'local-pref'
  | 'as-path-length'
  | 'origin'
  | 'med'
  | 'ebgp-over-ibgp'
  | 'igp-cost'
  | 'router-id'
  | 'cluster-list-length'
  | 'peer-address'
  | 'path-id';

/** The order in which the decision steps run. */
export const DECISION_STEPS: readonly Exclude<BestReason, 'only-path'>[] = [
  'local-origin',
  'local-pref',
  'as-path-length',
  'origin',
  'med',
  'ebgp-over-ibgp',
  'igp-cost',
  'router-id',
  'cluster-list-length',
  'peer-address',
  'path-id',
];

/** Options of the decision process. */
export interface DecisionOptions {
  /** Compare MED across different neighbour ASes (default false: RFC 4271 §9.1.2.2 c). */
  readonly alwaysCompareMed?: boolean;
  /** A missing MED is the worst (0xffffffff) instead of 0 (RFC 4271 §9.1.2.2 c says 0). */
  readonly missingMedAsWorst?: boolean;
  /** ECMP: the most paths in the multipath set (default 1: no multipath). */
  readonly maxPaths?: number;
  /** ECMP across different neighbour ASes (default false). */
  readonly multipathRelax?: boolean;
}

/** Where a path came from, as the read APIs show it. */
export type PathSource = { readonly kind: 'local' } | { readonly kind: 'peer'; readonly peer: string; readonly role: PeerRole; readonly asn: Asn; readonly routerId: RouterId | null };

/**
 * The import policy hook: returns the attributes to keep (the same object
 * when unchanged, which keeps the interned set) or null to reject the route.
 * Called per prefix, so it is consulted only when configured.
 */
export type ImportPolicy = (prefix: Prefix, attributes: PathAttributes, peer: string) => PathAttributes | null;

/** The export policy hook, after the iBGP/eBGP rules: attributes to send, or null to suppress. */
export type ExportPolicy = (prefix: Prefix, attributes: PathAttributes, target: string, source: PathSource) => PathAttributes | null;

/** IGP cost to reach a next hop; null means unreachable, which makes the path ineligible (RFC 4271 §9.1.2.1). */
export type IgpCost = (nextHop: IpAddress | null) => number | null;

/** RIB-wide configuration. */
export interface RibConfig extends DecisionOptions {
  readonly localAsn: Asn;
  readonly routerId: RouterId;
  /** Route-reflector cluster id (RFC 4456 §7; default: the router id). */
  readonly clusterId?: RouterId;
  /** IGP cost hook (default: every next hop reachable at cost 0). */
  readonly igpCost?: IgpCost;
  readonly importPolicy?: ImportPolicy;
  readonly exportPolicy?: ExportPolicy;
  /** LOCAL_PREF assumed for paths without one and sent to iBGP peers when missing (default 100). */
  readonly defaultLocalPref?: number;
  /** Wall clock for route ages (epoch ms; default Date.now). */
  readonly now?: () => number;
}

/** A peer as the RIB sees it (the speaker registers it before the session comes up). */
export interface RibPeerConfig {
  /** The peer's key in every API: its address as configured (canonical text). */
  readonly id: string;
  readonly asn: Asn;
  /** Our AS toward this peer (local-as override; default RibConfig.localAsn): prepended toward it, and a loop when seen in its paths. */
  readonly localAsn?: Asn;
  /** Default: 'ebgp' when asn differs from our (local) AS, else 'ibgp'. */
  readonly role?: PeerRole;
  /** Keep the pre-policy Adj-RIB-In for soft reconfiguration (default false). */
  readonly softReconfigIn?: boolean;
  /** Set NEXT_HOP to our address toward this iBGP peer too (eBGP always does). */
  readonly nextHopSelf?: boolean;
  /** Our IPv4 / IPv6 next hop toward this peer (default: the session's local address of that family). */
  readonly localNextHop4?: IpAddress;
  readonly localNextHop6?: IpAddress;
  /** Check the first AS of eBGP paths is the peer's AS (default true; RFC 4271 §6.3). */
  readonly enforceFirstAs?: boolean;
  /** Do not send a route to an eBGP peer whose AS is already in its AS_PATH (default true). */
  readonly senderSideLoopCheck?: boolean;
  /** Strip MED received from an eBGP peer before sending to another eBGP peer (default true; RFC 4271 §5.1.4). */
  readonly stripEbgpMed?: boolean;
}

/**
 * What the RIB needs of an Established session; SessionInfo from
 * bgp/session is structurally compatible and can be passed as is.
 */
export interface RibSessionInfo {
  readonly negotiated: { readonly peerId: RouterId };
  readonly capabilities: { readonly context: WireContext; readonly families: ReadonlySet<Family> };
  readonly localAddress: string;
}

/** Locally originated route: the attributes the speaker attaches (ORIGIN defaults to IGP, AS_PATH to empty). */
export interface LocalRoute {
  readonly prefix: Prefix;
  readonly attributes?: PathAttributes;
  /** Next hop of the route (default none: next-hop-self toward every peer). */
  readonly nextHop?: IpAddress | null;
}

// ---------------------------------------------------------------- events

export type BestPathChangeKind = 'added' | 'changed' | 'withdrawn';

/** A best-path change of one prefix, delivered in batches after each RIB operation. */
export interface BestPathChange {
  readonly family: Family;
  readonly prefix: Prefix;
  readonly kind: BestPathChangeKind;
  /** The new best path, or null when withdrawn. */
  readonly best: PathView | null;
  readonly reason: BestReason | null;
  /** The ECMP next hops, best's first, without duplicates (empty when withdrawn or all paths are local without next hop). */
  readonly nextHops: readonly IpAddress[];
  /** The multipath set (best first). */
  readonly multipath: readonly PathView[];
}

export type BestPathListener = (changes: readonly BestPathChange[]) => void;

// ---------------------------------------------------------------- views

/** A path as the read APIs show it. */
export interface PathView {
  readonly source: PathSource;
  /** ADD-PATH path identifier (0 without ADD-PATH). */
  readonly pathId: number;
  readonly nextHop: IpAddress | null;
  /** Attributes without NEXT_HOP / MP_REACH / MP_UNREACH. */
  readonly attributes: PathAttributes;
  /** When the route was received or last changed (epoch ms, 1 s precision): the CLI's age. Always set by the RIB. */
  readonly since?: number;
}

/** One candidate of a prefix in a lookup. */
export interface CandidateView extends PathView {
  readonly best: boolean;
  readonly multipath: boolean;
  /** False when the next hop is unreachable (IGP cost hook returned null). */
  readonly eligible: boolean;
}

/** One Loc-RIB entry: the best path marked with its reason. */
export interface LocRibEntry {
  readonly family: Family;
  readonly prefix: Prefix;
  readonly best: PathView | null;
  readonly reason: BestReason | null;
  readonly multipath: readonly PathView[];
  readonly candidates: number;
}

/** A per-prefix lookup: all candidates with the decision. */
export interface PrefixLookup {
  readonly family: Family;
  readonly prefix: Prefix;
  readonly reason: BestReason | null;
  readonly candidates: readonly CandidateView[];
}

/** A route in a peer's Adj-RIB-Out: what we advertised. */
export interface AdjOutEntry {
  readonly prefix: Prefix;
  readonly nextHop: IpAddress | null;
  readonly attributes: PathAttributes;
}

/** A route in a peer's Adj-RIB-In (post-policy, or pre-policy when asked and kept). */
export interface AdjInEntry {
  readonly prefix: Prefix;
  readonly pathId: number;
  readonly nextHop: IpAddress | null;
  readonly attributes: PathAttributes;
  /** When it was received or last changed (epoch ms); null in the pre-policy view. */
  readonly since: number | null;
}

/** Per-peer counters. */
export interface PeerCounters {
  /** Prefixes announced by the peer (cumulative, NLRI count). */
  received: number;
  /** Paths from the peer currently in the RIB (post-policy). */
  accepted: number;
  /** Announcements refused by the received-side checks (loop, RFC 4456, next hop, first AS) or by import policy (cumulative). */
  rejected: number;
  /** Withdrawals received (cumulative, NLRI count). */
  withdrawn: number;
  /** Prefixes currently advertised to the peer (Adj-RIB-Out size). */
  advertised: number;
  /** Withdrawals sent (cumulative). */
  withdrawnOut: number;
  /** Routes not sent because their attributes leave no room for them in an UPDATE (cumulative). */
  unsendable: number;
  /** UPDATE messages received / built for the peer. */
  updatesIn: number;
  updatesOut: number;
}

/** Per-family prefix counts of a peer (as gobgp's neighbor view shows them). */
export interface FamilyCounters {
  readonly family: Family;
  /** Prefixes announced by the peer (cumulative). */
  readonly received: number;
  /** Paths from the peer currently in the RIB. */
  readonly accepted: number;
  /** Prefixes currently advertised to the peer. */
  readonly advertised: number;
}

/** The outcome of applying one UPDATE, for logging and tests. */
export interface UpdateResult {
  readonly announced: number;
  readonly withdrawn: number;
  /** Why the announced routes were treated as withdrawn, or null. */
  readonly rejectedBy: RejectReason | null;
  /** End-of-RIB of this family was received (RFC 4724 §2). */
  readonly endOfRib: Family | null;
}

/** Received-side check that refused an UPDATE's routes. */
export type RejectReason = 'rfc7606' | 'as-loop' | 'originator-id' | 'cluster-loop' | 'next-hop-self' | 'first-as' | 'no-next-hop';
