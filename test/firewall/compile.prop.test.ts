// Property tests of the firewall compiler (fast-check):
//  - label selectors agree with an independent reference reading;
//  - permuting the input lists never changes a byte of the output;
//  - for random clusters and policies, the compiled chains (walked by sim.ts)
//    allow exactly the pod-to-pod connections a direct reading of the
//    NetworkPolicy semantics allows.
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import type { V1LabelSelector, V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import { compileFirewall } from '../../firewall/compile.ts';
import type { FirewallInput } from '../../firewall/compile.ts';
import { selectorMatches } from '../../firewall/selectors.ts';
import { renderAll } from './render-all.ts';
import { evaluate } from './sim.ts';
import { namespace, pod, policy } from './objects.ts';

// --- reference semantics, written independently of firewall/ ---------------

type Req = { key: string; op: string; values: string[] };

function refSelector(sel: V1LabelSelector, labels: Record<string, string>): boolean {
  const reqs: Req[] = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({ key, op: 'In', values: [v] }));
  for (const e of sel.matchExpressions ?? []) reqs.push({ key: e.key, op: e.operator, values: e.values ?? [] });
  return reqs.every((r) => {
    const v = labels[r.key];
    if (r.op === 'In') return v !== undefined && r.values.includes(v);
    if (r.op === 'NotIn') return v === undefined || !r.values.includes(v);
    if (r.op === 'Exists') return v !== undefined;
    if (r.op === 'DoesNotExist') return v === undefined;
    return false;
  });
}

function ipInCidr(ip: string, cidr: string): boolean {
  const toN = (a: string): number => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const [net, len] = cidr.split('/');
  const size = 2 ** (32 - Number(len));
  return Math.floor(toN(ip) / size) === Math.floor(toN(net ?? '') / size);
}

interface Cluster {
  pods: V1Pod[];
  nsLabels: Record<string, Record<string, string>>;
  policies: V1NetworkPolicy[];
}

type Spec = Record<string, unknown>;
type Peer = { podSelector?: V1LabelSelector; namespaceSelector?: V1LabelSelector; ipBlock?: { cidr: string; except?: string[] } };
type Port = { protocol?: string; port?: number | string; endPort?: number };
type RuleJ = { from?: Peer[]; to?: Peer[]; ports?: Port[] };

function ns(p: V1Pod): string {
  return p.metadata?.namespace ?? '';
}
function ipOf(p: V1Pod): string {
  return p.status?.podIP ?? '';
}

/** Only Running or Pending pods count (as peers, and as pods to police). */
function live(p: V1Pod): boolean {
  return p.status?.phase === 'Running' || p.status?.phase === 'Pending';
}

function refPeer(c: Cluster, polNs: string, peer: Peer, other: V1Pod): boolean {
  if (peer.ipBlock !== undefined) {
    return ipInCidr(ipOf(other), peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((e) => ipInCidr(ipOf(other), e));
  }
  if (peer.podSelector === undefined && peer.namespaceSelector === undefined) return false;
  if (!live(other)) return false;
  const nsOk = peer.namespaceSelector === undefined ? ns(other) === polNs : refSelector(peer.namespaceSelector, c.nsLabels[ns(other)] ?? {});
  return nsOk && (peer.podSelector === undefined || refSelector(peer.podSelector, other.metadata?.labels ?? {}));
}

function refPort(port: Port, dst: V1Pod, proto: string, dport: number): boolean {
  const pr = port.protocol ?? 'TCP';
  if (pr.toLowerCase() !== proto) return false;
  if (port.port === undefined) return true;
  if (typeof port.port === 'string') {
    // A named port resolves only on a live pod (a finished pod's IP may be anyone's).
    if (!live(dst)) return false;
    const cp = (dst.spec?.containers ?? []).flatMap((k) => k.ports ?? []).find((x) => x.name === port.port && (x.protocol ?? 'TCP') === pr);
    return cp !== undefined && cp.containerPort === dport;
  }
  return dport >= port.port && dport <= (port.endPort ?? port.port);
}

function types(p: V1NetworkPolicy): string[] {
  const s = p.spec as Spec;
  const t = s['policyTypes'] as string[] | undefined;
  if (t !== undefined) return t;
  return ((s['egress'] as unknown[] | undefined) ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** Does direction `dir` of `self` allow talking with `other`? */
function refDirection(c: Cluster, self: V1Pod, other: V1Pod, dst: V1Pod, dir: 'Ingress' | 'Egress', proto: string, dport: number): boolean {
  if (!live(self)) return true;
  const applying = c.policies.filter(
    (p) => p.metadata?.namespace === ns(self) && refSelector(p.spec?.podSelector ?? {}, self.metadata?.labels ?? {}) && types(p).includes(dir),
  );
  if (applying.length === 0) return true;
  return applying.some((p) => {
    const rules = ((p.spec as Spec)[dir === 'Ingress' ? 'ingress' : 'egress'] as RuleJ[] | undefined) ?? [];
    return rules.some((r) => {
      const peers = dir === 'Ingress' ? r.from : r.to;
      const peerOk = peers === undefined || peers.length === 0 || peers.some((peer) => refPeer(c, ns(self), peer, other));
      const portOk = r.ports === undefined || r.ports.length === 0 || r.ports.some((pt) => refPort(pt, dst, proto, dport));
      return peerOk && portOk;
    });
  });
}

function refAllowed(c: Cluster, src: V1Pod, dst: V1Pod, proto: string, dport: number): boolean {
  if (src === dst) return true;
  const eg = src.spec?.nodeName !== 'node-a' || refDirection(c, src, dst, dst, 'Egress', proto, dport);
  const ing = dst.spec?.nodeName !== 'node-a' || refDirection(c, dst, src, dst, 'Ingress', proto, dport);
  return eg && ing;
}

// --- generators ---------------------------------------------------------------

const labelKeys = ['app', 'tier'] as const;
const labelVals = ['x', 'y'] as const;
const labelsArb = fc.record({ app: fc.constantFrom(...labelVals), tier: fc.constantFrom(...labelVals) }, { requiredKeys: [] });

const selectorArb: fc.Arbitrary<V1LabelSelector> = fc.record(
  {
    matchLabels: labelsArb,
    matchExpressions: fc.array(
      fc.record({
        key: fc.constantFrom(...labelKeys),
        operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist'),
        values: fc.uniqueArray(fc.constantFrom(...labelVals), { minLength: 1, maxLength: 2 }),
      }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
);

const peerArb: fc.Arbitrary<Peer> = fc.oneof(
  fc.record({ podSelector: selectorArb }),
  fc.record({ namespaceSelector: selectorArb }),
  fc.record({ podSelector: selectorArb, namespaceSelector: selectorArb }),
  fc.constantFrom<Peer>({ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.2.0/24'] } }, { ipBlock: { cidr: '10.244.1.0/24' } }),
);

const portArb: fc.Arbitrary<Port> = fc.constantFrom<Port>(
  { port: 80 },
  { protocol: 'TCP', port: 80, endPort: 90 },
  { protocol: 'UDP', port: 53 },
  { port: 'http' },
  { protocol: 'UDP', port: 'dns' },
  { protocol: 'UDP' },
);

const ruleArb = fc.record(
  { peers: fc.option(fc.array(peerArb, { maxLength: 2 }), { nil: undefined }), ports: fc.option(fc.array(portArb, { maxLength: 2 }), { nil: undefined }) },
);

const policyArb = fc.record({
  ns: fc.constantFrom('a', 'b'),
  podSelector: selectorArb,
  policyTypes: fc.constantFrom(undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress']),
  ingress: fc.option(fc.array(ruleArb, { maxLength: 2 }), { nil: undefined }),
  egress: fc.option(fc.array(ruleArb, { maxLength: 2 }), { nil: undefined }),
});

const podArb = fc.record({
  ns: fc.constantFrom('a', 'b'),
  local: fc.boolean(),
  labels: labelsArb,
  http: fc.constantFrom(undefined, 80, 85, 8080),
  dns: fc.boolean(),
  phase: fc.constantFrom('Running', 'Running', 'Running', 'Pending', 'Succeeded'),
});

const clusterArb = fc.record({
  pods: fc.array(podArb, { minLength: 1, maxLength: 7 }),
  nsA: labelsArb,
  nsB: labelsArb,
  policies: fc.array(policyArb, { maxLength: 3 }),
});

type ClusterGen = typeof clusterArb extends fc.Arbitrary<infer T> ? T : never;

function build(g: ClusterGen): { input: FirewallInput; cluster: Cluster } {
  const pods = g.pods.map((p, i) =>
    pod(`p${i}`, {
      ns: p.ns,
      node: p.local ? 'node-a' : 'node-b',
      ip: `10.244.${p.local ? 1 : 2}.${10 + i}`,
      labels: { ...p.labels },
      phase: p.phase,
      ports: [
        ...(p.http !== undefined ? [{ name: 'http', containerPort: p.http }] : []),
        ...(p.dns ? [{ name: 'dns', containerPort: 53, protocol: 'UDP' }] : []),
      ],
    }),
  );
  const policies = g.policies.map((p, i) => {
    const spec: Spec = { podSelector: p.podSelector };
    if (p.policyTypes !== undefined) spec['policyTypes'] = p.policyTypes;
    const rules = (rs: typeof p.ingress, key: 'from' | 'to'): RuleJ[] | undefined =>
      rs?.map((r) => ({ ...(r.peers !== undefined ? { [key]: r.peers } : {}), ...(r.ports !== undefined ? { ports: r.ports } : {}) }));
    if (p.ingress !== undefined) spec['ingress'] = rules(p.ingress, 'from');
    if (p.egress !== undefined) spec['egress'] = rules(p.egress, 'to');
    return policy(`np${i}`, p.ns, spec);
  });
  const namespaces = [namespace('a', { ...g.nsA }), namespace('b', { ...g.nsB })];
  const nsLabels: Record<string, Record<string, string>> = {};
  for (const n of namespaces) nsLabels[n.metadata?.name ?? ''] = n.metadata?.labels ?? {};
  return {
    input: { nodeName: 'node-a', podCidrs: ['10.244.1.0/24'], pods, namespaces, policies, options: { families: ['inet'] } },
    cluster: { pods, nsLabels, policies },
  };
}

function shuffle<T>(xs: readonly T[], keys: readonly number[]): T[] {
  return xs.map((x, i) => ({ x, k: keys[i % Math.max(1, keys.length)] ?? 0, i })).sort((a, b) => a.k - b.k || b.i - a.i).map((e) => e.x);
}

describe('firewall/compile: properties', () => {
  it('label selectors agree with the reference reading', () => {
    fc.assert(
      fc.property(selectorArb, labelsArb, (sel, labels) => {
        assert.equal(selectorMatches(sel, labels), refSelector(sel, labels));
      }),
      { numRuns: 2000 },
    );
  });

  it('permuting pods, namespaces and policies never changes the output', () => {
    fc.assert(
      fc.property(clusterArb, fc.array(fc.integer(), { minLength: 1, maxLength: 8 }), (g, keys) => {
        const { input } = build(g);
        const a = renderAll(compileFirewall(input));
        const b = renderAll(
          compileFirewall({ ...input, pods: shuffle(input.pods, keys), namespaces: shuffle(input.namespaces, keys), policies: shuffle(input.policies, keys) }),
        );
        assert.equal(b.iptables, a.iptables);
        assert.equal(b.ipset, a.ipset);
      }),
      { numRuns: 150 },
    );
  });

  it('compiled chains allow exactly what the NetworkPolicy semantics allow (every pod pair, port and protocol)', () => {
    fc.assert(
      fc.property(clusterArb, (g) => {
        const { input, cluster } = build(g);
        const fw = compileFirewall(input).families[0];
        assert.ok(fw !== undefined);
        for (const src of cluster.pods) {
          for (const dst of cluster.pods) {
            for (const proto of ['tcp', 'udp'] as const) {
              for (const dport of [53, 80, 85, 90, 8080, 9999]) {
                const v = evaluate(fw, { hook: 'FORWARD', src: ipOf(src), dst: ipOf(dst), proto, dport, local: ['198.18.0.1'] });
                const want = refAllowed(cluster, src, dst, proto, dport);
                assert.equal(v.verdict, want ? 'continue' : 'deny', `${src.metadata?.name} -> ${dst.metadata?.name}:${dport}/${proto}`);
              }
            }
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});
