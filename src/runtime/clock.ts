// Time as a seam: the runtime, the caches and the BGP timers read time and set
// timers through a Clock, so tests drive them with a FakeClock instead of
// waiting. RealClock is the process clock (monotonic for durations).

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds, for durations and deadlines. */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for timestamps shown to people. */
  wallNow(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(t) };
  },
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted === true) return resolve();
      const t = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  },
};

interface FakeTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told to; timers fire in due order. */
export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: FakeTimer[] = [];
  private readonly wallBase: number;

  constructor(wallBase = Date.UTC(2026, 0, 1)) {
    this.wallBase = wallBase;
  }

  now(): number {
    return this.t;
  }

  wallNow(): number {
    return this.wallBase + this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: FakeTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted === true) return resolve();
      const h = this.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      function onAbort(): void {
        h.cancel();
        resolve();
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Timers not yet fired nor cancelled. */
  pending(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order and letting
   * promise continuations run between them (so async loops make progress).
   */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flushMicrotasks();
      this.timers = this.timers.filter((x) => !x.cancelled);
      const next = this.timers.reduce<FakeTimer | undefined>(
        (a, b) => (a === undefined || b.at < a.at || (b.at === a.at && b.seq < a.seq) ? b : a),
        undefined,
      );
      if (next === undefined || next.at > end) break;
      this.t = Math.max(this.t, next.at);
      next.cancelled = true;
      next.fn();
    }
    this.t = end;
    await flushMicrotasks();
  }
}

/** Lets every queued promise continuation run (a few macrotask turns). */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
