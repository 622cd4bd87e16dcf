// Records the committed captures in test/fixtures/bgp/captured/: for each
// daemon (BIRD, FRR, GoBGP) and scenario, a real daemon in one namespace
// dials the capture listener (capture.ts) in another, sends its OPEN,
// KEEPALIVE, UPDATEs (IPv4 and, via MP-BGP RFC 4760, IPv6), End-of-RIB
// (RFC 4724), then run-time withdrawals; FRR finally sends a NOTIFICATION
// Cease/Administrative Shutdown with a shutdown communication (RFC 9003).
// Writes <daemon>-<scenario>.bin (raw received bytes) and .json (message
// index with offsets, timing and the daemon config that produced it).
//
// Usage (root): node test/helpers/capture-scenarios.ts [bird|frr|gobgp ...] [--scenario NAME]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCapture } from './capture.ts';
import type { CaptureFamily, CapturedMessage } from './capture.ts';
import { Lab, run } from './netns.ts';
import { Bird } from './peers/bird.ts';
import { Frr } from './peers/frr.ts';
import { Gobgp } from './peers/gobgp.ts';
import { canonicalPrefix } from './peers/types.ts';
import type { BgpDaemon, DaemonSpec, OriginRoute } from './peers/types.ts';

export const CAPTURE_DIR = fileURLToPath(new URL('../fixtures/bgp/captured/', import.meta.url));

type Kind = 'bird' | 'frr' | 'gobgp';

export interface Scenario {
  readonly name: string;
  readonly daemonAsn: number;
  readonly listenerAsn: number;
  readonly holdTime: number;
  readonly families: readonly CaptureFamily[];
  readonly routes: readonly OriginRoute[];
  /** Withdrawn one by one after End-of-RIB, each awaited as its own UPDATE. */
  readonly withdraw: readonly string[];
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'ebgp-dual',
    daemonAsn: 65001,
    listenerAsn: 65000,
    holdTime: 90,
    families: ['ipv4', 'ipv6'],
    routes: [
      { prefix: '10.244.1.0/24', med: 10, communities: ['65001:100', '65001:200'], largeCommunities: ['65001:1:2'] },
      { prefix: '10.244.2.0/24' },
      { prefix: '10.244.3.128/25', med: 30, communities: ['65001:300'] },
      { prefix: 'fd00:244:1::/64', med: 11, communities: ['65001:101'], largeCommunities: ['65001:3:4'] },
      { prefix: 'fd00:244:2::/64' },
    ],
    withdraw: ['10.244.2.0/24', 'fd00:244:2::/64'],
  },
  {
    name: 'ibgp-as4',
    daemonAsn: 4200000001,
    listenerAsn: 4200000001,
    holdTime: 30,
    families: ['ipv4', 'ipv6'],
    routes: [
      { prefix: '10.244.10.0/24', med: 5, localPref: 200, communities: ['64512:10'], largeCommunities: ['4200000001:10:20'] },
      { prefix: 'fd00:244:10::/56', localPref: 150 },
    ],
    withdraw: ['10.244.10.0/24'],
  },
  {
    // Many prefixes with one attribute set: shows how each daemon packs NLRI into UPDATEs.
    name: 'ebgp-packed',
    daemonAsn: 65001,
    listenerAsn: 65000,
    holdTime: 90,
    families: ['ipv4', 'ipv6'],
    routes: [
      ...Array.from({ length: 16 }, (_, i) => ({ prefix: `10.244.100.${i}/32`, med: 50, communities: ['65001:50'] })),
      ...Array.from({ length: 16 }, (_, i) => ({ prefix: canonicalPrefix(`fd00:244:100::${i.toString(16)}/128`), med: 50, communities: ['65001:50'] })),
    ],
    withdraw: ['10.244.100.3/32', 'fd00:244:100::3/128'],
  },
];

async function version(kind: Kind): Promise<string> {
  if (kind === 'bird') return (await run('bird', ['--version'])).stderr.trim();
  if (kind === 'frr') return (await run('/usr/lib/frr/bgpd', ['--version'])).stdout.split('\n')[0]?.trim() ?? '';
  return (await run('gobgpd', ['--version'])).stdout.trim();
}

function startDaemon(kind: Kind, spec: DaemonSpec, birdWake: boolean): Promise<BgpDaemon> {
  if (kind === 'bird') return Bird.start(spec, { wake: birdWake });
  if (kind === 'frr') return Frr.start(spec);
  return Gobgp.start(spec);
}

const configFile: Record<Kind, string> = { bird: 'bird.conf', frr: 'bgpd.conf', gobgp: 'gobgpd.toml' };

/**
 * Records one capture; returns the message index. The committed BIRD captures
 * were taken with `birdWake: false` (BIRD's own timing, see the README).
 */
export async function record(kind: Kind, sc: Scenario, outDir = CAPTURE_DIR, opts: { birdWake?: boolean } = {}): Promise<CapturedMessage[]> {
  const lab = await Lab.create();
  try {
    const d = await lab.addNamespace('d');
    const c = await lab.addNamespace('c');
    await lab.veth({ ns: d, ifname: 'eth0', addresses: ['198.18.0.1/30', 'fd00::1/126'] }, { ns: c, ifname: 'eth0', addresses: ['198.18.0.2/30', 'fd00::2/126'] });
    const tmpOut = join(lab.dir, 'capture.bin');
    const cap = await startCapture(c, { listen: '198.18.0.2', asn: sc.listenerAsn, routerId: '198.18.0.2', holdTime: sc.holdTime, families: sc.families, out: tmpOut });
    const daemon = await startDaemon(kind, {
      ns: d,
      routerId: '198.18.0.1',
      asn: sc.daemonAsn,
      listenAddress: '198.18.0.1',
      nextHop: { ipv4: '198.18.0.1', ipv6: 'fd00::1' },
      // GoBGP sends End-of-RIB only with Graceful Restart on; BIRD and FRR keep their defaults.
      neighbors: [{ address: '198.18.0.2', asn: sc.listenerAsn, families: sc.families, holdTime: sc.holdTime, ...(kind === 'gobgp' ? { gracefulRestart: true } : {}) }],
      routes: sc.routes,
    }, opts.birdWake === true);
    try {
      const eors = sc.families.map((f) => `End-of-RIB ${f}`);
      await cap.waitMessages(`End-of-RIB for ${sc.families.join(', ')}`, (ms) => eors.every((e) => ms.some((m) => m.note === e)), 30_000);
      for (const p of sc.withdraw) {
        const before = cap.messages().filter((m) => m.typeName === 'UPDATE').length;
        await daemon.withdraw(p);
        await cap.waitMessages(`UPDATE withdrawing ${p}`, (ms) => ms.filter((m) => m.typeName === 'UPDATE').length > before, 15_000);
      }
      let bytes: Buffer;
      if (daemon instanceof Frr) {
        await daemon.shutdownNeighbor('198.18.0.2', 'podnet capture: maintenance');
        bytes = await cap.waitClosed();
      } else bytes = await cap.stop();
      const base = `${kind}-${sc.name}`;
      writeFileSync(join(outDir, `${base}.bin`), bytes);
      const messages = cap.messages();
      const index = {
        daemon: kind,
        version: await version(kind),
        scenario: sc,
        capture: { listener: '198.18.0.2', listenerAsn: sc.listenerAsn, daemonAddress: '198.18.0.1', bytes: bytes.length },
        config: readFileSync(join(daemon.dir, configFile[kind]), 'utf8'),
        messages,
      };
      writeFileSync(join(outDir, `${base}.json`), `${JSON.stringify(index, null, 2)}\n`);
      return messages;
    } finally {
      await daemon.stop();
    }
  } finally {
    await lab.teardown();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // node capture-scenarios.ts [daemon ...] [--scenario NAME]
  const args = process.argv.slice(2);
  const at = args.indexOf('--scenario');
  const only = at >= 0 ? args.splice(at, 2)[1] : undefined;
  const kinds = (args.length > 0 ? args : ['bird', 'frr', 'gobgp']) as Kind[];
  for (const kind of kinds) {
    for (const sc of SCENARIOS.filter((x) => only === undefined || x.name === only)) {
      const ms = await record(kind, sc);
      console.log(`${kind}-${sc.name}: ${ms.map((m) => `${m.typeName}${m.note === undefined ? '' : `(${m.note})`}@${m.tMs}`).join(' ')}`);
    }
  }
}
