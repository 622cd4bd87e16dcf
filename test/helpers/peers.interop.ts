// Harness self-test (interop tier, root): real daemons peer with each other
// over veths between namespaces, each side originates an IPv4 and an IPv6
// prefix with MED, communities (RFC 1997) and large communities (RFC 8092),
// and each side's normalised rib() must show the other's routes with the
// right AS path, next hop (RFC 4271 §5.1.3, RFC 4760 §3), peer and
// attributes; then run-time withdrawals must propagate. Proves the wrappers
// (config generation, start, waitEstablished, rib parsing, announce/withdraw)
// against each daemon, so our speaker's interop tests can rely on them.
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { Lab, waitFor } from './netns.ts';
import type { Netns } from './netns.ts';
import { Bird } from './peers/bird.ts';
import { Exabgp } from './peers/exabgp.ts';
import { Frr } from './peers/frr.ts';
import { Gobgp } from './peers/gobgp.ts';
import type { BgpDaemon, DaemonKind, DaemonSpec, Family, NeighborSpec, OriginRoute, RibRoute } from './peers/types.ts';

/** How the two sides of a pair are connected. */
type Mode =
  | 'split' // an IPv4 session for ipv4 unicast and an IPv6 session for ipv6 unicast
  | 'mp-over-v4' // one IPv4 session carrying both families
  | 'mp-over-v6'; // one IPv6 session carrying both families

interface PairDef {
  readonly a: DaemonKind;
  readonly b: DaemonKind;
  readonly mode: Mode;
  /** Session options both sides use: TCP MD5 (RFC 2385), eBGP multihop TTL. */
  readonly password?: string;
  readonly multihop?: number;
  /** Make this side passive (GoBGP always is: it dials only after 5-10 s). */
  readonly passive?: DaemonKind;
}

const PAIRS: readonly PairDef[] = [
  { a: 'bird', b: 'frr', mode: 'split', multihop: 2 },
  { a: 'bird', b: 'gobgp', mode: 'mp-over-v4', password: 'podnet-md5' },
  { a: 'exabgp', b: 'bird', mode: 'mp-over-v6', passive: 'exabgp' },
  { a: 'gobgp', b: 'exabgp', mode: 'mp-over-v4', password: 'podnet-md5' },
];

interface Side {
  readonly kind: DaemonKind;
  readonly asn: number;
  readonly v4: string;
  readonly v6: string;
  readonly routes: readonly OriginRoute[];
  daemon?: BgpDaemon;
}

interface Pair {
  readonly def: PairDef;
  readonly name: string;
  readonly a: Side;
  readonly b: Side;
}

function side(kind: DaemonKind, i: number, n: 1 | 2): Side {
  const id = 2 * i + n;
  const asn = 65000 + id;
  return {
    kind,
    asn,
    v4: `198.18.${i}.${n}`,
    v6: `fd00:0:0:${i}::${n}`,
    routes: [
      { prefix: `10.244.${id}.0/24`, med: 100 + id, communities: [`${asn}:${id}`, `64512:${id}`], largeCommunities: [`${asn}:1:${id}`] },
      { prefix: `fd00:244:${id}::/64`, med: 200 + id, communities: [`${asn}:${600 + id}`], largeCommunities: [`${asn}:2:${id}`] },
    ],
  };
}

/** The sessions `self` opens toward `peer` for a pair's mode. */
function neighbors(self: Side, peer: Side, def: PairDef): NeighborSpec[] {
  const mode = def.mode;
  const passive = self.kind === 'gobgp' || self.kind === def.passive;
  const common = {
    asn: peer.asn,
    holdTime: 30,
    ...(passive ? { passive: true } : {}),
    ...(def.password === undefined ? {} : { password: def.password }),
    ...(def.multihop === undefined ? {} : { multihop: def.multihop }),
  };
  if (mode === 'split') return [{ ...common, address: peer.v4, families: ['ipv4'] }, { ...common, address: peer.v6, families: ['ipv6'] }];
  return [{ ...common, address: mode === 'mp-over-v4' ? peer.v4 : peer.v6, families: ['ipv4', 'ipv6'] }];
}

function start(kind: DaemonKind, spec: DaemonSpec): Promise<BgpDaemon> {
  switch (kind) {
    case 'bird':
      return Bird.start(spec, { kernel: true });
    case 'frr':
      return Frr.start(spec);
    case 'gobgp':
      return Gobgp.start(spec);
    case 'exabgp':
      return Exabgp.start(spec);
  }
}

async function startSide(ns: Netns, self: Side, peer: Side, def: PairDef): Promise<BgpDaemon> {
  const mode = def.mode;
  return start(self.kind, {
    ns,
    routerId: self.v4,
    asn: self.asn,
    listenAddress: mode === 'mp-over-v6' ? self.v6 : self.v4,
    nextHop: { ipv4: self.v4, ipv6: self.v6 },
    neighbors: neighbors(self, peer, def),
    routes: self.routes,
  });
}

/** The route `receiver` should hold for `route` originated by `sender`. */
function expected(sender: Side, route: OriginRoute, mode: Mode): RibRoute {
  const fam: Family = route.prefix.includes(':') ? 'ipv6' : 'ipv4';
  const peer = mode === 'mp-over-v4' ? sender.v4 : mode === 'mp-over-v6' ? sender.v6 : fam === 'ipv4' ? sender.v4 : sender.v6;
  return {
    prefix: route.prefix,
    nextHop: fam === 'ipv4' ? sender.v4 : sender.v6,
    asPath: [sender.asn],
    ...(route.med === undefined ? {} : { med: route.med }),
    communities: [...(route.communities ?? [])],
    largeCommunities: [...(route.largeCommunities ?? [])],
    peer,
  };
}

/** The comparable part of a received route (LOCAL_PREF differs by daemon on eBGP: BIRD shows its default 100). */
function comparable(r: RibRoute): RibRoute {
  const { localPref: _lp, ...rest } = r;
  return { ...rest, communities: [...r.communities].sort(), largeCommunities: [...r.largeCommunities].sort() };
}

/** Polls `receiver`'s rib until it holds `want` for each of `sender`'s routes; returns the last rib on timeout for the diff. */
async function assertLearned(receiver: Side, sender: Side, mode: Mode): Promise<void> {
  const d = receiver.daemon;
  assert.ok(d !== undefined);
  const want = sender.routes.map((r) => comparable(expected(sender, r, mode)));
  let got: RibRoute[] = [];
  await waitFor(`${receiver.kind} to learn ${sender.kind}'s routes`, async () => {
    const rib = await d.rib();
    got = want.map((w) => rib.find((r) => r.prefix === w.prefix)).filter((r) => r !== undefined).map(comparable);
    return isDeepStrictEqual(got, want);
  }, { timeoutMs: 20_000, intervalMs: 200 }).catch(() => undefined);
  assert.deepEqual(got, want, `${receiver.kind}'s rib for ${sender.kind}'s prefixes`);
}

/** The namespace FIB's route for `prefix` (`ip route show`). */
async function kernelRoute(ns: Netns, prefix: string): Promise<string> {
  return (await ns.ip([prefix.includes(':') ? '-6' : '-4', 'route', 'show', prefix])).stdout;
}

/** Polls until none of `prefixes` is in `receiver`'s rib. */
async function gone(receiver: BgpDaemon, prefixes: readonly string[]): Promise<void> {
  await waitFor(`${receiver.kind} to drop ${prefixes.join(', ')}`, async () => {
    const rib = await receiver.rib();
    return prefixes.every((px) => !rib.some((r) => r.prefix === px));
  }, { timeoutMs: 20_000, intervalMs: 200 });
}

describe('harness: real BGP daemons peer in namespaces', function () {
  this.timeout(120_000);
  let lab: Lab | undefined;
  const pairs: Pair[] = PAIRS.map((def, i) => ({
    def,
    name: `${def.a}<->${def.b} (${[def.mode, def.password === undefined ? '' : 'MD5', def.multihop === undefined ? '' : `multihop ${def.multihop}`, def.passive === undefined ? '' : `${def.passive} passive`].filter((x) => x !== '').join(', ')})`, a: side(def.a, i + 1, 1), b: side(def.b, i + 1, 2) }));

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    const l = await Lab.create();
    lab = l;
    await Promise.all(
      pairs.map(async (p, i) => {
        const na = await l.addNamespace(`p${i}a`);
        const nb = await l.addNamespace(`p${i}b`);
        await l.veth({ ns: na, ifname: 'eth0', addresses: [`${p.a.v4}/30`, `${p.a.v6}/64`] }, { ns: nb, ifname: 'eth0', addresses: [`${p.b.v4}/30`, `${p.b.v6}/64`] });
        [p.a.daemon, p.b.daemon] = await Promise.all([startSide(na, p.a, p.b, p.def), startSide(nb, p.b, p.a, p.def)]);
      }),
    );
    await Promise.all(
      pairs.flatMap((p) => [
        ...neighbors(p.a, p.b, p.def).map((n) => p.a.daemon?.waitEstablished(n.address, 40_000)),
        ...neighbors(p.b, p.a, p.def).map((n) => p.b.daemon?.waitEstablished(n.address, 40_000)),
      ]),
    );
  });

  after(async function () {
    for (const p of pairs) for (const s of [p.a, p.b]) await s.daemon?.stop().catch(() => undefined);
    await lab?.teardown();
  });

  for (const p of pairs) {
    it(`${p.name}: each side learns the other's IPv4 and IPv6 routes with AS path, next hop and attributes`, async function () {
      await Promise.all([assertLearned(p.b, p.a, p.def.mode), assertLearned(p.a, p.b, p.def.mode)]);
    });
  }

  it('BIRD (kernel protocol) and FRR (zebra) install the routes they learned into their namespace FIB', async function () {
    const p = pairs[0];
    assert.ok(p !== undefined && p.def.a === 'bird' && p.def.b === 'frr');
    for (const [receiver, sender] of [[p.a, p.b], [p.b, p.a]] as const) {
      const ns = receiver.daemon?.spec.ns;
      assert.ok(ns !== undefined);
      for (const r of sender.routes) {
        // IPv6: BIRD installs the link-local next hop of MP_REACH when there is one (RFC 2545 §3).
        const via = r.prefix.includes(':') ? new RegExp(`via (${sender.v6}|fe80::[0-9a-f:]+) dev eth0`) : new RegExp(`via ${sender.v4} dev eth0`);
        await waitFor(`${receiver.kind}: kernel route ${r.prefix} ${via.source}`, async () => via.test(await kernelRoute(ns, r.prefix)), {
          timeoutMs: 10_000,
          intervalMs: 100,
        });
      }
    }
  });

  for (const p of pairs) {
    it(`${p.name}: run-time announce and withdraw propagate both ways`, async function () {
      const a = p.a.daemon;
      const b = p.b.daemon;
      assert.ok(a !== undefined && b !== undefined);
      // A new route announced at run time arrives with its attributes.
      const extra: OriginRoute = { prefix: `10.244.${200 + pairs.indexOf(p)}.0/24`, med: 7, communities: [`${p.a.asn}:7`] };
      await a.announce(extra);
      const want = comparable(expected(p.a, extra, p.def.mode));
      await waitFor(`${p.b.kind} to learn ${extra.prefix}`, async () => {
        const r = (await b.rib('ipv4')).find((x) => x.prefix === extra.prefix);
        return r !== undefined && isDeepStrictEqual(comparable(r), want);
      }, { timeoutMs: 20_000, intervalMs: 200 });
      // Withdrawals of both families from both sides vanish from the other side.
      const fromA = [extra.prefix, ...p.a.routes.map((r) => r.prefix)];
      const fromB = p.b.routes.map((r) => r.prefix);
      for (const px of fromA) await a.withdraw(px);
      for (const px of fromB) await b.withdraw(px);
      await Promise.all([gone(b, fromA), gone(a, fromB)]);
    });
  }
});

describe('harness: exportStatic false, non-default ports', function () {
  this.timeout(60_000);
  before(function () {
    if (process.getuid?.() !== 0) this.skip();
  });

  it('BIRD and FRR originate but announce nothing to a neighbour with exportStatic: false', async function () {
    const lab = await Lab.create();
    const daemons: BgpDaemon[] = [];
    try {
      const a = await lab.addNamespace('xa');
      const b = await lab.addNamespace('xb');
      await lab.veth({ ns: a, ifname: 'eth0', addresses: ['198.18.9.1/30'] }, { ns: b, ifname: 'eth0', addresses: ['198.18.9.2/30'] });
      const bird = await Bird.start({ ns: a, routerId: '198.18.9.1', asn: 65091, neighbors: [{ address: '198.18.9.2', asn: 65092, exportStatic: false }], routes: [{ prefix: '10.244.91.0/24', med: 1 }] });
      daemons.push(bird);
      const frr = await Frr.start({ ns: b, routerId: '198.18.9.2', asn: 65092, neighbors: [{ address: '198.18.9.1', asn: 65091, exportStatic: false }], routes: [{ prefix: '10.244.92.0/24', med: 2 }] });
      daemons.push(frr);
      await frr.waitEstablished('198.18.9.1');
      // BIRD's End-of-RIB ends its initial announcements (BIRD advertises GR, so FRR tracks it).
      await waitFor('FRR to receive End-of-RIB from BIRD', () => frr.endOfRibReceived('198.18.9.1', 'ipv4'), { timeoutMs: 20_000 });
      assert.deepEqual((await frr.rib('ipv4')).map((r) => r.prefix), ['10.244.92.0/24'], 'FRR holds only its own route');
      assert.deepEqual(await frr.advertised('198.18.9.1', 'ipv4'), [], 'FRR advertises nothing');
      assert.deepEqual((await bird.rib('ipv4')).map((r) => r.prefix), ['10.244.91.0/24'], 'BIRD holds only its own route');
    } finally {
      for (const d of daemons) await d.stop();
      await lab.teardown();
    }
  });

  it('every daemon listens on and dials non-default TCP ports', async function () {
    const lab = await Lab.create();
    const daemons: BgpDaemon[] = [];
    try {
      const hub = await lab.addNamespace('ph');
      await hub.ip(['link', 'add', 'br0', 'type', 'bridge']);
      await hub.linkUp('br0');
      const ns: Netns[] = [];
      for (const i of [1, 2, 3, 4]) {
        const n = await lab.addNamespace(`p${i}`);
        await lab.veth({ ns: n, ifname: 'eth0', addresses: [`198.18.8.${i}/24`] }, { ns: hub, ifname: `v${i}` });
        await hub.ip(['link', 'set', `v${i}`, 'master', 'br0']);
        ns.push(n);
      }
      const [n1, n2, n3, n4] = ns as [Netns, Netns, Netns, Netns];
      const ip = (i: number): string => `198.18.8.${i}`;
      // BIRD :1791 <-> FRR :1792; ExaBGP dials BIRD :1791; FRR dials GoBGP :1794.
      daemons.push(await Bird.start({ ns: n1, routerId: ip(1), asn: 65081, listenPort: 1791, neighbors: [{ address: ip(2), asn: 65082, port: 1792 }, { address: ip(3), asn: 65083, passive: true }] }));
      daemons.push(await Frr.start({ ns: n2, routerId: ip(2), asn: 65082, listenPort: 1792, neighbors: [{ address: ip(1), asn: 65081, port: 1791 }, { address: ip(4), asn: 65084, port: 1794 }] }));
      daemons.push(await Exabgp.start({ ns: n3, routerId: ip(3), asn: 65083, listenAddress: ip(3), neighbors: [{ address: ip(1), asn: 65081, port: 1791 }] }));
      daemons.push(await Gobgp.start({ ns: n4, routerId: ip(4), asn: 65084, listenPort: 1794, neighbors: [{ address: ip(2), asn: 65082, passive: true }] }));
      const [bird, , exa, gobgp] = daemons as [BgpDaemon, BgpDaemon, BgpDaemon, BgpDaemon];
      await Promise.all([bird.waitEstablished(ip(2)), exa.waitEstablished(ip(1)), gobgp.waitEstablished(ip(2))]);
      const listening = (await n1.exec('ss', ['-Htln'])).stdout;
      assert.match(listening, /:1791\b/);
      assert.doesNotMatch(listening, /:179\b/, 'BIRD also listens on 179');
    } finally {
      for (const d of daemons) await d.stop();
      await lab.teardown();
    }
  });
});
