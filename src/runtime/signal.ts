// The coalescing signal between OnUpdate and Sync: any number of marks
// collapse into one pending sync, and a pending full sync is never
// downgraded to an incremental one by a later mark.

export type SyncKind = 'incremental' | 'full';

export class CoalescingSignal {
  private pending: SyncKind | null = null;
  private waiter: (() => void) | null = null;
  private marks = 0;

  /** Marks work; wakes a waiting loop. Returns the kind now pending. */
  mark(kind: SyncKind): SyncKind {
    this.marks++;
    this.pending = this.pending === 'full' || kind === 'full' ? 'full' : 'incremental';
    const w = this.waiter;
    this.waiter = null;
    w?.();
    return this.pending;
  }

  /** What a sync started now would do, without taking it. */
  peek(): SyncKind | null {
    return this.pending;
  }

  /** Takes the pending work (the loop then syncs it), or null if none. */
  take(): SyncKind | null {
    const k = this.pending;
    this.pending = null;
    return k;
  }

  /** Marks coalesced so far (for metrics and tests). */
  markCount(): number {
    return this.marks;
  }

  /** Resolves as soon as work is pending (at once if it already is) or on abort. */
  wait(signal?: AbortSignal): Promise<void> {
    if (this.pending !== null || signal?.aborted === true) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        if (this.waiter === done) this.waiter = null;
        resolve();
      };
      const previous = this.waiter;
      this.waiter = () => {
        previous?.();
        done();
      };
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
