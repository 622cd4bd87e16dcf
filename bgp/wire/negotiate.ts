// Capability negotiation: from the capabilities we sent and those the peer
// sent, the WireContext every later encode/decode uses, plus the negotiated
// facts the session and RIB need (families, route refresh, GR). Pure.
// RFCs: 4760 §8 (no MP capability means IPv4 unicast only), 6793 §4,
// 7911 §4-§5, 8654 §4 (send extended only if both advertised; accept if we
// did), 8950 §4, 2918 §2, 7313 §4, 4724 §3, 9494 §3.
import { FAMILIES, familyAfiSafi, familyOf, type Family } from '../types.ts';
import type { AddPathMode, Capability, WireContext } from './messages.ts';

export interface Negotiation {
  readonly context: WireContext;
  /** Families both sides enabled. */
  readonly families: ReadonlySet<Family>;
  /** The peer accepts ROUTE-REFRESH (code 2 or the old 128). */
  readonly routeRefresh: boolean;
  /** Both sides advertised enhanced route refresh (RFC 7313 §4). */
  readonly enhancedRouteRefresh: boolean;
  /** The peer's graceful restart capability, or null. */
  readonly peerGracefulRestart: Extract<Capability, { kind: 'graceful-restart' }> | null;
  /** The peer's long-lived graceful restart capability, or null. */
  readonly peerLongLivedGracefulRestart: Extract<Capability, { kind: 'long-lived-graceful-restart' }> | null;
}

function mpFamilies(caps: readonly Capability[]): Set<Family> {
  const out = new Set<Family>();
  let any = false;
  for (const c of caps) {
    if (c.kind !== 'multiprotocol') continue;
    any = true;
    const f = familyOf(c.afi, c.safi);
    if (f !== null) out.add(f);
  }
  // RFC 4760 §8: a speaker that sends no MP capability is IPv4 unicast only
  if (!any) out.add('ipv4-unicast');
  return out;
}

function addPathModes(caps: readonly Capability[]): Map<Family, AddPathMode> {
  const out = new Map<Family, AddPathMode>();
  for (const c of caps) {
    if (c.kind !== 'add-path') continue;
    for (const f of c.families) {
      const fam = familyOf(f.afi, f.safi);
      if (fam !== null) out.set(fam, f.mode);
    }
  }
  return out;
}

const canSend = (m: AddPathMode | undefined): boolean => m === 'send' || m === 'both';
const canReceive = (m: AddPathMode | undefined): boolean => m === 'receive' || m === 'both';
const has = (caps: readonly Capability[], kind: Capability['kind']): boolean => caps.some((c) => c.kind === kind);

/** Negotiates what `local` (sent by us) and `remote` (received) have in common. */
export function negotiate(local: readonly Capability[], remote: readonly Capability[]): Negotiation {
  const ours = mpFamilies(local);
  const theirs = mpFamilies(remote);
  const families = new Set(FAMILIES.filter((f) => ours.has(f) && theirs.has(f)));
  const localAp = addPathModes(local);
  const remoteAp = addPathModes(remote);
  const addPathRx = new Set<Family>();
  const addPathTx = new Set<Family>();
  for (const f of families) {
    // RFC 7911 §5: path ids flow from a side that can send to one that can receive
    if (canReceive(localAp.get(f)) && canSend(remoteAp.get(f))) addPathRx.add(f);
    if (canSend(localAp.get(f)) && canReceive(remoteAp.get(f))) addPathTx.add(f);
  }
  const extendedNextHop = new Set<Family>();
  for (const c of remote) {
    if (c.kind !== 'extended-next-hop') continue;
    for (const e of c.entries) {
      const f = familyOf(e.afi, e.safi);
      // RFC 8950 §4: the peer accepts next hops of nextHopAfi for these NLRI
      if (f !== null && e.nextHopAfi === familyAfiSafi('ipv6-unicast').afi) extendedNextHop.add(f);
    }
  }
  const localExt = has(local, 'extended-message');
  const context: WireContext = {
    fourOctetAs: has(local, 'four-octet-as') && has(remote, 'four-octet-as'),
    addPathRx,
    addPathTx,
    extendedMessageRx: localExt,
    extendedMessageTx: localExt && has(remote, 'extended-message'),
    extendedNextHop,
  };
  return {
    context,
    families,
    routeRefresh: has(remote, 'route-refresh') || has(remote, 'route-refresh-cisco'),
    enhancedRouteRefresh: has(local, 'enhanced-route-refresh') && has(remote, 'enhanced-route-refresh'),
    peerGracefulRestart: remote.find((c): c is Extract<Capability, { kind: 'graceful-restart' }> => c.kind === 'graceful-restart') ?? null,
    peerLongLivedGracefulRestart: remote.find((c): c is Extract<Capability, { kind: 'long-lived-graceful-restart' }> => c.kind === 'long-lived-graceful-restart') ?? null,
  };
}
