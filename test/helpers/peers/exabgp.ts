// ExaBGP 4.2 (Debian's exabgp) as a test peer: writes exabgp.conf (static
// routes with MED / LOCAL_PREF / communities / large communities), runs
// exabgp in the namespace configured only through exabgp.* environment
// variables (no /etc, /run or /var paths: no CLI pipes, no daemonising, log
// and pid in the instance directory), and drives it through an API process:
// a shell script that tails a commands file (our writes become API commands)
// and appends ExaBGP's JSON events (state changes, parsed UPDATEs) to
// events.jsonl, from which rib() is rebuilt. RFC 4271, RFC 4760, RFC 1997,
// RFC 8092, RFC 2385.
//
// Raw bytes for malformed-UPDATE tests: ExaBGP 4.2 has no API to send a
// whole raw message, but its generic attribute `attribute [ 0xCODE 0xFLAGS
// 0xHEX ]` puts arbitrary (flags, type code, value) triples into an UPDATE
// verbatim, with the length computed from the value (Extended Length set
// above 255 octets). `announceRaw()` uses it: wrong flags, wrong value
// lengths for known codes, unknown or malformed optional attributes. For
// malformations outside attributes (bad NLRI, bad lengths of the message's
// own fields) use a hand-written peer instead (see test/helpers/README.md).
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonBase, ownNextHop, parseCommunity } from './daemon.ts';
import { canonicalPrefix, familyOf, neighborFamilies, sortRib } from './types.ts';
import type { DaemonSpec, Family, OriginRoute, RibRoute } from './types.ts';

/** One raw path attribute as ExaBGP's generic attribute sends it. */
export interface RawAttribute {
  readonly code: number;
  readonly flags: number;
  /** Value octets as hex, without 0x ("" for an empty value). */
  readonly hex: string;
}

export class Exabgp extends DaemonBase {
  readonly kind = 'exabgp' as const;
  readonly #commands: string;
  readonly #events: string;

  private constructor(spec: DaemonSpec) {
    super(spec, 'exabgp');
    this.#commands = join(this.dir, 'commands');
    this.#events = join(this.dir, 'events.jsonl');
  }

  static async start(spec: DaemonSpec): Promise<Exabgp> {
    if (spec.neighbors.some((n) => n.exportStatic === false)) throw new Error('exabgp peer: exportStatic=false is not supported');
    const x = new Exabgp(spec);
    writeFileSync(x.#commands, '');
    writeFileSync(x.#events, '');
    writeFileSync(
      join(x.dir, 'api.sh'),
      // A background job of a non-interactive sh reads /dev/null unless its
      // stdin is redirected explicitly: hand ExaBGP's pipe over as fd 3.
      `#!/bin/sh\n# ExaBGP API process: events in, commands out.\nexec 3<&0\ncat <&3 >> '${x.#events}' &\nexec tail -n +1 -F '${x.#commands}' 2>/dev/null\n`,
    );
    writeFileSync(join(x.dir, 'exabgp.conf'), x.config());
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      'exabgp.daemon.daemonize': 'false',
      'exabgp.daemon.user': 'root',
      'exabgp.daemon.pid': join(x.dir, 'exabgp.pid'),
      'exabgp.api.cli': 'false',
      'exabgp.log.destination': join(x.dir, 'exabgp.log'),
      'exabgp.log.level': 'INFO',
      'exabgp.cache.attributes': 'false',
    };
    // ExaBGP listens only when told to; needed for passive neighbours.
    if (spec.neighbors.some((n) => n.passive === true)) {
      env['exabgp.tcp.bind'] = spec.listenAddress ?? '0.0.0.0';
      env['exabgp.tcp.port'] = String(spec.listenPort ?? 179);
    } else env['exabgp.tcp.bind'] = '';
    x.procs.push(spec.ns.spawn(`${spec.ns.name}-exabgp`, 'exabgp', [join(x.dir, 'exabgp.conf')], { env, logPath: join(x.dir, 'exabgp.stderr') }));
    return x;
  }

  /** The text of one route: `route P next-hop NH med .. local-preference .. community [..] large-community [..]`. */
  private routeText(r: OriginRoute): string {
    const parts = [`route ${r.prefix}`, `next-hop ${ownNextHop(this.spec, familyOf(r.prefix))}`];
    if (r.med !== undefined) parts.push(`med ${r.med}`);
    if (r.localPref !== undefined) parts.push(`local-preference ${r.localPref}`);
    if ((r.communities ?? []).length > 0) parts.push(`community [ ${(r.communities ?? []).map((c) => parseCommunity(c, 2).join(':')).join(' ')} ]`);
    if ((r.largeCommunities ?? []).length > 0)
      parts.push(`large-community [ ${(r.largeCommunities ?? []).map((c) => parseCommunity(c, 3).join(':')).join(' ')} ]`);
    return parts.join(' ');
  }

  config(): string {
    const s = this.spec;
    const l = ['process podnet-api {', `  run /bin/sh ${join(this.dir, 'api.sh')};`, '  encoder json;', '}'];
    for (const n of s.neighbors) {
      l.push(`neighbor ${n.address} {`, `  router-id ${s.routerId};`, `  local-as ${s.asn};`, `  peer-as ${n.asn};`, `  hold-time ${n.holdTime ?? 90};`);
      if (s.listenAddress !== undefined && familyOf(s.listenAddress) === familyOf(n.address)) l.push(`  local-address ${s.listenAddress};`);
      if (n.passive === true) l.push('  passive true;');
      if (n.port !== undefined) l.push(`  connect ${n.port};`);
      if (n.password !== undefined) l.push(`  md5-password "${n.password}";`);
      if (n.multihop !== undefined) l.push(`  outgoing-ttl ${n.multihop};`);
      l.push(`  family { ${neighborFamilies(n).map((f) => `${f} unicast;`).join(' ')} }`);
      if (n.gracefulRestart === true) l.push('  capability { graceful-restart 120; }');
      l.push('  api { processes [ podnet-api ]; neighbor-changes; receive { parsed; update; } }');
      const rs = [...this.routes.values()].filter((r) => neighborFamilies(n).includes(familyOf(r.prefix)));
      if (rs.length > 0) l.push('  static {', ...rs.map((r) => `    ${this.routeText(r)};`), '  }');
      l.push('}');
    }
    return `${l.join('\n')}\n`;
  }

  /** Sends one API command line (e.g. `announce route ...`, `neighbor X teardown 2`). */
  command(line: string): void {
    this.assertRunning();
    appendFileSync(this.#commands, `${line}\n`);
  }

  private events(): Record<string, unknown>[] {
    return readFileSync(this.#events, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  protected async established(neighbor: string): Promise<boolean> {
    let state = '';
    for (const e of this.events()) {
      const n = e['neighbor'] as { address?: { peer?: string }; state?: string } | undefined;
      if (e['type'] === 'state' && n?.address?.peer === neighbor && n.state !== undefined) state = n.state;
    }
    return Promise.resolve(state === 'up');
  }

  async rib(family?: Family): Promise<RibRoute[]> {
    const out = new Map<string, RibRoute>();
    for (const r of this.routes.values()) {
      const fam = familyOf(r.prefix);
      out.set(`self ${r.prefix}`, {
        prefix: canonicalPrefix(r.prefix),
        nextHop: canonicalPrefix(ownNextHop(this.spec, fam)),
        asPath: [],
        ...(r.med === undefined ? {} : { med: r.med }),
        ...(r.localPref === undefined ? {} : { localPref: r.localPref }),
        communities: [...(r.communities ?? [])],
        largeCommunities: [...(r.largeCommunities ?? [])],
      });
    }
    for (const r of exabgpReceived(this.events())) out.set(`${r.peer ?? ''} ${r.prefix}`, r);
    const all = [...out.values()].filter((r) => family === undefined || familyOf(r.prefix) === family);
    return Promise.resolve(sortRib(all));
  }

  async announce(route: OriginRoute): Promise<void> {
    this.routes.set(route.prefix, route);
    this.command(`announce ${this.routeText(route)}`);
    return Promise.resolve();
  }

  async withdraw(prefix: string): Promise<void> {
    this.routes.delete(prefix);
    this.command(`withdraw route ${prefix} next-hop ${ownNextHop(this.spec, familyOf(prefix))}`);
    return Promise.resolve();
  }

  /**
   * Announces `prefix` with extra raw path attributes, each sent verbatim as
   * (flags, code, computed length, value) by ExaBGP's generic attribute.
   */
  announceRaw(prefix: string, attributes: readonly RawAttribute[], nextHop = ownNextHop(this.spec, familyOf(prefix))): void {
    const attrs = attributes.map((a) => `attribute [ 0x${a.code.toString(16).padStart(2, '0')} 0x${a.flags.toString(16).padStart(2, '0')} 0x${a.hex} ]`);
    this.command(`announce route ${prefix} next-hop ${nextHop} ${attrs.join(' ')}`);
  }

  override log(): string {
    return `${super.log()}\n== exabgp.log\n${this.readFile('exabgp.log')}`;
  }
}

interface ExaUpdate {
  attribute?: {
    'as-path'?: (number | number[])[];
    med?: number;
    'local-preference'?: number;
    community?: [number, number][];
    'large-community'?: [number, number, number][];
  };
  announce?: Record<string, Record<string, ({ nlri?: string } | string)[]>>;
  withdraw?: Record<string, ({ nlri?: string } | string)[]>;
}

function nlriOf(x: { nlri?: string } | string): string {
  return canonicalPrefix(typeof x === 'string' ? x : (x.nlri ?? ''));
}

/** Replays ExaBGP's parsed-UPDATE events into the routes each peer currently announces. */
export function exabgpReceived(events: readonly Record<string, unknown>[]): RibRoute[] {
  const rib = new Map<string, RibRoute>();
  for (const e of events) {
    const n = e['neighbor'] as { address?: { peer?: string }; state?: string; message?: { update?: ExaUpdate } } | undefined;
    const peer = n?.address?.peer ?? '';
    if (e['type'] === 'state' && n?.state === 'down') {
      for (const k of rib.keys()) if (k.startsWith(`${peer} `)) rib.delete(k);
      continue;
    }
    const u = n?.message?.update;
    if (e['type'] !== 'update' || u === undefined) continue;
    for (const list of Object.values(u.withdraw ?? {})) for (const x of list) rib.delete(`${peer} ${nlriOf(x)}`);
    const a = u.attribute ?? {};
    for (const byNextHop of Object.values(u.announce ?? {})) {
      // ExaBGP lists an NLRI once per next hop of MP_REACH (global, then link-local): keep the global one.
      const hops = Object.entries(byNextHop);
      const global = hops.filter(([nh]) => !nh.toLowerCase().startsWith('fe80:'));
      for (const [nh, list] of global.length > 0 ? global : hops) {
        for (const x of list) {
          const prefix = nlriOf(x);
          rib.set(`${peer} ${prefix}`, {
            prefix,
            nextHop: canonicalPrefix(nh),
            asPath: (a['as-path'] ?? []).flat(),
            ...(a.med === undefined ? {} : { med: a.med }),
            ...(a['local-preference'] === undefined ? {} : { localPref: a['local-preference'] }),
            communities: (a.community ?? []).map(([x1, x2]) => `${x1}:${x2}`),
            largeCommunities: (a['large-community'] ?? []).map(([x1, x2, x3]) => `${x1}:${x2}:${x3}`),
            peer: canonicalPrefix(peer),
          });
        }
      }
    }
  }
  return [...rib.values()];
}
