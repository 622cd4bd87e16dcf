// The benchmark's route injector: BIRD 2 in its own namespace with K static
// IPv4 /32 routes (one `route P/32 blackhole;` line each, in an included file)
// exported over one eBGP session per receiver kind. Every session starts
// disabled; the benchmark enables exactly one at a time, once the receiver
// and its poller are ready, and disables it after the measurement, so one
// loaded injector serves every receiver and run of a given K.
// BIRD < 2.14 (Debian ships 2.0.12) may sleep ~3 s in poll() before its last
// UPDATE/End-of-RIB towards a silent receiver (fixed upstream in 2.14): while
// a session is enabled a cheap CLI command every few ms keeps its loop awake.
// RFC 4271 (eBGP session, UPDATEs), RFC 4724 §2 (End-of-RIB, sent by BIRD).
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Netns, NsProcess } from '../../test/helpers/netns.ts';
import { connectBirdCtl } from './birdctl.ts';
import type { BirdCtl } from './birdctl.ts';

export interface InjectorPeer {
  /** BIRD protocol name, e.g. "p_gobgp". */
  readonly protocol: string;
  readonly localAddress: string;
  readonly address: string;
  readonly asn: number;
}

export interface InjectorSpec {
  readonly ns: Netns;
  readonly dir: string;
  readonly routerId: string;
  readonly asn: number;
  readonly k: number;
  /** First /32 (as a 32-bit integer); the routes are base .. base+k-1. */
  readonly base: number;
  readonly peers: readonly InjectorPeer[];
  /** Interval of the wake-up command in ms (0: off). */
  readonly wakeMs?: number;
}

export function ipv4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function ipv4Int(s: string): number {
  const parts = s.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad IPv4 address ${s}`);
  return parts.reduce((a, p) => a * 256 + p, 0);
}

/** Writes K `route A.B.C.D/32 blackhole;` lines in chunks (1M lines in about a second). */
async function writeRoutes(path: string, base: number, k: number): Promise<void> {
  const out = createWriteStream(path);
  const chunk = 20_000;
  for (let i = 0; i < k; ) {
    const end = Math.min(k, i + chunk);
    const lines: string[] = [];
    for (; i < end; i++) lines.push(`route ${ipv4Text(base + i)}/32 blackhole;`);
    if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export class BirdInjector {
  readonly spec: InjectorSpec;
  readonly ctlPath: string;
  readonly proc: NsProcess;
  #ctl: BirdCtl;
  #wake: { stop: boolean; done: Promise<void> } | undefined;

  private constructor(spec: InjectorSpec, proc: NsProcess, ctl: BirdCtl, ctlPath: string) {
    this.spec = spec;
    this.proc = proc;
    this.#ctl = ctl;
    this.ctlPath = ctlPath;
  }

  static config(spec: InjectorSpec, routesPath: string): string {
    const l = [
      `log "${join(spec.dir, 'bird.log')}" { info, warning, error, auth, fatal, bug };`,
      `router id ${spec.routerId};`,
      'protocol device { scan time 60; }',
      // BIRD's include must start a line of its own.
      'protocol static feed {',
      '  ipv4;',
      `  include "${routesPath}";`,
      '}',
    ];
    for (const p of spec.peers) {
      l.push(
        `protocol bgp ${p.protocol} {`,
        '  disabled;',
        `  local ${p.localAddress} as ${spec.asn};`,
        `  neighbor ${p.address} as ${p.asn};`,
        '  hold time 90; keepalive time 30;',
        '  connect delay time 1; connect retry time 1; error wait time 1, 10;',
        '  ipv4 { import none; export all; };',
        '}',
      );
    }
    return `${l.join('\n')}\n`;
  }

  /** Writes the routes and config, starts BIRD and returns once its control socket answers. */
  static async start(spec: InjectorSpec): Promise<BirdInjector> {
    const routesPath = join(spec.dir, 'routes.conf');
    await writeRoutes(routesPath, spec.base, spec.k);
    const confPath = join(spec.dir, 'bird.conf');
    const w = createWriteStream(confPath);
    w.end(BirdInjector.config(spec, routesPath));
    await once(w, 'finish');
    const ctlPath = join(spec.dir, 'bird.ctl');
    const proc = spec.ns.spawn(`${spec.ns.name}-bird`, 'bird', ['-f', '-c', confPath, '-s', ctlPath, '-P', join(spec.dir, 'bird.pid')], {
      logPath: join(spec.dir, 'bird.stderr'),
    });
    const ctl = await connectBirdCtl(ctlPath, 120_000, () => proc.running);
    return new BirdInjector(spec, proc, ctl, ctlPath);
  }

  /** Resolves once BIRD's own table holds all K static routes. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { imported } = await this.#ctl.protocol('feed');
      if (imported >= this.spec.k) return;
      if (!this.proc.running) throw new Error(`injector BIRD exited:\n${this.proc.log().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`injector holds ${imported}/${this.spec.k} routes after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Enables one session and starts the wake-up loop. */
  async enable(protocol: string): Promise<void> {
    this.#startWake();
    const r = await this.#ctl.cmd(`enable ${protocol}`);
    if (!/enabled/.test(r)) throw new Error(`birdc enable ${protocol}: ${r}`);
  }

  /** Disables one session (BIRD sends a Cease NOTIFICATION) and stops the wake-up loop. */
  async disable(protocol: string): Promise<void> {
    await this.#stopWake();
    const r = await this.#ctl.cmd(`disable ${protocol}`);
    if (!/disabled/.test(r)) throw new Error(`birdc disable ${protocol}: ${r}`);
  }

  async protocolState(protocol: string): Promise<string> {
    return (await this.#ctl.protocol(protocol)).state;
  }

  #startWake(): void {
    const iv = this.spec.wakeMs ?? 5;
    if (iv <= 0 || this.#wake !== undefined) return;
    const state = { stop: false, done: Promise.resolve() };
    state.done = (async () => {
      let c: BirdCtl;
      try {
        c = await connectBirdCtl(this.ctlPath, 5_000, () => this.proc.running);
      } catch {
        return;
      }
      while (!state.stop && !c.closed) {
        await c.cmd('show status').catch(() => '');
        await new Promise((r) => setTimeout(r, iv));
      }
      c.close();
    })();
    this.#wake = state;
  }

  async #stopWake(): Promise<void> {
    const w = this.#wake;
    if (w === undefined) return;
    w.stop = true;
    this.#wake = undefined;
    await w.done;
  }

  async stop(): Promise<void> {
    await this.#stopWake();
    this.#ctl.close();
    await this.proc.stop();
  }
}
