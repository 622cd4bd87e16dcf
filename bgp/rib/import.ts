// The receiving side's semantic checks, applied once per UPDATE (all its
// routes share the attributes): which next hop a family's routes carry, and
// whether the routes must be ignored (treated as withdrawn) because of an AS
// loop, a route-reflection loop, our own address as next hop, or a wrong
// first AS from an eBGP peer. Pure functions of (attributes, peer, speaker).
// RFCs: 4271 §9.1.2 (AS loop), §6.3 (NEXT_HOP semantics, first AS),
// §5.1.5 (LOCAL_PREF from an external peer is ignored), 4456 §8
// (ORIGINATOR_ID / CLUSTER_LIST), 4760 §3 (next hop of MP_REACH_NLRI).
import { ipv4ToNumber, type Asn, type Family, type IpAddress, type RouterId } from '../types.ts';
import type { PathAttributes } from '../wire/index.ts';
import { pathContainsAs, type AttrSet } from './attr-set.ts';
import type { PeerRole, RejectReason } from './types.ts';

/** The receiving peer, as the checks need it. */
export interface ReceivingPeer {
  readonly role: PeerRole;
  readonly asn: Asn;
  /** Our AS toward this peer (local-as). */
  readonly localAsn: Asn;
  readonly enforceFirstAs: boolean;
  /** Our addresses on this session. */
  readonly localAddresses: readonly string[];
}

/** Our identity, as the checks need it. */
export interface Self {
  readonly localAsn: Asn;
  readonly routerId: RouterId;
  readonly clusterId: RouterId;
}

/** The next hop of a family's routes in an UPDATE: MP_REACH_NLRI's, or NEXT_HOP for IPv4 NLRI (RFC 4760 §3). */
export function nextHopOf(attributes: PathAttributes, family: Family): IpAddress | null {
  const r = attributes.mpReach;
  if (r !== undefined && r.family === family) return r.nextHop;
  return family === 'ipv4-unicast' ? (attributes.nextHop ?? null) : null;
}

/** The attributes to store: LOCAL_PREF received from an external peer is dropped (RFC 4271 §5.1.5). */
export function receivedAttributes(attributes: PathAttributes, role: PeerRole): PathAttributes {
  if (role !== 'ebgp' || attributes.localPref === undefined) return attributes;
  const { localPref: _lp, ...rest } = attributes;
  return rest;
}

/** Received-side checks; the reason the routes must be ignored, or null. */
export function checkReceived(set: AttrSet, peer: ReceivingPeer, self: Self): RejectReason | null {
  // RFC 4271 §9.1.2: a route whose AS_PATH holds our AS is not eligible
  if (pathContainsAs(set.attributes, self.localAsn) || pathContainsAs(set.attributes, peer.localAsn)) return 'as-loop';
  // RFC 4456 §8: our ORIGINATOR_ID, or our CLUSTER_ID in CLUSTER_LIST: a reflection loop
  if (set.originatorId === ipv4ToNumber(self.routerId)) return 'originator-id';
  if (set.attributes.clusterList?.includes(self.clusterId) === true) return 'cluster-loop';
  // RFC 4271 §6.3: NEXT_HOP must not be an address of ours
  if (set.nextHop !== null && peer.localAddresses.includes(set.nextHop)) return 'next-hop-self';
  // RFC 4271 §6.3: from an external peer the leftmost AS must be the peer's
  if (peer.role === 'ebgp' && peer.enforceFirstAs && set.firstAs !== peer.asn) return 'first-as';
  return null;
}
