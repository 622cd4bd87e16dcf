// GoBGP 3.10 (Debian's gobgpd) as a test peer: writes gobgpd.toml (global
// config + one neighbour section each), runs gobgpd in the namespace with its
// gRPC API on a unix socket in the instance directory (no TCP port, no
// clash between instances), originates routes with `gobgp global rib add`
// and reads `gobgp -j global rib`. RFC 4271, RFC 4760, RFC 1997, RFC 8092,
// RFC 2385.
//
// GoBGP dials out only 5-10 s after start (connect-retry is at least 5 s
// and the first attempt waits a random part of it): prefer making it the
// passive side. It sends End-of-RIB only with `gracefulRestart: true`.
// Limits: `exportStatic: false` is not supported (GoBGP applies per-neighbour
// export policy only to route-server clients). Our routes need a next hop when
// added: spec.nextHop, else the listen address / router-id (IPv4) and `::`
// (IPv6: GoBGP then puts the session's local address on eBGP sessions).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../netns.ts';
import { DaemonBase, ownNextHop, parseCommunity } from './daemon.ts';
import { canonicalPrefix, familyOf, neighborFamilies, sortRib } from './types.ts';
import type { DaemonSpec, Family, OriginRoute, RibRoute } from './types.ts';

export class Gobgp extends DaemonBase {
  readonly kind = 'gobgp' as const;
  readonly target: string;

  private constructor(spec: DaemonSpec) {
    super(spec, 'gobgp');
    this.target = `unix://${join(this.dir, 'gobgp.sock')}`;
  }

  static async start(spec: DaemonSpec): Promise<Gobgp> {
    if (spec.neighbors.some((n) => n.exportStatic === false)) throw new Error('gobgp peer: exportStatic=false is not supported');
    const g = new Gobgp(spec);
    writeFileSync(join(g.dir, 'gobgpd.toml'), g.config());
    g.procs.push(
      spec.ns.spawn(`${spec.ns.name}-gobgpd`, 'gobgpd', ['-f', join(g.dir, 'gobgpd.toml'), '-t', 'toml', '--api-hosts', g.target, '--pprof-disable', '-p', '-l', 'info'], {
        logPath: join(g.dir, 'gobgpd.log'),
      }),
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await run('gobgp', ['--target', g.target, 'global'], { allowFail: true });
      if (r.stdout.includes('AS:')) break;
      g.assertRunning();
      if (Date.now() > deadline) throw new Error(`gobgpd did not come up\n${g.log()}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    for (const r of g.routes.values()) await g.add(r);
    return g;
  }

  config(): string {
    const s = this.spec;
    const l = ['[global.config]', `  as = ${s.asn}`, `  router-id = "${s.routerId}"`, `  port = ${s.listenPort ?? 179}`];
    if (s.listenAddress !== undefined) l.push(`  local-address-list = ["${s.listenAddress}"]`);
    for (const n of s.neighbors) {
      const hold = n.holdTime ?? 90;
      l.push('[[neighbors]]', '  [neighbors.config]', `    neighbor-address = "${n.address}"`, `    peer-as = ${n.asn}`);
      if (n.password !== undefined) l.push(`    auth-password = "${n.password}"`);
      l.push('  [neighbors.timers.config]', '    connect-retry = 1', `    hold-time = ${hold}`, `    keepalive-interval = ${Math.max(1, Math.floor(hold / 3))}`);
      l.push('  [neighbors.transport.config]', `    passive-mode = ${n.passive === true}`);
      if (n.port !== undefined) l.push(`    remote-port = ${n.port}`);
      if (s.listenAddress !== undefined && familyOf(s.listenAddress) === familyOf(n.address)) l.push(`    local-address = "${s.listenAddress}"`);
      if (n.multihop !== undefined) l.push('  [neighbors.ebgp-multihop.config]', '    enabled = true', `    multihop-ttl = ${n.multihop}`);
      const gr = n.gracefulRestart === true;
      if (gr) l.push('  [neighbors.graceful-restart.config]', '    enabled = true', '    restart-time = 120');
      for (const fam of neighborFamilies(n)) {
        l.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = "${fam}-unicast"`);
        if (gr) l.push('    [neighbors.afi-safis.mp-graceful-restart.config]', '      enabled = true');
      }
    }
    return `${l.join('\n')}\n`;
  }

  /** Runs the gobgp CLI against this instance. */
  async gobgp(args: readonly string[]): Promise<string> {
    return (await run('gobgp', ['--target', this.target, ...args])).stdout;
  }

  private async add(r: OriginRoute): Promise<void> {
    const fam = familyOf(r.prefix);
    const args = ['global', 'rib', 'add', '-a', fam, r.prefix, 'nexthop', ownNextHop(this.spec, fam)];
    if (r.med !== undefined) args.push('med', String(r.med));
    if (r.localPref !== undefined) args.push('local-pref', String(r.localPref));
    if ((r.communities ?? []).length > 0) args.push('community', (r.communities ?? []).map((c) => parseCommunity(c, 2).join(':')).join(','));
    if ((r.largeCommunities ?? []).length > 0)
      args.push('large-community', (r.largeCommunities ?? []).map((c) => parseCommunity(c, 3).join(':')).join(','));
    await this.gobgp(args);
  }

  protected async established(neighbor: string): Promise<boolean> {
    const j = JSON.parse(await this.gobgp(['-j', 'neighbor', neighbor])) as { state?: { session_state?: number | string } };
    const st = j.state?.session_state;
    return st === 6 || st === 'established' || st === 'ESTABLISHED';
  }

  async rib(family?: Family): Promise<RibRoute[]> {
    const fams: Family[] = family === undefined ? ['ipv4', 'ipv6'] : [family];
    const out: RibRoute[] = [];
    for (const fam of fams) out.push(...parseGobgpRib(await this.gobgp(['-j', 'global', 'rib', '-a', fam])));
    return sortRib(out);
  }

  async announce(route: OriginRoute): Promise<void> {
    if (this.routes.has(route.prefix)) await this.withdraw(route.prefix);
    this.routes.set(route.prefix, route);
    await this.add(route);
  }

  async withdraw(prefix: string): Promise<void> {
    this.routes.delete(prefix);
    await this.gobgp(['global', 'rib', 'del', '-a', familyOf(prefix), prefix]);
  }
}

interface GobgpAttr {
  type: number;
  value?: unknown;
  nexthop?: string;
  metric?: number;
  as_paths?: { segment_type?: number; asns?: number[] }[];
  communities?: number[];
}
interface GobgpPath {
  best?: boolean;
  attrs?: GobgpAttr[];
  'neighbor-ip'?: string;
  'source-id'?: string;
}

/** Parses `gobgp -j global rib -a <family>`: {prefix: [path, ...]}, best paths only. */
export function parseGobgpRib(text: string): RibRoute[] {
  const j = JSON.parse(text) as Record<string, GobgpPath[]> | null;
  const out: RibRoute[] = [];
  for (const [prefix, paths] of Object.entries(j ?? {})) {
    const best = paths.find((p) => p.best === true);
    if (best === undefined) continue;
    const r: {
      prefix: string;
      nextHop: string;
      asPath: number[];
      med?: number;
      localPref?: number;
      communities: string[];
      largeCommunities: string[];
      peer?: string;
    } = { prefix: canonicalPrefix(prefix), nextHop: '', asPath: [], communities: [], largeCommunities: [] };
    for (const a of best.attrs ?? []) {
      switch (a.type) {
        case 2: // AS_PATH (RFC 4271 §4.3); segments flattened
          r.asPath = (a.as_paths ?? []).flatMap((s) => s.asns ?? []);
          break;
        case 3: // NEXT_HOP
          r.nextHop = a.nexthop ?? '';
          break;
        case 4: // MULTI_EXIT_DISC
          if (a.metric !== undefined) r.med = a.metric;
          break;
        case 5: // LOCAL_PREF
          if (typeof a.value === 'number') r.localPref = a.value;
          break;
        case 8: // COMMUNITIES (RFC 1997): 32-bit values
          r.communities = (a.communities ?? []).map((c) => `${Math.floor(c / 65536)}:${c % 65536}`);
          break;
        case 14: // MP_REACH_NLRI (RFC 4760 §3)
          if (a.nexthop !== undefined) r.nextHop = a.nexthop;
          break;
        case 32: // LARGE_COMMUNITY (RFC 8092)
          r.largeCommunities = ((a.value ?? []) as { ASN?: number; LocalData1?: number; LocalData2?: number }[]).map(
            (c) => `${c.ASN ?? 0}:${c.LocalData1 ?? 0}:${c.LocalData2 ?? 0}`,
          );
          break;
        default:
          break;
      }
    }
    r.nextHop = r.nextHop === '' ? '' : canonicalPrefix(r.nextHop);
    const peer = best['neighbor-ip'];
    if (peer !== undefined && !['<nil>', '0.0.0.0', '::', ''].includes(peer)) r.peer = canonicalPrefix(peer);
    out.push(r);
  }
  return out;
}
