// The pull-based UPDATE queue of the Adj-RIB-Out: N prefixes with one
// attribute set become the same small number of UPDATEs the codec's own
// packing gives (decoded back and compared), withdrawals are batched,
// End-of-RIB follows the initial dump per negotiated family, a slow peer gets
// only the latest state of a flapping prefix, "updates pending" notices come
// once per operation, route refresh resends the table, ADD-PATH and extended
// messages change the packing as negotiated.
import assert from 'node:assert/strict';
import { buildUpdates, buildWithdrawals, type PathAttributes } from '../../../bgp/wire/index.ts';
import { addPeer, announce, announcedOf, asn, decodePulled, drain, ebgpAttrs, ip, LOCAL_AS, newRib, peerUp, pfx, seq, wireOf, withdraw, withdrawnOf } from './helpers.ts';

const SRC = '198.18.1.1';
const DST = '198.18.2.1';
const IB = LOCAL_AS as number;

const v4 = (n: number, third = 0): string[] => Array.from({ length: n }, (_, i) => `10.${100 + third}.${(i >> 8) & 255}.${i & 255}/32`);
const v6 = (n: number): string[] => Array.from({ length: n }, (_, i) => pfx(`fd00:77:${i.toString(16)}::/64`));

/** What the target receives for routes from SRC (AS 65001) with these attributes. */
const expectedOut = (extra: Partial<PathAttributes> = {}): PathAttributes => ({ origin: 0, asPath: [seq(IB, 65001)], ...extra });

function twoPeers(dstExtra: Parameters<typeof addPeer>[1] extends infer S ? Partial<S & object> : never = {}) {
  const rib = newRib();
  addPeer(rib, { id: SRC, asn: 65001 });
  addPeer(rib, { id: DST, asn: 65002, ...dstExtra });
  return rib;
}

describe('bgp/rib Adj-RIB-Out batching', () => {
  it('1000 prefixes with one attribute set: as few UPDATEs as the codec packs, every prefix once, attributes intact', () => {
    const rib = twoPeers();
    const prefixes = v4(1000);
    // the source sends them in 10 UPDATEs of 100; the target gets them packed to the 4096 limit
    for (let k = 0; k < 1000; k += 100) rib.receiveUpdate(SRC, announce(prefixes.slice(k, k + 100), ebgpAttrs(65001, { communities: [0xfde90064] })));
    const out = drain(rib, DST);
    const reference = buildUpdates({ family: 'ipv4-unicast', attributes: expectedOut({ communities: [0xfde90064] }), nextHop: ip('198.18.0.1'), prefixes: prefixes.map(pfx) }, wireOf());
    assert.equal(out.updates.length, reference.length);
    assert.equal(out.updates.length, 2); // 1000 x 5 octets of NLRI, ~4040 per message
    assert.deepEqual(announcedOf(out.updates), [...prefixes].sort());
    for (const u of out.updates) {
      assert.deepEqual(u.attributes, { ...expectedOut({ communities: [0xfde90064] }), nextHop: '198.18.0.1' });
      assert.ok(u.nlri.prefixes.length > 100);
    }
    for (const raw of out.raw) assert.ok(raw.length <= 4096);
    assert.equal(rib.counters(DST).advertised, 1000);
    assert.equal(rib.counters(DST).updatesOut, 2 + 2); // and the two End-of-RIB of the initial (empty) dump
  });

  it('IPv6 in MP_REACH_NLRI: as few UPDATEs as the codec packs', () => {
    const rib = twoPeers({ config: { localNextHop6: ip('fd00::1') } });
    const p6 = v6(1000);
    rib.receiveUpdate(SRC, announce(p6, ebgpAttrs(65001, { nextHop: 'fd00::2' })));
    const out = drain(rib, DST);
    const reference = buildUpdates({ family: 'ipv6-unicast', attributes: expectedOut(), nextHop: ip('fd00::1'), prefixes: p6.map(pfx) }, wireOf());
    assert.equal(out.updates.length, reference.length);
    assert.equal(out.updates.length, 3); // 1000 x 9 octets of NLRI
    assert.deepEqual(announcedOf(out.updates), [...p6].sort());
    assert.ok(out.updates.every((u) => u.attributes.mpReach?.family === 'ipv6-unicast' && u.attributes.mpReach.nextHop === 'fd00::1'));
  });

  it('two attribute sets interleaved: grouped per set, one UPDATE each', () => {
    const rib = twoPeers();
    const a = v4(50, 1);
    const b = v4(50, 2);
    for (let k = 0; k < 50; k++) {
      rib.receiveUpdate(SRC, announce([a[k] as string], ebgpAttrs(65001, { med: 1 })));
      rib.receiveUpdate(SRC, announce([b[k] as string], ebgpAttrs(65001, { communities: [0xfde90002] })));
    }
    const out = drain(rib, DST);
    assert.equal(out.updates.length, 2);
    const byComm = out.updates.map((u) => [u.attributes.communities?.[0] ?? null, announcedOf([u])]);
    assert.deepEqual(byComm.sort((x, y) => String(x[0]).localeCompare(String(y[0]))), [
      [0xfde90002, [...b].sort()],
      [null, [...a].sort()],
    ]);
  });

  it('withdrawals are batched, IPv4 in Withdrawn Routes, IPv6 in MP_UNREACH', () => {
    const rib = twoPeers({ config: { localNextHop6: ip('fd00::1') } });
    const p4 = v4(1500);
    const p6 = v6(300);
    rib.receiveUpdate(SRC, announce(p4, ebgpAttrs(65001)));
    rib.receiveUpdate(SRC, announce(p6, ebgpAttrs(65001, { nextHop: 'fd00::2' })));
    drain(rib, DST);
    rib.receiveUpdate(SRC, withdraw(p4));
    rib.receiveUpdate(SRC, withdraw(p6));
    const out = drain(rib, DST);
    const ref4 = buildWithdrawals('ipv4-unicast', p4.map(pfx), null, wireOf()).length;
    const ref6 = buildWithdrawals('ipv6-unicast', p6.map(pfx), null, wireOf()).length;
    assert.equal(out.updates.length, ref4 + ref6);
    assert.equal(ref4, 2);
    assert.deepEqual(withdrawnOf(out.updates), [...p4, ...p6].sort());
    const v4msgs = out.updates.filter((u) => u.attributes.mpUnreach === undefined);
    assert.equal(v4msgs.length, ref4);
    assert.ok(v4msgs.every((u) => u.withdrawn.prefixes.length > 0));
    assert.equal(out.updates.filter((u) => u.attributes.mpUnreach?.family === 'ipv6-unicast').length, ref6);
    assert.equal(rib.counters(DST).advertised, 0);
    assert.equal(rib.counters(DST).withdrawnOut, 1800);
  });

  it('extended messages pack more per UPDATE', () => {
    const rib = twoPeers({ wire: { extendedMessageTx: true } });
    rib.receiveUpdate(SRC, announce(v4(3000), ebgpAttrs(65001)));
    const out = drain(rib, DST, { extendedMessageTx: true });
    assert.equal(out.updates.length, 1);
    assert.ok((out.raw[0]?.length ?? 0) > 4096);
  });

  it('ADD-PATH toward the peer: NLRI carry a path id', () => {
    const rib = twoPeers({ wire: { addPathTx: new Set(['ipv4-unicast']) } });
    rib.receiveUpdate(SRC, announce(v4(3), ebgpAttrs(65001)));
    const out = drain(rib, DST, { addPathTx: new Set(['ipv4-unicast']) });
    assert.equal(out.updates.length, 1);
    assert.deepEqual(out.updates[0]?.nlri.pathIds?.length, 3);
  });
});

describe('bgp/rib Adj-RIB-Out initial dump and End-of-RIB', () => {
  it('a peer coming up gets the whole table, then End-of-RIB per negotiated family', () => {
    const rib = newRib();
    addPeer(rib, { id: SRC, asn: 65001 });
    const p4 = v4(5000);
    rib.receiveUpdate(SRC, announce(p4, ebgpAttrs(65001)));
    rib.receiveUpdate(SRC, announce(v6(10), ebgpAttrs(65001, { nextHop: 'fd00::2' })));
    rib.originate({ prefix: pfx('10.244.0.0/24') });
    rib.addPeer({ id: DST, asn: asn(65002), localNextHop6: ip('fd00::1') });
    peerUp(rib, { id: DST, asn: 65002 });
    const out = drain(rib, DST);
    assert.deepEqual(announcedOf(out.updates), [...p4, ...v6(10), '10.244.0.0/24'].sort());
    assert.deepEqual([...out.eor].sort(), ['ipv4-unicast', 'ipv6-unicast']);
    // 5000 /32 in one attribute set (7 UPDATEs), the local /24 (1), 10 IPv6 (1): families take turns, each End-of-RIB after its family's routes
    const of = (f: string) => out.sequence.filter((x) => x.endsWith(f));
    assert.deepEqual(of('ipv4-unicast'), [...Array<string>(8).fill('ipv4-unicast'), 'eor ipv4-unicast']);
    assert.deepEqual(of('ipv6-unicast'), ['ipv6-unicast', 'eor ipv6-unicast']);
    assert.deepEqual(out.sequence.slice(0, 2), ['ipv4-unicast', 'ipv6-unicast']);
    // nothing more afterwards
    assert.equal(rib.nextUpdate(DST), null);
    assert.equal(rib.hasPendingUpdates(DST), false);
  });

  it('an empty table: just the End-of-RIB markers', () => {
    const rib = newRib();
    rib.addPeer({ id: DST, asn: asn(65002) });
    peerUp(rib, { id: DST, asn: 65002, families: ['ipv4-unicast'] });
    const out = drain(rib, DST);
    assert.deepEqual(out.updates, []);
    assert.deepEqual(out.eor, ['ipv4-unicast']);
  });

  it('changes during a slow initial dump are sent in their latest state, End-of-RIB still last', () => {
    const rib = newRib();
    addPeer(rib, { id: SRC, asn: 65001 });
    const p4 = v4(9000);
    rib.receiveUpdate(SRC, announce(p4, ebgpAttrs(65001)));
    rib.addPeer({ id: DST, asn: asn(65002) });
    peerUp(rib, { id: DST, asn: 65002, families: ['ipv4-unicast'] });
    // pull a little, then the table changes under the dump
    assert.notEqual(rib.nextUpdate(DST), null);
    rib.receiveUpdate(SRC, withdraw(p4.slice(8000)));
    rib.receiveUpdate(SRC, announce(p4.slice(0, 10), ebgpAttrs(65001, { communities: [0xfde90009] })));
    const rest = drain(rib, DST);
    assert.deepEqual(rest.eor, ['ipv4-unicast']);
    const advertised = new Map([...rib.adjOut(DST, 'ipv4-unicast')].map((e) => [e.prefix as string, e.attributes.communities?.[0] ?? null]));
    assert.equal(advertised.size, 8000);
    for (const p of p4.slice(0, 10)) assert.equal(advertised.get(p), 0xfde90009);
    for (const p of p4.slice(8000)) assert.equal(advertised.has(p), false);
  });

  it('peer down drops its Adj-RIB-Out; up again, it gets a full dump', () => {
    const rib = twoPeers();
    rib.receiveUpdate(SRC, announce(v4(10), ebgpAttrs(65001)));
    assert.equal(announcedOf(drain(rib, DST).updates).length, 10);
    rib.peerDown(DST);
    assert.equal(rib.counters(DST).advertised, 0);
    assert.equal(rib.nextUpdate(DST), null);
    peerUp(rib, { id: DST, asn: 65002 });
    const again = drain(rib, DST);
    assert.equal(announcedOf(again.updates).length, 10);
    assert.deepEqual([...again.eor].sort(), ['ipv4-unicast', 'ipv6-unicast']);
  });

  it('route refresh from the peer resends the family', () => {
    const rib = twoPeers();
    rib.receiveUpdate(SRC, announce(v4(10), ebgpAttrs(65001)));
    drain(rib, DST);
    rib.routeRefresh(DST, 'ipv4-unicast');
    const out = drain(rib, DST);
    assert.deepEqual(announcedOf(out.updates), v4(10).sort());
    assert.deepEqual(out.eor, []);
    assert.equal(rib.counters(DST).advertised, 10);
  });
});

describe('bgp/rib Adj-RIB-Out coalescing for a slow peer', () => {
  it('many flaps of one prefix while not pulled: one UPDATE with the final state', () => {
    const rib = twoPeers();
    const p = ['10.244.9.0/24'];
    rib.receiveUpdate(SRC, announce(p, ebgpAttrs(65001, { med: 0 })));
    drain(rib, DST);
    for (let k = 1; k <= 500; k++) {
      if (k % 3 === 0) rib.receiveUpdate(SRC, withdraw(p));
      else rib.receiveUpdate(SRC, announce(p, ebgpAttrs(65001, { communities: [k] })));
    }
    assert.equal(rib.pendingCount(DST), 1);
    const out = drain(rib, DST);
    assert.equal(out.updates.length, 1);
    assert.deepEqual(out.updates[0]?.attributes.communities, [500]);
    assert.deepEqual(announcedOf(out.updates), p);
  });

  it('flaps that end where the peer already is: nothing to send', () => {
    const rib = twoPeers();
    const p = ['10.244.9.0/24'];
    rib.receiveUpdate(SRC, announce(p, ebgpAttrs(65001)));
    drain(rib, DST);
    for (let k = 0; k < 100; k++) {
      rib.receiveUpdate(SRC, withdraw(p));
      rib.receiveUpdate(SRC, announce(p, ebgpAttrs(65001, { communities: [k] })));
      rib.receiveUpdate(SRC, announce(p, ebgpAttrs(65001)));
    }
    assert.equal(rib.hasPendingUpdates(DST), false);
    assert.deepEqual(drain(rib, DST).raw, []);
  });

  it('flaps ending withdrawn: one withdrawal', () => {
    const rib = twoPeers();
    const p = ['10.244.9.0/24'];
    rib.receiveUpdate(SRC, announce(p, ebgpAttrs(65001)));
    drain(rib, DST);
    for (let k = 0; k < 100; k++) {
      rib.receiveUpdate(SRC, announce(p, ebgpAttrs(65001, { med: k })));
      rib.receiveUpdate(SRC, withdraw(p));
    }
    const out = drain(rib, DST);
    assert.equal(out.updates.length, 1);
    assert.deepEqual(withdrawnOf(out.updates), p);
  });

  it('a slow peer holds at most one pending state per prefix, whatever the churn', () => {
    const rib = twoPeers();
    const ps = v4(200);
    for (let round = 0; round < 50; round++) rib.receiveUpdate(SRC, announce(ps, ebgpAttrs(65001, { med: round })));
    assert.equal(rib.pendingCount(DST), 200);
    const out = drain(rib, DST);
    assert.equal(out.updates.length, 1);
    assert.equal(out.updates[0]?.attributes.med, undefined); // eBGP MED is not passed on; the state is the last one
    assert.equal(announcedOf(out.updates).length, 200);
  });

  it('"updates pending" is announced once per operation per peer with work, not for peers without', () => {
    const rib = twoPeers();
    const calls: string[] = [];
    rib.onUpdatesPending((id) => calls.push(id));
    rib.receiveUpdate(SRC, announce(v4(100), ebgpAttrs(65001)));
    assert.deepEqual(calls, [DST]);
    drain(rib, DST);
    rib.receiveUpdate(SRC, announce(v4(100), ebgpAttrs(65001)));
    assert.deepEqual(calls, [DST]);
  });
});

describe('bgp/rib Adj-RIB-Out limits', () => {
  it('families take turns: a busy IPv4 queue does not hold IPv6 back', () => {
    const rib = twoPeers({ config: { localNextHop6: ip('fd00::1') } });
    rib.receiveUpdate(SRC, announce(v4(4000), ebgpAttrs(65001)));
    rib.receiveUpdate(SRC, announce(v6(5), ebgpAttrs(65001, { nextHop: 'fd00::2' })));
    const first = [rib.nextUpdate(DST), rib.nextUpdate(DST)].map((m) => (m === null ? null : decodePulled(m)));
    assert.deepEqual(first.map((u) => (u?.attributes.mpReach !== undefined ? 'ipv6' : 'ipv4')), ['ipv4', 'ipv6']);
  });

  it('attributes too large for any UPDATE: the route is not sent and an older version is withdrawn', () => {
    const rib = twoPeers();
    const p = ['10.244.9.0/24'];
    rib.receiveUpdate(SRC, announce(p, ebgpAttrs(65001)));
    assert.deepEqual(announcedOf(drain(rib, DST).updates), p);
    // 1020 communities: 4080 octets of attributes, no room left in 4096
    rib.receiveUpdate(SRC, announce(p, ebgpAttrs(65001, { communities: Array.from({ length: 1020 }, (_, k) => k) })));
    const out = drain(rib, DST);
    assert.deepEqual(withdrawnOf(out.updates), p);
    assert.deepEqual(announcedOf(out.updates), []);
    assert.equal(rib.counters(DST).unsendable, 1);
    assert.equal(rib.counters(DST).advertised, 0);
    // with extended messages toward the peer it fits
    const big = twoPeers({ wire: { extendedMessageTx: true } });
    big.receiveUpdate(SRC, announce(p, ebgpAttrs(65001, { communities: Array.from({ length: 1020 }, (_, k) => k) })));
    assert.deepEqual(announcedOf(drain(big, DST, { extendedMessageTx: true }).updates), p);
  });
});
