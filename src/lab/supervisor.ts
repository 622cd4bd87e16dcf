// The lab's long-running process (`podnet lab up` starts it detached; with
// --foreground it is the CLI process itself): builds the network, runs the
// embedded API server on 127.0.0.1 for the user's kubectl and on a unix
// socket in the state dir for the nodes (its second listener), starts per
// node an API forwarder and podnetd, and the ToR's BGP daemon (all detached
// and recorded by PID), creates the Node objects and the first pods, and is
// every node's kubelet (kubelet.ts) until SIGTERM/SIGINT, when it tears the
// lab down.
//   node src/lab/supervisor.ts --dir /run/podnet-lab/<name>
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startApiServer } from './apiserver/index.ts';
import type { ApiServer } from './apiserver/index.ts';
import { buildNetwork, buildNode, initialPod, nodeFiles, nodeObject } from './build.ts';
import { teardownRecorded } from './down.ts';
import { startAgent } from './agent.ts';
import { startFrr } from './frr.ts';
import { Kubelet } from './kubelet.ts';
import { procStartTime, runIn, spawnDetached, waitFor } from './netns.ts';
import { loadState, saveState } from './state.ts';
import type { LabState } from './state.ts';
import { birdConfig, torPaths } from './tor.ts';
import { NODE_API_PORT, planLab } from './topology.ts';
import type { LabPlan, NodePlan } from './topology.ts';


function log(msg: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...extra })}\n`);
}

function record(st: LabState, p: ReturnType<typeof spawnDetached>): void {
  st.procs.push(p);
  saveState(st);
}

async function startDaemons(plan: LabPlan, st: LabState, apiSocket: string): Promise<void> {
  const o = plan.options;
  for (const n of plan.nodes) record(st, startForwarder(n, apiSocket));
  if (o.tor === 'bird') {
    const t = torPaths(plan);
    mkdirSync(join(plan.dir, 'tor'), { recursive: true });
    writeFileSync(t.conf, birdConfig(plan, t.log));
    record(st, spawnDetached('tor:bird', plan.torNetns, 'bird', ['-f', '-c', t.conf, '-s', t.ctl], t.out));
  } else if (o.tor === 'frr') {
    await startFrr(plan, (p) => record(st, p));
  }
  for (const n of plan.nodes) record(st, startAgent(plan, n));
}

/** The node's API forwarder: 127.0.0.1:6443 in its namespace to the API server's unix socket. */
function startForwarder(n: NodePlan, apiSocket: string): ReturnType<typeof spawnDetached> {
  return spawnDetached(`apiforward:${n.name}`, n.netns, process.execPath, [join(import.meta.dirname, 'forward.ts'), '--listen', `tcp:127.0.0.1:${NODE_API_PORT}`, '--to', `unix:${apiSocket}`], nodeFiles(n).forwarderLog);
}

/**
 * `podnet lab node add` (SIGUSR2): one more node, planned as if the lab had
 * been built with one node more (same addressing, subnets round-robin): its
 * namespace and link, its Node object, its forwarder and podnetd, the ToR's
 * new peer (BIRD reconfigured in place) and its first pods.
 */
async function addNode(st: LabState, api: ApiServer, kubelet: Kubelet, apiSocket: string): Promise<void> {
  const options = { ...st.options, nodes: st.options.nodes + 1 };
  const plan = planLab(options);
  const n = plan.nodes[plan.nodes.length - 1];
  if (n === undefined) throw new Error('no node planned');
  if (options.tor === 'frr') throw new Error('lab node add needs --tor bird or none');
  await buildNode(plan, st, n);
  (st as { options: LabPlan['options'] }).options = options;
  saveState(st);
  api.create('Node', nodeObject(n, options.name), { keepStatus: true });
  // the instant its podCIDRs exist in the API server (bench/lab-convergence.ts measures from here)
  log('node object created', { node: n.name, podCidrs: n.podCidrs, at: Date.now() });
  record(st, startForwarder(n, apiSocket));
  if (options.tor === 'bird') {
    const t = torPaths(plan);
    writeFileSync(t.conf, birdConfig(plan, t.log));
    await runIn(plan.torNetns, 'birdc', ['-s', t.ctl, 'configure'], { timeoutMs: 10_000 });
  }
  record(st, startAgent(plan, n));
  kubelet.addNode(n);
  for (let k = 1; k <= options.podsPerNode; k++) api.create('Pod', initialPod(n, k));
  log('node added', { node: n.name, subnet: n.subnet, ipv4: n.ipv4 });
}

function podsRunning(api: ApiServer): { running: number; total: number } {
  const items = api.list('Pod').items;
  const running = items.filter((p) => (p['status'] as { phase?: string } | undefined)?.phase === 'Running').length;
  return { running, total: items.length };
}

/** Builds the lab recorded (phase "starting") in `dir` and serves it until SIGTERM/SIGINT. */
export async function runSupervisor(dir: string): Promise<number> {
  const st = loadState(dir);
  if (st === undefined) {
    log('no lab state to start from', { dir });
    return 1;
  }
  const plan = planLab(st.options);
  st.supervisor = { name: 'supervisor', pid: process.pid, startTime: procStartTime(process.pid) ?? '0', log: join(dir, 'supervisor.log') };
  saveState(st);
  let api: ApiServer | undefined;
  let kubelet: Kubelet | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (why: string): Promise<void> => {
    stopping ??= (async () => {
      log('tearing the lab down', { why });
      st.phase = 'stopping';
      saveState(st);
      await kubelet?.stop();
      await teardownRecorded(st);
      await api?.close();
      rmSync(dir, { recursive: true, force: true });
      log('lab removed');
    })();
    return stopping;
  };
  // `podnet lab node add`: one node per SIGUSR2, one at a time
  let adding: Promise<void> = Promise.resolve();
  process.on('SIGUSR2', () => {
    adding = adding.then(async () => {
      if (api === undefined || kubelet === undefined || st.phase !== 'ready') return;
      try {
        await addNode(st, api, kubelet, join(dir, 'apiserver.sock'));
      } catch (err) {
        log('node add failed', { err: err instanceof Error ? err.message : String(err) });
      }
    });
  });
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  try {
    await buildNetwork(plan, st);
    log('network built', { namespaces: st.namespaces });
    // TCP on 127.0.0.1 for the user's kubectl; the unix socket for the nodes' forwarders.
    const apiSocket = join(dir, 'apiserver.sock');
    api = await startApiServer({ host: '127.0.0.1', port: 0, kubeconfigPath: join(dir, 'kubeconfig'), socketPath: apiSocket });
    st.apiServer = { url: api.url, kubeconfig: api.kubeconfigPath, socket: apiSocket };
    saveState(st);
    for (const n of plan.nodes) api.create('Node', nodeObject(n, plan.options.name), { keepStatus: true });
    await startDaemons(plan, st, apiSocket);
    mkdirSync(join(dir, 'pods'), { recursive: true });
    kubelet = new Kubelet({ api, plan, state: st, log });
    kubelet.start();
    for (const n of plan.nodes) for (let k = 1; k <= plan.options.podsPerNode; k++) api.create('Pod', initialPod(n, k));
    const a = api;
    await waitFor('the first pods to run', () => {
      const c = podsRunning(a);
      return c.running === c.total;
    }, { timeoutMs: 60_000, intervalMs: 100 });
    st.phase = 'ready';
    saveState(st);
    log('lab ready', { api: api.url, kubeconfig: api.kubeconfigPath });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    log('lab up failed', { err: msg });
    st.phase = 'failed';
    st.error = msg;
    saveState(st);
    // Stay up so `lab status` can show what exists; `lab down` removes it.
  }
  await stop(await signalled);
  return 0;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { dir: { type: 'string' } } });
  process.exitCode = await runSupervisor(values.dir ?? '');
}
