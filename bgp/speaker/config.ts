// The Speaker's configuration vocabulary: speaker options, neighbour and
// originated-route settings, the error type of its API, and the pure
// translations of these settings into what the session layer (PeerConfig)
// and the RIB (path attributes) take.
// RFCs: 4271 §4.2 and §10 (hold time, ConnectRetry), 4760 (families),
// 6793 (4-octet local AS), 4456 (route-reflector clients), 2385 (TCP-MD5)
// and 5082 (GTSM), 1997 / 8092 (communities on originated routes).
import type { Clock, PeerConfig } from '../session/index.ts';
import { canonicalAddress } from '../session/index.ts';
import { FAMILIES, familyAfiSafi, type Asn, type Family, type IpAddress, type Prefix, type RouterId } from '../types.ts';
import type { Capability, LargeCommunity, Origin, PathAttributes } from '../wire/index.ts';
import type { PolicyDefinition } from '../policy/index.ts';

export interface SpeakerOptions {
  readonly asn: Asn;
  readonly routerId: RouterId;
  /** Where to accept connections (default all addresses, port 179); false: outbound only. */
  readonly listen?: { readonly addresses?: readonly string[]; readonly port?: number } | false;
  readonly clock?: Clock;
  /** ECMP: the most paths in a multipath set (default 1). */
  readonly maxPaths?: number;
  /** BFD's UDP port (RFC 5881: 3784), for receiving and as the peers' destination. */
  readonly bfdPort?: number;
  /** Route-reflector CLUSTER_ID (RFC 4456 §7; default the router id). */
  readonly clusterId?: RouterId;
  /**
   * Import policy, after the RFC checks: the attributes to keep for a path
   * from neighbour `from`, or null to refuse it. Call Speaker.policiesChanged
   * when its decisions change.
   */
  readonly importPolicy?: (prefix: Prefix, attributes: PathAttributes, from: string) => PathAttributes | null;
  /**
   * Export policy, after the iBGP/eBGP rules and local-AS prepends: what to
   * send `target` for a path from `source` ('local': originated here), or null
   * to send nothing.
   */
  readonly exportPolicy?: (prefix: Prefix, attributes: PathAttributes, target: { readonly address: string; readonly remoteAsn: Asn; readonly ibgp: boolean }, source: 'local' | 'peer') => PathAttributes | null;
  /** Named routing policies (bgp/policy) that neighbours' import and export chains refer to. */
  readonly policies?: readonly PolicyDefinition[];
  /** RFC 8212: an eBGP neighbour without an import (export) chain accepts (sends) nothing. Default off (kube-router's behaviour). */
  readonly ebgpRequirePolicy?: boolean;
  /** Graceful restart (RFC 4724, RFC 8538) in both roles; off when absent. */
  readonly gracefulRestart?: GracefulRestartOptions;
  /** Log sink (the app wires its logger here; bgp/ has none of its own). */
  readonly log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

export interface GracefulRestartOptions {
  /** The Restart Time we advertise: how long peers keep our routes while we are gone (seconds, 1..4095). */
  readonly restartTimeS: number;
  /**
   * We restarted with our forwarding state kept (R bit, and F for every
   * family): peers keep our routes until our End-of-RIB and do not wait for
   * ours before sending theirs.
   */
  readonly restarting?: boolean;
  /**
   * Helper role: after a restarting peer is back, how long its stale routes
   * wait for its End-of-RIB before they are swept (seconds, default 360, like
   * FRR's stale-path time).
   */
  readonly stalePathTimeS?: number;
}

export interface NeighborConfig {
  readonly address: IpAddress;
  readonly remoteAsn: Asn;
  /** Our AS toward this neighbour (local-as override: OPEN and AS_PATH); default the speaker's. */
  readonly localAsn?: Asn;
  /** The neighbour's TCP port (default 179). */
  readonly port?: number;
  /**
   * Local address for our outbound connection. Default: the listen address
   * of the neighbour's family when the speaker listens on specific (not
   * wildcard) addresses, so a node connects from the address it is known by.
   */
  readonly localAddress?: IpAddress;
  readonly passive?: boolean;
  /** Proposed hold time, seconds (default 90; 0 or 3..65535). */
  readonly holdTimeS?: number;
  /** Keepalive interval, seconds (default a third of the hold time). */
  readonly keepaliveS?: number;
  /** ConnectRetry timer, seconds (default 120, RFC 4271 §10). */
  readonly connectRetryS?: number;
  readonly families?: readonly Family[];
  /** Our next hops toward this neighbour (default: the session's local address of that family); needed for IPv6 routes over an IPv4 session. */
  readonly nextHopIpv4?: IpAddress;
  readonly nextHopIpv6?: IpAddress;
  /** Route-reflector client (RFC 4456): iBGP routes are reflected to and from it. */
  readonly routeReflectorClient?: boolean;
  /** TCP-MD5 shared secret (RFC 2385, 1..80 octets): our connection and the listener's key for this address. */
  readonly password?: string;
  /** GTSM (RFC 5082): send TTL 255, accept only 255 from the neighbour (256 - multihopTtl when set). */
  readonly ttlSecurity?: boolean;
  /** eBGP multihop: the TTL of our segments (1..255). Default: 1 for eBGP (directly connected), the system's for iBGP. */
  readonly multihopTtl?: number;
  /**
   * Maximum number of prefixes accepted from the neighbour (all families):
   * beyond `limit` the session is closed with Cease / Maximum Number of
   * Prefixes Reached (RFC 4486 §4) and stays down for `restartS` seconds
   * before it restarts (0 or absent: until an operator resets or enables it).
   * A warning is logged when `warningPercent` of the limit is reached.
   */
  readonly maxPrefixes?: { readonly limit: number; readonly warningPercent?: number; readonly restartS?: number };
  /**
   * BFD (RFC 5880/5881, single hop) with this neighbour: when its session
   * goes from Up to Down the BGP session is closed at once (Cease / BFD Down,
   * RFC 9384) instead of waiting for the hold timer. Started with the first
   * BGP session, from its local address.
   */
  readonly bfd?: { readonly minTxMs?: number; readonly minRxMs?: number; readonly multiplier?: number };
  /** Names of the policies run, in order, on routes from this neighbour (first accept/reject decides; the end accepts). */
  readonly importPolicies?: readonly string[];
  /** Names of the policies run, in order, on routes to this neighbour. */
  readonly exportPolicies?: readonly string[];
  /** Administratively enabled (default true). */
  readonly enabled?: boolean;
}

/** A route to originate. */
export interface OriginateRequest {
  readonly prefix: Prefix;
  /** Next hop toward iBGP neighbours (eBGP neighbours always get ours); default: next hop self. */
  readonly nextHop?: IpAddress;
  readonly origin?: Origin;
  readonly med?: number;
  readonly localPref?: number;
  readonly communities?: readonly number[];
  readonly largeCommunities?: readonly LargeCommunity[];
  /** Extra copies of our AS toward eBGP neighbours. */
  readonly asPathPrepend?: number;
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

/** The canonical form of a neighbour config: equal keys mean no change (enabled is handled apart). */
export function neighborKey(c: NeighborConfig): string {
  return JSON.stringify({ ...c, address: canonicalAddress(c.address), families: [...(c.families ?? FAMILIES)].sort(), enabled: undefined });
}

/**
 * The graceful restart capability we send (RFC 4724 §3): the N bit always
 * (RFC 8538 §2), R and F per family when we restarted with forwarding kept.
 */
export function gracefulRestartCapability(gr: GracefulRestartOptions, families: readonly Family[]): Capability {
  const restarting = gr.restarting === true;
  return {
    kind: 'graceful-restart',
    restarting,
    notification: true,
    time: Math.min(4095, Math.max(0, Math.round(gr.restartTimeS))),
    families: families.map((f) => ({ ...familyAfiSafi(f), forwarding: restarting })),
  };
}

/** The session layer's configuration of a neighbour. */
export function peerConfigOf(
  c: NeighborConfig,
  speaker: { readonly asn: Asn; readonly routerId: RouterId; readonly clock: Clock; readonly gracefulRestart?: GracefulRestartOptions | undefined },
  localAddress: string | undefined,
): PeerConfig {
  const families = c.families ?? FAMILIES;
  return {
    remoteAddress: canonicalAddress(c.address),
    localAsn: c.localAsn ?? speaker.asn,
    peerAsn: c.remoteAsn,
    routerId: speaker.routerId,
    clock: speaker.clock,
    families,
    ...(speaker.gracefulRestart !== undefined ? { capabilities: [gracefulRestartCapability(speaker.gracefulRestart, families)] } : {}),
    ...(c.port !== undefined ? { remotePort: c.port } : {}),
    ...(localAddress !== undefined ? { localAddress } : {}),
    ...(c.passive !== undefined ? { passive: c.passive } : {}),
    ...(c.holdTimeS !== undefined ? { holdTimeS: c.holdTimeS } : {}),
    ...(c.keepaliveS !== undefined ? { keepaliveTimeS: c.keepaliveS } : {}),
    ...(c.connectRetryS !== undefined ? { connectRetryMs: c.connectRetryS * 1000 } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    ...(c.ttlSecurity !== undefined ? { ttlSecurity: c.ttlSecurity } : {}),
    ...(c.multihopTtl !== undefined ? { multihopTtl: c.multihopTtl } : {}),
  };
}

/** The path attributes of an originated route (ORIGIN IGP and an empty AS_PATH unless set). */
export function originAttributes(r: OriginateRequest): PathAttributes {
  return {
    origin: r.origin ?? 0,
    asPath: [],
    ...(r.med !== undefined ? { med: r.med } : {}),
    ...(r.localPref !== undefined ? { localPref: r.localPref } : {}),
    ...(r.communities !== undefined && r.communities.length > 0 ? { communities: [...r.communities] } : {}),
    ...(r.largeCommunities !== undefined && r.largeCommunities.length > 0 ? { largeCommunities: [...r.largeCommunities] } : {}),
  };
}
