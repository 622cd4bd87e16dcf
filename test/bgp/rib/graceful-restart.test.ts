// Graceful restart in the RIB (RFC 4724 §4.2): a lost session's routes of the
// retained families stay in the decision as stale, a re-announcement makes a
// path fresh again, a withdrawal removes it, and the sweep (End-of-RIB or a
// timer, decided by the speaker) removes exactly what stayed stale; families
// not retained go at once, and a plain peerDown keeps nothing.
import assert from 'node:assert/strict';
import { addPeer, announce, ebgpAttrs, newRib, peerUp, pfx, withdraw } from './helpers.ts';

describe('bgp/rib: graceful restart (stale routes)', () => {
  function setup() {
    const rib = newRib();
    const peer = { id: '198.18.0.2', asn: 65002 };
    addPeer(rib, peer);
    rib.receiveUpdate(peer.id, announce(['10.244.1.0/24', '10.244.2.0/24'], ebgpAttrs(65002)));
    rib.receiveUpdate(peer.id, announce(['fd00:244:1::/64'], ebgpAttrs(65002)));
    return { rib, peer };
  }
  const prefixes = (rib: ReturnType<typeof newRib>, f: 'ipv4-unicast' | 'ipv6-unicast') => [...rib.adjIn('198.18.0.2', f)].map((e) => e.prefix).sort();

  it('keeps the retained families as stale and drops the others at once', () => {
    const { rib, peer } = setup();
    rib.peerDown(peer.id, new Set(['ipv4-unicast'] as const));
    assert.deepEqual(prefixes(rib, 'ipv4-unicast'), ['10.244.1.0/24', '10.244.2.0/24']);
    assert.deepEqual(prefixes(rib, 'ipv6-unicast'), [], 'IPv6 was not retained');
    assert.deepEqual([...rib.staleCounts(peer.id)], [['ipv4-unicast', 2]]);
    assert.equal(rib.isStale(peer.id, 'ipv4-unicast', pfx('10.244.1.0/24'), 0), true);
    // still the best path: the kernel keeps forwarding along it
    assert.equal(rib.lookup(pfx('10.244.1.0/24'))?.candidates[0]?.best, true);
  });

  it('re-announced paths are fresh, withdrawn ones go, the sweep removes only what stayed stale', () => {
    const { rib, peer } = setup();
    rib.peerDown(peer.id, new Set(['ipv4-unicast', 'ipv6-unicast'] as const));
    peerUp(rib, peer);
    rib.receiveUpdate(peer.id, announce(['10.244.1.0/24'], ebgpAttrs(65002)));
    assert.equal(rib.isStale(peer.id, 'ipv4-unicast', pfx('10.244.1.0/24'), 0), false, 're-announced with the same attributes: fresh');
    assert.equal(rib.isStale(peer.id, 'ipv4-unicast', pfx('10.244.2.0/24'), 0), true);
    rib.receiveUpdate(peer.id, withdraw(['fd00:244:1::/64']));
    assert.deepEqual([...rib.staleCounts(peer.id)], [['ipv4-unicast', 1]], 'the withdrawn IPv6 route is no longer counted');
    assert.equal(rib.sweepStale(peer.id, 'ipv4-unicast'), 1);
    assert.deepEqual(prefixes(rib, 'ipv4-unicast'), ['10.244.1.0/24']);
    assert.equal(rib.staleCounts(peer.id).size, 0);
    assert.equal(rib.sweepStale(peer.id), 0, 'nothing left to sweep');
  });

  it('a second loss before the sweep marks every path of the family stale again', () => {
    const { rib, peer } = setup();
    rib.peerDown(peer.id, new Set(['ipv4-unicast'] as const));
    peerUp(rib, peer);
    rib.receiveUpdate(peer.id, announce(['10.244.1.0/24', '10.244.3.0/24'], ebgpAttrs(65002)));
    rib.peerDown(peer.id, new Set(['ipv4-unicast'] as const));
    assert.deepEqual([...rib.staleCounts(peer.id)], [['ipv4-unicast', 3]]);
    assert.equal(rib.sweepStale(peer.id), 3);
    assert.deepEqual(prefixes(rib, 'ipv4-unicast'), []);
  });

  it('a plain session loss and a removed peer keep nothing', () => {
    const { rib, peer } = setup();
    rib.peerDown(peer.id);
    assert.deepEqual(prefixes(rib, 'ipv4-unicast'), []);
    assert.equal(rib.staleCounts(peer.id).size, 0);
    const s2 = setup();
    s2.rib.peerDown(s2.peer.id, new Set(['ipv4-unicast'] as const));
    s2.rib.removePeer(s2.peer.id);
    assert.equal([...s2.rib.locRib('ipv4-unicast')].length, 0, 'removing the peer removes its stale routes');
  });
});
