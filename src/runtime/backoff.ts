// Exponential backoff with full jitter bounds, used by the runtime for failed
// syncs, crashed controllers and broken watches (never inside controllers).

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** 0..1: the delay is drawn from [d*(1-jitter), d]. */
  readonly jitter: number;
  /** Source of randomness in [0,1); tests pass a constant. */
  readonly random?: () => number;
}

export const defaultBackoff: BackoffOptions = { initialMs: 1000, maxMs: 60_000, factor: 2, jitter: 0.2 };

export class Backoff {
  private attempt = 0;
  private readonly opts: BackoffOptions;

  constructor(opts: Partial<BackoffOptions> = {}) {
    this.opts = { ...defaultBackoff, ...opts };
  }

  /** The delay before the next retry; each call grows it until maxMs. */
  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.opts;
    const base = Math.min(maxMs, initialMs * factor ** this.attempt);
    this.attempt++;
    const r = (this.opts.random ?? Math.random)();
    return Math.round(base * (1 - jitter * r));
  }

  /** Failures since the last success. */
  failures(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
