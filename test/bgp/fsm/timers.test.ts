// The FSM over time: a minimal effect runner on a FakeClock (timers only, no
// sockets) shows the large OpenSent hold timer, keepalive cadence, hold-timer
// expiry, the idle-hold automatic restart and its exponential damping.
import assert from 'node:assert/strict';
import { transition } from '../../../bgp/fsm/transition.ts';
import { initialState, type FsmEvent, type FsmState, type TimerName } from '../../../bgp/fsm/types.ts';
import { FakeClock, type TimerHandle } from '../../../src/runtime/clock.ts';
import { cfg, fx, peerOpen } from './fixtures.ts';

const EXPIRY: Record<TimerName, FsmEvent['type']> = {
  ConnectRetry: 'ConnectRetryTimer_Expires',
  Hold: 'HoldTimer_Expires',
  Keepalive: 'KeepaliveTimer_Expires',
  DelayOpen: 'DelayOpenTimer_Expires',
  IdleHold: 'IdleHoldTimer_Expires',
};

class Runner {
  state: FsmState = initialState(cfg);
  readonly log: { at: number; what: string }[] = [];
  readonly timers = new Map<TimerName, TimerHandle>();
  readonly clock = new FakeClock();

  fire(event: FsmEvent): void {
    const out = transition(this.state, event, cfg);
    this.state = out.state;
    for (const e of out.effects) {
      if (e.kind === 'startTimer') {
        this.timers.get(e.timer)?.cancel();
        const t = e.timer;
        this.timers.set(t, this.clock.setTimer(e.ms, () => {
          this.timers.delete(t);
          this.fire({ type: EXPIRY[t] } as FsmEvent);
        }));
      } else if (e.kind === 'stopTimer') {
        this.timers.get(e.timer)?.cancel();
        this.timers.delete(e.timer);
      } else if (e.kind !== 'connectRetryCounter' && e.kind !== 'idleHoldBackoff' && e.kind !== 'releaseResources') {
        this.log.push({ at: this.clock.now(), what: fx(e) });
      }
    }
  }

  name(): string {
    return this.state.name;
  }

  times(what: string): number[] {
    return this.log.filter((l) => l.what === what).map((l) => l.at);
  }

  /** Drives a fresh connection up to Established (peer hold 30 s). */
  establish(): void {
    this.fire({ type: 'Tcp_CR_Acked' });
    this.fire({ type: 'BGPOpen', open: peerOpen({ holdTime: 30 }) });
    this.fire({ type: 'KeepAliveMsg' });
    assert.equal(this.name(), 'Established');
  }
}

describe('bgp/fsm timers on a fake clock', () => {
  it('OpenSent waits the large hold time (240 s) for the OPEN, then sends 4/0 and restarts after IdleHold', async () => {
    const r = new Runner();
    r.fire({ type: 'ManualStart' });
    r.fire({ type: 'Tcp_CR_Acked' });
    assert.equal(r.name(), 'OpenSent');
    await r.clock.advance(239_999);
    assert.equal(r.name(), 'OpenSent');
    await r.clock.advance(1);
    assert.equal(r.name(), 'Idle');
    assert.deepEqual(r.times('send:NOTIFICATION 4/0'), [240_000]);
    await r.clock.advance(5_000);
    assert.equal(r.name(), 'Connect');
    assert.deepEqual(r.times('connect'), [0, 245_000]);
  });

  it('keepalives every third of the hold time; peer keepalives keep the session; silence expires it', async () => {
    const r = new Runner();
    r.fire({ type: 'ManualStart' });
    r.establish();
    for (let i = 0; i < 6; i++) {
      await r.clock.advance(10_000);
      r.fire({ type: 'KeepAliveMsg' });
    }
    assert.equal(r.name(), 'Established');
    // KEEPALIVE on entering OpenConfirm, then every 10 s
    assert.deepEqual(r.times('send:KEEPALIVE'), [0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
    await r.clock.advance(29_999);
    assert.equal(r.name(), 'Established');
    await r.clock.advance(1);
    assert.equal(r.name(), 'Idle');
    assert.deepEqual(r.times('send:NOTIFICATION 4/0'), [90_000]);
    assert.deepEqual(r.times('down'), [90_000]);
  });

  it('flapping sessions back off exponentially; a stable session resets the backoff', async () => {
    const r = new Runner();
    r.fire({ type: 'ManualStart' });
    const waits: number[] = [];
    for (let flap = 0; flap < 4; flap++) {
      r.establish();
      r.fire({ type: 'NotifMsg', notification: { code: 6, subcode: 4, data: new Uint8Array(0) } });
      const downAt = r.clock.now();
      const before = r.times('connect').length;
      while (r.times('connect').length === before) await r.clock.advance(1_000);
      waits.push(r.clock.now() - downAt);
    }
    assert.deepEqual(waits, [5_000, 10_000, 20_000, 40_000]);
    // this time the peer's periodic KEEPALIVE arrives before the drop
    r.establish();
    await r.clock.advance(10_000);
    r.fire({ type: 'KeepAliveMsg' });
    r.fire({ type: 'NotifMsg', notification: { code: 6, subcode: 4, data: new Uint8Array(0) } });
    const downAt = r.clock.now();
    const before = r.times('connect').length;
    while (r.times('connect').length === before) await r.clock.advance(1_000);
    assert.equal(r.clock.now() - downAt, 5_000);
  });

  it('ManualStop during the idle hold cancels the restart', async () => {
    const r = new Runner();
    r.fire({ type: 'ManualStart' });
    r.establish();
    r.fire({ type: 'HoldTimer_Expires' });
    r.fire({ type: 'ManualStop' });
    await r.clock.advance(600_000);
    assert.equal(r.name(), 'Idle');
    assert.deepEqual(r.times('connect'), [0]);
    assert.equal(r.clock.pending(), 0);
  });
});
