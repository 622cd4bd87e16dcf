// A supervised list/watch of one resource into a Store (client-go's
// reflector): list, then watch from the list's resourceVersion with bookmarks;
// a watch that ends is reopened from the last version seen; one that fails is
// reopened after a backoff; a 410 Gone (expired version) triggers a relist
// that swaps the store in one step, never emptying it. The reflector records
// when it last heard from the API server, so a silent cache is seen as stale.
import { Backoff } from '../runtime/backoff.ts';
import type { Clock } from '../runtime/clock.ts';
import type { ResourceEvent } from '../runtime/controller.ts';
import type { Logger } from '../obs/log.ts';
import { collectionPath } from './resources.ts';
import type { ResourceDesc } from './resources.ts';
import { Store } from './store.ts';
import type { KubeObject } from './store.ts';
import { statusCodeOf } from './transport.ts';
import type { Transport, WatchEvent } from './transport.ts';

export interface ReflectorOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** Server-side watch timeout, randomised in [t, 2t) seconds like client-go. */
  readonly watchTimeoutS?: number;
  readonly random?: () => number;
  readonly backoff?: { initialMs?: number; maxMs?: number };
  readonly onWatchRestart?: (reason: 'ended' | 'error' | 'gone') => void;
  readonly onRelist?: (reason: 'initial' | 'gone' | 'error') => void;
}

interface ListBody {
  metadata?: { resourceVersion?: string };
  items?: unknown[];
}

export class Reflector<T extends KubeObject> {
  readonly desc: ResourceDesc;
  readonly store = new Store<T>();
  private readonly transport: Transport;
  private readonly opts: ReflectorOptions;
  private readonly emit: (e: ResourceEvent) => void;
  private readonly backoff: Backoff;
  private rv = '';
  private heardAt: number | null = null;
  private syncedFlag = false;
  private syncWaiters: (() => void)[] = [];
  private stopped = false;
  private abortWatch: (() => void) | null = null;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private lastErr: string | null = null;

  constructor(desc: ResourceDesc, transport: Transport, opts: ReflectorOptions, emit: (e: ResourceEvent) => void) {
    this.desc = desc;
    this.transport = transport;
    this.opts = opts;
    this.emit = emit;
    this.backoff = new Backoff({ initialMs: 500, maxMs: 30_000, ...opts.backoff, ...(opts.random ? { random: opts.random } : {}) });
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abortWatch?.();
    this.wake?.();
    await this.loopDone;
  }

  synced(): boolean {
    return this.syncedFlag;
  }

  /** Resolves when the first list has filled the store. */
  waitSynced(): Promise<void> {
    if (this.syncedFlag) return Promise.resolve();
    return new Promise((r) => this.syncWaiters.push(r));
  }

  /** Monotonic time the API server was last heard from (list, open watch, event), or null. */
  lastHeard(): number | null {
    return this.heardAt;
  }

  lastError(): string | null {
    return this.lastErr;
  }

  resourceVersion(): string {
    return this.rv;
  }

  private heard(): void {
    this.heardAt = this.opts.clock.now();
  }

  private async loop(): Promise<void> {
    let needList: 'initial' | 'gone' | 'error' | null = 'initial';
    while (!this.stopped) {
      if (needList !== null) {
        try {
          await this.list(needList);
          needList = null;
        } catch (err) {
          this.lastErr = err instanceof Error ? err.message : String(err);
          needList = statusCodeOf(err) === 410 ? 'gone' : needList === 'initial' ? 'initial' : 'error';
          const d = this.backoff.next();
          this.opts.log.warn({ resource: this.desc.resource, err: this.lastErr, retryInMs: d }, 'list failed');
          await this.pause(d);
          continue;
        }
      }
      const outcome = await this.watchOnce();
      if (this.stopped) break;
      this.opts.onWatchRestart?.(outcome.reason);
      if (outcome.reason === 'gone') {
        this.opts.log.info({ resource: this.desc.resource, rv: this.rv }, 'watch version expired (410 Gone); relisting');
        needList = 'gone';
      } else if (outcome.reason === 'error') {
        this.lastErr = outcome.message;
        const d = this.backoff.next();
        this.opts.log.warn({ resource: this.desc.resource, err: outcome.message, retryInMs: d }, 'watch failed; reopening');
        await this.pause(d);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        t.cancel();
        this.wake = null;
        resolve();
      };
      const t = this.opts.clock.setTimer(ms, done);
      this.wake = done;
    });
  }

  private async list(reason: 'initial' | 'gone' | 'error'): Promise<void> {
    this.opts.onRelist?.(reason);
    const body = (await this.transport.getJson(collectionPath(this.desc), {})) as ListBody;
    if (!Array.isArray(body.items) || typeof body.metadata?.resourceVersion !== 'string') {
      throw new Error(`list ${this.desc.resource}: the answer is not a list with a resourceVersion`);
    }
    this.heard();
    const changes = this.store.replace(body.items as T[]);
    this.rv = body.metadata.resourceVersion;
    this.backoff.reset();
    this.lastErr = null;
    if (!this.syncedFlag) {
      this.syncedFlag = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
    if (reason !== 'initial' || changes.length > 0) this.emit({ kind: this.desc.resource, type: 'relisted', key: '' });
  }

  private watchOnce(): Promise<{ reason: 'ended' | 'error' | 'gone'; message: string }> {
    const base = this.opts.watchTimeoutS ?? 300;
    const timeout = Math.floor(base * (1 + (this.opts.random ?? Math.random)()));
    const query = { resourceVersion: this.rv, allowWatchBookmarks: 'true', timeoutSeconds: String(timeout) };
    return new Promise((resolve) => {
      let gone = false;
      let errMsg = '';
      this.abortWatch = this.transport.watch(collectionPath(this.desc), query, (timeout + 30) * 1000, {
        onOpen: () => {
          this.heard();
          this.backoff.reset();
        },
        onEvent: (e) => {
          this.heard();
          const r = this.apply(e);
          if (r === null) return;
          if (r === 'gone') gone = true;
          else errMsg = r;
          this.abortWatch?.();
        },
        onDone: (err) => {
          this.abortWatch = null;
          if (gone || statusCodeOf(err) === 410) resolve({ reason: 'gone', message: '410 Gone' });
          else if (err !== null && err !== undefined) resolve({ reason: 'error', message: err instanceof Error ? err.message : String(err) });
          else if (errMsg !== '') resolve({ reason: 'error', message: errMsg });
          else resolve({ reason: 'ended', message: '' });
        },
      });
    });
  }

  /** Applies one watch event; returns 'gone' on a 410, an error text on other errors. */
  private apply(e: WatchEvent): 'gone' | string | null {
    const obj = e.object as T & { code?: number; message?: string; metadata?: { resourceVersion?: string } };
    switch (e.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const c = this.store.upsert(obj);
        this.bump(obj);
        this.emit({ kind: this.desc.resource, type: c.type, key: c.key });
        return null;
      }
      case 'DELETED': {
        const c = this.store.remove(obj);
        this.bump(obj);
        if (c !== null) this.emit({ kind: this.desc.resource, type: 'deleted', key: c.key });
        return null;
      }
      case 'BOOKMARK':
        this.bump(obj);
        return null;
      case 'ERROR':
        return obj.code === 410 ? 'gone' : `watch error event: ${obj.code ?? '?'} ${obj.message ?? ''}`;
      default:
        return `unknown watch event type ${String(e.type)}`;
    }
  }

  private bump(obj: { metadata?: { resourceVersion?: string } }): void {
    const v = obj.metadata?.resourceVersion;
    if (typeof v === 'string' && v !== '') this.rv = v;
  }
}
