// The transmit side of a session: a priority lane for OPEN, KEEPALIVE and
// NOTIFICATION, written to the socket at once, and a pull-based UPDATE lane:
// UPDATEs are produced on demand from a source callback only while the socket
// accepts more (write() returned true), resumed on 'drain'. A slow peer
// therefore never makes us build or buffer more than one socket high-water
// mark plus one message of UPDATEs, and a KEEPALIVE never waits for an UPDATE
// backlog to be generated or queued in front of it.
// RFCs: 4271 §4.4 and §10 (keepalives must keep flowing; UPDATEs count as
// liveness at the receiver), 8654 §4 (message size bound), 9687 (stall
// signals feed the send hold timer).
import type { Socket } from 'node:net';

/** Produces the next encoded UPDATE to send, or null when there is nothing more for now. */
export type UpdateSource = () => Uint8Array | null;

/** Counters for observability (CLI, metrics) and tests. */
export interface TxStats {
  priorityMessages: number;
  updateMessages: number;
  bytes: number;
  /** Times the UPDATE lane stopped because the socket buffer was full. */
  drainWaits: number;
}

/**
 * The socket high-water mark our sockets are created with (Node's default is
 * 64 KiB): write() returns false beyond it, so at most this much plus one
 * message of UPDATEs waits in userland ahead of a KEEPALIVE.
 */
export const SOCKET_HIGH_WATER_MARK = 16 * 1024;

/** UPDATE bytes written in one event-loop turn before yielding, so timers and input stay responsive. */
const TURN_BUDGET_BYTES = 256 * 1024;

/** Milliseconds spent building UPDATEs in one event-loop turn before yielding (a full-table dump must not hold the loop). */
const TURN_BUDGET_MS = 10;

export class Transmitter {
  readonly stats: TxStats = { priorityMessages: 0, updateMessages: 0, bytes: 0, drainWaits: 0 };
  #socket: Socket | null = null;
  #source: UpdateSource | null = null;
  #enabled = false;
  #waitingDrain = false;
  #scheduled = false;
  /** Called when the socket stops taking data (RFC 9687 send hold watchdog) and when it flows again. */
  onStall: (() => void) | null = null;
  onFlow: (() => void) | null = null;
  readonly #onDrain = (): void => {
    this.#waitingDrain = false;
    this.onFlow?.();
    this.pump();
  };

  #stalled(): void {
    if (this.#waitingDrain) return;
    this.#waitingDrain = true;
    this.onStall?.();
  }

  /** Starts writing to `socket`. */
  attach(socket: Socket): void {
    this.detach();
    this.#socket = socket;
    socket.on('drain', this.#onDrain);
  }

  /** Stops writing (the connection is closing): nothing more is pulled. */
  detach(): void {
    this.#socket?.off('drain', this.#onDrain);
    this.#socket = null;
    this.#enabled = false;
    if (this.#waitingDrain) this.onFlow?.();
    this.#waitingDrain = false;
  }

  /** The UPDATE source; pulled only while enabled (Established) and the socket has room. */
  setSource(source: UpdateSource | null): void {
    this.#source = source;
  }

  /** Enables the UPDATE lane (on Established) and pulls what the source has. */
  enable(): void {
    this.#enabled = true;
    this.pump();
  }

  disable(): void {
    this.#enabled = false;
  }

  /** Priority lane: written now, ahead of every UPDATE not yet pulled. */
  sendNow(message: Uint8Array): void {
    const s = this.#socket;
    if (s === null || !s.writable) return;
    this.stats.priorityMessages++;
    this.stats.bytes += message.length;
    // write() returning false only means "above the high-water mark": stop pulling UPDATEs until drain
    if (!s.write(message)) this.#stalled();
  }

  /** The attached socket's high-water mark: the bound on UPDATE bytes queued in userland (plus one message). */
  get highWaterMark(): number {
    return this.#socket?.writableHighWaterMark ?? SOCKET_HIGH_WATER_MARK;
  }

  /** Bytes handed to the socket but not yet accepted by the kernel. */
  get queuedBytes(): number {
    return this.#socket?.writableLength ?? 0;
  }

  /** Pulls UPDATEs while the socket accepts them; the source calls this (via the Peer) when it has new work. */
  pump(): void {
    const s = this.#socket;
    if (!this.#enabled || this.#waitingDrain || s === null || !s.writable || this.#source === null) return;
    let budget = TURN_BUDGET_BYTES;
    const deadline = performance.now() + TURN_BUDGET_MS;
    while (budget > 0 && performance.now() < deadline) {
      const msg = this.#source();
      if (msg === null) return;
      this.stats.updateMessages++;
      this.stats.bytes += msg.length;
      budget -= msg.length;
      if (!s.write(msg)) {
        this.stats.drainWaits++;
        this.#stalled();
        return;
      }
    }
    // the kernel keeps accepting: yield to the event loop, then continue
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.pump();
      });
    }
  }
}
