// NetworkPolicy ports: protocol defaulting, numeric ports and endPort ranges,
// and named ports resolved against one pod's container ports. A named port
// can mean a different number on every pod, so it is resolved per
// destination pod. No RFCs; semantics per the Kubernetes API reference
// (NetworkPolicyPort, ContainerPort).
import type { V1NetworkPolicyPort, V1Pod } from '@kubernetes/client-node';
import type { L4Protocol, PortRange } from '../src/kernel/iptables/model.ts';

/** One entry of a rule's `ports`, parsed. */
export type PolicyPort =
  | { readonly kind: 'any'; readonly proto: L4Protocol }
  | { readonly kind: 'number'; readonly proto: L4Protocol; readonly range: PortRange }
  | { readonly kind: 'named'; readonly proto: L4Protocol; readonly name: string };

export function parseProtocol(p: string | undefined): L4Protocol | undefined {
  switch (p ?? 'TCP') {
    case 'TCP':
      return 'tcp';
    case 'UDP':
      return 'udp';
    case 'SCTP':
      return 'sctp';
    default:
      return undefined;
  }
}

function validPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/**
 * Parses one policy port; undefined means it can match nothing (unknown
 * protocol, out-of-range number, endPort below port) and is dropped.
 * The API server sends `port` as a number or a string; a string of digits is
 * a number (intstr), anything else is a name.
 */
export function parsePolicyPort(p: V1NetworkPolicyPort): PolicyPort | undefined {
  const proto = parseProtocol(p.protocol);
  if (proto === undefined) return undefined;
  const raw: unknown = p.port;
  if (raw === undefined || raw === null) return { kind: 'any', proto };
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^[0-9]+$/.test(raw) ? Number(raw) : undefined;
  if (n === undefined) {
    if (typeof raw !== 'string' || raw === '') return undefined;
    return { kind: 'named', proto, name: raw };
  }
  if (!validPort(n)) return undefined;
  if (p.endPort === undefined) return { kind: 'number', proto, range: { from: n } };
  if (!validPort(p.endPort) || p.endPort < n) return undefined;
  return { kind: 'number', proto, range: p.endPort === n ? { from: n } : { from: n, to: p.endPort } };
}

/**
 * The number a named port has on `pod`: the first container port (init
 * containers excluded) with that name and protocol, or undefined.
 */
export function resolveNamedPort(pod: V1Pod, name: string, proto: L4Protocol): number | undefined {
  let table = namedPorts.get(pod);
  if (table === undefined) {
    table = new Map();
    for (const c of pod.spec?.containers ?? []) {
      for (const cp of c.ports ?? []) {
        const pr = parseProtocol(cp.protocol);
        const key = `${pr ?? ''}/${cp.name ?? ''}`;
        if (cp.name !== undefined && pr !== undefined && validPort(cp.containerPort) && !table.has(key)) table.set(key, cp.containerPort);
      }
    }
    namedPorts.set(pod, table);
  }
  return table.get(`${proto}/${name}`);
}

/** Per pod object: "proto/name" -> number. Objects from the cache are replaced, never mutated, on change. */
const namedPorts = new WeakMap<V1Pod, Map<string, number>>();
