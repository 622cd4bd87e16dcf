// Type definitions of everything the wire codec reads and writes: the five
// BGP messages as a tagged union (BgpMessage), OPEN capabilities, UPDATE path
// attributes and NLRI lists, and the negotiated WireContext every encoder and
// decoder takes. Types only (plus a few constants); codecs live beside.
// RFCs: 4271 §4 (messages), 5492 (capabilities), 4760 (MP-BGP), 6793 (AS4),
// 2918/7313 (route refresh), 4724 (GR), 9494 (LLGR), 7911 (ADD-PATH),
// 8654 (extended messages), 8950 (extended next hop), 8203/9003 (shutdown
// communication), 1997/4360/8092 (communities), 4456 (route reflection).
import type { AfiSafi, Asn, Family, IpAddress, Ipv4, Ipv6, Prefix, RouterId } from '../types.ts';
import type { BgpError } from './errors.ts';

/** BGP message type codes (RFC 4271 §4.1, RFC 2918 §3). */
export const MessageType = {
  open: 1,
  update: 2,
  notification: 3,
  keepalive: 4,
  routeRefresh: 5,
} as const;

export const HEADER_LENGTH = 19;
/** Maximum message size without / with the Extended Message capability (RFC 4271 §4.1, RFC 8654 §3). */
export const MAX_MESSAGE_LENGTH = 4096;
export const MAX_EXTENDED_MESSAGE_LENGTH = 65535;

// ---------------------------------------------------------------- context

/**
 * What the OPEN exchange negotiated; every encode/decode is a pure function
 * of (message, context). Rx = what we accept from the peer, Tx = what we may
 * send to it.
 */
export interface WireContext {
  /** Both sides advertised 4-octet AS (RFC 6793 §4): AS_PATH/AGGREGATOR carry 4-octet ASNs. */
  readonly fourOctetAs: boolean;
  /** Families whose received NLRI carry path identifiers (we advertised receive, peer send; RFC 7911 §5). */
  readonly addPathRx: ReadonlySet<Family>;
  /** Families whose sent NLRI carry path identifiers (we advertised send, peer receive). */
  readonly addPathTx: ReadonlySet<Family>;
  /** We advertised Extended Message: accept up to 65535 bytes (RFC 8654 §4). */
  readonly extendedMessageRx: boolean;
  /** The peer advertised Extended Message: we may send up to 65535 bytes. */
  readonly extendedMessageTx: boolean;
  /** NLRI families for which an IPv6 next hop was negotiated (RFC 8950 §4). */
  readonly extendedNextHop: ReadonlySet<Family>;
}

const NO_FAMILIES: ReadonlySet<Family> = new Set<Family>();

/** The context before any capability is negotiated (plain RFC 4271). */
export const DEFAULT_WIRE_CONTEXT: WireContext = {
  fourOctetAs: false,
  addPathRx: NO_FAMILIES,
  addPathTx: NO_FAMILIES,
  extendedMessageRx: false,
  extendedMessageTx: false,
  extendedNextHop: NO_FAMILIES,
};

// ---------------------------------------------------------------- capabilities

/** Capability codes (IANA "Capability Codes"). */
export const CapabilityCode = {
  multiprotocol: 1,
  routeRefresh: 2,
  extendedNextHop: 5,
  extendedMessage: 6,
  role: 9,
  gracefulRestart: 64,
  fourOctetAs: 65,
  addPath: 69,
  enhancedRouteRefresh: 70,
  longLivedGracefulRestart: 71,
  fqdn: 73,
  routeRefreshCisco: 128,
} as const;

export interface GracefulRestartFamily extends AfiSafi {
  /** F bit: forwarding state was preserved (RFC 4724 §3). */
  readonly forwarding: boolean;
}

export type AddPathMode = 'receive' | 'send' | 'both';

export interface AddPathFamily extends AfiSafi {
  readonly mode: AddPathMode;
}

export interface ExtendedNextHopEntry extends AfiSafi {
  readonly nextHopAfi: number;
}

export interface LlgrFamily extends AfiSafi {
  readonly forwarding: boolean;
  /** Long-lived stale time in seconds (24 bits). */
  readonly staleTime: number;
}

export type Capability =
  | ({ readonly kind: 'multiprotocol' } & AfiSafi)
  | { readonly kind: 'route-refresh' }
  | { readonly kind: 'route-refresh-cisco' }
  | { readonly kind: 'enhanced-route-refresh' }
  | { readonly kind: 'extended-message' }
  | { readonly kind: 'extended-next-hop'; readonly entries: readonly ExtendedNextHopEntry[] }
  | { readonly kind: 'four-octet-as'; readonly asn: Asn }
  | {
      readonly kind: 'graceful-restart';
      /** R bit: the sender has restarted (RFC 4724 §3). */
      readonly restarting: boolean;
      /** N bit: GR also covers NOTIFICATIONs (RFC 8538 §2). */
      readonly notification: boolean;
      /** Restart time in seconds, 12 bits. */
      readonly time: number;
      readonly families: readonly GracefulRestartFamily[];
    }
  | { readonly kind: 'add-path'; readonly families: readonly AddPathFamily[] }
  | { readonly kind: 'long-lived-graceful-restart'; readonly families: readonly LlgrFamily[] }
  | { readonly kind: 'fqdn'; readonly hostname: string; readonly domain: string }
  | { readonly kind: 'unknown'; readonly code: number; readonly data: Uint8Array };

export type CapabilityKind = Capability['kind'];

// ---------------------------------------------------------------- path attributes

/** Path attribute type codes (IANA "BGP Path Attributes"). */
export const AttrCode = {
  origin: 1,
  asPath: 2,
  nextHop: 3,
  multiExitDisc: 4,
  localPref: 5,
  atomicAggregate: 6,
  aggregator: 7,
  communities: 8,
  originatorId: 9,
  clusterList: 10,
  mpReachNlri: 14,
  mpUnreachNlri: 15,
  extendedCommunities: 16,
  as4Path: 17,
  as4Aggregator: 18,
  largeCommunity: 32,
} as const;

/** Attribute flag bits (RFC 4271 §4.3). */
export const AttrFlag = {
  optional: 0x80,
  transitive: 0x40,
  partial: 0x20,
  extendedLength: 0x10,
} as const;

/** ORIGIN values (RFC 4271 §5.1.1). */
export const Origin = { igp: 0, egp: 1, incomplete: 2 } as const;
export type Origin = 0 | 1 | 2;

/** Well-known communities (RFC 1997, RFC 3765). */
export const WellKnownCommunity = {
  noExport: 0xffffff01,
  noAdvertise: 0xffffff02,
  noExportSubconfed: 0xffffff03,
  noPeer: 0xffffff04,
} as const;

export type AsPathSegmentType = 'set' | 'sequence' | 'confed-sequence' | 'confed-set';

export interface AsPathSegment {
  readonly type: AsPathSegmentType;
  readonly asns: readonly Asn[];
}

export interface Aggregator {
  readonly asn: Asn;
  readonly address: Ipv4;
}

export interface LargeCommunity {
  readonly globalAdmin: number;
  readonly localData1: number;
  readonly localData2: number;
}

/**
 * A list of prefixes of one family with, when ADD-PATH is in use for that
 * direction, the parallel path identifiers (RFC 7911 §3). Parallel arrays
 * rather than one object per route keep decoding allocation-light.
 */
export interface NlriList {
  readonly prefixes: readonly Prefix[];
  /** Path identifiers, same length as prefixes, or null without ADD-PATH. */
  readonly pathIds: readonly number[] | null;
}

/** MP_REACH_NLRI of a family we implement (RFC 4760 §3, RFC 2545 §3, RFC 8950 §3). */
export interface MpReach {
  readonly family: Family;
  /** IPv4, or IPv6 global (an IPv6 next hop for IPv4 NLRI needs RFC 8950). */
  readonly nextHop: IpAddress;
  /** The optional second IPv6 next hop (link-local), RFC 2545 §3. */
  readonly linkLocalNextHop: Ipv6 | null;
  readonly nlri: NlriList;
}

/** MP_UNREACH_NLRI of a family we implement (RFC 4760 §4). */
export interface MpUnreach {
  readonly family: Family;
  readonly withdrawn: NlriList;
}

/** An MP attribute for an (AFI, SAFI) we do not implement: kept opaque. */
export interface OpaqueMp extends AfiSafi {
  readonly family: null;
  readonly data: Uint8Array;
}

/** An attribute we do not know, kept as bytes (flags as received, Partial added on re-send; RFC 4271 §5). */
export interface RawAttribute {
  readonly flags: number;
  readonly code: number;
  readonly value: Uint8Array;
}

/**
 * The path attributes of an UPDATE, one field per known attribute. AS4_PATH
 * and AS4_AGGREGATOR never appear here: decoding merges them into asPath and
 * aggregator (RFC 6793 §4.2.3), encoding regenerates them for 2-octet peers.
 */
export interface PathAttributes {
  readonly origin?: Origin;
  readonly asPath?: readonly AsPathSegment[];
  readonly nextHop?: Ipv4;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: true;
  readonly aggregator?: Aggregator;
  /** RFC 1997 communities as uint32 (high 16 bits ASN, low 16 bits value). */
  readonly communities?: readonly number[];
  readonly originatorId?: RouterId;
  readonly clusterList?: readonly RouterId[];
  readonly mpReach?: MpReach | OpaqueMp;
  readonly mpUnreach?: MpUnreach | OpaqueMp;
  /** RFC 4360 extended communities, each 8 octets as an unsigned 64-bit bigint. */
  readonly extendedCommunities?: readonly bigint[];
  readonly largeCommunities?: readonly LargeCommunity[];
  /** Unrecognised optional transitive attributes (and, on decode, non-transitive ones are dropped). */
  readonly unknown?: readonly RawAttribute[];
}

// ---------------------------------------------------------------- messages

export interface OpenMessage {
  readonly type: 'open';
  /** Always 4 on send; decode rejects anything else (RFC 4271 §6.2). */
  readonly version: number;
  /** The 2-octet "My Autonomous System" field (AS_TRANS when the real ASN needs 4 octets). */
  readonly myAs: number;
  readonly holdTime: number;
  readonly routerId: RouterId;
  readonly capabilities: readonly Capability[];
}

export interface UpdateMessage {
  readonly type: 'update';
  /** Withdrawn Routes field: IPv4 unicast only (RFC 4271 §4.3). */
  readonly withdrawn: NlriList;
  readonly attributes: PathAttributes;
  /** NLRI field: IPv4 unicast only. Other families travel in attributes.mpReach. */
  readonly nlri: NlriList;
  /**
   * Set by the decoder only: the RFC 7606 errors that did not reset the
   * session. If any has action 'treat-as-withdraw', every route in this
   * UPDATE (NLRI and MP_REACH) must be handled as withdrawn.
   */
  readonly errors?: readonly BgpError[];
}

export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
  /**
   * Shutdown communication for Cease / Administrative Shutdown or Reset
   * (RFC 8203, RFC 9003: UTF-8, at most 255 octets). On encode it replaces
   * `data`; on decode it is set when `data` holds a well-formed one.
   */
  readonly communication?: string;
}

export interface KeepaliveMessage {
  readonly type: 'keepalive';
}

/** 'reserved' stands for subtypes 3..255, which the receiver MUST ignore (RFC 7313 §5); it encodes as 255. */
export type RouteRefreshSubtype = 'normal' | 'borr' | 'eorr' | 'reserved';

export interface RouteRefreshMessage extends AfiSafi {
  readonly type: 'route-refresh';
  /** RFC 7313 §3.2: 0 normal, 1 Beginning of Route Refresh, 2 End of Route Refresh. */
  readonly subtype: RouteRefreshSubtype;
}

export type BgpMessage = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;
export type BgpMessageType = BgpMessage['type'];
