// OPEN semantics (RFC 4271 §6.2): version, peer AS with the 4-octet AS
// capability and AS_TRANS (RFC 6793), AS 0 (RFC 7607), hold time
// negotiation and rejection of 1 and 2, identifier checks (RFC 6286).
import assert from 'node:assert/strict';
import { checkOpen, negotiateHoldTime } from '../../../bgp/fsm/open-check.ts';
import type { Asn, RouterId } from '../../../bgp/types.ts';
import { cfg, peerOpen } from './fixtures.ts';

function rejected(r: ReturnType<typeof checkOpen>): { code: number; subcode: number; data: number[]; reason: string } {
  assert.equal(r.ok, false);
  if (r.ok) throw new Error('unreachable');
  return { code: r.notification.code, subcode: r.notification.subcode, data: [...r.notification.data], reason: r.reason };
}

describe('bgp/fsm hold time negotiation (RFC 4271 §4.2)', () => {
  const table: [number, number, number | undefined, number, number][] = [
    // local, peer, keepalive cfg -> hold, keepalive ms
    [90, 30, undefined, 30, 10_000],
    [30, 90, undefined, 30, 10_000],
    [90, 0, undefined, 0, 0],
    [0, 90, undefined, 0, 0],
    [3, 3, undefined, 3, 1_000],
    [90, 90, 10, 90, 10_000],
    [9, 9, 10, 9, 3_000],
    [10, 65535, undefined, 10, 3_333],
  ];
  for (const [local, peer, ka, hold, kaMs] of table) {
    it(`local ${local}s, peer ${peer}s${ka !== undefined ? `, keepalive ${ka}s` : ''} -> hold ${hold}s, keepalive ${kaMs} ms`, () => {
      assert.deepEqual(negotiateHoldTime(local, peer, ka), { holdTimeS: hold, keepaliveMs: kaMs });
    });
  }

  it('checkOpen returns the negotiated values', () => {
    const r = checkOpen(peerOpen({ holdTime: 9 }), cfg);
    assert.ok(r.ok);
    assert.deepEqual(r.negotiated, { holdTimeS: 9, keepaliveMs: 3000, peerAsn: 65002, peerId: '10.0.0.2', as4: true, ibgp: false });
  });

  for (const h of [1, 2]) {
    it(`hold time ${h} is rejected with 2/6 Unacceptable Hold Time`, () => {
      const r = rejected(checkOpen(peerOpen({ holdTime: h }), cfg));
      assert.deepEqual([r.code, r.subcode], [2, 6]);
    });
  }

  it('hold times below the configured minimum are rejected, 0 is always accepted', () => {
    assert.deepEqual(rejected(checkOpen(peerOpen({ holdTime: 5 }), { ...cfg, minHoldTimeS: 9 })).subcode, 6);
    assert.equal(checkOpen(peerOpen({ holdTime: 9 }), { ...cfg, minHoldTimeS: 9 }).ok, true);
    assert.equal(checkOpen(peerOpen({ holdTime: 0 }), { ...cfg, minHoldTimeS: 9 }).ok, true);
  });
});

describe('bgp/fsm OPEN checks (RFC 4271 §6.2, 6793, 7607, 6286)', () => {
  it('version other than 4 -> 2/1 with data = largest supported version (0x0004)', () => {
    const r = rejected(checkOpen(peerOpen({ version: 3 }), cfg));
    assert.deepEqual([r.code, r.subcode, r.data], [2, 1, [0, 4]]);
  });

  it('peer AS from the 4-octet capability must match the configuration', () => {
    assert.equal(checkOpen(peerOpen({ as4: 65002 }), cfg).ok, true);
    const r = rejected(checkOpen(peerOpen({ as4: 65003 }), cfg));
    assert.deepEqual([r.code, r.subcode], [2, 2]);
    assert.match(r.reason, /AS 65003, expected AS 65002/);
  });

  it('a 4-octet peer AS arrives as AS_TRANS + capability', () => {
    const c = { ...cfg, peerAsn: 4_200_000_001 as Asn };
    const open = peerOpen({ as4: 4_200_000_001 });
    assert.equal(open.myAs, 23456);
    const r = checkOpen(open, c);
    assert.ok(r.ok);
    assert.equal(r.negotiated.peerAsn, 4_200_000_001);
    assert.equal(r.negotiated.as4, true);
  });

  it('AS_TRANS without the capability cannot be a 4-octet peer -> 2/2', () => {
    const c = { ...cfg, peerAsn: 4_200_000_001 as Asn };
    const r = rejected(checkOpen(peerOpen({ as4: null, myAs: 23456 }), c));
    assert.deepEqual([r.code, r.subcode], [2, 2]);
    assert.match(r.reason, /AS_TRANS without the 4-octet AS capability/);
  });

  it('a 2-octet peer without the capability is accepted, as4 false', () => {
    const r = checkOpen(peerOpen({ as4: null, myAs: 65002 }), cfg);
    assert.ok(r.ok);
    assert.equal(r.negotiated.as4, false);
  });

  it('AS 0 in the capability or in My AS -> 2/2 (RFC 7607)', () => {
    assert.equal(rejected(checkOpen(peerOpen({ as4: 0, myAs: 0 }), cfg)).subcode, 2);
    assert.equal(rejected(checkOpen(peerOpen({ as4: 65002, myAs: 0 }), cfg)).subcode, 2);
  });

  it('identifier 0.0.0.0 -> 2/3 Bad BGP Identifier', () => {
    const r = rejected(checkOpen(peerOpen({ routerId: '0.0.0.0' as RouterId }), cfg));
    assert.deepEqual([r.code, r.subcode], [2, 3]);
  });

  it('iBGP peer with our own identifier -> 2/3; eBGP may share it (RFC 6286 §2.2)', () => {
    const ibgp = { ...cfg, peerAsn: cfg.localAsn };
    const r = rejected(checkOpen(peerOpen({ as4: 65001, routerId: cfg.localId }), ibgp));
    assert.deepEqual([r.code, r.subcode], [2, 3]);
    const e = checkOpen(peerOpen({ routerId: cfg.localId }), cfg);
    assert.ok(e.ok);
    assert.equal(e.negotiated.ibgp, false);
    const i = checkOpen(peerOpen({ as4: 65001 }), ibgp);
    assert.ok(i.ok);
    assert.equal(i.negotiated.ibgp, true);
  });
});
