// Server-side printing: meta.k8s.io/v1 Table responses (requested with
// "Accept: application/json;as=Table;v=v1;g=meta.k8s.io"), which is what
// kubectl get prints. Columns follow the real server's printers
// (k8s.io/kubernetes/pkg/printers/internalversion) for each kind; priority-1
// columns are the extra ones kubectl shows with -o wide.
import type { Json, JsonObject, KindName } from './kinds.ts';
import { isObject } from './patch.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

interface Column {
  readonly name: string;
  readonly type: 'string' | 'integer';
  readonly priority: 0 | 1;
  readonly cell: (o: JsonObject, now: number) => string | number;
}

const get = (o: Json | undefined, path: string): Json | undefined => {
  let cur: Json | undefined = o;
  for (const p of path.split('.')) cur = isObject(cur) ? cur[p] : undefined;
  return cur;
};
const str = (o: Json | undefined, path: string, dflt = '<none>'): string => {
  const v = get(o, path);
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : dflt;
};
const arr = (o: Json | undefined, path: string): Json[] => {
  const v = get(o, path);
  return Array.isArray(v) ? v : [];
};

/** Like Kubernetes' duration.HumanDuration: "45s", "5m3s", "3h20m", "4d2h", "2y3d". */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (h < 24 * 365 * 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

const name: Column = { name: 'Name', type: 'string', priority: 0, cell: (o) => str(o, 'metadata.name', '') };
const age: Column = {
  name: 'Age',
  type: 'string',
  priority: 0,
  cell: (o, now) => {
    const t = Date.parse(str(o, 'metadata.creationTimestamp', ''));
    return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
  },
};

function selectorText(sel: Json | undefined): string {
  if (!isObject(sel)) return '<none>';
  const parts = Object.entries(sel).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length === 0 ? '<none>' : parts.join(',');
}

function listMore(items: string[]): string {
  if (items.length === 0) return '<none>';
  return items.length > 3 ? `${items.slice(0, 3).join(',')} + ${items.length - 3} more...` : items.join(',');
}

function nodeStatus(o: JsonObject): string {
  const ready = arr(o, 'status.conditions').find((c) => isObject(c) && c['type'] === 'Ready');
  let s = !isObject(ready) ? 'Unknown' : ready['status'] === 'True' ? 'Ready' : ready['status'] === 'False' ? 'NotReady' : 'Unknown';
  if (get(o, 'spec.unschedulable') === true) s += ',SchedulingDisabled';
  return s;
}

function nodeAddress(o: JsonObject, type: string): string {
  const a = arr(o, 'status.addresses').find((x) => isObject(x) && x['type'] === type);
  return isObject(a) && typeof a['address'] === 'string' ? a['address'] : '<none>';
}

function podStatus(o: JsonObject): string {
  if (get(o, 'metadata.deletionTimestamp') !== undefined) return 'Terminating';
  return str(o, 'status.reason', str(o, 'status.phase', 'Unknown'));
}

function servicePorts(o: JsonObject): string {
  const ports = arr(o, 'spec.ports').filter(isObject).map((p) => {
    const node = typeof p['nodePort'] === 'number' ? `:${p['nodePort']}` : '';
    return `${String(p['port'])}${node}/${String(p['protocol'] ?? 'TCP')}`;
  });
  return ports.length === 0 ? '<none>' : ports.join(',');
}

function serviceExternal(o: JsonObject): string {
  const type = str(o, 'spec.type', 'ClusterIP');
  if (type === 'ExternalName') return str(o, 'spec.externalName');
  const ext = arr(o, 'spec.externalIPs').map(String);
  const lb = arr(o, 'status.loadBalancer.ingress').filter(isObject).map((i) => String(i['ip'] ?? i['hostname'] ?? ''));
  const all = [...lb, ...ext];
  if (all.length > 0) return all.join(',');
  return type === 'LoadBalancer' ? '<pending>' : '<none>';
}

function endpointsText(o: JsonObject): string {
  const out: string[] = [];
  for (const s of arr(o, 'subsets').filter(isObject)) {
    const ports = arr(s, 'ports').filter(isObject).map((p) => p['port']);
    for (const a of arr(s, 'addresses').filter(isObject)) {
      if (ports.length === 0) out.push(String(a['ip']));
      for (const p of ports) out.push(`${String(a['ip'])}:${String(p)}`);
    }
  }
  return listMore(out);
}

const columns: Record<KindName, readonly Column[]> = {
  Node: [
    name,
    { name: 'Status', type: 'string', priority: 0, cell: nodeStatus },
    {
      name: 'Roles', type: 'string', priority: 0,
      cell: (o) => {
        const labels = get(o, 'metadata.labels');
        const roles = isObject(labels) ? Object.keys(labels).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice(24)) : [];
        return roles.length === 0 ? '<none>' : roles.sort().join(',');
      },
    },
    age,
    { name: 'Version', type: 'string', priority: 0, cell: (o) => str(o, 'status.nodeInfo.kubeletVersion', '') },
    { name: 'Internal-IP', type: 'string', priority: 1, cell: (o) => nodeAddress(o, 'InternalIP') },
    { name: 'External-IP', type: 'string', priority: 1, cell: (o) => nodeAddress(o, 'ExternalIP') },
    { name: 'OS-Image', type: 'string', priority: 1, cell: (o) => str(o, 'status.nodeInfo.osImage', '<unknown>') },
    { name: 'Kernel-Version', type: 'string', priority: 1, cell: (o) => str(o, 'status.nodeInfo.kernelVersion', '<unknown>') },
    { name: 'Container-Runtime', type: 'string', priority: 1, cell: (o) => str(o, 'status.nodeInfo.containerRuntimeVersion', '<unknown>') },
  ],
  Pod: [
    name,
    {
      name: 'Ready', type: 'string', priority: 0,
      cell: (o) => {
        const ready = arr(o, 'status.containerStatuses').filter((c) => isObject(c) && c['ready'] === true).length;
        return `${ready}/${arr(o, 'spec.containers').length}`;
      },
    },
    { name: 'Status', type: 'string', priority: 0, cell: podStatus },
    {
      name: 'Restarts', type: 'integer', priority: 0,
      cell: (o) => arr(o, 'status.containerStatuses').reduce<number>((n, c) => n + (isObject(c) && typeof c['restartCount'] === 'number' ? c['restartCount'] : 0), 0),
    },
    age,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => str(o, 'status.podIP') },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => str(o, 'spec.nodeName') },
    { name: 'Nominated Node', type: 'string', priority: 1, cell: (o) => str(o, 'status.nominatedNodeName') },
    { name: 'Readiness Gates', type: 'string', priority: 1, cell: (o) => (arr(o, 'spec.readinessGates').length === 0 ? '<none>' : String(arr(o, 'spec.readinessGates').length)) },
  ],
  Namespace: [name, { name: 'Status', type: 'string', priority: 0, cell: (o) => str(o, 'status.phase', '') }, age],
  Service: [
    name,
    { name: 'Type', type: 'string', priority: 0, cell: (o) => str(o, 'spec.type', 'ClusterIP') },
    { name: 'Cluster-IP', type: 'string', priority: 0, cell: (o) => str(o, 'spec.clusterIP') },
    { name: 'External-IP', type: 'string', priority: 0, cell: serviceExternal },
    { name: 'Port(s)', type: 'string', priority: 0, cell: servicePorts },
    age,
    { name: 'Selector', type: 'string', priority: 1, cell: (o) => selectorText(get(o, 'spec.selector')) },
  ],
  Endpoints: [name, { name: 'Endpoints', type: 'string', priority: 0, cell: endpointsText }, age],
  EndpointSlice: [
    name,
    { name: 'AddressType', type: 'string', priority: 0, cell: (o) => str(o, 'addressType', '') },
    {
      name: 'Ports', type: 'string', priority: 0,
      cell: (o) => {
        const ports = arr(o, 'ports').filter(isObject).map((p) => (typeof p['port'] === 'number' ? String(p['port']) : '<unset>'));
        return ports.length === 0 ? '<unset>' : ports.join(',');
      },
    },
    {
      name: 'Endpoints', type: 'string', priority: 0,
      cell: (o) => listMore(arr(o, 'endpoints').filter(isObject).flatMap((e) => arr(e, 'addresses').map(String))),
    },
    age,
  ],
  NetworkPolicy: [name, { name: 'Pod-Selector', type: 'string', priority: 0, cell: (o) => selectorText(get(o, 'spec.podSelector.matchLabels')) }, age],
};

function rowObject(o: JsonObject, include: IncludeObject): JsonObject | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: isObject(o['metadata']) ? o['metadata'] : {} };
}

/** A Table of `items` of one kind; `meta` becomes the Table's list metadata. */
export function toTable(kind: KindName, items: readonly JsonObject[], meta: JsonObject, include: IncludeObject, now = Date.now()): JsonObject {
  const cols = columns[kind];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    columnDefinitions: cols.map((c) => ({
      name: c.name,
      type: c.type,
      format: c === name ? 'name' : '',
      description: c === name ? 'Name must be unique within a namespace.' : c.name,
      priority: c.priority,
    })),
    rows: items.map((o) => {
      const row: JsonObject = { cells: cols.map((c) => c.cell(o, now)) };
      const obj = rowObject(o, include);
      if (obj !== undefined) row['object'] = obj;
      return row;
    }),
  };
}
