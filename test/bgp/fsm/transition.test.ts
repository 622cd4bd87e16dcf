// The RFC 4271 §8.2.2 transition table, row by row (state x event -> next
// state, exact effects in order, reason), then invariants over every state x
// every event: timers follow runningTimers(), connections are closed when
// left, NOTIFICATIONs go out before the close, session up/down only on the
// Established edges, and every transition has a reason.
import assert from 'node:assert/strict';
import { hasConnection, runningTimers, transition, secondaryState, adoptRun } from '../../../bgp/fsm/transition.ts';
import type { FsmConfig, FsmEvent, FsmState, TimerName } from '../../../bgp/fsm/types.ts';
import { cfg, delayCfg, events, fx, peerOpen, states, type StateKey } from './fixtures.ts';

interface Row {
  readonly from: StateKey | FsmState;
  readonly event: FsmEvent;
  readonly to: FsmState['name'];
  readonly effects: readonly string[];
  readonly reason: RegExp;
  readonly config?: FsmConfig;
  readonly check?: (s: FsmState) => void;
}

const IDLE_AFTER_ERROR = ['close', 'release', 'counter:1', 'start:IdleHold:5000', 'backoff:10000'];

const rows: Row[] = [
  // ---- Idle
  { from: 'idle', event: events.ManualStart, to: 'Connect', effects: ['start:ConnectRetry:120000', 'connect'], reason: /^manual start: connecting/, check: (s) => assert.equal(s.autoRestart, true) },
  { from: 'idle', event: events.ManualStart_with_PassiveTcpEstablishment, to: 'Active', effects: ['start:ConnectRetry:120000'], reason: /passive.*waiting for the peer/, check: (s) => assert.equal(s.passive, true) },
  { from: 'idleArmed', event: events.ManualStart, to: 'Connect', effects: ['stop:IdleHold', 'counter:0', 'start:ConnectRetry:120000', 'connect'], reason: /manual start/, check: (s) => assert.equal(s.idleHoldMs, 5000) },
  { from: 'idleArmed', event: events.IdleHoldTimer_Expires, to: 'Connect', effects: ['stop:IdleHold', 'counter:0', 'start:ConnectRetry:120000', 'connect'], reason: /idle hold timer expired: automatic restart/, check: (s) => assert.equal(s.idleHoldMs, 20000) },
  { from: { ...states.idleArmed, passive: true }, event: events.IdleHoldTimer_Expires, to: 'Active', effects: ['stop:IdleHold', 'counter:0', 'start:ConnectRetry:120000'], reason: /automatic restart: waiting/ },
  { from: 'idleArmed', event: events.AutomaticStart, to: 'Idle', effects: [], reason: /damped/ },
  { from: 'idle', event: events.AutomaticStart, to: 'Connect', effects: ['start:ConnectRetry:120000', 'connect'], reason: /automatic start/ },
  { from: 'idle', event: events.IdleHoldTimer_Expires, to: 'Idle', effects: [], reason: /automatic restart is off/ },
  { from: 'idleArmed', event: events.ManualStop, to: 'Idle', effects: ['stop:IdleHold'], reason: /automatic restart cancelled/, check: (s) => assert.equal(s.autoRestart, false) },
  { from: 'idle', event: events.ManualStop, to: 'Idle', effects: [], reason: /ignored in Idle/ },
  { from: 'idle', event: events.TcpConnectionConfirmed, to: 'Idle', effects: ['close'], reason: /refused/ },
  { from: 'idle', event: events.KeepAliveMsg, to: 'Idle', effects: [], reason: /KeepAliveMsg ignored in Idle/ },
  // ---- Connect
  { from: 'connect', event: events.ManualStart, to: 'Connect', effects: [], reason: /ignored in Connect/ },
  { from: 'connect', event: events.ManualStop, to: 'Idle', effects: ['stop:ConnectRetry', 'close', 'release'], reason: /manual stop/, check: (s) => assert.equal(s.autoRestart, false) },
  { from: 'connect', event: events.ConnectRetryTimer_Expires, to: 'Connect', effects: ['close', 'start:ConnectRetry:120000', 'connect'], reason: /connecting again/ },
  { from: 'connect', event: events.Tcp_CR_Acked, to: 'OpenSent', effects: ['stop:ConnectRetry', 'send:OPEN hold=90', 'start:Hold:240000'], reason: /TCP connection established: OPEN sent/ },
  { from: 'connect', event: events.Tcp_CR_Acked, config: delayCfg, to: 'Connect', effects: ['stop:ConnectRetry', 'start:DelayOpen:2000'], reason: /delaying our OPEN for 2000 ms/, check: (s) => assert.equal(s.name === 'Connect' && s.delayOpen, true) },
  { from: 'connectDelay', event: events.DelayOpenTimer_Expires, config: delayCfg, to: 'OpenSent', effects: ['send:OPEN hold=90', 'start:Hold:240000'], reason: /delay open timer expired/ },
  { from: 'connectDelay', event: events.BGPOpen, config: delayCfg, to: 'OpenConfirm', effects: ['stop:DelayOpen', 'send:OPEN hold=90', 'send:KEEPALIVE', 'start:Keepalive:10000', 'start:Hold:30000'], reason: /OPEN received during delay open.*hold 30s, keepalive 10000 ms/ },
  { from: 'connect', event: events.TcpConnectionFails, to: 'Idle', effects: ['stop:ConnectRetry', 'close', 'release', 'start:IdleHold:5000'], reason: /TCP connection failed: ECONNREFUSED/ },
  { from: 'connectDelay', event: events.TcpConnectionFails, config: delayCfg, to: 'Active', effects: ['stop:DelayOpen', 'close', 'start:ConnectRetry:120000'], reason: /waiting in Active/ },
  { from: 'connectDelay', event: events.BGPHeaderErr, config: delayCfg, to: 'Idle', effects: ['send:NOTIFICATION 1/2', 'stop:DelayOpen', ...IDLE_AFTER_ERROR], reason: /message header error 1\/2/ },
  { from: 'connectDelay', event: events.BGPHeaderErr, config: { ...delayCfg, sendNotificationWithoutOpen: false }, to: 'Idle', effects: ['stop:DelayOpen', ...IDLE_AFTER_ERROR], reason: /message header error/ },
  { from: 'connectDelay', event: events.NotifMsgVerErr, config: delayCfg, to: 'Idle', effects: ['stop:DelayOpen', 'close', 'release', 'start:IdleHold:5000'], reason: /NOTIFICATION 2\/1 \(version\)/ },
  { from: 'connect', event: events.KeepAliveMsg, to: 'Idle', effects: ['stop:ConnectRetry', 'close', 'release', 'counter:1', 'start:IdleHold:5000'], reason: /unexpected KeepAliveMsg in Connect/ },
  { from: 'connectDelay', event: events.UpdateMsg, config: delayCfg, to: 'Idle', effects: ['stop:DelayOpen', ...IDLE_AFTER_ERROR], reason: /unexpected UpdateMsg in Connect/ },
  { from: 'connect', event: events.BGPOpen, to: 'Idle', effects: ['stop:ConnectRetry', 'close', 'release', 'counter:1', 'start:IdleHold:5000'], reason: /unexpected BGPOpen in Connect/ },
  // ---- Active
  { from: 'active', event: events.ConnectRetryTimer_Expires, to: 'Connect', effects: ['start:ConnectRetry:120000', 'connect'], reason: /connecting to the peer/ },
  { from: 'activePassive', event: events.ConnectRetryTimer_Expires, to: 'Active', effects: ['start:ConnectRetry:120000'], reason: /passive, still waiting/ },
  { from: 'active', event: events.TcpConnectionConfirmed, to: 'OpenSent', effects: ['stop:ConnectRetry', 'send:OPEN hold=90', 'start:Hold:240000'], reason: /TCP connection accepted: OPEN sent/ },
  { from: 'activeDelay', event: events.ManualStop, config: delayCfg, to: 'Idle', effects: ['send:NOTIFICATION 6/2', 'stop:DelayOpen', 'close', 'release'], reason: /manual stop/ },
  { from: 'active', event: events.ManualStop, to: 'Idle', effects: ['stop:ConnectRetry', 'release'], reason: /manual stop/ },
  { from: 'active', event: events.TcpConnectionFails, to: 'Idle', effects: ['stop:ConnectRetry', 'release', 'counter:1', 'start:IdleHold:5000'], reason: /TCP connection failed/ },
  { from: 'activeDelay', event: events.TcpConnectionFails, config: delayCfg, to: 'Idle', effects: ['stop:DelayOpen', 'close', 'release', 'counter:1', 'start:IdleHold:5000'], reason: /TCP connection failed/ },
  { from: 'activeDelay', event: { type: 'BGPOpen', open: peerOpen({ as4: 65099 }) }, config: delayCfg, to: 'Idle', effects: ['send:NOTIFICATION 2/2', 'stop:DelayOpen', ...IDLE_AFTER_ERROR], reason: /bad OPEN: peer announced AS 65099, expected AS 65002/ },
  { from: 'active', event: events.HoldTimer_Expires, to: 'Idle', effects: ['stop:ConnectRetry', 'release', 'counter:1', 'start:IdleHold:5000'], reason: /unexpected HoldTimer_Expires in Active/ },
  // ---- OpenSent
  { from: 'openSent', event: events.ManualStop, to: 'Idle', effects: ['send:NOTIFICATION 6/2', 'stop:Hold', 'close', 'release'], reason: /manual stop: maintenance/ },
  { from: 'openSent', event: events.AutomaticStop, to: 'Idle', effects: ['send:NOTIFICATION 6/1', 'stop:Hold', ...IDLE_AFTER_ERROR], reason: /automatic stop/ },
  { from: 'openSent', event: events.HoldTimer_Expires, to: 'Idle', effects: ['send:NOTIFICATION 4/0', 'stop:Hold', ...IDLE_AFTER_ERROR], reason: /hold timer expired/ },
  { from: 'openSent', event: events.TcpConnectionFails, to: 'Active', effects: ['stop:Hold', 'close', 'release', 'start:ConnectRetry:120000'], reason: /failed in OpenSent.*waiting in Active/ },
  { from: 'openSent', event: events.BGPOpen, to: 'OpenConfirm', effects: ['send:KEEPALIVE', 'start:Keepalive:10000', 'start:Hold:30000'], reason: /OPEN received: KEEPALIVE sent \(peer 10\.0\.0\.2 AS 65002, hold 30s/ },
  { from: 'openSent', event: { type: 'BGPOpen', open: peerOpen({ holdTime: 0 }) }, to: 'OpenConfirm', effects: ['send:KEEPALIVE', 'stop:Hold'], reason: /no hold timer/ },
  { from: 'openSent', event: { type: 'BGPOpen', open: peerOpen({ holdTime: 2 }) }, to: 'Idle', effects: ['send:NOTIFICATION 2/6', 'stop:Hold', ...IDLE_AFTER_ERROR], reason: /unacceptable hold time 2s/ },
  { from: 'openSent', event: { type: 'BGPOpen', open: peerOpen({ routerId: '0.0.0.0' as never }) }, to: 'Idle', effects: ['send:NOTIFICATION 2/3', 'stop:Hold', ...IDLE_AFTER_ERROR], reason: /identifier is 0\.0\.0\.0/ },
  { from: 'openSent', event: events.BGPHeaderErr, to: 'Idle', effects: ['send:NOTIFICATION 1/2', 'stop:Hold', ...IDLE_AFTER_ERROR], reason: /message header error 1\/2/ },
  { from: 'openSent', event: events.BGPOpenMsgErr, to: 'Idle', effects: ['send:NOTIFICATION 2/4', 'stop:Hold', ...IDLE_AFTER_ERROR], reason: /OPEN error 2\/4/ },
  { from: 'openSent', event: events.OpenCollisionDump, to: 'Idle', effects: ['send:NOTIFICATION 6/7', 'stop:Hold', 'close', 'release', 'counter:1', 'start:IdleHold:5000'], reason: /collision/ },
  { from: 'openSent', event: events.NotifMsgVerErr, to: 'Idle', effects: ['stop:Hold', 'close', 'release', 'start:IdleHold:5000', 'backoff:10000'], reason: /version/ },
  { from: 'openSent', event: events.NotifMsg, to: 'Idle', effects: ['stop:Hold', ...IDLE_AFTER_ERROR], reason: /peer sent NOTIFICATION 6\/2/ },
  { from: 'openSent', event: events.KeepAliveMsg, to: 'Idle', effects: ['send:NOTIFICATION 5/1', 'stop:Hold', ...IDLE_AFTER_ERROR], reason: /unexpected KeepAliveMsg in OpenSent: FSM error/ },
  { from: 'openSent', event: events.UpdateMsg, to: 'Idle', effects: ['send:NOTIFICATION 5/1', 'stop:Hold', ...IDLE_AFTER_ERROR], reason: /unexpected UpdateMsg in OpenSent/ },
  { from: 'openSent', event: events.ConnectRetryTimer_Expires, to: 'Idle', effects: ['send:NOTIFICATION 5/0', 'stop:Hold', ...IDLE_AFTER_ERROR], reason: /unexpected ConnectRetryTimer_Expires/ },
  { from: 'openSent', event: events.Tcp_CR_Acked, to: 'OpenSent', effects: [], reason: /collision detection/ },
  { from: 'openSent', event: events.ManualStart, to: 'OpenSent', effects: [], reason: /ignored in OpenSent/ },
  // ---- OpenConfirm
  { from: 'openConfirm', event: events.KeepAliveMsg, to: 'Established', effects: ['start:Hold:30000', 'up'], reason: /session established/ },
  { from: 'openConfirm0', event: events.KeepAliveMsg, to: 'Established', effects: ['up'], reason: /session established/ },
  { from: 'openConfirm', event: events.KeepaliveTimer_Expires, to: 'OpenConfirm', effects: ['send:KEEPALIVE', 'start:Keepalive:10000'], reason: /KEEPALIVE sent/ },
  { from: 'openConfirm', event: events.HoldTimer_Expires, to: 'Idle', effects: ['send:NOTIFICATION 4/0', 'stop:Hold', 'stop:Keepalive', ...IDLE_AFTER_ERROR], reason: /hold timer expired/ },
  { from: 'openConfirm', event: events.BGPOpen, to: 'Idle', effects: ['send:NOTIFICATION 5/2', 'stop:Hold', 'stop:Keepalive', ...IDLE_AFTER_ERROR], reason: /unexpected BGPOpen in OpenConfirm/ },
  { from: 'openConfirm', event: events.UpdateMsg, to: 'Idle', effects: ['send:NOTIFICATION 5/2', 'stop:Hold', 'stop:Keepalive', ...IDLE_AFTER_ERROR], reason: /unexpected UpdateMsg in OpenConfirm/ },
  { from: 'openConfirm', event: events.NotifMsg, to: 'Idle', effects: ['stop:Hold', 'stop:Keepalive', ...IDLE_AFTER_ERROR], reason: /peer sent NOTIFICATION/ },
  { from: 'openConfirm', event: events.NotifMsgVerErr, to: 'Idle', effects: ['stop:Hold', 'stop:Keepalive', 'close', 'release', 'start:IdleHold:5000', 'backoff:10000'], reason: /version/ },
  { from: 'established', event: events.NotifMsgVerErr, to: 'Idle', effects: ['stop:Hold', 'stop:Keepalive', 'down', 'close', 'release', 'counter:2', 'start:IdleHold:40000', 'backoff:80000'], reason: /version/ },
  { from: 'openConfirm', event: events.TcpConnectionFails, to: 'Idle', effects: ['stop:Hold', 'stop:Keepalive', ...IDLE_AFTER_ERROR], reason: /TCP connection failed/ },
  { from: 'openConfirm', event: events.OpenCollisionDump, to: 'Idle', effects: ['send:NOTIFICATION 6/7', 'stop:Hold', 'stop:Keepalive', 'close', 'release', 'counter:1', 'start:IdleHold:5000'], reason: /collision/ },
  { from: 'openConfirm', event: events.ManualStop, to: 'Idle', effects: ['send:NOTIFICATION 6/2', 'stop:Hold', 'stop:Keepalive', 'close', 'release'], reason: /manual stop/ },
  // ---- Established
  { from: 'established', event: events.KeepAliveMsg, to: 'Established', effects: ['start:Hold:30000', 'backoff:5000'], reason: /KEEPALIVE received/, check: (s) => assert.equal(s.idleHoldMs, 5000) },
  { from: 'established', event: events.UpdateMsg, to: 'Established', effects: ['start:Hold:30000'], reason: /UPDATE received/, check: (s) => assert.equal(s.idleHoldMs, 40000) },
  { from: 'established0', event: events.UpdateMsg, to: 'Established', effects: [], reason: /UPDATE received/ },
  { from: 'established', event: events.RouteRefreshMsg, to: 'Established', effects: ['start:Hold:30000'], reason: /ROUTE-REFRESH/ },
  { from: 'established', event: events.KeepaliveTimer_Expires, to: 'Established', effects: ['send:KEEPALIVE', 'start:Keepalive:10000'], reason: /KEEPALIVE sent/ },
  { from: 'established', event: events.HoldTimer_Expires, to: 'Idle', effects: ['send:NOTIFICATION 4/0', 'stop:Hold', 'stop:Keepalive', 'down', 'close', 'release', 'counter:2', 'start:IdleHold:40000', 'backoff:80000'], reason: /hold timer expired/ },
  { from: { ...states.established, idleHoldMs: 200_000 }, event: events.HoldTimer_Expires, to: 'Idle', effects: ['send:NOTIFICATION 4/0', 'stop:Hold', 'stop:Keepalive', 'down', 'close', 'release', 'counter:2', 'start:IdleHold:200000', 'backoff:300000'], reason: /hold timer expired/ },
  { from: 'established', event: events.HoldTimer_Expires, config: { ...cfg, dampPeerOscillations: false }, to: 'Idle', effects: ['send:NOTIFICATION 4/0', 'stop:Hold', 'stop:Keepalive', 'down', 'close', 'release', 'counter:2', 'start:IdleHold:40000'], reason: /hold timer expired/ },
  { from: 'established', event: events.ManualStop, to: 'Idle', effects: ['send:NOTIFICATION 6/2', 'stop:Hold', 'stop:Keepalive', 'down', 'close', 'release', 'counter:0'], reason: /manual stop: maintenance/, check: (s) => assert.equal(s.autoRestart, false) },
  { from: 'established', event: events.UpdateMsgErr, to: 'Idle', effects: ['send:NOTIFICATION 3/1', 'stop:Hold', 'stop:Keepalive', 'down', 'close', 'release', 'counter:2', 'start:IdleHold:40000', 'backoff:80000'], reason: /UPDATE error 3\/1/ },
  { from: 'established', event: events.BGPOpen, to: 'Idle', effects: ['send:NOTIFICATION 5/3', 'stop:Hold', 'stop:Keepalive', 'down', 'close', 'release', 'counter:2', 'start:IdleHold:40000', 'backoff:80000'], reason: /unexpected BGPOpen in Established/ },
  { from: 'established', event: events.NotifMsg, to: 'Idle', effects: ['stop:Hold', 'stop:Keepalive', 'down', 'close', 'release', 'counter:2', 'start:IdleHold:40000', 'backoff:80000'], reason: /peer sent NOTIFICATION 6\/2/ },
  { from: 'established', event: events.TcpConnectionConfirmed, to: 'Established', effects: [], reason: /collision detection/ },
  { from: 'established', event: events.DelayOpenTimer_Expires, to: 'Idle', effects: ['send:NOTIFICATION 5/0', 'stop:Hold', 'stop:Keepalive', 'down', 'close', 'release', 'counter:2', 'start:IdleHold:40000', 'backoff:80000'], reason: /unexpected DelayOpenTimer_Expires/ },
  { from: 'established', event: events.SendHoldTimer_Expires, to: 'Idle', effects: ['send:NOTIFICATION 8/0', 'stop:Hold', 'stop:Keepalive', 'down', 'close', 'release', 'counter:2', 'start:IdleHold:40000', 'backoff:80000'], reason: /send hold timer expired/ },
  { from: 'established', event: events.OpenCollisionDump, to: 'Idle', effects: ['send:NOTIFICATION 6/7', 'stop:Hold', 'stop:Keepalive', 'down', 'close', 'release', 'counter:2', 'start:IdleHold:40000'], reason: /collision/ },
];

function fromState(r: Row): FsmState {
  return typeof r.from === 'string' ? states[r.from] : r.from;
}

describe('bgp/fsm transition table (RFC 4271 §8.2.2)', () => {
  for (const r of rows) {
    const s = fromState(r);
    const label = `${typeof r.from === 'string' ? r.from : `${s.name}*`} + ${r.event.type}${r.config !== undefined && r.config !== cfg ? ' (cfg)' : ''} -> ${r.to}`;
    it(label, () => {
      const out = transition(s, r.event, r.config ?? cfg);
      assert.equal(out.state.name, r.to);
      assert.deepEqual(out.effects.map(fx), r.effects);
      assert.match(out.reason, r.reason);
      r.check?.(out.state);
    });
  }

  it('ManualStop carries the RFC 9003 message in the Cease data', () => {
    const out = transition(states.established, { type: 'ManualStop', message: 'node drained for upgrade' }, cfg);
    const send = out.effects.find((e) => e.kind === 'sendNotification');
    assert.ok(send?.kind === 'sendNotification');
    assert.equal(send.notification.subcode, 2);
    // RFC 9003 §2: length octet, then the UTF-8 text
    assert.deepEqual([...send.notification.data], [24, ...Buffer.from('node drained for upgrade')]);
    assert.match(out.reason, /node drained for upgrade/);
  });

  it('a Cease subcode without a shutdown communication carries no data', () => {
    const out = transition(states.established, { type: 'ManualStop', subcode: 3, message: 'ignored' }, cfg);
    const send = out.effects.find((e) => e.kind === 'sendNotification');
    assert.ok(send?.kind === 'sendNotification');
    assert.equal(send.notification.subcode, 3);
    assert.equal(send.notification.data.length, 0);
  });

  it('a secondary connection sends OPEN on TcpConnectionConfirmed and never restarts by itself', () => {
    const out = transition(secondaryState(cfg), events.TcpConnectionConfirmed, cfg);
    assert.equal(out.state.name, 'OpenSent');
    const down = transition(out.state, events.HoldTimer_Expires, cfg);
    assert.equal(down.state.name, 'Idle');
    assert.equal(down.effects.some((e) => e.kind === 'startTimer' && e.timer === 'IdleHold'), false);
    const promoted = adoptRun(out.state, states.established);
    assert.equal(promoted.autoRestart, true);
    assert.equal(promoted.idleHoldMs, 40_000);
    assert.equal(transition(promoted, events.HoldTimer_Expires, cfg).effects.some((e) => e.kind === 'startTimer' && e.timer === 'IdleHold'), true);
  });
});

const EXPIRES: Partial<Record<FsmEvent['type'], TimerName>> = {
  ConnectRetryTimer_Expires: 'ConnectRetry',
  HoldTimer_Expires: 'Hold',
  KeepaliveTimer_Expires: 'Keepalive',
  DelayOpenTimer_Expires: 'DelayOpen',
  IdleHoldTimer_Expires: 'IdleHold',
};

describe('bgp/fsm invariants over every state x event', () => {
  for (const [key, s] of Object.entries(states)) {
    for (const config of [cfg, delayCfg]) {
      it(`${key} (delayOpen ${config.delayOpenMs}): timers, connection, NOTIFICATION order, up/down, reason`, () => {
        for (const event of Object.values(events) as FsmEvent[]) {
          const out = transition(s, event, config);
          const where = `${key} + ${event.type} -> ${out.state.name}`;
          assert.ok(out.reason.length > 0, where);
          // timers: start from what runs, the expiring one has fired, apply effects
          const timers = new Set(runningTimers(s));
          const fired = EXPIRES[event.type];
          if (fired !== undefined) timers.delete(fired);
          for (const e of out.effects) {
            if (e.kind === 'startTimer') timers.add(e.timer);
            if (e.kind === 'stopTimer') timers.delete(e.timer);
          }
          assert.deepEqual([...timers].sort(), runningTimers(out.state).sort(), `timers after ${where}`);
          const kinds = out.effects.map((e) => e.kind);
          // a connection that is left is closed
          if (hasConnection(s) && !hasConnection(out.state)) assert.ok(kinds.includes('close'), `close after ${where}`);
          // the NOTIFICATION goes out before the connection is closed
          const n = kinds.indexOf('sendNotification');
          if (n >= 0) {
            assert.ok(hasConnection(s), `NOTIFICATION without a connection in ${where}`);
            assert.ok(kinds.indexOf('close') > n, `NOTIFICATION before close in ${where}`);
          }
          assert.equal(kinds.includes('sessionUp'), s.name === 'OpenConfirm' && out.state.name === 'Established', `up in ${where}`);
          assert.equal(kinds.includes('sessionDown'), s.name === 'Established' && out.state.name !== 'Established', `down in ${where}`);
          // OPEN is sent only when entering OpenSent, or OpenConfirm from a delayed open
          if (kinds.includes('sendOpen')) assert.ok(out.state.name === 'OpenSent' || (out.state.name === 'OpenConfirm' && s.name !== 'OpenSent'), where);
          // a ManualStop always disarms the automatic restart
          if (event.type === 'ManualStop') assert.equal(out.state.autoRestart, false, where);
        }
      });
    }
  }
});
