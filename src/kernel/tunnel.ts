// The overlay tunnel: one VXLAN device per underlay family (podnet.vx4 over
// IPv4, podnet.vx6 over IPv6), flannel's model without extra addressing. Each
// node's VTEP MAC is derived from its underlay address, so a node reaches a
// remote node R by: an FDB entry (MAC(R) -> R), a permanent neighbour entry
// (R -> MAC(R)) on the device, and routes "POD_CIDR via R dev podnet.vxN
// onlink" (programmed by the routes controller). Learning is off, so the
// device holds exactly what podnet put there. Programmed with one `ip -batch`
// and one `bridge -batch` per sync; read back as JSON.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { run } from './exec.ts';

export const VXLAN_PORT = 4789;
export const VXLAN_VNI = 4242;
export const VXLAN_OVERHEAD = { 4: 50, 6: 70 } as const;

export type UnderlayFamily = 4 | 6;

export function tunnelName(family: UnderlayFamily): string {
  return family === 4 ? 'podnet.vx4' : 'podnet.vx6';
}

/** A locally administered unicast MAC derived from a node's underlay address. */
export function vtepMac(address: string): string {
  const fam = isIP(address);
  if (fam === 0) throw new RangeError(`not an IP address: ${address}`);
  const tail =
    fam === 4
      ? address.split('.').map((x) => Number(x))
      : [...createHash('sha256').update(address).digest().subarray(0, 4)];
  return [0x0e, fam === 4 ? 0x50 : 0x51, ...tail].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export interface TunnelSpec {
  readonly family: UnderlayFamily;
  /** This node's underlay address of that family. */
  readonly local: string;
  /** MTU of the underlay interface; the device gets it minus the VXLAN overhead. */
  readonly underlayMtu: number;
}

/** Run `ip`/`bridge` in a namespace (tests) or in the agent's own (netns null). */
export interface TunnelEnv {
  readonly netns: string | null;
}

function nsArgs(env: TunnelEnv): string[] {
  return env.netns === null ? [] : ['-n', env.netns];
}

interface IpLink {
  ifindex: number;
  ifname: string;
  address?: string;
  mtu?: number;
  operstate?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; local6?: string; port?: number; learning?: boolean } };
}

async function showLink(env: TunnelEnv, name: string): Promise<IpLink | null> {
  const links = JSON.parse((await run('ip', [...nsArgs(env), '-j', '-d', 'link', 'show'])).stdout) as IpLink[];
  return links.find((l) => l.ifname === name) ?? null;
}

/** Creates or repairs the VXLAN device; returns its ifindex. Idempotent. */
export async function ensureTunnel(env: TunnelEnv, spec: TunnelSpec): Promise<number> {
  const name = tunnelName(spec.family);
  const mac = vtepMac(spec.local);
  const mtu = spec.underlayMtu - VXLAN_OVERHEAD[spec.family];
  let link = await showLink(env, name);
  const d = link?.linkinfo?.info_data;
  const local = d?.local ?? d?.local6;
  const right = link !== null && link.linkinfo?.info_kind === 'vxlan' && d?.id === VXLAN_VNI && local === spec.local && d.port === VXLAN_PORT && d.learning === false;
  const cmds: string[] = [];
  if (link !== null && !right) cmds.push(`link del ${name}`);
  if (link === null || !right) {
    cmds.push(`link add ${name} type vxlan id ${VXLAN_VNI} local ${spec.local} dstport ${VXLAN_PORT} nolearning`);
    link = null;
  }
  // Only what differs: changing the address (even to itself) flushes the device's neighbours.
  if (link === null || link.address !== mac) cmds.push(`link set ${name} address ${mac}`);
  if (link === null || link.mtu !== mtu) cmds.push(`link set ${name} mtu ${mtu}`);
  if (link === null || !(link.flags ?? []).includes('UP')) cmds.push(`link set ${name} up`);
  if (cmds.length > 0) await run('ip', [...nsArgs(env), '-batch', '-'], { input: `${cmds.join('\n')}\n` });
  const now = await showLink(env, name);
  if (now === null) throw new Error(`tunnel ${name} missing after creation`);
  return now.ifindex;
}

interface FdbEntry {
  mac: string;
  dst?: string;
  ifname?: string;
  flags?: string[];
}
interface NeighEntry {
  dst: string;
  lladdr?: string;
  state?: string[];
}

export interface TunnelPeerResult {
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/** Makes the device's FDB and neighbour entries exactly the given remote nodes. */
export async function syncTunnelPeers(env: TunnelEnv, family: UnderlayFamily, peers: readonly string[]): Promise<TunnelPeerResult> {
  const name = tunnelName(family);
  const want = new Map(peers.filter((p) => isIP(p) === family).map((p) => [p, vtepMac(p)]));
  const fdb = (JSON.parse((await run('bridge', [...nsArgs(env), '-j', 'fdb', 'show', 'dev', name])).stdout || '[]') as FdbEntry[]).filter(
    (e) => e.dst !== undefined && e.mac !== '00:00:00:00:00:00',
  );
  const neigh = JSON.parse((await run('ip', [...nsArgs(env), '-j', 'neigh', 'show', 'dev', name])).stdout || '[]') as NeighEntry[];
  const haveFdb = new Map(fdb.map((e) => [e.mac, e.dst ?? '']));
  const haveNeigh = new Map(neigh.map((n) => [n.dst, n.lladdr ?? '']));
  const bridgeCmds: string[] = [];
  const ipCmds: string[] = [];
  const added: string[] = [];
  const removed: string[] = [];
  for (const [peer, mac] of [...want].sort()) {
    let changed = false;
    if (haveFdb.get(mac) !== peer) {
      bridgeCmds.push(`fdb replace ${mac} dev ${name} dst ${peer} self permanent`);
      changed = true;
    }
    if (haveNeigh.get(peer) !== mac) {
      ipCmds.push(`neigh replace ${peer} lladdr ${mac} dev ${name} nud permanent`);
      changed = true;
    }
    if (changed) added.push(peer);
  }
  const wantMacs = new Set(want.values());
  for (const [mac, dst] of haveFdb) {
    if (!wantMacs.has(mac)) {
      bridgeCmds.push(`fdb del ${mac} dev ${name} dst ${dst} self`);
      removed.push(dst);
    }
  }
  for (const [dst] of haveNeigh) {
    if (!want.has(dst)) {
      ipCmds.push(`neigh del ${dst} dev ${name}`);
      if (!removed.includes(dst)) removed.push(dst);
    }
  }
  if (bridgeCmds.length > 0) await run('bridge', [...nsArgs(env), '-batch', '-'], { input: `${bridgeCmds.join('\n')}\n` });
  if (ipCmds.length > 0) await run('ip', [...nsArgs(env), '-batch', '-'], { input: `${ipCmds.join('\n')}\n` });
  return { added, removed: removed.sort() };
}

/** Cleanup: deletes podnet's tunnel devices (their FDB, neighbours and routes go with them). */
export async function removeTunnels(env: TunnelEnv): Promise<string[]> {
  const gone: string[] = [];
  for (const family of [4, 6] as const) {
    const name = tunnelName(family);
    if ((await showLink(env, name)) !== null) {
      await run('ip', [...nsArgs(env), 'link', 'del', name]);
      gone.push(name);
    }
  }
  return gone;
}
