// Unit tests of the BGP convergence benchmark's pure parts and its poller:
// medians, ratios and target verdicts; GoBGP ListPeer decoding from
// hand-built protobuf bytes; the generated BIRD configs; and the poller
// against a scripted receiver (timing, session drop, already-up guard).
import assert from 'node:assert/strict';
import { BirdInjector, ipv4Int, ipv4Text } from '../../../bench/bgp/injector.ts';
import { measure } from '../../../bench/bgp/measure.ts';
import { median, summarize } from '../../../bench/bgp/report.ts';
import type { RunRecord } from '../../../bench/bgp/report.ts';
import { birdReceiverConfig } from '../../../bench/bgp/receivers/bird.ts';
import { decodeListPeer } from '../../../bench/bgp/receivers/gobgp.ts';
import { decodeNeighbor } from '../../../bench/bgp/receivers/podnet.ts';
import type { Probe, ReceiverContext, RunningReceiver } from '../../../bench/bgp/receivers/types.ts';
import type { Netns } from '../../helpers/netns.ts';

// --- protobuf building blocks (wire format: key = field << 3 | wire type) ---
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const vField = (f: number, v: number): Buffer => Buffer.from([...varint(f << 3), ...varint(v)]);
const lField = (f: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([...varint((f << 3) | 2), ...varint(body.length)]), body]);

function afiSafi(afi: number, safi: number, accepted: number): Buffer {
  // AfiSafi { state (3): AfiSafiState { family (1): { afi 1, safi 2 }, enabled (2), received (3), accepted (4) } }
  const family = Buffer.concat([vField(1, afi), vField(2, safi)]);
  const state = Buffer.concat([lField(1, family), vField(2, 1), vField(3, accepted + 5), vField(4, accepted)]);
  return lField(10, lField(3, state));
}

function listPeerResponse(sessionState: number, afis: Buffer[]): Buffer {
  // Peer { conf (2): { neighbor_address (1) }, state (5): { session_state (13) }, afi_safis (10)... }
  const conf = lField(2, lField(1, Buffer.from('198.18.0.1')));
  const state = lField(5, Buffer.concat([vField(2, 65001), vField(13, sessionState)]));
  return lField(1, Buffer.concat([conf, state, ...afis]));
}

function rec(receiver: RunRecord['receiver'], k: number, rib: number, rssMb: number, extra: Partial<RunRecord> = {}): RunRecord {
  return { k, run: 1, receiver, version: 'v', load1: 1, rib_s: rib, rib_interp_s: rib, peak_rss_kb: rssMb * 1024, cpu_s: 1, cpu_total_s: 1.3, runq_wait_s: 0, start_rss_kb: 1024, ...extra };
}

describe('bench/bgp report', () => {
  it('median ignores non-finite values and averages the middle pair', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([NaN, 5]), 5);
    assert.equal(median([]), null);
  });

  it('ratios and targets at 1M: podnet/gobgpd and podnet/BIRD from medians', () => {
    const records = [
      ...[10, 12, 11].map((t) => rec('gobgp', 1_000_000, t, 1300)),
      ...[0.8, 0.7, 0.9].map((t) => rec('bird', 1_000_000, t, 94)),
      ...[2.0, 2.5, 3.0].map((t) => rec('podnet', 1_000_000, t, 600, { cpu_s: 2 })),
      rec('podnet', 1_000_000, 99, 9999, { error: 'boom' }), // a failed run never enters a median
    ];
    const [s] = summarize(records);
    assert.ok(s);
    const p = s.receivers.find((r) => r.receiver === 'podnet');
    assert.equal(p?.ok, 3);
    assert.equal(p?.runs, 4);
    assert.equal(p?.rib_s, 2.5);
    assert.ok(Math.abs((s.podnetVsGobgp.time ?? 0) - 2.5 / 11) < 1e-9);
    assert.ok(Math.abs((s.podnetVsBird.time ?? 0) - 2.5 / 0.8) < 1e-9);
    assert.ok(Math.abs((s.podnetVsGobgp.rss ?? 0) - 600 / 1300) < 1e-9);
    assert.equal(s.podnetVsGobgp.cpu, 2);
    assert.deepEqual(s.targets, { fasterThanGobgp4x: true, within3xOfBird: false, rssUnderHalfGobgp: true });
  });

  it('targets are n/a when a receiver is missing; one summary per K in order', () => {
    const out = summarize([rec('bird', 1_000_000, 1, 90), rec('gobgp', 100_000, 1, 100), rec('bird', 100_000, 0.1, 10)]);
    assert.deepEqual(out.map((s) => s.k), [100_000, 1_000_000]);
    assert.deepEqual(out[0]?.targets, { fasterThanGobgp4x: null, within3xOfBird: null, rssUnderHalfGobgp: null });
  });
});

describe('bench/bgp receivers', () => {
  it('decodes GoBGP ListPeer: session state and the ipv4-unicast accepted count only', () => {
    const msg = listPeerResponse(6, [afiSafi(2, 1, 99), afiSafi(1, 1, 1_234_567)]);
    assert.deepEqual(decodeListPeer([msg]), { state: 'ESTABLISHED', established: true, count: 1_234_567 });
    assert.deepEqual(decodeListPeer([listPeerResponse(3, [])]), { state: 'ACTIVE', established: false, count: 0 });
  });

  it('decodes the podnet neighbour view', () => {
    const v = { state: 'Established', prefixes: [{ family: 'ipv6-unicast', accepted: 7 }, { family: 'ipv4-unicast', accepted: 42 }] };
    assert.deepEqual(decodeNeighbor(v), { state: 'Established', established: true, count: 42 });
    assert.deepEqual(decodeNeighbor({ state: 'Active' }), { state: 'Active', established: false, count: 0 });
  });

  it('BIRD receiver: passive, imports all, no kernel protocol (Loc-RIB only)', () => {
    const ctx = { ns: {} as Netns, dir: '/x', address: '198.18.0.2', asn: 65002, peerAddress: '198.18.0.1', peerAsn: 65001 } satisfies ReceiverContext;
    const c = birdReceiverConfig(ctx);
    assert.match(c, /neighbor 198\.18\.0\.1 as 65001;/);
    assert.match(c, /passive on;/);
    assert.match(c, /import all; export none;/);
    assert.doesNotMatch(c, /protocol kernel/);
  });

  it('injector: every session starts disabled and exports the included static routes', () => {
    const c = BirdInjector.config(
      {
        ns: {} as Netns,
        dir: '/d',
        routerId: '198.18.0.1',
        asn: 65001,
        k: 3,
        base: ipv4Int('10.96.0.0'),
        peers: [
          { protocol: 'p_bird', localAddress: '198.18.0.1', address: '198.18.0.2', asn: 65002 },
          { protocol: 'p_gobgp', localAddress: '198.18.0.5', address: '198.18.0.6', asn: 65002 },
        ],
      },
      '/d/routes.conf',
    );
    assert.equal(c.match(/^ {2}disabled;$/gm)?.length, 2);
    assert.match(c, /^ {2}include "\/d\/routes\.conf";$/m);
    assert.match(c, /local 198\.18\.0\.5 as 65001;\n {2}neighbor 198\.18\.0\.6 as 65002;/);
    assert.equal(ipv4Text(ipv4Int('10.96.0.0') + 1_000_000 - 1), '10.111.66.63');
  });
});

/** A receiver whose session comes up `upAfterMs` after enable and then accepts `perMs` prefixes per ms. */
function scripted(k: number, upAfterMs: number, perMs: number, dropAt?: number): { rcv: RunningReceiver; enable: () => Promise<void>; upAt: () => number } {
  let enabledAt = -1;
  const upAt = (): number => enabledAt + upAfterMs;
  const rcv: RunningReceiver = {
    pid: process.pid,
    running: true,
    async probe(): Promise<Probe> {
      await new Promise((r) => setImmediate(r));
      const t = performance.now();
      if (enabledAt < 0 || t < upAt()) return { state: 'Active', established: false, count: 0 };
      const count = Math.min(k, Math.floor((t - upAt()) * perMs));
      if (dropAt !== undefined && count >= dropAt) return { state: 'Idle', established: false, count };
      return { state: 'Established', established: true, count };
    },
    log: () => '',
    stop: async () => undefined,
  };
  return {
    rcv,
    enable: async () => {
      enabledAt = performance.now();
    },
    upAt,
  };
}

describe('bench/bgp measure', () => {
  it('times Established -> K within the reported window', async () => {
    const k = 30_000;
    const s = scripted(k, 50, 100); // Established after 50 ms, then K after 300 ms
    const m = await measure(s.rcv, { k, timeoutMs: 5_000, probeCost: 'constant', enable: s.enable });
    assert.ok(m.rib_s >= 0.3 - m.est_res_s - 0.005, `rib_s ${m.rib_s} too early`);
    assert.ok(m.rib_s - m.rib_window_s <= 0.3 + m.est_res_s + 0.005, `window [${m.rib_s - m.rib_window_s}, ${m.rib_s}] misses 0.3 s`);
    assert.ok(m.rib_window_s < 0.1, `window ${m.rib_window_s} s wider than the 5 % rule allows`);
    assert.ok(Math.abs(m.rib_interp_s - 0.3) < 0.05, `interp ${m.rib_interp_s}`);
    assert.ok(m.setup_s >= 0.04 && m.setup_s < 0.2, `setup ${m.setup_s}`);
    assert.ok(m.peak_rss_kb > 0);
  });

  it('fails when the session drops before K', async () => {
    const s = scripted(30_000, 20, 100, 10_000);
    await assert.rejects(measure(s.rcv, { k: 30_000, timeoutMs: 5_000, probeCost: 'linear', enable: s.enable }), /session dropped \(Idle\)/);
  });

  it('refuses a session that is already up before enable', async () => {
    const s = scripted(10, 0, 1);
    await s.enable();
    await assert.rejects(measure(s.rcv, { k: 10, timeoutMs: 1_000, probeCost: 'constant', enable: async () => undefined }), /already up/);
  });
});
