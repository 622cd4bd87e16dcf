// Whole-RIB properties under random operation sequences (fast-check): three
// eBGP peers announce, withdraw and flap a few prefixes, sessions go down and
// come back, and targets pull only part of their queues in between. Then:
// what each peer reconstructs from the UPDATEs it pulled equals what the RIB
// says it advertised, equals the export of the current Loc-RIB best paths;
// the events replayed give the current best next hops; counters agree.
// Also: per-peer local AS, per-family counters, a throwing listener.
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import type { Rib } from '../../../bgp/rib/index.ts';
import type { UpdateMessage } from '../../../bgp/wire/index.ts';
import { addPeer, announce, asn, decodePulled, drain, ebgpAttrs, ip, LOCAL_AS, newRib, peerUp, pfx, recordEvents, seq, withdraw } from './helpers.ts';

const PEERS = ['198.18.3.1', '198.18.3.2', '198.18.3.3'] as const;
const ASNS = [65001, 65002, 65003] as const;
const PREFIXES = ['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/26', '10.244.4.0/32'];

type Op =
  | { readonly kind: 'announce'; readonly peer: number; readonly prefixes: readonly number[]; readonly len: number; readonly med: number }
  | { readonly kind: 'withdraw'; readonly peer: number; readonly prefixes: readonly number[] }
  | { readonly kind: 'down'; readonly peer: number }
  | { readonly kind: 'pull'; readonly peer: number; readonly count: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('announce' as const), peer: fc.integer({ min: 0, max: 2 }), prefixes: fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { minLength: 1 }), len: fc.integer({ min: 1, max: 3 }), med: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('withdraw' as const), peer: fc.integer({ min: 0, max: 2 }), prefixes: fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { minLength: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('down' as const), peer: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pull' as const), peer: fc.integer({ min: 0, max: 2 }), count: fc.integer({ min: 0, max: 3 }) }) },
);

/** A peer's view of what we advertised, rebuilt from the UPDATEs it received. */
function apply(view: Map<string, string>, u: UpdateMessage): void {
  for (const p of u.withdrawn.prefixes) view.delete(p);
  for (const p of u.nlri.prefixes) view.set(p, JSON.stringify({ ...u.attributes, nextHop: undefined, nh: u.attributes.nextHop }));
}

describe('bgp/rib consistency (property)', () => {
  it('pulled UPDATEs, Adj-RIB-Out, Loc-RIB and events agree after any sequence of operations', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const rib = newRib({ maxPaths: 4 });
        const views = PEERS.map(() => new Map<string, string>());
        PEERS.forEach((id, k) => addPeer(rib, { id, asn: ASNS[k] as number, routerId: `9.9.9.${k}`, families: ['ipv4-unicast'] }));
        const events = recordEvents(rib);
        const pullSome = (k: number, count: number): void => {
          for (let n = 0; n < count; n++) {
            const m = rib.nextUpdate(PEERS[k] as string);
            if (m === null) return;
            apply(views[k] as Map<string, string>, decodePulled(m));
          }
        };
        for (const op of ops) {
          const id = PEERS[op.peer] as string;
          const peerAs = ASNS[op.peer] as number;
          if (op.kind === 'announce') {
            rib.receiveUpdate(id, announce(op.prefixes.map((i) => PREFIXES[i] as string), ebgpAttrs(peerAs, { asPath: [seq(...Array.from({ length: op.len }, () => peerAs))], med: op.med, nextHop: id })));
          } else if (op.kind === 'withdraw') {
            rib.receiveUpdate(id, withdraw(op.prefixes.map((i) => PREFIXES[i] as string)));
          } else if (op.kind === 'down') {
            rib.peerDown(id);
            views[op.peer] = new Map();
            peerUp(rib, { id, asn: peerAs, routerId: `9.9.9.${op.peer}`, families: ['ipv4-unicast'] });
          } else {
            pullSome(op.peer, op.count);
          }
        }
        PEERS.forEach((_, k) => pullSome(k, 1_000));
        check(rib, views, events);
      }),
      { numRuns: 200 },
    );
  });

  function check(rib: Rib, views: readonly Map<string, string>[], events: ReturnType<typeof recordEvents>): void {
    // events replayed = current best next hops
    const fromEvents = new Map<string, readonly string[]>();
    for (const e of events) {
      if (e.kind === 'withdrawn') fromEvents.delete(e.prefix);
      else fromEvents.set(e.prefix, e.nextHops);
    }
    const loc = new Map([...rib.locRib('ipv4-unicast')].map((e) => [e.prefix as string, e]));
    assert.deepEqual(new Map([...loc].map(([p, e]) => [p, e.multipath.map((m) => m.nextHop)])), fromEvents);
    PEERS.forEach((id, k) => {
      const adjOut = new Map([...rib.adjOut(id, 'ipv4-unicast')].map((e) => [e.prefix as string, JSON.stringify({ ...e.attributes, nextHop: undefined, nh: e.nextHop })]));
      // what the peer has = what we think we sent
      assert.deepEqual(views[k], adjOut, `peer ${id}: wire view vs Adj-RIB-Out`);
      // = the export of every best path not learned from this peer: our AS prepended, next hop ours, MED stripped
      const expected = new Map<string, string>();
      for (const [p, e] of loc) {
        const b = e.best;
        if (b === null || b.source.kind !== 'peer' || b.source.peer === id) continue;
        expected.set(p, JSON.stringify({ origin: 0, asPath: [seq(LOCAL_AS as number, ...(b.attributes.asPath?.[0]?.asns ?? []))], nextHop: undefined, nh: '198.18.0.1' }));
      }
      assert.deepEqual(adjOut, expected, `peer ${id}: Adj-RIB-Out vs Loc-RIB`);
      assert.equal(rib.counters(id).advertised, expected.size);
      const fam = rib.familyCounters(id).find((f) => f.family === 'ipv4-unicast');
      assert.equal(fam?.accepted, [...rib.adjIn(id, 'ipv4-unicast')].length);
      assert.equal(rib.counters(id).accepted, fam?.accepted);
      assert.equal(fam?.advertised, expected.size);
    });
  }
});

describe('bgp/rib peer options and robustness', () => {
  it('local-as per peer: prepended toward that peer, and a loop when seen in its paths', () => {
    const rib = newRib();
    addPeer(rib, { id: '198.18.3.1', asn: 65001 });
    addPeer(rib, { id: '198.18.3.2', asn: 65002, config: { localAsn: asn(64999) } });
    rib.receiveUpdate('198.18.3.1', announce(['10.244.0.0/24'], ebgpAttrs(65001)));
    assert.deepEqual(drain(rib, '198.18.3.2').updates[0]?.attributes.asPath, [seq(64999, 65001)]);
    assert.deepEqual(drain(rib, '198.18.3.1').updates, []);
    const r = rib.receiveUpdate('198.18.3.2', announce(['10.244.1.0/24'], ebgpAttrs(65002, { asPath: [seq(65002, 64999)] })));
    assert.equal(r.rejectedBy, 'as-loop');
  });

  it('an iBGP role follows the local AS override', () => {
    const rib = newRib();
    addPeer(rib, { id: '198.18.3.1', asn: 64999, config: { localAsn: asn(64999) } });
    // iBGP: no first-AS check, an empty AS_PATH is fine
    assert.equal(rib.receiveUpdate('198.18.3.1', announce(['10.244.1.0/24'], { origin: 0, asPath: [], localPref: 100 })).rejectedBy, null);
  });

  it('per-family counters', () => {
    const rib = newRib();
    addPeer(rib, { id: '198.18.3.1', asn: 65001 });
    addPeer(rib, { id: '198.18.3.2', asn: 65002, config: { localNextHop6: ip('fd00::1') } });
    rib.receiveUpdate('198.18.3.1', announce(['10.244.0.0/24', '10.244.1.0/24'], ebgpAttrs(65001)));
    rib.receiveUpdate('198.18.3.1', announce(['fd00:5::/64'], ebgpAttrs(65001, { nextHop: 'fd00::5' })));
    rib.receiveUpdate('198.18.3.1', withdraw(['10.244.1.0/24']));
    drain(rib, '198.18.3.2');
    assert.deepEqual(rib.familyCounters('198.18.3.1'), [
      { family: 'ipv4-unicast', received: 2, accepted: 1, advertised: 0 },
      { family: 'ipv6-unicast', received: 1, accepted: 1, advertised: 0 },
    ]);
    assert.deepEqual(rib.familyCounters('198.18.3.2'), [
      { family: 'ipv4-unicast', received: 0, accepted: 0, advertised: 1 },
      { family: 'ipv6-unicast', received: 0, accepted: 0, advertised: 1 },
    ]);
  });

  it('a throwing listener does not stop other listeners nor leave the RIB half-updated', () => {
    const rib = newRib();
    addPeer(rib, { id: '198.18.3.1', asn: 65001 });
    addPeer(rib, { id: '198.18.3.2', asn: 65002 });
    rib.subscribe(() => {
      throw new Error('boom');
    });
    const seen = recordEvents(rib);
    const pending: string[] = [];
    rib.onUpdatesPending((id) => pending.push(id));
    assert.throws(() => rib.receiveUpdate('198.18.3.1', announce(['10.244.0.0/24'], ebgpAttrs(65001))), /boom/);
    assert.equal(seen.length, 1);
    assert.deepEqual(pending, ['198.18.3.2']);
    assert.equal(rib.lookup(pfx('10.244.0.0/24'))?.candidates.length, 1);
    assert.equal(drain(rib, '198.18.3.2').updates.length, 1);
  });
});

describe('bgp/rib lifecycle', () => {
  it('IGP cost changes: reevaluate() re-runs the decision and reports the new best', () => {
    const cost = new Map<string, number | null>([
      ['198.18.3.1', 10],
      ['198.18.3.2', 20],
    ]);
    const rib = newRib({ igpCost: (nh) => cost.get(nh ?? '') ?? null });
    addPeer(rib, { id: '198.18.3.1', asn: LOCAL_AS as number, routerId: '1.1.1.1' });
    addPeer(rib, { id: '198.18.3.2', asn: LOCAL_AS as number, routerId: '2.2.2.2' });
    for (const id of ['198.18.3.1', '198.18.3.2']) rib.receiveUpdate(id, announce(['10.244.0.0/24'], { origin: 0, asPath: [], localPref: 100, nextHop: id }));
    assert.equal(rib.lookup(pfx('10.244.0.0/24'))?.reason, 'igp-cost');
    const events = recordEvents(rib);
    cost.set('198.18.3.1', 30);
    rib.reevaluate();
    assert.deepEqual(events.map((e) => [e.kind, e.best?.nextHop, e.reason]), [['changed', '198.18.3.2', 'igp-cost']]);
    // both next hops unreachable: withdrawn; one back: added
    cost.set('198.18.3.1', null);
    cost.set('198.18.3.2', null);
    rib.reevaluate();
    cost.set('198.18.3.1', 5);
    rib.reevaluate();
    assert.deepEqual(events.slice(1).map((e) => [e.kind, e.best?.nextHop ?? null]), [
      ['withdrawn', null],
      ['added', '198.18.3.1'],
    ]);
    assert.equal(rib.lookup(pfx('10.244.0.0/24'))?.candidates.find((c) => c.nextHop === '198.18.3.2')?.eligible, false);
  });

  it('removePeer drops the peer and its routes; its id can be registered again', () => {
    const rib = newRib();
    addPeer(rib, { id: '198.18.3.1', asn: 65001 });
    rib.receiveUpdate('198.18.3.1', announce(['10.244.0.0/24'], ebgpAttrs(65001)));
    rib.removePeer('198.18.3.1');
    assert.deepEqual(rib.peers, []);
    assert.equal(rib.size('ipv4-unicast'), 0);
    assert.throws(() => rib.counters('198.18.3.1'), /unknown peer/);
    addPeer(rib, { id: '198.18.3.1', asn: 65009 });
    assert.deepEqual(rib.peers, ['198.18.3.1']);
  });

  it('a second peerUp without peerDown restarts the Adj-RIB-Out cleanly', () => {
    const rib = newRib();
    addPeer(rib, { id: '198.18.3.1', asn: 65001 });
    addPeer(rib, { id: '198.18.3.2', asn: 65002, families: ['ipv4-unicast'] });
    rib.receiveUpdate('198.18.3.1', announce(['10.244.0.0/24', '10.244.1.0/24'], ebgpAttrs(65001)));
    drain(rib, '198.18.3.2');
    peerUp(rib, { id: '198.18.3.2', asn: 65002, families: ['ipv4-unicast'] });
    const again = drain(rib, '198.18.3.2');
    assert.equal(again.updates.length, 1);
    assert.deepEqual(again.eor, ['ipv4-unicast']);
    assert.equal(rib.counters('198.18.3.2').advertised, 2);
  });
});
