// The Kubernetes resources podnet's controllers read, with their list/watch
// paths. One descriptor per resource; caches and RBAC are derived from them.
import type { V1EndpointSlice, V1Namespace, V1NetworkPolicy, V1Node, V1Pod, V1Service } from '@kubernetes/client-node';

export interface ResourceDesc {
  /** Name used by controllers' `watches` and by metrics. */
  readonly resource: 'nodes' | 'pods' | 'namespaces' | 'services' | 'endpointslices' | 'networkpolicies';
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

export const resources = {
  nodes: { resource: 'nodes', group: '', version: 'v1', kind: 'Node', namespaced: false },
  pods: { resource: 'pods', group: '', version: 'v1', kind: 'Pod', namespaced: true },
  namespaces: { resource: 'namespaces', group: '', version: 'v1', kind: 'Namespace', namespaced: false },
  services: { resource: 'services', group: '', version: 'v1', kind: 'Service', namespaced: true },
  endpointslices: { resource: 'endpointslices', group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', namespaced: true },
  networkpolicies: { resource: 'networkpolicies', group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', namespaced: true },
} as const satisfies Record<string, ResourceDesc>;

export type ResourceName = keyof typeof resources;

/** The object type held in each cache (JSON as the API server sends it). */
export interface ResourceTypes {
  nodes: V1Node;
  pods: V1Pod;
  namespaces: V1Namespace;
  services: V1Service;
  endpointslices: V1EndpointSlice;
  networkpolicies: V1NetworkPolicy;
}

/** Cluster-wide collection path, e.g. /apis/discovery.k8s.io/v1/endpointslices. */
export function collectionPath(d: ResourceDesc): string {
  const base = d.group === '' ? `/api/${d.version}` : `/apis/${d.group}/${d.version}`;
  return `${base}/${d.resource}`;
}

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly resourceVersion?: string;
}

/** Cache key: namespace/name, or name for cluster-scoped objects. */
export function keyOf(obj: { metadata?: ObjectMeta }): string {
  const m = obj.metadata ?? {};
  return m.namespace !== undefined && m.namespace !== '' ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
}
