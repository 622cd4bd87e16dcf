// The lab's state file (<stateRoot>/<name>/state.json): everything a lab
// created (namespaces, processes with PID and start time, paths, pods), written
// atomically by the supervisor after each change, so `lab down` can remove it
// all even after the supervisor crashed, and `lab status` can read it.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcRecord } from './netns.ts';
import type { LabOptions, TorKind } from './topology.ts';

export type LabPhase = 'starting' | 'ready' | 'failed' | 'stopping';

export interface PodRecord {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly netns: string;
  readonly containerId: string;
  readonly ips: readonly string[];
  readonly ports: readonly { readonly port: number; readonly protocol: string }[];
  /** The pod's port server, when it declares ports. */
  readonly server?: ProcRecord;
}

export interface NodeRecord {
  readonly name: string;
  readonly netns: string;
  readonly ipv4: string;
  readonly ipv6?: string;
  readonly podCidrs: readonly string[];
  readonly kubeconfig: string;
  readonly cniConfig: string;
  readonly agentSocket: string;
}

export interface LabState {
  readonly version: 1;
  readonly name: string;
  readonly prefix: string;
  readonly dir: string;
  readonly options: LabOptions;
  phase: LabPhase;
  error?: string;
  /** The long-running `lab up` process (API server, kubelet emulation). */
  supervisor?: ProcRecord;
  apiServer?: { readonly url: string; readonly kubeconfig: string; readonly socket: string };
  tor: { readonly kind: TorKind; readonly netns: string; readonly asn: number; readonly controlSocket?: string; readonly addresses: readonly string[] };
  /** Every namespace the lab created (pods included), in creation order. */
  namespaces: string[];
  /** Every long-running process the lab started (pod servers are under pods). */
  procs: ProcRecord[];
  nodes: NodeRecord[];
  pods: PodRecord[];
}

export function statePath(dir: string): string {
  return join(dir, 'state.json');
}

/** Writes the state atomically (a reader never sees half a file). */
export function saveState(st: LabState): void {
  const p = statePath(st.dir);
  writeFileSync(`${p}.tmp`, `${JSON.stringify(st, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${p}.tmp`, p);
}

/** The state of lab `dir`, or undefined when there is none (or it is unreadable). */
export function loadState(dir: string): LabState | undefined {
  const p = statePath(dir);
  if (!existsSync(p)) return undefined;
  try {
    const v = JSON.parse(readFileSync(p, 'utf8')) as Partial<LabState>;
    return v.version === 1 ? (v as LabState) : undefined;
  } catch {
    return undefined;
  }
}
