// Builders of Kubernetes objects as the API server sends them (JSON), for the
// firewall tests. Note `from` (the wire name), not client-node's `_from`.
import type { V1Namespace, V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';

export interface PodSpecLite {
  readonly ns?: string;
  readonly node?: string;
  readonly ip?: string;
  readonly ips?: readonly string[];
  readonly labels?: Record<string, string>;
  readonly phase?: string;
  readonly hostNetwork?: boolean;
  readonly ports?: readonly { name: string; containerPort: number; protocol?: string }[];
}

export function pod(name: string, s: PodSpecLite = {}): V1Pod {
  const ips = s.ips ?? (s.ip !== undefined ? [s.ip] : []);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: s.ns ?? 'default', labels: s.labels ?? {} },
    spec: {
      nodeName: s.node ?? 'node-a',
      ...(s.hostNetwork === true ? { hostNetwork: true } : {}),
      containers: [{ name: 'c', ports: (s.ports ?? []).map((p) => ({ ...p })) }],
    },
    status: {
      phase: s.phase ?? 'Running',
      ...(ips[0] !== undefined ? { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } : {}),
    },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): V1Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

/** `spec` is the NetworkPolicy spec as JSON (ingress rules use `from`). */
export function policy(name: string, ns: string, spec: Record<string, unknown>): V1NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec } as V1NetworkPolicy;
}
