// Pure: the kernel routes a node wants for the pod CIDRs it learned over BGP.
// For each learned prefix and each of its equal-cost next hops (kube-router
// §3.4): a next hop inside one of the node's own subnets is used directly; one
// outside them goes through the overlay tunnel when --enable-overlay (always
// with --overlay-type full); otherwise no kernel route is made and the
// underlay is trusted to route. The node's own pod CIDRs are never routed.
import { isIP } from 'node:net';
import type { KernelRoute, NextHop } from '../src/kernel/netlink/routes.ts';
import { MAIN_TABLE, PODNET_RTPROT, addrBytes } from '../src/kernel/netlink/routes.ts';

export interface LearnedRoute {
  readonly prefix: string;
  /** Equal-cost next hops (the best path's, plus its multipath peers). */
  readonly nexthops: readonly string[];
}

export interface KernelRouteOptions {
  /** This node's pod CIDRs: never routed elsewhere. */
  readonly ownPrefixes: readonly string[];
  /** Connected subnets of the node (its addresses with their prefix length). */
  readonly localSubnets: readonly string[];
  readonly overlay: { readonly enabled: boolean; readonly type: 'subnet' | 'full' };
  /** Interface index of the tunnel device, per family, when it exists. */
  readonly tunnelIfindex: { readonly ipv4: number | null; readonly ipv6: number | null };
}

export interface DesiredKernelRoutes {
  readonly routes: readonly KernelRoute[];
  /** Remote node addresses that must be reachable through the tunnel (FDB + neighbour entries). */
  readonly tunnelPeers: readonly string[];
  readonly skipped: readonly { readonly prefix: string; readonly reason: string }[];
}

/** Is `addr` inside `cidr`? Both of the same family. */
export function inCidr(addr: string, cidr: string): boolean {
  const [net = '', lenText = '0'] = cidr.split('/');
  if (isIP(addr) !== isIP(net) || isIP(addr) === 0) return false;
  const a = addrBytes(addr);
  const n = addrBytes(net);
  let bits = Number(lenText);
  for (let i = 0; i < a.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a[i] ?? 0) & mask) !== ((n[i] ?? 0) & mask)) return false;
  }
  return true;
}

export function desiredKernelRoutes(learned: readonly LearnedRoute[], opts: KernelRouteOptions): DesiredKernelRoutes {
  const own = new Set(opts.ownPrefixes);
  const routes: KernelRoute[] = [];
  const tunnelPeers = new Set<string>();
  const skipped: { prefix: string; reason: string }[] = [];
  for (const l of [...learned].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0))) {
    if (own.has(l.prefix)) continue;
    const family = isIP(l.prefix.split('/')[0] ?? '');
    const hops: NextHop[] = [];
    const reasons: string[] = [];
    for (const nh of [...new Set(l.nexthops)].sort()) {
      if (isIP(nh) !== family) {
        reasons.push(`next hop ${nh} is of another family`);
        continue;
      }
      const direct = opts.localSubnets.some((s) => inCidr(nh, s));
      if (opts.overlay.enabled && (opts.overlay.type === 'full' || !direct)) {
        const ifindex = family === 4 ? opts.tunnelIfindex.ipv4 : opts.tunnelIfindex.ipv6;
        if (ifindex === null) {
          reasons.push(`next hop ${nh} needs the tunnel, which does not exist yet`);
          continue;
        }
        hops.push({ gateway: nh, ifindex, onlink: true });
        tunnelPeers.add(nh);
      } else if (direct) {
        hops.push({ gateway: nh });
      } else {
        reasons.push(`next hop ${nh} is outside the node's subnets and the overlay is off: left to the underlay`);
      }
    }
    if (hops.length === 0) {
      skipped.push({ prefix: l.prefix, reason: reasons.join('; ') || 'no next hop' });
      continue;
    }
    routes.push({ dst: l.prefix, nexthops: hops, table: MAIN_TABLE, protocol: PODNET_RTPROT });
  }
  return { routes, tunnelPeers: [...tunnelPeers].sort(), skipped };
}
