// The lab's plan, as pure data: from the `lab up` options to namespace names,
// interface names, underlay and pod addresses, ASNs and paths. No I/O, so the
// addressing rules are unit-tested. Addresses: underlay 198.18.0.0/15
// (RFC 2544), pods 10.244.0.0/16 (one /24 per node), IPv6 fd00::/8 (RFC 4193).
import { join } from 'node:path';

export type TorKind = 'bird' | 'frr' | 'none';

export interface LabOptions {
  /** Lab name: [a-z0-9]{1,8}; namespaces are `pl-<name>-*`, state in <stateRoot>/<name>. */
  readonly name: string;
  readonly nodes: number;
  readonly tor: TorKind;
  readonly ipv6: boolean;
  /** Underlay subnets behind the ToR; nodes are spread round-robin over them. */
  readonly subnets: number;
  /** kube-router's --cluster-asn of every node. */
  readonly clusterAsn: number;
  /** The ToR's ASN: equal to clusterAsn = iBGP (ToR reflects routes), else eBGP. */
  readonly torAsn: number;
  /** Pods created by `lab up` on each node (a deployment-like set named web-<node>-<k>). */
  readonly podsPerNode: number;
  /** Root of the state directories. */
  readonly stateRoot: string;
  /** podnetd's --bgp-graceful-restart (on in the DaemonSet; `--no-graceful-restart` turns it off). */
  readonly gracefulRestart: boolean;
}

export const defaultStateRoot = '/run/podnet-lab';

export const defaultOptions: LabOptions = {
  name: 'lab',
  nodes: 2,
  tor: 'bird',
  ipv6: false,
  subnets: 1,
  clusterAsn: 64512,
  torAsn: 64512,
  podsPerNode: 2,
  stateRoot: defaultStateRoot,
  gracefulRestart: true,
};

/** Port of the API server inside each node namespace (the forwarder listens there). */
export const NODE_API_PORT = 6443;
/** podnetd's health port inside each node namespace (kube-router's 20244). */
export const NODE_HEALTH_PORT = 20244;
export { POD_BRIDGE, POD_MTU } from '../kernel/cni-conf.ts';

export interface NodePlan {
  /** Kubernetes Node name. */
  readonly name: string;
  readonly index: number;
  readonly netns: string;
  /** 0-based underlay subnet. */
  readonly subnet: number;
  /** Underlay interface in the node namespace. */
  readonly ifname: string;
  /** Its peer in the ToR namespace. */
  readonly torIfname: string;
  readonly ipv4: string;
  readonly ipv6?: string;
  /** Underlay prefix length. */
  readonly prefixLen: number;
  readonly prefixLen6: number;
  readonly gateway4: string;
  readonly gateway6?: string;
  readonly podCidrs: readonly string[];
  readonly dir: string;
}

export interface SubnetPlan {
  readonly index: number;
  readonly bridge: string;
  readonly torIpv4: string;
  readonly torIpv6?: string;
  readonly cidr4: string;
  readonly cidr6?: string;
}

export interface LabPlan {
  readonly options: LabOptions;
  readonly prefix: string;
  readonly dir: string;
  readonly torNetns: string;
  readonly torRouterId: string;
  readonly subnets: readonly SubnetPlan[];
  readonly nodes: readonly NodePlan[];
  readonly serviceCidr: string;
}

export class LabOptionError extends Error {
  override readonly name = 'LabOptionError';
}

/** Validates the options (throws LabOptionError naming the option). */
export function validateOptions(o: LabOptions): void {
  if (!/^[a-z0-9]{1,8}$/.test(o.name)) throw new LabOptionError('--name must be 1-8 characters a-z0-9');
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 200) throw new LabOptionError('--nodes must be an integer from 1 to 200');
  if (!Number.isInteger(o.subnets) || o.subnets < 1 || o.subnets > Math.min(o.nodes, 200)) {
    throw new LabOptionError('--subnets must be an integer from 1 to the number of nodes');
  }
  if (!Number.isInteger(o.podsPerNode) || o.podsPerNode < 0 || o.podsPerNode > 50) throw new LabOptionError('--pods must be an integer from 0 to 50');
  for (const [flag, asn] of [['--cluster-asn', o.clusterAsn], ['--tor-asn', o.torAsn]] as const) {
    if (!Number.isInteger(asn) || asn < 1 || asn > 4294967294) throw new LabOptionError(`${flag} must be an ASN from 1 to 4294967294`);
  }
}

/** The namespace prefix of a lab: everything it creates carries it. */
export function labPrefix(name: string): string {
  return `pl-${name}-`;
}

export function labDir(stateRoot: string, name: string): string {
  return join(stateRoot, name);
}

export function planLab(o: LabOptions): LabPlan {
  validateOptions(o);
  const prefix = labPrefix(o.name);
  const dir = labDir(o.stateRoot, o.name);
  const subnets: SubnetPlan[] = [];
  for (let s = 0; s < o.subnets; s++) {
    subnets.push({
      index: s,
      bridge: `br${s + 1}`,
      torIpv4: `198.18.${s + 1}.1`,
      cidr4: `198.18.${s + 1}.0/24`,
      ...(o.ipv6 ? { torIpv6: `fd00:198:18:${s + 1}::1`, cidr6: `fd00:198:18:${s + 1}::/64` } : {}),
    });
  }
  const nodes: NodePlan[] = [];
  for (let i = 1; i <= o.nodes; i++) {
    const s = (i - 1) % o.subnets;
    const sub = subnets[s];
    if (sub === undefined) throw new LabOptionError('subnet plan');
    nodes.push({
      name: `node${i}`,
      index: i,
      netns: `${prefix}node${i}`,
      subnet: s,
      ifname: 'eth0',
      torIfname: `n${i}`,
      ipv4: `198.18.${s + 1}.${i + 1}`,
      prefixLen: 24,
      prefixLen6: 64,
      gateway4: sub.torIpv4,
      podCidrs: o.ipv6 ? [`10.244.${i}.0/24`, `fd00:10:244:${i.toString(16)}::/64`] : [`10.244.${i}.0/24`],
      dir: join(dir, 'nodes', `node${i}`),
      ...(o.ipv6 && sub.torIpv6 !== undefined ? { ipv6: `fd00:198:18:${s + 1}::${(i + 1).toString(16)}`, gateway6: sub.torIpv6 } : {}),
    });
  }
  return {
    options: o,
    prefix,
    dir,
    torNetns: `${prefix}tor`,
    torRouterId: subnets[0]?.torIpv4 ?? '198.18.1.1',
    subnets,
    nodes,
    serviceCidr: '10.96.0.0/12',
  };
}

/** A pod's network namespace name: the lab prefix plus a stable digest of namespace/name. */
export function podNetnsName(prefix: string, podNamespace: string, podName: string): string {
  let h = 0x811c9dc5;
  for (const ch of `${podNamespace}/${podName}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const safe = podName.replace(/[^a-z0-9-]/g, '').slice(0, 20);
  return `${prefix}p-${safe}-${h.toString(16).padStart(8, '0')}`;
}
