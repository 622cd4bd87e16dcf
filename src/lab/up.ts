// Starting a lab: refuse when it is already up, clean the leftovers of a
// crashed one, record the plan (phase "starting") in a fresh state directory,
// then start the supervisor detached and wait until it reports ready or
// failed. Shared by `podnet lab up` and by tests that need a lab.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { labDown } from './down.ts';
import { frrDir } from './frr.ts';
import { procAlive, spawnDetached, waitFor } from './netns.ts';
import { loadState, saveState } from './state.ts';
import type { LabState } from './state.ts';
import { torPaths } from './tor.ts';
import { planLab } from './topology.ts';
import type { LabOptions } from './topology.ts';

export class LabUpError extends Error {
  override readonly name = 'LabUpError';
  /** True when nothing was built (the lab was up already). */
  readonly refused: boolean;
  constructor(message: string, refused = false) {
    super(message);
    this.refused = refused;
  }
}

/** Prepares the state directory of a new lab; throws LabUpError when that lab is up already. Returns the state dir. */
export async function prepareLab(o: LabOptions, notice: (s: string) => void = () => undefined): Promise<string> {
  const plan = planLab(o);
  const old = loadState(plan.dir);
  if (old?.supervisor !== undefined && procAlive(old.supervisor)) {
    throw new LabUpError(`lab "${o.name}" is already up (supervisor pid ${old.supervisor.pid}); run \`podnet lab down --name ${o.name}\` first`, true);
  }
  if (old !== undefined || existsSync(plan.dir)) {
    notice(`removing the leftovers of an earlier lab "${o.name}"`);
    await labDown(o.stateRoot, o.name);
  }
  mkdirSync(plan.dir, { recursive: true, mode: 0o700 });
  const st: LabState = {
    version: 1,
    name: o.name,
    prefix: plan.prefix,
    dir: plan.dir,
    options: o,
    phase: 'starting',
    tor: {
      kind: o.tor,
      netns: plan.torNetns,
      asn: o.torAsn,
      addresses: o.tor === 'none' ? [] : plan.subnets.map((s) => s.torIpv4),
      ...(o.tor === 'bird' ? { controlSocket: torPaths(plan).ctl } : o.tor === 'frr' ? { controlSocket: frrDir(plan) } : {}),
    },
    namespaces: [],
    procs: [],
    nodes: [],
    pods: [],
  };
  saveState(st);
  return plan.dir;
}

/**
 * Brings lab `o` up with a detached supervisor and resolves with its state
 * once ready. On failure it throws LabUpError with the supervisor's error;
 * what was built stays recorded for `labDown`.
 */
export async function labUp(o: LabOptions, notice?: (s: string) => void): Promise<LabState> {
  const dir = await prepareLab(o, notice);
  const sup = spawnDetached('supervisor', undefined, process.execPath, [join(import.meta.dirname, 'supervisor.ts'), '--dir', dir], join(dir, 'supervisor.log'));
  const st = await waitFor('the lab to come up', () => {
    const s = loadState(dir);
    if (s?.phase === 'ready' || s?.phase === 'failed') return s;
    if (!procAlive(sup)) throw new LabUpError(`the supervisor exited; see ${sup.log}`);
    return undefined;
  }, { timeoutMs: 120_000, intervalMs: 200 }).catch((e: unknown) => {
    throw e instanceof LabUpError ? e : new LabUpError(e instanceof Error ? e.message : String(e));
  });
  if (st.phase === 'failed') throw new LabUpError(`${st.error ?? 'unknown error'} (see ${join(dir, 'supervisor.log')})`);
  return st;
}
