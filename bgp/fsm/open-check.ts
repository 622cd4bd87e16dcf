// Semantic checks of a received OPEN and the hold-time negotiation, producing
// either the negotiated session parameters or the NOTIFICATION to send.
// RFCs: 4271 §4.2 and §6.2 (version, peer AS, hold time, identifier),
// 6793 §4.1 (4-octet AS capability, AS_TRANS), 7607 §2 (AS 0),
// 6286 §2.2 (identifier 0, same identifier on iBGP).
import { AS_TRANS, type Asn, routerIdToNumber } from '../types.ts';
import { ErrorCode, OpenSubcode } from '../wire/index.ts';
import type { FsmConfig, Negotiated, Notification, PeerOpen } from './types.ts';

export type OpenCheck =
  | { readonly ok: true; readonly negotiated: Negotiated }
  | { readonly ok: false; readonly notification: Notification; readonly reason: string };

const EMPTY = new Uint8Array(0);

function reject(subcode: number, reason: string, data: Uint8Array = EMPTY): OpenCheck {
  return { ok: false, notification: { code: ErrorCode.open, subcode, data }, reason };
}

/** The value of the 4-octet AS capability, or null when the peer did not send it (RFC 6793 §3). */
export function fourOctetAsn(open: PeerOpen): number | null {
  for (const c of open.capabilities) if (c.kind === 'four-octet-as') return c.asn;
  return null;
}

/** The AS the peer announces: the 4-octet AS capability wins over the 2-octet field (RFC 6793 §4.1). */
export function announcedAsn(open: PeerOpen): number {
  return fourOctetAsn(open) ?? open.myAs;
}

/**
 * Negotiated hold time and keepalive interval (RFC 4271 §4.2): the smaller of
 * the two hold times; zero means neither keepalives nor a hold timer; the
 * keepalive interval is a third of the hold time (RFC 4271 §10), or the
 * configured keepalive time if smaller.
 */
export function negotiateHoldTime(localS: number, peerS: number, keepaliveTimeS?: number): { holdTimeS: number; keepaliveMs: number } {
  const holdTimeS = Math.min(localS, peerS);
  if (holdTimeS === 0) return { holdTimeS: 0, keepaliveMs: 0 };
  let keepaliveMs = Math.floor((holdTimeS * 1000) / 3);
  if (keepaliveTimeS !== undefined && keepaliveTimeS > 0) keepaliveMs = Math.min(keepaliveMs, keepaliveTimeS * 1000);
  return { holdTimeS, keepaliveMs };
}

/** Validates a received OPEN against our configuration (RFC 4271 §6.2, in the order listed there). */
export function checkOpen(open: PeerOpen, config: FsmConfig): OpenCheck {
  // RFC 4271 §6.2: the data is the largest version we support, as 2 octets
  if (open.version !== 4) return reject(OpenSubcode.unsupportedVersionNumber, `unsupported BGP version ${open.version}`, Uint8Array.of(0, 4));

  const as4 = fourOctetAsn(open);
  const asn = as4 ?? open.myAs;
  // RFC 7607 §2: AS 0 in the My AS field or the 4-octet AS capability is Bad Peer AS
  if (asn === 0 || open.myAs === 0) return reject(OpenSubcode.badPeerAs, 'peer announced AS 0 (RFC 7607)');
  // RFC 6793 §4.1: a speaker without the capability cannot be a 4-octet AS, it would have to say AS_TRANS
  if (as4 === null && open.myAs === AS_TRANS && config.peerAsn !== AS_TRANS) {
    return reject(OpenSubcode.badPeerAs, `peer announced AS_TRANS without the 4-octet AS capability, expected AS ${config.peerAsn}`);
  }
  // RFC 4271 §6.2: the AS must be the one configured for this peer
  if (asn !== config.peerAsn) return reject(OpenSubcode.badPeerAs, `peer announced AS ${asn}, expected AS ${config.peerAsn}`);

  // RFC 4271 §6.2: hold time 1 or 2 MUST be rejected; we MAY reject others below our minimum
  if (open.holdTime !== 0 && (open.holdTime < 3 || open.holdTime < config.minHoldTimeS)) {
    return reject(OpenSubcode.unacceptableHoldTime, `unacceptable hold time ${open.holdTime}s (minimum ${Math.max(3, config.minHoldTimeS)}s)`);
  }

  const ibgp = asn === config.localAsn;
  const id = routerIdToNumber(open.routerId);
  // RFC 6286 §2.2: the identifier is a non-zero 32-bit number
  if (id === 0) return reject(OpenSubcode.badBgpIdentifier, 'peer BGP identifier is 0.0.0.0 (RFC 6286)');
  // RFC 6286 §2.2: an internal peer must not use our identifier (an external one may)
  if (ibgp && id === routerIdToNumber(config.localId)) {
    return reject(OpenSubcode.badBgpIdentifier, `internal peer uses our own BGP identifier ${config.localId} (RFC 6286)`);
  }

  const { holdTimeS, keepaliveMs } = negotiateHoldTime(config.holdTimeS, open.holdTime, config.keepaliveTimeS);
  return {
    ok: true,
    negotiated: {
      holdTimeS,
      keepaliveMs,
      peerAsn: asn as Asn,
      peerId: open.routerId,
      as4: as4 !== null,
      ibgp,
    },
  };
}
