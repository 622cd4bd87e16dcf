// Export rules: what a best path looks like when sent to one peer, or null
// when it must not be sent. Split horizon, well-known communities, the iBGP
// re-advertisement rule with its route-reflection exception, sender-side AS
// loop check, AS_PATH prepend and NEXT_HOP rewrite toward eBGP, LOCAL_PREF
// only toward iBGP, MED not carried from one neighbouring AS to another.
// The result depends only on (attribute set, source, target, family), so the
// caller caches it per attribute set; the prefix-level export policy runs after.
// RFCs: 4271 §5.1.2-§5.1.5 and §9.2 (iBGP routes not to iBGP peers),
// 1997 (NO_EXPORT, NO_ADVERTISE, NO_EXPORT_SUBCONFED), 4456 §6 and §8
// (reflection rules, ORIGINATOR_ID and CLUSTER_LIST), 8950 §4, 6793.
import { isIpv6, type Asn, type Family, type IpAddress, type RouterId } from '../types.ts';
import { Origin, type AsPathSegment, type PathAttributes, type WireContext } from '../wire/index.ts';
import { CommunityFlag, pathContainsAs, type AttrSet } from './attr-set.ts';
import type { Source } from './path.ts';
import type { PeerRole } from './types.ts';

/** The speaker-wide facts the export rules need. */
export interface ExportContext {
  readonly localAsn: Asn;
  readonly routerId: RouterId;
  readonly clusterId: RouterId;
  readonly defaultLocalPref: number;
}

/** The target peer's settings as the export rules need them (resolved defaults). */
export interface ExportTarget {
  readonly source: Source;
  readonly role: PeerRole;
  readonly asn: Asn;
  /** Our AS toward this peer (local-as), prepended toward eBGP. */
  readonly localAsn: Asn;
  readonly nextHopSelf: boolean;
  readonly senderSideLoopCheck: boolean;
  readonly stripEbgpMed: boolean;
  /** Our next hop per family toward this peer, or null when we have none of that family. */
  readonly localNextHop4: IpAddress | null;
  readonly localNextHop6: IpAddress | null;
  readonly wire: WireContext;
}

/** Attributes and next hop to send. */
export interface Exported {
  readonly attributes: PathAttributes;
  readonly nextHop: IpAddress;
}

const isInternal = (role: PeerRole | 'local'): boolean => role === 'ibgp' || role === 'rr-client';

/** RFC 4271 §9.2 and RFC 4456 §6: may a route learned from `from` go to `to`? (both non-local) */
export function mayAdvertise(from: PeerRole | 'local', to: PeerRole): boolean {
  if (from === 'local' || from === 'ebgp' || to === 'ebgp') return true;
  // RFC 4456 §6: from a client to everyone internal; from a non-client only to clients
  return from === 'rr-client' || to === 'rr-client';
}

/** Prepends `asn` to an AS_PATH as an AS_SEQUENCE (RFC 4271 §5.1.2 b). */
export function prependAs(path: readonly AsPathSegment[] | undefined, asn: Asn): AsPathSegment[] {
  const segs = path ?? [];
  const first = segs[0];
  if (first !== undefined && first.type === 'sequence' && first.asns.length < 255) {
    return [{ type: 'sequence', asns: [asn, ...first.asns] }, ...segs.slice(1)];
  }
  return [{ type: 'sequence', asns: [asn] }, ...segs];
}

function localNextHop(t: ExportTarget, family: Family): IpAddress | null {
  if (family === 'ipv6-unicast') return t.localNextHop6;
  // RFC 8950 §4: an IPv6 next hop for IPv4 NLRI only if negotiated
  return t.localNextHop4 ?? (t.wire.extendedNextHop.has('ipv4-unicast') ? t.localNextHop6 : null);
}

/** A kept next hop must be of a kind the family and session can carry. */
function carriable(nh: IpAddress, family: Family, t: ExportTarget): boolean {
  if (family === 'ipv6-unicast') return isIpv6(nh);
  return !isIpv6(nh) || t.wire.extendedNextHop.has('ipv4-unicast');
}

/**
 * The attributes a path (from `src`, with `attrs`) is sent with to `t` in
 * `family`, or null when it must not be sent. Does not run the export policy.
 */
export function exportPath(src: Source, attrs: AttrSet, family: Family, t: ExportTarget, ctx: ExportContext): Exported | null {
  // never back to the peer it came from (split horizon; RFC 4271 §9.2 for iBGP)
  if (src === t.source) return null;
  const flags = attrs.communityFlags;
  // RFC 1997: NO_ADVERTISE to no peer; NO_EXPORT and NO_EXPORT_SUBCONFED to no eBGP peer (we run no confederation)
  if ((flags & CommunityFlag.noAdvertise) !== 0) return null;
  const ebgp = t.role === 'ebgp';
  if (ebgp && (flags & (CommunityFlag.noExport | CommunityFlag.noExportSubconfed)) !== 0) return null;
  if (!mayAdvertise(src.role, t.role)) return null;
  const a = attrs.attributes;
  // sender-side loop check: the peer would drop a path holding its own AS (RFC 4271 §9.1.2)
  if (ebgp && t.senderSideLoopCheck && pathContainsAs(a, t.asn)) return null;
  if (ebgp) {
    const nh = localNextHop(t, family);
    if (nh === null) return null;
    // RFC 4271 §5.1.2 b: prepend our AS; §5.1.3: next hop is our address; §5.1.5: no LOCAL_PREF;
    // §5.1.4: a MED received from a neighbouring AS is not passed to another; RFC 4456 §8: ORIGINATOR_ID/CLUSTER_LIST stay inside the AS
    const { localPref: _lp, originatorId: _o, clusterList: _c, med, ...rest } = a;
    const keepMed = med !== undefined && !(t.stripEbgpMed && src.role === 'ebgp');
    return {
      attributes: { ...rest, origin: a.origin ?? Origin.igp, asPath: prependAs(a.asPath, t.localAsn), ...(keepMed ? { med } : {}) },
      nextHop: nh,
    };
  }
  // internal peer: LOCAL_PREF always present (RFC 4271 §5.1.5), AS_PATH unchanged (§5.1.2 a)
  let nh: IpAddress | null = attrs.nextHop;
  if (t.nextHopSelf || nh === null || !carriable(nh, family, t)) nh = localNextHop(t, family);
  if (nh === null) return null;
  let out: PathAttributes = { ...a, origin: a.origin ?? Origin.igp, asPath: a.asPath ?? [], localPref: a.localPref ?? ctx.defaultLocalPref };
  if (isInternal(src.role) && isInternal(t.role)) {
    // RFC 4456 §8: reflecting: ORIGINATOR_ID is the originator's router id if absent; prepend our CLUSTER_ID
    out = { ...out, originatorId: a.originatorId ?? src.routerId ?? ctx.routerId, clusterList: [ctx.clusterId, ...(a.clusterList ?? [])] };
  }
  return { attributes: out, nextHop: nh };
}
