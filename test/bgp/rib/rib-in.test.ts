// Receiving side of the RIB: AS_PATH loop detection, RFC 4456 reflection
// loop checks, next-hop and first-AS sanity, RFC 7606 treat-as-withdraw,
// withdrawals (of the last path, of one of several), peer down removing
// every path with events, best-path events, counters, Adj-RIB-In views,
// soft reconfiguration with an import policy, and local origination.
import assert from 'node:assert/strict';
import { BgpError } from '../../../bgp/wire/index.ts';
import { addPeer, announce, ebgpAttrs, LOCAL_AS, newRib, pfx, recordEvents, rid, ROUTER_ID, seq, withdraw, type TestAttrs } from './helpers.ts';

const A = '198.18.1.1';
const B = '198.18.1.2';
const IB = LOCAL_AS as number;

describe('bgp/rib received-side checks', () => {
  const cases: readonly { name: string; peerAs: number; attrs: TestAttrs; reason: string }[] = [
    { name: 'our AS in the AS_PATH (loop, RFC 4271 §9.1.2)', peerAs: 65001, attrs: ebgpAttrs(65001, { asPath: [seq(65001, IB, 65009)] }), reason: 'as-loop' },
    { name: 'our AS in the AS_PATH from iBGP', peerAs: IB, attrs: { origin: 0, asPath: [seq(65001, IB)] }, reason: 'as-loop' },
    { name: 'ORIGINATOR_ID is our router id (RFC 4456 §8)', peerAs: IB, attrs: { origin: 0, asPath: [], originatorId: ROUTER_ID }, reason: 'originator-id' },
    { name: 'our cluster id in CLUSTER_LIST (RFC 4456 §8)', peerAs: IB, attrs: { origin: 0, asPath: [], clusterList: [rid('7.7.7.7'), ROUTER_ID] }, reason: 'cluster-loop' },
    { name: 'NEXT_HOP is our own address (RFC 4271 §6.3)', peerAs: 65001, attrs: ebgpAttrs(65001, { nextHop: '198.18.0.1' }), reason: 'next-hop-self' },
    { name: 'first AS is not the eBGP peer AS (RFC 4271 §6.3)', peerAs: 65001, attrs: ebgpAttrs(65001, { asPath: [seq(65002, 65001)] }), reason: 'first-as' },
    { name: 'empty AS_PATH from an eBGP peer', peerAs: 65001, attrs: { origin: 0, asPath: [] }, reason: 'first-as' },
  ];
  for (const c of cases) {
    it(`${c.name}: not eligible, and treated as a withdraw of an earlier route`, () => {
      const rib = newRib();
      addPeer(rib, { id: A, asn: c.peerAs });
      const events = recordEvents(rib);
      // an earlier good route for the prefix from the same peer
      const good: TestAttrs = c.peerAs === IB ? { origin: 0, asPath: [], localPref: 100 } : ebgpAttrs(c.peerAs);
      rib.receiveUpdate(A, announce(['10.244.1.0/24'], good));
      assert.equal(rib.size('ipv4-unicast'), 1);
      const r = rib.receiveUpdate(A, announce(['10.244.1.0/24', '10.244.2.0/24'], c.attrs));
      assert.equal(r.rejectedBy, c.reason);
      assert.equal(rib.size('ipv4-unicast'), 0);
      assert.equal(rib.lookup(pfx('10.244.2.0/24')), null);
      assert.deepEqual(events.map((e) => [e.prefix, e.kind]), [
        ['10.244.1.0/24', 'added'],
        ['10.244.1.0/24', 'withdrawn'],
      ]);
      const n = rib.counters(A);
      assert.equal(n.received, 3);
      assert.equal(n.rejected, 2);
      assert.equal(n.accepted, 0);
    });
  }

  it('first-AS check can be turned off per peer (route servers)', () => {
    const rib = newRib();
    addPeer(rib, { id: A, asn: 65001, config: { enforceFirstAs: false } });
    assert.equal(rib.receiveUpdate(A, announce(['10.244.1.0/24'], ebgpAttrs(65001, { asPath: [seq(65002)] }))).rejectedBy, null);
    assert.equal(rib.size('ipv4-unicast'), 1);
  });

  it('RFC 7606 treat-as-withdraw: announced routes are removed, not installed', () => {
    const rib = newRib();
    addPeer(rib, { id: A, asn: 65001 });
    rib.receiveUpdate(A, announce(['10.244.1.0/24'], ebgpAttrs(65001)));
    const bad = { ...announce(['10.244.1.0/24', '10.244.3.0/24'], ebgpAttrs(65001, { med: 7 })), errors: [new BgpError(3, 5, 'bad MED length', new Uint8Array(0), 'treat-as-withdraw')] };
    const r = rib.receiveUpdate(A, bad);
    assert.equal(r.rejectedBy, 'rfc7606');
    assert.equal(r.withdrawn, 2);
    assert.equal(rib.size('ipv4-unicast'), 0);
  });

  it('End-of-RIB is reported and changes nothing', () => {
    const rib = newRib();
    addPeer(rib, { id: A, asn: 65001 });
    assert.equal(rib.receiveUpdate(A, withdraw([])).endOfRib, 'ipv4-unicast');
    assert.equal(rib.size('ipv4-unicast'), 0);
  });
});

describe('bgp/rib withdrawals, peer down and events', () => {
  it('withdraw of the last path removes the prefix with a withdrawn event', () => {
    const rib = newRib();
    addPeer(rib, { id: A, asn: 65001 });
    const events = recordEvents(rib);
    rib.receiveUpdate(A, announce(['fd00:1::/64'], ebgpAttrs(65001, { nextHop: 'fd00::2' })));
    rib.receiveUpdate(A, announce(['10.244.1.0/24'], ebgpAttrs(65001)));
    rib.receiveUpdate(A, withdraw(['10.244.1.0/24']));
    rib.receiveUpdate(A, withdraw(['fd00:1::/64']));
    assert.deepEqual(
      events.map((e) => [e.family, e.prefix, e.kind, e.nextHops]),
      [
        ['ipv6-unicast', 'fd00:1::/64', 'added', ['fd00::2']],
        ['ipv4-unicast', '10.244.1.0/24', 'added', ['198.18.0.2']],
        ['ipv4-unicast', '10.244.1.0/24', 'withdrawn', []],
        ['ipv6-unicast', 'fd00:1::/64', 'withdrawn', []],
      ],
    );
    assert.equal(rib.size('ipv4-unicast') + rib.size('ipv6-unicast'), 0);
    const c = rib.counters(A);
    assert.deepEqual([c.received, c.accepted, c.withdrawn], [2, 0, 2]);
  });

  it('an unknown withdrawal and an identical re-announcement change nothing', () => {
    const rib = newRib();
    addPeer(rib, { id: A, asn: 65001 });
    rib.receiveUpdate(A, announce(['10.244.1.0/24'], ebgpAttrs(65001)));
    const events = recordEvents(rib);
    rib.receiveUpdate(A, withdraw(['10.244.9.0/24']));
    rib.receiveUpdate(A, announce(['10.244.1.0/24'], ebgpAttrs(65001)));
    assert.deepEqual(events, []);
    assert.equal(rib.counters(A).accepted, 1);
  });

  it('withdrawing the best of two falls back to the other with a changed event and its reason', () => {
    const rib = newRib();
    addPeer(rib, { id: A, asn: 65001 });
    addPeer(rib, { id: B, asn: 65002 });
    rib.receiveUpdate(A, announce(['10.244.1.0/24'], ebgpAttrs(65001, { nextHop: A })));
    rib.receiveUpdate(B, announce(['10.244.1.0/24'], ebgpAttrs(65002, { asPath: [seq(65002, 65003)], nextHop: B })));
    const events = recordEvents(rib);
    rib.receiveUpdate(A, withdraw(['10.244.1.0/24']));
    assert.deepEqual(events.map((e) => [e.kind, e.best?.nextHop, e.reason]), [['changed', B, 'only-path']]);
    // a better path coming back is a change again, decided by AS_PATH length
    rib.receiveUpdate(A, announce(['10.244.1.0/24'], ebgpAttrs(65001, { nextHop: A })));
    assert.deepEqual(events.slice(1).map((e) => [e.kind, e.best?.nextHop, e.reason]), [['changed', A, 'as-path-length']]);
  });

  it('a worse second path is no event at all', () => {
    const rib = newRib();
    addPeer(rib, { id: A, asn: 65001 });
    addPeer(rib, { id: B, asn: 65002 });
    rib.receiveUpdate(A, announce(['10.244.1.0/24'], ebgpAttrs(65001, { nextHop: A })));
    const events = recordEvents(rib);
    rib.receiveUpdate(B, announce(['10.244.1.0/24'], ebgpAttrs(65002, { asPath: [seq(65002, 65003)], nextHop: B })));
    assert.deepEqual(events, []);
    assert.equal(rib.lookup(pfx('10.244.1.0/24'))?.candidates.length, 2);
  });

  it('peer down removes all its paths: withdrawn where it was the only one, changed where another remains', () => {
    const rib = newRib();
    addPeer(rib, { id: A, asn: 65001 });
    addPeer(rib, { id: B, asn: 65002 });
    rib.receiveUpdate(A, announce(['10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24'], ebgpAttrs(65001, { nextHop: A })));
    rib.receiveUpdate(B, announce(['10.244.3.0/24'], ebgpAttrs(65002, { asPath: [seq(65002, 65009)], nextHop: B })));
    const events = recordEvents(rib);
    rib.peerDown(A);
    assert.deepEqual(
      events.map((e) => [e.prefix, e.kind, e.best?.nextHop ?? null]).sort(),
      [
        ['10.244.1.0/24', 'withdrawn', null],
        ['10.244.2.0/24', 'withdrawn', null],
        ['10.244.3.0/24', 'changed', B],
      ],
    );
    assert.equal(rib.counters(A).accepted, 0);
    assert.deepEqual([...rib.adjIn(A, 'ipv4-unicast')], []);
    assert.deepEqual([...rib.locRib('ipv4-unicast')].map((x) => x.prefix), ['10.244.3.0/24']);
    // the peer comes back and its routes are accepted again
    addPeerUpAgain();
    function addPeerUpAgain(): void {
      rib.peerUp(A, { negotiated: { peerId: rid(A) }, capabilities: { context: { fourOctetAs: true, addPathRx: new Set(), addPathTx: new Set(), extendedMessageRx: false, extendedMessageTx: false, extendedNextHop: new Set() }, families: new Set(['ipv4-unicast']) }, localAddress: '198.18.0.1' });
      rib.receiveUpdate(A, announce(['10.244.1.0/24'], ebgpAttrs(65001, { nextHop: A })));
    }
    assert.equal(rib.counters(A).accepted, 1);
  });

  it('events are batched per operation and not built without subscribers', () => {
    const rib = newRib();
    addPeer(rib, { id: A, asn: 65001 });
    const batches: number[] = [];
    const off = rib.subscribe((c) => batches.push(c.length));
    rib.receiveUpdate(A, announce(['10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24'], ebgpAttrs(65001)));
    off();
    rib.receiveUpdate(A, withdraw(['10.244.1.0/24']));
    assert.deepEqual(batches, [3]);
  });
});

describe('bgp/rib Adj-RIB-In, soft reconfiguration, local routes', () => {
  it('adj-in lists a peer’s accepted paths; pre-policy view keeps what the policy refused', () => {
    let deny = '10.244.2.0/24';
    const rib = newRib({ importPolicy: (prefix, attrs) => (prefix === deny ? null : prefix === '10.244.3.0/24' ? { ...attrs, localPref: 300 } : attrs) });
    addPeer(rib, { id: A, asn: 65001, config: { softReconfigIn: true } });
    rib.receiveUpdate(A, announce(['10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24'], ebgpAttrs(65001)));
    assert.deepEqual([...rib.adjIn(A, 'ipv4-unicast')].map((x) => x.prefix).sort(), ['10.244.1.0/24', '10.244.3.0/24']);
    assert.equal([...rib.adjIn(A, 'ipv4-unicast')].find((x) => x.prefix === '10.244.3.0/24')?.attributes.localPref, 300);
    assert.deepEqual([...rib.adjIn(A, 'ipv4-unicast', true)].map((x) => x.prefix).sort(), ['10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24']);
    assert.equal(rib.counters(A).rejected, 1);
    // the policy changes: soft reconfiguration re-applies it without the peer resending
    deny = '10.244.1.0/24';
    const events = recordEvents(rib);
    assert.equal(rib.softReconfigureIn(A), true);
    assert.deepEqual([...rib.adjIn(A, 'ipv4-unicast')].map((x) => x.prefix).sort(), ['10.244.2.0/24', '10.244.3.0/24']);
    assert.deepEqual(events.map((e) => [e.prefix, e.kind]).sort(), [
      ['10.244.1.0/24', 'withdrawn'],
      ['10.244.2.0/24', 'added'],
    ]);
    assert.equal(rib.counters(A).accepted, 2);
  });

  it('without soft reconfiguration nothing is kept pre-policy', () => {
    const rib = newRib();
    addPeer(rib, { id: A, asn: 65001 });
    rib.receiveUpdate(A, announce(['10.244.1.0/24'], ebgpAttrs(65001)));
    assert.equal(rib.softReconfigureIn(A), false);
    assert.deepEqual([...rib.adjIn(A, 'ipv4-unicast', true)], []);
  });

  it('a locally originated route is added, preferred, and withdrawn with events', () => {
    const rib = newRib();
    addPeer(rib, { id: A, asn: 65001 });
    const events = recordEvents(rib);
    rib.receiveUpdate(A, announce(['10.244.1.0/24'], ebgpAttrs(65001)));
    rib.originate({ prefix: pfx('10.244.1.0/24'), attributes: { communities: [0xfde80001] } });
    const l = rib.lookup(pfx('10.244.1.0/24'));
    assert.equal(l?.reason, 'local-origin');
    assert.deepEqual(l?.candidates.map((c) => [c.source.kind, c.best]), [
      ['local', true],
      ['peer', false],
    ]);
    assert.deepEqual(l?.candidates[0]?.attributes, { communities: [0xfde80001], origin: 0, asPath: [] });
    assert.equal(rib.withdrawLocal(pfx('10.244.1.0/24')), true);
    assert.equal(rib.withdrawLocal(pfx('10.244.1.0/24')), false);
    assert.deepEqual(events.map((e) => [e.kind, e.best?.source.kind]), [
      ['added', 'peer'],
      ['changed', 'local'],
      ['changed', 'peer'],
    ]);
  });
});

describe('bgp/rib route ages', () => {
  it('since: set when received, kept on an identical re-announcement, renewed on a change (1 s precision)', () => {
    let now = 1_000_000;
    const rib = newRib({ now: () => now });
    addPeer(rib, { id: A, asn: 65001 });
    rib.receiveUpdate(A, announce(['10.244.1.0/24'], ebgpAttrs(65001)));
    now += 400;
    rib.receiveUpdate(A, announce(['10.244.2.0/24'], ebgpAttrs(65001)));
    now += 5_000;
    rib.receiveUpdate(A, announce(['10.244.3.0/24'], ebgpAttrs(65001)));
    rib.receiveUpdate(A, announce(['10.244.1.0/24'], ebgpAttrs(65001)));
    now += 5_000;
    rib.receiveUpdate(A, announce(['10.244.2.0/24'], ebgpAttrs(65001, { med: 1 })));
    const since = new Map([...rib.adjIn(A, 'ipv4-unicast')].map((e) => [e.prefix as string, e.since]));
    assert.deepEqual(Object.fromEntries(since), { '10.244.1.0/24': 1_000_000, '10.244.2.0/24': 1_010_400, '10.244.3.0/24': 1_005_400 });
    assert.equal(rib.lookup(pfx('10.244.3.0/24'))?.candidates[0]?.since, 1_005_400);
  });
});
