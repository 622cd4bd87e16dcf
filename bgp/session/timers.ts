// The FSM's timers on an injectable clock: one handle per timer name,
// (re)started and stopped as the FSM's effects say, with RFC 4271 §10 jitter
// (75-100 % of the duration) on the Keepalive, ConnectRetry and IdleHold
// timers so a mesh of peers does not keepalive or reconnect in lockstep.
// RFCs: 4271 §8.1.3 (timers), §10 (jitter).
import type { FsmEvent, TimerName } from '../fsm/types.ts';
import type { Clock, TimerHandle } from './clock.ts';

/** The FSM event each timer raises when it expires (RFC 4271 §8.1.3). */
export const EXPIRY: Readonly<Record<TimerName, FsmEvent['type']>> = {
  ConnectRetry: 'ConnectRetryTimer_Expires',
  Hold: 'HoldTimer_Expires',
  Keepalive: 'KeepaliveTimer_Expires',
  DelayOpen: 'DelayOpenTimer_Expires',
  IdleHold: 'IdleHoldTimer_Expires',
};

const JITTERED: ReadonlySet<TimerName> = new Set<TimerName>(['Keepalive', 'ConnectRetry', 'IdleHold']);

export class FsmTimers {
  readonly #clock: Clock;
  readonly #jitter: (() => number) | null;
  readonly #fire: (timer: TimerName, ms: number) => void;
  readonly #handles = new Map<TimerName, TimerHandle>();

  /** `fire(timer, ms)` runs on expiry with the duration the timer was started with (before jitter). */
  constructor(clock: Clock, jitter: (() => number) | null, fire: (timer: TimerName, ms: number) => void) {
    this.#clock = clock;
    this.#jitter = jitter;
    this.#fire = fire;
  }

  /** Starts the timer, or restarts it if it runs. */
  start(timer: TimerName, ms: number): void {
    this.stop(timer);
    const random = this.#jitter;
    // RFC 4271 §10: jitter spreads keepalives and reconnects
    const due = random !== null && JITTERED.has(timer) ? Math.round(ms * (0.75 + 0.25 * random())) : ms;
    this.#handles.set(
      timer,
      this.#clock.setTimer(due, () => {
        this.#handles.delete(timer);
        this.#fire(timer, ms);
      }),
    );
  }

  stop(timer: TimerName): void {
    this.#handles.get(timer)?.cancel();
    this.#handles.delete(timer);
  }

  /** The timers running now. */
  running(): TimerName[] {
    return [...this.#handles.keys()];
  }

  clear(): void {
    for (const h of this.#handles.values()) h.cancel();
    this.#handles.clear();
  }
}
