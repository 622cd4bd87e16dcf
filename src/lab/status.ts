// `podnet lab status`: what a lab is made of and whether it works, gathered
// from its state file, the recorded PIDs, the API server, each node's podnetd
// (its management socket) and the ToR's BGP daemon (its control socket).
// Returned as data (-j prints it as JSON); render() makes the human tables.
import { apiRequest } from '../api/client.ts';
import { procAlive, run } from './netns.ts';
import { loadState } from './state.ts';
import type { LabPhase } from './state.ts';
import { frrSessions } from './frr.ts';
import { birdSessions } from './tor.ts';
import type { TorSession } from './tor.ts';
import { currentAgent } from './agent.ts';
import { labDir } from './topology.ts';

/** A kernel route to one of the lab's podCIDRs (read with `ip -j route`). */
export interface PodRoute {
  readonly dst: string;
  readonly via: string;
  readonly dev: string;
  readonly protocol: string;
}

export interface LabStatus {
  readonly name: string;
  /** 'crashed': the state says it runs but the supervisor (API server, kubelet) is gone; `lab down` cleans up. */
  readonly phase: LabPhase | 'down' | 'crashed';
  readonly error?: string;
  readonly supervisor: { readonly pid: number; readonly alive: boolean } | null;
  readonly apiServer: { readonly url: string; readonly kubeconfig: string; readonly reachable: boolean } | null;
  readonly tor: { readonly kind: string; readonly netns: string; readonly asn: number; readonly sessions: readonly TorSession[]; readonly routes: readonly PodRoute[]; readonly error?: string };
  readonly nodes: readonly {
    readonly name: string;
    readonly netns: string;
    readonly ipv4: string;
    readonly podCidrs: readonly string[];
    /** Routes this node's kernel holds to the other nodes' podCIDRs. */
    readonly routes: readonly PodRoute[];
    readonly agent: { readonly pid: number | null; readonly alive: boolean; readonly healthy: boolean | null; readonly detail: string };
  }[];
  readonly pods: readonly { readonly namespace: string; readonly name: string; readonly node: string; readonly ips: readonly string[]; readonly netns: string; readonly ports: readonly string[] }[];
}

/** The routes of namespace `ns` whose destination is one of `cidrs`, both families. */
async function podRoutes(ns: string, cidrs: ReadonlySet<string>): Promise<PodRoute[]> {
  const out: PodRoute[] = [];
  for (const fam of ['-4', '-6']) {
    const r = await run('ip', ['-n', ns, fam, '-j', 'route', 'show'], { allowFail: true, timeoutMs: 5_000 });
    let rows: { dst?: string; gateway?: string; dev?: string; protocol?: string }[] = [];
    try {
      rows = JSON.parse(r.stdout || '[]') as typeof rows;
    } catch {
      // namespace gone
    }
    for (const x of rows) {
      if (x.dst !== undefined && cidrs.has(x.dst)) out.push({ dst: x.dst, via: x.gateway ?? '', dev: x.dev ?? '', protocol: String(x.protocol ?? '') });
    }
  }
  return out;
}

async function reachable(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/version`, { signal: AbortSignal.timeout(2_000) });
    return r.ok;
  } catch {
    return false;
  }
}

async function agentHealth(socket: string): Promise<{ healthy: boolean | null; detail: string }> {
  try {
    const st = (await Promise.race([
      apiRequest(socket, 'GET', '/v1/status'),
      new Promise((_r, reject) => setTimeout(() => reject(new Error('no answer in 2 s')), 2_000).unref()),
    ])) as { started?: boolean; health?: { healthy?: boolean; controllers?: { name: string; healthy: boolean; reason?: string }[] } };
    const bad = (st.health?.controllers ?? []).filter((c) => !c.healthy).map((c) => `${c.name}: ${c.reason ?? 'unhealthy'}`);
    return { healthy: st.health?.healthy ?? null, detail: bad.length > 0 ? bad.join('; ') : st.started === true ? 'controllers started' : 'caches syncing' };
  } catch (err) {
    return { healthy: null, detail: err instanceof Error ? err.message : String(err) };
  }
}

export async function labStatus(stateRoot: string, name: string): Promise<LabStatus> {
  const st = loadState(labDir(stateRoot, name));
  if (st === undefined) {
    return { name, phase: 'down', supervisor: null, apiServer: null, tor: { kind: 'none', netns: '', asn: 0, sessions: [], routes: [] }, nodes: [], pods: [] };
  }
  const procs = new Map(st.procs.map((p) => [p.name, p]));
  let sessions: TorSession[] = [];
  let torError: string | undefined;
  const neighbors = new Map(st.nodes.flatMap((n): [string, string][] => [[n.name, n.ipv4], ...(n.ipv6 !== undefined ? [[`${n.name}_v6`, n.ipv6] as [string, string]] : [])]));
  if (st.tor.kind !== 'none' && st.tor.controlSocket !== undefined) {
    try {
      sessions = st.tor.kind === 'bird' ? await birdSessions(st.tor.controlSocket, neighbors) : await frrSessions(st.tor.controlSocket, neighbors);
    } catch (err) {
      torError = err instanceof Error ? err.message.split('\n')[0] : String(err);
    }
  }
  const allCidrs = st.nodes.flatMap((n) => n.podCidrs);
  const torRoutes = st.tor.kind === 'none' ? [] : await podRoutes(st.tor.netns, new Set(allCidrs));
  const nodes = await Promise.all(
    st.nodes.map(async (n) => {
      // the agent `lab agent start` started last, else the supervisor's
      const p = currentAgent(st, n.name) ?? procs.get(`podnetd:${n.name}`);
      const alive = p !== undefined && procAlive(p);
      const h = alive ? await agentHealth(n.agentSocket) : { healthy: null, detail: 'not running' };
      const others = new Set(allCidrs.filter((c) => !n.podCidrs.includes(c)));
      return { name: n.name, netns: n.netns, ipv4: n.ipv4, podCidrs: n.podCidrs, routes: await podRoutes(n.netns, others), agent: { pid: p?.pid ?? null, alive, ...h } };
    }),
  );
  const supAlive = st.supervisor !== undefined && procAlive(st.supervisor);
  return {
    name,
    phase: !supAlive && st.phase !== 'failed' ? 'crashed' : st.phase,
    ...(st.error !== undefined ? { error: st.error } : {}),
    supervisor: st.supervisor === undefined ? null : { pid: st.supervisor.pid, alive: supAlive },
    apiServer: st.apiServer === undefined ? null : { url: st.apiServer.url, kubeconfig: st.apiServer.kubeconfig, reachable: await reachable(st.apiServer.url) },
    tor: { kind: st.tor.kind, netns: st.tor.netns, asn: st.tor.asn, sessions, routes: torRoutes, ...(torError !== undefined ? { error: torError } : {}) },
    nodes,
    pods: st.pods.map((p) => ({ namespace: p.namespace, name: p.name, node: p.node, ips: p.ips, netns: p.netns, ports: p.ports.map((x) => `${x.port}/${x.protocol}`) })),
  };
}

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

export function renderStatus(s: LabStatus): string {
  if (s.phase === 'down') return `lab ${s.name}: down (no state)\n`;
  const out: string[] = [];
  const hint = s.phase === 'crashed' ? ' — run `podnet lab down` to clean up' : '';
  out.push(`lab ${s.name}: ${s.phase}${s.error !== undefined ? ` (${s.error})` : ''}${hint}; supervisor pid ${s.supervisor?.pid ?? '-'} ${s.supervisor?.alive === true ? 'running' : 'NOT running'}`);
  if (s.apiServer !== null) out.push(`api server: ${s.apiServer.url} ${s.apiServer.reachable ? 'reachable' : 'UNREACHABLE'}; export KUBECONFIG=${s.apiServer.kubeconfig}`);
  out.push('', 'NODES');
  out.push(table([['NAME', 'NETNS', 'ADDRESS', 'POD CIDRS', 'PODNETD', 'HEALTH'], ...s.nodes.map((n) => [n.name, n.netns, n.ipv4, n.podCidrs.join(','), n.agent.alive ? `pid ${n.agent.pid ?? '-'}` : 'down', `${n.agent.healthy === null ? '?' : n.agent.healthy ? 'healthy' : 'unhealthy'}: ${n.agent.detail}`])]));
  out.push('', `TOR ${s.tor.kind} (AS ${s.tor.asn}, netns ${s.tor.netns})${s.tor.error !== undefined ? `: ${s.tor.error}` : ''}`);
  if (s.tor.sessions.length > 0) out.push(table([['PEER', 'NEIGHBOR', 'STATE', 'INFO'], ...s.tor.sessions.map((x) => [x.name, x.neighbor, x.state, x.info])]));
  const routes: string[][] = [
    ...s.nodes.flatMap((n) => n.routes.map((r) => [n.name, r.dst, r.via, r.dev, r.protocol])),
    ...s.tor.routes.map((r) => ['tor', r.dst, r.via, r.dev, r.protocol]),
  ];
  out.push('', 'POD ROUTES (kernel)');
  out.push(routes.length === 0 ? '(none: routes to other nodes\' podCIDRs appear once podnetd programs them)' : table([['IN', 'DST', 'VIA', 'DEV', 'PROTO'], ...routes]));
  out.push('', 'PODS');
  out.push(table([['NAMESPACE', 'NAME', 'NODE', 'IPS', 'PORTS'], ...s.pods.map((p) => [p.namespace, p.name, p.node, p.ips.join(','), p.ports.join(',')])]));
  return `${out.join('\n')}\n`;
}
