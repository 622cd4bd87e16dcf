// One lab node's podnetd: the command line the supervisor starts it with (the
// DaemonSet's shared flags plus the node's kubeconfig, name, socket and ToR
// peers), and stop/start of that agent at run time (\`podnet lab agent\`), so
// tests and users can restart or kill a node's agent the way a rolling update
// or a crash does. An agent started here is recorded in agent-<node>.json in
// the lab's directory; \`lab down\` removes it with the node's namespace.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedAgentArgs } from '../deploy/manifests.ts';
import { nodeFiles } from './build.ts';
import { procAlive, spawnDetached, stopProc, type ProcRecord } from './netns.ts';
import type { LabState } from './state.ts';
import type { LabPlan, NodePlan } from './topology.ts';

const repoRoot = join(import.meta.dirname, '..', '..');

/** podnetd's argv (after the Node binary) for a lab node. */
export function agentArgv(plan: LabPlan, n: NodePlan): string[] {
  const o = plan.options;
  const f = nodeFiles(n);
  const sub = plan.subnets[n.subnet];
  const torIps = sub === undefined ? [] : [sub.torIpv4, ...(sub.torIpv6 !== undefined ? [sub.torIpv6] : [])];
  const peers = o.tor === 'none' || torIps.length === 0 ? [] : ['--peer-router-ips', torIps.join(','), '--peer-router-asns', torIps.map(() => String(o.torAsn)).join(',')];
  const gr = o.gracefulRestart ? [] : ['--bgp-graceful-restart=false'];
  // --enable-cni writes into the node's directory: the lab's nodes share the host's filesystem
  const cni = ['--cni-conf-file', join(n.dir, '10-podnet.conflist')];
  // RFC 8212 on, as a careful operator runs it: the ToR gets explicit (accept-all) policies
  const policy = o.tor === 'none' ? [] : ['--ebgp-require-policy=true', '--bgp-policy-file', policyFile(plan), '--peer-router-import-policy', 'tor-in', '--peer-router-export-policy', 'tor-out'];
  return [join(repoRoot, 'src', 'bin', 'podnetd.ts'), '--kubeconfig', f.kubeconfig, '--hostname-override', n.name, '--api-socket', f.agentSocket, ...sharedAgentArgs(o.clusterAsn), ...gr, ...cni, ...policy, ...peers];
}

/** The lab's BGP policy file (docs/bgp-policy.md): what each node accepts from and sends to the ToR. */
export function policyFile(plan: LabPlan): string {
  return join(plan.dir, 'bgp-policies.yaml');
}

export const LAB_POLICIES = `# podnet lab: podnetd runs with --ebgp-require-policy (RFC 8212), so the ToR
# peering has explicit policies: everything in, everything podnet exports out.
policies:
  - name: tor-in
    terms: []
    default: accept
  - name: tor-out
    terms: []
    default: accept
`;

function writePolicies(plan: LabPlan): void {
  const file = policyFile(plan);
  if (!existsSync(file)) writeFileSync(file, LAB_POLICIES);
}

/** Starts a node's podnetd (detached, in the node's namespace). */
export function startAgent(plan: LabPlan, n: NodePlan): ProcRecord {
  writePolicies(plan);
  return spawnDetached(`podnetd:${n.name}`, n.netns, process.execPath, agentArgv(plan, n), nodeFiles(n).agentLog, { ...process.env, NODE_NAME: n.name });
}

const restartedPath = (st: LabState, node: string): string => join(st.dir, `agent-${node}.json`);

/** The node's podnetd as it runs now: the one `lab agent start` started last, else the supervisor's. */
export function currentAgent(st: LabState, node: string): ProcRecord | undefined {
  const p = restartedPath(st, node);
  if (existsSync(p)) return JSON.parse(readFileSync(p, 'utf8')) as ProcRecord;
  return st.procs.find((x) => x.name === `podnetd:${node}`);
}

/** Stops a node's podnetd: SIGTERM (a rolling update's stop), or SIGKILL (a crash). False when it was not running. */
export async function stopAgent(st: LabState, node: string, kill: boolean): Promise<boolean> {
  const p = currentAgent(st, node);
  if (p === undefined || !procAlive(p)) return false;
  if (kill) {
    process.kill(p.pid, 'SIGKILL');
    await stopProc(p, 100);
  } else await stopProc(p, 10_000);
  return true;
}

/** Starts a node's podnetd again; refuses when one runs. */
export function restartAgent(st: LabState, plan: LabPlan, node: string): ProcRecord {
  const cur = currentAgent(st, node);
  if (cur !== undefined && procAlive(cur)) throw new Error(`podnetd on ${node} is running (pid ${cur.pid}); stop it first`);
  const n = plan.nodes.find((x) => x.name === node);
  if (n === undefined) throw new Error(`no node ${node}`);
  const rec = startAgent(plan, n);
  writeFileSync(restartedPath(st, node), JSON.stringify(rec));
  return rec;
}
