// Tears a lab down from its state file, the same way whether the supervisor
// is alive, stopped cleanly, or was killed: stop the supervisor (SIGTERM, it
// tears down itself), then stop every recorded process by PID (start time
// checked), delete every recorded namespace (killing stragglers inside), sweep
// any namespace carrying the lab's prefix, and remove the state directory.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { deleteNamespace, listNamespaces, procAlive, stopProc, waitFor } from './netns.ts';
import type { ProcRecord } from './netns.ts';
import { loadState } from './state.ts';
import type { LabState } from './state.ts';
import { labDir, labPrefix } from './topology.ts';

export interface DownReport {
  readonly stoppedProcs: number;
  readonly deletedNamespaces: readonly string[];
  readonly removedDir: boolean;
}

/**
 * Removes what `st` recorded except the calling process itself (the
 * supervisor calls this on SIGTERM; `lab down` calls it after the supervisor).
 */
export async function teardownRecorded(st: LabState): Promise<DownReport> {
  const procs: ProcRecord[] = [...st.pods.flatMap((p) => (p.server !== undefined ? [p.server] : [])), ...st.procs.toReversed()];
  const live = procs.filter((p) => p.pid !== process.pid && procAlive(p));
  await Promise.all(live.map((p) => stopProc(p)));
  const deleted: string[] = [];
  const existing = new Set(await listNamespaces());
  // pods first, then nodes, the ToR last (creation order reversed)
  for (const ns of st.namespaces.toReversed()) {
    if (!existing.has(ns)) continue;
    await deleteNamespace(ns);
    deleted.push(ns);
  }
  deleted.push(...(await sweepPrefix(st.prefix)));
  return { stoppedProcs: live.length, deletedNamespaces: deleted, removedDir: false };
}

/** Deletes every namespace whose name starts with `prefix`. */
export async function sweepPrefix(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (const ns of await listNamespaces()) {
    if (!ns.startsWith(prefix)) continue;
    await deleteNamespace(ns);
    out.push(ns);
  }
  return out;
}

/** `podnet lab down`: everything of lab `name` goes, state or no state. */
export async function labDown(stateRoot: string, name: string): Promise<DownReport> {
  const dir = labDir(stateRoot, name);
  const st = loadState(dir);
  let stopped = 0;
  let deleted: string[] = [];
  if (st !== undefined) {
    const sup = st.supervisor;
    if (sup !== undefined && sup.pid !== process.pid && procAlive(sup)) {
      process.kill(sup.pid, 'SIGTERM');
      const gone = await waitFor('the lab supervisor to finish its teardown', () => !procAlive(sup), { timeoutMs: 30_000, intervalMs: 50 }).catch(() => false);
      if (gone === false) await stopProc(sup, 0);
      stopped++;
    }
    // Re-read: the supervisor may have removed part of it (or all of it).
    const left = loadState(dir) ?? st;
    const r = await teardownRecorded(left);
    stopped += r.stoppedProcs;
    deleted = [...r.deletedNamespaces];
  }
  deleted.push(...(await sweepPrefix(labPrefix(name))));
  const removedDir = existsSync(dir);
  rmSync(dir, { recursive: true, force: true });
  return { stoppedProcs: stopped, deletedNamespaces: deleted, removedDir };
}

/** Names of the labs with a state directory under `stateRoot`. */
export function listLabs(stateRoot: string): string[] {
  try {
    return readdirSync(stateRoot).filter((n) => /^[a-z0-9]{1,8}$/.test(n)).sort();
  } catch {
    return [];
  }
}
