// The receive side of a session: frames the byte stream (split-safe, via the
// wire Framer), queues whole messages in a small inbox and hands them one at
// a time to the session. When handling a message returns a promise (the
// UPDATE consumer is busy), the socket is paused until it settles, so TCP
// flow control slows a flooding peer instead of our memory growing. The
// backlog (queued messages, a busy consumer, unread socket bytes) is what the
// hold timer consults before expiring, and an end of stream is reported only
// once the backlog is processed, so a NOTIFICATION followed by FIN is read.
// Input is processed in turns of at most TURN_BUDGET_MS: libuv hands a
// readable socket up to 32 reads (2 MiB, ~400k /32 prefixes) in one poll
// callback, which would hold timers and the management API for a second.
// When a turn's budget runs out, the rest is processed after setImmediate;
// meanwhile the socket keeps being read into the inbox (framing only) until
// INBOX_HIGH_WATER bytes wait, then it is paused (TCP backpressure).
// RFCs: 4271 §4.1 and §6.1 (framing, header errors), 8654 §4 (max length).
import type { Socket } from 'node:net';
import { BgpError, Framer } from '../wire/index.ts';

export interface ReceiverSink {
  /** One whole message (header included); a returned promise holds further input until it settles. */
  frame(frame: Uint8Array): void | Promise<void>;
  /** The stream is not BGP: a header error (RFC 4271 §6.1). */
  headerError(error: BgpError): void;
  /** Input ended (FIN, close) and everything before it was processed. */
  ended(why: string): void;
}

const EMPTY = new Uint8Array(0);

/** Milliseconds of message processing per event-loop turn before yielding to timers and other I/O. */
export const TURN_BUDGET_MS = 10;

/** Queued message bytes above which the socket is paused while the backlog is worked through. */
export const INBOX_HIGH_WATER = 1024 * 1024;

export class Receiver {
  readonly #sink: ReceiverSink;
  #socket: Socket | null = null;
  #framer = new Framer();
  #inbox: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;
  #busy = false;
  #eof: string | null = null;
  /** A continuation of the pump is scheduled (setImmediate) for this generation. */
  #yielded = false;
  /** Bumped on attach/detach: a consumer promise settling for an older connection is ignored. */
  #gen = 0;
  bytesIn = 0;
  messagesIn = 0;

  constructor(sink: ReceiverSink) {
    this.#sink = sink;
  }

  /** Starts a new connection: empty inbox, fresh framer (4096-octet messages until negotiated otherwise). */
  attach(socket: Socket): void {
    this.detach();
    this.#socket = socket;
  }

  /** Drops the connection's input: nothing queued is delivered any more. */
  detach(): void {
    this.#gen++;
    this.#socket = null;
    this.#framer = new Framer();
    this.#inbox = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#busy = false;
    this.#eof = null;
    this.#yielded = false;
  }

  /** RFC 8654 §4: 65535 once we advertised Extended Message. */
  set maxLength(n: number) {
    this.#framer.maxLength = n;
  }

  /** Received but not yet processed: queued message bytes, a busy consumer (1), unread socket bytes. */
  get backlog(): number {
    return this.#bytes + (this.#busy ? 1 : 0) + (this.#socket?.readableLength ?? 0);
  }

  /** Whole messages received and queued, not yet handed to the sink. */
  get queued(): number {
    return this.#inbox.length - this.#head;
  }

  /** A chunk from the socket. */
  push(chunk: Uint8Array): void {
    this.bytesIn += chunk.length;
    let frames: Uint8Array[];
    try {
      frames = this.#framer.push(chunk);
    } catch (e) {
      if (!BgpError.is(e)) throw e;
      this.#sink.headerError(e);
      return;
    }
    for (const f of frames) {
      this.#inbox.push(f);
      this.#bytes += f.length;
    }
    if (!this.#yielded) this.#pump(this.#gen);
    // a continuation is scheduled: keep reading only while the inbox is below its high-water mark
    else if (this.#bytes > INBOX_HIGH_WATER) this.#socket?.pause();
  }

  /** The stream ended: reported to the sink now, or once the backlog is processed. */
  end(why: string): void {
    if (this.backlog > 0) {
      this.#eof ??= why;
      return;
    }
    this.#sink.ended(why);
  }

  #pump(gen: number): void {
    const deadline = performance.now() + TURN_BUDGET_MS;
    while (!this.#busy && gen === this.#gen && this.#head < this.#inbox.length) {
      if (performance.now() >= deadline) {
        // the turn's budget is spent: let timers and other sockets run; stop reading if much is queued (TCP backpressure)
        if (this.#bytes > INBOX_HIGH_WATER) this.#socket?.pause();
        if (this.#head > 1024) {
          // a long backlog that never drains: drop the delivered slots
          this.#inbox = this.#inbox.slice(this.#head);
          this.#head = 0;
        }
        this.#yielded = true;
        setImmediate(() => {
          if (gen !== this.#gen) return;
          this.#yielded = false;
          this.#pump(gen);
        });
        return;
      }
      const frame = this.#inbox[this.#head] as Uint8Array;
      this.#inbox[this.#head++] = EMPTY;
      this.#bytes -= frame.length;
      this.messagesIn++;
      const r = this.#sink.frame(frame);
      if (r !== undefined && gen === this.#gen) {
        this.#busy = true;
        const settle = (): void => {
          if (gen !== this.#gen) return;
          this.#busy = false;
          if (!this.#yielded) this.#pump(gen);
        };
        r.then(settle, settle);
      }
    }
    if (gen !== this.#gen) return;
    if (this.#busy) {
      // inbound backpressure: stop reading, TCP's window closes on the sender
      this.#socket?.pause();
      return;
    }
    this.#inbox = [];
    this.#head = 0;
    this.#socket?.resume();
    if (this.#eof !== null) this.end(this.#eof);
  }
}
