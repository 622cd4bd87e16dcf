// OPEN capabilities as a registry of descriptors (code, kind, decode, encode):
// adding a capability is one descriptor plus one line in the table. Unknown
// codes are kept as opaque bytes and never rejected (peers add new ones).
// RFCs: 5492 (capability TLV), 4760 §8 (multiprotocol), 2918 §2 and the
// pre-standard Cisco code 128 (route refresh), 7313 §4 (enhanced route
// refresh), 6793 §3 (4-octet AS), 4724 §3 and 8538 §2 (graceful restart,
// N bit), 7911 §4 (ADD-PATH), 8654 §3 (extended messages), 8950 §3
// (extended next hop), 9494 §3 (long-lived GR), draft-walton-bgp-hostname
// (FQDN, code 73).
import type { Asn } from '../types.ts';
import { OpenSubcode, openError } from './errors.ts';
import { CapabilityCode, type AddPathMode, type Capability, type CapabilityKind } from './messages.ts';

interface CapabilityDescriptor<K extends CapabilityKind = CapabilityKind> {
  readonly code: number;
  readonly kind: K;
  /** Decodes the capability value (without code and length). Throws BgpError 2/0 when malformed. */
  readonly decode: (value: Uint8Array) => Extract<Capability, { kind: K }>;
  readonly encode: (cap: Extract<Capability, { kind: K }>) => Uint8Array;
}

function malformed(name: string, value: Uint8Array): never {
  // RFC 5492 names no subcode for a malformed known capability; like BIRD we use OPEN / unspecific
  throw openError(OpenSubcode.unspecific, `malformed ${name} capability (${value.length} octets)`);
}

const u16 = (b: Uint8Array, o: number): number => ((b[o] as number) << 8) | (b[o + 1] as number);
const u24 = (b: Uint8Array, o: number): number => ((b[o] as number) << 16) | ((b[o + 1] as number) << 8) | (b[o + 2] as number);
const u32 = (b: Uint8Array, o: number): number => (b[o] as number) * 0x1000000 + u24(b, o + 1);
const EMPTY = new Uint8Array(0);

function empty<K extends 'route-refresh' | 'route-refresh-cisco' | 'enhanced-route-refresh' | 'extended-message'>(code: number, kind: K): CapabilityDescriptor<K> {
  return {
    code,
    kind,
    decode: (v) => {
      if (v.length !== 0) malformed(kind, v);
      return { kind } as Extract<Capability, { kind: K }>;
    },
    encode: () => EMPTY,
  };
}

/** Fixed-size per-family tuples: checks the length is a multiple of `size`. */
function tuples<T>(name: string, v: Uint8Array, size: number, read: (o: number) => T, start = 0): T[] {
  if ((v.length - start) % size !== 0 || v.length < start) malformed(name, v);
  const out: T[] = [];
  for (let o = start; o < v.length; o += size) out.push(read(o));
  return out;
}

const addPathModes: readonly (AddPathMode | null)[] = [null, 'receive', 'send', 'both'];
const addPathCodes: Readonly<Record<AddPathMode, number>> = { receive: 1, send: 2, both: 3 };

const utf8 = new TextDecoder('utf-8');
const utf8enc = new TextEncoder();

const descriptors: readonly CapabilityDescriptor[] = [
  {
    code: CapabilityCode.multiprotocol,
    kind: 'multiprotocol',
    // RFC 4760 §8: AFI (2), reserved (1), SAFI (1)
    decode: (v) => (v.length === 4 ? { kind: 'multiprotocol', afi: u16(v, 0), safi: v[3] as number } : malformed('multiprotocol', v)),
    encode: (c) => Uint8Array.of(c.afi >>> 8, c.afi & 255, 0, c.safi),
  } satisfies CapabilityDescriptor<'multiprotocol'>,
  empty(CapabilityCode.routeRefresh, 'route-refresh'),
  empty(CapabilityCode.routeRefreshCisco, 'route-refresh-cisco'),
  empty(CapabilityCode.enhancedRouteRefresh, 'enhanced-route-refresh'),
  empty(CapabilityCode.extendedMessage, 'extended-message'),
  {
    code: CapabilityCode.extendedNextHop,
    kind: 'extended-next-hop',
    // RFC 8950 §3: (NLRI AFI 2, NLRI SAFI 2, next-hop AFI 2)*
    decode: (v) => ({
      kind: 'extended-next-hop',
      entries: tuples('extended-next-hop', v, 6, (o) => ({ afi: u16(v, o), safi: u16(v, o + 2), nextHopAfi: u16(v, o + 4) })),
    }),
    encode: (c) => Uint8Array.from(c.entries.flatMap((e) => [e.afi >>> 8, e.afi & 255, e.safi >>> 8, e.safi & 255, e.nextHopAfi >>> 8, e.nextHopAfi & 255])),
  } satisfies CapabilityDescriptor<'extended-next-hop'>,
  {
    code: CapabilityCode.fourOctetAs,
    kind: 'four-octet-as',
    // RFC 6793 §3: the 4-octet ASN
    decode: (v) => (v.length === 4 ? { kind: 'four-octet-as', asn: u32(v, 0) as Asn } : malformed('four-octet-as', v)),
    encode: (c) => Uint8Array.of(c.asn >>> 24, (c.asn >>> 16) & 255, (c.asn >>> 8) & 255, c.asn & 255),
  } satisfies CapabilityDescriptor<'four-octet-as'>,
  {
    code: CapabilityCode.gracefulRestart,
    kind: 'graceful-restart',
    // RFC 4724 §3: flags (4 bits: R 0x8, N 0x4 per RFC 8538) + time (12 bits), then (AFI 2, SAFI 1, flags 1)*
    decode: (v) => {
      if (v.length < 2) malformed('graceful-restart', v);
      const word = u16(v, 0);
      return {
        kind: 'graceful-restart',
        restarting: (word & 0x8000) !== 0,
        notification: (word & 0x4000) !== 0,
        time: word & 0x0fff,
        families: tuples('graceful-restart', v, 4, (o) => ({ afi: u16(v, o), safi: v[o + 2] as number, forwarding: ((v[o + 3] as number) & 0x80) !== 0 }), 2),
      };
    },
    encode: (c) => {
      const word = (c.restarting ? 0x8000 : 0) | (c.notification ? 0x4000 : 0) | (c.time & 0x0fff);
      return Uint8Array.from([word >>> 8, word & 255, ...c.families.flatMap((f) => [f.afi >>> 8, f.afi & 255, f.safi, f.forwarding ? 0x80 : 0])]);
    },
  } satisfies CapabilityDescriptor<'graceful-restart'>,
  {
    code: CapabilityCode.addPath,
    kind: 'add-path',
    // RFC 7911 §4: (AFI 2, SAFI 1, send/receive 1)*, values 1..3
    decode: (v) => ({
      kind: 'add-path',
      families: tuples('add-path', v, 4, (o) => {
        const mode = addPathModes[v[o + 3] as number];
        if (mode == null) malformed('add-path', v);
        return { afi: u16(v, o), safi: v[o + 2] as number, mode };
      }),
    }),
    encode: (c) => Uint8Array.from(c.families.flatMap((f) => [f.afi >>> 8, f.afi & 255, f.safi, addPathCodes[f.mode]])),
  } satisfies CapabilityDescriptor<'add-path'>,
  {
    code: CapabilityCode.longLivedGracefulRestart,
    kind: 'long-lived-graceful-restart',
    // RFC 9494 §3: (AFI 2, SAFI 1, flags 1 (F 0x80), stale time 3)*
    decode: (v) => ({
      kind: 'long-lived-graceful-restart',
      families: tuples('long-lived-graceful-restart', v, 7, (o) => ({
        afi: u16(v, o),
        safi: v[o + 2] as number,
        forwarding: ((v[o + 3] as number) & 0x80) !== 0,
        staleTime: u24(v, o + 4),
      })),
    }),
    encode: (c) =>
      Uint8Array.from(
        c.families.flatMap((f) => [f.afi >>> 8, f.afi & 255, f.safi, f.forwarding ? 0x80 : 0, (f.staleTime >>> 16) & 255, (f.staleTime >>> 8) & 255, f.staleTime & 255]),
      ),
  } satisfies CapabilityDescriptor<'long-lived-graceful-restart'>,
  {
    code: CapabilityCode.fqdn,
    kind: 'fqdn',
    // draft-walton-bgp-hostname-capability §3: hostname length 1, hostname, domain length 1, domain
    decode: (v) => {
      const hl = v[0];
      if (hl === undefined || 1 + hl >= v.length) malformed('fqdn', v);
      const dl = v[1 + hl] as number;
      if (2 + hl + dl !== v.length) malformed('fqdn', v);
      return { kind: 'fqdn', hostname: utf8.decode(v.subarray(1, 1 + hl)), domain: utf8.decode(v.subarray(2 + hl)) };
    },
    encode: (c) => {
      const h = utf8enc.encode(c.hostname).subarray(0, 255);
      const d = utf8enc.encode(c.domain).subarray(0, 255);
      return Uint8Array.from([h.length, ...h, d.length, ...d]);
    },
  } satisfies CapabilityDescriptor<'fqdn'>,
] as unknown as readonly CapabilityDescriptor[];

const byCode = new Map<number, CapabilityDescriptor>(descriptors.map((d) => [d.code, d]));
const byKind = new Map<CapabilityKind, CapabilityDescriptor>(descriptors.map((d) => [d.kind, d]));

/** The codes the registry understands (everything else decodes as 'unknown'). */
export const KNOWN_CAPABILITY_CODES: readonly number[] = descriptors.map((d) => d.code);

/** Decodes one capability value; unknown codes become { kind: 'unknown' } with a copy of the bytes. */
export function decodeCapability(code: number, value: Uint8Array): Capability {
  const d = byCode.get(code);
  if (d === undefined) return { kind: 'unknown', code, data: value.slice() };
  return d.decode(value);
}

/** Encodes one capability as code, length, value (RFC 5492 §4). */
export function encodeCapability(cap: Capability): Uint8Array {
  let code: number;
  let value: Uint8Array;
  if (cap.kind === 'unknown') {
    code = cap.code;
    value = cap.data;
  } else {
    const d = byKind.get(cap.kind) as CapabilityDescriptor;
    code = d.code;
    value = d.encode(cap);
  }
  if (value.length > 255) throw new RangeError(`capability ${cap.kind} value of ${value.length} octets exceeds 255`);
  const out = new Uint8Array(2 + value.length);
  out[0] = code;
  out[1] = value.length;
  out.set(value, 2);
  return out;
}

/** The wire code of a capability. */
export function capabilityCode(cap: Capability): number {
  return cap.kind === 'unknown' ? cap.code : (byKind.get(cap.kind) as CapabilityDescriptor).code;
}
