// The services controller's pure core: Services + EndpointSlices + this node
// (name, IPs, pod network) + flags -> one ServicePort per (service, port, IP
// family) with its frontends (ClusterIP, NodePort, externalIPs, LoadBalancer
// ingress IPs), traffic policies, affinity, masquerade and hairpin needs,
// source ranges and chosen backends; and the flat list of virtual services
// (one per VIP:port) a backend programs. kube-proxy semantics
// (../shared/reference/peers.md §4.2) with kube-router's flags and annotations
// (kube-router.md §1.4, §2.2, §5.2). No I/O, no clock. No RFCs.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { Family, Protocol } from './addr.ts';
import { cidrFamily, cidrMatcher, familyOf, protocolOf } from './addr.ts';
import { endpointsOf, selectBackends } from './endpoints.ts';
import type { Backend, TopologyMode } from './endpoints.ts';

export type { Backend } from './endpoints.ts';
export type { Family, Protocol } from './addr.ts';

export interface ModelOptions {
  /** --masquerade-all: SNAT every service connection, not only off-cluster ones. */
  readonly masqueradeAll: boolean;
  /** --hairpin-mode: hairpin SNAT for every service (else per-service annotation). */
  readonly hairpinMode: boolean;
  /** --nodeport-bindon-all-ip: NodePorts on every local address, not only the node IPs. */
  readonly nodePortBindOnAllIp: boolean;
  /** --strict-external-ip-validation: externalIPs and LB IPs must lie in their ranges. */
  readonly strictExternalIpValidation: boolean;
  /** --service-external-ip-range */
  readonly externalIpRanges: readonly string[];
  /** --loadbalancer-ip-range */
  readonly loadBalancerIpRanges: readonly string[];
  /** --service-node-port-range (inclusive); NodePorts outside it are ignored. */
  readonly nodePortRange: readonly [number, number];
  /** --service-cluster-ip-range: unallocated addresses in it are dropped, other ports of ClusterIPs rejected; no externalIP may lie in it. */
  readonly serviceClusterIpRanges: readonly string[];
}

export const defaultModelOptions: ModelOptions = {
  masqueradeAll: false,
  hairpinMode: false,
  nodePortBindOnAllIp: false,
  strictExternalIpValidation: true,
  externalIpRanges: [],
  loadBalancerIpRanges: [],
  nodePortRange: [30000, 32767],
  serviceClusterIpRanges: [],
};

export interface ModelInput {
  readonly nodeName: string;
  /** The node's primary address per family (NodePorts listen there). */
  readonly nodeIps: readonly string[];
  /** topology.kubernetes.io/zone of this node. */
  readonly zone?: string;
  /** The cluster's pod network (traffic from outside it is masqueraded). */
  readonly podNetwork: readonly string[];
  readonly services: readonly V1Service[];
  readonly endpointSlices: readonly V1EndpointSlice[];
  readonly options?: Partial<ModelOptions>;
}

export type FrontendKind = 'clusterIP' | 'nodePort' | 'externalIP' | 'loadBalancer';

/** Where traffic arrives. NodePorts have no ip: they listen on the node's addresses. */
export type Frontend =
  | { readonly kind: 'clusterIP' | 'externalIP' | 'loadBalancer'; readonly ip: string; readonly port: number }
  | { readonly kind: 'nodePort'; readonly port: number };

export type Policy = 'Cluster' | 'Local';
/** What happens to a frontend's traffic with no backend (KEP-3866 no_endpoint_services). */
export type EmptyVerdict = 'reject' | 'drop';

export interface ServicePort {
  /** `namespace/name/protocol/port-name-or-number`, plus `/v6` for IPv6. Unique. */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly portName: string;
  readonly protocol: Protocol;
  readonly family: Family;
  /** Sorted: kind, then ip, then port. */
  readonly frontends: readonly Frontend[];
  readonly internalPolicy: Policy;
  readonly externalPolicy: Policy;
  /** sessionAffinity ClientIP timeout, or null without affinity. */
  readonly affinitySeconds: number | null;
  readonly masqueradeAll: boolean;
  readonly hairpin: boolean;
  /** loadBalancerSourceRanges of this family (empty: no firewall). */
  readonly sourceRanges: readonly string[];
  /** Backends for Cluster policies (empty when nothing uses them). */
  readonly clusterBackends: readonly Backend[];
  /** Backends on this node, for Local policies (empty when nothing uses them). */
  readonly localBackends: readonly Backend[];
  /** Verdict for internal (ClusterIP) traffic with no backend; null when it has backends. */
  readonly internalEmpty: EmptyVerdict | null;
  /** Verdict for external (NodePort, externalIP, LB) traffic with no backend. */
  readonly externalEmpty: EmptyVerdict | null;
  readonly healthCheckNodePort: number | null;
}

export interface Skipped {
  readonly service: string;
  readonly reason: string;
}

export interface ServicesModel {
  /** Node addresses NodePorts listen on, per family (all local addresses when nodePortsOnAllIps). */
  readonly nodeIps: { readonly 4: readonly string[]; readonly 6: readonly string[] };
  readonly nodePortsOnAllIps: boolean;
  readonly podNetwork: { readonly 4: readonly string[]; readonly 6: readonly string[] };
  /** --service-cluster-ip-range per family. */
  readonly serviceCidrs: { readonly 4: readonly string[]; readonly 6: readonly string[] };
  /** Sorted by id. */
  readonly ports: readonly ServicePort[];
  /** Services, ports or addresses left out, and why. */
  readonly skipped: readonly Skipped[];
}

export const ANNOTATION = {
  hairpin: 'kube-router.io/service.hairpin',
  local: 'kube-router.io/service.local',
  skipLbIps: 'kube-router.io/service.skiplbips',
  topologyMode: 'service.kubernetes.io/topology-mode',
  topologyHints: 'service.kubernetes.io/topology-aware-hints',
} as const;
const LABEL_PROXY_NAME = 'service.kubernetes.io/service-proxy-name';
const LABEL_HEADLESS = 'service.kubernetes.io/headless';
const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
/** Proxy names we answer to (a foreign one means another proxy owns the service). */
const OUR_PROXY_NAMES = new Set(['podnet', 'kube-router']);

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const kindOrder: Record<FrontendKind, number> = { clusterIP: 0, nodePort: 1, externalIP: 2, loadBalancer: 3 };

function frontendCmp(a: Frontend, b: Frontend): number {
  return kindOrder[a.kind] - kindOrder[b.kind] || cmp('ip' in a ? a.ip : '', 'ip' in b ? b.ip : '') || a.port - b.port;
}

function topologyOf(svc: V1Service): TopologyMode {
  const a = svc.metadata?.annotations ?? {};
  const mode = a[ANNOTATION.topologyMode] ?? a[ANNOTATION.topologyHints];
  // The annotation beats the field (KEP-4444).
  if (mode !== undefined) return mode.toLowerCase() === 'auto' ? 'zone' : 'none';
  const td = svc.spec?.trafficDistribution;
  if (td === 'PreferSameNode') return 'node';
  if (td === 'PreferClose' || td === 'PreferSameZone') return 'zone';
  return 'none';
}

function skipReason(svc: V1Service): string | null {
  const labels = svc.metadata?.labels ?? {};
  const proxy = labels[LABEL_PROXY_NAME];
  if (proxy !== undefined && !OUR_PROXY_NAMES.has(proxy)) return `service-proxy-name ${proxy}`;
  if (labels[LABEL_HEADLESS] !== undefined) return 'headless label';
  if (svc.spec?.type === 'ExternalName') return 'ExternalName';
  if (svc.spec?.clusterIP === 'None') return 'headless';
  return null;
}

/** Builds the model. Deterministic: output order never depends on input order. */
export function buildModel(input: ModelInput): ServicesModel {
  const o: ModelOptions = { ...defaultModelOptions, ...input.options };
  const skipped: Skipped[] = [];
  const nodeIps = { 4: input.nodeIps.filter((ip) => familyOf(ip) === 4).sort(cmp), 6: input.nodeIps.filter((ip) => familyOf(ip) === 6).sort(cmp) };
  const podNetwork = { 4: input.podNetwork.filter((c) => cidrFamily(c) === 4).sort(cmp), 6: input.podNetwork.filter((c) => cidrFamily(c) === 6).sort(cmp) };
  const serviceCidrs = { 4: o.serviceClusterIpRanges.filter((c) => cidrFamily(c) === 4).sort(cmp), 6: o.serviceClusterIpRanges.filter((c) => cidrFamily(c) === 6).sort(cmp) };
  const inServiceRange = cidrMatcher(o.serviceClusterIpRanges);
  const inExternalRange = cidrMatcher(o.externalIpRanges);
  const inLbRange = cidrMatcher(o.loadBalancerIpRanges);
  const slicesByService = new Map<string, V1EndpointSlice[]>();
  for (const s of input.endpointSlices) {
    const svcName = s.metadata?.labels?.[LABEL_SERVICE_NAME];
    if (svcName === undefined || s.metadata?.labels?.[LABEL_HEADLESS] !== undefined) continue;
    const key = `${s.metadata?.namespace ?? 'default'}/${svcName}`;
    const list = slicesByService.get(key) ?? [];
    list.push(s);
    slicesByService.set(key, list);
  }
  const ports: ServicePort[] = [];
  for (const svc of input.services) {
    const namespace = svc.metadata?.namespace ?? 'default';
    const name = svc.metadata?.name ?? '';
    const key = `${namespace}/${name}`;
    const why = skipReason(svc);
    if (why !== null) {
      skipped.push({ service: key, reason: why });
      continue;
    }
    const spec = svc.spec ?? {};
    const ann = svc.metadata?.annotations ?? {};
    const type = spec.type ?? 'ClusterIP';
    const clusterIps = spec.clusterIPs ?? (spec.clusterIP !== undefined && spec.clusterIP !== '' ? [spec.clusterIP] : []);
    const external = [...(spec.externalIPs ?? [])].filter((ip) => {
      if (familyOf(ip) === undefined) skipped.push({ service: key, reason: `externalIP ${ip}: not an IP` });
      else if (inServiceRange(ip)) skipped.push({ service: key, reason: `externalIP ${ip}: inside --service-cluster-ip-range` });
      else if (o.strictExternalIpValidation && !inExternalRange(ip)) skipped.push({ service: key, reason: `externalIP ${ip}: outside --service-external-ip-range` });
      else return true;
      return false;
    });
    const lbIps: string[] = [];
    if (type === 'LoadBalancer' && ann[ANNOTATION.skipLbIps] === undefined) {
      for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
        if (ing.ip === undefined || ing.ip === '') continue;
        // KEP-1860: with ipMode Proxy the load balancer proxies; the node must not capture the IP.
        if (ing.ipMode === 'Proxy') skipped.push({ service: key, reason: `LB ingress ${ing.ip}: ipMode Proxy` });
        else if (familyOf(ing.ip) === undefined) skipped.push({ service: key, reason: `LB ingress ${ing.ip}: not an IP` });
        else if (o.strictExternalIpValidation && !inLbRange(ing.ip)) skipped.push({ service: key, reason: `LB ingress ${ing.ip}: outside --loadbalancer-ip-range` });
        else lbIps.push(ing.ip);
      }
    }
    const externalPolicy: Policy = spec.externalTrafficPolicy === 'Local' || ann[ANNOTATION.local] === 'true' ? 'Local' : 'Cluster';
    const internalPolicy: Policy = spec.internalTrafficPolicy === 'Local' ? 'Local' : 'Cluster';
    const affinitySeconds = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : null;
    const hairpin = o.hairpinMode || ann[ANNOTATION.hairpin] !== undefined;
    const topology = topologyOf(svc);
    const hasNodePorts = type === 'NodePort' || type === 'LoadBalancer';
    const slices = slicesByService.get(key) ?? [];
    for (const sp of spec.ports ?? []) {
      const protocol = protocolOf(sp.protocol);
      if (protocol === undefined) {
        skipped.push({ service: key, reason: `port ${sp.port}: protocol ${sp.protocol ?? ''}` });
        continue;
      }
      const portName = sp.name ?? '';
      let nodePort: number | null = null;
      if (hasNodePorts && sp.nodePort !== undefined && sp.nodePort !== 0) {
        if (sp.nodePort >= o.nodePortRange[0] && sp.nodePort <= o.nodePortRange[1]) nodePort = sp.nodePort;
        else skipped.push({ service: key, reason: `nodePort ${sp.nodePort}: outside --service-node-port-range` });
      }
      for (const family of [4, 6] as const) {
        const clusterIp = clusterIps.find((ip) => familyOf(ip) === family);
        const frontends: Frontend[] = [];
        if (clusterIp !== undefined) frontends.push({ kind: 'clusterIP', ip: clusterIp, port: sp.port });
        // A NodePort of a family the service does not have would lead nowhere.
        if (nodePort !== null && clusterIp !== undefined && (o.nodePortBindOnAllIp || nodeIps[family].length > 0)) {
          frontends.push({ kind: 'nodePort', port: nodePort });
        }
        for (const ip of external) if (familyOf(ip) === family) frontends.push({ kind: 'externalIP', ip, port: sp.port });
        for (const ip of lbIps) if (familyOf(ip) === family) frontends.push({ kind: 'loadBalancer', ip, port: sp.port });
        if (frontends.length === 0) continue;
        frontends.sort(frontendCmp);
        const hasExternal = frontends.some((f) => f.kind !== 'clusterIP');
        const hasInternal = clusterIp !== undefined;
        const usesCluster = (hasInternal && internalPolicy === 'Cluster') || (hasExternal && externalPolicy === 'Cluster');
        const usesLocal = (hasInternal && internalPolicy === 'Local') || (hasExternal && externalPolicy === 'Local');
        const eps = endpointsOf(slices, family, portName, protocol);
        const sel = selectBackends(eps, { nodeName: input.nodeName, zone: input.zone, topology, usesCluster, usesLocal });
        // KEP-3866: nothing usable anywhere rejects; a Local policy left with nothing drops.
        const emptyVerdict: EmptyVerdict = sel.anyUsable ? 'drop' : 'reject';
        const internalSet = internalPolicy === 'Local' ? sel.local : sel.cluster;
        const externalSet = externalPolicy === 'Local' ? sel.local : sel.cluster;
        const portLabel = portName !== '' ? portName : String(sp.port);
        ports.push({
          id: `${namespace}/${name}/${protocol}/${portLabel}${family === 6 ? '/v6' : ''}`,
          namespace,
          name,
          portName,
          protocol,
          family,
          frontends,
          internalPolicy,
          externalPolicy,
          affinitySeconds,
          masqueradeAll: o.masqueradeAll,
          hairpin,
          sourceRanges: (spec.loadBalancerSourceRanges ?? []).map((r) => r.trim()).filter((r) => cidrFamily(r) === family).sort(cmp),
          clusterBackends: sel.cluster,
          localBackends: sel.local,
          internalEmpty: !hasInternal || internalSet.length > 0 ? null : emptyVerdict,
          externalEmpty: !hasExternal || externalSet.length > 0 ? null : emptyVerdict,
          healthCheckNodePort: externalPolicy === 'Local' && spec.healthCheckNodePort !== undefined && spec.healthCheckNodePort !== 0 ? spec.healthCheckNodePort : null,
        });
      }
    }
  }
  ports.sort((a, b) => cmp(a.id, b.id));
  skipped.sort((a, b) => cmp(a.service, b.service) || cmp(a.reason, b.reason));
  return { nodeIps, nodePortsOnAllIps: o.nodePortBindOnAllIp, podNetwork, serviceCidrs, ports, skipped };
}

/** One VIP:port (or NodePort) with the backends its traffic goes to. */
export interface VirtualService {
  readonly servicePort: string;
  readonly family: Family;
  readonly protocol: Protocol;
  readonly frontend: Frontend;
  /** internal = ClusterIP traffic; external = NodePort, externalIP, LB. */
  readonly traffic: 'internal' | 'external';
  readonly policy: Policy;
  readonly affinitySeconds: number | null;
  readonly backends: readonly Backend[];
  /** What traffic gets when backends is empty. */
  readonly empty: EmptyVerdict | null;
  readonly sourceRanges: readonly string[];
}

/** The flat list of virtual services (an IPVS-style view of the model), in model order. */
export function virtualServices(model: ServicesModel): VirtualService[] {
  const out: VirtualService[] = [];
  for (const p of model.ports) {
    for (const f of p.frontends) {
      const internal = f.kind === 'clusterIP';
      const policy = internal ? p.internalPolicy : p.externalPolicy;
      out.push({
        servicePort: p.id,
        family: p.family,
        protocol: p.protocol,
        frontend: f,
        traffic: internal ? 'internal' : 'external',
        policy,
        affinitySeconds: p.affinitySeconds,
        backends: policy === 'Local' ? p.localBackends : p.clusterBackends,
        empty: internal ? p.internalEmpty : p.externalEmpty,
        sourceRanges: f.kind === 'loadBalancer' ? p.sourceRanges : [],
      });
    }
  }
  return out;
}
