// Whole-message dispatch: decodeMessage turns one frame (from the Framer)
// into a BgpMessage, encodeMessage turns a BgpMessage into bytes. Both are
// pure functions of (input, WireContext). decodeMessage throws only BgpError.
// RFCs: 4271 §4 (message types), 2918 §3, 8654 §4.
import { BgpError, ErrorCode } from './errors.ts';
import { checkHeader } from './header.ts';
import { MessageType, type BgpMessage, type WireContext } from './messages.ts';
import { decodeNotification, encodeNotification } from './notification.ts';
import { decodeOpen, encodeOpen } from './open.ts';
import { decodeRouteRefresh, encodeKeepalive, encodeRouteRefresh } from './route-refresh.ts';
import { decodeUpdate, encodeUpdate, maxRxLength } from './update.ts';

/**
 * Decodes one whole message (header included). The frame must be exactly
 * one message, as the Framer yields; its header is re-validated here.
 */
export function decodeMessage(frame: Uint8Array, ctx: WireContext): BgpMessage {
  if (frame.length < 19) throw new BgpError(ErrorCode.messageHeader, 2, `frame of ${frame.length} octets is shorter than a header`, Uint8Array.of(0, frame.length));
  const length = checkHeader(frame, 0, maxRxLength(ctx));
  if (length !== frame.length) {
    throw new BgpError(ErrorCode.messageHeader, 2, `header length ${length} but frame of ${frame.length} octets`, frame.slice(16, 18));
  }
  switch (frame[18]) {
    case MessageType.open:
      return decodeOpen(frame);
    case MessageType.update:
      return decodeUpdate(frame, ctx);
    case MessageType.notification:
      return decodeNotification(frame);
    case MessageType.keepalive:
      return { type: 'keepalive' };
    default:
      return decodeRouteRefresh(frame);
  }
}

/** Encodes a message for this context. */
export function encodeMessage(msg: BgpMessage, ctx: WireContext): Uint8Array {
  switch (msg.type) {
    case 'open':
      return encodeOpen(msg);
    case 'update':
      return encodeUpdate(msg, ctx);
    case 'notification':
      return encodeNotification(msg);
    case 'keepalive':
      return encodeKeepalive();
    case 'route-refresh':
      return encodeRouteRefresh(msg);
  }
}
