// The agent's Kubernetes caches: one supervised Reflector per resource the
// enabled controllers read, a wait for the initial sync, narrow readers for
// controllers, and the staleness check the health endpoint uses.
import type { Clock } from '../runtime/clock.ts';
import type { ResourceEvent } from '../runtime/controller.ts';
import type { Logger } from '../obs/log.ts';
import type { RuntimeMetrics } from '../obs/metrics.ts';
import { Reflector } from './reflector.ts';
import { resources } from './resources.ts';
import type { ResourceName, ResourceTypes } from './resources.ts';
import type { Reader } from './store.ts';
import type { Transport } from './transport.ts';

export interface CachesOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics?: RuntimeMetrics;
  /** A cache that has not heard from the API server for longer is stale. */
  readonly staleAfterMs?: number;
  readonly watchTimeoutS?: number;
  readonly random?: () => number;
  readonly backoff?: { initialMs?: number; maxMs?: number };
}

export type Readers = { readonly [R in ResourceName]: Reader<ResourceTypes[R]> };

export class Caches {
  private readonly reflectors = new Map<ResourceName, Reflector<ResourceTypes[ResourceName]>>();
  private readonly opts: CachesOptions;
  private readonly listeners: ((e: ResourceEvent) => void)[] = [];

  constructor(names: readonly ResourceName[], transport: Transport, opts: CachesOptions) {
    this.opts = opts;
    for (const name of new Set(names)) {
      const r = new Reflector<ResourceTypes[typeof name]>(
        resources[name],
        transport,
        {
          clock: opts.clock,
          log: opts.log,
          ...(opts.watchTimeoutS !== undefined ? { watchTimeoutS: opts.watchTimeoutS } : {}),
          ...(opts.random ? { random: opts.random } : {}),
          ...(opts.backoff ? { backoff: opts.backoff } : {}),
          onWatchRestart: (reason) => opts.metrics?.watchRestarts.inc({ resource: name, reason }),
          onRelist: (reason) => opts.metrics?.relists.inc({ resource: name, reason }),
        },
        (e) => {
          opts.metrics?.cacheObjects.set({ resource: name }, r.store.size());
          for (const l of this.listeners) l(e);
        },
      );
      this.reflectors.set(name, r);
    }
  }

  /** Subscribes to every change of every cache (the supervisor's dispatch). */
  onEvent(listener: (e: ResourceEvent) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    for (const r of this.reflectors.values()) r.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.reflectors.values()].map((r) => r.stop()));
  }

  /** Resolves when every cache has listed once; rejects after timeoutMs naming the laggards. */
  async waitForSync(timeoutMs: number): Promise<void> {
    let timer: { cancel(): void } | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.opts.clock.setTimer(timeoutMs, () => {
        const late = [...this.reflectors.values()].filter((r) => !r.synced());
        const detail = late.map((r) => `${r.desc.resource}${r.lastError() !== null ? ` (${r.lastError()})` : ''}`).join(', ');
        reject(new Error(`caches not synced after ${timeoutMs / 1000} s: ${detail}`));
      });
    });
    try {
      await Promise.race([Promise.all([...this.reflectors.values()].map((r) => r.waitSynced())), timeout]);
    } finally {
      (timer as { cancel(): void } | null)?.cancel();
    }
  }

  reader<R extends ResourceName>(name: R): Reader<ResourceTypes[R]> {
    const r = this.reflectors.get(name);
    if (r === undefined) throw new Error(`no cache for ${name}: it was not started`);
    return r.store as unknown as Reader<ResourceTypes[R]>;
  }

  /** Why any of the named caches is stale (or not yet synced), or null. */
  problem(kinds: readonly string[]): string | null {
    const limit = this.opts.staleAfterMs ?? 180_000;
    const now = this.opts.clock.now();
    const problems: string[] = [];
    for (const k of kinds) {
      const r = this.reflectors.get(k as ResourceName);
      if (r === undefined) continue;
      const heard = r.lastHeard();
      if (heard === null) problems.push(`cache ${k}: never heard from the API server${r.lastError() !== null ? ` (${r.lastError()})` : ''}`);
      else if (now - heard > limit) {
        problems.push(`cache ${k}: no word from the API server for ${Math.round((now - heard) / 1000)} s (limit ${limit / 1000} s)`);
      }
    }
    return problems.length > 0 ? problems.join('; ') : null;
  }

  status(): { resource: string; synced: boolean; objects: number; resourceVersion: string; lastHeardAgoMs: number | null; lastError: string | null }[] {
    const now = this.opts.clock.now();
    return [...this.reflectors.values()].map((r) => ({
      resource: r.desc.resource,
      synced: r.synced(),
      objects: r.store.size(),
      resourceVersion: r.resourceVersion(),
      lastHeardAgoMs: r.lastHeard() === null ? null : Math.round(now - (r.lastHeard() ?? 0)),
      lastError: r.lastError(),
    }));
  }
}
