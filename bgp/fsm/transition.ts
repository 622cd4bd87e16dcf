// The BGP finite state machine as a pure transition function:
// (state, event, config) -> { next state, effects, reason }. No I/O, no clock:
// the session shell runs the effects (sockets, timers) and feeds back events.
// One FSM instance runs per TCP connection; the Peer resolves collisions
// between two instances (see collision.ts) and feeds OpenCollisionDump.
// RFCs: 4271 §8.2.2 (the per-state event handling, quoted by event number),
// §8.1.1 (optional attributes: PassiveTcpEstablishment, DelayOpen,
// DampPeerOscillations, SendNOTIFICATIONwithoutOPEN), 6608 §3 (FSM error
// subcodes), 4486 §4 (Cease subcodes), 9003 §2 (shutdown communication,
// encoded by bgp/wire), 9687 §4.3 (send hold timer).
//
// Deliberate deviations, each cited where it happens:
// - a NOTIFICATION received in OpenSent closes without answering with an
//   FSM error (one never answers a NOTIFICATION with a NOTIFICATION);
// - header/OPEN errors in Established send their own error code (RFC 4271
//   §6.1 and §6.2 require it) rather than the generic FSM error;
// - PassiveTcpEstablishment is kept for the whole run: in Active the
//   ConnectRetryTimer only re-arms, it never makes a passive peer connect;
// - ManualStop in Idle cancels a pending automatic restart;
// - sending an UPDATE does not restart the KeepaliveTimer (§8.2.2 says it
//   does): a few extra KEEPALIVEs during a flood are harmless and cheaper
//   than re-arming a timer per message.
import { CeaseSubcode, ErrorCode, FsmSubcode, shutdownCommunicationData } from '../wire/index.ts';
import { checkOpen } from './open-check.ts';
import type { FsmCommon, FsmConfig, FsmEffect, FsmEvent, FsmResult, FsmState, Negotiated, Notification, StopRequest, TimerName } from './types.ts';

const EMPTY = new Uint8Array(0);

/** The timers that run in a state (the invariant the shell's timer set follows). */
export function runningTimers(state: FsmState): TimerName[] {
  switch (state.name) {
    case 'Idle':
      return state.autoRestart ? ['IdleHold'] : [];
    case 'Connect':
    case 'Active':
      return state.delayOpen ? ['DelayOpen'] : ['ConnectRetry'];
    case 'OpenSent':
      return ['Hold'];
    case 'OpenConfirm':
    case 'Established':
      return state.negotiated.holdTimeS === 0 ? [] : ['Hold', 'Keepalive'];
  }
}

/** True when the state holds a TCP connection. */
export function hasConnection(state: FsmState): boolean {
  if (state.name === 'Connect' || state.name === 'Active') return state.delayOpen;
  return state.name !== 'Idle';
}

function common(s: FsmState): FsmCommon {
  return { connectRetryCounter: s.connectRetryCounter, idleHoldMs: s.idleHoldMs, passive: s.passive, autoRestart: s.autoRestart };
}

/** The Cease NOTIFICATION for a stop request, with its RFC 9003 message. */
export function ceaseNotification(req: StopRequest, defaultSubcode: number): Notification {
  const subcode = req.subcode ?? defaultSubcode;
  // RFC 9003 §2: only Administrative Shutdown and Administrative Reset carry the message
  const carries = subcode === CeaseSubcode.administrativeShutdown || subcode === CeaseSubcode.administrativeReset;
  const inner: Notification =
    req.message === undefined || !carries
      ? { code: ErrorCode.cease, subcode, data: req.data ?? EMPTY }
      : { code: ErrorCode.cease, subcode, data: shutdownCommunicationData(req.message), communication: req.message };
  if (req.hardReset !== true || subcode === CeaseSubcode.hardReset) return inner;
  // RFC 8538 §3.1: the data of a Hard Reset is the subcode and data of the Cease it carries
  const data = new Uint8Array(1 + inner.data.length);
  data[0] = subcode;
  data.set(inner.data, 1);
  return { code: ErrorCode.cease, subcode: CeaseSubcode.hardReset, data, ...(inner.communication !== undefined ? { communication: inner.communication } : {}) };
}

function fsmError(subcode: number): Notification {
  return { code: ErrorCode.fsm, subcode, data: EMPTY };
}

const HOLD_EXPIRED: Notification = { code: ErrorCode.holdTimerExpired, subcode: 0, data: EMPTY };
/** RFC 9687 §5: error code 8, Send Hold Timer Expired (not among bgp/wire's ErrorCode constants). */
export const SEND_HOLD_TIMER_EXPIRED_CODE = 8;
const SEND_HOLD_EXPIRED: Notification = { code: SEND_HOLD_TIMER_EXPIRED_CODE, subcode: 0, data: EMPTY };
const COLLISION: Notification = { code: ErrorCode.cease, subcode: CeaseSubcode.connectionCollisionResolution, data: EMPTY };

interface IdleOptions {
  readonly reason: string;
  readonly notification?: Notification;
  /** 'reset' (ManualStop), 'increment' (an error), 'keep'. */
  readonly counter: 'reset' | 'increment' | 'keep';
  /** ManualStop: disarm the automatic restart. */
  readonly manual?: boolean;
  /** Apply the exponential damping (a failure after the connection was up). */
  readonly damp?: boolean;
}

/** Every "changes its state to Idle" of RFC 4271 §8.2.2, with the effects in the order the shell must run them. */
function toIdle(s: FsmState, cfg: FsmConfig, o: IdleOptions): FsmResult {
  const effects: FsmEffect[] = [];
  if (o.notification !== undefined) effects.push({ kind: 'sendNotification', notification: o.notification });
  for (const t of runningTimers(s)) effects.push({ kind: 'stopTimer', timer: t });
  if (s.name === 'Established') effects.push({ kind: 'sessionDown', reason: o.reason });
  if (hasConnection(s) || s.name === 'Connect') effects.push({ kind: 'close' });
  effects.push({ kind: 'releaseResources' });
  const counter = o.counter === 'reset' ? 0 : o.counter === 'increment' ? s.connectRetryCounter + 1 : s.connectRetryCounter;
  if (counter !== s.connectRetryCounter) effects.push({ kind: 'connectRetryCounter', value: counter });
  const autoRestart = s.autoRestart && o.manual !== true;
  let idleHoldMs = s.idleHoldMs;
  if (autoRestart) {
    // RFC 4271 §8.1.1 DampPeerOscillations: wait IdleHold before restarting, doubling it on each flap
    effects.push({ kind: 'startTimer', timer: 'IdleHold', ms: idleHoldMs });
    if (cfg.dampPeerOscillations && o.damp === true) {
      idleHoldMs = Math.min(idleHoldMs * 2, cfg.idleHoldMaxMs);
      if (idleHoldMs !== s.idleHoldMs) effects.push({ kind: 'idleHoldBackoff', nextMs: idleHoldMs });
    }
  }
  const state: FsmState = { name: 'Idle', connectRetryCounter: counter, idleHoldMs, passive: s.passive, autoRestart };
  return { state, effects, reason: o.reason };
}

function stay(s: FsmState, reason: string, effects: FsmEffect[] = []): FsmResult {
  return { state: s, effects, reason };
}

/** Idle + a start event (RFC 4271 §8.2.2 Idle, events 1, 3, 4, 5). */
function start(s: FsmState, cfg: FsmConfig, passive: boolean, manual: boolean, why: string): FsmResult {
  const effects: FsmEffect[] = [];
  if (s.autoRestart) effects.push({ kind: 'stopTimer', timer: 'IdleHold' });
  if (s.connectRetryCounter !== 0) effects.push({ kind: 'connectRetryCounter', value: 0 });
  effects.push({ kind: 'startTimer', timer: 'ConnectRetry', ms: cfg.connectRetryMs });
  if (!passive) effects.push({ kind: 'connect' });
  // a manual start forgets the damping history
  const idleHoldMs = manual ? cfg.idleHoldMs : s.idleHoldMs;
  const c: FsmCommon = { connectRetryCounter: 0, idleHoldMs, passive, autoRestart: true };
  const state: FsmState = passive ? { ...c, name: 'Active', delayOpen: false } : { ...c, name: 'Connect', delayOpen: false };
  return { state, effects, reason: passive ? `${why}: waiting for the peer to connect` : `${why}: connecting to the peer` };
}

/** TCP connection up in Connect or Active (events 16, 17): DelayOpen or send OPEN. */
function connectionUp(s: FsmState & { name: 'Connect' | 'Active' }, cfg: FsmConfig, how: string): FsmResult {
  // one connection per FSM instance: a further one is the Peer's business (collision detection)
  if (s.delayOpen) return stay(s, `${how} while already connected: ignored`);
  const effects: FsmEffect[] = [{ kind: 'stopTimer', timer: 'ConnectRetry' }];
  if (cfg.delayOpenMs > 0) {
    effects.push({ kind: 'startTimer', timer: 'DelayOpen', ms: cfg.delayOpenMs });
    return { state: { ...common(s), name: s.name, delayOpen: true }, effects, reason: `${how}: delaying our OPEN for ${cfg.delayOpenMs} ms` };
  }
  return openSent(s, effects, `${how}: OPEN sent`, cfg);
}

function openSent(s: FsmState, effects: FsmEffect[], reason: string, cfg: FsmConfig): FsmResult {
  // RFC 4271 §8.2.2: "sets the HoldTimer to a large value" (4 minutes suggested)
  effects.push({ kind: 'sendOpen', holdTimeS: cfg.holdTimeS }, { kind: 'startTimer', timer: 'Hold', ms: cfg.largeHoldTimeS * 1000 });
  return { state: { ...common(s), name: 'OpenSent' }, effects, reason };
}

/** A valid OPEN: send KEEPALIVE, arm the negotiated timers, go to OpenConfirm. */
function openConfirm(s: FsmState, n: Negotiated, effects: FsmEffect[], reason: string): FsmResult {
  effects.push({ kind: 'sendKeepalive' });
  if (n.holdTimeS === 0) {
    // RFC 4271 §8.2.2: a zero hold time stops both timers
    if (s.name === 'OpenSent') effects.push({ kind: 'stopTimer', timer: 'Hold' });
  } else {
    effects.push({ kind: 'startTimer', timer: 'Keepalive', ms: n.keepaliveMs }, { kind: 'startTimer', timer: 'Hold', ms: n.holdTimeS * 1000 });
  }
  const hold = n.holdTimeS === 0 ? 'no hold timer' : `hold ${n.holdTimeS}s, keepalive ${n.keepaliveMs} ms`;
  return { state: { ...common(s), name: 'OpenConfirm', negotiated: n }, effects, reason: `${reason} (peer ${n.peerId} AS ${n.peerAsn}, ${hold})` };
}

function describe(n: Notification): string {
  return n.communication !== undefined ? `${n.code}/${n.subcode} "${n.communication}"` : `${n.code}/${n.subcode}`;
}

function isMessageEvent(e: FsmEvent): boolean {
  switch (e.type) {
    case 'BGPOpen':
    case 'KeepAliveMsg':
    case 'UpdateMsg':
    case 'UpdateMsgErr':
    case 'RouteRefreshMsg':
    case 'NotifMsg':
      return true;
    default:
      return false;
  }
}

/** Connect and Active share most of RFC 4271 §8.2.2's handling. */
function connectOrActive(s: FsmState & { name: 'Connect' | 'Active' }, e: FsmEvent, cfg: FsmConfig): FsmResult {
  const n = s.name;
  switch (e.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'ManualStart_with_PassiveTcpEstablishment':
    case 'AutomaticStart_with_PassiveTcpEstablishment':
      return stay(s, `${e.type} ignored in ${n}`);
    case 'ManualStop': {
      // RFC 4271 §8.2.2 Active event 2: a Cease only if the connection is up (DelayOpen) and SendNOTIFICATIONwithoutOPEN
      const notify = s.delayOpen && cfg.sendNotificationWithoutOpen;
      return toIdle(s, cfg, { reason: 'manual stop', counter: 'reset', manual: true, ...(notify ? { notification: ceaseNotification(e, CeaseSubcode.administrativeShutdown) } : {}) });
    }
    case 'ConnectRetryTimer_Expires':
      if (s.delayOpen) break;
      if (n === 'Connect') {
        // RFC 4271 §8.2.2 Connect event 9: drop the attempt, restart the timer, connect again
        return stay(s, 'connect retry timer expired: connecting again', [{ kind: 'close' }, { kind: 'startTimer', timer: 'ConnectRetry', ms: cfg.connectRetryMs }, { kind: 'connect' }]);
      }
      if (s.passive) {
        // RFC 4271 §8.1.1 PassiveTcpEstablishment: we only wait for the peer
        return stay(s, 'connect retry timer expired: passive, still waiting for the peer', [{ kind: 'startTimer', timer: 'ConnectRetry', ms: cfg.connectRetryMs }]);
      }
      // RFC 4271 §8.2.2 Active event 9
      return {
        state: { ...common(s), name: 'Connect', delayOpen: false },
        effects: [{ kind: 'startTimer', timer: 'ConnectRetry', ms: cfg.connectRetryMs }, { kind: 'connect' }],
        reason: 'connect retry timer expired: connecting to the peer',
      };
    case 'DelayOpenTimer_Expires':
      if (!s.delayOpen) break;
      // RFC 4271 §8.2.2 event 12: send OPEN now
      return openSent(s, [], 'delay open timer expired: OPEN sent', cfg);
    case 'Tcp_CR_Acked':
      return connectionUp(s, cfg, 'TCP connection established');
    case 'TcpConnectionConfirmed':
      return connectionUp(s, cfg, 'TCP connection accepted');
    case 'TcpConnectionFails': {
      const why = `TCP connection failed${e.error !== undefined ? `: ${e.error}` : ''}`;
      if (s.delayOpen && n === 'Connect') {
        // RFC 4271 §8.2.2 Connect event 18 with DelayOpenTimer running: back to Active
        return {
          state: { ...common(s), name: 'Active', delayOpen: false },
          effects: [{ kind: 'stopTimer', timer: 'DelayOpen' }, { kind: 'close' }, { kind: 'startTimer', timer: 'ConnectRetry', ms: cfg.connectRetryMs }],
          reason: `${why}: waiting in Active`,
        };
      }
      // RFC 4271 §8.2.2 event 18: Connect keeps the counter, Active increments it
      return toIdle(s, cfg, { reason: why, counter: n === 'Connect' ? 'keep' : 'increment' });
    }
    case 'BGPOpen': {
      if (!s.delayOpen) break;
      // RFC 4271 §8.2.2 event 20: OPEN received while the DelayOpenTimer runs
      const check = checkOpen(e.open, cfg);
      if (!check.ok) return toIdle(s, cfg, { reason: `bad OPEN: ${check.reason}`, notification: check.notification, counter: 'increment', damp: true });
      const effects: FsmEffect[] = [{ kind: 'stopTimer', timer: 'DelayOpen' }, { kind: 'sendOpen', holdTimeS: cfg.holdTimeS }];
      return openConfirm(s, check.negotiated, effects, 'OPEN received during delay open: OPEN sent');
    }
    case 'BGPHeaderErr':
    case 'BGPOpenMsgErr': {
      // RFC 4271 §8.2.2 events 21, 22: NOTIFICATION only if SendNOTIFICATIONwithoutOPEN
      const notify = s.delayOpen && cfg.sendNotificationWithoutOpen;
      return toIdle(s, cfg, { reason: `${e.type === 'BGPHeaderErr' ? 'message header' : 'OPEN'} error ${describe(e.error)}${e.detail !== undefined ? `: ${e.detail}` : ''}`, counter: 'increment', damp: true, ...(notify ? { notification: e.error } : {}) });
    }
    case 'NotifMsgVerErr':
      // RFC 4271 §8.2.2 event 24: with the DelayOpenTimer running, no counter change
      return toIdle(s, cfg, { reason: `peer sent NOTIFICATION ${describe(e.notification)} (version)`, counter: s.delayOpen ? 'keep' : 'increment' });
    default:
      break;
  }
  // RFC 4271 §8.2.2 Connect/Active "any other event": drop to Idle, no NOTIFICATION
  return toIdle(s, cfg, { reason: `unexpected ${e.type} in ${n}`, counter: 'increment', damp: hasConnection(s) });
}

/** OpenSent, OpenConfirm and Established: the connection is up and our OPEN was sent. */
function connected(s: FsmState & { name: 'OpenSent' | 'OpenConfirm' | 'Established' }, e: FsmEvent, cfg: FsmConfig): FsmResult {
  const n = s.name;
  switch (e.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'ManualStart_with_PassiveTcpEstablishment':
    case 'AutomaticStart_with_PassiveTcpEstablishment':
      return stay(s, `${e.type} ignored in ${n}`);
    case 'Tcp_CR_Acked':
    case 'TcpConnectionConfirmed':
      // RFC 4271 §8.2.2 events 14-17: a second connection is tracked by the Peer (collision detection)
      return stay(s, `${e.type} ignored in ${n}: a second connection is handled by collision detection`);
    case 'ManualStop':
      return toIdle(s, cfg, { reason: `manual stop${e.message !== undefined ? `: ${e.message}` : ''}`, notification: ceaseNotification(e, CeaseSubcode.administrativeShutdown), counter: 'reset', manual: true });
    case 'AutomaticStop':
      return toIdle(s, cfg, { reason: `automatic stop${e.message !== undefined ? `: ${e.message}` : ''}`, notification: ceaseNotification(e, CeaseSubcode.administrativeReset), counter: 'increment', damp: true });
    case 'HoldTimer_Expires':
      // RFC 4271 §6.5: hold timer expired -> NOTIFICATION code 4
      return toIdle(s, cfg, { reason: 'hold timer expired', notification: HOLD_EXPIRED, counter: 'increment', damp: true });
    case 'KeepaliveTimer_Expires':
      if (n === 'OpenSent') break;
      if (s.negotiated.holdTimeS === 0) return stay(s, 'keepalive timer expired with hold time 0: ignored');
      // RFC 4271 §8.2.2 OpenConfirm/Established event 11
      return stay(s, 'keepalive timer expired: KEEPALIVE sent', [{ kind: 'sendKeepalive' }, { kind: 'startTimer', timer: 'Keepalive', ms: s.negotiated.keepaliveMs }]);
    case 'TcpConnectionFails':
      if (n === 'OpenSent') {
        // RFC 4271 §8.2.2 OpenSent event 18: close, restart ConnectRetryTimer, listen in Active
        return {
          state: { ...common(s), name: 'Active', delayOpen: false },
          effects: [{ kind: 'stopTimer', timer: 'Hold' }, { kind: 'close' }, { kind: 'releaseResources' }, { kind: 'startTimer', timer: 'ConnectRetry', ms: cfg.connectRetryMs }],
          reason: `TCP connection failed in OpenSent${e.error !== undefined ? `: ${e.error}` : ''}: waiting in Active`,
        };
      }
      return toIdle(s, cfg, { reason: `TCP connection failed${e.error !== undefined ? `: ${e.error}` : ''}`, counter: 'increment', damp: true });
    case 'BGPOpen': {
      if (n !== 'OpenSent') break; // a second OPEN on the same connection is unexpected (RFC 6608)
      // RFC 4271 §8.2.2 OpenSent event 19, with the checks of §6.2
      const check = checkOpen(e.open, cfg);
      if (!check.ok) return toIdle(s, cfg, { reason: `bad OPEN: ${check.reason}`, notification: check.notification, counter: 'increment', damp: true });
      return openConfirm(s, check.negotiated, [], 'OPEN received: KEEPALIVE sent');
    }
    case 'BGPHeaderErr':
    case 'BGPOpenMsgErr':
      // RFC 4271 §6.1/§6.2: the error's own code, in every connected state
      return toIdle(s, cfg, { reason: `${e.type === 'BGPHeaderErr' ? 'message header' : 'OPEN'} error ${describe(e.error)}${e.detail !== undefined ? `: ${e.detail}` : ''}`, notification: e.error, counter: 'increment', damp: true });
    case 'OpenCollisionDump':
      // RFC 4271 §6.8, RFC 4486 §4: Cease / Connection Collision Resolution
      return toIdle(s, cfg, { reason: `connection collision: this connection is closed${e.why !== undefined ? ` (${e.why})` : ''}`, notification: COLLISION, counter: 'increment' });
    case 'NotifMsgVerErr':
      // RFC 4271 §8.2.2 event 24: only Established increments the counter
      return toIdle(s, cfg, { reason: `peer sent NOTIFICATION ${describe(e.notification)} (version)`, counter: n === 'Established' ? 'increment' : 'keep', damp: true });
    case 'NotifMsg':
      // OpenSent: we do not answer a NOTIFICATION with an FSM error (see header)
      return toIdle(s, cfg, { reason: `peer sent NOTIFICATION ${describe(e.notification)}`, counter: 'increment', damp: true });
    case 'KeepAliveMsg':
      if (n === 'OpenSent') break;
      if (n === 'OpenConfirm') {
        // RFC 4271 §8.2.2 OpenConfirm event 26: the session is up
        const effects: FsmEffect[] = [];
        if (s.negotiated.holdTimeS !== 0) effects.push({ kind: 'startTimer', timer: 'Hold', ms: s.negotiated.holdTimeS * 1000 });
        effects.push({ kind: 'sessionUp', negotiated: s.negotiated });
        return { state: { ...common(s), name: 'Established', negotiated: s.negotiated }, effects, reason: 'KEEPALIVE received: session established' };
      }
      return liveness(s, cfg, 'KEEPALIVE received', true);
    case 'UpdateMsg':
      if (n !== 'Established') break;
      return liveness(s, cfg, 'UPDATE received', false);
    case 'RouteRefreshMsg':
      if (n !== 'Established') break;
      return liveness(s, cfg, 'ROUTE-REFRESH received', false);
    case 'SendHoldTimer_Expires':
      if (n !== 'Established') break;
      // RFC 9687 §4.3: the NOTIFICATION is best effort (the peer is not reading), then drop the connection
      return toIdle(s, cfg, { reason: 'send hold timer expired: the peer stopped reading', notification: SEND_HOLD_EXPIRED, counter: 'increment', damp: true });
    case 'UpdateMsgErr':
      if (n !== 'Established') break;
      // RFC 4271 §6.3 / RFC 7606 §2: only session-reset UPDATE errors reach the FSM
      return toIdle(s, cfg, { reason: `UPDATE error ${describe(e.error)}${e.detail !== undefined ? `: ${e.detail}` : ''}`, notification: e.error, counter: 'increment', damp: true });
    default:
      break;
  }
  // RFC 4271 §8.2.2 "any other event": FSM error; RFC 6608 §3 names the state for unexpected messages
  const unexpected = { OpenSent: FsmSubcode.unexpectedInOpenSent, OpenConfirm: FsmSubcode.unexpectedInOpenConfirm, Established: FsmSubcode.unexpectedInEstablished }[n];
  const subcode = isMessageEvent(e) ? unexpected : FsmSubcode.unspecified;
  return toIdle(s, cfg, { reason: `unexpected ${e.type} in ${n}: FSM error`, notification: fsmError(subcode), counter: 'increment', damp: true });
}

/** Established: any message restarts the hold timer (RFC 4271 §8.2.2 events 26, 27). */
function liveness(s: FsmState & { name: 'Established' }, cfg: FsmConfig, reason: string, keepalive: boolean): FsmResult {
  const effects: FsmEffect[] = [];
  if (s.negotiated.holdTimeS !== 0) effects.push({ kind: 'startTimer', timer: 'Hold', ms: s.negotiated.holdTimeS * 1000 });
  let next: FsmState = s;
  // a periodic KEEPALIVE proves the session stable: forget the damping history
  if (keepalive && s.idleHoldMs !== cfg.idleHoldMs) {
    next = { ...s, idleHoldMs: cfg.idleHoldMs };
    effects.push({ kind: 'idleHoldBackoff', nextMs: cfg.idleHoldMs });
  }
  return { state: next, effects, reason };
}

function idle(s: FsmState & { name: 'Idle' }, e: FsmEvent, cfg: FsmConfig): FsmResult {
  switch (e.type) {
    case 'ManualStart':
      return start(s, cfg, false, true, 'manual start');
    case 'ManualStart_with_PassiveTcpEstablishment':
      return start(s, cfg, true, true, 'manual start (passive)');
    case 'AutomaticStart':
    case 'AutomaticStart_with_PassiveTcpEstablishment':
      // RFC 4271 §8.2.2 Idle: with DampPeerOscillations an automatic start waits for the IdleHoldTimer
      if (s.autoRestart && cfg.dampPeerOscillations) return stay(s, `${e.type} damped: waiting for the idle hold timer`);
      return start(s, cfg, e.type === 'AutomaticStart_with_PassiveTcpEstablishment', false, 'automatic start');
    case 'IdleHoldTimer_Expires':
      if (!s.autoRestart) return stay(s, 'idle hold timer expired: automatic restart is off');
      return start(s, cfg, s.passive, false, 'idle hold timer expired: automatic restart');
    case 'ManualStop':
      if (!s.autoRestart) return stay(s, 'manual stop ignored in Idle');
      // deviation (see header): a stop cancels the pending automatic restart
      return { state: { ...s, autoRestart: false }, effects: [{ kind: 'stopTimer', timer: 'IdleHold' }], reason: 'manual stop: automatic restart cancelled' };
    case 'Tcp_CR_Acked':
    case 'TcpConnectionConfirmed':
      // RFC 4271 §8.2.2 Idle: "refuses all incoming BGP connections"
      return stay(s, `${e.type} in Idle: connection refused`, [{ kind: 'close' }]);
    default:
      return stay(s, `${e.type} ignored in Idle`);
  }
}

/** Runs one event through the FSM (RFC 4271 §8.2.2). */
export function transition(state: FsmState, event: FsmEvent, config: FsmConfig): FsmResult {
  switch (state.name) {
    case 'Idle':
      return idle(state, event, config);
    case 'Connect':
    case 'Active':
      return connectOrActive(state, event, config);
    case 'OpenSent':
    case 'OpenConfirm':
    case 'Established':
      return connected(state, event, config);
  }
}

/** The FSM state of a new connection accepted while another exists: passive, no automatic restart. */
export function secondaryState(config: Pick<FsmConfig, 'idleHoldMs'>): FsmState {
  return { name: 'Active', delayOpen: false, connectRetryCounter: 0, idleHoldMs: config.idleHoldMs, passive: true, autoRestart: false };
}

/** Promotes a secondary connection's state to be the peer's main one, taking over the run's mode and damping history. */
export function adoptRun(state: FsmState, from: FsmCommon): FsmState {
  return { ...state, passive: from.passive, autoRestart: from.autoRestart, idleHoldMs: from.idleHoldMs };
}
