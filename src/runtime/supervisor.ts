// The supervisor: starts one ControllerLoop per enabled controller, fans cache
// events out to them, stops them on shutdown, and judges health: a controller
// is unhealthy when its last successful sync is older than its sync period
// plus a grace, or when a cache it reads has not heard from the API server.
import type { Clock } from './clock.ts';
import type { Controller, ResourceEvent } from './controller.ts';
import { ControllerLoop } from './loop.ts';
import type { LoopObserver, LoopOptions, LoopStatus } from './loop.ts';
import type { Logger } from '../obs/log.ts';

export interface ControllerHealth {
  readonly name: string;
  readonly healthy: boolean;
  readonly reason: string;
  readonly status: LoopStatus;
}

export interface HealthReport {
  readonly healthy: boolean;
  readonly controllers: readonly ControllerHealth[];
}

export interface SupervisorOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** Added to each controller's sync period before its last success counts as stale. */
  readonly graceMs?: number;
  /** Says why the named caches are stale, or null when they are fresh. */
  readonly cacheProblem?: (kinds: readonly string[]) => string | null;
  readonly observer?: LoopObserver;
  readonly loop?: Omit<LoopOptions, 'clock' | 'log' | 'observer'>;
}

export class Supervisor {
  private readonly loops: ControllerLoop[];
  private readonly opts: SupervisorOptions;

  constructor(controllers: readonly Controller[], opts: SupervisorOptions) {
    this.opts = opts;
    this.loops = controllers.map(
      (c) => new ControllerLoop(c, { ...opts.loop, clock: opts.clock, log: opts.log, ...(opts.observer ? { observer: opts.observer } : {}) }),
    );
  }

  start(): void {
    for (const l of this.loops) void l.start();
  }

  /** Delivers a cache event to every controller that reads that kind. */
  dispatch(event: ResourceEvent): void {
    for (const l of this.loops) if (l.controller.watches.includes(event.kind)) l.notify(event);
  }

  requestSync(name: string, kind: 'incremental' | 'full'): boolean {
    const l = this.loops.find((x) => x.controller.name === name);
    l?.requestSync(kind);
    return l !== undefined;
  }

  async stop(): Promise<void> {
    await Promise.all(this.loops.map((l) => l.stop()));
  }

  statuses(): LoopStatus[] {
    return this.loops.map((l) => l.status());
  }

  health(): HealthReport {
    const now = this.opts.clock.now();
    const grace = this.opts.graceMs ?? 60_000;
    const controllers = this.loops.map((l): ControllerHealth => {
      const s = l.status();
      const limit = l.controller.syncPeriodMs + grace;
      const since = s.lastSuccessAt ?? s.startedAt;
      const age = now - since;
      const cache = this.opts.cacheProblem?.(l.controller.watches) ?? null;
      let reason: string;
      let healthy = true;
      if (s.state === 'stopped') {
        healthy = false;
        reason = 'stopped';
      } else if (age > limit) {
        healthy = false;
        reason =
          s.lastSuccessAt === null
            ? `no successful sync in ${Math.round(age / 1000)} s since start (limit ${Math.round(limit / 1000)} s)`
            : `last successful sync ${Math.round(age / 1000)} s ago (limit ${Math.round(limit / 1000)} s)`;
        if (s.lastError !== null) reason += `; last error: ${s.lastError}`;
      } else if (cache !== null) {
        healthy = false;
        reason = cache;
      } else {
        reason = s.lastSuccessAt === null ? `starting (${s.state})` : `ok (${s.state})`;
      }
      return { name: s.name, healthy, reason, status: s };
    });
    return { healthy: controllers.every((c) => c.healthy), controllers };
  }
}
