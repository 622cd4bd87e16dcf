// A cache's object store: objects by key (namespace/name), replaced
// atomically on a relist so readers never see it empty or half-filled.
import { keyOf } from './resources.ts';
import type { ObjectMeta } from './resources.ts';

export interface KubeObject {
  readonly metadata?: ObjectMeta;
}

/** The narrow read side controllers get. */
export interface Reader<T> {
  get(key: string): T | undefined;
  list(): T[];
  size(): number;
  /** Bumped on every change: a cheap "did anything change" for syncs. */
  revision(): number;
}

export type Change<T> = { type: 'added' | 'modified'; key: string; obj: T } | { type: 'deleted'; key: string; obj: T };

export class Store<T extends KubeObject> implements Reader<T> {
  private items = new Map<string, T>();
  private rev = 0;

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  size(): number {
    return this.items.size;
  }

  revision(): number {
    return this.rev;
  }

  upsert(obj: T): Change<T> {
    const key = keyOf(obj);
    const had = this.items.has(key);
    this.items.set(key, obj);
    this.rev++;
    return { type: had ? 'modified' : 'added', key, obj };
  }

  remove(obj: T): Change<T> | null {
    const key = keyOf(obj);
    const old = this.items.get(key);
    if (old === undefined) return null;
    this.items.delete(key);
    this.rev++;
    return { type: 'deleted', key, obj: old };
  }

  /** Swaps in a fresh list in one step and returns what changed. */
  replace(objs: readonly T[]): Change<T>[] {
    const next = new Map<string, T>();
    for (const o of objs) next.set(keyOf(o), o);
    const changes: Change<T>[] = [];
    for (const [key, obj] of next) {
      const old = this.items.get(key);
      if (old === undefined) changes.push({ type: 'added', key, obj });
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) changes.push({ type: 'modified', key, obj });
    }
    for (const [key, obj] of this.items) if (!next.has(key)) changes.push({ type: 'deleted', key, obj });
    this.items = next;
    this.rev++;
    return changes;
  }
}
