// Defaulting done by the real API server for the kinds we serve (the
// SetDefaults_* functions of k8s.io/kubernetes/pkg/apis/*/v1 and the create
// strategies): protocol TCP on ports, Service type / targetPort / ClusterIP
// allocation from the service CIDR, Pod phase Pending, Namespace phase Active
// and its kubernetes.io/metadata.name label, NetworkPolicy policyTypes.
// Pure functions over plain JSON; returns new objects.
import type { Json, JsonObject, KindInfo } from './kinds.ts';
import { isObject } from './patch.ts';

/** Allocation context: what the store already holds. */
export interface DefaultsContext {
  /** ClusterIPs in use by other Services. */
  readonly usedClusterIPs: ReadonlySet<string>;
  /** NodePorts in use by other Services. */
  readonly usedNodePorts: ReadonlySet<number>;
}

const SERVICE_CIDR_BASE = (10 << 24) | (96 << 16); // 10.96.0.0/12
const SERVICE_CIDR_SIZE = 1 << 20;

function ipv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The lowest free address of 10.96.0.0/12 (network address excluded). */
export function allocateClusterIP(used: ReadonlySet<string>): string {
  for (let i = 1; i < SERVICE_CIDR_SIZE - 1; i++) {
    const ip = ipv4((SERVICE_CIDR_BASE + i) >>> 0);
    if (!used.has(ip)) return ip;
  }
  throw new Error('service CIDR exhausted');
}

const obj = (v: Json | undefined): JsonObject => (isObject(v) ? { ...v } : {});
const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);

function withProtocol(ports: Json | undefined): Json[] | undefined {
  if (!Array.isArray(ports)) return undefined;
  return ports.map((p) => (isObject(p) && p['protocol'] === undefined ? { ...p, protocol: 'TCP' } : p));
}

function defaultPodSpec(spec: JsonObject): JsonObject {
  const out: JsonObject = {
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
    schedulerName: 'default-scheduler',
    terminationGracePeriodSeconds: 30,
    ...spec,
  };
  for (const field of ['containers', 'initContainers']) {
    if (!Array.isArray(spec[field])) continue;
    out[field] = list(spec[field]).map((c) => {
      if (!isObject(c)) return c;
      const p = withProtocol(c['ports']);
      return p === undefined ? c : { ...c, ports: p };
    });
  }
  return out;
}

function defaultService(spec: JsonObject, ctx: DefaultsContext): JsonObject {
  const out: JsonObject = { type: 'ClusterIP', sessionAffinity: 'None', ...spec };
  if (out['type'] !== 'ExternalName') {
    out['internalTrafficPolicy'] ??= 'Cluster';
    const ports: Json[] = list(out['ports']).map((p): Json =>
      isObject(p) ? { protocol: 'TCP', ...p, targetPort: p['targetPort'] ?? p['port'] ?? null } : p,
    );
    if (out['type'] === 'NodePort' || out['type'] === 'LoadBalancer') {
      out['externalTrafficPolicy'] ??= 'Cluster';
      let next = 30000;
      for (let i = 0; i < ports.length; i++) {
        const p = ports[i];
        if (!isObject(p) || typeof p['nodePort'] === 'number') continue;
        while (ctx.usedNodePorts.has(next) || ports.some((q) => isObject(q) && q['nodePort'] === next)) next++;
        ports[i] = { ...p, nodePort: next };
      }
    }
    if (Array.isArray(out['ports'])) out['ports'] = ports;
    const ip = typeof out['clusterIP'] === 'string' && out['clusterIP'] !== '' ? out['clusterIP'] : allocateClusterIP(ctx.usedClusterIPs);
    out['clusterIP'] = ip;
    if (ip !== 'None') {
      out['clusterIPs'] ??= [ip];
      out['ipFamilies'] ??= [ip.includes(':') ? 'IPv6' : 'IPv4'];
      out['ipFamilyPolicy'] ??= 'SingleStack';
    }
  }
  return out;
}

/** Fills server defaults into an object of `kind` about to be stored. */
export function applyDefaults(kind: KindInfo, o: JsonObject, ctx: DefaultsContext): JsonObject {
  const out: JsonObject = { ...o };
  switch (kind.kind) {
    case 'Pod':
      out['spec'] = defaultPodSpec(obj(o['spec']));
      out['status'] = { phase: 'Pending', ...obj(o['status']) };
      break;
    case 'Namespace': {
      const meta = obj(o['metadata']);
      meta['labels'] = { ...obj(meta['labels']), 'kubernetes.io/metadata.name': String(meta['name'] ?? '') };
      out['metadata'] = meta;
      out['spec'] = { finalizers: ['kubernetes'], ...obj(o['spec']) };
      out['status'] = { phase: 'Active', ...obj(o['status']) };
      break;
    }
    case 'Service':
      out['spec'] = defaultService(obj(o['spec']), ctx);
      out['status'] = { loadBalancer: {}, ...obj(o['status']) };
      break;
    case 'Endpoints':
      if (Array.isArray(o['subsets'])) {
        out['subsets'] = o['subsets'].map((s) => {
          if (!isObject(s)) return s;
          const p = withProtocol(s['ports']);
          return p === undefined ? s : { ...s, ports: p };
        });
      }
      break;
    case 'EndpointSlice': {
      out['endpoints'] = list(o['endpoints']);
      // SetDefaults_EndpointPort: name "" and protocol TCP (kubectl describe dereferences both).
      const p = withProtocol(o['ports']);
      if (p !== undefined) out['ports'] = p.map((x) => (isObject(x) && x['name'] === undefined ? { ...x, name: '' } : x));
      break;
    }
    case 'NetworkPolicy': {
      const spec = obj(o['spec']);
      if (!Array.isArray(spec['policyTypes'])) {
        spec['policyTypes'] = Array.isArray(spec['egress']) ? ['Ingress', 'Egress'] : ['Ingress'];
      }
      out['spec'] = spec;
      break;
    }
    case 'Node':
      break;
  }
  return out;
}
