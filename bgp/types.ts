// Core BGP value types, parsed once at the edge into branded values: Asn,
// RouterId, Ipv4, Ipv6, Prefix, and the address families we speak (Afi/Safi,
// Family). Past this module nothing passes unvalidated strings around.
// RFCs: 4271 (BGP identifier, prefixes), 6793 (4-octet ASN, AS_TRANS),
// 4760 (AFI/SAFI), 5952 (canonical IPv6 text), 7607 (AS 0 is reserved).
//
// Representation choice: addresses and prefixes are canonical strings
// ("10.0.0.0/24", "fd00::/64"). A string is a compact V8 value, is its own
// Map/Set key (the RIB keys tables by Prefix), compares with ===, prints and
// serialises to JSON as is, and the wire codec builds it without allocating
// an intermediate object. Canonical means: IPv4 dotted quad without leading
// zeros, IPv6 in RFC 5952 form (lower case, longest zero run compressed), and
// prefixes with the host bits cleared, so equal prefixes are equal strings.

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A 4-octet AS number, 0..4294967295 (RFC 6793). */
export type Asn = Brand<number, 'Asn'>;
/** A BGP identifier in dotted-quad form (RFC 4271 §4.2, RFC 6286). */
export type RouterId = Brand<string, 'RouterId'>;
/** An IPv4 address, canonical dotted quad. */
export type Ipv4 = Brand<string, 'Ipv4'>;
/** An IPv6 address, canonical RFC 5952 text. */
export type Ipv6 = Brand<string, 'Ipv6'>;
/** An IPv4 or IPv6 prefix "address/length" with host bits cleared. */
export type Prefix = Brand<string, 'Prefix'>;
export type IpAddress = Ipv4 | Ipv6;

/** AS_TRANS, the 2-octet stand-in for a 4-octet ASN (RFC 6793 §9). */
export const AS_TRANS = 23456 as Asn;

// ---------------------------------------------------------------- families

/** Address Family Identifiers (IANA). */
export const Afi = { ipv4: 1, ipv6: 2 } as const;
/** Subsequent Address Family Identifiers (IANA). */
export const Safi = { unicast: 1, multicast: 2 } as const;

/** The address families this speaker implements. */
export type Family = 'ipv4-unicast' | 'ipv6-unicast';
export const FAMILIES: readonly Family[] = ['ipv4-unicast', 'ipv6-unicast'];

/** A raw (AFI, SAFI) pair, which may name a family we do not implement. */
export interface AfiSafi {
  readonly afi: number;
  readonly safi: number;
}

const familyAfiSafiTable: Readonly<Record<Family, AfiSafi>> = {
  'ipv4-unicast': { afi: Afi.ipv4, safi: Safi.unicast },
  'ipv6-unicast': { afi: Afi.ipv6, safi: Safi.unicast },
};

/** The (AFI, SAFI) of a family. */
export function familyAfiSafi(family: Family): AfiSafi {
  return familyAfiSafiTable[family];
}

/** The family named by (afi, safi), or null when we do not implement it. */
export function familyOf(afi: number, safi: number): Family | null {
  if (safi !== Safi.unicast) return null;
  if (afi === Afi.ipv4) return 'ipv4-unicast';
  if (afi === Afi.ipv6) return 'ipv6-unicast';
  return null;
}

/** The family a prefix belongs to. */
export function prefixFamily(prefix: Prefix): Family {
  return prefix.includes(':') ? 'ipv6-unicast' : 'ipv4-unicast';
}

// ---------------------------------------------------------------- ASN

/**
 * Parses an ASN from a number, a decimal string or an asdot string "1.10"
 * (RFC 5396). Throws RangeError when out of 0..4294967295.
 */
export function parseAsn(input: number | string): Asn {
  let n: number;
  if (typeof input === 'number') n = input;
  else if (/^\d+$/.test(input)) n = Number(input);
  else {
    const m = /^(\d+)\.(\d+)$/.exec(input);
    if (m === null) throw new RangeError(`invalid ASN ${JSON.stringify(input)}`);
    const hi = Number(m[1]);
    const lo = Number(m[2]);
    if (hi > 0xffff || lo > 0xffff) throw new RangeError(`invalid asdot ASN ${JSON.stringify(input)}`);
    n = hi * 65536 + lo;
  }
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`ASN out of range: ${String(input)}`);
  return n as Asn;
}

/** True when the ASN fits in a 2-octet AS field (RFC 6793 §4.2.2). */
export function isTwoOctetAsn(asn: Asn): boolean {
  return asn <= 0xffff;
}

// ---------------------------------------------------------------- IPv4

/** Strict dotted-quad parse: four decimal octets, no leading zeros. Returns the value or -1. */
export function ipv4ToNumber(s: string): number {
  let value = 0;
  let octets = 0;
  let i = 0;
  const n = s.length;
  while (octets < 4) {
    const start = i;
    let octet = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || octet > 255 || (digits > 1 && s.charCodeAt(start) === 48)) return -1;
    value = value * 256 + octet;
    octets++;
    if (octets < 4) {
      if (s.charCodeAt(i) !== 46) return -1;
      i++;
    }
  }
  return i === n ? value : -1;
}

/** Formats a uint32 as a dotted quad. */
export function numberToIpv4(n: number): Ipv4 {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}` as Ipv4;
}

export function parseIpv4(s: string): Ipv4 {
  if (ipv4ToNumber(s) < 0) throw new RangeError(`invalid IPv4 address ${JSON.stringify(s)}`);
  return s as Ipv4;
}

/** Parses a BGP identifier (a non-zero-checking dotted quad; RFC 6286 checks are session semantics). */
export function parseRouterId(s: string): RouterId {
  if (ipv4ToNumber(s) < 0) throw new RangeError(`invalid router id ${JSON.stringify(s)}`);
  return s as RouterId;
}

/** The router id as a uint32, for the RFC 4271 §6.8 collision comparison. */
export function routerIdToNumber(id: RouterId): number {
  return ipv4ToNumber(id);
}

export function numberToRouterId(n: number): RouterId {
  return numberToIpv4(n) as string as RouterId;
}

// ---------------------------------------------------------------- IPv6

function parseIpv6Groups(part: string): number[] | null {
  if (part === '') return [];
  const groups: number[] = [];
  const items = part.split(':');
  for (let k = 0; k < items.length; k++) {
    const item = items[k] as string;
    if (k === items.length - 1 && item.includes('.')) {
      const v4 = ipv4ToNumber(item);
      if (v4 < 0) return null;
      groups.push(v4 >>> 16, v4 & 0xffff);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return null;
    groups.push(parseInt(item, 16));
  }
  return groups;
}

/** Parses IPv6 text (with "::" and an optional trailing dotted quad) into 16 bytes, or null. */
export function ipv6ToBytes(s: string): Uint8Array | null {
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return null;
  let groups: number[];
  if (dbl === -1) {
    const g = parseIpv6Groups(s);
    if (g === null || g.length !== 8) return null;
    groups = g;
  } else {
    const headText = s.slice(0, dbl);
    // a dotted quad is only allowed at the very end
    if (headText.includes('.')) return null;
    const head = parseIpv6Groups(headText);
    const tail = parseIpv6Groups(s.slice(dbl + 2));
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    groups = head;
    while (groups.length < 8 - tail.length) groups.push(0);
    groups.push(...tail);
  }
  const out = new Uint8Array(16);
  for (let k = 0; k < 8; k++) {
    const g = groups[k] as number;
    out[2 * k] = g >>> 8;
    out[2 * k + 1] = g & 255;
  }
  return out;
}

/** Formats 16 bytes (from `offset`) as canonical RFC 5952 text (§4: lower case, longest zero run of 2+ compressed, first on ties). */
export function bytesToIpv6(b: Uint8Array, offset = 0): Ipv6 {
  const g = new Uint16Array(8);
  for (let k = 0; k < 8; k++) g[k] = ((b[offset + 2 * k] ?? 0) << 8) | (b[offset + 2 * k + 1] ?? 0);
  let bestStart = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen) {
      bestStart = k;
      bestLen = e - k;
    }
    k = e;
  }
  let s = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      s += k === 0 ? '::' : ':';
      k += bestLen - 1;
      continue;
    }
    s += (g[k] as number).toString(16);
    if (k < 7) s += ':';
  }
  return s as Ipv6;
}

export function parseIpv6(s: string): Ipv6 {
  const b = ipv6ToBytes(s);
  if (b === null) throw new RangeError(`invalid IPv6 address ${JSON.stringify(s)}`);
  return bytesToIpv6(b);
}

/** Parses either family (IPv6 is canonicalised). */
export function parseIpAddress(s: string): IpAddress {
  return s.includes(':') ? parseIpv6(s) : parseIpv4(s);
}

export function isIpv6(a: IpAddress): a is Ipv6 {
  return a.includes(':');
}

/** True for fe80::/10 (link-local unicast). */
export function isLinkLocalIpv6(a: Ipv6): boolean {
  return /^fe[89ab][0-9a-f]:/.test(a);
}

// ---------------------------------------------------------------- prefixes

/** Builds the canonical prefix of `bytes` (the address, first ceil(len/8) bytes used) and `len`, clearing host bits. */
export function prefixFromBytes(v6: boolean, bytes: Uint8Array, len: number): Prefix {
  const full = new Uint8Array(v6 ? 16 : 4);
  const n = (len + 7) >> 3;
  for (let k = 0; k < n; k++) full[k] = bytes[k] ?? 0;
  if ((len & 7) !== 0 && n > 0) full[n - 1] = (full[n - 1] as number) & (0xff << (8 - (len & 7)));
  if (v6) return `${bytesToIpv6(full)}/${len}` as Prefix;
  return `${full[0]}.${full[1]}.${full[2]}.${full[3]}/${len}` as Prefix;
}

/** Splits a prefix into (address bytes, length) without validation (it is already canonical). */
export function prefixToBytes(prefix: Prefix): { readonly bytes: Uint8Array; readonly length: number } {
  const slash = prefix.lastIndexOf('/');
  const addr = prefix.slice(0, slash);
  const length = Number(prefix.slice(slash + 1));
  if (addr.includes(':')) return { bytes: ipv6ToBytes(addr) as Uint8Array, length };
  const v = ipv4ToNumber(addr);
  return { bytes: Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255), length };
}

/**
 * Parses "addr/len". With `strict` (the default) host bits must be zero,
 * otherwise they are cleared. Throws RangeError on anything malformed.
 */
export function parsePrefix(s: string, strict = true): Prefix {
  const slash = s.indexOf('/');
  if (slash < 0) throw new RangeError(`invalid prefix ${JSON.stringify(s)}: no length`);
  const lenText = s.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(lenText)) throw new RangeError(`invalid prefix length in ${JSON.stringify(s)}`);
  const len = Number(lenText);
  const addr = s.slice(0, slash);
  let bytes: Uint8Array;
  let v6: boolean;
  if (addr.includes(':')) {
    const b = ipv6ToBytes(addr);
    if (b === null) throw new RangeError(`invalid IPv6 prefix ${JSON.stringify(s)}`);
    bytes = b;
    v6 = true;
  } else {
    const v = ipv4ToNumber(addr);
    if (v < 0) throw new RangeError(`invalid IPv4 prefix ${JSON.stringify(s)}`);
    bytes = Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
    v6 = false;
  }
  if (len > (v6 ? 128 : 32)) throw new RangeError(`prefix length out of range in ${JSON.stringify(s)}`);
  const p = prefixFromBytes(v6, bytes, len);
  if (strict) {
    const orig = prefixFromBytes(v6, bytes, v6 ? 128 : 32);
    const canonAddr = p.slice(0, p.lastIndexOf('/'));
    if (orig.slice(0, orig.lastIndexOf('/')) !== canonAddr) {
      throw new RangeError(`prefix ${JSON.stringify(s)} has host bits set (did you mean ${p}?)`);
    }
  }
  return p;
}

/** The length part of a prefix. */
export function prefixLength(prefix: Prefix): number {
  return Number(prefix.slice(prefix.lastIndexOf('/') + 1));
}
