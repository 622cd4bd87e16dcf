// The lab's ToR as FRR 8.4 (Debian's frr) instead of BIRD: zebra (drops to the
// frr user, installs best paths in the ToR's kernel table) and bgpd (-S: stays
// root) in the ToR namespace, each with its vty socket in the lab's state dir,
// queried with `vtysh --vty_socket`. Same peering as the BIRD ToR (tor.ts):
// iBGP with the nodes as route-reflector clients (RFC 4456 §6) when the ASNs
// are equal, else eBGP with next-hop-self; FRR's RFC 8212 default
// (ebgp-requires-policy) is turned off since the lab has no policies.
import { chmodSync, chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, spawnDetached, waitFor } from './netns.ts';
import type { ProcRecord } from './netns.ts';
import type { TorSession } from './tor.ts';
import type { LabPlan } from './topology.ts';

const FRR_DIR = '/usr/lib/frr';

export function frrDir(plan: LabPlan): string {
  return join(plan.dir, 'tor');
}

export function bgpdConfig(plan: LabPlan): string {
  const o = plan.options;
  const ibgp = o.torAsn === o.clusterAsn;
  const v4 = plan.nodes.map((n) => n.ipv4);
  const v6 = plan.nodes.flatMap((n) => (n.ipv6 !== undefined ? [n.ipv6] : []));
  const family = (afi: 'ipv4' | 'ipv6', group: string): string[] => [
    ` address-family ${afi} unicast`,
    `  neighbor ${group} activate`,
    ibgp ? `  neighbor ${group} route-reflector-client` : `  neighbor ${group} next-hop-self`,
    ' exit-address-family',
  ];
  const group = (name: string, addrs: readonly string[]): string[] => [
    ` neighbor ${name} peer-group`,
    ` neighbor ${name} remote-as ${o.clusterAsn}`,
    ` neighbor ${name} timers 3 9`,
    ` neighbor ${name} timers connect 2`,
    ...addrs.map((a) => ` neighbor ${a} peer-group ${name}`),
  ];
  return [
    'frr defaults traditional',
    'hostname tor',
    'log file bgpd.log',
    `router bgp ${o.torAsn}`,
    ` bgp router-id ${plan.torRouterId}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp default ipv4-unicast',
    ...group('nodes', v4),
    ...(v6.length > 0 ? group('nodes6', v6) : []),
    ...family('ipv4', 'nodes'),
    ...(v6.length > 0 ? family('ipv6', 'nodes6') : []),
    'exit',
    '',
  ].join('\n');
}

async function vtysh(dir: string, daemon: string, cmd: string, timeoutMs = 5_000): Promise<string> {
  const r = await run('vtysh', ['--vty_socket', dir, '-d', daemon, '-c', cmd], { timeoutMs });
  return r.stdout;
}

/** Starts zebra, then bgpd, in the ToR namespace; calls `record` for each as soon as it is spawned. */
export async function startFrr(plan: LabPlan, record: (p: ProcRecord) => void): Promise<void> {
  const d = frrDir(plan);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'zebra.conf'), 'hostname tor\n');
  writeFileSync(join(d, 'bgpd.conf'), bgpdConfig(plan));
  // zebra drops to the frr user, which must reach its directory.
  const ids = await run('id', ['-u', 'frr']);
  const gid = await run('id', ['-g', 'frr']);
  for (const p of [plan.options.stateRoot, plan.dir]) {
    const mode = statSync(p).mode & 0o7777;
    if ((mode & 0o011) !== 0o011) chmodSync(p, mode | 0o011); // traversable, not listable
  }
  for (const p of [d, join(d, 'zebra.conf')]) chownSync(p, Number(ids.stdout.trim()), Number(gid.stdout.trim()));
  const common = ['--vty_socket', d, '-P', '0'];
  record(spawnDetached('tor:zebra', plan.torNetns, join(FRR_DIR, 'zebra'), ['-f', join(d, 'zebra.conf'), '-i', join(d, 'zebra.pid'), '-z', join(d, 'zserv.api'), '-u', 'frr', '-g', 'frr', ...common, '--log', `file:${join(d, 'zebra.log')}`], join(d, 'zebra.out')));
  await waitFor('zebra', () => vtysh(d, 'zebra', 'show version').then(() => true), { timeoutMs: 10_000, intervalMs: 100 });
  record(spawnDetached('tor:bgpd', plan.torNetns, join(FRR_DIR, 'bgpd'), ['-f', join(d, 'bgpd.conf'), '-i', join(d, 'bgpd.pid'), ...common, '-S', '-z', join(d, 'zserv.api'), '--log', `file:${join(d, 'bgpd.log')}`], join(d, 'bgpd.out')));
  await waitFor('bgpd', () => vtysh(d, 'bgpd', 'show bgp summary').then(() => true), { timeoutMs: 10_000, intervalMs: 100 });
}

/** Session states from `show bgp neighbors json`, named like BIRD's protocols (node1, node1_v6). */
export function parseFrrNeighbors(json: string, names: ReadonlyMap<string, string>): TorSession[] {
  const j = JSON.parse(json) as Record<string, { bgpState?: string; lastResetDueTo?: string }>;
  const out: TorSession[] = [];
  for (const [name, addr] of names) {
    const n = j[addr];
    if (n === undefined) continue;
    const state = n.bgpState ?? 'unknown';
    out.push({ name, neighbor: addr, state: state === 'Established' ? 'up' : 'start', info: state === 'Established' ? 'Established' : `${state}${n.lastResetDueTo !== undefined ? ` (${n.lastResetDueTo})` : ''}` });
  }
  return out;
}

export async function frrSessions(dir: string, names: ReadonlyMap<string, string>): Promise<TorSession[]> {
  return parseFrrNeighbors(await vtysh(dir, 'bgpd', 'show bgp neighbors json'), names);
}
