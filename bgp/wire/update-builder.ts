// The UPDATE builder: packs many prefixes sharing one attribute set (or many
// withdrawals) into as few UPDATE messages as fit the negotiated maximum size
// (4096, or 65535 with Extended Message). The attributes are encoded once;
// only the NLRI (or the MP_REACH/MP_UNREACH carrying it) varies per message.
// RFCs: 4271 §4.3 and §9.2 (several routes per UPDATE), 4760 §3-§4
// (non-IPv4 families in MP attributes), 8950 §4 (IPv4 NLRI with an IPv6 next
// hop only if the peer accepts it), 7911 §3, 7606 §5.1 (MP attribute first),
// 8654 §4.
import type { Family, IpAddress, Ipv4, Ipv6, Prefix } from '../types.ts';
import { attributeSize, encodeAttributes } from './attributes/registry.ts';
import { mpReachHead, mpUnreachHead } from './attributes/mp.ts';
import { allocMessage } from './header.ts';
import { AttrCode, AttrFlag, HEADER_LENGTH, MessageType, type PathAttributes, type WireContext } from './messages.ts';
import { nlriEntrySize, writeNlriEntry } from './nlri.ts';
import { maxTxLength } from './update.ts';

/** Prefixes of one family sharing one attribute set and next hop. */
export interface RouteBatch {
  readonly family: Family;
  /** Attributes; nextHop, mpReach and mpUnreach here are ignored (the builder sets them). */
  readonly attributes: PathAttributes;
  readonly nextHop: IpAddress;
  /** Optional IPv6 link-local next hop (RFC 2545 §3). */
  readonly linkLocalNextHop?: Ipv6 | null;
  readonly prefixes: readonly Prefix[];
  /** ADD-PATH path identifiers, parallel to prefixes (used only when negotiated for sending). */
  readonly pathIds?: readonly number[] | null;
}

const UPDATE_FIXED = HEADER_LENGTH + 4; // header, withdrawn length, attribute length

/** Splits [0, n) into runs whose entry sizes sum to at most `budget`. */
function* chunks(sizes: Uint16Array, budget: number): Generator<[number, number, number]> {
  let start = 0;
  let bytes = 0;
  for (let k = 0; k < sizes.length; k++) {
    const s = sizes[k] as number;
    if (bytes + s > budget && k > start) {
      yield [start, k, bytes];
      start = k;
      bytes = 0;
    }
    bytes += s;
  }
  if (sizes.length > start) yield [start, sizes.length, bytes];
}

function entrySizes(prefixes: readonly Prefix[], addPath: boolean, budget: number): Uint16Array {
  const sizes = new Uint16Array(prefixes.length);
  for (let k = 0; k < prefixes.length; k++) {
    const s = nlriEntrySize(prefixes[k] as Prefix, addPath);
    if (s > budget) throw new RangeError(`no room for a prefix in an UPDATE: the attributes leave ${budget} octets`);
    sizes[k] = s;
  }
  return sizes;
}

function writeEntries(out: Uint8Array, off: number, prefixes: readonly Prefix[], ids: readonly number[] | null | undefined, addPath: boolean, from: number, to: number): number {
  for (let k = from; k < to; k++) off = writeNlriEntry(out, off, prefixes[k] as Prefix, addPath ? (ids?.[k] ?? 0) : null);
  return off;
}

/** Writes an MP attribute header (flags, code, length) at `off`; returns the new offset. */
function writeMpHeader(out: Uint8Array, off: number, code: number, valueLength: number): number {
  const ext = valueLength > 255;
  out[off++] = AttrFlag.optional | (ext ? AttrFlag.extendedLength : 0);
  out[off++] = code;
  if (ext) out[off++] = valueLength >>> 8;
  out[off++] = valueLength & 255;
  return off;
}

/**
 * Builds the UPDATE messages announcing `batch`. IPv4 unicast with an IPv4
 * next hop uses NEXT_HOP and the NLRI field; everything else one MP_REACH_NLRI
 * per message. Throws RangeError when the batch cannot be sent in this context.
 */
export function buildUpdates(batch: RouteBatch, ctx: WireContext): Uint8Array[] {
  const { family, prefixes, pathIds } = batch;
  if (prefixes.length === 0) return [];
  const v6NextHop = batch.nextHop.includes(':');
  if (family === 'ipv6-unicast' && !v6NextHop) throw new RangeError('an IPv6 route needs an IPv6 next hop');
  // RFC 8950 §4: an IPv6 next hop for IPv4 NLRI only toward a peer that advertised it
  if (family === 'ipv4-unicast' && v6NextHop && !ctx.extendedNextHop.has('ipv4-unicast')) {
    throw new RangeError('IPv4 NLRI with an IPv6 next hop needs the extended next hop capability');
  }
  const classic = family === 'ipv4-unicast' && !v6NextHop;
  const { nextHop: _nh, mpReach: _r, mpUnreach: _u, ...rest } = batch.attributes;
  const base: PathAttributes = classic ? { ...rest, nextHop: batch.nextHop as Ipv4 } : rest;
  const attrs = encodeAttributes(base, ctx);
  const addPath = ctx.addPathTx.has(family);
  const max = maxTxLength(ctx);
  const out: Uint8Array[] = [];
  if (classic) {
    const sizes = entrySizes(prefixes, addPath, max - UPDATE_FIXED - attrs.length);
    for (const [from, to, bytes] of chunks(sizes, max - UPDATE_FIXED - attrs.length)) {
      const msg = allocMessage(MessageType.update, UPDATE_FIXED + attrs.length + bytes);
      let o = HEADER_LENGTH + 2; // withdrawn length 0
      msg[o++] = attrs.length >>> 8;
      msg[o++] = attrs.length & 255;
      msg.set(attrs, o);
      writeEntries(msg, o + attrs.length, prefixes, pathIds, addPath, from, to);
      out.push(msg);
    }
    return out;
  }
  const head = mpReachHead(family, batch.nextHop, batch.linkLocalNextHop ?? null);
  const budget = max - UPDATE_FIXED - attrs.length - 4 - head.length;
  const sizes = entrySizes(prefixes, addPath, budget);
  for (const [from, to, bytes] of chunks(sizes, budget)) {
    const valueLength = head.length + bytes;
    const attrTotal = attributeSize(valueLength) + attrs.length;
    const msg = allocMessage(MessageType.update, UPDATE_FIXED + attrTotal);
    let o = HEADER_LENGTH + 2;
    msg[o++] = attrTotal >>> 8;
    msg[o++] = attrTotal & 255;
    // RFC 7606 §5.1: MP_REACH_NLRI first
    o = writeMpHeader(msg, o, AttrCode.mpReachNlri, valueLength);
    msg.set(head, o);
    o = writeEntries(msg, o + head.length, prefixes, pathIds, addPath, from, to);
    msg.set(attrs, o);
    out.push(msg);
  }
  return out;
}

/**
 * Builds the UPDATE messages withdrawing `prefixes`: the Withdrawn Routes
 * field for IPv4 unicast, MP_UNREACH_NLRI otherwise.
 */
export function buildWithdrawals(family: Family, prefixes: readonly Prefix[], pathIds: readonly number[] | null, ctx: WireContext): Uint8Array[] {
  if (prefixes.length === 0) return [];
  const addPath = ctx.addPathTx.has(family);
  const max = maxTxLength(ctx);
  const out: Uint8Array[] = [];
  if (family === 'ipv4-unicast') {
    const budget = max - UPDATE_FIXED;
    for (const [from, to, bytes] of chunks(entrySizes(prefixes, addPath, budget), budget)) {
      const msg = allocMessage(MessageType.update, UPDATE_FIXED + bytes);
      msg[HEADER_LENGTH] = bytes >>> 8;
      msg[HEADER_LENGTH + 1] = bytes & 255;
      writeEntries(msg, HEADER_LENGTH + 2, prefixes, pathIds, addPath, from, to);
      out.push(msg);
    }
    return out;
  }
  const head = mpUnreachHead(family);
  const budget = max - UPDATE_FIXED - 4 - head.length;
  for (const [from, to, bytes] of chunks(entrySizes(prefixes, addPath, budget), budget)) {
    const valueLength = head.length + bytes;
    const attrTotal = attributeSize(valueLength);
    const msg = allocMessage(MessageType.update, UPDATE_FIXED + attrTotal);
    let o = HEADER_LENGTH + 2;
    msg[o++] = attrTotal >>> 8;
    msg[o++] = attrTotal & 255;
    o = writeMpHeader(msg, o, AttrCode.mpUnreachNlri, valueLength);
    msg.set(head, o);
    writeEntries(msg, o + head.length, prefixes, pathIds, addPath, from, to);
    out.push(msg);
  }
  return out;
}
