// The UPDATE builder: many prefixes sharing attributes are packed into as few
// UPDATEs as fit 4096 (or 65535 with extended messages), and withdrawals
// likewise; every route comes back out, in order, exactly once.
import assert from 'node:assert/strict';
import { parseIpv4, parseIpv6, parsePrefix, type Prefix } from '../../../bgp/types.ts';
import {
  buildUpdates,
  buildWithdrawals,
  decodeMessage,
  Framer,
  updateRoutes,
  type PathAttributes,
  type UpdateMessage,
  type WireContext,
} from '../../../bgp/wire/index.ts';
import { ctxWith } from './golden.ts';

const ctx4 = ctxWith({ fourOctetAs: true });
const attrs: PathAttributes = { origin: 0, asPath: [{ type: 'sequence', asns: [65001 as never] }], med: 10, communities: [0xfde90064] };
const v4 = (n: number): Prefix[] => Array.from({ length: n }, (_, i) => parsePrefix(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`));
const v6 = (n: number): Prefix[] => Array.from({ length: n }, (_, i) => parsePrefix(`fd00:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::/64`));

function collect(msgs: Uint8Array[], ctx: WireContext, max: number) {
  const announced: Prefix[] = [];
  const withdrawn: Prefix[] = [];
  const ids: number[] = [];
  for (const b of msgs) {
    assert.ok(b.length <= max, `${b.length} <= ${max}`);
    const m = decodeMessage(b, ctx) as UpdateMessage;
    assert.equal(m.errors, undefined);
    const r = updateRoutes(m);
    for (const l of r.announced.values()) {
      announced.push(...l.prefixes);
      ids.push(...(l.pathIds ?? []));
    }
    for (const l of r.withdrawn.values()) withdrawn.push(...l.prefixes);
  }
  return { announced, withdrawn, ids };
}

describe('bgp/wire UPDATE builder', () => {
  it('packs 10000 IPv4 /32s into the minimum number of 4096-octet UPDATEs', () => {
    const prefixes = v4(10000);
    const msgs = buildUpdates({ family: 'ipv4-unicast', attributes: attrs, nextHop: parseIpv4('198.18.0.1'), prefixes }, ctx4);
    // attribute block: ORIGIN 4 + AS_PATH 9 + NEXT_HOP 7 + MED 7 + COMMUNITIES 7 = 34; room = 4096 - 23 - 34 = 4039 = 807 /32s of 5 octets
    assert.equal(msgs.length, Math.ceil(10000 / 807));
    assert.equal(msgs[0]?.length, 23 + 34 + 807 * 5);
    const got = collect(msgs, ctx4, 4096);
    assert.deepStrictEqual(got.announced, prefixes);
    const first = decodeMessage(msgs[0] as Uint8Array, ctx4) as UpdateMessage;
    assert.deepStrictEqual(first.attributes, { ...attrs, nextHop: '198.18.0.1' });
  });

  it('uses 65535-octet UPDATEs only when the peer accepts extended messages', () => {
    const prefixes = v4(20000);
    const ext = ctxWith({ fourOctetAs: true, extendedMessageTx: true, extendedMessageRx: true });
    const msgs = buildUpdates({ family: 'ipv4-unicast', attributes: attrs, nextHop: parseIpv4('198.18.0.1'), prefixes }, ext);
    assert.equal(msgs.length, Math.ceil(20000 / Math.floor((65535 - 23 - 34) / 5)));
    assert.deepStrictEqual(collect(msgs, ext, 65535).announced, prefixes);
  });

  it('packs IPv6 routes into MP_REACH_NLRI, first attribute, with link-local next hop', () => {
    const prefixes = v6(3000);
    const msgs = buildUpdates(
      { family: 'ipv6-unicast', attributes: attrs, nextHop: parseIpv6('fd00::1'), linkLocalNextHop: parseIpv6('fe80::1'), prefixes },
      ctx4,
    );
    // fixed: 23 + attrs without NEXT_HOP (27) + MP header 4 + AFI/SAFI/len/NH 32/reserved 37 = 91; /64 = 9 octets
    assert.equal(msgs.length, Math.ceil(3000 / Math.floor((4096 - 91) / 9)));
    for (const b of msgs) assert.equal(b[23], 0x90, 'MP_REACH_NLRI first, with extended length');
    assert.deepStrictEqual(collect(msgs, ctx4, 4096).announced, prefixes);
    const m = decodeMessage(msgs[0] as Uint8Array, ctx4) as UpdateMessage;
    const r = m.attributes.mpReach;
    assert.ok(r !== undefined && r.family === 'ipv6-unicast');
    assert.deepStrictEqual([r.nextHop, r.linkLocalNextHop], ['fd00::1', 'fe80::1']);
  });

  it('sends IPv4 NLRI with an IPv6 next hop only after RFC 8950 negotiation', () => {
    const batch = { family: 'ipv4-unicast' as const, attributes: attrs, nextHop: parseIpv6('fd00::1'), prefixes: v4(3) };
    assert.throws(() => buildUpdates(batch, ctx4), RangeError);
    const ctx = ctxWith({ fourOctetAs: true, extendedNextHop: new Set(['ipv4-unicast']) });
    const msgs = buildUpdates(batch, ctx);
    assert.equal(msgs.length, 1);
    const m = decodeMessage(msgs[0] as Uint8Array, ctx) as UpdateMessage;
    assert.equal(m.nlri.prefixes.length, 0);
    assert.deepStrictEqual(m.attributes.mpReach, { family: 'ipv4-unicast', nextHop: 'fd00::1', linkLocalNextHop: null, nlri: { prefixes: v4(3), pathIds: null } });
  });

  it('writes ADD-PATH path identifiers when negotiated for sending', () => {
    const ctx = ctxWith({ fourOctetAs: true, addPathTx: new Set(['ipv4-unicast']), addPathRx: new Set(['ipv4-unicast']) });
    const prefixes = v4(2000);
    const pathIds = prefixes.map((_, i) => i + 1);
    const msgs = buildUpdates({ family: 'ipv4-unicast', attributes: attrs, nextHop: parseIpv4('198.18.0.1'), prefixes, pathIds }, ctx);
    assert.equal(msgs.length, Math.ceil(2000 / Math.floor(4039 / 9)));
    const got = collect(msgs, ctx, 4096);
    assert.deepStrictEqual(got.announced, prefixes);
    assert.deepStrictEqual(got.ids, pathIds);
  });

  it('withdraws IPv4 in the Withdrawn Routes field and IPv6 in MP_UNREACH_NLRI', () => {
    const p4 = v4(5000);
    const w4 = buildWithdrawals('ipv4-unicast', p4, null, ctx4);
    assert.equal(w4.length, Math.ceil(5000 / Math.floor((4096 - 23) / 5)));
    assert.deepStrictEqual(collect(w4, ctx4, 4096).withdrawn, p4);
    const p6 = v6(5000);
    const w6 = buildWithdrawals('ipv6-unicast', p6, null, ctx4);
    assert.equal(w6.length, Math.ceil(5000 / Math.floor((4096 - 23 - 4 - 3) / 9)));
    assert.deepStrictEqual(collect(w6, ctx4, 4096).withdrawn, p6);
  });

  it('returns nothing for nothing and refuses attributes that leave no room', () => {
    assert.deepStrictEqual(buildUpdates({ family: 'ipv4-unicast', attributes: attrs, nextHop: parseIpv4('198.18.0.1'), prefixes: [] }, ctx4), []);
    const huge: PathAttributes = { ...attrs, communities: Array.from({ length: 1100 }, (_, i) => i) };
    assert.throws(() => buildUpdates({ family: 'ipv4-unicast', attributes: huge, nextHop: parseIpv4('198.18.0.1'), prefixes: v4(1) }, ctx4), RangeError);
  });

  it('does not mutate its input', () => {
    const batch = { family: 'ipv4-unicast' as const, attributes: attrs, nextHop: parseIpv4('198.18.0.1'), prefixes: v4(10) };
    const before = JSON.stringify(batch);
    buildUpdates(batch, ctx4);
    assert.equal(JSON.stringify(batch), before);
  });

  it('frames and decodes 200k prefixes quickly (no per-prefix object churn)', () => {
    const prefixes = v4(200_000);
    const msgs = buildUpdates({ family: 'ipv4-unicast', attributes: attrs, nextHop: parseIpv4('198.18.0.1'), prefixes }, ctx4);
    const stream = Uint8Array.from(Buffer.concat(msgs));
    const t0 = performance.now();
    const framer = new Framer();
    let n = 0;
    for (let off = 0; off < stream.length; off += 65536) {
      for (const f of framer.push(stream.subarray(off, off + 65536))) n += (decodeMessage(f, ctx4) as UpdateMessage).nlri.prefixes.length;
    }
    const ms = performance.now() - t0;
    assert.equal(n, 200_000);
    // about 15 ms on the reference machine; the bound only catches an order-of-magnitude regression
    assert.ok(ms < 1500, `${ms.toFixed(0)} ms`);
  });
});
