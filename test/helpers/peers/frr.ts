// FRR 8.4 (Debian's frr) as a test peer: writes bgpd.conf (network
// statements with one route-map per route for MED / LOCAL_PREF / communities /
// large communities), runs bgpd in the namespace with its own vty socket
// directory, pid file and config, reads `show bgp <afi> unicast json detail`
// through `vtysh --vty_socket`, announces/withdraws with `network` /
// `no network` in vtysh. RFC 4271, RFC 4760, RFC 1997, RFC 8092, RFC 2385,
// RFC 9003 (shutdown communication, see `shutdownNeighbor`).
//
// By default a zebra with its own zserv socket runs first (as user frr) and
// bgpd (-S: stays root) installs best paths into the namespace's kernel table.
// `zebra: false` runs bgpd with -Z (no zebra, no kernel installs), but then
// bgpd knows no interfaces and rejects an IPv6 UPDATE whose MP_REACH next hop
// carries a link-local address (BIRD sends global + link-local on a direct
// session): "sent a v6 LL next-hop and there's no peer interface information". `no bgp ebgp-requires-policy`
// is needed, else FRR 8 neither sends nor accepts eBGP routes without a policy
// (RFC 8212). bgpd's `-l` is avoided: it silently implies `-n` (no kernel installs).
import { chmodSync, chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../netns.ts';
import { DaemonBase, parseCommunity } from './daemon.ts';
import { canonicalPrefix, familyOf, neighborFamilies, sortRib } from './types.ts';
import type { DaemonSpec, Family, OriginRoute, RibRoute } from './types.ts';

const FRR_DIR = '/usr/lib/frr';

export interface FrrOptions {
  /** Run zebra too and install best paths into the namespace's kernel table (default true). */
  readonly zebra?: boolean;
}

export class Frr extends DaemonBase {
  readonly kind = 'frr' as const;
  readonly #withZebra: boolean;

  private constructor(spec: DaemonSpec, withZebra: boolean) {
    super(spec, 'frr');
    this.#withZebra = withZebra;
  }

  static async start(spec: DaemonSpec, opts: FrrOptions = {}): Promise<Frr> {
    const f = new Frr(spec, opts.zebra !== false);
    const d = f.dir;
    writeFileSync(join(d, 'bgpd.conf'), f.config());
    const common = ['--vty_socket', d, '-P', '0'];
    if (f.#withZebra) {
      // zebra has no -S: it drops to the frr user, which must reach its files.
      writeFileSync(join(d, 'zebra.conf'), 'hostname zebra\n');
      const { uid, gid } = frrIds();
      chmodSync(spec.ns.lab.dir, 0o755);
      for (const p of [d, join(d, 'zebra.conf')]) chownSync(p, uid, gid);
      const zArgs = ['-f', join(d, 'zebra.conf'), '-i', join(d, 'zebra.pid'), '-z', join(d, 'zserv.api'), '-u', 'frr', '-g', 'frr', ...common];
      zArgs.push('--log', `file:${join(d, 'zebra.log')}`);
      f.procs.push(
        spec.ns.spawn(`${spec.ns.name}-zebra`, join(FRR_DIR, 'zebra'), zArgs, {
          logPath: join(d, 'zebra.stderr'),
        }),
      );
      await f.vtysh(['show version'], 10_000, 'zebra');
      // bfdd (BFD, RFC 5880) when a neighbour asks for it: bgpd registers its peers through zebra
      const bfd = spec.neighbors.find((n) => n.bfd !== undefined)?.bfd;
      if (bfd !== undefined) {
        const conf = ['bfd', ' profile podnet', `  receive-interval ${bfd.minRx}`, `  transmit-interval ${bfd.minTx}`, `  detect-multiplier ${bfd.multiplier}`, ' exit', 'exit', ''].join('\n');
        writeFileSync(join(d, 'bfdd.conf'), conf);
        chownSync(join(d, 'bfdd.conf'), uid, gid);
        const bArgs = ['-f', join(d, 'bfdd.conf'), '-i', join(d, 'bfdd.pid'), '-z', join(d, 'zserv.api'), '-u', 'frr', '-g', 'frr', ...common, '--log', `file:${join(d, 'bfdd.log')}`];
        f.procs.push(spec.ns.spawn(`${spec.ns.name}-bfdd`, join(FRR_DIR, 'bfdd'), bArgs, { logPath: join(d, 'bfdd.stderr') }));
        await f.vtysh(['show bfd peers'], 10_000, 'bfdd');
      }
    }
    const bgpArgs = ['-f', join(d, 'bgpd.conf'), '-i', join(d, 'bgpd.pid'), ...common, '-S', '--log', `file:${join(d, 'frr.log')}`];
    bgpArgs.push('-p', String(spec.listenPort ?? 179));
    bgpArgs.push(...(f.#withZebra ? ['-z', join(d, 'zserv.api')] : ['-Z']));
    f.procs.push(spec.ns.spawn(`${spec.ns.name}-bgpd`, join(FRR_DIR, 'bgpd'), bgpArgs, { logPath: join(d, 'bgpd.stderr') }));
    await f.vtysh(['show bgp summary'], 10_000);
    return f;
  }

  private routeMapName(prefix: string): string {
    return `PN-${prefix.replace(/[^0-9a-fA-F]/g, '-')}`;
  }

  private routeMap(r: OriginRoute): string[] {
    const sets: string[] = [];
    if (r.med !== undefined) sets.push(` set metric ${r.med}`);
    if (r.localPref !== undefined) sets.push(` set local-preference ${r.localPref}`);
    if ((r.communities ?? []).length > 0) sets.push(` set community ${(r.communities ?? []).map((c) => parseCommunity(c, 2).join(':')).join(' ')}`);
    if ((r.largeCommunities ?? []).length > 0)
      sets.push(` set large-community ${(r.largeCommunities ?? []).map((c) => parseCommunity(c, 3).join(':')).join(' ')}`);
    return [`route-map ${this.routeMapName(r.prefix)} permit 10`, ...sets, 'exit'];
  }

  private afi(fam: Family): string {
    return fam === 'ipv4' ? 'ipv4 unicast' : 'ipv6 unicast';
  }

  config(): string {
    const s = this.spec;
    // The hostname travels in FRR's FQDN capability: keep it stable across runs.
    const lines = ['frr defaults traditional', `hostname ${s.name ?? 'podnet-frr'}`, 'log timestamp precision 3'];
    for (const r of this.routes.values()) lines.push(...this.routeMap(r));
    lines.push('route-map PN-DENY deny 10', 'exit');
    lines.push(`router bgp ${s.asn}`, ` bgp router-id ${s.routerId}`, ' no bgp ebgp-requires-policy', ' no bgp network import-check');
    lines.push(' no bgp default ipv4-unicast', ' bgp log-neighbor-changes');
    for (const n of s.neighbors) {
      const a = n.address;
      const hold = n.holdTime ?? 90;
      lines.push(` neighbor ${a} remote-as ${n.asn}`, ` neighbor ${a} timers ${Math.max(1, Math.floor(hold / 3))} ${hold}`, ` neighbor ${a} timers connect 1`);
      if (n.port !== undefined) lines.push(` neighbor ${a} port ${n.port}`);
      if (n.passive === true) lines.push(` neighbor ${a} passive`);
      if (n.password !== undefined) lines.push(` neighbor ${a} password ${n.password}`);
      if (n.multihop !== undefined) lines.push(` neighbor ${a} ebgp-multihop ${n.multihop}`);
      if (n.gracefulRestart === true) lines.push(` neighbor ${a} graceful-restart`);
      if (n.bfd !== undefined) lines.push(` neighbor ${a} bfd`, ` neighbor ${a} bfd profile podnet`);
      if (s.listenAddress !== undefined && familyOf(s.listenAddress) === familyOf(a)) lines.push(` neighbor ${a} update-source ${s.listenAddress}`);
    }
    for (const fam of ['ipv4', 'ipv6'] as const) {
      lines.push(` address-family ${this.afi(fam)}`);
      for (const r of this.routes.values()) if (familyOf(r.prefix) === fam) lines.push(`  network ${r.prefix} route-map ${this.routeMapName(r.prefix)}`);
      for (const n of s.neighbors) {
        if (!neighborFamilies(n).includes(fam)) continue;
        lines.push(`  neighbor ${n.address} activate`);
        if (n.exportStatic === false) lines.push(`  neighbor ${n.address} route-map PN-DENY out`);
        if (n.asn === s.asn) lines.push(`  neighbor ${n.address} next-hop-self`);
      }
      lines.push(' exit-address-family');
    }
    lines.push('exit');
    return `${lines.join('\n')}\n`;
  }

  /** Runs vtysh commands (each its own -c) against this instance's daemons. */
  async vtysh(cmds: readonly string[], timeoutMs = 5_000, daemon = 'bgpd'): Promise<string> {
    const args = ['--vty_socket', this.dir, '-d', daemon, ...cmds.flatMap((c) => ['-c', c])];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await run('vtysh', args, { allowFail: true, timeoutMs });
      const failed = /failed to connect|Exiting: failed|is not running/i.test(r.stdout + r.stderr);
      if (!failed) return r.stdout;
      this.assertRunning();
      if (Date.now() > deadline) throw new Error(`vtysh ${cmds.join(' ; ')}: ${r.stdout}${r.stderr}\n${this.log().slice(-2000)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  protected async established(neighbor: string): Promise<boolean> {
    const out = await this.vtysh([`show bgp neighbors ${neighbor} json`]);
    const j = JSON.parse(out) as Record<string, { bgpState?: string }>;
    return j[neighbor]?.bgpState === 'Established';
  }

  async rib(family?: Family): Promise<RibRoute[]> {
    const fams: Family[] = family === undefined ? ['ipv4', 'ipv6'] : [family];
    const out: RibRoute[] = [];
    for (const fam of fams) out.push(...parseFrrDetailTable(await this.vtysh([`show bgp ${this.afi(fam)} json detail`])));
    return sortRib(out);
  }

  async announce(route: OriginRoute): Promise<void> {
    this.routes.set(route.prefix, route);
    const cmds = ['configure terminal', ...this.routeMap(route), `router bgp ${this.spec.asn}`, `address-family ${this.afi(familyOf(route.prefix))}`];
    cmds.push(`network ${route.prefix} route-map ${this.routeMapName(route.prefix)}`, 'end');
    await this.configure(cmds);
  }

  async withdraw(prefix: string): Promise<void> {
    this.routes.delete(prefix);
    await this.configure(['configure terminal', `router bgp ${this.spec.asn}`, `address-family ${this.afi(familyOf(prefix))}`, `no network ${prefix}`, 'end']);
  }

  /** Whether FRR has received End-of-RIB (RFC 4724 §2) for `family` from `neighbor` (needs GR negotiated, see the header). */
  async endOfRibReceived(neighbor: string, family: Family): Promise<boolean> {
    const j = JSON.parse(await this.vtysh([`show bgp neighbors ${neighbor} json`])) as Record<string, { gracefulRestartInfo?: { endOfRibRecv?: Record<string, boolean> } }>;
    return j[neighbor]?.gracefulRestartInfo?.endOfRibRecv?.[family === 'ipv4' ? 'ipv4Unicast' : 'ipv6Unicast'] === true;
  }

  /** Prefixes FRR advertises to `neighbor` (its Adj-RIB-Out) for `family`. */
  async advertised(neighbor: string, family: Family): Promise<string[]> {
    const j = JSON.parse(await this.vtysh([`show bgp ${this.afi(family)} neighbors ${neighbor} advertised-routes json`])) as { advertisedRoutes?: Record<string, unknown> };
    return Object.keys(j.advertisedRoutes ?? {}).map(canonicalPrefix);
  }

  /**
   * Administrative shutdown of a neighbour with a shutdown communication
   * (RFC 8203 / RFC 9003): FRR sends NOTIFICATION Cease/2 carrying `message`.
   */
  async shutdownNeighbor(neighbor: string, message?: string): Promise<void> {
    const msg = message === undefined ? '' : ` message ${message}`;
    await this.configure(['configure terminal', `router bgp ${this.spec.asn}`, `neighbor ${neighbor} shutdown${msg}`, 'end']);
  }

  private async configure(cmds: readonly string[]): Promise<void> {
    const out = await this.vtysh(cmds);
    if (/% |Unknown command|error/i.test(out)) throw new Error(`vtysh configure failed: ${out}`);
  }

  override log(): string {
    return `${super.log()}\n== frr.log\n${this.readFile('frr.log')}\n== zebra.log\n${this.readFile('zebra.log')}`;
  }
}

/** uid/gid of the frr user, from /etc/passwd. */
function frrIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('frr:'));
  const f = line?.split(':');
  if (f === undefined) throw new Error('no frr user (is the frr package installed?)');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** FRR prints well-known communities (RFC 1997, RFC 3765, RFC 7999, RFC 8326, RFC 9494) by name. */
const WELL_KNOWN: Record<string, string> = {
  'graceful-shutdown': '65535:0',
  'accept-own': '65535:1',
  'route-filter-translated-v4': '65535:2',
  'route-filter-v4': '65535:3',
  'route-filter-translated-v6': '65535:4',
  'route-filter-v6': '65535:5',
  'llgr-stale': '65535:6',
  'no-llgr': '65535:7',
  'accept-own-nexthop': '65535:8',
  blackhole: '65535:666',
  'no-export': '65535:65281',
  'no-advertise': '65535:65282',
  'local-AS': '65535:65283',
  'no-peer': '65535:65284',
  internet: '0:0',
};

interface FrrDetailPath {
  aspath?: { string?: string; segments?: { type?: string; list?: number[] }[] };
  metric?: number;
  localpref?: number;
  locPrf?: number;
  valid?: boolean;
  bestpath?: { overall?: boolean };
  community?: { string?: string };
  largeCommunity?: { string?: string };
  nexthops?: { ip?: string; scope?: string }[];
  peer?: { peerId?: string };
}

/**
 * Parses `show bgp <afi> unicast json detail` (FRR 8.4; the plain table view
 * has no communities): per prefix a header object, then the paths in the
 * per-prefix detail format. Best paths only.
 */
export function parseFrrDetailTable(text: string): RibRoute[] {
  const j = JSON.parse(text) as { routes?: Record<string, (FrrDetailPath & { prefix?: string })[]> };
  const out: RibRoute[] = [];
  for (const [prefix, entries] of Object.entries(j.routes ?? {})) {
    const r = parseFrrPrefix(JSON.stringify({ prefix, paths: entries.filter((e) => e.aspath !== undefined) }));
    if (r !== undefined) out.push(r);
  }
  return out;
}

/**
 * Parses `show bgp <afi> unicast <prefix> json` (FRR 8.4's per-prefix detail)
 * into the best path, if any.
 */
export function parseFrrPrefix(text: string): RibRoute | undefined {
  const j = JSON.parse(text) as { prefix?: string; paths?: FrrDetailPath[] };
  const best = (j.paths ?? []).find((p) => p.bestpath?.overall === true);
  if (best === undefined || j.prefix === undefined) return undefined;
  const nh = (best.nexthops ?? []).find((n) => n.scope !== 'link-local') ?? best.nexthops?.[0];
  const r: {
    prefix: string;
    nextHop: string;
    asPath: number[];
    med?: number;
    localPref?: number;
    communities: string[];
    largeCommunities: string[];
    peer?: string;
  } = {
    prefix: canonicalPrefix(j.prefix),
    nextHop: nh?.ip === undefined ? '' : canonicalPrefix(nh.ip),
    asPath: (best.aspath?.segments ?? []).flatMap((seg) => seg.list ?? []),
    communities: (best.community?.string ?? '').split(/\s+/).filter((x) => x !== '').map((c) => WELL_KNOWN[c] ?? c),
    largeCommunities: (best.largeCommunity?.string ?? '').split(/\s+/).filter((x) => x !== ''),
  };
  if (best.metric !== undefined) r.med = best.metric;
  const lp = best.localpref ?? best.locPrf;
  if (lp !== undefined) r.localPref = lp;
  const peer = best.peer?.peerId;
  if (peer !== undefined && !['(unspec)', '0.0.0.0', '::'].includes(peer)) r.peer = canonicalPrefix(peer);
  return r;
}
