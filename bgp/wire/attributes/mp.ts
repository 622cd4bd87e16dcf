// MP_REACH_NLRI and MP_UNREACH_NLRI descriptors for IPv4 and IPv6 unicast:
// next hop (IPv4; IPv6 global with optional link-local; IPv6 for IPv4 NLRI
// per RFC 8950) and NLRI with or without ADD-PATH path identifiers. Other
// (AFI, SAFI) pairs are kept opaque.
// RFCs: 4760 §3 and §4, 2545 §3 (IPv6 next hop, 16 or 32 octets),
// 8950 §3 (IPv6 next hop for IPv4 NLRI), 7911 §3, 7606 §7.11 and §5.3
// (malformed MP attributes reset the session; we do not do AFI/SAFI disable).
import { bytesToIpv6, familyAfiSafi, familyOf, ipv4ToNumber, ipv6ToBytes, numberToIpv4, type Family, type IpAddress, type Ipv6 } from '../../types.ts';
import { UpdateSubcode } from '../errors.ts';
import { AttrCode } from '../messages.ts';
import { nlriListSize, decodeNlri, writeNlriList } from '../nlri.ts';
import { malformed, OPTIONAL, readU16, readU32, writeU16, type AttributeDescriptor } from './descriptor.ts';

const optionalError = UpdateSubcode.optionalAttributeError;

/** Encodes the next-hop field value (without its length octet). */
export function encodeNextHop(nextHop: IpAddress, linkLocal: Ipv6 | null): Uint8Array {
  if (!nextHop.includes(':')) {
    const v = ipv4ToNumber(nextHop);
    return Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  }
  const out = new Uint8Array(linkLocal === null ? 16 : 32);
  out.set(ipv6ToBytes(nextHop) as Uint8Array, 0);
  if (linkLocal !== null) out.set(ipv6ToBytes(linkLocal) as Uint8Array, 16);
  return out;
}

/**
 * The MP_REACH_NLRI value up to the NLRI: AFI, SAFI, next-hop length,
 * next hop, reserved octet (RFC 4760 §3).
 */
export function mpReachHead(family: Family, nextHop: IpAddress, linkLocal: Ipv6 | null): Uint8Array {
  const { afi, safi } = familyAfiSafi(family);
  const nh = encodeNextHop(nextHop, linkLocal);
  const out = new Uint8Array(5 + nh.length);
  writeU16(out, 0, afi);
  out[2] = safi;
  out[3] = nh.length;
  out.set(nh, 4);
  return out;
}

/** The MP_UNREACH_NLRI value head: AFI, SAFI (RFC 4760 §4). */
export function mpUnreachHead(family: Family): Uint8Array {
  const { afi, safi } = familyAfiSafi(family);
  return Uint8Array.of(afi >>> 8, afi & 255, safi);
}

export const mpReach: AttributeDescriptor = {
  code: AttrCode.mpReachNlri,
  name: 'MP_REACH_NLRI',
  flags: OPTIONAL,
  action: 'session-reset', // RFC 7606 §7.11
  decode(value, ctx, into) {
    if (value.length < 5) throw malformed(mpReach, optionalError, `length ${value.length} below 5`);
    const afi = readU16(value, 0);
    const safi = value[2] as number;
    const nhLen = value[3] as number;
    if (5 + nhLen > value.length) throw malformed(mpReach, optionalError, `next hop length ${nhLen} overruns the attribute`);
    const family = familyOf(afi, safi);
    if (family === null) {
      into.mpReach = { family: null, afi, safi, data: value.slice() };
      return;
    }
    let nextHop: IpAddress;
    let linkLocal: Ipv6 | null = null;
    // RFC 7606 §7.11: a next-hop length inconsistent with the family is malformed
    if (nhLen === 4 && family === 'ipv4-unicast') nextHop = numberToIpv4(readU32(value, 4));
    else if (nhLen === 16 || nhLen === 32) {
      // RFC 2545 §3 (IPv6), RFC 8950 §3 (IPv6 next hop for IPv4 NLRI)
      nextHop = bytesToIpv6(value, 4);
      if (nhLen === 32) linkLocal = bytesToIpv6(value, 20);
    } else throw malformed(mpReach, optionalError, `next hop length ${nhLen} invalid for ${family}`);
    // value[4 + nhLen] is the reserved octet (RFC 4760 §3), ignored on receipt
    const nlri = decodeNlri(value, 5 + nhLen, value.length, family === 'ipv6-unicast', ctx.addPathRx.has(family));
    into.mpReach = { family, nextHop, linkLocalNextHop: linkLocal, nlri };
  },
  encode(a, ctx) {
    const r = a.mpReach;
    if (r === undefined) return null;
    if (r.family === null) return r.data;
    const head = mpReachHead(r.family, r.nextHop, r.linkLocalNextHop);
    const addPath = ctx.addPathTx.has(r.family);
    const out = new Uint8Array(head.length + nlriListSize(r.nlri, addPath));
    out.set(head, 0);
    writeNlriList(out, head.length, r.nlri, addPath);
    return out;
  },
};

export const mpUnreach: AttributeDescriptor = {
  code: AttrCode.mpUnreachNlri,
  name: 'MP_UNREACH_NLRI',
  flags: OPTIONAL,
  action: 'session-reset', // RFC 7606 §7.11
  decode(value, ctx, into) {
    if (value.length < 3) throw malformed(mpUnreach, optionalError, `length ${value.length} below 3`);
    const afi = readU16(value, 0);
    const safi = value[2] as number;
    const family = familyOf(afi, safi);
    if (family === null) {
      into.mpUnreach = { family: null, afi, safi, data: value.slice() };
      return;
    }
    into.mpUnreach = { family, withdrawn: decodeNlri(value, 3, value.length, family === 'ipv6-unicast', ctx.addPathRx.has(family)) };
  },
  encode(a, ctx) {
    const u = a.mpUnreach;
    if (u === undefined) return null;
    if (u.family === null) return u.data;
    const addPath = ctx.addPathTx.has(u.family);
    const out = new Uint8Array(3 + nlriListSize(u.withdrawn, addPath));
    out.set(mpUnreachHead(u.family), 0);
    writeNlriList(out, 3, u.withdrawn, addPath);
    return out;
  },
};
