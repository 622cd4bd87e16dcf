// The time seam of the session shell: FSM timers are set through a Clock so
// tests drive them with a fake one. Structurally a subset of the platform's
// clock (src/runtime/clock.ts), so the app can pass that one in; bgp/ is a
// leaf and does not import it.
// RFCs: none of its own; it times the RFC 4271 §8.1.3 and §10 timers.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** The process clock: performance.now() and setTimeout. */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(t) };
  },
};
