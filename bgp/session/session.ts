// One BGP connection and its FSM instance: the thin shell that runs the pure
// FSM's effects on node:net (connect with TCP_NODELAY and an optional local
// address/port, close after flushing, send OPEN/KEEPALIVE/NOTIFICATION, arm
// timers on an injectable clock) and turns received messages into FSM
// events. Input and output backpressure live in rx.ts and tx.ts; the hold
// timer never expires while received messages still wait to be processed
// (BIRD's leniency): they are liveness not yet accounted for.
// RFCs: 4271 §4 and §8 (messages and FSM events), §6.1-6.3 (which error
// becomes which event), 8654 §4 (max length after negotiation), 5492.
import type { Socket } from 'node:net';
import { transition } from '../fsm/transition.ts';
import type { FsmEvent, FsmState, Negotiated, Notification } from '../fsm/types.ts';
import {
  BgpError,
  DEFAULT_WIRE_CONTEXT,
  ErrorCode,
  MessageType,
  OpenSubcode,
  decodeMessage,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  maxRxLength,
  negotiate,
  type NotificationMessage,
  type OpenMessage,
  type WireContext,
} from '../wire/index.ts';
import type { TimerHandle } from './clock.ts';
import { Receiver } from './rx.ts';
import { EXPIRY, FsmTimers } from './timers.ts';
import { NO_TRANSPORT_SECURITY, connectSecured, type ConnectOptions } from './transport.ts';
import { SOCKET_HIGH_WATER_MARK, Transmitter } from './tx.ts';
import type { SessionInfo, SessionOptions, SessionStats } from './types.ts';

export type { Endpoint, SessionHooks, SessionInfo, SessionOptions, SessionStats } from './types.ts';

/** How long a closing socket may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 3_000;

function toNotification(e: BgpError): Notification {
  return { code: e.code, subcode: e.subcode, data: e.data };
}

export class Session {
  state: FsmState;
  direction: 'inbound' | 'outbound' | null = null;
  /** The peer's OPEN on this connection, once received. */
  peerOpen: OpenMessage | null = null;
  info: SessionInfo | null = null;
  lastNotificationIn: NotificationMessage | null = null;
  lastNotificationOut: Notification | null = null;
  readonly stats: SessionStats = { updatesIn: 0, holdDeferred: 0 };
  readonly tx = new Transmitter();
  readonly rx: Receiver;

  readonly #opts: SessionOptions;
  #socket: Socket | null = null;
  #connected = false;
  /** Bumped on every connect/attach/close: callbacks of an older socket are ignored. */
  #gen = 0;
  readonly #timers: FsmTimers;
  #ctx: WireContext = DEFAULT_WIRE_CONTEXT;
  #events: FsmEvent[] = [];
  #running = false;
  readonly #closing = new Set<Promise<void>>();
  #sendHold: TimerHandle | null = null;
  /** The next close is an abort: nothing more can be flushed (send hold expiry). */
  #abortClose = false;

  constructor(opts: SessionOptions) {
    this.#opts = opts;
    this.state = opts.state;
    this.#timers = new FsmTimers(opts.clock, opts.jitter, (timer, ms) => {
      // received messages still queued are liveness: re-arm instead of expiring (BIRD's leniency)
      if (timer === 'Hold' && this.backlog > 0) {
        this.stats.holdDeferred++;
        this.#timers.start('Hold', ms);
        return;
      }
      this.handle({ type: EXPIRY[timer] } as FsmEvent);
    });
    this.tx.setSource(() => opts.hooks.nextUpdate(this));
    this.tx.onStall = () => this.#armSendHold();
    this.tx.onFlow = () => this.#disarmSendHold();
    this.rx = new Receiver({
      frame: (frame) => this.#dispatch(frame),
      // RFC 4271 §6.1: header errors
      headerError: (e) => this.handle({ type: 'BGPHeaderErr', error: toNotification(e), detail: e.message }),
      ended: (why) => this.#lost(this.#gen, why),
    });
  }

  /** Feeds one FSM event; events raised while a step runs are queued and run in order. */
  handle(event: FsmEvent): void {
    this.#events.push(event);
    if (this.#running) return;
    this.#running = true;
    try {
      for (let e = this.#events.shift(); e !== undefined; e = this.#events.shift()) this.#step(e);
    } finally {
      this.#running = false;
    }
  }

  /** Takes an accepted inbound socket (then feed TcpConnectionConfirmed). */
  attach(socket: Socket): void {
    this.#dropSocket();
    this.direction = 'inbound';
    this.lastNotificationIn = null;
    this.lastNotificationOut = null;
    this.#wire(socket, ++this.#gen);
  }

  /** Received bytes not yet processed: queued messages, a busy consumer, unread socket data. */
  get backlog(): number {
    return this.rx.backlog;
  }

  get wireContext(): WireContext {
    return this.#ctx;
  }

  /** Resolves once every socket this session closed has finished closing. */
  async closed(): Promise<void> {
    while (this.#closing.size > 0) await Promise.all(this.#closing);
  }

  /** Stops all timers and drops the socket without any FSM step (the Peer discards this session). */
  dispose(): void {
    this.#timers.clear();
    this.#dropSocket();
    this.#release();
  }

  // ---------------------------------------------------------------- FSM effects

  #step(event: FsmEvent): void {
    const from = this.state;
    const result = transition(from, event, this.#opts.fsm);
    this.state = result.state;
    for (const e of result.effects) {
      switch (e.kind) {
        case 'connect':
          this.#connect();
          break;
        case 'close':
          this.#dropSocket();
          break;
        case 'sendOpen':
          this.tx.sendNow(encodeOpen({ ...this.#opts.localOpen, holdTime: e.holdTimeS }));
          break;
        case 'sendKeepalive':
          this.tx.sendNow(encodeKeepalive());
          break;
        case 'sendNotification':
          this.lastNotificationOut = e.notification;
          this.tx.sendNow(encodeNotification({ type: 'notification', code: e.notification.code, subcode: e.notification.subcode, data: e.notification.data }));
          break;
        case 'startTimer':
          this.#timers.start(e.timer, e.ms);
          break;
        case 'stopTimer':
          this.#timers.stop(e.timer);
          break;
        case 'sessionUp':
          this.#up(e.negotiated);
          break;
        case 'sessionDown':
          this.tx.disable();
          this.#opts.hooks.down(this, e.reason);
          break;
        case 'releaseResources':
          this.#release();
          break;
        case 'connectRetryCounter':
        case 'idleHoldBackoff':
          break; // informational: visible in the state and the reason
      }
    }
    this.#opts.hooks.transition(this, event, from, result);
  }

  /** RFC 9687 §4: the socket stopped taking data in Established: if it stays stuck for SendHoldTime, give up. */
  #armSendHold(): void {
    const n = this.state.name === 'Established' ? this.state.negotiated : null;
    if (n === null || this.#sendHold !== null) return;
    const seconds = this.#opts.sendHoldTimeS ?? Math.max(480, 2 * n.holdTimeS);
    if (seconds <= 0) return;
    this.#sendHold = this.#opts.clock.setTimer(seconds * 1000, () => {
      this.#sendHold = null;
      this.#abortClose = true;
      try {
        this.handle({ type: 'SendHoldTimer_Expires' });
      } finally {
        this.#abortClose = false;
      }
    });
  }

  #disarmSendHold(): void {
    this.#sendHold?.cancel();
    this.#sendHold = null;
  }

  #up(negotiated: Negotiated): void {
    const peerOpen = this.peerOpen;
    const socket = this.#socket;
    if (peerOpen === null || socket === null || this.direction === null) return;
    const capabilities = negotiate(this.#opts.localOpen.capabilities, peerOpen.capabilities);
    this.#ctx = capabilities.context;
    // RFC 8654 §4: accept extended messages only once we advertised them
    this.rx.maxLength = maxRxLength(this.#ctx);
    this.info = {
      negotiated,
      capabilities,
      localOpen: { ...this.#opts.localOpen, holdTime: this.#opts.fsm.holdTimeS },
      peerOpen,
      direction: this.direction,
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      establishedAt: this.#opts.clock.now(),
    };
    this.#opts.hooks.up(this, this.info);
    this.tx.enable();
  }

  #release(): void {
    this.rx.detach();
    this.#ctx = DEFAULT_WIRE_CONTEXT;
    this.peerOpen = null;
    this.info = null;
  }

  // ---------------------------------------------------------------- sockets

  #connect(): void {
    this.#dropSocket();
    const gen = ++this.#gen;
    const { host, port, localAddress, localPort, security } = this.#opts.endpoint;
    // writableHighWaterMark reaches the stream (net.Socket passes its options on) but is missing from @types/node
    const options: ConnectOptions = { host, port, noDelay: true, writableHighWaterMark: SOCKET_HIGH_WATER_MARK, ...(localAddress !== undefined ? { localAddress } : {}), ...(localPort !== undefined ? { localPort } : {}) };
    this.#connected = false;
    this.direction = 'outbound';
    this.lastNotificationIn = null;
    this.lastNotificationOut = null;
    let socket: Socket;
    try {
      // TCP-MD5 key and TTLs go on before the SYN (transport.ts)
      socket = connectSecured(options, security ?? NO_TRANSPORT_SECURITY);
    } catch (e) {
      // the kernel refused an option: this attempt fails like a refused connection
      const why = e instanceof Error ? e.message : String(e);
      queueMicrotask(() => this.#lost(gen, why));
      return;
    }
    this.#socket = socket;
    socket.once('connect', () => {
      if (gen !== this.#gen) return;
      this.#wire(socket, gen);
      this.handle({ type: 'Tcp_CR_Acked' });
    });
    socket.on('error', (err) => {
      if (gen === this.#gen && !this.#connected) this.#lost(gen, err.message);
    });
  }

  #wire(socket: Socket, gen: number): void {
    this.#socket = socket;
    this.#connected = true;
    socket.setNoDelay(true);
    this.tx.attach(socket);
    this.rx.attach(socket);
    socket.on('data', (chunk: Buffer) => {
      if (gen === this.#gen) this.rx.push(chunk);
    });
    // an orderly end is reported once the messages before it are processed
    socket.on('end', () => {
      if (gen === this.#gen) this.rx.end('peer closed the connection');
    });
    socket.on('close', () => {
      if (gen === this.#gen) this.rx.end('connection closed');
    });
    socket.on('error', (err) => this.#lost(gen, err.message));
  }

  /** The connection broke: TcpConnectionFails. */
  #lost(gen: number, why: string): void {
    if (gen !== this.#gen) return;
    this.#dropSocket();
    this.handle({ type: 'TcpConnectionFails', error: why });
  }

  /** Detaches and closes the socket: flushes what was written (a NOTIFICATION), then FIN; destroyed after a grace period. */
  #dropSocket(): void {
    const socket = this.#socket;
    this.#gen++;
    this.#socket = null;
    this.tx.detach();
    // no more input from this connection, not even messages already queued
    this.rx.detach();
    if (socket === null) return;
    const wasConnected = this.#connected;
    this.#connected = false;
    socket.removeAllListeners('data');
    socket.removeAllListeners('end');
    socket.removeAllListeners('connect');
    socket.on('error', () => {});
    if (socket.destroyed) return;
    const done = new Promise<void>((resolve) =>
      socket.once('close', () => {
        this.#closing.delete(done);
        resolve();
      }),
    );
    this.#closing.add(done);
    if (!wasConnected) {
      socket.destroy();
      return;
    }
    if (this.#abortClose) {
      // RFC 9687 §4.3: the peer is not reading, so nothing would flush: reset (RST) and free the send buffer now
      socket.resetAndDestroy();
      return;
    }
    socket.resume(); // a paused socket would never see the peer's FIN
    socket.end();
    const grace = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    grace.unref();
    socket.once('close', () => clearTimeout(grace));
  }

  // ---------------------------------------------------------------- input

  /** One received message -> FSM event; an UPDATE in Established goes to the consumer (its promise pauses input). */
  #dispatch(frame: Uint8Array): void | Promise<void> {
    const gen = this.#gen;
    const type = frame[18];
    let msg;
    try {
      msg = decodeMessage(frame, this.#ctx);
    } catch (e) {
      if (!BgpError.is(e)) throw e;
      const error = toNotification(e);
      // RFC 4271 §6: the error's code picks the FSM event
      if (e.code === ErrorCode.messageHeader) this.handle({ type: 'BGPHeaderErr', error, detail: e.message });
      else if (type === MessageType.open || e.code === ErrorCode.open) this.handle({ type: 'BGPOpenMsgErr', error, detail: e.message });
      else this.handle({ type: 'UpdateMsgErr', error, detail: e.message });
      return;
    }
    switch (msg.type) {
      case 'open':
        this.peerOpen = msg;
        this.handle({ type: 'BGPOpen', open: msg });
        return;
      case 'keepalive':
        this.handle({ type: 'KeepAliveMsg' });
        return;
      case 'notification': {
        this.lastNotificationIn = msg;
        const notification: Notification = { code: msg.code, subcode: msg.subcode, data: msg.data, ...(msg.communication !== undefined ? { communication: msg.communication } : {}) };
        // RFC 4271 §8.1.5 event 24: a version error NOTIFICATION
        const version = msg.code === ErrorCode.open && msg.subcode === OpenSubcode.unsupportedVersionNumber;
        this.handle(version ? { type: 'NotifMsgVerErr', notification } : { type: 'NotifMsg', notification });
        return;
      }
      case 'route-refresh':
        this.handle({ type: 'RouteRefreshMsg' });
        if (this.state.name === 'Established') this.#opts.hooks.routeRefresh(this, msg);
        return;
      case 'update': {
        this.handle({ type: 'UpdateMsg' });
        if (this.state.name !== 'Established' || gen !== this.#gen) return;
        this.stats.updatesIn++;
        return this.#opts.hooks.update(this, msg);
      }
    }
  }
}

