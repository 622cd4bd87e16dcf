// The controller contract every podnet controller implements (kube-router's
// Run / OnUpdate / Sync / Cleanup shape), and the context the runtime hands it.
// Retries, backoff, periodic resync and restarts live in the runtime
// (loop.ts, supervisor.ts), never in a controller.
import type { Clock } from './clock.ts';
import type { SyncKind } from './signal.ts';
import type { Logger } from '../obs/log.ts';

export type { SyncKind } from './signal.ts';

/** A change seen by a cache, as a controller's OnUpdate receives it. */
export interface ResourceEvent {
  readonly kind: string;
  readonly type: 'added' | 'modified' | 'deleted' | 'relisted';
  readonly key: string;
}

export interface ControllerContext {
  readonly log: Logger;
  readonly clock: Clock;
  /** Aborted when this incarnation stops (shutdown or restart). */
  readonly signal: AbortSignal;
  /** Asks for a sync; a pending full sync is never downgraded. */
  requestSync(kind: SyncKind): void;
  /** Reports that the controller cannot go on: the supervisor restarts it. */
  fail(err: unknown): void;
}

export interface SyncContext {
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/** What a sync reports back, for status and metrics. */
export interface SyncReport {
  /** Objects programmed after the sync (rules, routes, services...). */
  readonly programmed?: number;
  /** Changes applied by the sync. */
  readonly changed?: number;
}

export interface Controller {
  /** routes | firewall | services */
  readonly name: string;
  /** Period of the forced full resync that catches drift. */
  readonly syncPeriodMs: number;
  /** Cache kinds this controller reads (their health is part of its health). */
  readonly watches: readonly string[];
  /** Run: start what the controller needs (sockets, speakers). Rejects = crash. */
  run(ctx: ControllerContext): Promise<void>;
  /** OnUpdate: only says what work an event makes; never does it. */
  onUpdate(event: ResourceEvent): SyncKind | null;
  /** Sync: read a snapshot, compute desired state, apply the difference. Throws to be retried. */
  sync(kind: SyncKind, ctx: SyncContext): Promise<SyncReport | undefined>;
  /** Stop: release resources, leaving the data plane as it is. */
  stop(): Promise<void>;
  /** Cleanup: remove everything this controller ever created, by ownership. */
  cleanup(log: Logger): Promise<void>;
}
