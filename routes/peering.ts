// Pure: the BGP peering a node wants, from the Node objects and the flags, with
// kube-router's rules (../shared/reference/kube-router.md §2.1, §3.2): the
// local ASN (--cluster-asn, or the node.asn annotation without full mesh), the
// router ID, the pod CIDRs to originate, iBGP peers (full mesh, same-ASN
// groups, or route reflection), and external peers (global flags, else the
// node's peers annotation). Recomputed on every Node change, so peers are
// added, changed and removed at run time (kube-router needs a restart).
import { isIP } from 'node:net';
import type { V1Node } from '@kubernetes/client-node';
import { parseNodeAnnotations } from './annotations.ts';
import type { NodeAnnotations } from './annotations.ts';

export interface GlobalPeerFlag {
  readonly ip: string;
  readonly asn: number;
  readonly port: number;
  readonly password: string;
}

export interface PeeringOptions {
  readonly clusterAsn: number;
  readonly nodesFullMesh: boolean;
  readonly enableIbgp: boolean;
  /** --bgp-port: our listen port and the remote port of node peers. */
  readonly bgpPort: number;
  readonly globalPeers: readonly GlobalPeerFlag[];
  /** --peer-router-multihop-ttl (applied when >= 2). */
  readonly multihopTtl: number;
  /** --router-id: "" (the node's IPv4), an IPv4 address, or "generate". */
  readonly routerId: string;
  /** --enable-bfd: BFD with the --peer-router-ips peers (annotation peers say it per peer). */
  readonly globalPeersBfd?: boolean;
}

export interface DesiredPeer {
  readonly address: string;
  readonly asn: number;
  readonly port: number;
  readonly password: string;
  readonly localAddress: string | null;
  readonly kind: 'node' | 'external';
  /** The peer node's name, for node peers. */
  readonly node: string | null;
  readonly rrClient: boolean;
  readonly multihopTtl: number | null;
  /** BFD with this peer (external peers only: --peer-router-bfd or the annotation's `bfd`). */
  readonly bfd?: boolean;
  /**
   * Wait for the peer to connect. Between two podnet nodes only the one with
   * the lower address connects, so the mesh never has connection collisions
   * (which RFC 4271 §6.8 resolves with a race that can drop both sides).
   */
  readonly passive: boolean;
}

/** Orders two addresses of one family numerically. */
export function compareAddresses(a: string, b: string): number {
  const key = (x: string): string =>
    isIP(x) === 4 ? x.split('.').map((o) => o.padStart(3, '0')).join('.') : expandV6(x);
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function expandV6(x: string): string {
  const [h = '', t = ''] = x.includes('::') ? x.split('::') : [x, ''];
  const hs = h === '' ? [] : h.split(':');
  const ts = t === '' ? [] : t.split(':');
  const groups = x.includes('::') ? [...hs, ...Array<string>(8 - hs.length - ts.length).fill('0'), ...ts] : hs;
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

export interface DesiredPeering {
  readonly node: string;
  readonly localAsn: number | null;
  readonly routerId: string | null;
  readonly addresses: { readonly ipv4: string | null; readonly ipv6: string | null };
  readonly podCidrs: readonly string[];
  /** RR cluster ID when this node is a route-reflector server. */
  readonly clusterId: string | null;
  readonly peers: readonly DesiredPeer[];
  readonly exportPrepend: NodeAnnotations['prepend'];
  readonly exportCommunities: readonly string[];
  readonly importReject: readonly string[];
  /** Problems found (bad annotations, missing addresses); each names its source. */
  readonly errors: readonly string[];
}

/** The node's InternalIP per family, else its ExternalIP (kube-router's choice). */
export function nodeAddresses(node: V1Node): { ipv4: string | null; ipv6: string | null } {
  const addrs = node.status?.addresses ?? [];
  const pick = (fam: 4 | 6): string | null => {
    for (const type of ['InternalIP', 'ExternalIP']) {
      const a = addrs.find((x) => x.type === type && isIP(x.address) === fam);
      if (a !== undefined) return a.address;
    }
    return null;
  };
  return { ipv4: pick(4), ipv6: pick(6) };
}

/** FNV-32a of the address text, as an IPv4-formatted router ID (kube-router's --router-id=generate). */
export function generatedRouterId(address: string): string {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(address)) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [24, 16, 8, 0].map((s) => (h >>> s) & 255).join('.');
}

export function podCidrsOf(node: V1Node, ann: NodeAnnotations): string[] {
  if (ann.podCidrs !== null) return [...ann.podCidrs];
  const list = node.spec?.podCIDRs ?? (node.spec?.podCIDR !== undefined ? [node.spec.podCIDR] : []);
  return [...list];
}

function primary(a: { ipv4: string | null; ipv6: string | null }): string | null {
  return a.ipv4 ?? a.ipv6;
}

export function desiredPeering(selfName: string, nodes: readonly V1Node[], opts: PeeringOptions): DesiredPeering {
  const errors: string[] = [];
  const self = nodes.find((n) => n.metadata?.name === selfName);
  if (self === undefined) {
    return {
      node: selfName, localAsn: null, routerId: null, addresses: { ipv4: null, ipv6: null }, podCidrs: [], clusterId: null, peers: [],
      exportPrepend: null, exportCommunities: [], importReject: [], errors: [`node ${selfName} not found in the API server`],
    };
  }
  const annOf = new Map(nodes.map((n) => [n.metadata?.name ?? '', parseNodeAnnotations(n.metadata?.annotations)]));
  const ann = annOf.get(selfName) ?? parseNodeAnnotations({});
  errors.push(...ann.errors.map((e) => `node ${selfName}: ${e}`));
  const addresses = nodeAddresses(self);
  const selfPrimary = primary(addresses);
  if (selfPrimary === null) errors.push(`node ${selfName}: no InternalIP or ExternalIP in status.addresses`);

  let localAsn: number | null = opts.clusterAsn;
  if (!opts.nodesFullMesh) {
    localAsn = ann.asn;
    if (localAsn === null) errors.push(`node ${selfName}: --nodes-full-mesh=false needs the kube-router.io/node.asn annotation`);
  }

  let routerId: string | null = null;
  if (opts.routerId === 'generate') routerId = selfPrimary !== null ? generatedRouterId(selfPrimary) : null;
  else if (opts.routerId !== '') routerId = opts.routerId;
  else routerId = addresses.ipv4;
  if (routerId === null) errors.push(`node ${selfName}: no IPv4 address for the router ID: set --router-id (an IPv4 address or "generate")`);

  const peers: DesiredPeer[] = [];
  if (opts.enableIbgp && localAsn !== null && selfPrimary !== null) {
    const selfFamily = isIP(selfPrimary);
    for (const n of nodes) {
      const name = n.metadata?.name ?? '';
      if (name === selfName) continue;
      const other = annOf.get(name) ?? parseNodeAnnotations({});
      const addr = primary(nodeAddresses(n));
      if (addr === null || isIP(addr) !== selfFamily) continue; // kube-router skips nodes of another primary family
      const otherAsn = opts.nodesFullMesh ? opts.clusterAsn : other.asn;
      if (otherAsn !== localAsn) continue;
      const selfRR = ann.rrServer !== null;
      const otherRR = other.rrServer !== null;
      if (ann.rrClient !== null && !otherRR) continue; // clients peer only with servers
      if (other.rrClient !== null && !selfRR) continue; // and servers alone peer with clients
      peers.push({
        // kube-router: LocalAddress = the node's own primary IP (the session's source, and our next hop)
        address: addr, asn: otherAsn, port: opts.bgpPort, password: '', localAddress: selfPrimary, kind: 'node', node: name,
        rrClient: selfRR && other.rrClient !== null, multihopTtl: null, passive: compareAddresses(selfPrimary, addr) > 0,
      });
    }
  }
  const external = opts.globalPeers.length > 0
    ? opts.globalPeers.map((p) => ({ address: p.ip, asn: p.asn, port: p.port, password: p.password, localAddress: null, bfd: opts.globalPeersBfd === true }))
    : ann.peers.map((p) => ({ address: p.address, asn: p.asn, port: p.port, password: p.password, localAddress: p.localAddress, bfd: p.bfd }));
  for (const p of external) {
    if (peers.some((x) => x.address === p.address)) {
      errors.push(`node ${selfName}: external peer ${p.address} is also a node; kept as a node peer`);
      continue;
    }
    peers.push({ ...p, kind: 'external', node: null, rrClient: false, multihopTtl: opts.multihopTtl >= 2 ? opts.multihopTtl : null, passive: false });
  }
  peers.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return {
    node: selfName,
    localAsn,
    routerId,
    addresses,
    podCidrs: podCidrsOf(self, ann),
    clusterId: ann.rrServer,
    peers,
    exportPrepend: ann.prepend,
    exportCommunities: ann.communities,
    importReject: ann.importReject,
    errors,
  };
}
