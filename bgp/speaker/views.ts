// Builds the management-API views (bgp/api.ts) from RIB records and session
// state: community text forms, origin names, ages, neighbour details. Pure
// functions of their inputs and the current wall-clock time passed in.
// RFCs: 1997 (community "asn:value", well-known names), 8092 §2 (large
// community "global:local1:local2"), 4271 §5.1.1 (ORIGIN names).
import type { NeighborView, NotificationView, PathView, PrefixCountersView, RouteCountersView } from '../api.ts';
import type { Notification } from '../fsm/index.ts';
import type { PathView as RibPathView, PeerCounters } from '../rib/index.ts';
import type { SessionInfo } from '../session/index.ts';
import { canonicalAddress } from '../session/index.ts';
import { FAMILIES, prefixFamily, type Family, type Prefix } from '../types.ts';
import { WellKnownCommunity, type NotificationMessage } from '../wire/index.ts';

const wellKnownNames = new Map<number, string>([
  [WellKnownCommunity.noExport, 'no-export'],
  [WellKnownCommunity.noAdvertise, 'no-advertise'],
  [WellKnownCommunity.noExportSubconfed, 'no-export-subconfed'],
  [WellKnownCommunity.noPeer, 'no-peer'],
]);

/** "asn:value", or the well-known name (RFC 1997). */
export function communityText(c: number): string {
  return wellKnownNames.get(c) ?? `${Math.floor(c / 65536)}:${c % 65536}`;
}

const ORIGINS = ['igp', 'egp', 'incomplete'] as const;

/** The source text of a RIB path: 'local' or the neighbour's address. */
export function sourceText(p: RibPathView): string {
  return p.source.kind === 'local' ? 'local' : p.source.peer;
}

export interface PathFlags {
  readonly best: boolean;
  readonly multipath: boolean;
  readonly valid: boolean;
  readonly reason: string | null;
  readonly ageS: number | null;
  /** Kept from a lost session under graceful restart, not re-announced yet. */
  readonly stale?: boolean;
}

/** The API view of one path from `source` ('local' or a neighbour address). */
export function pathView(prefix: Prefix, source: string, p: Pick<RibPathView, 'nextHop' | 'attributes'>, f: PathFlags): PathView {
  const a = p.attributes;
  return {
    prefix,
    family: prefixFamily(prefix),
    source,
    nextHop: p.nextHop,
    asPath: (a.asPath ?? []).map((s) => ({ type: s.type, asns: [...s.asns] })),
    origin: ORIGINS[a.origin ?? 0] ?? 'incomplete',
    med: a.med ?? null,
    localPref: a.localPref ?? null,
    communities: (a.communities ?? []).map(communityText),
    largeCommunities: (a.largeCommunities ?? []).map((l) => `${l.globalAdmin}:${l.localData1}:${l.localData2}`),
    ageS: f.ageS,
    best: f.best,
    multipath: f.multipath,
    valid: f.valid,
    reason: f.reason,
    stale: f.stale ?? false,
  };
}

export function notificationView(direction: 'sent' | 'received', n: Notification | NotificationMessage): NotificationView {
  return { direction, code: n.code, subcode: n.subcode, communication: n.communication ?? null, dataHex: Buffer.from(n.data).toString('hex') };
}

/** What the speaker knows about one neighbour, for its view: the view's own fields plus the raw state the rest is derived from. */
export type NeighborFacts = Pick<
  NeighborView,
  | 'address'
  | 'port'
  | 'remoteAsn'
  | 'localAsn'
  | 'passive'
  | 'enabled'
  | 'families'
  | 'holdTimeS'
  | 'keepaliveS'
  | 'routeReflectorClient'
  | 'state'
  | 'stateReason'
  | 'establishedAt'
  | 'messages'
  | 'lastError'
  | 'gracefulRestart'
  | 'maxPrefixes'
  | 'bfd'
> & {
  readonly upDownAt: number | null;
  readonly info: SessionInfo | null;
  /** RIB counters (null before the neighbour is in the RIB). */
  readonly rib: Readonly<PeerCounters> | null;
  /** Per family: accepted paths and advertised paths. */
  readonly perFamily: ReadonlyMap<Family, { accepted: number; advertised: number }>;
  /** End-of-RIB arrival per family on the current session (epoch ms). */
  readonly endOfRib: ReadonlyMap<Family, number>;
};

export function neighborView(n: NeighborFacts, now: number): NeighborView {
  const info = n.info;
  const prefixes: PrefixCountersView[] = FAMILIES.filter((f) => n.families.includes(f)).map((family) => ({ family, accepted: n.perFamily.get(family)?.accepted ?? 0, advertised: n.perFamily.get(family)?.advertised ?? 0 }));
  const c = n.rib;
  const routes: RouteCountersView = {
    received: c?.received ?? 0,
    accepted: prefixes.reduce((s, p) => s + p.accepted, 0),
    rejected: c?.rejected ?? 0,
    withdrawn: c?.withdrawn ?? 0,
    advertised: prefixes.reduce((s, p) => s + p.advertised, 0),
  };
  return {
    address: n.address,
    port: n.port,
    remoteAsn: n.remoteAsn,
    localAsn: n.localAsn,
    passive: n.passive,
    enabled: n.enabled,
    families: [...n.families],
    holdTimeS: n.holdTimeS,
    keepaliveS: n.keepaliveS,
    routeReflectorClient: n.routeReflectorClient,
    state: n.state,
    stateReason: n.stateReason,
    upDownS: n.upDownAt === null ? null : Math.max(0, Math.floor((now - n.upDownAt) / 1000)),
    uptimeS: n.establishedAt === null || info === null ? null : Math.max(0, Math.floor((now - n.establishedAt) / 1000)),
    establishedAt: info === null ? null : n.establishedAt,
    session:
      info === null
        ? null
        : {
            localAddress: canonicalAddress(info.localAddress),
            localPort: info.localPort,
            remotePort: info.remotePort,
            direction: info.direction,
            peerRouterId: info.negotiated.peerId,
            peerAsn: info.negotiated.peerAsn,
            ibgp: info.negotiated.ibgp,
            holdTimeS: info.negotiated.holdTimeS,
            keepaliveS: info.negotiated.keepaliveMs / 1000,
            families: FAMILIES.filter((f) => info.capabilities.families.has(f)),
            capabilitiesSent: info.localOpen.capabilities.map((x) => x.kind),
            capabilitiesReceived: info.peerOpen.capabilities.map((x) => x.kind),
            fourOctetAs: info.capabilities.context.fourOctetAs,
            routeRefresh: info.capabilities.routeRefresh,
            extendedMessage: info.capabilities.context.extendedMessageTx,
          },
    messages: { ...n.messages },
    routes,
    prefixes,
    endOfRib: FAMILIES.flatMap((family) => {
      const receivedAt = n.endOfRib.get(family);
      return receivedAt === undefined ? [] : [{ family, receivedAt }];
    }),
    lastError: n.lastError,
    gracefulRestart: n.gracefulRestart,
    maxPrefixes: n.maxPrefixes,
    bfd: n.bfd,
  };
}

/** Prefix order for listings: IPv4 before IPv6, then by address, then length. */
export function comparePrefixes(a: Prefix, b: Prefix): number {
  const fa = prefixFamily(a);
  const fb = prefixFamily(b);
  if (fa !== fb) return fa === 'ipv4-unicast' ? -1 : 1;
  const ka = prefixSortKey(a);
  const kb = prefixSortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function prefixSortKey(p: Prefix): string {
  const slash = p.lastIndexOf('/');
  return `${addressSortKey(p.slice(0, slash))}/${p.slice(slash + 1).padStart(3, '0')}`;
}

function addressSortKey(addr: string): string {
  if (!addr.includes(':')) return `4 ${addr.split('.').map((o) => o.padStart(3, '0')).join('.')}`;
  return `6 ${expandIpv6(addr)}`;
}

/** Address order for listings: IPv4 before IPv6, numerically within a family. */
export function compareAddresses(a: string, b: string): number {
  const ka = addressSortKey(a);
  const kb = addressSortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function expandIpv6(a: string): string {
  const [head = '', tail = ''] = a.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = a.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = a.includes('::') ? [...h, ...Array.from({ length: 8 - h.length - t.length }, () => '0'), ...t] : h;
  return groups.map((g) => g.padStart(4, '0')).join(':');
}
