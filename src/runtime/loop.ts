// One controller's life in the runtime: Run, then sync whenever the coalescing
// signal says so or the periodic full resync is due; a failed sync is retried
// with backoff (the failed kind is marked again, never downgraded); a crash
// (Run rejecting, or the controller calling ctx.fail) stops this incarnation
// and starts a new one after a backoff, without touching other controllers.
import { Backoff } from './backoff.ts';
import type { BackoffOptions } from './backoff.ts';
import type { Clock, TimerHandle } from './clock.ts';
import type { Controller, ControllerContext, ResourceEvent, SyncReport } from './controller.ts';
import { CoalescingSignal } from './signal.ts';
import type { SyncKind } from './signal.ts';
import type { Logger } from '../obs/log.ts';

export type LoopState = 'starting' | 'running' | 'backoff' | 'crashed' | 'stopped';

export interface LoopStatus {
  readonly name: string;
  readonly state: LoopState;
  /** Monotonic time of the last successful sync, or null before the first. */
  readonly lastSuccessAt: number | null;
  readonly lastSuccessWall: number | null;
  readonly lastSyncMs: number | null;
  readonly lastError: string | null;
  readonly consecutiveFailures: number;
  readonly syncs: number;
  readonly failures: number;
  readonly restarts: number;
  readonly pending: SyncKind | null;
  readonly startedAt: number;
  readonly lastReport: SyncReport | null;
}

export interface LoopObserver {
  syncDone(name: string, kind: SyncKind, seconds: number, ok: boolean): void;
  restarted(name: string): void;
}

export interface LoopOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly syncBackoff?: Partial<BackoffOptions>;
  readonly restartBackoff?: Partial<BackoffOptions>;
  readonly observer?: LoopObserver;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class ControllerLoop {
  readonly controller: Controller;
  private readonly opts: LoopOptions;
  private readonly signal = new CoalescingSignal();
  private readonly syncBackoff: Backoff;
  private readonly restartBackoff: Backoff;
  private readonly stopAll = new AbortController();
  private incarnation: AbortController | null = null;
  private resyncTimer: TimerHandle | null = null;
  private crashError: unknown = null;
  private done: Promise<void> | null = null;
  private st: {
    state: LoopState;
    lastSuccessAt: number | null;
    lastSuccessWall: number | null;
    lastSyncMs: number | null;
    lastError: string | null;
    syncs: number;
    failures: number;
    restarts: number;
    startedAt: number;
    lastReport: SyncReport | null;
  };

  constructor(controller: Controller, opts: LoopOptions) {
    this.controller = controller;
    this.opts = opts;
    this.syncBackoff = new Backoff({ initialMs: 500, maxMs: 30_000, ...opts.syncBackoff });
    this.restartBackoff = new Backoff({ initialMs: 1000, maxMs: 60_000, ...opts.restartBackoff });
    this.st = {
      state: 'starting',
      lastSuccessAt: null,
      lastSuccessWall: null,
      lastSyncMs: null,
      lastError: null,
      syncs: 0,
      failures: 0,
      restarts: 0,
      startedAt: opts.clock.now(),
      lastReport: null,
    };
  }

  status(): LoopStatus {
    return {
      name: this.controller.name,
      ...this.st,
      consecutiveFailures: this.syncBackoff.failures(),
      pending: this.signal.peek(),
    };
  }

  /** Routes a cache event through the controller's OnUpdate into the signal. */
  notify(event: ResourceEvent): void {
    let kind: SyncKind | null;
    try {
      kind = this.controller.onUpdate(event);
    } catch (err) {
      this.opts.log.error({ controller: this.controller.name, err: message(err) }, 'OnUpdate threw; asking for a full sync');
      kind = 'full';
    }
    if (kind !== null) this.signal.mark(kind);
  }

  requestSync(kind: SyncKind): void {
    this.signal.mark(kind);
  }

  start(): Promise<void> {
    this.done ??= this.lifecycle();
    return this.done;
  }

  /** Stops the loop and the controller (data plane left as it is). */
  async stop(): Promise<void> {
    this.stopAll.abort();
    this.incarnation?.abort();
    await this.done;
  }

  private async lifecycle(): Promise<void> {
    const { clock, log } = this.opts;
    const name = this.controller.name;
    while (!this.stopAll.signal.aborted) {
      const inc = new AbortController();
      this.incarnation = inc;
      this.crashError = null;
      this.st.state = 'starting';
      const ctx: ControllerContext = {
        log: log.child({ controller: name }),
        clock,
        signal: inc.signal,
        requestSync: (kind) => this.signal.mark(kind),
        fail: (err) => this.crash(inc, err),
      };
      try {
        await this.controller.run(ctx);
      } catch (err) {
        this.crash(inc, err);
      }
      if (!inc.signal.aborted) {
        this.st.state = 'running';
        this.signal.mark('full');
        this.scheduleResync(inc.signal);
        await this.syncLoop(inc.signal);
      }
      this.resyncTimer?.cancel();
      try {
        await this.controller.stop();
      } catch (err) {
        log.warn({ controller: name, err: message(err) }, 'stop failed');
      }
      if (this.stopAll.signal.aborted) break;
      // A crash: restart this controller alone, after a backoff.
      const delay = this.restartBackoff.next();
      this.st.state = 'crashed';
      this.st.restarts++;
      this.st.lastError = message(this.crashError);
      this.opts.observer?.restarted(name);
      log.error({ controller: name, err: this.st.lastError, restartInMs: delay }, 'controller crashed; restarting');
      await clock.sleep(delay, this.stopAll.signal);
    }
    this.st.state = 'stopped';
  }

  private crash(inc: AbortController, err: unknown): void {
    if (inc.signal.aborted) return;
    this.crashError = err;
    inc.abort();
  }

  private scheduleResync(signal: AbortSignal): void {
    const period = this.controller.syncPeriodMs;
    if (period <= 0) return;
    const tick = (): void => {
      if (signal.aborted) return;
      this.signal.mark('full');
      this.resyncTimer = this.opts.clock.setTimer(period, tick);
    };
    this.resyncTimer = this.opts.clock.setTimer(period, tick);
  }

  private async syncLoop(signal: AbortSignal): Promise<void> {
    const { clock, log } = this.opts;
    const name = this.controller.name;
    const slog = log.child({ controller: name });
    while (!signal.aborted) {
      await this.signal.wait(signal);
      if (signal.aborted) return;
      const kind = this.signal.take();
      if (kind === null) continue;
      const t0 = clock.now();
      try {
        const report = await this.controller.sync(kind, { log: slog, signal });
        const ms = clock.now() - t0;
        this.st.syncs++;
        this.st.lastSyncMs = ms;
        this.st.lastSuccessAt = clock.now();
        this.st.lastSuccessWall = clock.wallNow();
        this.st.lastError = null;
        this.st.lastReport = report ?? null;
        this.st.state = 'running';
        this.syncBackoff.reset();
        this.opts.observer?.syncDone(name, kind, ms / 1000, true);
        slog.debug({ kind, ms: Math.round(ms * 10) / 10, ...report }, 'sync done');
      } catch (err) {
        if (signal.aborted) return;
        const ms = clock.now() - t0;
        this.st.failures++;
        this.st.lastSyncMs = ms;
        this.st.lastError = message(err);
        this.opts.observer?.syncDone(name, kind, ms / 1000, false);
        // Retry what failed; marks that arrive meanwhile coalesce into it.
        this.signal.mark(kind);
        const delay = this.syncBackoff.next();
        this.st.state = 'backoff';
        slog.warn({ kind, err: this.st.lastError, retryInMs: delay, failures: this.syncBackoff.failures() }, 'sync failed');
        await clock.sleep(delay, signal);
      }
    }
  }
}
