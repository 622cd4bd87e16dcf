// NLRI codec for IPv4 and IPv6 unicast, with and without ADD-PATH path
// identifiers: a run of (path id?, length, prefix bytes) decoded into a
// compact NlriList of canonical Prefix strings, and encoded back.
// Decoding builds each prefix string straight from the bytes (precomputed
// octet strings for IPv4, one reused scratch buffer for IPv6): no per-prefix
// object is allocated besides the string itself.
// RFCs: 4271 §4.3 (prefix encoding, trailing bits irrelevant), 4760 §5
// (MP NLRI), 7911 §3 (path identifier), 7606 §5.3 (malformed NLRI).
import { bytesToIpv6, ipv6ToBytes, ipv4ToNumber, type Prefix } from '../types.ts';
import { BgpError, ErrorCode, UpdateSubcode } from './errors.ts';
import type { NlriList } from './messages.ts';

const OCTET: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));
const LEN: readonly string[] = Array.from({ length: 129 }, (_, i) => `/${i}`);
const EMPTY_LIST: NlriList = { prefixes: [], pathIds: null };
const EMPTY_LIST_ADDPATH: NlriList = { prefixes: [], pathIds: [] };

/** An empty NlriList (with an empty pathIds array when `addPath`). */
export function emptyNlri(addPath = false): NlriList {
  return addPath ? EMPTY_LIST_ADDPATH : EMPTY_LIST;
}

function invalidNetwork(message: string): BgpError {
  // RFC 4271 §6.3 Invalid Network Field; RFC 7606 §5.3: malformed NLRI resets the session
  return new BgpError(ErrorCode.update, UpdateSubcode.invalidNetworkField, message);
}

const scratch6 = new Uint8Array(16);

/**
 * Decodes NLRI in buf[start, end). Throws BgpError (3/10, session-reset) on a
 * prefix length above the family maximum or a truncated entry.
 */
export function decodeNlri(buf: Uint8Array, start: number, end: number, v6: boolean, addPath: boolean): NlriList {
  if (start >= end) return addPath ? { prefixes: [], pathIds: [] } : EMPTY_LIST;
  const prefixes: Prefix[] = [];
  const pathIds: number[] | null = addPath ? [] : null;
  const maxLen = v6 ? 128 : 32;
  let i = start;
  while (i < end) {
    if (pathIds !== null) {
      if (i + 4 > end) throw invalidNetwork('truncated ADD-PATH path identifier');
      pathIds.push(((buf[i] as number) * 0x1000000 + (((buf[i + 1] as number) << 16) | ((buf[i + 2] as number) << 8) | (buf[i + 3] as number))));
      i += 4;
      if (i >= end) throw invalidNetwork('path identifier without a prefix');
    }
    const len = buf[i] as number;
    i++;
    if (len > maxLen) throw invalidNetwork(`prefix length ${len} exceeds ${maxLen}`);
    const n = (len + 7) >> 3;
    if (i + n > end) throw invalidNetwork('prefix overruns the NLRI field');
    const rem = len & 7;
    const lastMask = rem === 0 ? 0xff : (0xff << (8 - rem)) & 0xff;
    if (!v6) {
      // RFC 4271 §4.3: trailing bits are irrelevant; they are cleared here
      const a = n > 0 ? (n === 1 ? (buf[i] as number) & lastMask : (buf[i] as number)) : 0;
      const b = n > 1 ? (n === 2 ? (buf[i + 1] as number) & lastMask : (buf[i + 1] as number)) : 0;
      const c = n > 2 ? (n === 3 ? (buf[i + 2] as number) & lastMask : (buf[i + 2] as number)) : 0;
      const d = n > 3 ? (buf[i + 3] as number) & lastMask : 0;
      prefixes.push(((OCTET[a] as string) + '.' + (OCTET[b] as string) + '.' + (OCTET[c] as string) + '.' + (OCTET[d] as string) + (LEN[len] as string)) as Prefix);
    } else {
      scratch6.fill(0);
      for (let k = 0; k < n; k++) scratch6[k] = buf[i + k] as number;
      if (n > 0) scratch6[n - 1] = (scratch6[n - 1] as number) & lastMask;
      prefixes.push((bytesToIpv6(scratch6) + (LEN[len] as string)) as Prefix);
    }
    i += n;
  }
  return { prefixes, pathIds };
}

/** Encoded size in bytes of one prefix (with its path id when `addPath`). */
export function nlriEntrySize(prefix: Prefix, addPath: boolean): number {
  const len = Number(prefix.slice(prefix.lastIndexOf('/') + 1));
  return 1 + ((len + 7) >> 3) + (addPath ? 4 : 0);
}

/**
 * Writes one prefix (and path id) at `off` in `out`; returns the new offset.
 * The prefix must be canonical (a Prefix from types.ts), so it is parsed
 * without re-validation.
 */
export function writeNlriEntry(out: Uint8Array, off: number, prefix: Prefix, pathId: number | null): number {
  if (pathId !== null) {
    out[off] = pathId >>> 24;
    out[off + 1] = (pathId >>> 16) & 255;
    out[off + 2] = (pathId >>> 8) & 255;
    out[off + 3] = pathId & 255;
    off += 4;
  }
  const slash = prefix.lastIndexOf('/');
  const len = Number(prefix.slice(slash + 1));
  const n = (len + 7) >> 3;
  out[off++] = len;
  if (n === 0) return off;
  const addr = prefix.slice(0, slash);
  if (addr.includes(':')) {
    const bytes = ipv6ToBytes(addr);
    if (bytes === null) throw new RangeError(`not a canonical prefix: ${prefix}`);
    for (let k = 0; k < n; k++) out[off + k] = bytes[k] as number;
  } else {
    const v = ipv4ToNumber(addr);
    if (v < 0) throw new RangeError(`not a canonical prefix: ${prefix}`);
    out[off] = v >>> 24;
    if (n > 1) out[off + 1] = (v >>> 16) & 255;
    if (n > 2) out[off + 2] = (v >>> 8) & 255;
    if (n > 3) out[off + 3] = v & 255;
  }
  return off + n;
}

/** Encoded size of a whole list (path ids are written when `addPath`). */
export function nlriListSize(list: NlriList, addPath: boolean): number {
  let size = 0;
  for (const p of list.prefixes) size += nlriEntrySize(p, addPath);
  return size;
}

/**
 * Writes a list at `off`; returns the new offset. With `addPath`, a missing
 * pathIds array means path id 0 for every prefix (RFC 7911 §3 leaves the
 * value to the sender).
 */
export function writeNlriList(out: Uint8Array, off: number, list: NlriList, addPath: boolean): number {
  const ids = list.pathIds;
  for (let k = 0; k < list.prefixes.length; k++) {
    off = writeNlriEntry(out, off, list.prefixes[k] as Prefix, addPath ? (ids?.[k] ?? 0) : null);
  }
  return off;
}
