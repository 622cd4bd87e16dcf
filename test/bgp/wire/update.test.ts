// Golden tests of the UPDATE message and of every path attribute, each
// tested four ways (decode, encode, round-trip, framed at every split).
import assert from 'node:assert/strict';
import { parseAsn, parseIpv4, parseIpv6, parsePrefix, parseRouterId, type Prefix } from '../../../bgp/types.ts';
import {
  decodeMessage,
  emptyNlri,
  encodeMessage,
  endOfRib,
  endOfRibFamily,
  type NlriList,
  type PathAttributes,
  type UpdateMessage,
} from '../../../bgp/wire/index.ts';
import { ctxWith, goldenTests, hex, MARKER, NONE, toHex, updateBytes } from './golden.ts';

const ctx2 = ctxWith({});
const ctx4 = ctxWith({ fourOctetAs: true });
const list = (...p: string[]): NlriList => ({ prefixes: p.map((x) => parsePrefix(x)), pathIds: null });
const update = (attributes: PathAttributes, nlri: NlriList = emptyNlri(), withdrawn: NlriList = emptyNlri()): UpdateMessage => ({
  type: 'update',
  withdrawn,
  attributes,
  nlri,
});
const seq = (...a: number[]) => ({ type: 'sequence' as const, asns: a.map((x) => parseAsn(x)) });

describe('bgp/wire UPDATE', () => {
  goldenTests({
    name: 'IPv4 announcement with the mandatory attributes (4-octet session)',
    ctx: ctx4,
    message: update({ origin: 0, asPath: [seq(65001)], nextHop: parseIpv4('198.18.0.1') }, list('10.244.1.0/24')),
    bytes: hex`
      ${MARKER}
      002f                    # length 47
      02                      # type UPDATE
      0000                    # withdrawn routes length 0
      0014                    # total path attribute length 20
      40 01 01 00             # ORIGIN (well-known, transitive) IGP
      40 02 06 02 01 0000fde9 # AS_PATH: AS_SEQUENCE of 1: 65001
      40 03 04 c6120001       # NEXT_HOP 198.18.0.1
      18 0af401               # NLRI 10.244.1.0/24`,
  });

  goldenTests({
    name: 'IPv4 withdrawal only',
    message: update({}, emptyNlri(), list('10.244.1.0/24', '10.0.0.0/8', '0.0.0.0/0', '192.0.2.1/32')),
    bytes: hex`
      ${MARKER}
      0023                    # length 35
      02                      # type UPDATE
      000c                    # withdrawn routes length 12
      18 0af401               # 10.244.1.0/24
      08 0a                   # 10.0.0.0/8
      00                      # 0.0.0.0/0
      20 c0000201             # 192.0.2.1/32
      0000                    # no path attributes`,
  });

  goldenTests({
    name: 'End-of-RIB IPv4 unicast (empty UPDATE)',
    message: endOfRib('ipv4-unicast'),
    bytes: hex`${MARKER} 0017 02  0000 # no withdrawn
      0000 # no attributes`,
  });

  goldenTests({
    name: 'End-of-RIB IPv6 unicast (empty MP_UNREACH_NLRI)',
    message: endOfRib('ipv6-unicast'),
    bytes: hex`${MARKER} 001d 02 0000 0006
      80 0f 03 0002 01 # MP_UNREACH_NLRI (optional) AFI 2 SAFI 1, nothing withdrawn`,
  });

  it('endOfRibFamily recognises both markers and nothing else', () => {
    assert.equal(endOfRibFamily(decodeMessage(encodeMessage(endOfRib('ipv4-unicast'), ctx2), ctx2) as UpdateMessage), 'ipv4-unicast');
    assert.equal(endOfRibFamily(decodeMessage(encodeMessage(endOfRib('ipv6-unicast'), ctx2), ctx2) as UpdateMessage), 'ipv6-unicast');
    assert.equal(endOfRibFamily(update({}, emptyNlri(), list('10.0.0.0/8'))), null);
    assert.equal(endOfRibFamily(update({ mpUnreach: { family: 'ipv6-unicast', withdrawn: list('fd00::/8') } })), null);
    assert.equal(endOfRibFamily(update({ med: 1 })), null);
  });

  const attrCases: { name: string; ctx?: typeof ctx2; attrs: PathAttributes; bytes: Uint8Array; nlri?: NlriList; nlriBytes?: Uint8Array }[] = [
    { name: 'ORIGIN EGP', attrs: { origin: 1 }, bytes: hex`40 01 01 01` },
    { name: 'ORIGIN INCOMPLETE', attrs: { origin: 2 }, bytes: hex`40 01 01 02` },
    { name: 'AS_PATH 2-octet', attrs: { asPath: [seq(65001, 65002)] }, bytes: hex`40 02 06  02 02 fde9 fdea # AS_SEQUENCE 65001 65002` },
    { name: 'AS_PATH empty (iBGP origination)', ctx: ctx4, attrs: { asPath: [] }, bytes: hex`40 02 00` },
    {
      name: 'AS_PATH with every segment type, 4-octet',
      ctx: ctx4,
      attrs: {
        asPath: [
          { type: 'confed-sequence', asns: [parseAsn(64512)] },
          { type: 'confed-set', asns: [parseAsn(64513), parseAsn(64514)] },
          seq(65001, 4200000000),
          { type: 'set', asns: [parseAsn(65010), parseAsn(65011)] },
        ],
      },
      bytes: hex`40 02 24
        03 01 0000fc00            # AS_CONFED_SEQUENCE 64512
        04 02 0000fc01 0000fc02   # AS_CONFED_SET 64513 64514
        02 02 0000fde9 fa56ea00   # AS_SEQUENCE 65001 4200000000
        01 02 0000fdf2 0000fdf3   # AS_SET 65010 65011`,
    },
    {
      name: 'AS_PATH + AS4_PATH toward a 2-octet speaker (RFC 6793 AS_TRANS)',
      attrs: { asPath: [seq(65001, 4200000000, 65002)] },
      bytes: hex`40 02 08  02 03 fde9 5ba0 fdea   # AS_SEQUENCE 65001 AS_TRANS 65002
        c0 11 0e  02 03 0000fde9 fa56ea00 0000fdea  # AS4_PATH (optional transitive) with the real ASN`,
    },
    { name: 'NEXT_HOP', attrs: { nextHop: parseIpv4('198.18.0.1') }, bytes: hex`40 03 04 c6120001` },
    { name: 'MULTI_EXIT_DISC', attrs: { med: 100 }, bytes: hex`80 04 04 00000064 # optional non-transitive, 100` },
    { name: 'LOCAL_PREF', attrs: { localPref: 200 }, bytes: hex`40 05 04 000000c8` },
    { name: 'ATOMIC_AGGREGATE', attrs: { atomicAggregate: true }, bytes: hex`40 06 00` },
    { name: 'AGGREGATOR 2-octet', attrs: { aggregator: { asn: parseAsn(65001), address: parseIpv4('10.0.0.1') } }, bytes: hex`c0 07 06 fde9 0a000001` },
    { name: 'AGGREGATOR 4-octet', ctx: ctx4, attrs: { aggregator: { asn: parseAsn(4200000000), address: parseIpv4('10.0.0.1') } }, bytes: hex`c0 07 08 fa56ea00 0a000001` },
    {
      name: 'AGGREGATOR + AS4_AGGREGATOR toward a 2-octet speaker',
      attrs: { aggregator: { asn: parseAsn(4200000000), address: parseIpv4('10.0.0.1') } },
      bytes: hex`c0 07 06 5ba0 0a000001   # AGGREGATOR AS_TRANS 10.0.0.1
        c0 12 08 fa56ea00 0a000001   # AS4_AGGREGATOR 4200000000 10.0.0.1`,
    },
    {
      name: 'COMMUNITIES with the well-known values',
      attrs: { communities: [0xfde90064, 0xffffff01, 0xffffff02, 0xffffff03, 0xffffff04] },
      bytes: hex`c0 08 14
        fde90064   # 65001:100
        ffffff01   # NO_EXPORT
        ffffff02   # NO_ADVERTISE
        ffffff03   # NO_EXPORT_SUBCONFED
        ffffff04   # NO_PEER`,
    },
    { name: 'ORIGINATOR_ID', attrs: { originatorId: parseRouterId('10.0.0.2') }, bytes: hex`80 09 04 0a000002` },
    {
      name: 'CLUSTER_LIST',
      attrs: { clusterList: [parseRouterId('10.0.0.3'), parseRouterId('10.0.0.4')] },
      bytes: hex`80 0a 08 0a000003 0a000004`,
    },
    {
      name: 'EXTENDED COMMUNITIES',
      attrs: { extendedCommunities: [0x0002fde900000064n, 0x030c00000000000an] },
      bytes: hex`c0 10 10
        0002 fde9 00000064   # route target 65001:100
        030c 0000 0000000a   # encapsulation, tunnel type 10`,
    },
    {
      name: 'LARGE_COMMUNITY',
      attrs: { largeCommunities: [{ globalAdmin: 4200000000, localData1: 1, localData2: 2 }] },
      bytes: hex`c0 20 0c fa56ea00 00000001 00000002`,
    },
    {
      name: 'COMMUNITIES with the extended-length flag (value over 255 octets)',
      attrs: { communities: Array.from({ length: 70 }, (_, k) => 0xfde90000 + k) },
      bytes: (() => {
        const v = new Uint8Array(280);
        for (let k = 0; k < 70; k++) Buffer.from(v.buffer).writeUInt32BE(0xfde90000 + k, 4 * k);
        return Uint8Array.from([...hex`d0 08 0118 # optional transitive + extended length, 280 octets`, ...v]);
      })(),
    },
    {
      name: 'unknown optional transitive attribute (Partial already set) is passed on',
      attrs: { unknown: [{ flags: 0xe0, code: 99, value: hex`abcd` }] },
      bytes: hex`e0 63 02 abcd`,
    },
    {
      name: 'MP_REACH_NLRI IPv6 with global and link-local next hops',
      ctx: ctx4,
      attrs: {
        mpReach: { family: 'ipv6-unicast', nextHop: parseIpv6('fd00::1'), linkLocalNextHop: parseIpv6('fe80::1'), nlri: list('fd00:0:0:1::/64', 'fd00:1::/32') },
        origin: 0,
        asPath: [],
      },
      bytes: hex`80 0e 33
        0002 01                            # AFI 2 SAFI 1
        20                                 # next hop length 32
        fd000000000000000000000000000001   # global fd00::1
        fe800000000000000000000000000001   # link-local fe80::1
        00                                 # reserved
        40 fd00000000000001                # fd00:0:0:1::/64
        20 fd000001                        # fd00:1::/32
        40 01 01 00                        # ORIGIN IGP
        40 02 00                           # AS_PATH empty`,
    },
    {
      name: 'MP_REACH_NLRI IPv6 with a global next hop only',
      ctx: ctx4,
      attrs: { mpReach: { family: 'ipv6-unicast', nextHop: parseIpv6('fd00::1'), linkLocalNextHop: null, nlri: list('::/0') }, origin: 0, asPath: [] },
      bytes: hex`80 0e 16  0002 01 10 fd000000000000000000000000000001 00
        00                                 # ::/0
        40 01 01 00 40 02 00`,
    },
    {
      name: 'MP_REACH_NLRI IPv4 NLRI with an IPv6 next hop (RFC 8950)',
      ctx: ctx4,
      attrs: { mpReach: { family: 'ipv4-unicast', nextHop: parseIpv6('fd00::1'), linkLocalNextHop: null, nlri: list('10.244.1.0/24') }, origin: 0, asPath: [] },
      bytes: hex`80 0e 19  0001 01    # AFI 1 SAFI 1
        10 fd000000000000000000000000000001 # next hop length 16, fd00::1
        00 18 0af401                        # reserved, 10.244.1.0/24
        40 01 01 00 40 02 00`,
    },
    {
      name: 'MP_UNREACH_NLRI IPv6',
      attrs: { mpUnreach: { family: 'ipv6-unicast', withdrawn: list('fd00:0:0:1::/64', 'fd00::1/128') } },
      bytes: hex`80 0f 1d  0002 01
        40 fd00000000000001                   # fd00:0:0:1::/64
        80 fd000000000000000000000000000001   # fd00::1/128`,
    },
    {
      name: 'MP_REACH_NLRI of an unimplemented family is kept opaque',
      attrs: { mpReach: { family: null, afi: 1, safi: 128, data: hex`0001 80 0c 000000000000000000000000 00` }, origin: 0, asPath: [] },
      bytes: hex`80 0e 11  0001 80 0c 000000000000000000000000 00  # L3VPN, not decoded
        40 01 01 00 40 02 00`,
    },
    {
      name: 'ADD-PATH NLRI and withdrawals (IPv4)',
      ctx: ctxWith({ fourOctetAs: true, addPathRx: new Set(['ipv4-unicast']), addPathTx: new Set(['ipv4-unicast']) }),
      attrs: { origin: 0, asPath: [], nextHop: parseIpv4('198.18.0.1') },
      bytes: hex`40 01 01 00 40 02 00 40 03 04 c6120001`,
      nlri: { prefixes: [parsePrefix('10.244.1.0/24'), parsePrefix('10.244.1.0/24')], pathIds: [1, 0xfffffffe] },
      nlriBytes: hex`00000001 18 0af401   # path id 1
        fffffffe 18 0af401                   # path id 4294967294, same prefix`,
    },
    {
      name: 'ADD-PATH in MP_REACH_NLRI (IPv6)',
      ctx: ctxWith({ fourOctetAs: true, addPathRx: new Set(['ipv6-unicast']), addPathTx: new Set(['ipv6-unicast']) }),
      attrs: {
        mpReach: { family: 'ipv6-unicast', nextHop: parseIpv6('fd00::1'), linkLocalNextHop: null, nlri: { prefixes: [parsePrefix('fd00:1::/32')], pathIds: [7] } },
        origin: 0,
        asPath: [],
      },
      bytes: hex`80 0e 1e  0002 01 10 fd000000000000000000000000000001 00
        00000007 20 fd000001   # path id 7, fd00:1::/32
        40 01 01 00 40 02 00`,
    },
  ];
  describe('attributes', () => {
    for (const c of attrCases) {
      goldenTests({
        name: c.name,
        ...(c.ctx !== undefined ? { ctx: c.ctx } : {}),
        message: update(c.attrs, c.nlri ?? emptyNlri(c.ctx?.addPathRx.has('ipv4-unicast')), emptyNlri(c.ctx?.addPathRx.has('ipv4-unicast'))),
        bytes: updateBytes(NONE, c.bytes, c.nlriBytes ?? NONE),
      });
    }
  });

  describe('decode-only behaviour', () => {
    it('sets the Partial bit on an unknown optional transitive attribute', () => {
      const m = decodeMessage(updateBytes(NONE, hex`c0 63 02 abcd`, NONE), ctx2) as UpdateMessage;
      assert.deepStrictEqual(m.attributes.unknown, [{ flags: 0xe0, code: 99, value: hex`abcd` }]);
      assert.equal(toHex(encodeMessage(m, ctx2)), toHex(updateBytes(NONE, hex`e0 63 02 abcd`, NONE)));
    });
    it('drops an unknown optional non-transitive attribute', () => {
      const m = decodeMessage(updateBytes(NONE, hex`80 64 01 00  40 06 00`, NONE), ctx2) as UpdateMessage;
      assert.deepStrictEqual(m.attributes, { atomicAggregate: true });
    });
    it('accepts the extended-length flag on a short attribute and re-encodes without it', () => {
      const m = decodeMessage(updateBytes(NONE, hex`d0 08 0004 ffffff01`, NONE), ctx2) as UpdateMessage;
      assert.deepStrictEqual(m.attributes, { communities: [0xffffff01] });
      assert.equal(toHex(encodeMessage(m, ctx2)), toHex(updateBytes(NONE, hex`c0 08 04 ffffff01`, NONE)));
    });
    it('clears trailing bits of a prefix (RFC 4271 §4.3) and canonicalises IPv6', () => {
      const m = decodeMessage(updateBytes(hex`17 0af4ff # /23 with a stray host bit`, hex`80 0f 0d 0002 01  41 fd00000000000001ff # /65, stray bits`, NONE), ctx2) as UpdateMessage;
      assert.deepStrictEqual(m.withdrawn.prefixes, ['10.244.254.0/23' as Prefix]);
      const u = m.attributes.mpUnreach;
      assert.ok(u !== undefined && u.family === 'ipv6-unicast');
      assert.deepStrictEqual(u.withdrawn.prefixes, ['fd00:0:0:1:8000::/65' as Prefix]);
    });
    it('merges AS4_PATH from a 2-octet speaker (RFC 6793 §4.2.3)', () => {
      // AS_PATH: 65001 AS_TRANS AS_TRANS 65005 (4 ASNs); AS4_PATH: 4200000001 4200000002 65005 (3): keep 1 + append 3
      const m = decodeMessage(
        updateBytes(NONE, hex`40 02 0a 02 04 fde9 5ba0 5ba0 fded   c0 11 0e 02 03 fa56ea01 fa56ea02 0000fded`, NONE),
        ctx2,
      ) as UpdateMessage;
      assert.deepStrictEqual(m.attributes.asPath, [seq(65001, 4200000001, 4200000002, 65005)]);
    });
    it('ignores AS4_PATH when it is longer than AS_PATH', () => {
      const m = decodeMessage(updateBytes(NONE, hex`40 02 04 02 01 fde9   c0 11 0a 02 02 fa56ea01 fa56ea02`, NONE), ctx2) as UpdateMessage;
      assert.deepStrictEqual(m.attributes.asPath, [seq(65001)]);
    });
    it('counts an AS_SET as one ASN and confederation segments as none in the merge', () => {
      const m = decodeMessage(
        updateBytes(NONE, hex`40 02 10  03 01 fc00  02 02 fde9 5ba0  01 02 fdf2 fdf3   c0 11 06 02 01 fa56ea01`, NONE),
        ctx2,
      ) as UpdateMessage;
      // count(AS_PATH) = 2 + 1 = 3, count(AS4_PATH) = 1: keep confed + 65001 AS_TRANS, append 4200000001
      assert.deepStrictEqual(m.attributes.asPath, [{ type: 'confed-sequence', asns: [parseAsn(64512)] }, seq(65001, 23456, 4200000001)]);
    });
    it('ignores AS4_PATH and AS4_AGGREGATOR when AGGREGATOR holds a real ASN', () => {
      const m = decodeMessage(
        updateBytes(NONE, hex`40 02 04 02 01 5ba0  c0 07 06 fde9 0a000001  c0 11 06 02 01 fa56ea01  c0 12 08 fa56ea01 0a000001`, NONE),
        ctx2,
      ) as UpdateMessage;
      assert.deepStrictEqual(m.attributes.asPath, [seq(23456)]);
      assert.deepStrictEqual(m.attributes.aggregator, { asn: 65001, address: '10.0.0.1' });
    });
    it('uses AS4_AGGREGATOR when AGGREGATOR is AS_TRANS', () => {
      const m = decodeMessage(updateBytes(NONE, hex`c0 07 06 5ba0 0a000001  c0 12 08 fa56ea01 0a000001`, NONE), ctx2) as UpdateMessage;
      assert.deepStrictEqual(m.attributes.aggregator, { asn: 4200000001, address: '10.0.0.1' });
    });
    it('drops AS4_PATH received on a 4-octet session (RFC 6793 §4.1)', () => {
      const m = decodeMessage(updateBytes(NONE, hex`40 02 06 02 01 0000fde9  c0 11 06 02 01 fa56ea01`, NONE), ctx4) as UpdateMessage;
      assert.deepStrictEqual(m.attributes, { asPath: [seq(65001)] });
    });
    it('splits AS_PATH segments longer than 255 ASNs on encode', () => {
      const long = Array.from({ length: 300 }, (_, k) => 64512 + k);
      const b = encodeMessage(update({ asPath: [seq(...long)] }), ctx4);
      const m = decodeMessage(b, ctx4) as UpdateMessage;
      assert.deepStrictEqual(m.attributes.asPath?.map((s) => s.asns.length), [255, 45]);
      assert.deepStrictEqual(m.attributes.asPath?.flatMap((s) => s.asns), long);
    });
  });
});
