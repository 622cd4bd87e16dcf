// Interop (root): routing policy as data (bgp/policy) between our bgpd and
// two BIRD eBGP peers, with RFC 8212 on.
// - Export chain toward BIRD A, each action visible in BIRD's RIB: a prefix
//   rejected by an exact match, a community added and a MED set, an AS-path
//   prepend and a large community, a community of the route removed, the rest
//   accepted unchanged.
// - Import chain from BIRD A, visible in our RIB: a route with a given
//   community refused, LOCAL_PREF set on another, prefixes longer than /24
//   inside 10.90.0.0/16 refused (ge 25).
// - BIRD B has no chain: with ebgp-require-policy nothing goes either way.
// - A reload with changed policies applies them without a session reset: the
//   exported reject and the import community reject are lifted.
import assert from 'node:assert/strict';
import { Lab, waitFor, type Netns } from '../helpers/netns.ts';
import { Bird } from '../helpers/peers/bird.ts';
import type { RibRoute } from '../helpers/peers/types.ts';
import { Bgpd, type BgpdSpec } from './bgpd-harness.ts';

const US = 65001;
const A = { ours: '198.18.81.1', theirs: '198.18.81.2', asn: 65081 };
const B = { ours: '198.18.82.1', theirs: '198.18.82.2', asn: 65082 };

function policies(strict: boolean): string {
  return `policies:
  - name: to-a
    terms:
${strict ? '      - { match: { prefixes: [{ prefix: 10.81.1.0/24 }] }, action: reject }\n' : ''}      - { match: { prefixes: [{ prefix: 10.81.2.0/24 }] }, set: { communities: { add: ["65001:2"] }, med: 20 }, action: accept }
      - { match: { prefixes: [{ prefix: 10.81.3.0/24 }] }, set: { prepend: { count: 2 }, largeCommunities: { add: ["65001:3:3"] } }, action: accept }
      - { match: { communities: ["65001:99"] }, set: { communities: { remove: ["65001:99"] } }, action: accept }
  - name: from-a
    terms:
${strict ? '      - { match: { communities: ["65081:1"] }, action: reject }\n' : ''}      - { match: { prefixes: [{ prefix: 10.90.0.0/16, ge: 25 }] }, action: reject }
      - { match: { prefixes: [{ prefix: 10.90.2.0/24 }] }, set: { localPref: 250 }, action: accept }
ebgp-require-policy: true
`;
}

function spec(strict: boolean): BgpdSpec {
  return {
    name: 'pol',
    routerId: A.ours,
    asn: US,
    listen: [A.ours, B.ours],
    nextHop: { ipv4: A.ours },
    peers: [
      { address: A.theirs, asn: A.asn, families: ['ipv4'], holdTime: 30, connectRetry: 1, importPolicy: ['from-a'], exportPolicy: ['to-a'] },
      { address: B.theirs, asn: B.asn, families: ['ipv4'], holdTime: 30, connectRetry: 1 },
    ],
    routes: [
      { prefix: '10.81.1.0/24' },
      { prefix: '10.81.2.0/24' },
      { prefix: '10.81.3.0/24' },
      { prefix: '10.81.4.0/24', communities: ['65001:99', '65001:4'] },
      { prefix: '10.81.5.0/24' },
    ],
    extraYaml: policies(strict),
  };
}

describe('interop: routing policy (data) and RFC 8212 with BIRD', function () {
  this.timeout(90_000);
  let lab: Lab | undefined;
  let b: Bgpd | undefined;
  let birdA: Bird | undefined;
  let birdB: Bird | undefined;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    const l = await Lab.create();
    lab = l;
    const us: Netns = await l.addNamespace('pol');
    const a: Netns = await l.addNamespace('pa');
    const bb: Netns = await l.addNamespace('pb');
    await l.veth({ ns: us, ifname: 'eth0', addresses: [`${A.ours}/30`] }, { ns: a, ifname: 'eth0', addresses: [`${A.theirs}/30`] });
    await l.veth({ ns: us, ifname: 'eth1', addresses: [`${B.ours}/30`] }, { ns: bb, ifname: 'eth0', addresses: [`${B.theirs}/30`] });
    b = Bgpd.start(us, l.dir, spec(true));
    birdA = await Bird.start({
      ns: a, routerId: A.theirs, asn: A.asn, listenAddress: A.theirs,
      neighbors: [{ address: A.ours, asn: US, families: ['ipv4'], holdTime: 30 }],
      routes: [{ prefix: '10.90.1.0/24', communities: ['65081:1'] }, { prefix: '10.90.2.0/24' }, { prefix: '10.90.3.0/25' }, { prefix: '10.90.4.0/24' }],
    });
    birdB = await Bird.start({ ns: bb, routerId: B.theirs, asn: B.asn, listenAddress: B.theirs, neighbors: [{ address: B.ours, asn: US, families: ['ipv4'], holdTime: 30 }], routes: [{ prefix: '10.91.1.0/24' }] });
    await birdA.waitEstablished(A.ours, 30_000);
    await birdB.waitEstablished(B.ours, 30_000);
  });

  after(async function () {
    await b?.proc.stop().catch(() => undefined);
    await birdA?.stop().catch(() => undefined);
    await birdB?.stop().catch(() => undefined);
    await lab?.teardown();
  });

  const ribA = async (): Promise<Map<string, RibRoute>> => new Map(((await birdA?.rib('ipv4')) ?? []).filter((r) => r.peer !== undefined).map((r) => [r.prefix, r]));

  it('export: each action shows in BIRD A\'s RIB', async function () {
    const got = await waitFor('our routes at BIRD A', async () => {
      const r = await ribA();
      return r.has('10.81.5.0/24') && r.has('10.81.2.0/24') && r.has('10.81.3.0/24') && r.has('10.81.4.0/24') ? r : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 }).catch((e: unknown) => assert.fail(`${String(e)}\n${b?.log() ?? ''}`));
    assert.equal(got.has('10.81.1.0/24'), false, 'rejected by an exact prefix match');
    assert.deepEqual(got.get('10.81.2.0/24')?.communities, ['65001:2'], 'community added');
    assert.equal(got.get('10.81.2.0/24')?.med, 20, 'MED set');
    assert.deepEqual(got.get('10.81.3.0/24')?.asPath, [US, US, US], 'prepended twice after ours');
    assert.deepEqual(got.get('10.81.3.0/24')?.largeCommunities, ['65001:3:3'], 'large community added');
    assert.deepEqual(got.get('10.81.4.0/24')?.communities, ['65001:4'], 'community 65001:99 removed, 65001:4 kept');
    assert.deepEqual(got.get('10.81.5.0/24')?.asPath, [US], 'the rest unchanged');
  });

  it('import: refused by community and by prefix length, LOCAL_PREF set; RFC 8212: nothing with BIRD B', async function () {
    const bgpd = b as Bgpd;
    const rib = await waitFor('BIRD A routes in our RIB', async () => {
      const r = await bgpd.learned();
      return r.has('10.90.2.0/24') && r.has('10.90.4.0/24') ? r : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal(rib.has('10.90.1.0/24'), false, 'refused: community 65081:1');
    assert.equal(rib.has('10.90.3.0/25'), false, 'refused: longer than /24 inside 10.90.0.0/16');
    assert.equal(rib.get('10.90.2.0/24')?.localPref, 250, 'LOCAL_PREF set on import');
    assert.equal(rib.get('10.90.4.0/24')?.localPref ?? null, null, 'untouched');
    // RFC 8212: BIRD B has no chain, so nothing either way
    assert.equal(rib.has('10.91.1.0/24'), false, 'nothing accepted from an eBGP peer without an import policy');
    const atB = ((await birdB?.rib('ipv4')) ?? []).filter((r) => r.peer !== undefined);
    assert.deepEqual(atB, [], 'nothing sent to an eBGP peer without an export policy');
  });

  it('a reload with changed policies re-exports and route-refreshes without a session reset', async function () {
    const bgpd = b as Bgpd;
    const before = (await bgpd.neighbor(A.theirs)).messages.established;
    bgpd.reload(spec(false));
    await waitFor('10.81.1.0/24 exported now', async () => (await ribA()).has('10.81.1.0/24'), { timeoutMs: 20_000, intervalMs: 200 });
    await waitFor('10.90.1.0/24 imported now (ROUTE-REFRESH)', async () => (await bgpd.learned()).has('10.90.1.0/24'), { timeoutMs: 20_000, intervalMs: 200 });
    const n = await bgpd.neighbor(A.theirs);
    assert.equal(n.messages.established, before, 'no session reset');
    assert.ok(n.messages.routeRefreshOut >= 1);
  });
});
