// AS_PATH and AS4_PATH descriptors, 2- or 4-octet per the negotiated context,
// and the RFC 6793 reconstruction of the real path from a 2-octet speaker's
// AS_PATH + AS4_PATH (and AGGREGATOR + AS4_AGGREGATOR).
// RFCs: 4271 §4.3 and §5.1.2 (segments), 5065 §3 (confederation segments),
// 6793 §4.2.2 (sending to an old speaker: AS_TRANS + AS4_PATH), §4.2.3
// (merge, counting rules), §6 (malformed AS4_PATH is discarded),
// 7606 §7.2 (malformed AS_PATH is treat-as-withdraw).
import { AS_TRANS, type Asn } from '../../types.ts';
import { UpdateSubcode } from '../errors.ts';
import { AttrCode, type AsPathSegment, type AsPathSegmentType } from '../messages.ts';
import { malformed, OPTIONAL_TRANSITIVE, readU16, readU32, WELL_KNOWN, type AttrCollector, type AttributeDescriptor } from './descriptor.ts';

const segmentTypes: readonly (AsPathSegmentType | null)[] = [null, 'set', 'sequence', 'confed-sequence', 'confed-set'];
const segmentCodes: Readonly<Record<AsPathSegmentType, number>> = { set: 1, sequence: 2, 'confed-sequence': 3, 'confed-set': 4 };

function decodeSegments(d: AttributeDescriptor, subcode: number, value: Uint8Array, width: 2 | 4, allowConfed: boolean): AsPathSegment[] {
  const segments: AsPathSegment[] = [];
  let o = 0;
  while (o < value.length) {
    // RFC 7606 §7.2: one octet left is an underrun; overruns and zero-length segments are malformed
    if (o + 2 > value.length) throw malformed(d, subcode, 'truncated segment header');
    const type = segmentTypes[value[o] as number];
    const count = value[o + 1] as number;
    if (type == null) throw malformed(d, subcode, `unknown segment type ${value[o]}`);
    if (!allowConfed && (type === 'confed-sequence' || type === 'confed-set')) throw malformed(d, subcode, 'confederation segment in AS4_PATH');
    if (count === 0) throw malformed(d, subcode, 'empty segment');
    o += 2;
    if (o + count * width > value.length) throw malformed(d, subcode, 'segment overruns the attribute');
    const asns: Asn[] = [];
    for (let k = 0; k < count; k++, o += width) asns.push((width === 4 ? readU32(value, o) : readU16(value, o)) as Asn);
    segments.push({ type, asns });
  }
  return segments;
}

/** Encodes segments, splitting any longer than 255 ASNs (RFC 4271 §4.3: the count is one octet). */
function encodeSegments(segments: readonly AsPathSegment[], width: 2 | 4, mapToTrans: boolean): Uint8Array {
  let size = 0;
  for (const s of segments) size += 2 * Math.ceil(s.asns.length / 255) + width * s.asns.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const s of segments) {
    for (let start = 0; start < s.asns.length; start += 255) {
      const chunk = s.asns.slice(start, start + 255);
      out[o++] = segmentCodes[s.type];
      out[o++] = chunk.length;
      for (const asn of chunk) {
        if (width === 4) {
          out[o++] = asn >>> 24;
          out[o++] = (asn >>> 16) & 255;
        }
        const v = mapToTrans && asn > 0xffff ? AS_TRANS : asn;
        out[o++] = (v >>> 8) & 255;
        out[o++] = v & 255;
      }
    }
  }
  return out;
}

const isConfed = (s: AsPathSegment): boolean => s.type === 'confed-sequence' || s.type === 'confed-set';

export const asPath: AttributeDescriptor = {
  code: AttrCode.asPath,
  name: 'AS_PATH',
  flags: WELL_KNOWN,
  action: 'treat-as-withdraw', // RFC 7606 §7.2
  decode(value, ctx, into) {
    into.asPath = decodeSegments(asPath, UpdateSubcode.malformedAsPath, value, ctx.fourOctetAs ? 4 : 2, true);
  },
  encode: (a, ctx) => (a.asPath === undefined ? null : encodeSegments(a.asPath, ctx.fourOctetAs ? 4 : 2, !ctx.fourOctetAs)),
};

export const as4Path: AttributeDescriptor = {
  code: AttrCode.as4Path,
  name: 'AS4_PATH',
  flags: OPTIONAL_TRANSITIVE,
  action: 'attribute-discard', // RFC 6793 §6, RFC 7606 §7.15
  decode(value, _ctx, into) {
    into.as4Path = decodeSegments(as4Path, UpdateSubcode.optionalAttributeError, value, 4, false);
  },
  encode(a, ctx) {
    // RFC 6793 §4.2.2: only toward an old speaker, only when some ASN is not mappable, without confed segments
    if (a.asPath === undefined || ctx.fourOctetAs) return null;
    const plain = a.asPath.filter((s) => !isConfed(s));
    if (!plain.some((s) => s.asns.some((asn) => asn > 0xffff))) return null;
    return encodeSegments(plain, 4, false);
  },
};

/** RFC 6793 §4.2.3 path length: a set counts 1, confederation segments 0. */
function pathCount(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) n += s.type === 'sequence' ? s.asns.length : s.type === 'set' ? 1 : 0;
  return n;
}

/**
 * Rebuilds the real AS path from an old speaker's AS_PATH and AS4_PATH
 * (RFC 6793 §4.2.3): keep the leading (count(AS_PATH) - count(AS4_PATH))
 * ASNs of AS_PATH, then append AS4_PATH. When AS4_PATH is longer it is
 * ignored. Adjacent sequences at the seam are joined.
 */
export function mergeAs4Path(path: readonly AsPathSegment[], path4: readonly AsPathSegment[]): AsPathSegment[] {
  let keep = pathCount(path) - pathCount(path4);
  if (keep < 0) return [...path];
  const out: AsPathSegment[] = [];
  for (const s of path) {
    if (isConfed(s)) {
      out.push(s);
      continue;
    }
    if (keep === 0) break;
    if (s.type === 'set') {
      out.push(s);
      keep--;
    } else if (s.asns.length <= keep) {
      out.push(s);
      keep -= s.asns.length;
    } else {
      out.push({ type: 'sequence', asns: s.asns.slice(0, keep) });
      keep = 0;
    }
  }
  for (const s of path4) {
    const last = out[out.length - 1];
    if (last !== undefined && last.type === 'sequence' && s.type === 'sequence') out[out.length - 1] = { type: 'sequence', asns: [...last.asns, ...s.asns] };
    else out.push(s);
  }
  return out;
}

/**
 * Applies RFC 6793 §4.2.3 to a collector decoded from a 2-octet session:
 * if AGGREGATOR holds a real ASN (not AS_TRANS), AS4_AGGREGATOR and AS4_PATH
 * are ignored; otherwise AS4_AGGREGATOR replaces AGGREGATOR and AS4_PATH is
 * merged into AS_PATH. On a 4-octet session both are simply dropped (§4.1).
 */
export function applyAs4(into: AttrCollector, fourOctetAs: boolean): void {
  const path4 = into.as4Path;
  const agg4 = into.as4Aggregator;
  delete into.as4Path;
  delete into.as4Aggregator;
  if (fourOctetAs) return;
  if (into.aggregator !== undefined && into.aggregator.asn !== AS_TRANS) return;
  if (agg4 !== undefined && into.aggregator !== undefined) into.aggregator = agg4;
  if (path4 !== undefined && into.asPath !== undefined) into.asPath = mergeAs4Path(into.asPath, path4);
}
