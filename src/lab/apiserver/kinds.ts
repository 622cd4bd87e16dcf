// The resource registry of the embedded API server: one descriptor per kind it
// serves (group, version, plural, scope, short names, status subresource,
// field selectors and strategic-merge list keys). Everything else (routing,
// discovery, validation, tables, patching) reads these descriptors instead of
// switching on kind names. Mirrors the Kubernetes API conventions
// (api-conventions.md "Resources", "Subresources").

/** The kinds the server serves. */
export type KindName = 'Node' | 'Pod' | 'Namespace' | 'Service' | 'Endpoints' | 'EndpointSlice' | 'NetworkPolicy';

/** How a list field merges under strategic merge patch (patchStrategy/patchMergeKey in k8s.io/api). */
export type ListStrategy = { readonly merge: 'key'; readonly key: string } | { readonly merge: 'set' };

export interface KindInfo {
  readonly kind: KindName;
  readonly group: string; // '' for core
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly hasStatus: boolean;
  /** Field selector keys besides metadata.name / metadata.namespace, with their getters. */
  readonly fields: Readonly<Record<string, (obj: JsonObject) => string>>;
  /** Strategic-merge list strategies by dotted path (array elements are not in the path). */
  readonly lists: Readonly<Record<string, ListStrategy>>;
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** Reads a dotted path of plain fields as a string ('' when absent), for field selectors. */
export function fieldAt(obj: JsonObject, path: string): string {
  let cur: Json | undefined = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return '';
    cur = cur[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

const f = (path: string) => (obj: JsonObject): string => fieldAt(obj, path);

const byName: ListStrategy = { merge: 'key', key: 'name' };
const byType: ListStrategy = { merge: 'key', key: 'type' };
const set: ListStrategy = { merge: 'set' };

// Shared by every kind: metadata lists (ObjectMeta in k8s.io/apimachinery).
const metaLists: Record<string, ListStrategy> = {
  'metadata.finalizers': set,
  'metadata.ownerReferences': { merge: 'key', key: 'uid' },
};

const containerLists = (prefix: string): Record<string, ListStrategy> => ({
  [prefix]: byName,
  [`${prefix}.ports`]: { merge: 'key', key: 'containerPort' },
  [`${prefix}.env`]: byName,
  [`${prefix}.volumeMounts`]: { merge: 'key', key: 'mountPath' },
  [`${prefix}.volumeDevices`]: { merge: 'key', key: 'devicePath' },
});

const kindList: readonly KindInfo[] = [
  {
    kind: 'Node', group: '', version: 'v1', plural: 'nodes', singular: 'node', namespaced: false,
    shortNames: ['no'], categories: [], hasStatus: true,
    fields: { 'spec.unschedulable': (o) => fieldAt(o, 'spec.unschedulable') || 'false' },
    lists: {
      ...metaLists,
      'spec.podCIDRs': set,
      'status.conditions': byType,
      'status.addresses': byType,
    },
  },
  {
    kind: 'Pod', group: '', version: 'v1', plural: 'pods', singular: 'pod', namespaced: true,
    shortNames: ['po'], categories: ['all'], hasStatus: true,
    fields: {
      'spec.nodeName': f('spec.nodeName'),
      'spec.restartPolicy': f('spec.restartPolicy'),
      'spec.schedulerName': f('spec.schedulerName'),
      'spec.serviceAccountName': f('spec.serviceAccountName'),
      'spec.hostNetwork': (o) => fieldAt(o, 'spec.hostNetwork') || 'false',
      'status.phase': f('status.phase'),
      'status.podIP': f('status.podIP'),
      'status.nominatedNodeName': f('status.nominatedNodeName'),
    },
    lists: {
      ...metaLists,
      ...containerLists('spec.containers'),
      ...containerLists('spec.initContainers'),
      ...containerLists('spec.ephemeralContainers'),
      'spec.volumes': byName,
      'spec.imagePullSecrets': byName,
      'spec.hostAliases': { merge: 'key', key: 'ip' },
      'spec.readinessGates': { merge: 'key', key: 'conditionType' },
      'status.conditions': byType,
      'status.podIPs': { merge: 'key', key: 'ip' },
      'status.hostIPs': { merge: 'key', key: 'ip' },
    },
  },
  {
    kind: 'Namespace', group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', namespaced: false,
    shortNames: ['ns'], categories: [], hasStatus: true,
    fields: { 'status.phase': f('status.phase') },
    lists: { ...metaLists, 'status.conditions': byType },
  },
  {
    kind: 'Service', group: '', version: 'v1', plural: 'services', singular: 'service', namespaced: true,
    shortNames: ['svc'], categories: ['all'], hasStatus: true,
    fields: { 'spec.clusterIP': f('spec.clusterIP'), 'spec.type': f('spec.type') },
    lists: { ...metaLists, 'spec.ports': { merge: 'key', key: 'port' }, 'status.conditions': byType },
  },
  {
    kind: 'Endpoints', group: '', version: 'v1', plural: 'endpoints', singular: 'endpoints', namespaced: true,
    shortNames: ['ep'], categories: [], hasStatus: false, fields: {}, lists: { ...metaLists },
  },
  {
    kind: 'EndpointSlice', group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', singular: 'endpointslice',
    namespaced: true, shortNames: [], categories: [], hasStatus: false,
    fields: { addressType: f('addressType') }, lists: { ...metaLists },
  },
  {
    kind: 'NetworkPolicy', group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', singular: 'networkpolicy',
    namespaced: true, shortNames: ['netpol'], categories: [], hasStatus: false, fields: {}, lists: { ...metaLists },
  },
];

export const kinds: ReadonlyMap<KindName, KindInfo> = new Map(kindList.map((k) => [k.kind, k]));

export const allKinds: readonly KindInfo[] = kindList;

export function kindInfo(kind: KindName): KindInfo {
  const k = kinds.get(kind);
  if (k === undefined) throw new Error(`unknown kind ${kind}`);
  return k;
}

export function isKindName(s: string): s is KindName {
  return kinds.has(s as KindName);
}

/** "v1" for core, "group/version" otherwise. */
export function apiVersionOf(k: KindInfo): string {
  return k.group === '' ? k.version : `${k.group}/${k.version}`;
}

/** Finds the kind served at (group, version, plural). */
export function kindByPlural(group: string, version: string, plural: string): KindInfo | undefined {
  return kindList.find((k) => k.group === group && k.version === version && k.plural === plural);
}

/** The API groups served, in discovery order (core first). */
export function groups(): { group: string; version: string; kinds: KindInfo[] }[] {
  const out: { group: string; version: string; kinds: KindInfo[] }[] = [];
  for (const k of kindList) {
    let g = out.find((x) => x.group === k.group && x.version === k.version);
    if (g === undefined) {
      g = { group: k.group, version: k.version, kinds: [] };
      out.push(g);
    }
    g.kinds.push(k);
  }
  return out;
}
