// Community attributes: COMMUNITIES (4-octet values), EXTENDED COMMUNITIES
// (8-octet values as unsigned 64-bit bigints) and LARGE_COMMUNITY (three
// 4-octet fields).
// RFCs: 1997 §3 (and well-known values), 4360 §2, 8092 §3 and §6,
// 7606 §7.8 and §7.14 (malformed lengths are treat-as-withdraw).
import { UpdateSubcode } from '../errors.ts';
import { AttrCode, type LargeCommunity } from '../messages.ts';
import { malformed, OPTIONAL_TRANSITIVE, readU32, writeU32, type AttributeDescriptor } from './descriptor.ts';

const lengthError = UpdateSubcode.attributeLengthError;

function checkMultiple(d: AttributeDescriptor, value: Uint8Array, size: number): void {
  if (value.length === 0 || value.length % size !== 0) throw malformed(d, lengthError, `length ${value.length} is not a positive multiple of ${size}`);
}

export const communities: AttributeDescriptor = {
  code: AttrCode.communities,
  name: 'COMMUNITIES',
  flags: OPTIONAL_TRANSITIVE,
  action: 'treat-as-withdraw', // RFC 7606 §7.8
  decode(value, _ctx, into) {
    checkMultiple(communities, value, 4);
    const out: number[] = [];
    for (let o = 0; o < value.length; o += 4) out.push(readU32(value, o));
    into.communities = out;
  },
  encode(a) {
    if (a.communities === undefined) return null;
    const out = new Uint8Array(4 * a.communities.length);
    a.communities.forEach((c, k) => writeU32(out, 4 * k, c));
    return out;
  },
};

export const extendedCommunities: AttributeDescriptor = {
  code: AttrCode.extendedCommunities,
  name: 'EXTENDED_COMMUNITIES',
  flags: OPTIONAL_TRANSITIVE,
  action: 'treat-as-withdraw', // RFC 7606 §7.14
  decode(value, _ctx, into) {
    checkMultiple(extendedCommunities, value, 8);
    const out: bigint[] = [];
    for (let o = 0; o < value.length; o += 8) out.push((BigInt(readU32(value, o)) << 32n) | BigInt(readU32(value, o + 4)));
    into.extendedCommunities = out;
  },
  encode(a) {
    if (a.extendedCommunities === undefined) return null;
    const out = new Uint8Array(8 * a.extendedCommunities.length);
    a.extendedCommunities.forEach((c, k) => {
      writeU32(out, 8 * k, Number((c >> 32n) & 0xffffffffn));
      writeU32(out, 8 * k + 4, Number(c & 0xffffffffn));
    });
    return out;
  },
};

export const largeCommunities: AttributeDescriptor = {
  code: AttrCode.largeCommunity,
  name: 'LARGE_COMMUNITY',
  flags: OPTIONAL_TRANSITIVE,
  action: 'treat-as-withdraw', // RFC 8092 §6
  decode(value, _ctx, into) {
    checkMultiple(largeCommunities, value, 12);
    const out: LargeCommunity[] = [];
    for (let o = 0; o < value.length; o += 12) {
      out.push({ globalAdmin: readU32(value, o), localData1: readU32(value, o + 4), localData2: readU32(value, o + 8) });
    }
    into.largeCommunities = out;
  },
  encode(a) {
    if (a.largeCommunities === undefined) return null;
    const out = new Uint8Array(12 * a.largeCommunities.length);
    a.largeCommunities.forEach((c, k) => {
      writeU32(out, 12 * k, c.globalAdmin);
      writeU32(out, 12 * k + 4, c.localData1);
      writeU32(out, 12 * k + 8, c.localData2);
    });
    return out;
  },
};
