// One NetworkPolicy, one direction, one family -> its policy chain and the
// ipsets its rules match on. A rule allows by setting the allow mark; the pod
// chain that jumped here checks the mark (compile.ts). Peers: podSelector,
// namespaceSelector, both (AND), ipBlock with except (hash:net + nomatch).
// Ports: numbers, endPort ranges, protocol only, and named ports resolved per
// destination pod into hash:ip,port sets. No RFCs; semantics per the
// Kubernetes NetworkPolicy API (networking.k8s.io/v1).
import type { V1NetworkPolicy, V1NetworkPolicyIngressRule, V1NetworkPolicyPeer, V1NetworkPolicyPort } from '@kubernetes/client-node';
import type { Chain, IpFamily, Match, Rule } from '../src/kernel/iptables/model.ts';
import type { IpSet, IpSetEntry } from '../src/kernel/ipset.ts';
import { cidrFamily, cidrMatcher, labelsOfNamespace } from './cluster.ts';
import type { ClusterView, PodView } from './cluster.ts';
import { policyChain, ruleSet } from './names.ts';
import { parsePolicyPort, resolveNamedPort } from './ports.ts';
import type { PolicyPort } from './ports.ts';
import { selectorMatches } from './selectors.ts';

export type Direction = 'ingress' | 'egress';

/** Set in a policy chain when a rule allows the packet; tested and cleared by the pod chain. */
export const ALLOW_MARK = 0x10000;

export interface OwnedSet {
  readonly set: IpSet;
  /** Object keys (`pod/ns/name`, `policy/ns/name`, `namespace/name`) whose change can change this set. */
  readonly owners: readonly string[];
}

export interface CompiledPolicy {
  readonly chain: Chain;
  readonly sets: readonly OwnedSet[];
}

export function policyKey(p: V1NetworkPolicy): { ns: string; name: string } {
  return { ns: p.metadata?.namespace ?? 'default', name: p.metadata?.name ?? '' };
}

/** policyTypes, defaulted: Ingress always; Egress when the spec has egress rules. */
export function policyDirections(p: V1NetworkPolicy): readonly Direction[] {
  const types = p.spec?.policyTypes;
  if (types !== undefined && types.length > 0) {
    const out: Direction[] = [];
    if (types.includes('Ingress')) out.push('ingress');
    if (types.includes('Egress')) out.push('egress');
    return out;
  }
  return (p.spec?.egress ?? []).length > 0 ? ['ingress', 'egress'] : ['ingress'];
}

/** Pods (in the policy's namespace) that the policy's podSelector selects. */
export function selectedPods(view: ClusterView, p: V1NetworkPolicy): PodView[] {
  const { ns } = policyKey(p);
  const sel = p.spec?.podSelector ?? {};
  return view.pods.filter((pod) => pod.namespace === ns && selectorMatches(sel, pod.labels));
}

/**
 * Pods a selector peer means; undefined when the peer has no selector (an
 * ipBlock or nothing). `touched` collects the namespaces whose labels were
 * tested: a label change there can change the result.
 */
function peerPods(view: ClusterView, policyNs: string, peer: V1NetworkPolicyPeer, touched: Set<string>): PodView[] | undefined {
  const { podSelector, namespaceSelector } = peer;
  if (podSelector === undefined && namespaceSelector === undefined) return undefined;
  return view.pods.filter((pod) => {
    if (namespaceSelector === undefined) {
      if (pod.namespace !== policyNs) return false;
    } else {
      touched.add(pod.namespace);
      if (!selectorMatches(namespaceSelector, labelsOfNamespace(view, pod.namespace))) return false;
    }
    return podSelector === undefined || selectorMatches(podSelector, pod.labels);
  });
}

/** ipset hash:net cannot hold a /0: split it into two halves. */
function splitZero(cidr: string, family: IpFamily): string[] {
  if (!cidr.endsWith('/0')) return [cidr];
  return family === 'inet' ? ['0.0.0.0/1', '128.0.0.0/1'] : ['::/1', '8000::/1'];
}

function ipBlockEntries(peer: V1NetworkPolicyPeer, family: IpFamily): IpSetEntry[] | undefined {
  const block = peer.ipBlock;
  if (block === undefined || cidrFamily(block.cidr) !== family) return undefined;
  const entries: IpSetEntry[] = splitZero(block.cidr, family).map((cidr) => ({ kind: 'net', cidr }));
  for (const ex of block.except ?? []) {
    // Excepts are more specific, and hash:net tries the most specific prefix first.
    if (cidrFamily(ex) === family && !ex.endsWith('/0')) entries.push({ kind: 'net', cidr: ex, nomatch: true });
  }
  return entries;
}

/** The API server's JSON says `from`; client-node's typed models rename it `_from`. Accept both. */
function ingressPeers(r: V1NetworkPolicyIngressRule): readonly V1NetworkPolicyPeer[] | undefined {
  const typed: { readonly [k: string]: unknown } = { ...r };
  return (r as { from?: V1NetworkPolicyPeer[] }).from ?? (typed['_from'] as V1NetworkPolicyPeer[] | undefined);
}

/** Matcher for the addresses an ipBlock peer means: inside the CIDR, outside every except. */
function blockMatcher(peer: V1NetworkPolicyPeer, family: IpFamily): (bits: bigint) => boolean {
  const block = peer.ipBlock;
  if (block === undefined) return () => false;
  const inside = cidrMatcher(block.cidr, family);
  const excepts = (block.except ?? []).map((ex) => cidrMatcher(ex, family));
  return (bits) => inside(bits) && !excepts.some((ex) => ex(bits));
}

const podOwner = (p: PodView): string => `pod/${p.key}`;

/**
 * Compiles the rules of `p` for one direction and family. An empty rule list
 * yields an empty chain: the pod chain then finds no allow mark and denies.
 */
export function compilePolicy(view: ClusterView, p: V1NetworkPolicy, dir: Direction, family: IpFamily): CompiledPolicy {
  const { ns, name } = policyKey(p);
  const owner = `policy/${ns}/${name}`;
  const chainName = policyChain(ns, name, dir, family);
  const rules: Rule[] = [];
  const sets: OwnedSet[] = [];
  const specRules: readonly { peers: readonly V1NetworkPolicyPeer[] | undefined; ports: readonly V1NetworkPolicyPort[] | undefined }[] =
    dir === 'ingress'
      ? (p.spec?.ingress ?? []).map((r) => ({ peers: ingressPeers(r), ports: r.ports }))
      : (p.spec?.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }));
  const peerDir = dir === 'ingress' ? 'src' : 'dst';
  // Ingress named ports resolve on the pods this policy selects on this node.
  const targets = dir === 'ingress' ? selectedPods(view, p).filter((t) => t.local) : [];

  specRules.forEach((r, ri) => {
    const rawPeers = r.peers ?? [];
    const rawPorts = r.ports ?? [];
    const comment = `${ns}/${name} ${dir} rule ${ri}`;
    // Peer matches; `null` = any peer (no from/to). Pod peers also feed egress named ports.
    const peerMatches: Match[] = [];
    const peerPodsUnion = new Map<string, PodView>();
    rawPeers.forEach((peer, pi) => {
      const peerNs = new Set<string>();
      const pods = peerPods(view, ns, peer, peerNs);
      if (pods !== undefined) {
        for (const pod of pods) peerPodsUnion.set(pod.key, pod);
        const setName = ruleSet('P', ns, name, dir, ri, pi, family);
        const entries: IpSetEntry[] = [];
        for (const pod of pods) {
          const ip = pod.ips[family];
          if (ip !== undefined) entries.push({ kind: 'ip', ip });
        }
        sets.push({ set: { name: setName, type: 'hash:ip', family, entries }, owners: [owner, ...pods.map(podOwner), ...[...peerNs].map((n) => `namespace/${n}`)] });
        peerMatches.push({ kind: 'set', name: setName, dirs: [peerDir] });
        return;
      }
      const entries = ipBlockEntries(peer, family);
      if (entries === undefined) return; // other family, invalid, or an empty peer: matches nothing here
      // Pods inside the block are destinations a named port can resolve on.
      const inBlock = blockMatcher(peer, family);
      for (const pod of view.pods) {
        const bits = pod.bits[family];
        if (bits !== undefined && inBlock(bits)) peerPodsUnion.set(pod.key, pod);
      }
      const setName = ruleSet('B', ns, name, dir, ri, pi, family);
      sets.push({ set: { name: setName, type: 'hash:net', family, entries }, owners: [owner] });
      peerMatches.push({ kind: 'set', name: setName, dirs: [peerDir] });
    });
    const anyPeer = rawPeers.length === 0;
    if (!anyPeer && peerMatches.length === 0) return; // every peer matches nothing in this family
    const peerAlternatives: (Match | null)[] = anyPeer ? [null] : peerMatches;

    const ports: PolicyPort[] = [];
    for (const raw of rawPorts) {
      const pp = parsePolicyPort(raw);
      if (pp !== undefined) ports.push(pp);
    }
    if (rawPorts.length > 0 && ports.length === 0) return; // only unusable ports: matches nothing
    const portAlternatives: (PolicyPort | null)[] = rawPorts.length === 0 ? [null] : ports;

    portAlternatives.forEach((port, ki) => {
      if (port !== null && port.kind === 'named') {
        // Per destination pod: the same name may be a different number on each.
        const dests = dir === 'ingress' ? targets : anyPeer ? view.pods : [...peerPodsUnion.values()];
        const entries: IpSetEntry[] = [];
        const contributors: string[] = [];
        for (const d of dests) {
          const ip = d.ips[family];
          const num = resolveNamedPort(d.pod, port.name, port.proto);
          if (ip === undefined || num === undefined) continue;
          entries.push({ kind: 'ip,port', ip, proto: port.proto, port: num });
          contributors.push(podOwner(d));
        }
        const setName = ruleSet('N', ns, name, dir, ri, 1000 + ki, family);
        sets.push({ set: { name: setName, type: 'hash:ip,port', family, entries }, owners: [owner, ...contributors] });
        const npMatch: Match = { kind: 'set', name: setName, dirs: ['dst', 'dst'] };
        // Egress: the set already names the destination pods (selected, or inside
        // an ipBlock peer), so the peers add nothing to the rule.
        const alts = dir === 'egress' ? [null] : peerAlternatives;
        for (const pm of alts) {
          rules.push({ matches: pm === null ? [npMatch] : [pm, npMatch], target: { kind: 'mark', value: ALLOW_MARK, mask: ALLOW_MARK }, comment });
        }
        return;
      }
      for (const pm of peerAlternatives) {
        const matches: Match[] = pm === null ? [] : [pm];
        if (port !== null) matches.push(port.kind === 'any' ? { kind: 'proto', proto: port.proto } : { kind: 'proto', proto: port.proto, dport: port.range });
        rules.push({ matches, target: { kind: 'mark', value: ALLOW_MARK, mask: ALLOW_MARK }, comment });
      }
    });
  });
  return { chain: { name: chainName, rules }, sets };
}
