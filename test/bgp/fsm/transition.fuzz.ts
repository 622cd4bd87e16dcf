// Random walks through the FSM (fast-check): from Idle, any sequence of
// events, with any configuration, never throws and keeps the invariants the
// shell relies on: the timers it runs are exactly runningTimers(state), a
// connection that is left is closed, NOTIFICATIONs go out only on a
// connection and before it closes, sessionUp/sessionDown pair up with
// entering/leaving Established, and the damping wait stays within bounds.
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { hasConnection, runningTimers, transition } from '../../../bgp/fsm/transition.ts';
import { initialState, type FsmConfig, type FsmEvent, type TimerName } from '../../../bgp/fsm/types.ts';
import { cfg, events, peerOpen } from './fixtures.ts';

const EXPIRES: Partial<Record<FsmEvent['type'], TimerName>> = {
  ConnectRetryTimer_Expires: 'ConnectRetry',
  HoldTimer_Expires: 'Hold',
  KeepaliveTimer_Expires: 'Keepalive',
  DelayOpenTimer_Expires: 'DelayOpen',
  IdleHoldTimer_Expires: 'IdleHold',
};

const anyEvent: fc.Arbitrary<FsmEvent> = fc.oneof(
  { arbitrary: fc.constantFrom(...(Object.values(events) as FsmEvent[])), weight: 4 },
  {
    arbitrary: fc.record({ holdTime: fc.integer({ min: 0, max: 0xffff }), as4: fc.constantFrom(65002, 65003, 0, null), routerId: fc.constantFrom('10.0.0.2', '0.0.0.0', '10.0.0.1') }).map(
      (o): FsmEvent => ({ type: 'BGPOpen', open: peerOpen({ holdTime: o.holdTime, as4: o.as4, routerId: o.routerId as never }) }),
    ),
    weight: 1,
  },
);
// walks mix random events with the steps that bring a session up, so they reach Established and leave it again
const bringUp: FsmEvent[][] = [
  [events.ManualStart, events.Tcp_CR_Acked, events.BGPOpen, events.KeepAliveMsg],
  [events.ManualStart_with_PassiveTcpEstablishment, events.TcpConnectionConfirmed, events.BGPOpen, events.KeepAliveMsg],
  [events.Tcp_CR_Acked, events.BGPOpen, events.KeepAliveMsg],
  [events.IdleHoldTimer_Expires, events.Tcp_CR_Acked, events.BGPOpen, events.KeepAliveMsg],
];
const walkArb: fc.Arbitrary<FsmEvent[]> = fc
  .array(fc.oneof({ arbitrary: fc.constantFrom(...bringUp), weight: 1 }, { arbitrary: anyEvent.map((e) => [e]), weight: 3 }), { maxLength: 40 })
  .map((chunks) => chunks.flat());

const configArb: fc.Arbitrary<FsmConfig> = fc.record({
  delayOpenMs: fc.constantFrom(0, 2_000),
  holdTimeS: fc.constantFrom(0, 3, 90),
  dampPeerOscillations: fc.boolean(),
  sendNotificationWithoutOpen: fc.boolean(),
}).map((o) => ({ ...cfg, ...o }));

describe('bgp/fsm random walks (fast-check)', () => {
  it('keeps the shell invariants for any event sequence', () => {
    fc.assert(
      fc.property(configArb, walkArb, (config, seq) => {
        let s = initialState(config);
        const timers = new Set<TimerName>();
        let up = false;
        for (const event of seq) {
          const out = transition(s, event, config);
          const where = `${s.name} + ${event.type} -> ${out.state.name}`;
          assert.ok(out.reason.length > 0, where);
          const fired = EXPIRES[event.type];
          // the shell only delivers expiries of running timers
          if (fired !== undefined && !timers.has(fired)) continue;
          if (fired !== undefined) timers.delete(fired);
          const kinds = out.effects.map((e) => e.kind);
          for (const e of out.effects) {
            if (e.kind === 'startTimer') timers.add(e.timer);
            if (e.kind === 'stopTimer') timers.delete(e.timer);
            if (e.kind === 'startTimer') assert.ok(e.ms > 0, `non-positive ${e.timer} timer in ${where}`);
            if (e.kind === 'sessionUp') up = true;
            if (e.kind === 'sessionDown') up = false;
          }
          assert.deepEqual([...timers].sort(), runningTimers(out.state).sort(), `timers after ${where}`);
          if (hasConnection(s) && !hasConnection(out.state)) assert.ok(kinds.includes('close'), `close after ${where}`);
          const n = kinds.indexOf('sendNotification');
          if (n >= 0) assert.ok(hasConnection(s) && kinds.indexOf('close') > n, `NOTIFICATION in ${where}`);
          assert.equal(up, out.state.name === 'Established', `up/down pairing after ${where}`);
          assert.ok(out.state.idleHoldMs >= config.idleHoldMs && out.state.idleHoldMs <= config.idleHoldMaxMs, where);
          s = out.state;
        }
      }),
      { numRuns: 3_000 },
    );
  });
});
