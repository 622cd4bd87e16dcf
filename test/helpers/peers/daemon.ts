// Common skeleton of the real-daemon wrappers (bird.ts, frr.ts, gobgp.ts,
// exabgp.ts): the per-instance directory, the originated-route table that
// announce/withdraw edit, waitEstablished as a poll over the daemon's own
// session state (RFC 4271 §8.2.2 Established), and stop by PID.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../netns.ts';
import type { NsProcess } from '../netns.ts';
import type { BgpDaemon, DaemonKind, DaemonSpec, Family, OriginRoute, RibRoute } from './types.ts';

export abstract class DaemonBase implements BgpDaemon {
  abstract readonly kind: DaemonKind;
  readonly spec: DaemonSpec;
  readonly dir: string;
  /** Originated routes by prefix, as announce/withdraw leave them. */
  protected readonly routes = new Map<string, OriginRoute>();
  protected readonly procs: NsProcess[] = [];

  constructor(spec: DaemonSpec, kind: DaemonKind) {
    this.spec = spec;
    this.dir = join(spec.ns.lab.dir, `${spec.ns.name}-${spec.name ?? kind}`);
    mkdirSync(this.dir, { recursive: true });
    for (const r of spec.routes ?? []) this.routes.set(r.prefix, r);
  }

  /** PIDs of the daemon's processes (e.g. to freeze it with SIGSTOP). */
  pids(): number[] {
    return this.procs.map((p) => p.pid);
  }

  /** Kills the daemon's processes at once (SIGKILL): a crash, with no NOTIFICATION to its peers. */
  async crash(): Promise<void> {
    for (const p of this.procs) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await waitFor(`${this.kind} in ${this.spec.ns.name} to die`, () => this.procs.every((p) => !p.running), { timeoutMs: 5_000, intervalMs: 20 });
  }

  /** Whether the session to `neighbor` is Established right now. */
  protected abstract established(neighbor: string): Promise<boolean>;
  abstract rib(family?: Family): Promise<RibRoute[]>;
  abstract announce(route: OriginRoute): Promise<void>;
  abstract withdraw(prefix: string): Promise<void>;

  async waitEstablished(neighbor: string, timeoutMs = 30_000): Promise<void> {
    try {
      await waitFor(`${this.kind} in ${this.spec.ns.name}: session to ${neighbor} Established`, async () => {
        this.assertRunning();
        return this.established(neighbor);
      }, { timeoutMs, intervalMs: 100 });
    } catch (e: unknown) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new Error(`${msg}\n--- ${this.kind} log (tail) ---\n${this.log().slice(-3000)}`, { cause: e });
    }
  }

  /** Throws with the log tail if one of the daemon's processes died. */
  protected assertRunning(): void {
    const dead = this.procs.find((p) => !p.running);
    if (dead) throw new Error(`${dead.name} exited\n${this.log().slice(-3000)}`);
  }

  protected readFile(name: string): string {
    try {
      return readFileSync(join(this.dir, name), 'utf8');
    } catch {
      return '';
    }
  }

  log(): string {
    return this.procs.map((p) => `== ${p.name}\n${p.log()}`).join('\n');
  }

  async stop(): Promise<void> {
    // Stop in reverse start order (e.g. bgpd before zebra).
    for (const p of this.procs.toReversed()) await p.stop();
  }
}

/** Default next hop of the daemon's own routes for a family. */
export function ownNextHop(spec: DaemonSpec, family: Family): string {
  const configured = family === 'ipv4' ? spec.nextHop?.ipv4 : spec.nextHop?.ipv6;
  if (configured !== undefined) return configured;
  const la = spec.listenAddress;
  if (la !== undefined && la.includes(':') === (family === 'ipv6')) return la;
  return family === 'ipv4' ? spec.routerId : '::';
}

/** "65000:1" -> [65000, 1]; throws on malformed text. */
export function parseCommunity(c: string, parts: 2 | 3): number[] {
  const xs = c.split(':').map(Number);
  if (xs.length !== parts || xs.some((x) => !Number.isInteger(x) || x < 0)) throw new Error(`bad community ${c}`);
  return xs;
}
