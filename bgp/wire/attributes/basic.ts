// Descriptors of the fixed-size attributes: ORIGIN, NEXT_HOP,
// MULTI_EXIT_DISC, LOCAL_PREF, ATOMIC_AGGREGATE, AGGREGATOR, AS4_AGGREGATOR,
// ORIGINATOR_ID and CLUSTER_LIST.
// RFCs: 4271 §4.3 and §5.1, 7606 §7.1-§7.10 (per-attribute error actions),
// 6793 §4.2.2 (2-octet AGGREGATOR + AS4_AGGREGATOR toward an old speaker),
// 6793 §6 (malformed AS4_AGGREGATOR is discarded), 4456 §8 (route reflection).
import { AS_TRANS, numberToIpv4, numberToRouterId, routerIdToNumber, ipv4ToNumber, type Asn, type RouterId } from '../../types.ts';
import { UpdateSubcode } from '../errors.ts';
import { AttrCode, type Aggregator, type Origin, type WireContext } from '../messages.ts';
import {
  malformed,
  OPTIONAL,
  OPTIONAL_TRANSITIVE,
  readU16,
  readU32,
  u32Bytes,
  WELL_KNOWN,
  writeU16,
  writeU32,
  type AttributeDescriptor,
} from './descriptor.ts';

const lengthError = UpdateSubcode.attributeLengthError;
const EMPTY = new Uint8Array(0);

function checkLength(d: AttributeDescriptor, value: Uint8Array, expected: number): void {
  if (value.length !== expected) throw malformed(d, lengthError, `length ${value.length}, expected ${expected}`);
}

export const origin: AttributeDescriptor = {
  code: AttrCode.origin,
  name: 'ORIGIN',
  flags: WELL_KNOWN,
  action: 'treat-as-withdraw', // RFC 7606 §7.1
  decode(value, _ctx, into) {
    checkLength(origin, value, 1);
    const v = value[0] as number;
    // RFC 4271 §6.3: undefined ORIGIN value -> Invalid ORIGIN Attribute
    if (v > 2) throw malformed(origin, UpdateSubcode.invalidOrigin, `undefined value ${v}`);
    into.origin = v as Origin;
  },
  encode: (a) => (a.origin === undefined ? null : Uint8Array.of(a.origin)),
};

export const nextHop: AttributeDescriptor = {
  code: AttrCode.nextHop,
  name: 'NEXT_HOP',
  flags: WELL_KNOWN,
  action: 'treat-as-withdraw', // RFC 7606 §7.3 (semantic checks are the validator's)
  decode(value, _ctx, into) {
    checkLength(nextHop, value, 4);
    into.nextHop = numberToIpv4(readU32(value, 0));
  },
  encode: (a) => (a.nextHop === undefined ? null : u32Bytes(ipv4ToNumber(a.nextHop))),
};

export const med: AttributeDescriptor = {
  code: AttrCode.multiExitDisc,
  name: 'MULTI_EXIT_DISC',
  flags: OPTIONAL,
  action: 'treat-as-withdraw', // RFC 7606 §7.4
  decode(value, _ctx, into) {
    checkLength(med, value, 4);
    into.med = readU32(value, 0);
  },
  encode: (a) => (a.med === undefined ? null : u32Bytes(a.med)),
};

export const localPref: AttributeDescriptor = {
  code: AttrCode.localPref,
  name: 'LOCAL_PREF',
  flags: WELL_KNOWN,
  action: 'treat-as-withdraw', // RFC 7606 §7.5 (discarding it from eBGP peers is the validator's job)
  decode(value, _ctx, into) {
    checkLength(localPref, value, 4);
    into.localPref = readU32(value, 0);
  },
  encode: (a) => (a.localPref === undefined ? null : u32Bytes(a.localPref)),
};

export const atomicAggregate: AttributeDescriptor = {
  code: AttrCode.atomicAggregate,
  name: 'ATOMIC_AGGREGATE',
  flags: WELL_KNOWN,
  action: 'attribute-discard', // RFC 7606 §7.6
  decode(value, _ctx, into) {
    checkLength(atomicAggregate, value, 0);
    into.atomicAggregate = true;
  },
  encode: (a) => (a.atomicAggregate === true ? EMPTY : null),
};

function encodeAggregator(agg: Aggregator, fourOctet: boolean): Uint8Array {
  const out = new Uint8Array(fourOctet ? 8 : 6);
  if (fourOctet) writeU32(out, 0, agg.asn);
  // RFC 6793 §4.2.2: a non-mappable ASN becomes AS_TRANS in the 2-octet field
  else writeU16(out, 0, agg.asn > 0xffff ? AS_TRANS : agg.asn);
  writeU32(out, fourOctet ? 4 : 2, ipv4ToNumber(agg.address));
  return out;
}

export const aggregator: AttributeDescriptor = {
  code: AttrCode.aggregator,
  name: 'AGGREGATOR',
  flags: OPTIONAL_TRANSITIVE,
  action: 'attribute-discard', // RFC 7606 §7.7
  decode(value, ctx, into) {
    const four = ctx.fourOctetAs;
    checkLength(aggregator, value, four ? 8 : 6);
    into.aggregator = {
      asn: (four ? readU32(value, 0) : readU16(value, 0)) as Asn,
      address: numberToIpv4(readU32(value, four ? 4 : 2)),
    };
  },
  encode: (a, ctx) => (a.aggregator === undefined ? null : encodeAggregator(a.aggregator, ctx.fourOctetAs)),
};

export const as4Aggregator: AttributeDescriptor = {
  code: AttrCode.as4Aggregator,
  name: 'AS4_AGGREGATOR',
  flags: OPTIONAL_TRANSITIVE,
  action: 'attribute-discard', // RFC 6793 §6, RFC 7606 §7.15
  decode(value, _ctx, into) {
    checkLength(as4Aggregator, value, 8);
    into.as4Aggregator = { asn: readU32(value, 0) as Asn, address: numberToIpv4(readU32(value, 4)) };
  },
  // RFC 6793 §4.2.2: only toward an old speaker, and only when the ASN is not mappable
  encode: (a: { readonly aggregator?: Aggregator }, ctx: WireContext) =>
    a.aggregator === undefined || ctx.fourOctetAs || a.aggregator.asn <= 0xffff ? null : encodeAggregator(a.aggregator, true),
};

export const originatorId: AttributeDescriptor = {
  code: AttrCode.originatorId,
  name: 'ORIGINATOR_ID',
  flags: OPTIONAL,
  action: 'treat-as-withdraw', // RFC 7606 §7.9
  decode(value, _ctx, into) {
    checkLength(originatorId, value, 4);
    into.originatorId = numberToRouterId(readU32(value, 0));
  },
  encode: (a) => (a.originatorId === undefined ? null : u32Bytes(routerIdToNumber(a.originatorId))),
};

export const clusterList: AttributeDescriptor = {
  code: AttrCode.clusterList,
  name: 'CLUSTER_LIST',
  flags: OPTIONAL,
  action: 'treat-as-withdraw', // RFC 7606 §7.10
  decode(value, _ctx, into) {
    if (value.length === 0 || value.length % 4 !== 0) throw malformed(clusterList, lengthError, `length ${value.length} is not a positive multiple of 4`);
    const ids: RouterId[] = [];
    for (let o = 0; o < value.length; o += 4) ids.push(numberToRouterId(readU32(value, o)));
    into.clusterList = ids;
  },
  encode(a) {
    if (a.clusterList === undefined) return null;
    const out = new Uint8Array(4 * a.clusterList.length);
    a.clusterList.forEach((id, k) => writeU32(out, 4 * k, routerIdToNumber(id)));
    return out;
  },
};
