// The path attribute registry (one descriptor per type code) and the two
// walkers over it: decodeAttributes applies RFC 7606 revised error handling
// (keeps going past discardable errors, collects them, throws only a
// session-reset), encodeAttributes lays attributes out (MP attributes first,
// then by type code, extended length only when needed).
// RFCs: 4271 §4.3 and §5 (flags, unrecognised attributes, Partial bit),
// 7606 §3 (general rules: flags conflicts, duplicates §3.g), §4 (attribute
// length overruns the Total Path Attribute Length), §5.1 (MP first),
// 6793 §4.2.3 (AS4 merge).
import { BgpError, ErrorCode, UpdateSubcode } from '../errors.ts';
import { AttrCode, AttrFlag, type PathAttributes, type RawAttribute, type WireContext } from '../messages.ts';
import { applyAs4, as4Path, asPath } from './as-path.ts';
import { aggregator, as4Aggregator, atomicAggregate, clusterList, localPref, med, nextHop, origin, originatorId } from './basic.ts';
import { communities, extendedCommunities, largeCommunities } from './communities.ts';
import { OPTIONAL_TRANSITIVE, type AttrCollector, type AttributeDescriptor } from './descriptor.ts';
import { mpReach, mpUnreach } from './mp.ts';

export type { AttributeDescriptor } from './descriptor.ts';

const table: readonly AttributeDescriptor[] = [
  origin,
  asPath,
  nextHop,
  med,
  localPref,
  atomicAggregate,
  aggregator,
  communities,
  originatorId,
  clusterList,
  mpReach,
  mpUnreach,
  extendedCommunities,
  as4Path,
  as4Aggregator,
  largeCommunities,
];

const registry: readonly (AttributeDescriptor | undefined)[] = (() => {
  const r: (AttributeDescriptor | undefined)[] = Array.from({ length: 256 }, () => undefined);
  for (const d of table) r[d.code] = d;
  return r;
})();

/** The descriptor for a type code, or undefined for an attribute we do not implement. */
export function attributeDescriptor(code: number): AttributeDescriptor | undefined {
  return registry[code];
}

/** Subcodes whose NOTIFICATION data is the erroneous attribute (RFC 4271 §6.3). */
const DATA_IS_ATTRIBUTE = new Set<number>([
  UpdateSubcode.unrecognizedWellKnownAttribute,
  UpdateSubcode.attributeFlagsError,
  UpdateSubcode.attributeLengthError,
  UpdateSubcode.invalidOrigin,
  UpdateSubcode.invalidNextHop,
  UpdateSubcode.optionalAttributeError,
]);

export interface DecodedAttributes {
  readonly attributes: PathAttributes;
  /** Errors with a weaker action than session-reset, in the order found. */
  readonly errors: readonly BgpError[];
}

/**
 * Decodes the path attributes in buf[start, end). Throws a BgpError only when
 * the strongest action is session-reset; weaker errors are returned.
 */
export function decodeAttributes(buf: Uint8Array, start: number, end: number, ctx: WireContext): DecodedAttributes {
  const into: AttrCollector = {};
  const errors: BgpError[] = [];
  const seen = new Uint8Array(256);
  let unknown: RawAttribute[] | undefined;
  let i = start;
  while (i < end) {
    const flags = buf[i] as number;
    const hdr = (flags & AttrFlag.extendedLength) !== 0 ? 4 : 3;
    if (end - i < hdr) {
      // RFC 7606 §4: fewer octets than an attribute header -> treat-as-withdraw, stop parsing
      errors.push(new BgpError(ErrorCode.update, UpdateSubcode.malformedAttributeList, 'truncated attribute header', undefined, 'treat-as-withdraw'));
      break;
    }
    const code = buf[i + 1] as number;
    const len = hdr === 4 ? ((buf[i + 2] as number) << 8) | (buf[i + 3] as number) : (buf[i + 2] as number);
    const vstart = i + hdr;
    const vend = vstart + len;
    if (vend > end) {
      // RFC 7606 §4: an attribute overrunning the Total Path Attribute Length -> treat-as-withdraw
      errors.push(
        new BgpError(
          ErrorCode.update,
          UpdateSubcode.attributeLengthError,
          `attribute ${code} of ${len} octets overruns the attribute list`,
          buf.slice(i, end),
          'treat-as-withdraw',
        ),
      );
      break;
    }
    i = vend;
    const d = registry[code];
    if (seen[code] === 1) {
      // RFC 7606 §3.g: duplicate MP_REACH/MP_UNREACH -> Malformed Attribute List, reset; others: keep the first
      if (code === AttrCode.mpReachNlri || code === AttrCode.mpUnreachNlri) {
        throw new BgpError(ErrorCode.update, UpdateSubcode.malformedAttributeList, `duplicate ${d?.name ?? code}`);
      }
      errors.push(new BgpError(ErrorCode.update, UpdateSubcode.malformedAttributeList, `duplicate attribute ${code} discarded`, undefined, 'attribute-discard', code));
      continue;
    }
    seen[code] = 1;
    if (d === undefined) {
      if ((flags & AttrFlag.optional) === 0) {
        // RFC 4271 §6.3: unrecognised well-known attribute
        throw new BgpError(ErrorCode.update, UpdateSubcode.unrecognizedWellKnownAttribute, `unrecognised well-known attribute ${code}`, buf.slice(vstart - hdr, vend));
      }
      // RFC 4271 §5: keep optional transitive with Partial set; drop optional non-transitive
      if ((flags & AttrFlag.transitive) !== 0) {
        (unknown ??= []).push({ flags: (flags | AttrFlag.partial) & ~AttrFlag.extendedLength, code, value: buf.slice(vstart, vend) });
      }
      continue;
    }
    try {
      // RFC 7606 §3.c: Optional/Transitive bits in conflict -> malformed, with the attribute's action
      if ((flags & OPTIONAL_TRANSITIVE) !== d.flags) {
        throw new BgpError(ErrorCode.update, UpdateSubcode.attributeFlagsError, `${d.name}: flags 0x${flags.toString(16)}`, undefined, d.action);
      }
      d.decode(buf.subarray(vstart, vend), ctx, into);
    } catch (e) {
      if (!BgpError.is(e)) throw e;
      const data = e.data.length === 0 && DATA_IS_ATTRIBUTE.has(e.subcode) ? buf.slice(vstart - hdr, vend) : e.data;
      const err = new BgpError(e.code, e.subcode, e.message, data, e.action, code);
      if (err.action === 'session-reset' || err.action === 'afi-safi-disable') throw err.withAction('session-reset');
      errors.push(err);
    }
  }
  applyAs4(into, ctx.fourOctetAs);
  if (unknown !== undefined) into.unknown = unknown;
  return { attributes: into, errors };
}

/** Writes one attribute (flags, code, length, value) into `out` at `off`; returns the new offset. */
function writeAttribute(out: Uint8Array, off: number, flags: number, code: number, value: Uint8Array): number {
  const ext = value.length > 255;
  out[off++] = ext ? flags | AttrFlag.extendedLength : flags & ~AttrFlag.extendedLength;
  out[off++] = code;
  if (ext) out[off++] = value.length >>> 8;
  out[off++] = value.length & 255;
  out.set(value, off);
  return off + value.length;
}

/** Encoded size of an attribute with a value of `n` octets. */
export function attributeSize(n: number): number {
  return (n > 255 ? 4 : 3) + n;
}

/**
 * Encodes the attributes as one block: MP_REACH then MP_UNREACH first
 * (RFC 7606 §5.1), then the rest by ascending type code, unknown attributes
 * with their stored flags.
 */
export function encodeAttributes(attrs: PathAttributes, ctx: WireContext): Uint8Array {
  const parts: { flags: number; code: number; value: Uint8Array }[] = [];
  const order = [mpReach, mpUnreach, ...table.filter((d) => d !== mpReach && d !== mpUnreach)];
  const rest: { flags: number; code: number; value: Uint8Array }[] = [];
  for (const d of order) {
    const value = d.encode(attrs, ctx);
    if (value === null) continue;
    const item = { flags: d.flags, code: d.code, value };
    if (d === mpReach || d === mpUnreach) parts.push(item);
    else rest.push(item);
  }
  for (const u of attrs.unknown ?? []) {
    if (registry[u.code] === undefined) rest.push({ flags: u.flags, code: u.code, value: u.value });
  }
  rest.sort((a, b) => a.code - b.code);
  parts.push(...rest);
  let size = 0;
  for (const p of parts) size += attributeSize(p.value.length);
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) off = writeAttribute(out, off, p.flags, p.code, p.value);
  return out;
}
