// The firewall's view of cluster state: pods reduced to what policy needs
// (namespace, name, labels, IPs by family, node, container ports), namespaces
// to their labels, everything sorted by key so compile output never depends on
// input order. Pure. No RFCs; pod phases per the Kubernetes Pod API.
import { BlockList, isIP } from 'node:net';
import type { V1Namespace, V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import type { IpFamily } from '../src/kernel/iptables/model.ts';
import type { Labels } from './selectors.ts';

export interface PodView {
  /** `namespace/name`. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  /** One address per family at most (status.podIPs). */
  readonly ips: Readonly<Partial<Record<IpFamily, string>>>;
  /** spec.nodeName equals this node. */
  readonly local: boolean;
  readonly pod: V1Pod;
}

export interface ClusterView {
  readonly nodeName: string;
  /** Policy-relevant pods (not host-network, phase Running or Pending, with an IP), sorted by key. */
  readonly pods: readonly PodView[];
  readonly namespaceLabels: ReadonlyMap<string, Labels>;
  /** Policies sorted by `namespace/name`. */
  readonly policies: readonly V1NetworkPolicy[];
}

export function familyOf(addr: string): IpFamily | undefined {
  const v = isIP(addr);
  return v === 4 ? 'inet' : v === 6 ? 'inet6' : undefined;
}

/** Family of a CIDR `addr/len`, or undefined when it is not a valid CIDR. */
export function cidrFamily(cidr: string): IpFamily | undefined {
  const m = /^([^/]+)\/([0-9]{1,3})$/.exec(cidr);
  if (m === null) return undefined;
  const fam = familyOf(m[1] ?? '');
  const len = Number(m[2]);
  if (fam === undefined || len > (fam === 'inet' ? 32 : 128)) return undefined;
  return fam;
}

function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function podIps(pod: V1Pod): Partial<Record<IpFamily, string>> {
  const out: Partial<Record<IpFamily, string>> = {};
  const list = (pod.status?.podIPs ?? []).map((p) => p.ip);
  if (list.length === 0 && pod.status?.podIP !== undefined) list.push(pod.status.podIP);
  for (const ip of list) {
    const fam = familyOf(ip);
    if (fam !== undefined && out[fam] === undefined) out[fam] = ip;
  }
  return out;
}

/**
 * Only pods that are Running or Pending and have an IP take part; host-network
 * pods never do (they carry the node's address and are not policed).
 */
function podView(pod: V1Pod, nodeName: string): PodView | undefined {
  if (pod.spec?.hostNetwork === true) return undefined;
  const phase = pod.status?.phase;
  if (phase !== 'Running' && phase !== 'Pending') return undefined;
  const ips = podIps(pod);
  if (ips.inet === undefined && ips.inet6 === undefined) return undefined;
  const namespace = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '';
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    labels: pod.metadata?.labels ?? {},
    ips,
    local: pod.spec?.nodeName === nodeName,
    pod,
  };
}

function pkey(p: V1NetworkPolicy): string {
  return `${p.metadata?.namespace ?? 'default'}/${p.metadata?.name ?? ''}`;
}

export function buildView(
  nodeName: string,
  pods: readonly V1Pod[],
  namespaces: readonly V1Namespace[],
  policies: readonly V1NetworkPolicy[],
): ClusterView {
  const views = new Map<string, PodView>();
  for (const p of pods) {
    const v = podView(p, nodeName);
    if (v !== undefined) views.set(v.key, v);
  }
  const nsLabels = new Map<string, Labels>();
  for (const ns of [...namespaces].sort((a, b) => byKey(a.metadata?.name ?? '', b.metadata?.name ?? ''))) {
    const name = ns.metadata?.name;
    if (name !== undefined) nsLabels.set(name, ns.metadata?.labels ?? {});
  }
  return {
    nodeName,
    pods: [...views.values()].sort((a, b) => byKey(a.key, b.key)),
    namespaceLabels: nsLabels,
    policies: [...policies].sort((a, b) => byKey(pkey(a), pkey(b))),
  };
}

/**
 * Labels of a namespace. One the cache has not seen yet still carries the
 * label the API server sets on every namespace.
 */
export function labelsOfNamespace(view: ClusterView, ns: string): Labels {
  return view.namespaceLabels.get(ns) ?? { 'kubernetes.io/metadata.name': ns };
}

/** Whether `ip` lies in `cidr` (same family only). Pure: BlockList is an in-memory matcher. */
export function cidrContains(cidr: string, ip: string): boolean {
  const fam = cidrFamily(cidr);
  if (fam === undefined || familyOf(ip) !== fam) return false;
  const [net, len] = cidr.split('/');
  const type = fam === 'inet' ? 'ipv4' : 'ipv6';
  const bl = new BlockList();
  bl.addSubnet(net ?? '', Number(len), type);
  return bl.check(ip, type);
}
