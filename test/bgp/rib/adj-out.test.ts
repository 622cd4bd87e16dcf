// Adj-RIB-Out: every export rule checked on the bytes we would send (pulled,
// then decoded with the wire codec): AS_PATH prepend and NEXT_HOP rewrite
// toward eBGP, LOCAL_PREF only toward iBGP, MED not carried between ASes,
// iBGP split horizon and route reflection, NO_EXPORT / NO_ADVERTISE /
// NO_EXPORT_SUBCONFED, split horizon and the sender-side loop check, the
// export policy hook, IPv6 next hops, and withdrawals when the best path
// stops being exportable.
import assert from 'node:assert/strict';
import type { Rib } from '../../../bgp/rib/index.ts';
import { parseRouterId as rid } from '../../../bgp/types.ts';
import { WellKnownCommunity, type PathAttributes, type UpdateMessage } from '../../../bgp/wire/index.ts';
import { addPeer, announce, announcedOf, drain, ebgpAttrs, ip, LOCAL_AS, newRib, pfx, seq, withdrawnOf, type TestAttrs } from './helpers.ts';

const IB = LOCAL_AS as number;
const SRC_E = '198.18.1.1'; // eBGP source, AS 65001
const SRC_I = '198.18.1.2'; // iBGP source
const SRC_C = '198.18.1.3'; // route-reflector client source
const TO_E = '198.18.2.1'; // eBGP target, AS 65002
const TO_I = '198.18.2.2'; // iBGP target
const TO_C = '198.18.2.3'; // RR client target
const P = '10.244.5.0/24';

function topology(config: Parameters<typeof newRib>[0] = {}): Rib {
  const rib = newRib(config);
  addPeer(rib, { id: SRC_E, asn: 65001 });
  addPeer(rib, { id: SRC_I, asn: IB, routerId: '2.2.2.2' });
  addPeer(rib, { id: SRC_C, asn: IB, role: 'rr-client', routerId: '3.3.3.3' });
  addPeer(rib, { id: TO_E, asn: 65002 });
  addPeer(rib, { id: TO_I, asn: IB });
  addPeer(rib, { id: TO_C, asn: IB, role: 'rr-client' });
  return rib;
}

/** The single UPDATE a target got for P, or null when it got none. */
function sent(rib: Rib, target: string): UpdateMessage | null {
  const got = drain(rib, target).updates;
  assert.ok(got.length <= 1, `${target}: at most one UPDATE, got ${got.length}`);
  return got[0] ?? null;
}

function attrsOf(u: UpdateMessage | null): PathAttributes | null {
  return u === null ? null : u.attributes;
}

const fromEbgp: TestAttrs = ebgpAttrs(65001, { med: 50, localPref: 400, communities: [0xfde90001], nextHop: '198.18.1.1' });
const fromIbgp: TestAttrs = { origin: 0, asPath: [seq(65010)], med: 30, localPref: 200, nextHop: '198.18.9.9' };

describe('bgp/rib Adj-RIB-Out export rules', () => {
  it('eBGP -> eBGP: our AS prepended, NEXT_HOP ours, no LOCAL_PREF, MED not passed on', () => {
    const rib = topology();
    rib.receiveUpdate(SRC_E, announce([P], fromEbgp));
    assert.deepEqual(attrsOf(sent(rib, TO_E)), { origin: 0, asPath: [seq(IB, 65001)], nextHop: '198.18.0.1', communities: [0xfde90001] });
  });

  it('eBGP -> eBGP keeps MED when stripEbgpMed is off', () => {
    const rib = newRib();
    addPeer(rib, { id: SRC_E, asn: 65001 });
    addPeer(rib, { id: TO_E, asn: 65002, config: { stripEbgpMed: false } });
    rib.receiveUpdate(SRC_E, announce([P], fromEbgp));
    assert.equal(attrsOf(sent(rib, TO_E))?.med, 50);
  });

  it('eBGP -> iBGP: AS_PATH and NEXT_HOP kept, LOCAL_PREF 100 added (the eBGP one was ignored), MED kept', () => {
    const rib = topology();
    rib.receiveUpdate(SRC_E, announce([P], fromEbgp));
    const want = { origin: 0, asPath: [seq(65001)], nextHop: '198.18.1.1', med: 50, localPref: 100, communities: [0xfde90001] };
    assert.deepEqual(attrsOf(sent(rib, TO_I)), want);
    assert.deepEqual(attrsOf(sent(rib, TO_C)), want);
  });

  it('next-hop-self toward an iBGP peer', () => {
    const rib = newRib();
    addPeer(rib, { id: SRC_E, asn: 65001 });
    addPeer(rib, { id: TO_I, asn: IB, config: { nextHopSelf: true } });
    rib.receiveUpdate(SRC_E, announce([P], fromEbgp));
    assert.equal(attrsOf(sent(rib, TO_I))?.nextHop, '198.18.0.1');
  });

  it('iBGP -> iBGP: not re-advertised (RFC 4271 §9.2); iBGP -> RR client: reflected with ORIGINATOR_ID and CLUSTER_LIST', () => {
    const rib = topology();
    rib.receiveUpdate(SRC_I, announce([P], fromIbgp));
    assert.equal(sent(rib, TO_I), null);
    assert.deepEqual(attrsOf(sent(rib, TO_C)), { ...fromIbgp, originatorId: '2.2.2.2', clusterList: ['198.18.0.1'] });
  });

  it('RR client -> iBGP non-client and other clients: reflected (RFC 4456 §6), existing ORIGINATOR_ID kept, cluster id prepended', () => {
    const rib = topology({ clusterId: rid('10.0.0.99') });
    const a: TestAttrs = { ...fromIbgp, originatorId: rid('7.7.7.7'), clusterList: [rid('10.0.0.5')] };
    rib.receiveUpdate(SRC_C, announce([P], a));
    const want = { ...fromIbgp, originatorId: '7.7.7.7', clusterList: ['10.0.0.99', '10.0.0.5'] };
    assert.deepEqual(attrsOf(sent(rib, TO_I)), want);
    assert.deepEqual(attrsOf(sent(rib, TO_C)), want);
  });

  it('iBGP -> eBGP: prepend, next hop ours, LOCAL_PREF and MED dropped only where required', () => {
    const rib = topology();
    rib.receiveUpdate(SRC_I, announce([P], { ...fromIbgp, originatorId: rid('7.7.7.7'), clusterList: [rid('10.0.0.5')] }));
    // MED learned over iBGP is ours to send (RFC 4271 §5.1.4 forbids only passing one AS's MED to another)
    assert.deepEqual(attrsOf(sent(rib, TO_E)), { origin: 0, asPath: [seq(IB, 65010)], nextHop: '198.18.0.1', med: 30 });
  });

  it('locally originated: AS_PATH [ours] + next hop ours to eBGP; empty AS_PATH, LOCAL_PREF 100, next hop ours to iBGP', () => {
    const rib = topology();
    rib.originate({ prefix: pfx(P), attributes: { med: 5 } });
    assert.deepEqual(attrsOf(sent(rib, TO_E)), { origin: 0, asPath: [seq(IB)], nextHop: '198.18.0.1', med: 5 });
    assert.deepEqual(attrsOf(sent(rib, TO_I)), { origin: 0, asPath: [], nextHop: '198.18.0.1', med: 5, localPref: 100 });
    assert.equal(attrsOf(sent(rib, SRC_E))?.nextHop, '198.18.0.1');
  });

  it('a local route with an explicit next hop keeps it toward iBGP', () => {
    const rib = topology();
    rib.originate({ prefix: pfx(P), nextHop: ip('198.18.0.77') });
    assert.equal(attrsOf(sent(rib, TO_I))?.nextHop, '198.18.0.77');
    assert.equal(attrsOf(sent(rib, TO_E))?.nextHop, '198.18.0.1');
  });

  const community = (c: number, to: Record<string, boolean>) => () => {
    const rib = topology();
    rib.receiveUpdate(SRC_E, announce([P], ebgpAttrs(65001, { communities: [0xfde90001, c] })));
    for (const [target, expected] of Object.entries(to)) assert.equal(sent(rib, target) !== null, expected, target);
  };
  it('NO_EXPORT: to iBGP peers, not to eBGP peers (RFC 1997)', community(WellKnownCommunity.noExport, { [TO_E]: false, [TO_I]: true, [TO_C]: true }));
  it('NO_EXPORT_SUBCONFED: like NO_EXPORT without a confederation', community(WellKnownCommunity.noExportSubconfed, { [TO_E]: false, [TO_I]: true }));
  it('NO_ADVERTISE: to no peer at all', community(WellKnownCommunity.noAdvertise, { [TO_E]: false, [TO_I]: false, [TO_C]: false }));

  it('split horizon: never back to the eBGP peer it came from', () => {
    const rib = topology();
    rib.receiveUpdate(SRC_E, announce([P], fromEbgp));
    assert.equal(sent(rib, SRC_E), null);
    assert.notEqual(sent(rib, TO_E), null);
  });

  it('sender-side loop check: not to an eBGP peer whose AS is in the path, unless turned off', () => {
    for (const check of [true, false]) {
      const rib = newRib();
      addPeer(rib, { id: SRC_E, asn: 65001 });
      addPeer(rib, { id: TO_E, asn: 65002, config: { senderSideLoopCheck: check } });
      rib.receiveUpdate(SRC_E, announce([P], ebgpAttrs(65001, { asPath: [seq(65001, 65002, 65003)] })));
      const u = sent(rib, TO_E);
      assert.equal(u === null, check);
      if (u !== null) assert.deepEqual(u.attributes.asPath, [seq(IB, 65001, 65002, 65003)]);
    }
  });

  it('a best path that becomes unexportable is withdrawn; a better exportable one is announced', () => {
    const rib = topology();
    rib.receiveUpdate(SRC_E, announce([P], ebgpAttrs(65001, { asPath: [seq(65001, 65009)] })));
    assert.notEqual(sent(rib, TO_I), null);
    // a better path from an iBGP peer: iBGP-learned, so not for the iBGP target any more
    rib.receiveUpdate(SRC_I, announce([P], { ...fromIbgp, localPref: 500 }));
    const u = drain(rib, TO_I).updates;
    assert.deepEqual(withdrawnOf(u), [P]);
    assert.deepEqual(announcedOf(u), []);
    // the eBGP target gets the new best, prepended
    assert.deepEqual(attrsOf(sent(rib, TO_E))?.asPath, [seq(IB, 65010)]);
    // the iBGP source itself gets nothing new (its own route), and the old best did reach it
    assert.equal(rib.counters(SRC_I).advertised, 0);
  });

  it('export policy hook: can rewrite per prefix and suppress', () => {
    const rib = topology({
      exportPolicy: (prefix, attrs, target) => (target === TO_I ? null : prefix === P ? { ...attrs, communities: [0xfde9ffff] } : attrs),
    });
    rib.receiveUpdate(SRC_E, announce([P, '10.244.6.0/24'], fromEbgp));
    assert.deepEqual(drain(rib, TO_I).updates, []);
    const u = drain(rib, TO_E).updates;
    assert.equal(u.length, 2);
    assert.deepEqual(u.map((x) => [announcedOf([x]), x.attributes.communities]).sort(), [
      [['10.244.5.0/24'], [0xfde9ffff]],
      [['10.244.6.0/24'], [0xfde90001]],
    ]);
  });

  it('IPv6: MP_REACH with our IPv6 next hop; nothing toward a peer without an IPv6 address of ours', () => {
    const rib = newRib();
    addPeer(rib, { id: 'fd00::2', asn: 65001, routerId: '4.4.4.2' });
    addPeer(rib, { id: 'fd00::3', asn: 65002, routerId: '4.4.4.3' });
    addPeer(rib, { id: TO_E, asn: 65003 });
    rib.receiveUpdate('fd00::2', announce(['fd00:44::/64'], ebgpAttrs(65001, { nextHop: 'fd00::2' })));
    const u = sent(rib, 'fd00::3');
    const r = u?.attributes.mpReach;
    assert.ok(r !== undefined && r.family === 'ipv6-unicast');
    assert.equal(r.nextHop, 'fd00::1');
    assert.deepEqual(r.nlri.prefixes, ['fd00:44::/64']);
    assert.deepEqual(u?.attributes.asPath, [seq(IB, 65001)]);
    assert.equal(sent(rib, TO_E), null);
  });

  it('configured localNextHop6 lets an IPv4 session carry IPv6 routes', () => {
    const rib = newRib();
    addPeer(rib, { id: 'fd00::2', asn: 65001, routerId: '4.4.4.2' });
    addPeer(rib, { id: TO_E, asn: 65003, config: { localNextHop6: ip('fd00::99') } });
    rib.receiveUpdate('fd00::2', announce(['fd00:44::/64'], ebgpAttrs(65001, { nextHop: 'fd00::2' })));
    const r = sent(rib, TO_E)?.attributes.mpReach;
    assert.equal(r !== undefined && r.family !== null ? r.nextHop : null, 'fd00::99');
  });

  it('only negotiated families are sent', () => {
    const rib = newRib();
    addPeer(rib, { id: SRC_E, asn: 65001 });
    addPeer(rib, { id: TO_E, asn: 65002, families: ['ipv6-unicast'], config: { localNextHop6: ip('fd00::1') } });
    rib.receiveUpdate(SRC_E, announce([P], fromEbgp));
    assert.equal(sent(rib, TO_E), null);
  });
});
