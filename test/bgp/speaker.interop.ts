// Interop (root): our `podnet bgpd` in one namespace peers with a real BGP
// daemon in another, over a veth: BIRD (eBGP, IPv4 and IPv6 over one IPv4
// session, MP-BGP), FRR (iBGP, an IPv4 session for IPv4 and an IPv6 session
// for IPv6) and GoBGP (eBGP, both families over one IPv6 session). Each side
// must learn the other's IPv4 and IPv6 prefixes with AS_PATH, NEXT_HOP, MED,
// communities and large communities (RFC 4271 §5.1, RFC 4760, RFC 1997,
// RFC 8092); then a prefix withdrawn on either side (ours by a SIGHUP reload)
// must disappear on the other; FRR's RFC 9003 shutdown message shows as our
// neighbour's last error.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { DestinationView, NeighborView, PathView } from '../../bgp/index.ts';
import { apiRequest } from '../../src/api/client.ts';
import { Lab, waitFor, type Netns, type NsProcess } from '../helpers/netns.ts';
import { Bird } from '../helpers/peers/bird.ts';
import { Frr } from '../helpers/peers/frr.ts';
import { Gobgp } from '../helpers/peers/gobgp.ts';
import type { BgpDaemon, DaemonKind, DaemonSpec, NeighborSpec, OriginRoute, RibRoute } from '../helpers/peers/types.ts';

const podnet = fileURLToPath(new URL('../../src/bin/podnet.ts', import.meta.url));
const OUR_ASN = 65001;

type Mode = 'mp-over-v4' | 'mp-over-v6' | 'split';

interface Case {
  readonly kind: Exclude<DaemonKind, 'exabgp'>;
  readonly mode: Mode;
  readonly peerAsn: number;
  readonly i: number;
}

const CASES: readonly Case[] = [
  { kind: 'bird', mode: 'mp-over-v4', peerAsn: 65002, i: 41 },
  { kind: 'frr', mode: 'split', peerAsn: OUR_ASN, i: 42 },
  { kind: 'gobgp', mode: 'mp-over-v6', peerAsn: 65004, i: 43 },
];

const ours = (c: Case): { v4: string; v6: string } => ({ v4: `198.18.${c.i}.1`, v6: `fd00:0:0:${c.i}::1` });
const theirs = (c: Case): { v4: string; v6: string } => ({ v4: `198.18.${c.i}.2`, v6: `fd00:0:0:${c.i}::2` });

function ourRoutes(c: Case): OriginRoute[] {
  return [
    { prefix: `10.244.${c.i}.0/24`, med: 10 + c.i, communities: [`${OUR_ASN}:${c.i}`], largeCommunities: [`${OUR_ASN}:1:${c.i}`] },
    { prefix: `fd00:244:${c.i}::/64`, med: 20 + c.i, communities: [`${OUR_ASN}:${100 + c.i}`], largeCommunities: [`${OUR_ASN}:2:${c.i}`] },
    { prefix: `10.245.${c.i}.0/24`, communities: [`${OUR_ASN}:7`] },
  ];
}

function theirRoutes(c: Case): OriginRoute[] {
  return [
    { prefix: `10.246.${c.i}.0/24`, med: 30 + c.i, communities: [`${c.peerAsn}:${c.i}`], largeCommunities: [`${c.peerAsn}:3:${c.i}`] },
    { prefix: `fd00:246:${c.i}::/64`, med: 40 + c.i, communities: [`${c.peerAsn}:${200 + c.i}`], largeCommunities: [`${c.peerAsn}:4:${c.i}`] },
  ];
}

/** The sessions as (our neighbour address, their neighbour address, families). */
function sessions(c: Case): { ourPeer: string; theirPeer: string; families: ('ipv4' | 'ipv6')[] }[] {
  const o = ours(c);
  const t = theirs(c);
  if (c.mode === 'split') return [{ ourPeer: t.v4, theirPeer: o.v4, families: ['ipv4'] }, { ourPeer: t.v6, theirPeer: o.v6, families: ['ipv6'] }];
  const v6 = c.mode === 'mp-over-v6';
  return [{ ourPeer: v6 ? t.v6 : t.v4, theirPeer: v6 ? o.v6 : o.v4, families: ['ipv4', 'ipv6'] }];
}

function bgpdConfig(c: Case, socket: string, routes: readonly OriginRoute[]): string {
  const o = ours(c);
  const lines = [`router-id: ${o.v4}`, `asn: ${OUR_ASN}`, `listen: { addresses: [${o.v4}, "${o.v6}"], port: 179 }`, `api-socket: ${socket}`, 'peers:'];
  for (const s of sessions(c)) {
    const fams = s.families.map((f) => `${f}-unicast`).join(', ');
    lines.push(`  - { address: "${s.ourPeer}", remote-asn: ${c.peerAsn}, hold-time: 30, connect-retry: 2, families: [${fams}], next-hop-ipv4: ${o.v4}, next-hop-ipv6: "${o.v6}" }`);
  }
  lines.push('prefixes:');
  for (const r of routes) {
    const attrs = [`prefix: "${r.prefix}"`];
    if (r.med !== undefined) attrs.push(`med: ${r.med}`);
    if (r.communities !== undefined) attrs.push(`communities: [${r.communities.map((x) => `"${x}"`).join(', ')}]`);
    if (r.largeCommunities !== undefined) attrs.push(`large-communities: [${r.largeCommunities.map((x) => `"${x}"`).join(', ')}]`);
    lines.push(`  - { ${attrs.join(', ')} }`);
  }
  return `${lines.join('\n')}\n`;
}

function startDaemon(c: Case, ns: Netns): Promise<BgpDaemon> {
  const t = theirs(c);
  const neighbors: NeighborSpec[] = sessions(c).map((s) => ({
    address: s.theirPeer,
    asn: OUR_ASN,
    families: s.families,
    holdTime: 30,
    // GoBGP dials only 5-10 s after start: it waits for us
    ...(c.kind === 'gobgp' ? { passive: true } : {}),
  }));
  const spec: DaemonSpec = {
    ns,
    routerId: t.v4,
    asn: c.peerAsn,
    // split mode listens on both families
    ...(c.mode === 'split' ? {} : { listenAddress: c.mode === 'mp-over-v6' ? t.v6 : t.v4 }),
    nextHop: { ipv4: t.v4, ipv6: t.v6 },
    neighbors,
    routes: theirRoutes(c),
  };
  if (c.kind === 'bird') return Bird.start(spec);
  if (c.kind === 'frr') return Frr.start(spec);
  return Gobgp.start(spec);
}

/** The session carrying a prefix's family. */
function sessionOf(c: Case, prefix: string): { ourPeer: string; theirPeer: string } {
  const fam = prefix.includes(':') ? 'ipv6' : 'ipv4';
  const s = sessions(c).find((x) => x.families.includes(fam));
  assert.ok(s !== undefined);
  return s;
}

/** What the daemon should hold for one of our routes: next hop ours (self on eBGP, RFC 4271 §5.1.3), AS_PATH [us] on eBGP, [] on iBGP. */
function expectedThere(c: Case, r: OriginRoute): RibRoute {
  const v6 = r.prefix.includes(':');
  return {
    prefix: r.prefix,
    nextHop: v6 ? ours(c).v6 : ours(c).v4,
    asPath: c.peerAsn === OUR_ASN ? [] : [OUR_ASN],
    ...(r.med !== undefined ? { med: r.med } : {}),
    communities: [...(r.communities ?? [])].sort(),
    largeCommunities: [...(r.largeCommunities ?? [])].sort(),
    peer: sessionOf(c, r.prefix).theirPeer,
  };
}

function comparable(r: RibRoute): RibRoute {
  const { localPref: _lp, ...rest } = r;
  return { ...rest, communities: [...r.communities].sort(), largeCommunities: [...r.largeCommunities].sort() };
}

/** Our view of one of their routes, in the daemon-neutral shape. */
function fromOurRib(p: PathView): RibRoute {
  return {
    prefix: p.prefix,
    nextHop: p.nextHop ?? '',
    asPath: p.asPath.flatMap((s) => [...s.asns]),
    ...(p.med !== null ? { med: p.med } : {}),
    communities: [...p.communities].sort(),
    largeCommunities: [...p.largeCommunities].sort(),
    peer: p.source,
  };
}

function expectedHere(c: Case, r: OriginRoute): RibRoute {
  const v6 = r.prefix.includes(':');
  return {
    prefix: r.prefix,
    nextHop: v6 ? theirs(c).v6 : theirs(c).v4,
    asPath: c.peerAsn === OUR_ASN ? [] : [c.peerAsn],
    ...(r.med !== undefined ? { med: r.med } : {}),
    communities: [...(r.communities ?? [])].sort(),
    largeCommunities: [...(r.largeCommunities ?? [])].sort(),
    peer: sessionOf(c, r.prefix).ourPeer,
  };
}

async function ourRib(socket: string): Promise<Map<string, PathView>> {
  const ds = (await apiRequest(socket, 'GET', '/v1/bgp/rib')) as DestinationView[];
  return new Map(ds.flatMap((d) => d.paths.filter((p) => p.best && p.source !== 'local').map((p) => [d.prefix, p] as const)));
}

describe('interop: podnet bgpd with BIRD, FRR and GoBGP', function () {
  this.timeout(90_000);
  let lab: Lab | undefined;
  const bgpds = new Map<string, { proc: NsProcess; socket: string; configFile: string }>();
  const daemons = new Map<string, BgpDaemon>();

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    const l = await Lab.create();
    lab = l;
    await Promise.all(
      CASES.map(async (c) => {
        const us = await l.addNamespace(`u${c.i}`);
        const them = await l.addNamespace(`t${c.i}`);
        await l.veth({ ns: us, ifname: 'eth0', addresses: [`${ours(c).v4}/30`, `${ours(c).v6}/64`] }, { ns: them, ifname: 'eth0', addresses: [`${theirs(c).v4}/30`, `${theirs(c).v6}/64`] });
        const socket = join(l.dir, `bgpd-${c.kind}`, 'api.sock');
        const configFile = join(l.dir, `bgpd-${c.kind}.yaml`);
        writeFileSync(configFile, bgpdConfig(c, socket, ourRoutes(c)));
        daemons.set(c.kind, await startDaemon(c, them));
        bgpds.set(c.kind, { proc: us.spawnNode(`bgpd-${c.kind}`, podnet, ['bgpd', '--config', configFile, '-v', '1']), socket, configFile });
      }),
    );
  });

  after(async function () {
    for (const b of bgpds.values()) await b.proc.stop().catch(() => undefined);
    for (const d of daemons.values()) await d.stop().catch(() => undefined);
    await lab?.teardown();
  });

  for (const c of CASES) {
    it(`${c.kind} (${c.peerAsn === OUR_ASN ? 'iBGP' : 'eBGP'}, ${c.mode}): routes with attributes both ways, withdrawals propagate`, async function () {
      const d = daemons.get(c.kind);
      const b = bgpds.get(c.kind);
      assert.ok(d !== undefined && b !== undefined);
      const diag = (): string => `\n--- ${c.kind} log ---\n${d.log().slice(-3000)}\n--- bgpd log ---\n${b.proc.log().slice(-3000)}`;
      for (const s of sessions(c)) {
        await d.waitEstablished(s.theirPeer, 40_000).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
        await waitFor(`our session to ${s.ourPeer}`, async () => ((await apiRequest(b.socket, 'GET', `/v1/bgp/neighbor?address=${s.ourPeer}`)) as NeighborView).state === 'Established', { timeoutMs: 20_000 });
      }
      // theirs at ours
      const wantHere = theirRoutes(c).map((r) => expectedHere(c, r));
      let gotHere: RibRoute[] = [];
      await waitFor(`bgpd to learn ${c.kind}'s routes`, async () => {
        const rib = await ourRib(b.socket);
        gotHere = wantHere.map((w) => rib.get(w.prefix)).filter((p): p is PathView => p !== undefined).map(fromOurRib);
        return isDeepStrictEqual(gotHere, wantHere);
      }, { timeoutMs: 20_000, intervalMs: 200 }).catch(() => undefined);
      assert.deepEqual(gotHere, wantHere, `our rib for ${c.kind}'s prefixes${diag()}`);
      // ours at theirs
      const wantThere = ourRoutes(c).map((r) => comparable(expectedThere(c, r)));
      let gotThere: RibRoute[] = [];
      await waitFor(`${c.kind} to learn our routes`, async () => {
        const rib = await d.rib();
        gotThere = wantThere.map((w) => rib.find((r) => r.prefix === w.prefix)).filter((r): r is RibRoute => r !== undefined).map(comparable);
        return isDeepStrictEqual(gotThere, wantThere);
      }, { timeoutMs: 20_000, intervalMs: 200 }).catch(() => undefined);
      assert.deepEqual(gotThere, wantThere, `${c.kind}'s rib for our prefixes${diag()}`);

      // our withdrawal (SIGHUP with one prefix less) reaches them
      const gone = ourRoutes(c)[2] as OriginRoute;
      writeFileSync(b.configFile, bgpdConfig(c, b.socket, ourRoutes(c).filter((r) => r.prefix !== gone.prefix)));
      process.kill(b.proc.pid, 'SIGHUP');
      await waitFor(`${c.kind} to drop ${gone.prefix}`, async () => !(await d.rib()).some((r) => r.prefix === gone.prefix), { timeoutMs: 20_000, intervalMs: 200 }).catch((e: unknown) =>
        assert.fail(`${String(e)}${diag()}`),
      );
      // their withdrawal reaches us
      const theirGone = theirRoutes(c)[1] as OriginRoute;
      await d.withdraw(theirGone.prefix);
      await waitFor(`bgpd to drop ${theirGone.prefix}`, async () => !(await ourRib(b.socket)).has(theirGone.prefix), { timeoutMs: 20_000, intervalMs: 200 });
      // the rest stays, and the sessions never dropped
      assert.ok((await ourRib(b.socket)).has(theirRoutes(c)[0]?.prefix ?? ''));
      for (const s of sessions(c)) {
        const n = (await apiRequest(b.socket, 'GET', `/v1/bgp/neighbor?address=${s.ourPeer}`)) as NeighborView;
        assert.equal(n.state, 'Established');
        assert.equal(n.messages.established, 1, `one session to ${s.ourPeer} all along`);
      }
      if (d instanceof Frr) {
        // RFC 9003: FRR's shutdown message reaches our neighbour view as the last error
        const s = sessions(c)[0];
        assert.ok(s !== undefined);
        await d.shutdownNeighbor(s.theirPeer, 'frr maintenance 9');
        const err = await waitFor(`our view of FRR's shutdown`, async () => ((await apiRequest(b.socket, 'GET', `/v1/bgp/neighbor?address=${s.ourPeer}`)) as NeighborView).lastError ?? undefined, { timeoutMs: 10_000 });
        assert.deepEqual([err.notification?.direction, err.notification?.code, err.notification?.subcode, err.notification?.communication], ['received', 6, 2, 'frr maintenance 9']);
      }
    });
  }
});
