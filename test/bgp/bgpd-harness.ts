// Shared by the speaker's interop tests: runs our `podnet bgpd` in a test
// namespace from a YAML config written here, reads its management API (the
// Loc-RIB's best paths, one neighbour) and the CLI's `global rib -j`, and
// puts a received path into the daemon-neutral RibRoute shape of
// test/helpers/peers. No RFC logic: RFC 4271 §9 is what the tests assert.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DestinationView, GlobalView, NeighborView, PathView } from '../../bgp/index.ts';
import { apiRequest } from '../../src/api/client.ts';
import { waitFor, type Netns, type NsProcess } from '../helpers/netns.ts';
import type { OriginRoute, RibRoute } from '../helpers/peers/types.ts';

const podnet = fileURLToPath(new URL('../../src/bin/podnet.ts', import.meta.url));

export interface BgpdPeer {
  readonly address: string;
  readonly asn: number;
  readonly families: readonly ('ipv4' | 'ipv6')[];
  readonly holdTime?: number;
  readonly connectRetry?: number;
  readonly passive?: boolean;
  readonly maxPrefixes?: { readonly limit: number; readonly restart?: number };
  readonly routeReflectorClient?: boolean;
  readonly importPolicy?: readonly string[];
  readonly bfd?: { readonly minTx: number; readonly minRx: number; readonly multiplier: number };
  readonly exportPolicy?: readonly string[];
}

export interface BgpdSpec {
  readonly name: string;
  readonly routerId: string;
  readonly asn: number;
  readonly listen: readonly string[];
  readonly nextHop: { readonly ipv4: string; readonly ipv6?: string };
  readonly peers: readonly BgpdPeer[];
  readonly routes: readonly OriginRoute[];
  /** YAML appended to the config as it is (e.g. a `policies:` block). */
  readonly extraYaml?: string;
  /** Graceful restart (RFC 4724): the `graceful-restart` block of the config. */
  readonly gracefulRestart?: { readonly restartTime: number; readonly restarting?: boolean; readonly stalePathTime?: number };
}

const q = (s: string): string => `"${s}"`;

export function bgpdConfig(s: BgpdSpec, socket: string): string {
  const lines = [`router-id: ${s.routerId}`, `asn: ${s.asn}`, `listen: { addresses: [${s.listen.map(q).join(', ')}], port: 179 }`, `api-socket: ${socket}`, 'peers:'];
  for (const p of s.peers) {
    const fams = p.families.map((f) => `${f}-unicast`).join(', ');
    const nh = [`next-hop-ipv4: ${s.nextHop.ipv4}`, ...(s.nextHop.ipv6 !== undefined ? [`next-hop-ipv6: ${q(s.nextHop.ipv6)}`] : [])].join(', ');
    const chains = `${p.importPolicy !== undefined ? `, import-policy: [${p.importPolicy.map(q).join(', ')}]` : ''}${p.exportPolicy !== undefined ? `, export-policy: [${p.exportPolicy.map(q).join(', ')}]` : ''}`;
    const bfd = p.bfd !== undefined ? `, bfd: { min-tx: ${p.bfd.minTx}, min-rx: ${p.bfd.minRx}, multiplier: ${p.bfd.multiplier} }` : '';
    const extra = `${chains}${bfd}${p.passive === true ? ', passive: true' : ''}${p.routeReflectorClient === true ? ', route-reflector-client: true' : ''}${p.maxPrefixes !== undefined ? `, max-prefixes: { limit: ${p.maxPrefixes.limit}${p.maxPrefixes.restart !== undefined ? `, restart: ${p.maxPrefixes.restart}` : ''} }` : ''}`;
    lines.push(`  - { address: ${q(p.address)}, remote-asn: ${p.asn}, hold-time: ${p.holdTime ?? 30}, connect-retry: ${p.connectRetry ?? 1}, families: [${fams}], ${nh}${extra} }`);
  }
  const gr = s.gracefulRestart;
  if (gr !== undefined) {
    lines.push(`graceful-restart: { restart-time: ${gr.restartTime}${gr.restarting === true ? ', restarting: true' : ''}${gr.stalePathTime !== undefined ? `, stale-path-time: ${gr.stalePathTime}` : ''} }`);
  }
  if (s.extraYaml !== undefined) lines.push(s.extraYaml.trimEnd());
  lines.push(s.routes.length === 0 ? 'prefixes: []' : 'prefixes:');
  for (const r of s.routes) {
    const attrs = [`prefix: ${q(r.prefix)}`];
    if (r.med !== undefined) attrs.push(`med: ${r.med}`);
    if (r.communities !== undefined) attrs.push(`communities: [${r.communities.map(q).join(', ')}]`);
    if (r.largeCommunities !== undefined) attrs.push(`large-communities: [${r.largeCommunities.map(q).join(', ')}]`);
    lines.push(`  - { ${attrs.join(', ')} }`);
  }
  return `${lines.join('\n')}\n`;
}

/** One running `podnet bgpd`. */
export class Bgpd {
  readonly proc: NsProcess;
  readonly socket: string;
  readonly configFile: string;
  spec: BgpdSpec;

  private constructor(proc: NsProcess, socket: string, configFile: string, spec: BgpdSpec) {
    this.proc = proc;
    this.socket = socket;
    this.configFile = configFile;
    this.spec = spec;
  }

  static start(ns: Netns, dir: string, spec: BgpdSpec): Bgpd {
    const socket = join(dir, `bgpd-${spec.name}.sock`);
    const configFile = join(dir, `bgpd-${spec.name}.yaml`);
    writeFileSync(configFile, bgpdConfig(spec, socket));
    return new Bgpd(ns.spawnNode(`bgpd-${spec.name}`, podnet, ['bgpd', '--config', configFile, '-v', '1']), socket, configFile, spec);
  }

  /** Rewrites the config and reloads it (SIGHUP). */
  reload(spec: BgpdSpec): void {
    this.spec = spec;
    writeFileSync(this.configFile, bgpdConfig(spec, this.socket));
    process.kill(this.proc.pid, 'SIGHUP');
  }

  /** Resolves once the API answers and the listener is bound (a raw peer may dial in). */
  async ready(timeoutMs = 15_000): Promise<void> {
    await waitFor(`bgpd ${this.spec.name} listening`, async () => {
      try {
        const g = (await apiRequest(this.socket, 'GET', '/v1/bgp/global')) as GlobalView;
        return g.listen.length > 0;
      } catch {
        return false;
      }
    }, { timeoutMs, intervalMs: 100 });
  }

  async neighbor(address: string): Promise<NeighborView> {
    return (await apiRequest(this.socket, 'GET', `/v1/bgp/neighbor?address=${address}`)) as NeighborView;
  }

  /** Every path of the Loc-RIB (best or not), by prefix. */
  async rib(): Promise<DestinationView[]> {
    return (await apiRequest(this.socket, 'GET', '/v1/bgp/rib')) as DestinationView[];
  }

  /** Best paths learned from neighbours, by prefix. */
  async learned(): Promise<Map<string, PathView>> {
    const ds = (await apiRequest(this.socket, 'GET', '/v1/bgp/rib')) as DestinationView[];
    return bestLearned(ds);
  }

  /** The same, through the CLI: `podnet --socket S -j global rib`. */
  cliRib(): Promise<Map<string, PathView>> {
    return new Promise((resolve, reject) => {
      execFile(process.execPath, [podnet, '--socket', this.socket, '-j', 'global', 'rib'], { timeout: 20_000 }, (err, stdout) => {
        if (err !== null) reject(err);
        else resolve(bestLearned(JSON.parse(stdout) as DestinationView[]));
      });
    });
  }

  log(): string {
    return this.proc.log().slice(-4000);
  }
}

function bestLearned(ds: readonly DestinationView[]): Map<string, PathView> {
  return new Map(ds.flatMap((d) => d.paths.filter((p) => p.best && p.source !== 'local').map((p) => [d.prefix, p] as const)));
}

/** A path of our RIB in the daemon-neutral shape (LOCAL_PREF left out: eBGP). */
export function fromOurRib(p: PathView): RibRoute {
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

/** A daemon's route without LOCAL_PREF, lists sorted, for comparison. */
export function comparable(r: RibRoute): RibRoute {
  const { localPref: _lp, ...rest } = r;
  return { ...rest, communities: [...r.communities].sort(), largeCommunities: [...r.largeCommunities].sort() };
}
