// Shutdown Communication: the free-text message carried in the data of a
// Cease NOTIFICATION with subcode Administrative Shutdown or Administrative
// Reset. A one-octet length then up to 255 octets of UTF-8.
// RFC 9003 §2 (format, 255-octet limit; obsoletes RFC 8203's 128).
import { CeaseSubcode } from '../wire/errors.ts';

/** RFC 9003 §2: the message is at most 255 octets. */
export const SHUTDOWN_MESSAGE_MAX = 255;

/** True when the Cease subcode may carry a shutdown communication (RFC 9003 §2). */
export function carriesShutdownMessage(subcode: number): boolean {
  return subcode === CeaseSubcode.administrativeShutdown || subcode === CeaseSubcode.administrativeReset;
}

/** Encodes the NOTIFICATION data for `message`, cutting it at a UTF-8 character boundary to fit 255 octets. */
export function encodeShutdownMessage(message: string): Uint8Array {
  let bytes = Buffer.from(message, 'utf8');
  if (bytes.length > SHUTDOWN_MESSAGE_MAX) {
    let end = SHUTDOWN_MESSAGE_MAX;
    // back up over continuation bytes (10xxxxxx) so no character is split
    while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
    bytes = bytes.subarray(0, end);
  }
  const out = new Uint8Array(1 + bytes.length);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

/**
 * Decodes the shutdown communication from NOTIFICATION data, or null when
 * the data is empty, its length octet overruns it, or the text is not UTF-8
 * (RFC 9003 §3: a malformed message is not an error, it is only not shown).
 */
export function decodeShutdownMessage(data: Uint8Array): string | null {
  if (data.length === 0) return null;
  const len = data[0] as number;
  if (len === 0 || 1 + len > data.length) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(1, 1 + len));
  } catch {
    return null;
  }
}
