// Object validation for the embedded API server: a structural zod schema per
// kind (unknown fields pass through, as the real server prunes nothing for
// these built-in kinds we do not model), plus the name and label rules of
// k8s.io/apimachinery/pkg/util/validation (RFC 1123 subdomains and labels,
// RFC 1035 labels for Services, qualified names for label keys). Failures are
// 422 Invalid with one cause per field, like the real server.
import { isIP } from 'node:net';
import { z } from 'zod';
import { invalid, type StatusCause } from './errors.ts';
import { apiVersionOf, type JsonObject, type KindInfo } from './kinds.ts';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const qualifiedPart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** RFC 1123 subdomain: dot-separated RFC 1123 labels, at most 253 characters. */
export function isDns1123Subdomain(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split('.').every((l) => dns1123Label.test(l) && l.length <= 63);
}

export function isDns1123Label(s: string): boolean {
  return s.length > 0 && s.length <= 63 && dns1123Label.test(s);
}

export function isDns1035Label(s: string): boolean {
  return s.length > 0 && s.length <= 63 && dns1035Label.test(s);
}

/** A label or annotation key: [prefix/]name, prefix a DNS subdomain, name at most 63 characters. */
export function isQualifiedName(s: string): boolean {
  const slash = s.indexOf('/');
  const name = slash >= 0 ? s.slice(slash + 1) : s;
  if (slash >= 0 && !isDns1123Subdomain(s.slice(0, slash))) return false;
  return name.length > 0 && name.length <= 63 && qualifiedPart.test(name);
}

/** A label value: empty, or at most 63 characters of the qualified-name alphabet. */
export function isLabelValue(s: string): boolean {
  return s === '' || (s.length <= 63 && qualifiedPart.test(s));
}

const port = z.number().int().min(1).max(65535);
const protocol = z.enum(['TCP', 'UDP', 'SCTP']);
const ip = z.string().refine((s) => isIP(s) !== 0, 'must be a valid IP address');
const cidr = z.string().refine((s) => {
  const [addr, len, extra] = s.split('/');
  if (addr === undefined || len === undefined || extra !== undefined || !/^\d+$/.test(len)) return false;
  const fam = isIP(addr);
  return fam !== 0 && Number(len) <= (fam === 4 ? 32 : 128);
}, 'must be a valid CIDR');
const stringMap = z.record(z.string(), z.string());

const meta = z.looseObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z.array(z.looseObject({ apiVersion: z.string(), kind: z.string(), name: z.string(), uid: z.string() })).optional(),
});

const container = z.looseObject({
  name: z.string().refine(isDns1123Label, 'must be an RFC 1123 label'),
  image: z.string().min(1),
  ports: z.array(z.looseObject({ containerPort: port, protocol: protocol.optional(), name: z.string().optional() })).optional(),
});

const labelSelector = z.looseObject({
  matchLabels: stringMap.optional(),
  matchExpressions: z
    .array(z.looseObject({ key: z.string(), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()).optional() }))
    .optional(),
});

const npPort = z.looseObject({ protocol: protocol.optional(), port: z.union([z.number().int(), z.string()]).optional(), endPort: z.number().int().optional() });
const npPeer = z.looseObject({
  podSelector: labelSelector.optional(),
  namespaceSelector: labelSelector.optional(),
  ipBlock: z.looseObject({ cidr, except: z.array(cidr).optional() }).optional(),
});

const specs: Record<string, z.ZodType> = {
  Pod: z.looseObject({
    spec: z.looseObject({
      containers: z.array(container).min(1),
      initContainers: z.array(container).optional(),
      nodeName: z.string().optional(),
      hostNetwork: z.boolean().optional(),
    }),
    status: z.looseObject({
      phase: z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']).optional(),
      podIP: ip.optional(),
      podIPs: z.array(z.looseObject({ ip })).optional(),
      hostIP: ip.optional(),
    }).optional(),
  }),
  Node: z.looseObject({
    spec: z.looseObject({ podCIDR: cidr.optional(), podCIDRs: z.array(cidr).optional(), unschedulable: z.boolean().optional() }).optional(),
    status: z.looseObject({
      addresses: z.array(z.looseObject({ type: z.string(), address: z.string() })).optional(),
      conditions: z.array(z.looseObject({ type: z.string(), status: z.enum(['True', 'False', 'Unknown']) })).optional(),
    }).optional(),
  }),
  Namespace: z.looseObject({ spec: z.looseObject({ finalizers: z.array(z.string()).optional() }).optional() }),
  Service: z.looseObject({
    spec: z.looseObject({
      type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).optional(),
      clusterIP: z.string().refine((s) => s === '' || s === 'None' || isIP(s) !== 0, 'must be a valid IP address or "None"').optional(),
      ports: z
        .array(z.looseObject({
          port,
          targetPort: z.union([z.number().int().min(1).max(65535), z.string().min(1)]).optional(),
          nodePort: z.number().int().optional(),
          protocol: protocol.optional(),
          name: z.string().optional(),
        }))
        .optional(),
      selector: stringMap.optional(),
    }),
  }),
  Endpoints: z.looseObject({
    subsets: z
      .array(z.looseObject({
        addresses: z.array(z.looseObject({ ip })).optional(),
        notReadyAddresses: z.array(z.looseObject({ ip })).optional(),
        ports: z.array(z.looseObject({ port, protocol: protocol.optional(), name: z.string().optional() })).optional(),
      }))
      .optional(),
  }),
  EndpointSlice: z.looseObject({
    addressType: z.enum(['IPv4', 'IPv6', 'FQDN']),
    endpoints: z.array(z.looseObject({
      addresses: z.array(z.string()).min(1).max(100),
      conditions: z.looseObject({ ready: z.boolean().optional(), serving: z.boolean().optional(), terminating: z.boolean().optional() }).optional(),
      nodeName: z.string().optional(),
    })),
    ports: z.array(z.looseObject({ port: port.optional(), protocol: protocol.optional(), name: z.string().optional() })).optional(),
  }),
  NetworkPolicy: z.looseObject({
    spec: z.looseObject({
      podSelector: labelSelector,
      policyTypes: z.array(z.enum(['Ingress', 'Egress'])).optional(),
      ingress: z.array(z.looseObject({ from: z.array(npPeer).optional(), ports: z.array(npPort).optional() })).optional(),
      egress: z.array(z.looseObject({ to: z.array(npPeer).optional(), ports: z.array(npPort).optional() })).optional(),
    }),
  }),
};

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out;
}

const q = (v: unknown): string => JSON.stringify(v);

function nameCauses(kind: KindInfo, name: string): StatusCause[] {
  const field = 'metadata.name';
  if (name === '') return [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field }];
  if (kind.kind === 'Namespace' && !isDns1123Label(name)) {
    return [{ reason: 'FieldValueInvalid', message: `Invalid value: ${q(name)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`, field }];
  }
  if (kind.kind === 'Service' && !isDns1035Label(name)) {
    return [{ reason: 'FieldValueInvalid', message: `Invalid value: ${q(name)}: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character`, field }];
  }
  if (!isDns1123Subdomain(name)) {
    return [{ reason: 'FieldValueInvalid', message: `Invalid value: ${q(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`, field }];
  }
  return [];
}

function mapCauses(map: unknown, field: string, values: boolean): StatusCause[] {
  if (map === null || typeof map !== 'object') return [];
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries(map)) {
    if (!isQualifiedName(k)) {
      out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${q(k)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`, field });
    } else if (values && typeof v === 'string' && !isLabelValue(v)) {
      out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${q(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`, field: `${field}.${k}` });
    }
  }
  return out;
}

/**
 * Validates a fully defaulted object of `kind` (name already generated). Throws
 * 422 Invalid listing every bad field. The apiVersion/kind must match the kind.
 */
export function validateObject(kind: KindInfo, obj: JsonObject): void {
  const causes: StatusCause[] = [];
  const m = meta.safeParse(obj['metadata']);
  const md = m.success ? (m.data as Record<string, unknown>) : {};
  const name = typeof md['name'] === 'string' ? md['name'] : '';
  if (obj['kind'] !== kind.kind) {
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${q(obj['kind'])}: must be ${kind.kind}`, field: 'kind' });
  }
  if (obj['apiVersion'] !== apiVersionOf(kind)) {
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${q(obj['apiVersion'])}: must be ${apiVersionOf(kind)}`, field: 'apiVersion' });
  }
  if (!m.success) {
    for (const i of m.error.issues) causes.push({ reason: 'FieldValueInvalid', message: i.message, field: fieldPath(['metadata', ...i.path]) });
  } else {
    causes.push(...nameCauses(kind, name));
    causes.push(...mapCauses(md['labels'], 'metadata.labels', true));
    causes.push(...mapCauses(md['annotations'], 'metadata.annotations', false));
    const ns = typeof md['namespace'] === 'string' ? md['namespace'] : '';
    if (kind.namespaced && !isDns1123Label(ns)) {
      causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${q(ns)}: a namespace must be an RFC 1123 label`, field: 'metadata.namespace' });
    }
  }
  const spec = specs[kind.kind];
  if (spec !== undefined) {
    const r = spec.safeParse(obj);
    if (!r.success) {
      for (const i of r.error.issues) {
        const required = i.code === 'invalid_type' && i.message.includes('received undefined');
        causes.push({
          reason: required ? 'FieldValueRequired' : 'FieldValueInvalid',
          message: required ? 'Required value' : `Invalid value: ${i.message}`,
          field: fieldPath(i.path),
        });
      }
    }
  }
  if (causes.length > 0) throw invalid(kind.kind, kind.group, name, causes);
}
