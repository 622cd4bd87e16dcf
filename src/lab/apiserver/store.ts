// The storage layer of the embedded API server, modelled on etcd behind the
// kube-apiserver watch cache: objects per kind keyed "namespace/name", ONE
// global monotonically increasing resourceVersion counter, a bounded history of
// change events (each with the previous object, so a list can be rebuilt at an
// exact older version), compaction (versions older than the history answer 410
// Expired), and watchers that get history replay plus live events in order.
// It knows nothing about HTTP, validation or defaults: resources.ts does.
import { expired, ApiError } from './errors.ts';
import type { JsonObject, KindName } from './kinds.ts';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type WatchEventType = ChangeType | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: JsonObject;
}

interface Change {
  readonly rv: number;
  readonly kind: KindName;
  readonly key: string;
  readonly type: ChangeType;
  readonly object: JsonObject; // the object as of rv (for DELETED: its last state, stamped with rv)
  readonly prev: JsonObject | undefined; // the object before rv
}

/** Where a watch starts: replay after a version, or synthetic ADDED events for the current state. */
export type WatchStart = { readonly from: 'version'; readonly rv: number } | { readonly from: 'current-state' };

export interface WatchOptions {
  readonly kind: KindName;
  readonly namespace: string | undefined;
  readonly filter: (obj: JsonObject) => boolean;
  readonly start: WatchStart;
  /** Receives events in resourceVersion order; never called after cancel(). */
  readonly send: (ev: WatchEvent) => void;
}

interface Watcher {
  readonly opts: WatchOptions;
  readonly afterRv: number;
}

export const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

function metaOf(obj: JsonObject): JsonObject {
  const m = obj['metadata'];
  return m !== null && typeof m === 'object' && !Array.isArray(m) ? m : {};
}

export const nameOf = (obj: JsonObject): string => String(metaOf(obj)['name'] ?? '');
export const namespaceOf = (obj: JsonObject): string => String(metaOf(obj)['namespace'] ?? '');
export const rvOf = (obj: JsonObject): string => String(metaOf(obj)['resourceVersion'] ?? '');

function stamp(obj: JsonObject, rv: number): JsonObject {
  return { ...obj, metadata: { ...metaOf(obj), resourceVersion: String(rv) } };
}

/** What a watcher sees of a change through its selector (client-go watch semantics). */
function project(c: Change, filter: (o: JsonObject) => boolean): WatchEvent | undefined {
  if (c.type === 'ADDED') return filter(c.object) ? { type: 'ADDED', object: c.object } : undefined;
  if (c.type === 'DELETED') return filter(c.prev ?? c.object) ? { type: 'DELETED', object: c.object } : undefined;
  const was = c.prev !== undefined && filter(c.prev);
  const is = filter(c.object);
  if (was && is) return { type: 'MODIFIED', object: c.object };
  if (is) return { type: 'ADDED', object: c.object };
  if (was) return { type: 'DELETED', object: c.object };
  return undefined;
}

export class Store {
  private rv = 1;
  private compactedRv = 0; // every change with rv > compactedRv is in history
  private readonly history: Change[] = [];
  private readonly objects = new Map<KindName, Map<string, JsonObject>>();
  private readonly watchers = new Set<Watcher>();
  private readonly historyLimit: number;

  constructor(historyLimit = 1000) {
    this.historyLimit = Math.max(1, historyLimit);
  }

  /** The newest resourceVersion handed out (the version of the whole store). */
  currentRv(): number {
    return this.rv;
  }

  /** The oldest version a list (Exact) or watch may still start from. */
  oldestRv(): number {
    return this.compactedRv;
  }

  private table(kind: KindName): Map<string, JsonObject> {
    let t = this.objects.get(kind);
    if (t === undefined) {
      t = new Map();
      this.objects.set(kind, t);
    }
    return t;
  }

  /** The stored object (shared: callers must not mutate it). */
  peek(kind: KindName, namespace: string, name: string): JsonObject | undefined {
    return this.table(kind).get(keyOf(namespace, name));
  }

  /** Objects of a kind at the current version, or at exactly `atRv` rebuilt from history; sorted by key. */
  snapshot(kind: KindName, atRv?: number): { key: string; object: JsonObject }[] {
    const view = new Map(this.table(kind));
    if (atRv !== undefined && atRv < this.rv) {
      if (atRv < this.compactedRv) throw expired(`too old resource version: ${atRv} (${this.compactedRv})`);
      for (let i = this.history.length - 1; i >= 0; i--) {
        const c = this.history[i];
        if (c === undefined || c.rv <= atRv) break;
        if (c.kind !== kind) continue;
        if (c.prev === undefined) view.delete(c.key);
        else view.set(c.key, c.prev);
      }
    }
    return [...view.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, object]) => ({ key, object }));
  }

  /**
   * Commits one change: stamps a new resourceVersion, stores or removes the
   * object, appends history, and delivers the event to matching watchers
   * before returning (so watchers see changes in version order).
   */
  commit(kind: KindName, type: ChangeType, object: JsonObject): JsonObject {
    const key = keyOf(namespaceOf(object), nameOf(object));
    const t = this.table(kind);
    const prev = t.get(key);
    if (type === 'ADDED' && prev !== undefined) throw new ApiError(500, 'InternalError', `store: ${key} exists`);
    if (type !== 'ADDED' && prev === undefined) throw new ApiError(500, 'InternalError', `store: ${key} missing`);
    this.rv += 1;
    const stamped = stamp(object, this.rv);
    if (type === 'DELETED') t.delete(key);
    else t.set(key, stamped);
    const change: Change = { rv: this.rv, kind, key, type, object: stamped, prev };
    this.history.push(change);
    while (this.history.length > this.historyLimit) {
      const old = this.history.shift();
      if (old !== undefined) this.compactedRv = old.rv;
    }
    for (const w of this.watchers) this.deliver(w, change);
    return structuredClone(stamped); // callers never hold the stored object
  }

  private deliver(w: Watcher, c: Change): void {
    const o = w.opts;
    if (c.kind !== o.kind || c.rv <= w.afterRv) return;
    if (o.namespace !== undefined && namespaceOf(c.object) !== o.namespace) return;
    const ev = project(c, o.filter);
    if (ev !== undefined) o.send(ev);
  }

  /**
   * Starts a watch. From a version: replays retained history after it (410
   * Expired if that history is compacted), then live events. From the current
   * state: one synthetic ADDED per matching object, then live events.
   * Returns the cancel function.
   */
  watch(opts: WatchOptions): () => void {
    let afterRv = this.rv;
    if (opts.start.from === 'version') {
      const from = opts.start.rv;
      if (from < this.compactedRv) throw expired(`too old resource version: ${from} (${this.compactedRv + 1})`);
      afterRv = Math.max(from, 0);
      for (const c of this.history) {
        if (c.rv <= from || c.kind !== opts.kind) continue;
        if (opts.namespace !== undefined && namespaceOf(c.object) !== opts.namespace) continue;
        const ev = project(c, opts.filter);
        if (ev !== undefined) opts.send(ev);
      }
      afterRv = Math.max(afterRv, this.rv);
      // A watch from a future version only gets changes after it.
      if (from > this.rv) afterRv = from;
    } else {
      for (const { object } of this.snapshot(opts.kind)) {
        if (opts.namespace !== undefined && namespaceOf(object) !== opts.namespace) continue;
        if (opts.filter(object)) opts.send({ type: 'ADDED', object });
      }
    }
    const w: Watcher = { opts, afterRv };
    this.watchers.add(w);
    return () => {
      this.watchers.delete(w);
    };
  }

  /** Forgets all history: any list (Exact) or watch from an older version now gets 410. */
  compact(): void {
    this.history.length = 0;
    this.compactedRv = this.rv;
  }

  watcherCount(): number {
    return this.watchers.size;
  }
}
