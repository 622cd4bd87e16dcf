// The nftables rendering of the services model: one table `inet podnet` in
// KEP-3866's shape (kube-proxy's nftables mode). Base chains hook nat
// prerouting/output (dispatch), nat postrouting (masquerade by mark) and
// filter prerouting/output (source-range firewall before DNAT; reject/drop of
// services without endpoints after DNAT). Dispatch is O(1) in the number of
// services: verdict maps keyed `daddr . l4proto . dport` (service_ips) and
// `l4proto . dport` (service_nodeports), leading to one chain per service port
// that picks an endpoint chain with `numgen random mod N vmap @lb-...` (a
// named map per service chain), which DNATs.
// Output is typed data (sets, maps, chains, rules), sorted, with stable
// hash-based names, so it can be golden-tested and diffed (nft-delta.ts).
// No RFCs; nft syntax per nft(8) of nftables 1.0.
import { createHash } from 'node:crypto';
import type { Family } from './addr.ts';
import type { Backend, ServicePort, ServicesModel } from './model.ts';

export const TABLE = 'podnet';
export const TABLE_SPEC = `inet ${TABLE}`;
/** The packet mark bit that asks postrouting to masquerade (kube-proxy's 0x4000). */
export const MASQ_MARK = '0x4000';

export interface NftSet {
  readonly name: string;
  readonly kind: 'set' | 'map';
  /** What goes between the braces of `add set`: `type ...; flags ...;`. */
  readonly decl: string;
  /** key -> value (maps) or key -> '' (sets); managed elements only. */
  readonly elements: ReadonlyMap<string, string>;
}

export interface NftChain {
  readonly name: string;
  /** Base-chain spec (`type nat hook prerouting priority -100; policy accept;`), or undefined for a regular chain. */
  readonly base?: string;
  readonly rules: readonly string[];
}

/** A whole desired table as data. */
export interface NftRuleset {
  readonly sets: ReadonlyMap<string, NftSet>;
  readonly chains: ReadonlyMap<string, NftChain>;
}

const MAX_NAME = 120;

function hash(s: string): string {
  // base32-like, upper case, 8 characters: stable across runs and platforms
  const b = createHash('sha256').update(s).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  for (let i = 0; i < 8; i++) out += alphabet[(b[i] ?? 0) & 31];
  return out;
}

/** Names are pure functions of their identity: remembered, since hashing was a quarter of a render. */
const nameMemo = new Map<string, string>();
const NAME_MEMO_MAX = 1_000_000;

/** nft identifiers: letters, digits and `/ - _ .`; the hash keeps names unique after truncation. */
function chainName(prefix: string, identity: string, readable: string): string {
  const key = `${prefix}\u0000${identity}\u0000${readable}`;
  const known = nameMemo.get(key);
  if (known !== undefined) return known;
  const clean = readable.replace(/:/g, '-').replace(/[^A-Za-z0-9/_.-]/g, '_');
  const name = `${prefix}-${hash(identity)}-${clean}`.slice(0, MAX_NAME);
  if (nameMemo.size >= NAME_MEMO_MAX) nameMemo.clear();
  nameMemo.set(key, name);
  return name;
}

export interface PortNames {
  readonly svc: string;
  readonly loc: string;
  readonly ext: string;
  readonly fw: string;
}

export function portChainNames(p: ServicePort): PortNames {
  return {
    svc: chainName('svc', p.id, p.id),
    loc: chainName('loc', p.id, p.id),
    ext: chainName('ext', p.id, p.id),
    fw: chainName('fw', p.id, p.id),
  };
}

function endpointId(p: ServicePort, b: Backend): string {
  return `${p.id}__${b.ip}/${b.port}`;
}

export function endpointChainName(p: ServicePort, b: Backend): string {
  return chainName('ep', endpointId(p, b), endpointId(p, b));
}

/** Affinity sets are per endpoint; the timeout is part of the identity, so a new timeout is a new set. */
export function affinitySetName(p: ServicePort, b: Backend, seconds: number): string {
  return chainName('aff', `${endpointId(p, b)}|${seconds}`, endpointId(p, b));
}

const ip = (f: Family): string => (f === 4 ? 'ip' : 'ip6');
const addrType = (f: Family): string => (f === 4 ? 'ipv4_addr' : 'ipv6_addr');
const sfx = (f: Family): string => (f === 4 ? '' : '6');
const hostPort = (f: Family, addr: string, port: number): string => (f === 4 ? `${addr}:${port}` : `[${addr}]:${port}`);

/** What one service port adds to the table, in call order, so it can be replayed. */
type Op = readonly ['set', string, 'set' | 'map', string] | readonly ['element', string, string, string] | readonly ['chain', NftChain];

class Builder {
  readonly sets = new Map<string, { name: string; kind: 'set' | 'map'; decl: string; elements: Map<string, string> }>();
  readonly chains = new Map<string, NftChain>();
  /** When set, every call is also recorded here (one service port's fragment). */
  recording: Op[] | undefined;

  set(name: string, kind: 'set' | 'map', decl: string): void {
    this.recording?.push(['set', name, kind, decl]);
    this.sets.set(name, { name, kind, decl, elements: new Map() });
  }
  element(set: string, key: string, value = ''): void {
    this.recording?.push(['element', set, key, value]);
    const s = this.sets.get(set);
    if (s === undefined) throw new Error(`nft render: no set ${set}`);
    s.elements.set(key, value);
  }
  chain(name: string, rules: readonly string[], base?: string): void {
    this.addChain(base === undefined ? { name, rules } : { name, base, rules });
  }
  addChain(c: NftChain): void {
    this.recording?.push(['chain', c]);
    this.chains.set(c.name, c);
  }
  replay(ops: readonly Op[]): void {
    for (const op of ops) {
      if (op[0] === 'set') this.set(op[1], op[2], op[3]);
      else if (op[0] === 'element') this.element(op[1], op[2], op[3]);
      else this.addChain(op[1]);
    }
  }
  done(): NftRuleset {
    const sets = new Map<string, NftSet>();
    for (const name of [...this.sets.keys()].sort()) {
      const s = this.sets.get(name);
      if (s === undefined) continue;
      sets.set(name, { ...s, elements: new Map([...s.elements].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) });
    }
    const chains = new Map<string, NftChain>();
    for (const name of [...this.chains.keys()].sort()) {
      const c = this.chains.get(name);
      if (c !== undefined) chains.set(name, c);
    }
    return { sets, chains };
  }
}

function staticPart(b: Builder, model: ServicesModel): void {
  for (const f of [4, 6] as const) {
    const key3 = `${addrType(f)} . inet_proto . inet_service : verdict;`;
    b.set(`service_ips${sfx(f)}`, 'map', `type ${key3}`);
    b.set(`no_endpoint_services${sfx(f)}`, 'map', `type ${key3}`);
    b.set(`firewall_ips${sfx(f)}`, 'map', `type ${key3}`);
    b.set(`service_nodeports${sfx(f)}`, 'map', 'type inet_proto . inet_service : verdict;');
    b.set(`no_endpoint_nodeports${sfx(f)}`, 'map', 'type inet_proto . inet_service : verdict;');
    b.set(`nodeport_ips${sfx(f)}`, 'set', `type ${addrType(f)};`);
    b.set(`pod_network${sfx(f)}`, 'set', `type ${addrType(f)}; flags interval;`);
    b.set(`cluster_ips${sfx(f)}`, 'set', `type ${addrType(f)};`);
    for (const a of model.nodeIps[f]) if (!model.nodePortsOnAllIps) b.element(`nodeport_ips${sfx(f)}`, a);
    for (const c of model.podNetwork[f]) b.element(`pod_network${sfx(f)}`, c);
  }
  const nodePortMatch = (f: Family): string =>
    model.nodePortsOnAllIps
      ? `fib daddr type local ${ip(f)} daddr != ${f === 4 ? '127.0.0.0/8' : '::1'}`
      : `${ip(f)} daddr @nodeport_ips${sfx(f)}`;
  const dispatch = (map: string, nodeMap: string): string[] => [
    `ip daddr . meta l4proto . th dport vmap @${map}`,
    `ip6 daddr . meta l4proto . th dport vmap @${map}6`,
    `${nodePortMatch(4)} meta l4proto . th dport vmap @${nodeMap}`,
    `${nodePortMatch(6)} meta l4proto . th dport vmap @${nodeMap}6`,
  ];
  b.chain('nat_prerouting', ['jump services'], 'type nat hook prerouting priority -100; policy accept;');
  b.chain('nat_output', ['jump services'], 'type nat hook output priority -100; policy accept;');
  b.chain('nat_postrouting', ['jump masquerading'], 'type nat hook postrouting priority 100; policy accept;');
  // Before DNAT: loadBalancerSourceRanges see the LB IP.
  b.chain('filter_prerouting', ['ct state new jump firewall_check'], 'type filter hook prerouting priority -110; policy accept;');
  // After DNAT: what still goes to a service address found no endpoint.
  const postDnat = ['ct state new jump endpoints_check', 'ct state new jump cluster_ips_check'];
  b.chain('filter_prerouting_post_dnat', postDnat, 'type filter hook prerouting priority -90; policy accept;');
  b.chain('filter_output_post_dnat', postDnat, 'type filter hook output priority -90; policy accept;');
  // KEP-3866: still addressed to a ClusterIP after DNAT = a port it does not serve; to the range = unallocated.
  const rangeDrops = ([4, 6] as const).flatMap((f) => (model.serviceCidrs[f].length > 0 ? [`${ip(f)} daddr { ${model.serviceCidrs[f].join(', ')} } drop`] : []));
  b.chain('cluster_ips_check', ['ip daddr @cluster_ips reject with icmpx port-unreachable', 'ip6 daddr @cluster_ips6 reject with icmpx port-unreachable', ...rangeDrops]);
  b.chain('services', dispatch('service_ips', 'service_nodeports'));
  b.chain('endpoints_check', dispatch('no_endpoint_services', 'no_endpoint_nodeports'));
  b.chain('firewall_check', ['ip daddr . meta l4proto . th dport vmap @firewall_ips', 'ip6 daddr . meta l4proto . th dport vmap @firewall_ips6']);
  // A TCP client sees "connection refused" at once; others get ICMP port unreachable.
  b.chain('reject_chain', ['meta l4proto tcp reject with tcp reset', 'reject with icmpx port-unreachable']);
  b.chain('mark_for_masquerade', [`meta mark set meta mark | ${MASQ_MARK}`]);
  b.chain('masquerading', [`meta mark & ${MASQ_MARK} == 0 return`, `meta mark set meta mark ^ ${MASQ_MARK}`, 'masquerade fully-random']);
}

/**
 * The rules picking one of `backends` (affinity first), after optional leading
 * rules. The random pick goes through a named map per chain, not an anonymous
 * one: with anonymous maps a 10,000-service load took 4-8x longer in the
 * kernel (bench/services-nft.ts; likely the by-id lookup of each anonymous
 * set along the transaction, not profiled).
 */
function balancer(b: Builder, p: ServicePort, chain: string, backends: readonly Backend[], head: readonly string[]): string[] {
  const rules = [...head];
  if (p.affinitySeconds !== null) {
    for (const be of backends) {
      rules.push(`${ip(p.family)} saddr @${affinitySetName(p, be, p.affinitySeconds)} goto ${endpointChainName(p, be)}`);
    }
  }
  const map = `lb-${chain}`.slice(0, MAX_NAME);
  b.set(map, 'map', 'typeof numgen random mod 2 : verdict;');
  backends.forEach((be, i) => b.element(map, String(i), `goto ${endpointChainName(p, be)}`));
  rules.push(`numgen random mod ${backends.length} vmap @${map}`);
  return rules;
}

function servicePort(b: Builder, model: ServicesModel, p: ServicePort): void {
  const f = p.family;
  const names = portChainNames(p);
  const podNet = model.podNetwork[f].length > 0;
  const masqAll = p.masqueradeAll ? ['jump mark_for_masquerade'] : [];
  const clusterIp = p.frontends.find((x) => x.kind === 'clusterIP');
  if (clusterIp !== undefined && 'ip' in clusterIp) b.element(`cluster_ips${sfx(f)}`, clusterIp.ip);
  const hasSvc = p.clusterBackends.length > 0;
  const hasLoc = p.localBackends.length > 0;
  // Off-cluster clients of a ClusterIP are masqueraded so replies come back through
  // this node; the rule sits in the chain ClusterIP traffic goes to (svc, or loc with iTP Local).
  const offCluster = masqAll.length > 0 || clusterIp === undefined || !podNet
    ? masqAll
    : [`${ip(f)} daddr ${'ip' in clusterIp ? clusterIp.ip : ''} ${ip(f)} saddr != @pod_network${sfx(f)} jump mark_for_masquerade`];
  if (hasSvc) b.chain(names.svc, balancer(b, p, names.svc, p.clusterBackends, p.internalPolicy === 'Cluster' ? offCluster : masqAll));
  if (hasLoc) b.chain(names.loc, balancer(b, p, names.loc, p.localBackends, p.internalPolicy === 'Local' ? offCluster : masqAll));
  const endpoints = new Map<string, Backend>();
  for (const be of [...p.clusterBackends, ...p.localBackends]) endpoints.set(endpointChainName(p, be), be);
  for (const [name, be] of endpoints) {
    const rules: string[] = [];
    if (p.hairpin) rules.push(`${ip(f)} saddr ${be.ip} jump mark_for_masquerade`);
    if (p.affinitySeconds !== null) {
      const set = affinitySetName(p, be, p.affinitySeconds);
      b.set(set, 'set', `type ${addrType(f)}; flags dynamic,timeout; timeout ${p.affinitySeconds}s;`);
      rules.push(`update @${set} { ${ip(f)} saddr }`);
    }
    rules.push(`meta l4proto ${p.protocol} dnat ${ip(f)} to ${hostPort(f, be.ip, be.port)}`);
    b.chain(name, rules);
  }
  // External traffic: eTP Cluster masquerades and uses every backend; eTP Local keeps the
  // client address and uses local backends, except that pods and the node itself are
  // short-circuited to the cluster-wide chain (kubernetes/kubernetes#108526).
  const ext: string[] = [];
  if (p.externalPolicy === 'Cluster') {
    if (hasSvc) ext.push('jump mark_for_masquerade', `goto ${names.svc}`);
  } else {
    if (hasSvc) {
      if (podNet) ext.push(`${ip(f)} saddr @pod_network${sfx(f)} goto ${names.svc}`);
      ext.push('fib saddr type local jump mark_for_masquerade', `fib saddr type local goto ${names.svc}`);
    }
    if (hasLoc) ext.push(`goto ${names.loc}`);
  }
  const hasExt = ext.length > 0 && p.frontends.some((x) => x.kind !== 'clusterIP');
  if (hasExt) b.chain(names.ext, ext);
  const internalTarget = p.internalPolicy === 'Local' ? (hasLoc ? names.loc : null) : hasSvc ? names.svc : null;
  const fw = p.sourceRanges.length > 0 && p.frontends.some((x) => x.kind === 'loadBalancer');
  if (fw) b.chain(names.fw, [`${ip(f)} saddr != { ${p.sourceRanges.join(', ')} } drop`]);
  const verdict = (v: 'reject' | 'drop'): string => (v === 'reject' ? 'goto reject_chain' : 'drop');
  for (const fe of p.frontends) {
    if (fe.kind === 'nodePort') {
      const key = `${p.protocol} . ${fe.port}`;
      if (hasExt) b.element(`service_nodeports${sfx(f)}`, key, `goto ${names.ext}`);
      if (p.externalEmpty !== null) b.element(`no_endpoint_nodeports${sfx(f)}`, key, verdict(p.externalEmpty));
      continue;
    }
    const key = `${fe.ip} . ${p.protocol} . ${fe.port}`;
    if (fe.kind === 'clusterIP') {
      if (internalTarget !== null && p.internalEmpty === null) b.element(`service_ips${sfx(f)}`, key, `goto ${internalTarget}`);
      if (p.internalEmpty !== null) b.element(`no_endpoint_services${sfx(f)}`, key, verdict(p.internalEmpty));
      continue;
    }
    if (hasExt) b.element(`service_ips${sfx(f)}`, key, `goto ${names.ext}`);
    if (p.externalEmpty !== null) b.element(`no_endpoint_services${sfx(f)}`, key, verdict(p.externalEmpty));
    if (fw && fe.kind === 'loadBalancer') b.element(`firewall_ips${sfx(f)}`, key, `goto ${names.fw}`);
  }
}

/**
 * Each service port's fragment of the last render, keyed by the port's content
 * and the pod network (the only other model input servicePort reads): an
 * unchanged port is replayed instead of rendered, and its chains are the same
 * objects as last time, so renderDelta compares them by reference. Only the
 * last render's fragments are kept.
 */
let fragments = new Map<string, Op[]>();

/** The desired table for a model. Deterministic: sets, elements and chains sorted by name. */
export function renderRuleset(model: ServicesModel): NftRuleset {
  const b = new Builder();
  staticPart(b, model);
  const context = JSON.stringify(model.podNetwork);
  const next = new Map<string, Op[]>();
  for (const p of model.ports) {
    const key = `${context}${JSON.stringify(p)}`;
    const known = fragments.get(key) ?? next.get(key);
    if (known !== undefined) {
      b.replay(known);
      next.set(key, known);
      continue;
    }
    const ops: Op[] = [];
    b.recording = ops;
    servicePort(b, model, p);
    b.recording = undefined;
    next.set(key, ops);
  }
  fragments = next;
  return b.done();
}
