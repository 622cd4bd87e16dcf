// Interop (root): graceful restart (RFC 4724) between our `podnet bgpd` and
// BIRD 2, in both roles, each next to a control pair without it that shows
// what graceful restart changes. Four BIRD pairs run in parallel.
// 1. Helper (we keep a restarting peer's routes): BIRD crashes (SIGKILL: no
//    NOTIFICATION, RFC 4724 §4.2); its routes stay in our RIB marked stale
//    and still best; BIRD comes back in recovery (`bird -R`: R and F bits)
//    without one of its routes; at its End-of-RIB the route it did not
//    re-announce is swept and the other is fresh again. Control: the same
//    crash without graceful restart empties our RIB of its routes.
// 2. Restarting speaker (BIRD keeps ours): our bgpd stops (SIGTERM; with
//    graceful restart it drops the session without a NOTIFICATION) and starts
//    again with `restarting: true`; BIRD has our route at every sample from
//    the stop until the new session is up and after. Control: without
//    graceful restart our stop is a Cease and BIRD drops the route.
import assert from 'node:assert/strict';
import { Lab, waitFor, type Netns } from '../helpers/netns.ts';
import { Bird } from '../helpers/peers/bird.ts';
import type { DaemonSpec, OriginRoute } from '../helpers/peers/types.ts';
import { Bgpd, type BgpdSpec } from './bgpd-harness.ts';

const US = 65001;

interface Pair {
  readonly i: number;
  readonly gr: boolean;
}

const HELPER: Pair = { i: 71, gr: true };
const HELPER_OFF: Pair = { i: 72, gr: false };
const RESTARTING: Pair = { i: 73, gr: true };
const RESTARTING_OFF: Pair = { i: 74, gr: false };
const PAIRS = [HELPER, HELPER_OFF, RESTARTING, RESTARTING_OFF];

const peerAsn = (p: Pair): number => 65000 + p.i;
const ours = (p: Pair): string => `198.18.${p.i}.1`;
const theirs = (p: Pair): string => `198.18.${p.i}.2`;
const kept = (p: Pair): string => `10.246.${p.i}.0/24`;
const dropped = (p: Pair): string => `10.247.${p.i}.0/24`;
const ourRoute = (p: Pair): string => `10.244.${p.i}.0/24`;

function bgpdSpec(p: Pair, name: string, restarting = false): BgpdSpec {
  return {
    name,
    routerId: ours(p),
    asn: US,
    listen: [ours(p)],
    nextHop: { ipv4: ours(p) },
    peers: [{ address: theirs(p), asn: peerAsn(p), families: ['ipv4'], holdTime: 30, connectRetry: 1 }],
    routes: [{ prefix: ourRoute(p), med: 7 }],
    ...(p.gr ? { gracefulRestart: { restartTime: 120, restarting } } : {}),
  };
}

function birdSpec(p: Pair, ns: Netns, name: string, routes: readonly OriginRoute[]): DaemonSpec {
  return {
    ns,
    name,
    routerId: theirs(p),
    asn: peerAsn(p),
    listenAddress: theirs(p),
    neighbors: [{ address: ours(p), asn: US, families: ['ipv4'], holdTime: 30, gracefulRestart: true }],
    routes,
  };
}

describe('interop: graceful restart with BIRD (RFC 4724), both roles', function () {
  this.timeout(90_000);
  let lab: Lab | undefined;
  const themNs = new Map<number, Netns>();
  const usNs = new Map<number, Netns>();
  const bgpds: Bgpd[] = [];
  const birds: Bird[] = [];
  const bgpd = new Map<number, Bgpd>();
  const bird = new Map<number, Bird>();

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    const l = await Lab.create();
    lab = l;
    await Promise.all(
      PAIRS.map(async (p) => {
        const us = await l.addNamespace(`u${p.i}`);
        const them = await l.addNamespace(`b${p.i}`);
        usNs.set(p.i, us);
        themNs.set(p.i, them);
        await l.veth({ ns: us, ifname: 'eth0', addresses: [`${ours(p)}/30`] }, { ns: them, ifname: 'eth0', addresses: [`${theirs(p)}/30`] });
        const b = Bgpd.start(us, l.dir, bgpdSpec(p, `g${p.i}`));
        bgpds.push(b);
        bgpd.set(p.i, b);
        const d = await Bird.start(birdSpec(p, them, `bird-${p.i}`, [{ prefix: kept(p) }, { prefix: dropped(p) }]));
        birds.push(d);
        bird.set(p.i, d);
      }),
    );
    await Promise.all(PAIRS.map((p) => converged(p, bgpd.get(p.i) as Bgpd, bird.get(p.i) as Bird, [kept(p), dropped(p)])));
  });

  after(async function () {
    for (const b of bgpds) await b.proc.stop().catch(() => undefined);
    for (const d of birds) await d.stop().catch(() => undefined);
    await lab?.teardown();
  });

  async function converged(p: Pair, b: Bgpd, d: Bird, theirPrefixes: readonly string[]): Promise<void> {
    const diag = (): string => `\n--- bird ---\n${d.log().slice(-2500)}\n--- bgpd ---\n${b.log()}`;
    await d.waitEstablished(ours(p), 30_000).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    await waitFor(`pair ${p.i}: their routes in our RIB`, async () => {
      const rib = await b.learned();
      return theirPrefixes.every((x) => rib.has(x));
    }, { timeoutMs: 20_000, intervalMs: 100 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    await waitFor(`pair ${p.i}: our route at BIRD`, async () => (await d.rib('ipv4')).some((r) => r.prefix === ourRoute(p)), { timeoutMs: 20_000, intervalMs: 100 }).catch(
      (e: unknown) => assert.fail(`${String(e)}${diag()}`),
    );
  }

  /** The paths of one prefix in our Loc-RIB. */
  async function paths(b: Bgpd, prefix: string) {
    return (await b.rib()).find((d) => d.prefix === prefix)?.paths ?? [];
  }

  it('helper: a crashed peer\'s routes stay (stale, still best) until its End-of-RIB sweeps the one it did not re-announce; without GR they go at once', async function () {
    const b = bgpd.get(HELPER.i) as Bgpd;
    const off = bgpd.get(HELPER_OFF.i) as Bgpd;
    await Promise.all([(bird.get(HELPER.i) as Bird).crash(), (bird.get(HELPER_OFF.i) as Bird).crash()]);
    await waitFor('our neighbours down', async () => (await b.neighbor(theirs(HELPER))).state !== 'Established' && (await off.neighbor(theirs(HELPER_OFF))).state !== 'Established', {
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    // control: no graceful restart, the routes leave with the session
    await waitFor('the control pair lost the routes', async () => (await off.learned()).size === 0, { timeoutMs: 5_000, intervalMs: 50 });

    await new Promise((r) => setTimeout(r, 1_000));
    for (const prefix of [kept(HELPER), dropped(HELPER)]) {
      const ps = await paths(b, prefix);
      assert.equal(ps.length, 1, `${prefix} kept through the peer's restart`);
      assert.equal(ps[0]?.stale, true, `${prefix} marked stale`);
      assert.equal(ps[0]?.best, true, `${prefix} still best (forwarding continues)`);
    }
    const n = await b.neighbor(theirs(HELPER));
    assert.equal(n.gracefulRestart.state, 'peer-restarting');
    assert.deepEqual(n.gracefulRestart.stale, [{ family: 'ipv4-unicast', routes: 2 }]);
    assert.equal(n.gracefulRestart.peerRestartTimeS, 120, "BIRD's restart time from its capability");

    // BIRD returns in recovery mode without the second route
    const again = await Bird.start(birdSpec(HELPER, themNs.get(HELPER.i) as Netns, `bird-${HELPER.i}-again`, [{ prefix: kept(HELPER) }]), { recovery: true });
    birds.push(again);
    await again.waitEstablished(ours(HELPER), 30_000);
    await waitFor('the stale route BIRD did not re-announce is swept at its End-of-RIB', async () => {
      const rib = await b.learned();
      return rib.has(kept(HELPER)) && !rib.has(dropped(HELPER));
    }, { timeoutMs: 20_000, intervalMs: 50 }).catch((e: unknown) => assert.fail(`${String(e)}\n${b.log()}`));
    const fresh = await paths(b, kept(HELPER));
    assert.equal(fresh[0]?.stale, false, 're-announced: fresh');
    const back = await b.neighbor(theirs(HELPER));
    assert.equal(back.gracefulRestart.state, 'none');
    assert.ok(back.endOfRib.some((e) => e.family === 'ipv4-unicast'), 'the sweep followed its End-of-RIB');
  });

  it('restarting speaker: BIRD keeps our route through our stop and restart; without GR our stop withdraws it', async function () {
    const d = bird.get(RESTARTING.i) as Bird;
    const dOff = bird.get(RESTARTING_OFF.i) as Bird;
    const b = bgpd.get(RESTARTING.i) as Bgpd;
    const bOff = bgpd.get(RESTARTING_OFF.i) as Bgpd;
    await Promise.all([b.proc.stop(), bOff.proc.stop()]);
    const stoppedAt = Date.now();
    // control: the Cease of a bgpd without graceful restart withdraws our route at BIRD
    await waitFor('the control BIRD dropped our route', async () => !(await dOff.rib('ipv4')).some((r) => r.prefix === ourRoute(RESTARTING_OFF)), { timeoutMs: 5_000, intervalMs: 50 });

    // our bgpd is gone for 3 s: BIRD keeps the route at every sample
    let samples = 0;
    while (Date.now() - stoppedAt < 3_000) {
      assert.ok((await d.rib('ipv4')).some((r) => r.prefix === ourRoute(RESTARTING)), `our route at BIRD ${Date.now() - stoppedAt} ms after our stop`);
      samples++;
      await new Promise((r) => setTimeout(r, 100));
    }
    const startedAt = Date.now();
    const next = Bgpd.start(usNs.get(RESTARTING.i) as Netns, (lab as Lab).dir, bgpdSpec(RESTARTING, `g${RESTARTING.i}b`, true));
    bgpds.push(next);
    // until the new session is up and BIRD has our End-of-RIB, the route never disappears
    let upAt = 0;
    await waitFor('the new session up at BIRD', async () => {
      assert.ok((await d.rib('ipv4')).some((r) => r.prefix === ourRoute(RESTARTING)), `our route at BIRD ${Date.now() - stoppedAt} ms after our stop`);
      samples++;
      const n = await next.neighbor(theirs(RESTARTING)).catch(() => null);
      if (n?.state === 'Established' && upAt === 0) upAt = Date.now();
      return upAt !== 0 && n !== null && n.prefixes.some((x) => x.advertised > 0);
    }, { timeoutMs: 30_000, intervalMs: 100 }).catch((e: unknown) => assert.fail(`${String(e)}\n${next.log()}\n--- bird ---\n${d.log().slice(-2500)}`));
    const n = await next.neighbor(theirs(RESTARTING));
    assert.ok(n.session?.capabilitiesSent.includes('graceful-restart'), 'we advertise graceful restart');
    // eslint-disable-next-line no-console
    console.log(`      our route stayed at BIRD for ${samples} samples over ${Date.now() - stoppedAt} ms; session up ${upAt - startedAt} ms after the new bgpd started`);
  });
});
