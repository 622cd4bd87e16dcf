// RFC 7606 error fixtures for UPDATE: each malformed input with the exact
// NOTIFICATION code/subcode/data and the action; session-reset errors are
// thrown, weaker ones are reported on the decoded message.
import assert from 'node:assert/strict';
import { BgpError, decodeMessage, isTreatAsWithdraw, updateRoutes, type ErrorAction, type UpdateMessage } from '../../../bgp/wire/index.ts';
import { ctxWith, hex, NONE, toHex, updateBytes } from './golden.ts';

const ctx2 = ctxWith({});
const ctx4 = ctxWith({ fourOctetAs: true });
const MANDATORY = hex`40 01 01 00  40 02 00  40 03 04 c6120001`; // ORIGIN IGP, empty AS_PATH, NEXT_HOP
const NLRI = hex`18 0af401`;

interface Case {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly ctx?: typeof ctx2;
  readonly subcode: number;
  readonly data: string;
  readonly action: ErrorAction;
}

function expectOutcome(c: Case): void {
  const ctx = c.ctx ?? ctx4;
  if (c.action === 'session-reset') {
    assert.throws(
      () => decodeMessage(c.bytes, ctx),
      (e: unknown) => BgpError.is(e) && e.code === 3 && e.subcode === c.subcode && toHex(e.data) === c.data && e.action === 'session-reset',
    );
    return;
  }
  const m = decodeMessage(c.bytes, ctx) as UpdateMessage;
  const errs = m.errors ?? [];
  assert.ok(errs.length > 0, 'an error is reported');
  const e = errs[0] as BgpError;
  assert.deepStrictEqual([e.code, e.subcode, toHex(e.data), e.action], [3, c.subcode, c.data, c.action]);
  assert.equal(isTreatAsWithdraw(m), c.action === 'treat-as-withdraw');
}

const cases: Case[] = [
  // treat-as-withdraw (RFC 7606 §7)
  { name: 'ORIGIN with an undefined value', bytes: updateBytes(NONE, hex`40 01 01 03  40 02 00 40 03 04 c6120001`, NLRI), subcode: 6, data: '40010103', action: 'treat-as-withdraw' },
  { name: 'ORIGIN of length 2', bytes: updateBytes(NONE, hex`40 01 02 0000  40 02 00 40 03 04 c6120001`, NLRI), subcode: 5, data: '4001020000', action: 'treat-as-withdraw' },
  { name: 'ORIGIN flagged optional (flags conflict)', bytes: updateBytes(NONE, hex`80 01 01 00  40 02 00 40 03 04 c6120001`, NLRI), subcode: 4, data: '80010100', action: 'treat-as-withdraw' },
  { name: 'AS_PATH with an unknown segment type', bytes: updateBytes(NONE, hex`40 01 01 00  40 02 06 05 01 0000fde9  40 03 04 c6120001`, NLRI), subcode: 11, data: '', action: 'treat-as-withdraw' },
  { name: 'AS_PATH with a zero-length segment', bytes: updateBytes(NONE, hex`40 01 01 00  40 02 02 02 00  40 03 04 c6120001`, NLRI), subcode: 11, data: '', action: 'treat-as-withdraw' },
  { name: 'AS_PATH segment overrun', bytes: updateBytes(NONE, hex`40 01 01 00  40 02 06 02 02 0000fde9  40 03 04 c6120001`, NLRI), subcode: 11, data: '', action: 'treat-as-withdraw' },
  { name: 'AS_PATH with one dangling octet', bytes: updateBytes(NONE, hex`40 01 01 00  40 02 07 02 01 0000fde9 02  40 03 04 c6120001`, NLRI), subcode: 11, data: '', action: 'treat-as-withdraw' },
  { name: 'NEXT_HOP of length 5', bytes: updateBytes(NONE, hex`40 01 01 00 40 02 00  40 03 05 c612000100`, NLRI), subcode: 5, data: '400305c612000100', action: 'treat-as-withdraw' },
  {
    name: 'NEXT_HOP of length 5 beside MP_REACH_NLRI only: ignored (RFC 4760 §3), so attribute-discard',
    bytes: updateBytes(NONE, hex`80 0e 0d 0001 01 04 c6120001 00 18 0af401  40 01 01 00 40 02 00  40 03 05 c612000100`, NONE),
    subcode: 5,
    data: '400305c612000100',
    action: 'attribute-discard',
  },
  { name: 'MULTI_EXIT_DISC of length 3', bytes: updateBytes(NONE, hex`${MANDATORY} 80 04 03 000001`, NLRI), subcode: 5, data: '800403000001', action: 'treat-as-withdraw' },
  { name: 'LOCAL_PREF of length 0', bytes: updateBytes(NONE, hex`${MANDATORY} 40 05 00`, NLRI), subcode: 5, data: '400500', action: 'treat-as-withdraw' },
  { name: 'COMMUNITIES of length 3', bytes: updateBytes(NONE, hex`${MANDATORY} c0 08 03 ffffff`, NLRI), subcode: 5, data: 'c00803ffffff', action: 'treat-as-withdraw' },
  { name: 'COMMUNITIES of length 0', bytes: updateBytes(NONE, hex`${MANDATORY} c0 08 00`, NLRI), subcode: 5, data: 'c00800', action: 'treat-as-withdraw' },
  { name: 'ORIGINATOR_ID of length 3', bytes: updateBytes(NONE, hex`${MANDATORY} 80 09 03 0a0000`, NLRI), subcode: 5, data: '8009030a0000', action: 'treat-as-withdraw' },
  { name: 'CLUSTER_LIST of length 5', bytes: updateBytes(NONE, hex`${MANDATORY} 80 0a 05 0a00000300`, NLRI), subcode: 5, data: '800a050a00000300', action: 'treat-as-withdraw' },
  { name: 'EXTENDED COMMUNITIES of length 7', bytes: updateBytes(NONE, hex`${MANDATORY} c0 10 07 00020000000000`, NLRI), subcode: 5, data: 'c0100700020000000000', action: 'treat-as-withdraw' },
  { name: 'LARGE_COMMUNITY of length 11', bytes: updateBytes(NONE, hex`${MANDATORY} c0 20 0b 0000000100000002000000`, NLRI), subcode: 5, data: 'c0200b0000000100000002000000', action: 'treat-as-withdraw' },
  { name: 'missing ORIGIN with NLRI', bytes: updateBytes(NONE, hex`40 02 00 40 03 04 c6120001`, NLRI), subcode: 3, data: '01', action: 'treat-as-withdraw' },
  { name: 'missing AS_PATH with MP_REACH_NLRI', bytes: updateBytes(NONE, hex`80 0e 0d 0001 01 04 c6120001 00 18 0af401  40 01 01 00`, NONE), subcode: 3, data: '02', action: 'treat-as-withdraw' },
  { name: 'missing NEXT_HOP with NLRI', bytes: updateBytes(NONE, hex`40 01 01 00 40 02 00`, NLRI), subcode: 3, data: '03', action: 'treat-as-withdraw' },
  {
    name: 'attribute overrunning the total path attribute length (RFC 7606 §4)',
    bytes: updateBytes(NONE, hex`${MANDATORY} c0 08 08 ffffff01`, NONE),
    subcode: 5,
    data: 'c00808ffffff01',
    action: 'treat-as-withdraw',
  },
  { name: 'fewer octets than an attribute header left (RFC 7606 §4)', bytes: updateBytes(NONE, hex`${MANDATORY} c0 08`, NONE), subcode: 1, data: '', action: 'treat-as-withdraw' },
  // attribute-discard
  { name: 'ATOMIC_AGGREGATE of length 1', bytes: updateBytes(NONE, hex`${MANDATORY} 40 06 01 00`, NLRI), subcode: 5, data: '40060100', action: 'attribute-discard' },
  { name: 'AGGREGATOR of length 7', bytes: updateBytes(NONE, hex`${MANDATORY} c0 07 07 0000fde90a0000`, NLRI), subcode: 5, data: 'c007070000fde90a0000', action: 'attribute-discard' },
  { name: 'AGGREGATOR of the 2-octet size on a 4-octet session', bytes: updateBytes(NONE, hex`${MANDATORY} c0 07 06 fde90a000001`, NLRI), subcode: 5, data: 'c00706fde90a000001', action: 'attribute-discard' },
  {
    name: 'AS4_PATH with a confederation segment (RFC 6793 §6)',
    ctx: ctx2,
    bytes: updateBytes(NONE, hex`40 01 01 00 40 02 04 02 01 5ba0 40 03 04 c6120001  c0 11 06 03 01 fa56ea01`, NLRI),
    subcode: 9,
    data: 'c011060301fa56ea01',
    action: 'attribute-discard',
  },
  { name: 'AS4_AGGREGATOR of length 6', ctx: ctx2, bytes: updateBytes(NONE, hex`40 01 01 00 40 02 00 40 03 04 c6120001  c0 12 06 fde90a000001`, NLRI), subcode: 5, data: 'c01206fde90a000001', action: 'attribute-discard' },
  { name: 'duplicate ORIGIN: the first is kept (RFC 7606 §3.g)', bytes: updateBytes(NONE, hex`${MANDATORY} 40 01 01 02`, NLRI), subcode: 1, data: '', action: 'attribute-discard' },
  // session-reset
  { name: 'withdrawn routes length overruns the message', bytes: hex`${'ff'.repeat(16)} 0017 02 0001 0000`, subcode: 1, data: '', action: 'session-reset' },
  { name: 'total path attribute length overruns the message', bytes: hex`${'ff'.repeat(16)} 0017 02 0000 0001`, subcode: 1, data: '', action: 'session-reset' },
  { name: 'NLRI prefix length 33', bytes: updateBytes(NONE, MANDATORY, hex`21 0af40100 00`), subcode: 10, data: '', action: 'session-reset' },
  { name: 'NLRI prefix overruns the message', bytes: updateBytes(NONE, MANDATORY, hex`18 0af4`), subcode: 10, data: '', action: 'session-reset' },
  { name: 'withdrawn prefix length 40', bytes: updateBytes(hex`28 0102030405`, NONE, NONE), subcode: 10, data: '', action: 'session-reset' },
  { name: 'unrecognised well-known attribute', bytes: updateBytes(NONE, hex`${MANDATORY} 40 63 01 00`, NLRI), subcode: 2, data: '40630100', action: 'session-reset' },
  { name: 'duplicate MP_REACH_NLRI (RFC 7606 §3.g)', bytes: updateBytes(NONE, hex`80 0e 0d 0001 01 04 c6120001 00 18 0af401  80 0e 0d 0001 01 04 c6120001 00 18 0af402`, NONE), subcode: 1, data: '', action: 'session-reset' },
  { name: 'duplicate MP_UNREACH_NLRI', bytes: updateBytes(NONE, hex`80 0f 03 0002 01  80 0f 03 0002 01`, NONE), subcode: 1, data: '', action: 'session-reset' },
  { name: 'MP_REACH_NLRI with next-hop length 5', bytes: updateBytes(NONE, hex`80 0e 0a 0001 01 05 c612000100 00`, NONE), subcode: 9, data: '800e0a00010105c61200010000', action: 'session-reset' },
  { name: 'MP_REACH_NLRI IPv6 with next-hop length 4', bytes: updateBytes(NONE, hex`80 0e 09 0002 01 04 c6120001 00`, NONE), subcode: 9, data: '800e0900020104c612000100', action: 'session-reset' },
  { name: 'MP_REACH_NLRI shorter than 5 octets', bytes: updateBytes(NONE, hex`80 0e 03 0002 01`, NONE), subcode: 9, data: '800e03000201', action: 'session-reset' },
  { name: 'MP_REACH_NLRI next hop overruns', bytes: updateBytes(NONE, hex`80 0e 06 0002 01 10 0000`, NONE), subcode: 9, data: '800e06000201100000', action: 'session-reset' },
  { name: 'MP_REACH_NLRI with an IPv6 prefix length 129', bytes: updateBytes(NONE, hex`80 0e 16 0002 01 10 fd000000000000000000000000000001 00 81`, NONE), subcode: 10, data: '', action: 'session-reset' },
  { name: 'MP_UNREACH_NLRI shorter than 3 octets', bytes: updateBytes(NONE, hex`80 0f 02 0002`, NONE), subcode: 9, data: '800f020002', action: 'session-reset' },
  { name: 'MP_REACH_NLRI flagged transitive (flags conflict resets for MP)', bytes: updateBytes(NONE, hex`c0 0f 03 0002 01`, NONE), subcode: 4, data: 'c00f03000201', action: 'session-reset' },
  { name: 'ADD-PATH NLRI truncated inside the path identifier', ctx: ctxWith({ addPathRx: new Set(['ipv4-unicast']) }), bytes: updateBytes(hex`000000`, NONE, NONE), subcode: 10, data: '', action: 'session-reset' },
];

describe('bgp/wire UPDATE errors (RFC 7606)', () => {
  for (const c of cases) it(c.name, () => expectOutcome(c));

  it('names the attribute at fault', () => {
    const m = decodeMessage(updateBytes(NONE, hex`${MANDATORY} c0 08 03 ffffff`, NLRI), ctx4) as UpdateMessage;
    assert.deepStrictEqual(m.errors?.map((e) => e.attributeCode), [8]);
  });

  it('keeps the first of duplicate attributes', () => {
    const m = decodeMessage(updateBytes(NONE, hex`${MANDATORY} 40 01 01 02`, NLRI), ctx4) as UpdateMessage;
    assert.equal(m.attributes.origin, 0);
    assert.equal(isTreatAsWithdraw(m), false);
  });

  it('discards a malformed AS4_PATH and keeps AS_PATH as received', () => {
    const m = decodeMessage(updateBytes(NONE, hex`40 01 01 00 40 02 04 02 01 5ba0 40 03 04 c6120001  c0 11 06 03 01 fa56ea01`, NLRI), ctx2) as UpdateMessage;
    assert.deepStrictEqual(m.attributes.asPath, [{ type: 'sequence', asns: [23456] }]);
  });

  it('keeps going past discardable errors and reports the strongest action', () => {
    // ATOMIC_AGGREGATE malformed (discard), then COMMUNITIES malformed (withdraw), then a valid MED
    const m = decodeMessage(updateBytes(NONE, hex`${MANDATORY} 40 06 01 00  c0 08 03 000000  80 04 04 00000007`, NLRI), ctx4) as UpdateMessage;
    assert.deepStrictEqual(m.errors?.map((e) => e.action), ['attribute-discard', 'treat-as-withdraw']);
    assert.equal(m.attributes.med, 7);
    assert.equal(m.attributes.atomicAggregate, undefined);
    assert.equal(isTreatAsWithdraw(m), true);
    // treat-as-withdraw turns the announcement into a withdrawal
    const routes = updateRoutes(m);
    assert.equal(routes.announced.size, 0);
    assert.deepStrictEqual(routes.withdrawn.get('ipv4-unicast')?.prefixes, ['10.244.1.0/24']);
  });

  it('a session-reset error later in the list wins over earlier discardable ones', () => {
    const b = updateBytes(NONE, hex`${MANDATORY} 40 06 01 00  c0 08 03 000000  80 0e 03 0002 01`, NONE);
    assert.throws(() => decodeMessage(b, ctx4), (e: unknown) => BgpError.is(e) && e.action === 'session-reset' && e.subcode === 9);
  });

  it('needs no mandatory attributes for a withdrawal-only UPDATE', () => {
    const m = decodeMessage(updateBytes(NLRI, NONE, NONE), ctx4) as UpdateMessage;
    assert.equal(m.errors, undefined);
  });
});
