// NOTIFICATION message codec, including the shutdown communication carried
// by Cease / Administrative Shutdown and Administrative Reset: a length octet
// then UTF-8 text, up to 255 octets (RFC 9003 raised RFC 8203's 128).
// RFCs: 4271 §4.5, 4486 (Cease subcodes), 8203 §2, 9003 §2.
import { CeaseSubcode, ErrorCode } from './errors.ts';
import { allocMessage } from './header.ts';
import { HEADER_LENGTH, MessageType, type NotificationMessage } from './messages.ts';

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const utf8 = new TextEncoder();

/** Cease subcodes that may carry a shutdown communication (RFC 9003 §2). */
function carriesCommunication(code: number, subcode: number): boolean {
  return code === ErrorCode.cease && (subcode === CeaseSubcode.administrativeShutdown || subcode === CeaseSubcode.administrativeReset);
}

/** Decodes a NOTIFICATION frame (length already checked to be >= 21). */
export function decodeNotification(frame: Uint8Array): NotificationMessage {
  const code = frame[HEADER_LENGTH] as number;
  const subcode = frame[HEADER_LENGTH + 1] as number;
  const data = frame.slice(HEADER_LENGTH + 2);
  if (carriesCommunication(code, subcode) && data.length > 0) {
    const len = data[0] as number;
    // RFC 9003 §2: a length beyond the data, or invalid UTF-8, is not a communication; keep the raw data
    if (len + 1 <= data.length) {
      try {
        const communication = fatalUtf8.decode(data.subarray(1, 1 + len));
        return { type: 'notification', code, subcode, data, communication };
      } catch {
        // invalid UTF-8: fall through to raw data only
      }
    }
  }
  return { type: 'notification', code, subcode, data };
}

/** Truncates UTF-8 bytes to at most `max` octets without splitting a character. */
function truncateUtf8(bytes: Uint8Array, max: number): Uint8Array {
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/** The data field for a shutdown communication (RFC 9003 §2: length octet + at most 255 octets of UTF-8). */
export function shutdownCommunicationData(text: string): Uint8Array {
  const bytes = truncateUtf8(utf8.encode(text), 255);
  const out = new Uint8Array(1 + bytes.length);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

/** Encodes a NOTIFICATION; `communication`, when set on Cease 2 or 4, replaces `data`. */
export function encodeNotification(msg: NotificationMessage): Uint8Array {
  const data =
    msg.communication !== undefined && carriesCommunication(msg.code, msg.subcode) ? shutdownCommunicationData(msg.communication) : msg.data;
  const out = allocMessage(MessageType.notification, HEADER_LENGTH + 2 + data.length);
  out[HEADER_LENGTH] = msg.code;
  out[HEADER_LENGTH + 1] = msg.subcode;
  out.set(data, HEADER_LENGTH + 2);
  return out;
}
