// The 19-octet BGP message header: marker, length, type. Validation shared by
// the framer (as soon as a header is complete) and by decodeMessage, and the
// helper that lays out a message buffer with its header.
// RFCs: 4271 §4.1 (header) and §6.1 (header errors: length is checked before
// type, and per-type minimum lengths), 8654 §4 (OPEN and KEEPALIVE stay
// within 4096 octets even with extended messages).
import { headerError, HeaderSubcode } from './errors.ts';
import { HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType } from './messages.ts';

/** Minimum total length per message type (RFC 4271 §4.2-§4.5, RFC 2918 §3). */
const MIN_LENGTH: Readonly<Record<number, number>> = {
  [MessageType.open]: 29,
  [MessageType.update]: 23,
  [MessageType.notification]: 21,
  [MessageType.keepalive]: 19,
  [MessageType.routeRefresh]: 23,
};

/**
 * Validates the header at buf[off, off+19) against `maxLength`; returns the
 * message length. Throws BgpError code 1 with the RFC 4271 §6.1 data.
 */
export function checkHeader(buf: Uint8Array, off: number, maxLength: number): number {
  for (let k = 0; k < 16; k++) {
    // RFC 4271 §6.1: marker not all ones -> Connection Not Synchronized
    if (buf[off + k] !== 0xff) throw headerError(HeaderSubcode.connectionNotSynchronized, 'header marker is not all ones');
  }
  const hi = buf[off + 16] as number;
  const lo = buf[off + 17] as number;
  const length = (hi << 8) | lo;
  const type = buf[off + 18] as number;
  const lengthData = Uint8Array.of(hi, lo);
  // RFC 4271 §6.1: length out of range -> Bad Message Length, data = the length field
  if (length < HEADER_LENGTH || length > maxLength) {
    throw headerError(HeaderSubcode.badMessageLength, `message length ${length} out of range 19..${maxLength}`, lengthData);
  }
  const min = MIN_LENGTH[type];
  // RFC 4271 §6.1: unknown type -> Bad Message Type, data = the type field
  if (min === undefined) throw headerError(HeaderSubcode.badMessageType, `unknown message type ${type}`, Uint8Array.of(type));
  if (length < min || (type === MessageType.keepalive && length !== HEADER_LENGTH)) {
    throw headerError(HeaderSubcode.badMessageLength, `length ${length} invalid for message type ${type}`, lengthData);
  }
  // RFC 8654 §4: OPEN and KEEPALIVE are never extended
  if (type === MessageType.open && length > MAX_MESSAGE_LENGTH) {
    throw headerError(HeaderSubcode.badMessageLength, `OPEN of ${length} octets exceeds 4096`, lengthData);
  }
  return length;
}

/** A zeroed buffer of `length` octets with the header (marker, length, type) written. */
export function allocMessage(type: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.fill(0xff, 0, 16);
  out[16] = length >>> 8;
  out[17] = length & 255;
  out[18] = type;
  return out;
}
