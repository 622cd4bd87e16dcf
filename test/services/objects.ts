// Builders of Service and EndpointSlice objects for the services tests, as
// the API server would send them (only the fields the proxy reads).
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';

export interface PortSpec {
  readonly name?: string;
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  readonly nodePort?: number;
  readonly targetPort?: number;
}

export interface ServiceSpec {
  readonly ns?: string;
  readonly type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  readonly clusterIPs?: readonly string[];
  readonly ports: readonly PortSpec[];
  readonly externalIPs?: readonly string[];
  readonly lbIngress?: readonly { ip: string; ipMode?: 'VIP' | 'Proxy' }[];
  readonly sourceRanges?: readonly string[];
  readonly eTP?: 'Cluster' | 'Local';
  readonly iTP?: 'Cluster' | 'Local';
  readonly affinity?: number | 'default';
  readonly healthCheckNodePort?: number;
  readonly annotations?: Record<string, string>;
  readonly labels?: Record<string, string>;
  readonly trafficDistribution?: string;
}

export function service(name: string, s: ServiceSpec): V1Service {
  const clusterIPs = [...(s.clusterIPs ?? [])];
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: s.ns ?? 'default', ...(s.annotations ? { annotations: s.annotations } : {}), ...(s.labels ? { labels: s.labels } : {}) },
    spec: {
      type: s.type ?? 'ClusterIP',
      ...(clusterIPs.length > 0 ? { clusterIP: clusterIPs[0], clusterIPs } : {}),
      ports: s.ports.map((p) => ({
        ...(p.name !== undefined ? { name: p.name } : {}),
        port: p.port,
        protocol: p.protocol ?? 'TCP',
        ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
        targetPort: p.targetPort ?? p.port,
      })),
      ...(s.externalIPs ? { externalIPs: [...s.externalIPs] } : {}),
      ...(s.sourceRanges ? { loadBalancerSourceRanges: [...s.sourceRanges] } : {}),
      ...(s.eTP ? { externalTrafficPolicy: s.eTP } : {}),
      ...(s.iTP ? { internalTrafficPolicy: s.iTP } : {}),
      ...(s.affinity !== undefined
        ? { sessionAffinity: 'ClientIP', ...(s.affinity === 'default' ? {} : { sessionAffinityConfig: { clientIP: { timeoutSeconds: s.affinity } } }) }
        : {}),
      ...(s.healthCheckNodePort !== undefined ? { healthCheckNodePort: s.healthCheckNodePort } : {}),
      ...(s.trafficDistribution !== undefined ? { trafficDistribution: s.trafficDistribution } : {}),
    },
    ...(s.lbIngress ? { status: { loadBalancer: { ingress: s.lbIngress.map((i) => ({ ip: i.ip, ...(i.ipMode ? { ipMode: i.ipMode } : {}) })) } } } : {}),
  };
}

export interface EndpointSpec {
  readonly ip: string;
  readonly node?: string;
  readonly ready?: boolean;
  readonly serving?: boolean;
  readonly terminating?: boolean;
  readonly zone?: string;
  readonly forZones?: readonly string[];
  readonly forNodes?: readonly string[];
}

export function slice(
  svcName: string,
  sliceName: string,
  eps: readonly EndpointSpec[],
  ports: readonly { name?: string; port: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }[],
  opts: { ns?: string; family?: 4 | 6 } = {},
): V1EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: sliceName, namespace: opts.ns ?? 'default', labels: { 'kubernetes.io/service-name': svcName } },
    addressType: opts.family === 6 ? 'IPv6' : 'IPv4',
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      conditions: {
        ...(e.ready !== undefined ? { ready: e.ready } : {}),
        ...(e.serving !== undefined ? { serving: e.serving } : {}),
        ...(e.terminating !== undefined ? { terminating: e.terminating } : {}),
      },
      ...(e.node !== undefined ? { nodeName: e.node } : {}),
      ...(e.zone !== undefined ? { zone: e.zone } : {}),
      ...(e.forZones !== undefined || e.forNodes !== undefined
        ? {
            hints: {
              ...(e.forZones !== undefined ? { forZones: e.forZones.map((name) => ({ name })) } : {}),
              ...(e.forNodes !== undefined ? { forNodes: e.forNodes.map((name) => ({ name })) } : {}),
            },
          }
        : {}),
    })),
    ports: ports.map((p) => ({ ...(p.name !== undefined ? { name: p.name } : {}), port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}
