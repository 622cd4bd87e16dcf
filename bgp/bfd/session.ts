// One BFD session in asynchronous mode (RFC 5880 §6): the state machine of
// §6.2 and the reception procedure of §6.8.6, transmission timing (§6.8.2,
// §6.8.7: jitter; at least 1 s while not Up, §6.8.3), detection time
// (§6.8.4), and the Poll Sequence (§6.5) when our transmit interval changes
// on the way Up, answering the peer's Polls with Final. Pure: time comes from
// the injected clock, packets leave through `send`; the transport is
// bgp/bfd/transport.ts. No demand mode, no echo, no authentication.
import type { Clock, TimerHandle } from '../session/clock.ts';
import { BfdDiag, type BfdPacket, type BfdState } from './packet.ts';

export interface BfdParams {
  /** bfd.DesiredMinTxInterval once Up, ms. */
  readonly minTxMs: number;
  /** bfd.RequiredMinRxInterval, ms. */
  readonly minRxMs: number;
  /** bfd.DetectMult. */
  readonly multiplier: number;
}

export const DEFAULT_BFD: BfdParams = { minTxMs: 300, minRxMs: 300, multiplier: 3 };
/** §6.8.3: while the session is not Up, transmit no faster than once a second. */
const SLOW_US = 1_000_000;

export interface BfdChange {
  readonly from: BfdState;
  readonly to: BfdState;
  readonly diag: number;
}

export class BfdSession {
  readonly params: BfdParams;
  readonly localDiscriminator: number;
  state: BfdState = 'Down';
  remoteState: BfdState = 'Down';
  remoteDiscriminator = 0;
  diag: number = BfdDiag.none;
  /** What the peer last sent (µs), for the detection time and our transmit interval. */
  remoteMinRxUs = 1;
  remoteMinTxUs = 0;
  remoteMultiplier = 0;
  /** A Poll Sequence is running (P bit on until the peer answers with F). */
  polling = false;
  /** Detection time of the current session, ms (0 until the peer sent something). */
  detectMs = 0;
  onChange: ((c: BfdChange) => void) | null = null;
  readonly #clock: Clock;
  readonly #send: (p: BfdPacket) => void;
  readonly #random: () => number;
  #tx: TimerHandle | null = null;
  #detect: TimerHandle | null = null;
  #stopped = false;

  constructor(params: BfdParams, localDiscriminator: number, clock: Clock, send: (p: BfdPacket) => void, random: () => number = Math.random) {
    this.params = params;
    this.localDiscriminator = localDiscriminator;
    this.#clock = clock;
    this.#send = send;
    this.#random = random;
  }

  /** Our bfd.DesiredMinTxInterval right now (µs): the configured one once Up, else at least 1 s. */
  get desiredMinTxUs(): number {
    return this.state === 'Up' ? this.params.minTxMs * 1000 : Math.max(SLOW_US, this.params.minTxMs * 1000);
  }

  start(): void {
    this.#stopped = false;
    this.#scheduleTx();
  }

  stop(): void {
    this.#stopped = true;
    this.#tx?.cancel();
    this.#detect?.cancel();
    this.#tx = null;
    this.#detect = null;
  }

  packet(final = false): BfdPacket {
    return {
      diag: this.diag,
      state: this.state,
      poll: this.polling && !final,
      final,
      controlPlaneIndependent: false,
      demand: false,
      detectMult: this.params.multiplier,
      myDiscriminator: this.localDiscriminator,
      yourDiscriminator: this.remoteDiscriminator,
      desiredMinTxUs: this.desiredMinTxUs,
      requiredMinRxUs: this.params.minRxMs * 1000,
      requiredMinEchoRxUs: 0,
    };
  }

  /** §6.8.6, for a packet already checked by decodeBfd and matched to this session. */
  receive(p: BfdPacket): void {
    if (this.#stopped) return;
    this.remoteDiscriminator = p.myDiscriminator;
    this.remoteState = p.state;
    this.remoteMinRxUs = Math.max(1, p.requiredMinRxUs);
    this.remoteMinTxUs = p.desiredMinTxUs;
    this.remoteMultiplier = p.detectMult;
    if (p.final && this.polling) this.polling = false;
    if (this.state === 'AdminDown') return;
    if (p.state === 'AdminDown') {
      if (this.state !== 'Down') this.#to('Down', BfdDiag.neighborSignaledDown);
    } else if (this.state === 'Down') {
      if (p.state === 'Down') this.#to('Init', BfdDiag.none);
      else if (p.state === 'Init') this.#to('Up', BfdDiag.none);
    } else if (this.state === 'Init') {
      if (p.state === 'Init' || p.state === 'Up') this.#to('Up', BfdDiag.none);
    } else if (p.state === 'Down') {
      this.#to('Down', BfdDiag.neighborSignaledDown);
    }
    // §6.8.4: detection time = the peer's multiplier x max(our RequiredMinRx, its DesiredMinTx)
    this.detectMs = (p.detectMult * Math.max(this.params.minRxMs * 1000, p.desiredMinTxUs)) / 1000;
    this.#armDetect();
    // §6.5: a Poll is answered at once with Final (outside the periodic schedule)
    if (p.poll) this.#send(this.packet(true));
  }

  #armDetect(): void {
    this.#detect?.cancel();
    if (this.state !== 'Init' && this.state !== 'Up') {
      this.#detect = null;
      return;
    }
    this.#detect = this.#clock.setTimer(this.detectMs, () => {
      this.#detect = null;
      if (this.state === 'Init' || this.state === 'Up') {
        // §6.8.4: the peer fell silent for the detection time
        this.remoteDiscriminator = 0;
        this.#to('Down', BfdDiag.controlDetectionTimeExpired);
      }
    });
  }

  #to(to: BfdState, diag: number): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.diag = diag;
    // going Up (or leaving Up) changes our transmit interval: tell the peer with a Poll (§6.8.3)
    if ((to === 'Up' || from === 'Up') && this.params.minTxMs * 1000 < SLOW_US) this.polling = true;
    if (to === 'Down') this.#detect?.cancel();
    this.onChange?.({ from, to, diag });
    // a state change is sent at once, not at the next periodic packet
    this.#send(this.packet());
    this.#scheduleTx();
  }

  /** §6.8.7: the interval is max(our DesiredMinTx, the peer's RequiredMinRx), less 0-25 % jitter (10-25 % with multiplier 1). */
  #scheduleTx(): void {
    this.#tx?.cancel();
    if (this.#stopped) return;
    const base = Math.max(this.desiredMinTxUs, this.remoteMinRxUs) / 1000;
    const jitter = this.params.multiplier === 1 ? 0.1 + this.#random() * 0.15 : this.#random() * 0.25;
    this.#tx = this.#clock.setTimer(base * (1 - jitter), () => {
      this.#tx = null;
      if (this.#stopped) return;
      this.#send(this.packet());
      this.#scheduleTx();
    });
  }
}
