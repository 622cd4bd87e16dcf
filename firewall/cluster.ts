// The firewall's view of cluster state: pods reduced to what policy needs
// (namespace, name, labels, IPs by family, node, container ports), namespaces
// to their labels, everything sorted by key so compile output never depends on
// input order. Pure. No RFCs; pod phases per the Kubernetes Pod API.
import { isIP } from 'node:net';
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
  /** The same addresses as integers, for CIDR tests. */
  readonly bits: Readonly<Partial<Record<IpFamily, bigint>>>;
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
  const bits: Partial<Record<IpFamily, bigint>> = {};
  for (const [fam, ip] of Object.entries(ips) as [IpFamily, string][]) {
    const b = addrBits(ip);
    if (b !== undefined) bits[fam] = b.bits;
  }
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    labels: pod.metadata?.labels ?? {},
    ips,
    bits,
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

/** An address as an unsigned integer of its family's width, or undefined when invalid. */
export function addrBits(ip: string): { family: IpFamily; bits: bigint } | undefined {
  const fam = familyOf(ip);
  if (fam === 'inet') return { family: fam, bits: BigInt(ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0)) };
  if (fam !== 'inet6') return undefined;
  // Expand "::", and a trailing dotted IPv4 (e.g. ::ffff:1.2.3.4) into two groups.
  let text = ip;
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted !== null) {
    const v4 = (dotted[2] ?? '').split('.').map(Number);
    text = `${dotted[1] ?? ''}${(((v4[0] ?? 0) << 8) | (v4[1] ?? 0)).toString(16)}:${(((v4[2] ?? 0) << 8) | (v4[3] ?? 0)).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array.from({ length: 8 - h.length - t.length }, () => '0'), ...t];
  let bits = 0n;
  for (const g of groups) bits = (bits << 16n) | BigInt(parseInt(g, 16));
  return { family: fam, bits };
}

/** A matcher of integer addresses of `family` for one CIDR; false for the other family or an invalid CIDR. */
export function cidrMatcher(cidr: string, family: IpFamily): (bits: bigint) => boolean {
  const fam = cidrFamily(cidr);
  const [net, len] = cidr.split('/');
  const parsed = fam === family ? addrBits(net ?? '') : undefined;
  if (parsed === undefined) return () => false;
  const shift = BigInt((family === 'inet' ? 32 : 128) - Number(len));
  const want = parsed.bits >> shift;
  return (bits) => bits >> shift === want;
}

/** Whether `ip` lies in `cidr` (same family only). */
export function cidrContains(cidr: string, ip: string): boolean {
  const a = addrBits(ip);
  return a !== undefined && cidrMatcher(cidr, a.family)(a.bits);
}
