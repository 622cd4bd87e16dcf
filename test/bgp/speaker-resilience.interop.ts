// Interop (root): our `podnet bgpd` survives what happens to real peers,
// without anyone touching our process. Two BIRD pairs run in parallel.
// 1. Peer restart: BIRD is stopped (its Cease reaches us, RFC 4486) — our
//    neighbour goes down and BIRD's routes leave our RIB (RFC 4271 §9.1.3:
//    the peer's routes are withdrawn when its session ends); a new BIRD on the
//    same address comes up and the session re-establishes by itself (our
//    connect retry / its own connect), its routes are back with their
//    attributes, and BIRD has ours again.
// 2. Hold-timer expiry: hold time 3 s; the link is cut inside BIRD's
//    namespace (no FIN, no RST: silence) — within ~3-4 s our neighbour goes
//    down with "hold timer expired" and NOTIFICATION 4/0 sent (RFC 4271 §6.5,
//    §8.2.2 event 10), BIRD's routes leave our RIB; the link comes back and
//    so do the session and the routes.
import assert from 'node:assert/strict';
import { Lab, waitFor, type Netns } from '../helpers/netns.ts';
import { Bird } from '../helpers/peers/bird.ts';
import type { DaemonSpec, OriginRoute } from '../helpers/peers/types.ts';
import { Bgpd, type BgpdSpec } from './bgpd-harness.ts';

const US = 65001;

interface Pair {
  readonly i: number;
  readonly peerAsn: number;
  readonly holdTime: number;
}

const RESTART: Pair = { i: 61, peerAsn: 65061, holdTime: 9 };
const HOLD: Pair = { i: 62, peerAsn: 65062, holdTime: 3 };

const ours = (p: Pair): string => `198.18.${p.i}.1`;
const theirs = (p: Pair): string => `198.18.${p.i}.2`;

const theirRoutes = (p: Pair): OriginRoute[] => [
  { prefix: `10.246.${p.i}.0/24`, med: p.i, communities: [`${p.peerAsn}:${p.i}`], largeCommunities: [`${p.peerAsn}:1:${p.i}`] },
  { prefix: `10.247.${p.i}.0/24`, communities: [`${p.peerAsn}:7`] },
];

function bgpdSpec(p: Pair): BgpdSpec {
  return {
    name: `r${p.i}`,
    routerId: ours(p),
    asn: US,
    listen: [ours(p)],
    nextHop: { ipv4: ours(p) },
    peers: [{ address: theirs(p), asn: p.peerAsn, families: ['ipv4'], holdTime: p.holdTime, connectRetry: 1 }],
    routes: [{ prefix: `10.244.${p.i}.0/24`, med: 7, communities: [`${US}:${p.i}`] }],
  };
}

function birdSpec(p: Pair, ns: Netns, name: string): DaemonSpec {
  return {
    ns,
    name,
    routerId: theirs(p),
    asn: p.peerAsn,
    listenAddress: theirs(p),
    neighbors: [{ address: ours(p), asn: US, families: ['ipv4'], holdTime: p.holdTime }],
    routes: theirRoutes(p),
  };
}

/** Our RIB holds exactly the peer's prefixes, with their MED and communities (or none of them). */
async function hasTheirRoutes(b: Bgpd, p: Pair): Promise<boolean> {
  const rib = await b.learned();
  return theirRoutes(p).every((r) => {
    const got = rib.get(r.prefix);
    return got !== undefined && got.source === theirs(p) && got.med === (r.med ?? null) && got.communities.join() === (r.communities ?? []).join() && got.largeCommunities.join() === (r.largeCommunities ?? []).join();
  });
}

async function hasNoneOfTheirRoutes(b: Bgpd, p: Pair): Promise<boolean> {
  const rib = await b.learned();
  return theirRoutes(p).every((r) => !rib.has(r.prefix));
}

describe('interop: podnet bgpd survives a peer restart and a hold-timer expiry (BIRD)', function () {
  this.timeout(60_000);
  let lab: Lab | undefined;
  const nss = new Map<number, Netns>();
  const bgpds = new Map<number, Bgpd>();
  const birds: Bird[] = [];

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    const l = await Lab.create();
    lab = l;
    await Promise.all(
      [RESTART, HOLD].map(async (p) => {
        const us = await l.addNamespace(`u${p.i}`);
        const them = await l.addNamespace(`b${p.i}`);
        nss.set(p.i, them);
        await l.veth({ ns: us, ifname: 'eth0', addresses: [`${ours(p)}/30`] }, { ns: them, ifname: 'eth0', addresses: [`${theirs(p)}/30`] });
        bgpds.set(p.i, Bgpd.start(us, l.dir, bgpdSpec(p)));
        birds[p.i] = await Bird.start(birdSpec(p, them, `bird-${p.i}`));
      }),
    );
  });

  after(async function () {
    for (const b of bgpds.values()) await b.proc.stop().catch(() => undefined);
    for (const d of birds) await d?.stop().catch(() => undefined);
    await lab?.teardown();
  });

  /** Both sides Established, each with the other's routes. */
  async function converged(p: Pair, bird: Bird, b: Bgpd, established: number): Promise<void> {
    const diag = (): string => `\n--- bird ---\n${bird.log().slice(-2500)}\n--- bgpd ---\n${b.log()}`;
    await bird.waitEstablished(ours(p), 30_000).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    await waitFor(`our session to ${theirs(p)} (#${established})`, async () => {
      const n = await b.neighbor(theirs(p));
      return n.state === 'Established' && n.messages.established === established;
    }, { timeoutMs: 20_000, intervalMs: 100 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    await waitFor('their routes in our RIB', () => hasTheirRoutes(b, p), { timeoutMs: 15_000, intervalMs: 100 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    await waitFor('our route at BIRD', async () => (await bird.rib('ipv4')).some((r) => r.prefix === `10.244.${p.i}.0/24` && r.peer === ours(p) && r.med === 7), {
      timeoutMs: 15_000,
      intervalMs: 100,
    }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
  }

  it('peer restart: the session drops, routes leave our RIB, then it re-establishes by itself and routes return', async function () {
    const p = RESTART;
    const b = bgpds.get(p.i);
    const first = birds[p.i];
    const ns = nss.get(p.i);
    assert.ok(b !== undefined && first !== undefined && ns !== undefined);
    await converged(p, first, b, 1);
    const pid = b.proc.pid;

    await first.stop();
    await waitFor('our neighbour down', async () => (await b.neighbor(theirs(p))).state !== 'Established', { timeoutMs: 10_000, intervalMs: 50 });
    await waitFor("BIRD's routes withdrawn from our RIB", () => hasNoneOfTheirRoutes(b, p), { timeoutMs: 5_000, intervalMs: 50 });
    const down = await b.neighbor(theirs(p));
    assert.ok(down.lastError !== null, 'the drop is recorded');
    assert.equal(down.routes.accepted, 0);

    const second = await Bird.start(birdSpec(p, ns, `bird-${p.i}-again`));
    birds.push(second);
    await converged(p, second, b, 2);
    assert.equal(b.proc.pid, pid, 'same bgpd process');
    assert.equal((await b.neighbor(theirs(p))).routes.accepted, theirRoutes(p).length);
  });

  it('hold-timer expiry (3 s): a silent link brings the session down with NOTIFICATION 4/0, and it comes back with the link', async function () {
    const p = HOLD;
    const b = bgpds.get(p.i);
    const bird = birds[p.i];
    const ns = nss.get(p.i);
    assert.ok(b !== undefined && bird !== undefined && ns !== undefined);
    await converged(p, bird, b, 1);
    const before = await b.neighbor(theirs(p));
    assert.equal(before.session?.holdTimeS, 3);

    // silence: the link goes down inside BIRD's namespace (nothing is sent either way, no FIN, no RST)
    const t0 = Date.now();
    await ns.ip(['link', 'set', 'dev', 'eth0', 'down']);
    const n = await waitFor('our neighbour down', async () => {
      const v = await b.neighbor(theirs(p));
      return v.state !== 'Established' ? v : undefined;
    }, { timeoutMs: 10_000, intervalMs: 50 });
    const took = Date.now() - t0;
    assert.ok(took <= 4_500, `down after ${took} ms (hold time 3 s)`);
    assert.ok(took >= 1_000, `down after only ${took} ms: not the hold timer`);
    assert.match(n.lastError?.reason ?? '', /hold timer expired/);
    assert.deepEqual([n.lastError?.notification?.direction, n.lastError?.notification?.code, n.lastError?.notification?.subcode], ['sent', 4, 0]);
    await waitFor("BIRD's routes withdrawn from our RIB", () => hasNoneOfTheirRoutes(b, p), { timeoutMs: 5_000, intervalMs: 50 });

    await ns.ip(['link', 'set', 'dev', 'eth0', 'up']);
    await converged(p, bird, b, 2);
  });
});
