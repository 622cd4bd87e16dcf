// Interop (root): BFD (RFC 5880/5881) between our bgpd and BIRD's bfd
// protocol, and the failover it buys. Two pairs side by side, hold time 9 s:
// with BFD (100 ms x 3) and without. The BFD session comes Up on both sides
// (our neighbour view, `birdc show bfd sessions`); then each BIRD is frozen
// (SIGSTOP: it says nothing more, the link stays up, no FIN or RST). With BFD
// our BGP session goes down and BIRD's routes leave our RIB within the
// detection time (plus scheduling slack); without it, only when the hold
// timer expires. Both times are printed (the failover measurement).
import assert from 'node:assert/strict';
import { Lab, waitFor, type Netns } from '../helpers/netns.ts';
import { Bird } from '../helpers/peers/bird.ts';
import { Frr } from '../helpers/peers/frr.ts';
import { Bgpd } from './bgpd-harness.ts';

interface Pair {
  readonly i: number;
  readonly bfd: boolean;
}
const WITH: Pair = { i: 83, bfd: true };
const WITHOUT: Pair = { i: 84, bfd: false };
const FRR: Pair = { i: 85, bfd: true };
const ours = (p: Pair): string => `198.18.${p.i}.1`;
const theirs = (p: Pair): string => `198.18.${p.i}.2`;
const TIMERS = { minTx: 100, minRx: 100, multiplier: 3 };

describe('interop: BFD with BIRD brings the BGP session down within the detection time', function () {
  this.timeout(90_000);
  let lab: Lab | undefined;
  const bgpd = new Map<number, Bgpd>();
  const bird = new Map<number, Bird>();
  const frozen: number[] = [];
  let frr: Frr | undefined;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    const l = await Lab.create();
    lab = l;
    for (const p of [WITH, WITHOUT, FRR]) {
      const us: Netns = await l.addNamespace(`u${p.i}`);
      const them: Netns = await l.addNamespace(`b${p.i}`);
      await l.veth({ ns: us, ifname: 'eth0', addresses: [`${ours(p)}/30`] }, { ns: them, ifname: 'eth0', addresses: [`${theirs(p)}/30`] });
      bgpd.set(
        p.i,
        Bgpd.start(us, l.dir, {
          name: `f${p.i}`,
          routerId: ours(p),
          asn: 65001,
          listen: [ours(p)],
          nextHop: { ipv4: ours(p) },
          peers: [{ address: theirs(p), asn: 65000 + p.i, families: ['ipv4'], holdTime: 9, connectRetry: 1, ...(p.bfd ? { bfd: TIMERS } : {}) }],
          routes: [],
        }),
      );
      if (p === FRR) {
        frr = await Frr.start({
          ns: them,
          routerId: theirs(p),
          asn: 65000 + p.i,
          listenAddress: theirs(p),
          neighbors: [{ address: ours(p), asn: 65001, families: ['ipv4'], holdTime: 9, bfd: TIMERS }],
          routes: [{ prefix: `10.${p.i}.1.0/24` }],
        });
        continue;
      }
      bird.set(
        p.i,
        await Bird.start({
          ns: them,
          routerId: theirs(p),
          asn: 65000 + p.i,
          listenAddress: theirs(p),
          neighbors: [{ address: ours(p), asn: 65001, families: ['ipv4'], holdTime: 9, ...(p.bfd ? { bfd: TIMERS } : {}) }],
          routes: [{ prefix: `10.${p.i}.1.0/24` }],
        }),
      );
    }
  });

  after(async function () {
    for (const pid of frozen) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone
      }
    }
    for (const b of bgpd.values()) await b.proc.stop().catch(() => undefined);
    for (const d of bird.values()) await d.stop().catch(() => undefined);
    await frr?.stop().catch(() => undefined);
    await lab?.teardown();
  });

  it('comes Up on both sides, and on the peer\'s death closes the session in the detection time (the hold timer without BFD)', async function () {
    const b = bgpd.get(WITH.i) as Bgpd;
    const c = bgpd.get(WITHOUT.i) as Bgpd;
    const diag = (): string => `\n--- bgpd ---\n${b.log()}\n--- bird ---\n${bird.get(WITH.i)?.log().slice(-2000) ?? ''}`;
    for (const [p, x] of [[WITH, b], [WITHOUT, c]] as const) {
      await waitFor(`pair ${p.i}: BIRD's route learned`, async () => (await x.learned()).has(`10.${p.i}.1.0/24`), { timeoutMs: 30_000, intervalMs: 100 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    }
    const up = await waitFor('our BFD session Up', async () => {
      const n = await b.neighbor(theirs(WITH));
      return n.bfd?.state === 'Up' ? n : undefined;
    }, { timeoutMs: 20_000, intervalMs: 100 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    assert.equal(up.bfd?.remoteState, 'Up');
    assert.equal(up.bfd?.detectMs, 300, 'BIRD multiplier 3 x max(our 100 ms rx, its 100 ms tx)');
    const birdSide = await (bird.get(WITH.i) as Bird).birdc(['show', 'bfd', 'sessions']);
    assert.match(birdSide, new RegExp(`${ours(WITH).replace(/\./g, '\\.')}\\s+\\S+\\s+Up`), `BIRD's BFD session is Up:\n${birdSide}`);
    assert.equal((await c.neighbor(theirs(WITHOUT))).bfd, null);

    // the peers die (frozen: no FIN, no RST, the link stays up)
    const pids = [...bird.values()].map((d) => d.pids()).flat();
    const t0 = Date.now();
    for (const pid of pids) {
      process.kill(pid, 'SIGSTOP');
      frozen.push(pid);
    }
    const gone = async (x: Bgpd, p: Pair): Promise<number> => {
      await waitFor(`pair ${p.i}: session down and routes withdrawn`, async () => (await x.neighbor(theirs(p))).state !== 'Established' && !(await x.learned()).has(`10.${p.i}.1.0/24`), { timeoutMs: 15_000, intervalMs: 10 });
      return Date.now() - t0;
    };
    const [withBfd, holdOnly] = await Promise.all([gone(b, WITH), gone(c, WITHOUT)]);
    // eslint-disable-next-line no-console
    console.log(`      failover: peer death -> withdrawal ${withBfd} ms with BFD (100 ms x 3), ${holdOnly} ms with the hold timer only (9 s)`);
    assert.ok(withBfd < 1_000, `BFD: ${withBfd} ms (detection 300 ms)`);
    assert.ok(holdOnly >= 6_000, `hold timer only: ${holdOnly} ms`);
    const n = await b.neighbor(theirs(WITH));
    assert.equal(n.lastError?.notification?.subcode, 10, 'Cease / BFD Down (RFC 9384)');
  });

  it('comes Up with FRR\'s bfdd too, and closes the session when FRR dies', async function () {
    const b = bgpd.get(FRR.i) as Bgpd;
    const f = frr as Frr;
    const diag = (): string => `\n--- bgpd ---\n${b.log()}\n--- frr ---\n${f.log().slice(-3000)}`;
    await waitFor('FRR route learned', async () => (await b.learned()).has(`10.${FRR.i}.1.0/24`), { timeoutMs: 30_000, intervalMs: 100 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    await waitFor('our BFD session with FRR Up', async () => (await b.neighbor(theirs(FRR))).bfd?.state === 'Up', { timeoutMs: 20_000, intervalMs: 100 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    const peers = await f.vtysh(['show bfd peers brief'], 5_000, 'bfdd');
    assert.match(peers, new RegExp(`${ours(FRR).replace(/\./g, '\\.')}\\s.*up`, 'i'), `FRR's bfdd has the session up:\n${peers}`);
    const pids = f.pids();
    const t0 = Date.now();
    for (const pid of pids) {
      process.kill(pid, 'SIGSTOP');
      frozen.push(pid);
    }
    await waitFor('session down and routes withdrawn', async () => (await b.neighbor(theirs(FRR))).state !== 'Established' && !(await b.learned()).has(`10.${FRR.i}.1.0/24`), { timeoutMs: 15_000, intervalMs: 10 });
    const ms = Date.now() - t0;
    // eslint-disable-next-line no-console
    console.log(`      failover with FRR: ${ms} ms (BFD 100 ms x 3)`);
    assert.ok(ms < 1_000, `${ms} ms`);
  });
});
