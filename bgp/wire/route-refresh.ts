// ROUTE-REFRESH message codec: AFI, subtype (reserved in RFC 2918, BoRR/EoRR
// demarcation in RFC 7313) and SAFI. Also the KEEPALIVE, which is a bare
// header. RFCs: 2918 §3, 7313 §3.2 and §5 (length error is code 7/1 with the
// whole message as data; unknown subtypes are ignored), 4271 §4.4.
import { BgpError, ErrorCode, RouteRefreshSubcode } from './errors.ts';
import { allocMessage } from './header.ts';
import { HEADER_LENGTH, MessageType, type RouteRefreshMessage, type RouteRefreshSubtype } from './messages.ts';

const ROUTE_REFRESH_LENGTH = HEADER_LENGTH + 4;
const subtypes: readonly RouteRefreshSubtype[] = ['normal', 'borr', 'eorr'];
const subtypeCodes: Readonly<Record<RouteRefreshSubtype, number>> = { normal: 0, borr: 1, eorr: 2, reserved: 255 };

export function decodeRouteRefresh(frame: Uint8Array): RouteRefreshMessage {
  // RFC 7313 §5: wrong length -> ROUTE-REFRESH Message Error / Invalid Message Length, data = the message
  if (frame.length !== ROUTE_REFRESH_LENGTH) {
    throw new BgpError(ErrorCode.routeRefresh, RouteRefreshSubcode.invalidMessageLength, `ROUTE-REFRESH of ${frame.length} octets`, frame.slice());
  }
  const afi = ((frame[HEADER_LENGTH] as number) << 8) | (frame[HEADER_LENGTH + 1] as number);
  const subtype = subtypes[frame[HEADER_LENGTH + 2] as number] ?? 'reserved';
  return { type: 'route-refresh', afi, safi: frame[HEADER_LENGTH + 3] as number, subtype };
}

export function encodeRouteRefresh(msg: RouteRefreshMessage): Uint8Array {
  const out = allocMessage(MessageType.routeRefresh, ROUTE_REFRESH_LENGTH);
  out[HEADER_LENGTH] = msg.afi >>> 8;
  out[HEADER_LENGTH + 1] = msg.afi & 255;
  out[HEADER_LENGTH + 2] = subtypeCodes[msg.subtype];
  out[HEADER_LENGTH + 3] = msg.safi;
  return out;
}

const KEEPALIVE = allocMessage(MessageType.keepalive, HEADER_LENGTH);

/** A KEEPALIVE (a fresh copy: callers may hand it to a socket that keeps it). */
export function encodeKeepalive(): Uint8Array {
  return KEEPALIVE.slice();
}
