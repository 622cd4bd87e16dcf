// The firewall compiler: pods, namespaces, NetworkPolicies, this node's name
// and pod CIDRs in; per family, the chains, ipsets and built-in jumps podnet
// wants, as typed data keyed by name with content hashes and owners, out.
// Pure (no I/O, no clock) and deterministic (sorted everywhere).
//
// Packet path (filter table, per family):
//   INPUT/FORWARD/OUTPUT -1-> PODNET-INPUT/FORWARD/OUTPUT
//     [default deny] -> PODNET-UNPROGRAMMED: pod-CIDR addresses that are not a
//        programmed local pod are logged and rejected
//     FORWARD and OUTPUT (OUTPUT sees pod traffic after IPVS DNAT):
//     -s podIP -> PODNET-FWE-<pod> (egress)   -d podIP -> PODNET-FWI-<pod> (ingress)
//   pod chain: PODNET-COMMON (ESTABLISHED,RELATED accept; INVALID drop),
//     node<->pod and pod-to-itself unpoliced, jumps to each selecting policy's
//     PODNET-NP?-<policy> chain (a rule that matches sets the allow mark: the
//     union of policies), then NFLOG + REJECT/DROP when unmarked, then clear
//     the mark and return, so egress of the source and ingress of the
//     destination both get their say on the same packet.
// Only local pods get chains; a pod no policy selects in a direction is not
// restricted in that direction. RFC 4861 (IPv6 neighbour discovery is let
// through); otherwise semantics per networking.k8s.io/v1.
import type { V1Namespace, V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import { ipFamilies } from '../src/kernel/iptables/model.ts';
import type { BuiltinJump, Chain, IpFamily, Match, Rule } from '../src/kernel/iptables/model.ts';
import { renderChainRules } from '../src/kernel/iptables/render.ts';
import { setHash } from '../src/kernel/ipset.ts';
import type { IpSet } from '../src/kernel/ipset.ts';
import { createHash } from 'node:crypto';
import { buildView, cidrFamily } from './cluster.ts';
import type { ClusterView, PodView } from './cluster.ts';
import { CHAIN_COMMON, CHAIN_FORWARD, CHAIN_INPUT, CHAIN_OUTPUT, CHAIN_UNKNOWN, localPodsSet, podChain } from './names.ts';
import { ALLOW_MARK, compilePolicy, policyDirections, policyKey, selectedPods } from './policy.ts';
import type { Direction } from './policy.ts';

export interface CompileOptions {
  /** NFLOG group of dropped packets (kube-router: 100). */
  readonly nflogGroup: number;
  /** Rate limit of the NFLOG rule; the drop rule itself is not limited and counts every packet. */
  readonly nflogPerMinute: number;
  readonly nflogBurst: number;
  /** --netpol-default-deny: pod-CIDR traffic of local pods not yet programmed is dropped. */
  readonly defaultDeny: boolean;
  readonly denyAction: 'REJECT' | 'DROP';
  readonly families: readonly IpFamily[];
}

export const defaultCompileOptions: CompileOptions = {
  nflogGroup: 100,
  nflogPerMinute: 10,
  nflogBurst: 10,
  defaultDeny: false,
  denyAction: 'REJECT',
  families: ipFamilies,
};

export interface FirewallInput {
  readonly nodeName: string;
  /** This node's pod CIDRs (spec.podCIDRs); used by default deny. */
  readonly podCidrs: readonly string[];
  readonly pods: readonly V1Pod[];
  readonly namespaces: readonly V1Namespace[];
  readonly policies: readonly V1NetworkPolicy[];
  readonly options?: Partial<CompileOptions>;
}

export interface ChainEntry {
  readonly chain: Chain;
  /** 16 hex of SHA-256 over the rendered rules: equal hash, nothing to rewrite. */
  readonly hash: string;
  /** Object keys whose change can change this chain (`node`, `pod/ns/name`, `policy/ns/name`, `namespace/name`). */
  readonly owners: readonly string[];
}

export interface SetEntry {
  readonly set: IpSet;
  readonly hash: string;
  readonly owners: readonly string[];
}

export interface FamilyFirewall {
  readonly family: IpFamily;
  /** Sorted by name. */
  readonly chains: ReadonlyMap<string, ChainEntry>;
  readonly sets: ReadonlyMap<string, SetEntry>;
  readonly jumps: readonly BuiltinJump[];
}

export interface Contribution {
  readonly chains: readonly string[];
  readonly sets: readonly string[];
}

export interface DesiredFirewall {
  readonly families: readonly FamilyFirewall[];
  /** Object key -> the chains and sets (all families) it contributes to, sorted. */
  readonly contributions: ReadonlyMap<string, Contribution>;
}

const NODE_OWNER = 'node';
const unmarked: Match = { kind: 'mark', value: ALLOW_MARK, mask: ALLOW_MARK, negate: true };

function denyRules(opts: CompileOptions, matches: readonly Match[], prefix: string): Rule[] {
  return [
    {
      matches: [...matches, { kind: 'limit', perMinute: opts.nflogPerMinute, burst: opts.nflogBurst }],
      target: { kind: 'nflog', group: opts.nflogGroup, prefix },
    },
    { matches, target: opts.denyAction === 'REJECT' ? { kind: 'REJECT' } : { kind: 'DROP' } },
  ];
}

function commonChain(family: IpFamily): Chain {
  const rules: Rule[] = [
    { matches: [{ kind: 'ctstate', states: ['ESTABLISHED', 'RELATED'] }], target: { kind: 'ACCEPT' }, comment: 'replies of allowed connections' },
    { matches: [{ kind: 'ctstate', states: ['INVALID'] }], target: { kind: 'DROP' }, comment: 'invalid conntrack state' },
  ];
  if (family === 'inet6') {
    // Bridged neighbour discovery crosses ip6tables FORWARD (br_netfilter); without
    // it pods cannot resolve each other at all. RFC 4861 §4.3 (NS, type 135), §4.4 (NA, 136).
    for (const type of [135, 136]) rules.push({ matches: [{ kind: 'icmp6', type }], target: { kind: 'ACCEPT' }, comment: 'neighbour discovery' });
  }
  return { name: CHAIN_COMMON, rules };
}

/** A local pod's chain for one direction; `policies` are the policy chains selecting it, sorted. */
function podDirChain(pod: PodView, ip: string, dir: Direction, family: IpFamily, policies: readonly string[], opts: CompileOptions): Chain {
  const rules: Rule[] = [{ matches: [], target: { kind: 'jump', chain: CHAIN_COMMON } }];
  // Traffic between a pod and the node it runs on is always allowed, whatever
  // the policies say (kubelet probes; upstream NetworkPolicy docs). RETURN,
  // not ACCEPT: we leave it unpoliced rather than bypass the host's own rules.
  if (dir === 'ingress') {
    rules.push({ matches: [{ kind: 'addrtype', dir: 'src', type: 'LOCAL' }], target: { kind: 'RETURN' }, comment: 'node to pod' });
  } else {
    rules.push({ matches: [{ kind: 'addrtype', dir: 'dst', type: 'LOCAL' }], target: { kind: 'RETURN' }, comment: 'pod to node' });
  }
  // A pod may always talk to itself (e.g. through its own Service).
  rules.push({ matches: [{ kind: 'addr', dir: dir === 'ingress' ? 'src' : 'dst', cidr: ip }], target: { kind: 'RETURN' }, comment: 'pod to itself' });
  for (const chain of policies) rules.push({ matches: [], target: { kind: 'jump', chain } });
  const tag = dir === 'ingress' ? 'IN' : 'EG';
  rules.push(...denyRules(opts, [unmarked], `PODNET DROP ${tag} ${pod.key}`));
  rules.push({ matches: [], target: { kind: 'mark', value: 0, mask: ALLOW_MARK } });
  return { name: podChain(pod.namespace, pod.name, dir, family), rules };
}

function unprogrammedChain(family: IpFamily, cidrs: readonly string[], opts: CompileOptions): Chain {
  const set = localPodsSet(family);
  const rules: Rule[] = [
    // Only new connections wait for programming; replies (e.g. to the node's own connections) pass.
    { matches: [{ kind: 'ctstate', states: ['ESTABLISHED', 'RELATED'] }], target: { kind: 'RETURN' }, comment: 'replies' },
    { matches: [{ kind: 'addrtype', dir: 'src', type: 'LOCAL' }], target: { kind: 'RETURN' }, comment: 'node traffic is not policed' },
  ];
  for (const cidr of cidrs) {
    rules.push(...denyRules(opts, [{ kind: 'addr', dir: 'src', cidr }, { kind: 'set', name: set, dirs: ['src'], negate: true }], 'PODNET DROP unprogrammed src'));
  }
  rules.push({ matches: [{ kind: 'addrtype', dir: 'dst', type: 'LOCAL' }], target: { kind: 'RETURN' }, comment: 'to the node (pod gateway)' });
  for (const cidr of cidrs) {
    rules.push(...denyRules(opts, [{ kind: 'addr', dir: 'dst', cidr }, { kind: 'set', name: set, dirs: ['dst'], negate: true }], 'PODNET DROP unprogrammed dst'));
  }
  return { name: CHAIN_UNKNOWN, rules };
}

function chainHash(c: Chain, family: IpFamily): string {
  const h = createHash('sha256');
  for (const line of renderChainRules(c, family)) h.update(`${line}\n`);
  return h.digest('hex').slice(0, 16);
}

class Collector {
  readonly chains = new Map<string, { chain: Chain; owners: Set<string> }>();
  readonly sets = new Map<string, { set: IpSet; owners: Set<string> }>();
  addChain(chain: Chain, owners: Iterable<string>): void {
    this.chains.set(chain.name, { chain, owners: new Set(owners) });
  }
  addSet(set: IpSet, owners: Iterable<string>): void {
    this.sets.set(set.name, { set, owners: new Set(owners) });
  }
}

function compileFamily(view: ClusterView, family: IpFamily, podCidrs: readonly string[], opts: CompileOptions): FamilyFirewall {
  const out = new Collector();
  // Policy chains and sets; which local pods each policy selects, per direction.
  const selecting = new Map<string, { ingress: string[]; egress: string[]; owners: string[] }>();
  for (const p of view.policies) {
    const { ns, name } = policyKey(p);
    const dirs = policyDirections(p);
    const targets = selectedPods(view, p).filter((t) => t.local && t.ips[family] !== undefined);
    // A policy that selects no pod on this node (in this family) programs nothing here.
    if (targets.length === 0) continue;
    for (const dir of dirs) {
      const compiled = compilePolicy(view, p, dir, family);
      out.addChain(compiled.chain, [`policy/${ns}/${name}`]);
      for (const s of compiled.sets) out.addSet(s.set, s.owners);
      for (const t of targets) {
        const entry = selecting.get(t.key) ?? { ingress: [], egress: [], owners: [] };
        entry[dir].push(compiled.chain.name);
        entry.owners.push(`policy/${ns}/${name}`);
        selecting.set(t.key, entry);
      }
    }
  }
  out.addChain(commonChain(family), [NODE_OWNER]);
  const top = { INPUT: [] as Rule[], FORWARD: [] as Rule[], OUTPUT: [] as Rule[] };
  const topOwners = { INPUT: new Set([NODE_OWNER]), FORWARD: new Set([NODE_OWNER]), OUTPUT: new Set([NODE_OWNER]) };
  const localIps: string[] = [];
  const localOwners = [NODE_OWNER];
  for (const pod of view.pods) {
    const ip = pod.ips[family];
    if (!pod.local || ip === undefined) continue;
    localIps.push(ip);
    localOwners.push(`pod/${pod.key}`);
    const sel = selecting.get(pod.key);
    if (sel === undefined) continue; // selected by no policy: not restricted
    const owners = [`pod/${pod.key}`, ...sel.owners];
    if (sel.egress.length > 0) {
      const chain = podDirChain(pod, ip, 'egress', family, [...new Set(sel.egress)].sort(), opts);
      out.addChain(chain, owners);
      const r: Rule = { matches: [{ kind: 'addr', dir: 'src', cidr: ip }], target: { kind: 'jump', chain: chain.name }, comment: `${pod.key} egress` };
      // Not INPUT: what a pod sends to its own node is never policed.
      for (const b of ['FORWARD', 'OUTPUT'] as const) {
        top[b].push(r);
        topOwners[b].add(`pod/${pod.key}`);
      }
    }
    if (sel.ingress.length > 0) {
      const chain = podDirChain(pod, ip, 'ingress', family, [...new Set(sel.ingress)].sort(), opts);
      out.addChain(chain, owners);
      const r: Rule = { matches: [{ kind: 'addr', dir: 'dst', cidr: ip }], target: { kind: 'jump', chain: chain.name }, comment: `${pod.key} ingress` };
      for (const b of ['FORWARD', 'OUTPUT'] as const) {
        top[b].push(r);
        topOwners[b].add(`pod/${pod.key}`);
      }
    }
  }
  if (opts.defaultDeny) {
    const cidrs = podCidrs.filter((c) => cidrFamily(c) === family).sort();
    out.addChain(unprogrammedChain(family, cidrs, opts), [NODE_OWNER]);
    out.addSet({ name: localPodsSet(family), type: 'hash:ip', family, entries: localIps.map((ip) => ({ kind: 'ip', ip })) }, localOwners);
    for (const b of ['INPUT', 'FORWARD', 'OUTPUT'] as const) top[b].unshift({ matches: [], target: { kind: 'jump', chain: CHAIN_UNKNOWN } });
  }
  const topNames = { INPUT: CHAIN_INPUT, FORWARD: CHAIN_FORWARD, OUTPUT: CHAIN_OUTPUT };
  const jumps: BuiltinJump[] = [];
  for (const b of ['INPUT', 'FORWARD', 'OUTPUT'] as const) {
    out.addChain({ name: topNames[b], rules: top[b] }, topOwners[b]);
    jumps.push({ from: b, to: topNames[b], position: 1, comment: 'podnet network policy' });
  }
  return finish(family, out, jumps);
}

function finish(family: IpFamily, c: Collector, jumps: BuiltinJump[]): FamilyFirewall {
  const chains = new Map<string, ChainEntry>();
  for (const name of [...c.chains.keys()].sort()) {
    const e = c.chains.get(name);
    if (e !== undefined) chains.set(name, { chain: e.chain, hash: chainHash(e.chain, family), owners: [...e.owners].sort() });
  }
  const sets = new Map<string, SetEntry>();
  for (const name of [...c.sets.keys()].sort()) {
    const e = c.sets.get(name);
    if (e !== undefined) sets.set(name, { set: e.set, hash: setHash(e.set), owners: [...e.owners].sort() });
  }
  return { family, chains, sets, jumps };
}

function contributions(families: readonly FamilyFirewall[]): Map<string, Contribution> {
  const acc = new Map<string, { chains: Set<string>; sets: Set<string> }>();
  const get = (k: string): { chains: Set<string>; sets: Set<string> } => {
    let v = acc.get(k);
    if (v === undefined) {
      v = { chains: new Set(), sets: new Set() };
      acc.set(k, v);
    }
    return v;
  };
  for (const f of families) {
    for (const [name, e] of f.chains) for (const o of e.owners) get(o).chains.add(name);
    for (const [name, e] of f.sets) for (const o of e.owners) get(o).sets.add(name);
  }
  const out = new Map<string, Contribution>();
  for (const k of [...acc.keys()].sort()) {
    const v = acc.get(k);
    if (v !== undefined) out.set(k, { chains: [...v.chains].sort(), sets: [...v.sets].sort() });
  }
  return out;
}

/** Compiles cluster state into the desired firewall of this node. Pure and deterministic. */
export function compileFirewall(input: FirewallInput): DesiredFirewall {
  const opts: CompileOptions = { ...defaultCompileOptions, ...input.options };
  const view = buildView(input.nodeName, input.pods, input.namespaces, input.policies);
  const fams = ipFamilies.filter((f) => opts.families.includes(f));
  const families = fams.map((f) => compileFamily(view, f, input.podCidrs, opts));
  return { families, contributions: contributions(families) };
}
