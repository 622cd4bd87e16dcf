// Our speaker as a benchmark receiver: `podnet bgpd --config FILE` (the
// Speaker alone, no Kubernetes, no kernel programming: Loc-RIB only) with
// one passive eBGP peer. State and the accepted-prefix count come from its
// management socket, GET /v1/bgp/neighbor?address=A (NeighborView: `state`,
// and `prefixes[].accepted` of ipv4-unicast), one HTTP connection per probe
// (a kept-alive connection stalled for many seconds after a busy period).
// `accepted` is the speaker's per-peer counter of paths in the Loc-RIB,
// maintained on insert/remove (bgp/rib/rib.ts), so the probe is O(1).
// RFC 4271 (eBGP).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../../test/helpers/netns.ts';
import type { Probe, ReceiverContext, ReceiverKind, RunningReceiver } from './types.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI = join(ROOT, 'src', 'bin', 'podnet.ts');
const BGPD = join(ROOT, 'src', 'bgpd', 'main.ts');

/**
 * `node src/bin/podnet.ts bgpd ARGS` once the CLI dispatches to bgpd;
 * until then the same entry point (bgpdMain) imported directly.
 */
function bgpdCommand(args: readonly string[]): string[] {
  const wired = [CLI, join(ROOT, 'src', 'cli', 'main.ts')].some((f) => {
    try {
      return readFileSync(f, 'utf8').includes('bgpd/main.ts');
    } catch {
      return false;
    }
  });
  if (wired) return [CLI, 'bgpd', ...args];
  const script = `const { bgpdMain } = await import(${JSON.stringify(BGPD)}); process.exitCode = await bgpdMain(process.argv.slice(1));`;
  return ['--input-type=module', '-e', script, '--', ...args];
}

/** The bgpd configuration (JSON, which the YAML loader reads as is). */
export function podnetReceiverConfig(ctx: ReceiverContext, socket: string): string {
  return `${JSON.stringify(
    {
      'router-id': ctx.address,
      asn: ctx.asn,
      listen: { addresses: [ctx.address], port: 179 },
      'api-socket': socket,
      peers: [{ address: ctx.peerAddress, 'remote-asn': ctx.peerAsn, passive: true, 'hold-time': 90, families: ['ipv4'] }],
    },
    null,
    2,
  )}\n`;
}

interface NeighborViewSubset {
  readonly state?: string;
  readonly prefixes?: readonly { readonly family?: string; readonly accepted?: number }[];
}

export function decodeNeighbor(v: NeighborViewSubset): Probe {
  const state = v.state ?? 'unknown';
  const count = v.prefixes?.find((p) => p.family === 'ipv4-unicast')?.accepted ?? 0;
  return { state, established: state === 'Established', count };
}

function getJson(socketPath: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, method: 'GET', agent: false, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) !== 200) return reject(new Error(`GET ${path}: HTTP ${res.statusCode ?? 0} ${text}`));
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new Error(`GET ${path}: not JSON`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer`)));
    req.on('error', reject);
    req.end();
  });
}

export const podnetReceiver: ReceiverKind = {
  name: 'podnet',
  label: 'podnet',
  probeCost: 'constant',
  unavailable: () => (existsSync(BGPD) ? null : `${BGPD} not found (podnet bgpd not built yet)`),
  async version() {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version?: string };
    const r = await run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { allowFail: true });
    // The speaker's code is bgp/ and src/: say so when it differs from the commit.
    const dirty = (await run('git', ['-C', ROOT, 'status', '--porcelain', '--', 'bgp', 'src'], { allowFail: true })).stdout.trim() !== '';
    return `${pkg.version ?? '?'}${r.stdout.trim() === '' ? '' : `@${r.stdout.trim()}${dirty ? '+' : ''}`}`;
  },
  async start(ctx: ReceiverContext): Promise<RunningReceiver> {
    const conf = join(ctx.dir, 'bgpd.json');
    const sock = join(ctx.dir, 'bgpd.sock');
    writeFileSync(conf, podnetReceiverConfig(ctx, sock));
    const proc = ctx.ns.spawn(`${ctx.ns.name}-bgpd`, process.execPath, bgpdCommand(['--config', conf]), { logPath: join(ctx.dir, 'bgpd.log') });
    const path = `/v1/bgp/neighbor?address=${encodeURIComponent(ctx.peerAddress)}`;
    const probe = async (): Promise<Probe> => decodeNeighbor((await getJson(sock, path)) as NeighborViewSubset);
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await probe();
        break;
      } catch (e: unknown) {
        if (!proc.running) throw new Error(`podnet bgpd exited (log ${proc.logPath}):\n${proc.log().slice(-2000)}`, { cause: e });
        if (Date.now() > deadline) throw new Error(`podnet bgpd API not up: ${e instanceof Error ? e.message : String(e)}\n${proc.log().slice(-2000)}`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      pid: proc.pid,
      get running() {
        return proc.running;
      },
      probe,
      log: () => proc.log(),
      async stop() {
        await proc.stop();
      },
    };
  },
};
