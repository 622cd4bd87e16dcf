// Session-dependent UPDATE checks (RFC 7606 §7.2, §7.3, §7.5, §7.9, §7.10).
import assert from 'node:assert/strict';
import { parseAsn, parseIpv4, parseIpv6, parsePrefix, parseRouterId } from '../../../bgp/types.ts';
import { emptyNlri, isMartianNextHop, isTreatAsWithdraw, validateUpdate, type PathAttributes, type UpdateMessage } from '../../../bgp/wire/index.ts';

const peer = parseAsn(65001);
const ebgp = { ebgp: true, peerAsn: peer, enforceFirstAs: true };
const ibgp = { ebgp: false, peerAsn: parseAsn(65000), enforceFirstAs: true };
const base: PathAttributes = { origin: 0, asPath: [{ type: 'sequence', asns: [peer, parseAsn(65002)] }], nextHop: parseIpv4('198.18.0.1') };
const upd = (attributes: PathAttributes): UpdateMessage => ({
  type: 'update',
  withdrawn: emptyNlri(),
  attributes,
  nlri: { prefixes: [parsePrefix('10.244.1.0/24')], pathIds: null },
});

describe('bgp/wire validateUpdate', () => {
  it('passes a clean eBGP UPDATE through unchanged (same object)', () => {
    const m = upd(base);
    assert.equal(validateUpdate(m, ebgp), m);
  });

  it('discards LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST from an external peer', () => {
    const m = upd({ ...base, localPref: 500, originatorId: parseRouterId('10.0.0.9'), clusterList: [parseRouterId('10.0.0.8')] });
    const v = validateUpdate(m, ebgp);
    assert.deepStrictEqual(v.attributes, base);
    assert.deepStrictEqual(v.errors?.map((e) => [e.attributeCode, e.action]), [
      [5, 'attribute-discard'],
      [9, 'attribute-discard'],
      [10, 'attribute-discard'],
    ]);
    assert.equal(isTreatAsWithdraw(v), false);
    assert.equal(m.attributes.localPref, 500, 'input not mutated');
    // the same attributes are fine from an internal peer
    assert.equal(validateUpdate(m, ibgp), m);
  });

  it('withdraws a path whose first AS is not the eBGP peer (unless disabled)', () => {
    const m = upd({ ...base, asPath: [{ type: 'sequence', asns: [parseAsn(65099)] }] });
    const v = validateUpdate(m, ebgp);
    assert.deepStrictEqual(v.errors?.map((e) => [e.code, e.subcode, e.action]), [[3, 11, 'treat-as-withdraw']]);
    assert.equal(validateUpdate(m, { ...ebgp, enforceFirstAs: false }), m);
    assert.equal(isTreatAsWithdraw(validateUpdate(upd({ ...base, asPath: [] }), ebgp)), true);
  });

  it('withdraws a path with confederation segments from an external peer', () => {
    const m = upd({ ...base, asPath: [...(base.asPath ?? []), { type: 'confed-sequence', asns: [parseAsn(64512)] }] });
    assert.equal(isTreatAsWithdraw(validateUpdate(m, ebgp)), true);
    assert.equal(validateUpdate(m, ibgp), m);
  });

  it('withdraws routes with a martian next hop', () => {
    for (const nh of ['0.0.0.0', '255.255.255.255', '224.0.0.5', '127.0.0.1']) {
      const v = validateUpdate(upd({ ...base, nextHop: parseIpv4(nh) }), ebgp);
      assert.deepStrictEqual(v.errors?.map((e) => [e.subcode, e.action]), [[8, 'treat-as-withdraw']], nh);
    }
    const mp = validateUpdate(
      { ...upd({ ...base, mpReach: { family: 'ipv6-unicast', nextHop: parseIpv6('::'), linkLocalNextHop: null, nlri: { prefixes: [parsePrefix('fd00::/64')], pathIds: null } } }) },
      ibgp,
    );
    assert.equal(isTreatAsWithdraw(mp), true);
    assert.deepStrictEqual(['fd00::1', 'fe80::1', '::1', 'ff02::1'].map((a) => isMartianNextHop(parseIpv6(a))), [false, false, true, true]);
  });
});
