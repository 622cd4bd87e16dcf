// Endpoint selection for one service port and one IP family: EndpointSlices
// (discovery.k8s.io/v1) reduced to backends, then kube-proxy's categorisation
// (pkg/proxy/topology.go): ready endpoints first, serving-and-terminating ones
// only as a fallback (KEP-1669), topology hints and trafficDistribution
// (KEP-2433, KEP-4444, KEP-3015) only when every endpoint carries them, and the
// node-local subset that Local traffic policies use. Pure. No RFCs.
import type { V1EndpointSlice } from '@kubernetes/client-node';
import type { Family, Protocol } from './addr.ts';
import { familyOf } from './addr.ts';

/** One endpoint as the proxy sees it (the first address of an EndpointSlice endpoint). */
export interface EndpointView {
  readonly ip: string;
  readonly port: number;
  readonly nodeName: string | undefined;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly zoneHints: readonly string[] | undefined;
  readonly nodeHints: readonly string[] | undefined;
}

/** A chosen backend. */
export interface Backend {
  readonly ip: string;
  readonly port: number;
  /** On this node (Local traffic policies keep only these). */
  readonly local: boolean;
  /** Chosen only because nothing ready was left (serving and terminating). */
  readonly terminating: boolean;
}

export type TopologyMode = 'none' | 'zone' | 'node';

export interface SelectOptions {
  readonly nodeName: string;
  /** topology.kubernetes.io/zone of this node, if any. */
  readonly zone: string | undefined;
  readonly topology: TopologyMode;
  /** Whether any traffic uses the cluster-wide set (iTP Cluster, or external traffic with eTP Cluster). */
  readonly usesCluster: boolean;
  /** Whether any traffic uses the node-local set (iTP Local, or external traffic with eTP Local). */
  readonly usesLocal: boolean;
}

export interface Selection {
  /** Cluster-wide backends (empty when no traffic uses them). */
  readonly cluster: readonly Backend[];
  /** Node-local backends (empty when no traffic uses them). */
  readonly local: readonly Backend[];
  /** Some usable endpoint exists anywhere: empty selections then drop instead of reject. */
  readonly anyUsable: boolean;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The endpoints of one service port from its slices: slices of the family's
 * address type, the slice port with the service port's name and protocol, the
 * first address of each endpoint, duplicates (the same ip:port in two slices)
 * merged so that the endpoint is ready if any copy is. Sorted by ip then port.
 */
export function endpointsOf(slices: readonly V1EndpointSlice[], family: Family, portName: string, protocol: Protocol): EndpointView[] {
  const byKey = new Map<string, EndpointView>();
  const sorted = [...slices].sort((a, b) => cmp(a.metadata?.name ?? '', b.metadata?.name ?? ''));
  for (const slice of sorted) {
    if (slice.addressType !== (family === 4 ? 'IPv4' : 'IPv6')) continue;
    const sp = (slice.ports ?? []).find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP').toLowerCase() === protocol);
    if (sp?.port === undefined || sp.port < 1 || sp.port > 65535) continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses[0];
      if (ip === undefined || familyOf(ip) !== family) continue;
      // Unset conditions: ready means ready; serving defaults to ready; terminating to false.
      const ready = ep.conditions?.ready ?? true;
      const view: EndpointView = {
        ip,
        port: sp.port,
        nodeName: ep.nodeName,
        ready,
        serving: ep.conditions?.serving ?? ready,
        terminating: ep.conditions?.terminating ?? false,
        zoneHints: ep.hints?.forZones?.map((z) => z.name),
        nodeHints: ep.hints?.forNodes?.map((n) => n.name),
      };
      const key = `${ip}|${sp.port}`;
      const old = byKey.get(key);
      if (old === undefined) byKey.set(key, view);
      else byKey.set(key, { ...old, ready: old.ready || view.ready, serving: old.serving || view.serving, terminating: old.terminating && view.terminating });
    }
  }
  return [...byKey.values()].sort((a, b) => cmp(a.ip, b.ip) || a.port - b.port);
}

/**
 * Whether topology-aware selection applies: it needs a mode, hints on every
 * ready endpoint, and at least one ready endpoint hinted for this node or zone;
 * otherwise every endpoint is used (the KEP-2433 fallback).
 */
function topologyFilter(eps: readonly EndpointView[], o: SelectOptions): ((e: EndpointView) => boolean) | null {
  if (o.topology === 'none') return null;
  const ready = eps.filter((e) => e.ready);
  if (ready.length === 0) return null;
  if (o.topology === 'node') {
    const forNode = (e: EndpointView): boolean => e.nodeHints?.includes(o.nodeName) === true;
    if (ready.every((e) => e.nodeHints !== undefined) && ready.some(forNode)) return forNode;
  }
  if (o.zone === undefined) return null;
  const zone = o.zone;
  const forZone = (e: EndpointView): boolean => e.zoneHints?.includes(zone) === true;
  if (!ready.every((e) => e.zoneHints !== undefined)) return null;
  return ready.some(forZone) ? forZone : null;
}

function backend(e: EndpointView, nodeName: string): Backend {
  return { ip: e.ip, port: e.port, local: e.nodeName === nodeName, terminating: !e.ready };
}

/** kube-proxy's CategorizeEndpoints for one service port. */
export function selectBackends(eps: readonly EndpointView[], o: SelectOptions): Selection {
  const isLocal = (e: EndpointView): boolean => e.nodeName === o.nodeName;
  const fallback = (e: EndpointView): boolean => !e.ready && e.serving && e.terminating;
  const anyUsable = eps.some((e) => e.ready || fallback(e));
  let cluster: EndpointView[] = [];
  if (o.usesCluster) {
    const topo = topologyFilter(eps, o);
    cluster = eps.filter((e) => e.ready && (topo === null || topo(e)));
    // KEP-1669: terminating-but-serving endpoints only when nothing is ready anywhere.
    if (cluster.length === 0) cluster = eps.filter(fallback);
  }
  let local: EndpointView[] = [];
  if (o.usesLocal) {
    local = eps.filter((e) => isLocal(e) && e.ready);
    if (local.length === 0) local = eps.filter((e) => isLocal(e) && fallback(e));
  }
  return {
    cluster: cluster.map((e) => backend(e, o.nodeName)),
    local: local.map((e) => backend(e, o.nodeName)),
    anyUsable,
  };
}
