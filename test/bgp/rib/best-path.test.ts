// The decision process (RFC 4271 §9.1.2.2, RFC 4456 §9): one table row per
// step, each asserting the winner AND the deciding reason; MED only among the
// same neighbour AS (and always-compare, missing-as-worst); ECMP set
// formation; and a fast-check property: the best path and multipath set do
// not depend on the order the paths arrived in.
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { DECISION_STEPS, type BestReason, type RibConfig, type PeerRole } from '../../../bgp/rib/index.ts';
import type { PathAttributes } from '../../../bgp/wire/index.ts';
import { AttrInterner } from '../../../bgp/rib/attr-set.ts';
import { comparePaths, decide } from '../../../bgp/rib/best-path.ts';
import { Source, type Path } from '../../../bgp/rib/path.ts';
import { addPeer, announce, asn, ip, LOCAL_AS, newRib, pfx, recordEvents, rid, seq, set, type TestAttrs } from './helpers.ts';

type Attrs = TestAttrs;

interface PeerRoute {
  readonly id: string;
  readonly asn: number;
  readonly routerId?: string;
  readonly role?: PeerRole;
  readonly attrs: Attrs;
}

interface Row {
  readonly name: string;
  readonly config?: Partial<RibConfig>;
  readonly routes: readonly PeerRoute[];
  readonly local?: PathAttributes;
  /** Expected winner: peer id or 'local'. */
  readonly winner: string;
  readonly reason: BestReason;
}

const P = '10.244.7.0/24';
const IB = LOCAL_AS as number;

/** eBGP route from `peerAs` whose AS_PATH starts with it. */
const e = (id: string, peerAs: number, extra: Partial<Attrs> = {}, routerId?: string): PeerRoute => ({
  id,
  asn: peerAs,
  ...(routerId !== undefined ? { routerId } : {}),
  attrs: { origin: 0, asPath: [seq(peerAs)], nextHop: id, ...extra },
});
/** iBGP route. */
const i = (id: string, extra: Partial<Attrs> = {}, routerId?: string): PeerRoute => ({
  id,
  asn: IB,
  ...(routerId !== undefined ? { routerId } : {}),
  attrs: { origin: 0, asPath: [seq(65100)], localPref: 100, nextHop: id, ...extra },
});

const rows: readonly Row[] = [
  { name: 'a single path', routes: [e('198.18.1.1', 65001)], winner: '198.18.1.1', reason: 'only-path' },
  { name: 'local origin beats a higher LOCAL_PREF', routes: [i('198.18.1.1', { localPref: 500 })], local: {}, winner: 'local', reason: 'local-origin' },
  { name: 'highest LOCAL_PREF', routes: [i('198.18.1.1', { localPref: 100 }), i('198.18.1.2', { localPref: 200 })], winner: '198.18.1.2', reason: 'local-pref' },
  { name: 'missing LOCAL_PREF counts as the default 100', routes: [i('198.18.1.1', { localPref: 99 }), { ...i('198.18.1.2'), attrs: { origin: 0, asPath: [seq(65100)], nextHop: '198.18.1.2' } }], winner: '198.18.1.2', reason: 'local-pref' },
  {
    name: 'LOCAL_PREF received from eBGP is ignored (RFC 4271 §5.1.5)',
    routes: [e('198.18.1.1', 65001, { localPref: 900, asPath: [seq(65001, 65009)] }), e('198.18.1.2', 65002)],
    winner: '198.18.1.2',
    reason: 'as-path-length',
  },
  { name: 'shortest AS_PATH', routes: [e('198.18.1.1', 65001, { asPath: [seq(65001, 65005)] }), e('198.18.1.2', 65002)], winner: '198.18.1.2', reason: 'as-path-length' },
  {
    name: 'an AS_SET counts 1',
    routes: [e('198.18.1.1', 65001, { asPath: [seq(65001), set(1, 2, 3, 4)] }), e('198.18.1.2', 65002, { asPath: [seq(65002, 7, 8)] })],
    winner: '198.18.1.1',
    reason: 'as-path-length',
  },
  {
    name: 'AS_SET length tie goes on to ORIGIN',
    routes: [e('198.18.1.1', 65001, { asPath: [seq(65001), set(1, 2, 3)], origin: 1 }), e('198.18.1.2', 65002, { asPath: [seq(65002, 7)] })],
    winner: '198.18.1.2',
    reason: 'origin',
  },
  {
    name: 'confederation segments count 0',
    routes: [i('198.18.1.1', { asPath: [{ type: 'confed-sequence', asns: [asn(1), asn(2), asn(3)] }, seq(65100)] }), i('198.18.1.2', { asPath: [seq(65100, 65101)] })],
    winner: '198.18.1.1',
    reason: 'as-path-length',
  },
  { name: 'lowest ORIGIN (IGP < EGP < INCOMPLETE)', routes: [e('198.18.1.1', 65001, { origin: 2 }), e('198.18.1.2', 65002, { origin: 1 })], winner: '198.18.1.2', reason: 'origin' },
  { name: 'lowest MED within one neighbour AS', routes: [e('198.18.1.1', 65001, { med: 20 }), e('198.18.1.2', 65001, { med: 10 })], winner: '198.18.1.2', reason: 'med' },
  {
    name: 'MED not compared across neighbour ASes: router id decides',
    routes: [e('198.18.1.1', 65001, { med: 50 }, '1.1.1.1'), e('198.18.1.2', 65002, { med: 10 }, '2.2.2.2')],
    winner: '198.18.1.1',
    reason: 'router-id',
  },
  {
    name: 'always-compare-med compares across ASes',
    config: { alwaysCompareMed: true },
    routes: [e('198.18.1.1', 65001, { med: 50 }, '1.1.1.1'), e('198.18.1.2', 65002, { med: 10 }, '2.2.2.2')],
    winner: '198.18.1.2',
    reason: 'med',
  },
  { name: 'a missing MED is 0 (RFC 4271)', routes: [e('198.18.1.1', 65001, { med: 5 }), e('198.18.1.2', 65001)], winner: '198.18.1.2', reason: 'med' },
  { name: 'missing-med-as-worst', config: { missingMedAsWorst: true }, routes: [e('198.18.1.1', 65001, { med: 5 }), e('198.18.1.2', 65001)], winner: '198.18.1.1', reason: 'med' },
  {
    name: 'eBGP over iBGP',
    routes: [i('198.18.1.1', { asPath: [seq(65001)] }, '1.1.1.1'), e('198.18.1.2', 65001, {}, '2.2.2.2')],
    winner: '198.18.1.2',
    reason: 'ebgp-over-ibgp',
  },
  {
    name: 'lowest IGP cost to the next hop',
    config: { igpCost: (nh) => (nh === '198.18.1.1' ? 20 : 10) },
    routes: [i('198.18.1.1', {}, '1.1.1.1'), i('198.18.1.2', {}, '2.2.2.2')],
    winner: '198.18.1.2',
    reason: 'igp-cost',
  },
  {
    name: 'an unreachable next hop is not eligible',
    config: { igpCost: (nh) => (nh === '198.18.1.1' ? null : 10) },
    routes: [i('198.18.1.1', { localPref: 500 }), i('198.18.1.2')],
    winner: '198.18.1.2',
    reason: 'only-path',
  },
  { name: 'lowest router id', routes: [e('198.18.1.1', 65001, {}, '9.9.9.9'), e('198.18.1.2', 65001, {}, '2.2.2.2')], winner: '198.18.1.2', reason: 'router-id' },
  {
    name: 'ORIGINATOR_ID stands for the router id (RFC 4456 §9)',
    routes: [i('198.18.1.1', { originatorId: rid('9.9.9.9') }, '1.1.1.1'), i('198.18.1.2', {}, '2.2.2.2')],
    winner: '198.18.1.2',
    reason: 'router-id',
  },
  {
    name: 'shortest CLUSTER_LIST (RFC 4456 §9)',
    routes: [
      i('198.18.1.1', { originatorId: rid('5.5.5.5'), clusterList: [rid('7.7.7.7'), rid('8.8.8.8')] }, '1.1.1.1'),
      i('198.18.1.2', { originatorId: rid('5.5.5.5'), clusterList: [rid('7.7.7.7')] }, '2.2.2.2'),
    ],
    winner: '198.18.1.2',
    reason: 'cluster-list-length',
  },
  {
    name: 'lowest peer address',
    routes: [i('198.18.1.9', { originatorId: rid('5.5.5.5') }, '1.1.1.1'), i('198.18.1.10', { originatorId: rid('5.5.5.5') }, '2.2.2.2')],
    winner: '198.18.1.9',
    reason: 'peer-address',
  },
];

function build(row: { readonly config?: Partial<RibConfig>; readonly routes: readonly PeerRoute[]; readonly local?: PathAttributes }, order: readonly number[] = row.routes.map((_, k) => k)) {
  const rib = newRib(row.config);
  for (const r of row.routes) addPeer(rib, { id: r.id, asn: r.asn, ...(r.routerId !== undefined ? { routerId: r.routerId } : {}), ...(r.role !== undefined ? { role: r.role } : {}) });
  if (row.local !== undefined) rib.originate({ prefix: pfx(P), attributes: row.local });
  for (const k of order) {
    const r = row.routes[k] as PeerRoute;
    const res = rib.receiveUpdate(r.id, announce([P], r.attrs));
    assert.equal(res.rejectedBy, null, `${r.id} accepted`);
  }
  return rib;
}

const winnerOf = (v: { readonly source: { readonly kind: string; readonly peer?: string } } | null | undefined): string | null => (v === null || v === undefined ? null : v.source.kind === 'local' ? 'local' : (v.source.peer ?? null));

describe('bgp/rib decision process', () => {
  for (const row of rows) {
    it(`${row.name} -> ${row.reason}`, () => {
      for (const order of [row.routes.map((_, k) => k), row.routes.map((_, k) => row.routes.length - 1 - k)]) {
        const rib = build(row, order);
        const l = rib.lookup(pfx(P));
        assert.ok(l !== null);
        const best = l.candidates.find((c) => c.best);
        assert.equal(winnerOf(best), row.winner);
        assert.equal(l.reason, row.reason);
        const entry = [...rib.locRib('ipv4-unicast')][0];
        assert.equal(entry?.reason, row.reason);
        assert.equal(winnerOf(entry?.best), row.winner);
        // the lookup ranks the best first
        assert.equal(l.candidates[0]?.best, true);
      }
    });
  }

  it('ADD-PATH: two paths from one peer are two candidates; the lower path id breaks the final tie', () => {
    const rib = newRib();
    addPeer(rib, { id: '198.18.1.1', asn: 65001, wire: { addPathRx: new Set(['ipv4-unicast']) } });
    rib.receiveUpdate('198.18.1.1', announce([P, P], { origin: 0, asPath: [seq(65001)] }, [7, 3]));
    const l = rib.lookup(pfx(P));
    assert.equal(l?.candidates.length, 2);
    assert.equal(l?.reason, 'path-id');
    assert.equal(l?.candidates.find((c) => c.best)?.pathId, 3);
    rib.receiveUpdate('198.18.1.1', { type: 'update', withdrawn: { prefixes: [pfx(P)], pathIds: [3] }, nlri: { prefixes: [], pathIds: [] }, attributes: {} });
    const l2 = rib.lookup(pfx(P));
    assert.deepEqual(l2?.candidates.map((c) => [c.pathId, c.best]), [[7, true]]);
    assert.equal(l2?.reason, 'only-path');
  });
});

describe('bgp/rib ECMP multipath', () => {
  const three = [e('198.18.1.3', 65001, {}, '3.3.3.3'), e('198.18.1.1', 65001, {}, '1.1.1.1'), e('198.18.1.2', 65001, {}, '2.2.2.2')];

  function ecmp(config: Partial<RibConfig>, routes: readonly PeerRoute[]) {
    const rib = newRib(config);
    for (const r of routes) addPeer(rib, { id: r.id, asn: r.asn, ...(r.routerId !== undefined ? { routerId: r.routerId } : {}) });
    const events = recordEvents(rib);
    for (const r of routes) rib.receiveUpdate(r.id, announce([P], r.attrs));
    const entry = [...rib.locRib('ipv4-unicast')][0];
    return { rib, events, entry, mp: entry?.multipath.map((m) => m.nextHop) ?? [] };
  }

  it('equal paths up to the router-id step form the set, ordered by the tie breakers, best first', () => {
    const { entry, events, mp } = ecmp({ maxPaths: 8 }, three);
    assert.deepEqual(mp, ['198.18.1.1', '198.18.1.2', '198.18.1.3']);
    assert.equal(entry?.best?.nextHop, '198.18.1.1');
    assert.equal(entry?.reason, 'router-id');
    assert.deepEqual(events.at(-1)?.nextHops, ['198.18.1.1', '198.18.1.2', '198.18.1.3']);
  });

  it('maxPaths caps the set; maxPaths 1 (default) is no multipath', () => {
    assert.deepEqual(ecmp({ maxPaths: 2 }, three).mp, ['198.18.1.1', '198.18.1.2']);
    assert.deepEqual(ecmp({}, three).mp, ['198.18.1.1']);
  });

  it('different neighbour ASes only with multipath-relax', () => {
    const routes = [e('198.18.1.1', 65001, {}, '1.1.1.1'), e('198.18.1.2', 65002, {}, '2.2.2.2')];
    assert.deepEqual(ecmp({ maxPaths: 4 }, routes).mp, ['198.18.1.1']);
    assert.deepEqual(ecmp({ maxPaths: 4, multipathRelax: true }, routes).mp, ['198.18.1.1', '198.18.1.2']);
    // relaxed, but a different MED is still not equal-cost
    const med = [e('198.18.1.1', 65001, { med: 5 }, '1.1.1.1'), e('198.18.1.2', 65002, { med: 6 }, '2.2.2.2')];
    assert.deepEqual(ecmp({ maxPaths: 4, multipathRelax: true }, med).mp, ['198.18.1.1']);
  });

  it('a worse LOCAL_PREF, AS_PATH, ORIGIN, MED, IGP cost or session type keeps a path out', () => {
    const base = e('198.18.1.1', 65001, {}, '1.1.1.1');
    const worse: readonly PeerRoute[] = [
      e('198.18.1.2', 65001, { asPath: [seq(65001, 65001)] }, '2.2.2.2'),
      e('198.18.1.3', 65001, { origin: 1 }, '3.3.3.3'),
      e('198.18.1.4', 65001, { med: 1 }, '4.4.4.4'),
      i('198.18.1.5', { asPath: [seq(65001)] }, '5.5.5.5'),
    ];
    for (const w of worse) assert.deepEqual(ecmp({ maxPaths: 4 }, [base, w]).mp, ['198.18.1.1'], w.id);
    const igp = ecmp({ maxPaths: 4, igpCost: (nh) => (nh === '198.18.1.2' ? 5 : 1) }, [base, e('198.18.1.2', 65001, {}, '2.2.2.2')]);
    assert.deepEqual(igp.mp, ['198.18.1.1']);
    const eq = ecmp({ maxPaths: 4, igpCost: () => 3 }, [base, e('198.18.1.2', 65001, {}, '2.2.2.2')]);
    assert.deepEqual(eq.mp, ['198.18.1.1', '198.18.1.2']);
  });

  it('a change of the multipath set alone is an event, the best path staying', () => {
    const { rib, events } = ecmp({ maxPaths: 4 }, three.slice(1));
    events.length = 0;
    addPeer(rib, { id: '198.18.1.3', asn: 65001, routerId: '3.3.3.3' });
    rib.receiveUpdate('198.18.1.3', announce([P], { origin: 0, asPath: [seq(65001)], nextHop: '198.18.1.3' }));
    assert.equal(events.length, 1);
    assert.equal(events[0]?.kind, 'changed');
    assert.equal(events[0]?.best?.nextHop, '198.18.1.1');
    assert.deepEqual(events[0]?.nextHops, ['198.18.1.1', '198.18.1.2', '198.18.1.3']);
  });
});

describe('bgp/rib decision process: property', () => {
  it('the best path and the multipath set do not depend on insertion order', () => {
    const route = fc.record({
      peer: fc.integer({ min: 1, max: 6 }),
      localPref: fc.option(fc.constantFrom(100, 200), { nil: undefined }),
      pathLen: fc.integer({ min: 1, max: 3 }),
      origin: fc.constantFrom(0, 1, 2),
      med: fc.option(fc.constantFrom(0, 10, 20), { nil: undefined }),
      originator: fc.option(fc.constantFrom('5.5.5.5', '6.6.6.6'), { nil: undefined }),
      cluster: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(route, { minLength: 1, maxLength: 6, selector: (r) => r.peer }),
        fc.boolean(),
        fc.boolean(),
        fc.func(fc.integer()),
        (routes, alwaysCompareMed, missingMedAsWorst, shuffleKey) => {
          // peers 1-3 are eBGP in two different ASes, 4-6 iBGP; router ids deliberately collide
          const specs: PeerRoute[] = routes.map((r) => {
            const ebgp = r.peer <= 3;
            const peerAs = ebgp ? 65001 + (r.peer % 2) : IB;
            const path = [seq(...Array.from({ length: r.pathLen }, (_, k) => (k === 0 && ebgp ? peerAs : 64600 + k)))];
            const attrs: Attrs = {
              origin: r.origin as 0 | 1 | 2,
              asPath: path,
              nextHop: `198.18.2.${r.peer}`,
              ...(r.localPref !== undefined ? { localPref: r.localPref } : {}),
              ...(r.med !== undefined ? { med: r.med } : {}),
              ...(!ebgp && r.originator !== undefined ? { originatorId: rid(r.originator) } : {}),
              ...(!ebgp && r.cluster > 0 ? { clusterList: Array.from({ length: r.cluster }, (_, k) => rid(`7.7.7.${k}`)) } : {}),
            };
            return { id: `198.18.2.${r.peer}`, asn: peerAs, routerId: `9.9.9.${r.peer % 3}`, attrs };
          });
          const config = { alwaysCompareMed, missingMedAsWorst, maxPaths: 4 };
          const forward = specs.map((_, k) => k);
          const shuffled = [...forward].sort((a, b) => shuffleKey(a) - shuffleKey(b) || a - b);
          const outcome = (order: number[]) => {
            const l = build({ config, routes: specs }, order).lookup(pfx(P));
            const entry = l === null ? null : l.candidates.filter((c) => c.multipath).map((c) => c.source);
            return { best: winnerOf(l?.candidates.find((c) => c.best)), reason: l?.reason, mp: entry };
          };
          assert.deepEqual(outcome(shuffled), outcome(forward));
          assert.deepEqual(outcome(forward.toReversed()), outcome(forward));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('bgp/rib decision process: pairwise agreement (property)', () => {
  it('with MED compared everywhere (transitive), the best path beats every other one pairwise, and the reason matches a runner-up', () => {
    const interner = new AttrInterner();
    const ctx = { localAsn: LOCAL_AS, defaultLocalPref: 100, options: { alwaysCompareMed: true }, igpCost: null };
    const pathArb = fc.record({
      peer: fc.integer({ min: 1, max: 8 }),
      ebgp: fc.boolean(),
      localPref: fc.constantFrom(100, 200),
      len: fc.integer({ min: 1, max: 3 }),
      origin: fc.constantFrom(0, 1, 2),
      med: fc.constantFrom(0, 10),
      rid: fc.integer({ min: 1, max: 3 }),
      cluster: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(pathArb, { minLength: 2, maxLength: 6, selector: (r) => r.peer }), (specs) => {
        const paths = specs.map((r) => {
          const src = new Source(`198.18.4.${r.peer}`, 'peer', r.ebgp ? 'ebgp' : 'ibgp', asn(r.ebgp ? 65001 : IB), rid(`9.9.9.${r.rid}`));
          const attrs = interner.intern({ origin: r.origin as 0 | 1 | 2, asPath: [seq(...Array.from({ length: r.len }, () => 65001))], localPref: r.localPref, med: r.med, ...(r.cluster > 0 ? { clusterList: Array.from({ length: r.cluster }, () => rid('7.7.7.7')) } : {}) }, ip(`198.18.4.${r.peer}`));
          return src.path(attrs, 0, 0);
        });
        const d = decide(paths, ctx);
        assert.ok(d.best !== null);
        const results = paths.filter((p) => p !== d.best).map((p) => comparePaths(d.best as Path, p, ctx));
        for (const r of results) assert.equal(r.order, -1);
        // the deciding reason is the step at which the closest competitor lost
        const latest = results.map((r) => DECISION_STEPS.indexOf(r.reason as (typeof DECISION_STEPS)[number])).reduce((a, b) => Math.max(a, b));
        assert.equal(d.reason, DECISION_STEPS[latest]);
      }),
      { numRuns: 300 },
    );
  });
});
