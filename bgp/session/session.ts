// One BGP connection and its FSM instance: the thin shell that runs the pure
// FSM's effects on node:net (connect with TCP_NODELAY and an optional local
// address/port, close after flushing, send OPEN/KEEPALIVE/NOTIFICATION, arm
// timers on an injectable clock) and turns socket input into FSM events.
// Inbound backpressure: frames wait in a small inbox; when the UPDATE consumer
// returns a promise, the socket is paused until it settles, so a flooding
// peer is slowed by TCP, not by our memory. The hold timer never expires
// while received messages wait in that inbox (BIRD's leniency): they are
// liveness not yet accounted for.
// RFCs: 4271 §4 and §8 (messages and FSM events), 6.1-6.3 (which error
// becomes which event), 8654 §4 (max length after negotiation), 5492.
import { connect as netConnect, type Socket, type TcpNetConnectOpts } from 'node:net';
import { transition } from '../fsm/transition.ts';
import type { FsmConfig, FsmEvent, FsmResult, FsmState, Negotiated, Notification, TimerName } from '../fsm/types.ts';
import {
  BgpError,
  DEFAULT_WIRE_CONTEXT,
  ErrorCode,
  Framer,
  MessageType,
  OpenSubcode,
  decodeMessage,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  maxRxLength,
  negotiate,
  type Negotiation,
  type NotificationMessage,
  type OpenMessage,
  type RouteRefreshMessage,
  type UpdateMessage,
  type WireContext,
} from '../wire/index.ts';
import type { Clock, TimerHandle } from './clock.ts';
import { SOCKET_HIGH_WATER_MARK, Transmitter } from './tx.ts';

/** Where an outbound connection goes, and what it binds locally. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly localPort?: number;
}

/** Everything known about an Established session: what the RIB and the API need. */
export interface SessionInfo {
  /** FSM negotiation: hold time, keepalive interval, peer AS and identifier, iBGP or not. */
  readonly negotiated: Negotiated;
  /** Capability negotiation: WireContext for encode/decode, common families, route refresh, GR. */
  readonly capabilities: Negotiation;
  readonly localOpen: OpenMessage;
  readonly peerOpen: OpenMessage;
  readonly direction: 'inbound' | 'outbound';
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export interface SessionHooks {
  /** After every FSM step, once its effects have run. */
  transition(session: Session, event: FsmEvent, from: FsmState, result: FsmResult): void;
  up(session: Session, info: SessionInfo): void;
  down(session: Session, reason: string): void;
  /** A received UPDATE in Established. A returned promise pauses input until it settles. */
  update(session: Session, message: UpdateMessage): void | Promise<void>;
  routeRefresh(session: Session, message: RouteRefreshMessage): void;
  /** The UPDATE pull source (encoded messages), consulted while the socket has room. */
  nextUpdate(session: Session): Uint8Array | null;
}

export interface SessionOptions {
  readonly fsm: FsmConfig;
  readonly clock: Clock;
  /** Our OPEN; its hold time is replaced by the FSM's. */
  readonly localOpen: OpenMessage;
  /** Used by the connect effect. */
  readonly endpoint: Endpoint;
  readonly state: FsmState;
  readonly hooks: SessionHooks;
}

export interface SessionStats {
  messagesIn: number;
  updatesIn: number;
  bytesIn: number;
  /** Hold-timer expiries deferred because received messages were still queued. */
  holdDeferred: number;
}

const EXPIRY: Record<TimerName, FsmEvent['type']> = {
  ConnectRetry: 'ConnectRetryTimer_Expires',
  Hold: 'HoldTimer_Expires',
  Keepalive: 'KeepaliveTimer_Expires',
  DelayOpen: 'DelayOpenTimer_Expires',
  IdleHold: 'IdleHoldTimer_Expires',
};

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
  readonly stats: SessionStats = { messagesIn: 0, updatesIn: 0, bytesIn: 0, holdDeferred: 0 };
  readonly tx = new Transmitter();

  readonly #opts: SessionOptions;
  #socket: Socket | null = null;
  #connected = false;
  /** Bumped on every connect/attach/close: callbacks of an older socket are ignored. */
  #gen = 0;
  readonly #timers = new Map<TimerName, TimerHandle>();
  #framer = new Framer();
  #ctx: WireContext = DEFAULT_WIRE_CONTEXT;
  #inbox: Uint8Array[] = [];
  #inboxHead = 0;
  #inboxBytes = 0;
  #busy = false;
  #eof: string | null = null;
  #events: FsmEvent[] = [];
  #running = false;
  readonly #closing = new Set<Promise<void>>();

  constructor(opts: SessionOptions) {
    this.#opts = opts;
    this.state = opts.state;
    this.tx.setSource(() => opts.hooks.nextUpdate(this));
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
    return this.#inboxBytes + (this.#busy ? 1 : 0) + (this.#socket?.readableLength ?? 0);
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
    for (const t of this.#timers.values()) t.cancel();
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
          this.#startTimer(e.timer, e.ms);
          break;
        case 'stopTimer':
          this.#timers.get(e.timer)?.cancel();
          this.#timers.delete(e.timer);
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

  #startTimer(timer: TimerName, ms: number): void {
    this.#timers.get(timer)?.cancel();
    this.#timers.set(
      timer,
      this.#opts.clock.setTimer(ms, () => {
        this.#timers.delete(timer);
        // received messages still queued are liveness: re-arm instead of expiring (BIRD's leniency)
        if (timer === 'Hold' && this.backlog > 0) {
          this.stats.holdDeferred++;
          this.#startTimer('Hold', ms);
          return;
        }
        this.handle({ type: EXPIRY[timer] } as FsmEvent);
      }),
    );
  }

  #up(negotiated: Negotiated): void {
    const peerOpen = this.peerOpen;
    const socket = this.#socket;
    if (peerOpen === null || socket === null || this.direction === null) return;
    const capabilities = negotiate(this.#opts.localOpen.capabilities, peerOpen.capabilities);
    this.#ctx = capabilities.context;
    // RFC 8654 §4: accept extended messages only once we advertised them
    this.#framer.maxLength = maxRxLength(this.#ctx);
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
    };
    this.#opts.hooks.up(this, this.info);
    this.tx.enable();
  }

  #release(): void {
    this.#inbox = [];
    this.#inboxHead = 0;
    this.#inboxBytes = 0;
    this.#eof = null;
    this.#framer = new Framer();
    this.#ctx = DEFAULT_WIRE_CONTEXT;
    this.peerOpen = null;
    this.info = null;
  }

  // ---------------------------------------------------------------- sockets

  #connect(): void {
    this.#dropSocket();
    const gen = ++this.#gen;
    const { host, port, localAddress, localPort } = this.#opts.endpoint;
    // writableHighWaterMark reaches the stream (net.Socket passes its options on) but is missing from @types/node
    const options = { host, port, noDelay: true, writableHighWaterMark: SOCKET_HIGH_WATER_MARK, ...(localAddress !== undefined ? { localAddress } : {}), ...(localPort !== undefined ? { localPort } : {}) };
    const socket = netConnect(options as TcpNetConnectOpts);
    this.#socket = socket;
    this.#connected = false;
    this.direction = 'outbound';
    this.lastNotificationIn = null;
    this.lastNotificationOut = null;
    socket.once('connect', () => {
      if (gen !== this.#gen) return;
      this.#wire(socket, gen);
      this.handle({ type: 'Tcp_CR_Acked' });
    });
    socket.on('error', (err) => {
      if (gen === this.#gen && !this.#connected) this.#lost(gen, err.message, true);
    });
  }

  #wire(socket: Socket, gen: number): void {
    this.#socket = socket;
    this.#connected = true;
    socket.setNoDelay(true);
    this.tx.attach(socket);
    socket.on('data', (chunk: Buffer) => this.#onData(gen, chunk));
    socket.on('end', () => this.#lost(gen, 'peer closed the connection', false));
    socket.on('close', () => this.#lost(gen, 'connection closed', false));
    socket.on('error', (err) => this.#lost(gen, err.message, true));
  }

  /** The connection broke: after queued input is processed (unless it was an error), TcpConnectionFails. */
  #lost(gen: number, why: string, error: boolean): void {
    if (gen !== this.#gen) return;
    if (!error && this.backlog > 0) {
      this.#eof ??= why;
      return;
    }
    this.#dropSocket();
    this.handle({ type: 'TcpConnectionFails', error: why });
  }

  /** Detaches and closes the socket: flushes what was written (a NOTIFICATION), then FIN; destroyed after a grace period. */
  #dropSocket(): void {
    const socket = this.#socket;
    this.#gen++;
    this.#socket = null;
    this.tx.detach();
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
    socket.resume(); // a paused socket would never see the peer's FIN
    socket.end();
    const grace = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    grace.unref();
    socket.once('close', () => clearTimeout(grace));
  }

  // ---------------------------------------------------------------- input

  #onData(gen: number, chunk: Buffer): void {
    if (gen !== this.#gen) return;
    this.stats.bytesIn += chunk.length;
    let frames: Uint8Array[];
    try {
      frames = this.#framer.push(chunk);
    } catch (e) {
      if (!BgpError.is(e)) throw e;
      // RFC 4271 §6.1: header errors
      this.handle({ type: 'BGPHeaderErr', error: toNotification(e), detail: e.message });
      return;
    }
    for (const f of frames) {
      this.#inbox.push(f);
      this.#inboxBytes += f.length;
    }
    this.#pump(gen);
  }

  /** Dispatches queued frames until empty or the consumer is busy; pauses/resumes the socket accordingly. */
  #pump(gen: number): void {
    while (!this.#busy && gen === this.#gen && this.#inboxHead < this.#inbox.length) {
      const frame = this.#inbox[this.#inboxHead] as Uint8Array;
      this.#inbox[this.#inboxHead++] = EMPTY;
      this.#inboxBytes -= frame.length;
      this.#dispatch(frame, gen);
    }
    if (gen !== this.#gen) return;
    const socket = this.#socket;
    if (this.#busy) {
      socket?.pause();
      return;
    }
    this.#inbox = [];
    this.#inboxHead = 0;
    socket?.resume();
    if (this.#eof !== null) this.#lost(gen, this.#eof, false);
  }

  #dispatch(frame: Uint8Array, gen: number): void {
    this.stats.messagesIn++;
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
        const r = this.#opts.hooks.update(this, msg);
        if (r === undefined) return;
        this.#busy = true;
        const settle = (): void => {
          this.#busy = false;
          if (gen === this.#gen) this.#pump(gen);
        };
        r.then(settle, settle);
        return;
      }
    }
  }
}

const EMPTY = new Uint8Array(0);
