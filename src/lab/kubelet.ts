// The lab is every node's kubelet: it watches Pods in the embedded API server,
// binds unscheduled ones to the lab node with the fewest pods (a trivial
// scheduler), and for each Pod bound to a lab node creates a network namespace,
// wires it with the node's CNI conflist exactly as a kubelet does (cni.ts),
// starts the pod's port server (podserver.ts) for its declared containerPorts,
// and reports status.podIP/podIPs and phase Running. A deleted Pod (or one with
// a deletionTimestamp) gets CNI DEL and its namespace removed. Level-triggered:
// each event only queues the pod's key; a few workers reconcile keys, never
// one key twice at once; a failed pod is retried with backoff.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiServer, KubeObject } from './apiserver/index.ts';
import { cniAdd, cniDel, loopbackConf, resultIps } from './cni.ts';
import type { ConfList } from './cni.ts';
import { addNamespace, deleteNamespace, procAlive, spawnDetached, stopProc, waitFor } from './netns.ts';
import type { ProcRecord } from './netns.ts';
import { saveState } from './state.ts';
import type { LabState, PodRecord } from './state.ts';
import { podNetnsName } from './topology.ts';
import type { LabPlan, NodePlan } from './topology.ts';

export type LabLog = (msg: string, extra?: Record<string, unknown>) => void;

interface PodView {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly nodeName: string;
  readonly deleting: boolean;
  readonly finished: boolean;
  readonly hostNetwork: boolean;
  readonly ports: { port: number; protocol: string }[];
  readonly phase: string;
  readonly podIP: string;
}

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function podView(o: KubeObject): PodView {
  const meta = obj(o['metadata']);
  const spec = obj(o['spec']);
  const status = obj(o['status']);
  const ports: { port: number; protocol: string }[] = [];
  for (const c of Array.isArray(spec['containers']) ? spec['containers'] : []) {
    for (const p of Array.isArray(obj(c)['ports']) ? (obj(c)['ports'] as unknown[]) : []) {
      const port = obj(p)['containerPort'];
      if (typeof port === 'number') ports.push({ port, protocol: str(obj(p)['protocol']) || 'TCP' });
    }
  }
  const phase = str(status['phase']);
  return {
    namespace: str(meta['namespace']) || 'default',
    name: str(meta['name']),
    uid: str(meta['uid']),
    nodeName: str(spec['nodeName']),
    deleting: typeof meta['deletionTimestamp'] === 'string',
    finished: phase === 'Succeeded' || phase === 'Failed',
    hostNetwork: spec['hostNetwork'] === true,
    ports,
    phase,
    podIP: str(status['podIP']),
  };
}

/** The kubelet's container ID for a pod: stable per pod UID (CNI_CONTAINERID). */
export function containerIdOf(p: Pick<PodView, 'uid' | 'namespace' | 'name'>): string {
  return `podnetlab-${(p.uid || `${p.namespace}-${p.name}`).replace(/[^a-zA-Z0-9_.-]/g, '')}`;
}

export interface KubeletDeps {
  readonly api: ApiServer;
  readonly plan: LabPlan;
  readonly state: LabState;
  readonly log: LabLog;
}

/** Pods wired at once: CNI and the port servers' start are mostly waiting on processes. */
const WORKERS = 3;

export class Kubelet {
  readonly #d: KubeletDeps;
  readonly #nodes: Map<string, NodePlan>;
  readonly #queue = new Set<string>();
  #cancel: (() => void) | undefined;
  /** Running workers (at most WORKERS) and the pod keys they hold. */
  readonly #workers = new Set<Promise<void>>();
  readonly #inFlight = new Set<string>();
  /** Consecutive failures per pod key, and the timer of its next retry (1 s doubling to 30 s). */
  readonly #failures = new Map<string, number>();
  readonly #retries = new Map<string, NodeJS.Timeout>();
  #stopped = false;

  constructor(d: KubeletDeps) {
    this.#d = d;
    this.#nodes = new Map(d.plan.nodes.map((n) => [n.name, n]));
  }

  /** A node added at run time (`podnet lab node add`): its pods are wired from now on. */
  addNode(n: NodePlan): void {
    this.#nodes.set(n.name, n);
  }

  start(): void {
    this.#cancel = this.#d.api.watch('Pod', {}, (ev) => {
      if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') return;
      const v = podView(ev.object);
      this.#enqueue(`${v.namespace}/${v.name}`);
    });
    // Pods recorded by an earlier run but gone from the API are cleaned too.
    for (const p of this.#d.state.pods) this.#enqueue(`${p.namespace}/${p.name}`);
  }

  /** Stops watching and waits for the pods in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel?.();
    this.#queue.clear();
    for (const t of this.#retries.values()) clearTimeout(t);
    this.#retries.clear();
    await Promise.all(this.#workers);
  }

  #enqueue(key: string): void {
    if (this.#stopped) return;
    this.#queue.add(key);
    while (this.#workers.size < WORKERS && this.#next() !== undefined) {
      const w: Promise<void> = this.#work().finally(() => this.#workers.delete(w));
      this.#workers.add(w);
    }
  }

  /** The first queued key not being worked on (a pod is never reconciled twice at once). */
  #next(): string | undefined {
    for (const k of this.#queue) if (!this.#inFlight.has(k)) return k;
    return undefined;
  }

  async #work(): Promise<void> {
    for (let key = this.#next(); key !== undefined && !this.#stopped; key = this.#next()) {
      this.#queue.delete(key);
      this.#inFlight.add(key);
      try {
        await this.#reconcile(key);
        this.#failures.delete(key);
      } catch (err) {
        this.#retryLater(key, err instanceof Error ? err.message : String(err));
      } finally {
        this.#inFlight.delete(key);
      }
    }
  }

  #retryLater(key: string, why: string): void {
    const n = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, n);
    const delay = Math.min(30_000, 1000 * 2 ** (n - 1));
    this.#d.log('pod reconcile failed', { pod: key, attempt: n, retryInMs: delay, err: why });
    this.#markFailed(key, why);
    clearTimeout(this.#retries.get(key));
    const t = setTimeout(() => {
      this.#retries.delete(key);
      this.#enqueue(key);
    }, delay);
    t.unref();
    this.#retries.set(key, t);
  }

  #record(key: string): PodRecord | undefined {
    return this.#d.state.pods.find((p) => `${p.namespace}/${p.name}` === key);
  }

  async #reconcile(key: string): Promise<void> {
    const [ns = '', name = ''] = key.split('/');
    const o = this.#d.api.get('Pod', name, ns);
    const v = o === undefined ? undefined : podView(o);
    const rec = this.#record(key);
    if (v !== undefined && v.nodeName === '' && !v.deleting) {
      this.#d.api.patch('Pod', name, ns, 'merge', { spec: { nodeName: this.#schedule() } });
      return; // the MODIFIED event brings it back
    }
    const node = v === undefined ? undefined : this.#nodes.get(v.nodeName);
    const wanted = v !== undefined && node !== undefined && !v.deleting && !v.finished;
    if (rec !== undefined && (!wanted || rec.containerId !== containerIdOf(v) || rec.node !== v.nodeName)) {
      await this.#teardown(rec);
    }
    if (!wanted || node === undefined) return;
    const have = this.#record(key);
    if (have === undefined) await this.#setup(v, node);
    else if (v.phase !== 'Running' || v.podIP !== (have.ips[0] ?? '')) this.#reportRunning(v, node, have);
  }

  #schedule(): string {
    const counts = new Map<string, number>([...this.#nodes.keys()].map((n) => [n, 0]));
    for (const p of this.#d.api.list('Pod').items) {
      const n = podView(p).nodeName;
      if (counts.has(n)) counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    let best = '';
    let min = Number.POSITIVE_INFINITY;
    for (const [n, c] of counts) if (c < min) [best, min] = [n, c];
    return best;
  }

  #confList(node: NodePlan): ConfList {
    return JSON.parse(readFileSync(join(node.dir, 'cni', '10-podnet.conflist'), 'utf8')) as ConfList;
  }

  async #setup(v: PodView, node: NodePlan): Promise<void> {
    const st = this.#d.state;
    const containerId = containerIdOf(v);
    let netns = node.netns;
    let ips: string[] = node.ipv6 !== undefined ? [node.ipv4, node.ipv6] : [node.ipv4];
    let server: ProcRecord | undefined;
    if (!v.hostNetwork) {
      netns = podNetnsName(st.prefix, v.namespace, v.name);
      await deleteNamespace(netns); // a leftover of a crash
      if (!st.namespaces.includes(netns)) st.namespaces.push(netns);
      saveState(st);
    }
    try {
      if (!v.hostNetwork) {
        await addNamespace(netns);
        const call = { nodeNetns: node.netns, containerId, podNetnsPath: `/var/run/netns/${netns}` };
        await cniAdd(loopbackConf, { ...call, ifname: 'lo' });
        ips = resultIps(await cniAdd(this.#confList(node), { ...call, ifname: 'eth0' }));
        if (ips.length === 0) throw new Error('the CNI plugin returned no IP');
      }
      if (v.ports.length > 0) {
        const base = join(st.dir, 'pods', `${v.namespace}_${v.name}`);
        const ready = `${base}.ready`;
        rmSync(ready, { force: true });
        const byProto = (p: string): string => v.ports.filter((x) => x.protocol === p).map((x) => String(x.port)).join(',');
        const script = join(import.meta.dirname, 'podserver.ts');
        server = spawnDetached(`pod:${v.namespace}/${v.name}`, netns, process.execPath, [script, '--name', v.name, '--ready', ready, '--tcp', byProto('TCP'), '--udp', byProto('UDP'), '--sctp', byProto('SCTP')], `${base}.log`);
        const srv = server;
        const outcome = await waitFor(`pod ${v.name}'s port server`, () => {
          if (existsSync(ready) && readFileSync(ready, 'utf8') !== '') return 'ready';
          return procAlive(srv) ? undefined : 'exited';
        }, { timeoutMs: 15_000, intervalMs: 50 });
        if (outcome === 'exited') {
          const tail = readFileSync(srv.log, 'utf8').trim().split('\n').filter((l) => /Error|error/.test(l)).slice(-1)[0] ?? 'see its log';
          throw new Error(`the pod's port server exited: ${tail.trim()}`);
        }
      }
    } catch (err) {
      // Undo the half-built pod (CNI DEL frees the lease) before reporting the failure.
      await this.#teardown({ namespace: v.namespace, name: v.name, node: node.name, netns: v.hostNetwork ? '' : netns, containerId, ips: [], ports: v.ports, ...(server !== undefined ? { server } : {}) });
      throw err;
    }
    const rec: PodRecord = { namespace: v.namespace, name: v.name, node: node.name, netns: v.hostNetwork ? '' : netns, containerId, ips, ports: v.ports, ...(server !== undefined ? { server } : {}) };
    st.pods.push(rec);
    saveState(st);
    this.#d.log('pod running', { pod: `${v.namespace}/${v.name}`, node: node.name, ips });
    this.#reportRunning(v, node, rec);
  }

  #reportRunning(v: PodView, node: NodePlan, rec: PodRecord): void {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const cur = this.#d.api.get('Pod', v.name, v.namespace);
    const spec = obj(cur?.['spec']);
    const containers = Array.isArray(spec['containers']) ? spec['containers'].map((c) => obj(c)) : [];
    const hostIPs = node.ipv6 !== undefined ? [node.ipv4, node.ipv6] : [node.ipv4];
    const cond = (type: string): Record<string, unknown> => ({ type, status: 'True', lastTransitionTime: now, lastProbeTime: null });
    this.#d.api.updateStatus('Pod', {
      metadata: { name: v.name, namespace: v.namespace },
      status: {
        phase: 'Running',
        conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(cond),
        hostIP: node.ipv4,
        hostIPs: hostIPs.map((ip) => ({ ip })),
        podIP: rec.ips[0] ?? '',
        podIPs: rec.ips.map((ip) => ({ ip })),
        startTime: now,
        containerStatuses: containers.map((c) => ({
          name: str(c['name']),
          image: str(c['image']),
          imageID: '',
          containerID: `podnetlab://${rec.containerId}`,
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } },
        })),
      },
    });
  }

  #markFailed(key: string, why: string): void {
    const [ns = '', name = ''] = key.split('/');
    try {
      const cur = this.#d.api.get('Pod', name, ns);
      const status = obj(cur?.['status']);
      // Written only when it changes: our own MODIFIED event must not become a retry loop.
      if (cur !== undefined && (status['reason'] !== 'NetworkSetupFailed' || status['message'] !== why)) {
        this.#d.api.updateStatus('Pod', { metadata: { name, namespace: ns }, status: { phase: 'Pending', reason: 'NetworkSetupFailed', message: why } });
      }
    } catch {
      // the pod went away meanwhile
    }
  }

  async #teardown(rec: PodRecord): Promise<void> {
    const st = this.#d.state;
    if (rec.server !== undefined) await stopProc(rec.server);
    const node = this.#nodes.get(rec.node);
    if (rec.netns !== '' && node !== undefined) {
      const call = { nodeNetns: node.netns, containerId: rec.containerId, podNetnsPath: `/var/run/netns/${rec.netns}` };
      try {
        await cniDel(this.#confList(node), { ...call, ifname: 'eth0' });
        await cniDel(loopbackConf, { ...call, ifname: 'lo' });
      } catch (err) {
        this.#d.log('CNI DEL failed; removing the namespace anyway', { pod: `${rec.namespace}/${rec.name}`, err: err instanceof Error ? err.message : String(err) });
      }
      await deleteNamespace(rec.netns);
      st.namespaces = st.namespaces.filter((n) => n !== rec.netns);
    }
    st.pods = st.pods.filter((p) => p !== rec);
    saveState(st);
    this.#d.log('pod removed', { pod: `${rec.namespace}/${rec.name}`, node: rec.node });
  }
}
