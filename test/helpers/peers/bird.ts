// BIRD 2 (Debian's bird2 2.0.12) as a test peer: writes bird.conf with one
// static protocol per family (attributes set by its import filter) and one
// bgp protocol per neighbour, runs `bird -f` in the namespace with its own
// control socket and pid file, reads `birdc show route primary all` (text,
// parsed line by line), and announces/withdraws by rewriting the included
// routes file and `birdc configure`. RFC 4271 (BGP-4), RFC 4760 (MP-BGP),
// RFC 1997 (communities), RFC 8092 (large communities), RFC 2385 (MD5).
//
// Pitfall: BIRD < 2.14 may hold its last UPDATE/End-of-RIB ~3 s towards a
// silent receiver (poll() stall, fixed upstream in 2.14); `wake: true` keeps
// the event loop busy with a cheap CLI command to bound it.
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { run } from '../netns.ts';
import { DaemonBase, parseCommunity } from './daemon.ts';
import { canonicalPrefix, familyOf, neighborFamilies, sortRib } from './types.ts';
import type { DaemonSpec, Family, NeighborSpec, OriginRoute, RibRoute } from './types.ts';

export interface BirdOptions {
  /** Keep BIRD's event loop awake (see the header); default true. */
  readonly wake?: boolean;
  /** Install best BGP routes into the namespace's kernel table (ECMP merged); default false. */
  readonly kernel?: boolean;
  /** Start in graceful restart recovery (`bird -R`): R and F bits in the OPEN (RFC 4724 §3). */
  readonly recovery?: boolean;
}

export class Bird extends DaemonBase {
  readonly kind = 'bird' as const;
  readonly ctl: string;
  #wake: NodeJS.Timeout | undefined;
  #wakeSock: net.Socket | undefined;

  private constructor(spec: DaemonSpec) {
    super(spec, 'bird');
    this.ctl = join(this.dir, 'bird.ctl');
  }

  static async start(spec: DaemonSpec, opts: BirdOptions = {}): Promise<Bird> {
    const b = new Bird(spec);
    b.writeRoutes();
    writeFileSync(join(b.dir, 'bird.conf'), b.config(opts.kernel === true));
    b.procs.push(
      spec.ns.spawn(`${spec.ns.name}-bird`, 'bird', ['-f', ...(opts.recovery === true ? ['-R'] : []), '-c', join(b.dir, 'bird.conf'), '-s', b.ctl, '-P', join(b.dir, 'bird.pid')], {
        logPath: join(b.dir, 'bird.stderr'),
      }),
    );
    await b.birdc(['show', 'status'], 10_000);
    if (opts.wake !== false) b.startWake();
    return b;
  }

  /** The BIRD config: static routes come from routes-<family>.conf so that announce/withdraw only rewrite those. */
  config(kernel = false): string {
    const s = this.spec;
    const lines: string[] = [
      `log "${join(this.dir, 'bird.log')}" all;`,
      `router id ${s.routerId};`,
      'protocol device { scan time 10; }',
      // Connected networks in the table: multihop sessions resolve next hops recursively through them.
      'protocol direct { ipv4; ipv6; }',
      // Attributes are set in the BGP export filter: BIRD drops an eBGP MED
      // that was not set by the BGP protocol's own export filter.
      `include "${join(this.dir, 'attrs.conf')}";`,
    ];
    for (const fam of ['ipv4', 'ipv6'] as const) {
      lines.push(`protocol static static_${fam} {`, `  ${fam} { import all; };`, `  include "${join(this.dir, `routes-${fam}.conf`)}";`, '}');
    }
    if (kernel) {
      // Only BGP routes: the static blackholes stay out of the FIB.
      for (const fam of ['ipv4', 'ipv6'] as const) {
        lines.push(`protocol kernel kernel_${fam} {`, `  ${fam} { import none; export where source = RTS_BGP; };`, '  merge paths on;', '}');
      }
    }
    // BFD (RFC 5880) for the neighbours that ask for it: one bfd protocol with their timers
    const bfd = s.neighbors.find((n) => n.bfd !== undefined)?.bfd;
    if (bfd !== undefined) lines.push('protocol bfd {', `  interface "*" { min rx interval ${bfd.minRx} ms; min tx interval ${bfd.minTx} ms; multiplier ${bfd.multiplier}; };`, '}');
    s.neighbors.forEach((n, i) => lines.push(...this.bgpProtocol(n, i)));
    return `${lines.join('\n')}\n`;
  }

  static protocolName(index: number): string {
    return `peer${index}`;
  }

  private bgpProtocol(n: NeighborSpec, i: number): string[] {
    const s = this.spec;
    const hold = n.holdTime ?? 90;
    const out = [`protocol bgp ${Bird.protocolName(i)} {`];
    const local = s.listenAddress !== undefined && familyOf(s.listenAddress) === familyOf(n.address) ? `${s.listenAddress} ` : '';
    out.push(`  local ${local}as ${s.asn};`, `  neighbor ${n.address}${n.port === undefined ? '' : ` port ${n.port}`} as ${n.asn};`);
    if (s.listenPort !== undefined) out.push(`  local port ${s.listenPort};`);
    if (n.passive === true) out.push('  passive on;');
    out.push(`  hold time ${hold};`, `  keepalive time ${Math.max(1, Math.floor(hold / 3))};`);
    out.push('  connect delay time 1;', '  connect retry time 2;', '  error wait time 1, 10;');
    if (n.password !== undefined) out.push(`  password "${n.password}";`);
    if (n.multihop !== undefined) out.push(`  multihop ${n.multihop};`);
    if (n.gracefulRestart !== undefined) out.push(`  graceful restart ${n.gracefulRestart ? 'on' : 'off'};`);
    if (n.bfd !== undefined) out.push('  bfd on;');
    const ibgp = n.asn === s.asn;
    for (const fam of neighborFamilies(n)) {
      const exp = n.exportStatic === false ? 'none' : 'filter { if source != RTS_STATIC then reject; podnet_attrs(); accept; }';
      const nh: string[] = [];
      // MP next hop of the other family (RFC 4760 §3): BIRD needs it spelled out.
      const other = fam === 'ipv4' ? s.nextHop?.ipv4 : s.nextHop?.ipv6;
      if (other !== undefined && familyOf(n.address) !== fam) nh.push(`next hop address ${other};`);
      if (ibgp) nh.push('next hop self;');
      out.push(`  ${fam} { import all; export ${exp}; ${nh.join(' ')} };`);
    }
    out.push('}');
    return out;
  }

  /** The attribute-setting part of the export filter for one route. */
  static attrSets(r: OriginRoute): string {
    const sets: string[] = [];
    if (r.med !== undefined) sets.push(`bgp_med = ${r.med};`);
    if (r.localPref !== undefined) sets.push(`bgp_local_pref = ${r.localPref};`);
    for (const c of r.communities ?? []) sets.push(`bgp_community.add((${parseCommunity(c, 2).join(',')}));`);
    for (const c of r.largeCommunities ?? []) sets.push(`bgp_large_community.add((${parseCommunity(c, 3).join(',')}));`);
    return sets.join(' ');
  }

  private writeRoutes(): void {
    const all = [...this.routes.values()];
    for (const fam of ['ipv4', 'ipv6'] as const) {
      const rs = all.filter((r) => familyOf(r.prefix) === fam);
      writeFileSync(join(this.dir, `routes-${fam}.conf`), rs.map((r) => `route ${r.prefix} blackhole;\n`).join(''));
    }
    const body = all
      .filter((r) => Bird.attrSets(r) !== '')
      .map((r) => `  if net = ${r.prefix} then { ${Bird.attrSets(r)} }\n`)
      .join('');
    writeFileSync(join(this.dir, 'attrs.conf'), `function podnet_attrs() {\n${body}}\n`);
  }

  /** Runs a birdc command against this instance's control socket. */
  async birdc(args: readonly string[], timeoutMs = 5_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await run('birdc', ['-s', this.ctl, ...args], { allowFail: true, timeoutMs });
      if (!r.stdout.includes('Unable to connect') && r.stdout.length > 0) return r.stdout;
      this.assertRunning();
      if (Date.now() > deadline) throw new Error(`birdc ${args.join(' ')}: ${r.stdout}${r.stderr}\n${this.log().slice(-2000)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  protected async established(neighbor: string): Promise<boolean> {
    const i = this.spec.neighbors.findIndex((n) => n.address === neighbor);
    if (i < 0) throw new Error(`no neighbour ${neighbor} configured`);
    const out = await this.birdc(['show', 'protocols', Bird.protocolName(i)]);
    return /\bEstablished\b/.test(out);
  }

  async rib(family?: Family): Promise<RibRoute[]> {
    const tables = family === undefined ? ['master4', 'master6'] : [family === 'ipv4' ? 'master4' : 'master6'];
    const routes: RibRoute[] = [];
    for (const t of tables) routes.push(...parseBirdRoutes(await this.birdc(['show', 'route', 'table', t, 'primary', 'all']), this.peerNames()));
    return sortRib(routes);
  }

  private peerNames(): Map<string, string> {
    return new Map(this.spec.neighbors.map((n, i) => [Bird.protocolName(i), n.address]));
  }

  async announce(route: OriginRoute): Promise<void> {
    this.routes.set(route.prefix, route);
    await this.reconfigure();
  }

  async withdraw(prefix: string): Promise<void> {
    this.routes.delete(prefix);
    await this.reconfigure();
  }

  private async reconfigure(): Promise<void> {
    this.writeRoutes();
    const out = await this.birdc(['configure']);
    if (!/Reconfigured|Reconfiguration in progress/.test(out)) throw new Error(`birdc configure: ${out}`);
  }

  private startWake(): void {
    const connect = (): void => {
      const sock = net.createConnection(this.ctl);
      this.#wakeSock = sock;
      sock.on('data', () => undefined);
      sock.on('error', () => undefined);
      sock.on('connect', () => {
        this.#wake = setInterval(() => sock.write('show status\n'), 10);
      });
    };
    connect();
  }

  override log(): string {
    return `${super.log()}\n== bird.log\n${this.readFile('bird.log')}`;
  }

  override async stop(): Promise<void> {
    clearInterval(this.#wake);
    this.#wakeSock?.destroy();
    await super.stop();
  }
}

/**
 * Parses `birdc show route ... all` output. A route block starts at column 0
 * with the prefix (or with spaces for a further route of the same prefix) and
 * continues with tab-indented attribute lines: "\tvia X on if",
 * "\tBGP.as_path: 1 2", "\tBGP.community: (1,2) (3,4)",
 * "\tBGP.large_community: (1, 2, 3)".
 */
export function parseBirdRoutes(text: string, peerByProtocol: ReadonlyMap<string, string> = new Map()): RibRoute[] {
  interface Draft {
    prefix: string;
    nextHop: string;
    asPath: number[];
    med?: number;
    localPref?: number;
    communities: string[];
    largeCommunities: string[];
    peer?: string;
  }
  const out: Draft[] = [];
  let cur: Draft | undefined;
  let lastPrefix = '';
  for (const raw of text.split('\n')) {
    const head = /^(\S+\/\d+)?\s+(unicast|blackhole|unreachable|prohibit)\s+\[(\S+)/.exec(raw);
    if (head && !raw.startsWith('\t')) {
      lastPrefix = head[1] ?? lastPrefix;
      const proto = head[3] ?? '';
      const peer = peerByProtocol.get(proto);
      if (peer === undefined && !proto.startsWith('static_')) {
        cur = undefined;
        continue;
      }
      cur = { prefix: canonicalPrefix(lastPrefix), nextHop: '', asPath: [], communities: [], largeCommunities: [] };
      if (peer !== undefined) cur.peer = peer;
      out.push(cur);
      continue;
    }
    if (cur === undefined || !raw.startsWith('\t')) continue;
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^via (\S+)/.exec(line)) && cur.nextHop === '') cur.nextHop = canonicalPrefix(m[1] ?? '');
    else if ((m = /^BGP\.next_hop: (\S+)/.exec(line))) cur.nextHop = canonicalPrefix(m[1] ?? '');
    else if ((m = /^BGP\.as_path:(.*)$/.exec(line))) cur.asPath = (m[1] ?? '').trim().split(/\s+/).filter((x) => /^\d+$/.test(x)).map(Number);
    else if ((m = /^BGP\.med: (\d+)/.exec(line))) cur.med = Number(m[1]);
    else if ((m = /^BGP\.local_pref: (\d+)/.exec(line))) cur.localPref = Number(m[1]);
    else if ((m = /^BGP\.community:(.*)$/.exec(line))) cur.communities = [...(m[1] ?? '').matchAll(/\((\d+),\s*(\d+)\)/g)].map((x) => `${x[1]}:${x[2]}`);
    else if ((m = /^BGP\.large_community:(.*)$/.exec(line)))
      cur.largeCommunities = [...(m[1] ?? '').matchAll(/\((\d+),\s*(\d+),\s*(\d+)\)/g)].map((x) => `${x[1]}:${x[2]}:${x[3]}`);
  }
  return out;
}
