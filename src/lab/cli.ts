// `podnet lab ...`: the lab's commands. `up` records the plan in a fresh state
// directory, starts the supervisor detached (or runs it here with
// --foreground), waits until it reports ready or failed, prints what works and
// runs `check`; `down` removes everything (also after a crash); `status`
// shows nodes, BGP sessions and pods (-j: JSON); `exec` runs a command inside
// a node, the ToR or a pod; `check` prints the pod reachability matrix;
// `agent stop|kill|start NODE` restarts or crashes one node's podnetd.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { restartAgent, stopAgent } from './agent.ts';
import { reachability, renderMatrix } from './check.ts';
import { labDown, listLabs } from './down.ts';
import { procAlive, runAttached, waitFor } from './netns.ts';
import { loadState } from './state.ts';
import type { LabState } from './state.ts';
import { labStatus, renderStatus } from './status.ts';
import { LabOptionError, defaultOptions, defaultStateRoot, labDir, planLab } from './topology.ts';
import type { LabOptions, TorKind } from './topology.ts';
import { runSupervisor } from './supervisor.ts';
import { LabUpError, labUp, prepareLab } from './up.ts';

export interface LabIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

export const labHelp = `Usage: podnet lab COMMAND [options]

Commands:
  up       build the lab: namespaces, ToR, API server, podnetd per node, pods
  status   nodes, podnetd health, ToR BGP sessions, pods (-j for JSON)
  check    ping and TCP between every pair of pods, as a matrix
  exec NODE|POD|tor -- CMD...   run a command inside a node, pod or the ToR
           (\`podnet\` there talks to that node's agent: e.g. exec node1 -- podnet neighbor)
  node add     add a node at run time (next address, subnets round-robin; BIRD
           ToR reconfigured in place): its podnetd, its pods; prints its name
  agent stop|kill|start NODE    stop a node's podnetd (SIGTERM, as a rolling update
           does), kill it (SIGKILL, a crash), or start it again
  down     remove everything the lab created (also after a crash)

Options:
  --name NAME        lab name, [a-z0-9]{1,8} (default lab; namespaces pl-NAME-*)
  --state-dir DIR    root of the state directories (default ${defaultStateRoot})
  up: --nodes N (2)  --tor bird|frr|none (bird)  --ipv6  --subnets K (1)
      --pods N per node (2)  --cluster-asn ASN (64512)  --tor-asn ASN (64512 = iBGP)
      --foreground (stay attached; Ctrl-C tears the lab down)  --no-check
      --no-graceful-restart (podnetd without --bgp-graceful-restart)
  -j, --json         JSON output (status, check)
`;

const options = {
  name: { type: 'string' },
  'state-dir': { type: 'string' },
  nodes: { type: 'string' },
  tor: { type: 'string' },
  ipv6: { type: 'boolean' },
  subnets: { type: 'string' },
  pods: { type: 'string' },
  'cluster-asn': { type: 'string' },
  'tor-asn': { type: 'string' },
  foreground: { type: 'boolean' },
  'no-check': { type: 'boolean' },
  'no-graceful-restart': { type: 'boolean' },
  json: { type: 'boolean', short: 'j' },
  help: { type: 'boolean', short: 'h' },
} as const;

function num(v: string | undefined, dflt: number, flag: string): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new LabOptionError(`${flag} must be a number`);
  return Number(v);
}

function labOptions(v: { [k: string]: string | boolean | undefined }): LabOptions {
  const tor = (v['tor'] ?? defaultOptions.tor) as string;
  if (tor !== 'bird' && tor !== 'frr' && tor !== 'none') throw new LabOptionError('--tor must be bird, frr or none');
  const clusterAsn = num(v['cluster-asn'] as string | undefined, defaultOptions.clusterAsn, '--cluster-asn');
  return {
    name: (v['name'] as string | undefined) ?? defaultOptions.name,
    nodes: num(v['nodes'] as string | undefined, defaultOptions.nodes, '--nodes'),
    tor: tor as TorKind,
    ipv6: v['ipv6'] === true,
    subnets: num(v['subnets'] as string | undefined, defaultOptions.subnets, '--subnets'),
    podsPerNode: num(v['pods'] as string | undefined, defaultOptions.podsPerNode, '--pods'),
    clusterAsn,
    torAsn: num(v['tor-asn'] as string | undefined, clusterAsn, '--tor-asn'),
    stateRoot: (v['state-dir'] as string | undefined) ?? defaultStateRoot,
    gracefulRestart: v['no-graceful-restart'] !== true,
  };
}

async function up(o: LabOptions, foreground: boolean, doCheck: boolean, io: LabIo): Promise<number> {
  const plan = planLab(o);
  const notice = (m: string): void => io.err(`podnet lab: ${m}\n`);
  try {
    if (foreground) {
      const dir = await prepareLab(o, notice);
      io.out(`podnet lab: building lab "${o.name}" in the foreground; Ctrl-C tears it down\n`);
      return await runSupervisor(dir);
    }
    await labUp(o, notice);
  } catch (err) {
    if (!(err instanceof LabUpError)) throw err;
    io.err(err.refused ? `podnet lab: ${err.message}\n` : `podnet lab: lab up failed: ${err.message}\n(\`podnet lab down --name ${o.name}\` removes what was built)\n`);
    return 1;
  }
  // The agents and their BGP sessions come up after the pods: give them a
  // moment so the first status (and check) shows the steady state.
  const settled = await waitFor('podnetd and the ToR sessions', async () => {
    const cur = await labStatus(o.stateRoot, o.name);
    const agents = cur.nodes.every((n) => n.agent.healthy !== null);
    const sessions = o.tor === 'none' || (cur.tor.sessions.length > 0 && cur.tor.sessions.every((x) => x.info.startsWith('Established')));
    return agents && sessions ? cur : undefined;
  }, { timeoutMs: 15_000, intervalMs: 250 }).catch(() => undefined);
  const s = settled ?? (await labStatus(o.stateRoot, o.name));
  io.out(renderStatus(s));
  io.out(`\n${s.nodes.length} nodes, ToR ${o.tor}, API server, ${s.pods.length} pods Running with IPs from their node's podCIDR.\n`);
  io.out(`kubectl: export KUBECONFIG=${s.apiServer?.kubeconfig ?? ''}; kubectl get pods -o wide\n`);
  if (!doCheck) {
    io.out('Same-node pod traffic goes over kube-bridge; cross-node traffic works once podnetd programs the routes learned over BGP (`podnet lab check` shows it).\n');
    return 0;
  }
  io.out('\nReachability (podnet lab check):\n');
  const pods = loadState(plan.dir)?.pods ?? [];
  const reach = await reachability(pods);
  io.out(renderMatrix(pods, reach));
  const cross = reach.filter((r) => !r.sameNode);
  if (cross.length > 0 && cross.every((r) => r.ping && r.tcp !== false)) io.out('Cross-node pod traffic works: podnetd programmed the routes it learned over BGP.\n');
  else if (cross.length > 0) io.out('Cross-node pod traffic does not fully work yet: it needs the routes controller (podnetd) to program routes learned over BGP.\n');
  return 0;
}

/** A directory with a \`podnet\` shim (this checkout's CLI on this Node), put first on PATH by \`lab exec\`. */
function cliShimDir(st: LabState): string {
  const dir = join(st.dir, 'bin');
  const shim = join(dir, 'podnet');
  const body = `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(import.meta.dirname, '..', 'bin', 'podnet.ts'))} "$@"\n`;
  if (!existsSync(shim) || readFileSync(shim, 'utf8') !== body) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(shim, body, { mode: 0o755 });
  }
  return dir;
}

function resolveNetns(st: LabState, target: string): string | undefined {
  if (target === 'tor') return st.tor.netns;
  const node = st.nodes.find((n) => n.name === target || n.netns === target);
  if (node !== undefined) return node.netns;
  const [ns, name] = target.includes('/') ? target.split('/') : ['', target];
  const pod = st.pods.find((p) => p.name === name && (ns === '' || p.namespace === ns));
  if (pod !== undefined) return pod.netns === '' ? st.nodes.find((n) => n.name === pod.node)?.netns : pod.netns;
  return undefined;
}

function exec(st: LabState, target: string, cmd: readonly string[], io: LabIo): Promise<number> {
  const ns = resolveNetns(st, target);
  if (ns === undefined) {
    io.err(`podnet lab: no node, pod or ToR named "${target}" in lab ${st.name}\n`);
    return Promise.resolve(2);
  }
  // inside a node, `podnet` (a shim on PATH) talks to that node's agent
  const node = st.nodes.find((n) => n.netns === ns);
  const env = {
    ...process.env,
    PATH: `${cliShimDir(st)}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
    ...(node !== undefined ? { PODNET_SOCKET: node.agentSocket } : {}),
    ...(st.apiServer !== undefined ? { KUBECONFIG: st.apiServer.kubeconfig } : {}),
  };
  return runAttached(ns, cmd, env).catch((e: unknown) => {
    io.err(`podnet lab: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  });
}

/** `podnet lab ARGS`: returns the exit code. */
export async function labMain(argv: readonly string[], io: LabIo): Promise<number> {
  const dash = argv.indexOf('--');
  const mine = dash === -1 ? argv : argv.slice(0, dash);
  const rest = dash === -1 ? [] : argv.slice(dash + 1);
  let parsed;
  try {
    parsed = parseArgs({ args: [...mine], options, allowPositionals: true });
  } catch (err) {
    io.err(`podnet lab: ${err instanceof Error ? err.message : String(err)}\n${labHelp}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [cmd, target] = positionals;
  if (v.help === true || cmd === undefined) {
    (cmd === undefined && v.help !== true ? io.err : io.out)(labHelp);
    return v.help === true ? 0 : 2;
  }
  if (process.getuid?.() !== 0) {
    io.err('podnet lab: needs root (network namespaces)\n');
    return 1;
  }
  try {
    let o = labOptions(v);
    if (v.name === undefined && cmd !== 'up') {
      // Without --name, the one lab that exists (if just one does).
      const labs = listLabs(o.stateRoot);
      if (labs.length === 1 && labs[0] !== undefined) o = { ...o, name: labs[0] };
    }
    switch (cmd) {
      case 'up':
        return await up(o, v.foreground === true, v['no-check'] !== true, io);
      case 'down': {
        const r = await labDown(o.stateRoot, o.name);
        io.out(`lab ${o.name}: stopped ${r.stoppedProcs} processes, deleted ${r.deletedNamespaces.length} namespaces${r.removedDir ? ', removed the state directory' : ''}\n`);
        return 0;
      }
      case 'status': {
        const s = await labStatus(o.stateRoot, o.name);
        io.out(v.json === true ? `${JSON.stringify(s, null, 2)}\n` : renderStatus(s));
        return s.phase === 'ready' ? 0 : 1;
      }
      case 'check': {
        const st = loadState(labDir(o.stateRoot, o.name));
        if (st === undefined) {
          io.err(`podnet lab: lab ${o.name} is not up\n`);
          return 1;
        }
        const r = await reachability(st.pods);
        io.out(v.json === true ? `${JSON.stringify(r, null, 2)}\n` : renderMatrix(st.pods, r));
        return r.every((x) => x.sameNode ? x.ping && x.tcp !== false : true) ? 0 : 1;
      }
      case 'exec': {
        const st = loadState(labDir(o.stateRoot, o.name));
        if (st === undefined || target === undefined || rest.length === 0) {
          io.err(st === undefined ? `podnet lab: lab ${o.name} is not up\n` : 'usage: podnet lab exec NODE|POD|tor -- CMD...\n');
          return 2;
        }
        return await exec(st, target, rest, io);
      }
      case 'node': {
        const st = loadState(labDir(o.stateRoot, o.name));
        if (st === undefined || target !== 'add') {
          io.err(st === undefined ? `podnet lab: lab ${o.name} is not up\n` : 'usage: podnet lab node add\n');
          return 2;
        }
        if (st.supervisor === undefined || !procAlive(st.supervisor) || st.phase !== 'ready') {
          io.err(`podnet lab: lab ${o.name} is not ready\n`);
          return 1;
        }
        const before = st.nodes.length;
        process.kill(st.supervisor.pid, 'SIGUSR2');
        const added = await waitFor('the new node', async () => {
          const cur = loadState(labDir(o.stateRoot, o.name));
          const n = cur?.nodes[before];
          if (cur === undefined || n === undefined) return undefined;
          const s = await labStatus(o.stateRoot, o.name);
          return s.nodes.find((x) => x.name === n.name)?.agent.healthy === true ? n : undefined;
        }, { timeoutMs: 60_000, intervalMs: 250 }).catch(() => undefined);
        if (added === undefined) {
          io.err(`podnet lab: the node did not come up in 60 s (see ${labDir(o.stateRoot, o.name)}/supervisor.log)\n`);
          return 1;
        }
        io.out(`${added.name} added: ${added.ipv4}${added.ipv6 !== undefined ? ` ${added.ipv6}` : ''}, pod CIDRs ${added.podCidrs.join(' ')}\n`);
        return 0;
      }
      case 'agent': {
        const st = loadState(labDir(o.stateRoot, o.name));
        const node = positionals[2];
        if (st === undefined || (target !== 'stop' && target !== 'kill' && target !== 'start') || node === undefined) {
          io.err(st === undefined ? `podnet lab: lab ${o.name} is not up\n` : 'usage: podnet lab agent stop|kill|start NODE\n');
          return 2;
        }
        if (!st.nodes.some((n) => n.name === node)) {
          io.err(`podnet lab: no node "${node}" in lab ${st.name}\n`);
          return 2;
        }
        if (target === 'start') {
          const p = restartAgent(st, planLab(st.options), node);
          io.out(`podnetd on ${node} started (pid ${p.pid})\n`);
          return 0;
        }
        const was = await stopAgent(st, node, target === 'kill');
        io.out(was ? `podnetd on ${node} ${target === 'kill' ? 'killed' : 'stopped'}\n` : `podnetd on ${node} was not running\n`);
        return 0;
      }
      default:
        io.err(`podnet lab: unknown command "${cmd}"\n${labHelp}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof LabOptionError) {
      io.err(`podnet lab: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
