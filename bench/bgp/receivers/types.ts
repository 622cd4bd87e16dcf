// The receiver-kind plug-in contract of the BGP convergence benchmark: how to
// start one BGP implementation as a passive eBGP receiver (Loc-RIB only: no
// kernel programming) inside a namespace, and how to read, cheaply and from
// outside, its session state (RFC 4271 §8.2.2 Established) and how many
// prefixes from the injector it has accepted into its RIB.
import type { Netns } from '../../../test/helpers/netns.ts';

export type ReceiverName = 'bird' | 'gobgp' | 'podnet';

/** Where a receiver runs and whom it peers with. */
export interface ReceiverContext {
  readonly ns: Netns;
  /** A directory of its own for config, sockets and logs. */
  readonly dir: string;
  readonly address: string;
  readonly asn: number;
  readonly peerAddress: string;
  readonly peerAsn: number;
}

/** One reading of the receiver's state. */
export interface Probe {
  /** The implementation's own state name. */
  readonly state: string;
  readonly established: boolean;
  /** Prefixes from the injector accepted into the RIB. */
  readonly count: number;
}

export interface RunningReceiver {
  /** The daemon's PID (for VmHWM and CPU time). */
  readonly pid: number;
  readonly running: boolean;
  /** Reads state and count; rejects while the control channel is not up. */
  probe(): Promise<Probe>;
  /** Log tail for error messages. */
  log(): string;
  stop(): Promise<void>;
}

export interface ReceiverKind {
  readonly name: ReceiverName;
  /** Name in the printed table. */
  readonly label: string;
  /**
   * 'constant': a probe costs the receiver O(1) (BIRD's protocol counters,
   * podnet's per-peer counters); 'linear': it walks the Adj-RIB-In (GoBGP
   * ListPeer), so the poller spaces probes by a multiple of their cost.
   */
  readonly probeCost: 'constant' | 'linear';
  /** null when usable on this machine, else why not. */
  unavailable(): string | null;
  version(): Promise<string>;
  start(ctx: ReceiverContext): Promise<RunningReceiver>;
}
