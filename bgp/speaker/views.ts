// Builds the management-API views (bgp/api.ts) from the speaker's paths and
// sessions: community text forms, origin names, ages. Pure functions of their
// inputs and the current wall-clock time passed in.
// RFCs: 1997 (community "asn:value", well-known names), 8092 §2 (large
// community "global:local1:local2"), 4271 §5.1.1 (ORIGIN names).
import type { NotificationView, PathView } from '../api.ts';
import type { NotificationMessage, PathAttributes } from '../wire/index.ts';
import type { Notification } from '../fsm/index.ts';
import { WellKnownCommunity } from '../wire/index.ts';
import type { Family, IpAddress, Prefix } from '../types.ts';
import type { Path } from './table.ts';

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

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** A PathView of a path (best/reason filled by the caller for the Loc-RIB). */
export function pathView(p: Path, now: number, best = false, reason: string | null = null): PathView {
  return attributesView(p.prefix, p.family, p.source, p.nextHop, p.attributes, Math.max(0, Math.round((now - p.since) / 1000)), best, p.valid, reason);
}

export function attributesView(
  prefix: Prefix,
  family: Family,
  source: string,
  nextHop: IpAddress,
  a: PathAttributes,
  ageS: number,
  best: boolean,
  valid: boolean,
  reason: string | null,
): PathView {
  return {
    prefix,
    family,
    source,
    nextHop,
    asPath: (a.asPath ?? []).map((s) => ({ type: s.type, asns: [...s.asns] })),
    origin: ORIGINS[a.origin ?? 0] ?? 'incomplete',
    med: a.med ?? null,
    localPref: a.localPref ?? null,
    communities: (a.communities ?? []).map(communityText),
    largeCommunities: (a.largeCommunities ?? []).map((l) => `${l.globalAdmin}:${l.localData1}:${l.localData2}`),
    ageS,
    best,
    valid,
    reason,
  };
}

export function notificationView(direction: 'sent' | 'received', n: Notification | NotificationMessage): NotificationView {
  return { direction, code: n.code, subcode: n.subcode, communication: n.communication ?? null, dataHex: hex(n.data) };
}
