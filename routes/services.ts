// Service IP advertisement (kube-router's --advertise-cluster-ip,
// --advertise-external-ip, --advertise-loadbalancer-ip): from Services and
// EndpointSlices, the /32 and /128 prefixes this node originates toward its
// external peers. Per-service annotations turn each kind on or off against the
// flag; externalTrafficPolicy Local (or kube-router.io/service.local) limits
// externalIPs and LoadBalancer IPs to nodes with a ready local endpoint, and
// internalTrafficPolicy Local does the same for ClusterIPs, so upstream
// routers ECMP only over nodes that can serve. With the aggregate option the
// service CIDRs are advertised once instead of a /32 per ClusterIP (ToR tables
// overflow otherwise: kube-router#923). Pure.
import { isIP } from 'node:net';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';

export interface ServiceAdvertOptions {
  readonly nodeName: string;
  readonly clusterIp: boolean;
  readonly externalIp: boolean;
  readonly loadBalancerIp: boolean;
  /** Advertise these CIDRs (--service-cluster-ip-range) instead of one prefix per ClusterIP. */
  readonly clusterIpAggregate: readonly string[] | null;
}

export const ANN_ADVERTISE_CLUSTER_IP = 'kube-router.io/service.advertise.clusterip';
export const ANN_ADVERTISE_EXTERNAL_IP = 'kube-router.io/service.advertise.externalip';
export const ANN_ADVERTISE_LB_IP = 'kube-router.io/service.advertise.loadbalancerip';
export const ANN_SERVICE_LOCAL = 'kube-router.io/service.local';
export const ANN_SKIP_LB_IPS = 'kube-router.io/service.skiplbips';

export interface ServiceAdverts {
  /** Prefixes to originate, sorted. */
  readonly prefixes: readonly string[];
  /** Problems with single services (the rest is advertised). */
  readonly errors: readonly string[];
}

/** The annotation's "true"/"false" against the flag's default. */
function wanted(ann: Readonly<Record<string, string>>, key: string, flag: boolean): boolean {
  const v = ann[key]?.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  return flag;
}

const hostPrefix = (ip: string): string | null => (isIP(ip) === 4 ? `${ip}/32` : isIP(ip) === 6 ? `${ip.toLowerCase()}/128` : null);

/** Whether this node has a ready endpoint of the service (EndpointSlice conditions; ready unset counts as ready). */
function hasLocalEndpoint(svc: V1Service, slices: readonly V1EndpointSlice[], nodeName: string): boolean {
  const ns = svc.metadata?.namespace ?? 'default';
  const name = svc.metadata?.name ?? '';
  return slices.some(
    (s) =>
      (s.metadata?.namespace ?? 'default') === ns &&
      s.metadata?.labels?.['kubernetes.io/service-name'] === name &&
      (s.endpoints ?? []).some((e) => e.nodeName === nodeName && e.conditions?.ready !== false && e.conditions?.terminating !== true),
  );
}

export function serviceAdverts(services: readonly V1Service[], slices: readonly V1EndpointSlice[], o: ServiceAdvertOptions): ServiceAdverts {
  const out = new Set<string>();
  const errors: string[] = [];
  if (o.clusterIp && o.clusterIpAggregate !== null) for (const c of o.clusterIpAggregate) out.add(c);
  for (const svc of services) {
    const ann = svc.metadata?.annotations ?? {};
    const id = `${svc.metadata?.namespace ?? 'default'}/${svc.metadata?.name ?? ''}`;
    const spec = svc.spec ?? {};
    const add = (ip: string, what: string): void => {
      const p = hostPrefix(ip);
      if (p === null) errors.push(`service ${id}: ${what} ${JSON.stringify(ip)} is not an IP address`);
      else out.add(p);
    };
    // kube-router.io/service.local forces eTP Local (in kube-router's code, not iTP)
    const local = (kind: 'external' | 'internal'): boolean =>
      kind === 'external' ? ann[ANN_SERVICE_LOCAL]?.trim().toLowerCase() === 'true' || spec.externalTrafficPolicy === 'Local' : spec.internalTrafficPolicy === 'Local';
    const served = (kind: 'external' | 'internal'): boolean => !local(kind) || hasLocalEndpoint(svc, slices, o.nodeName);

    // ClusterIPs (headless "None" has none); the aggregate replaces the /32s
    if (wanted(ann, ANN_ADVERTISE_CLUSTER_IP, o.clusterIp) && (o.clusterIpAggregate === null || !o.clusterIp) && served('internal')) {
      const ips = spec.clusterIPs ?? (spec.clusterIP !== undefined ? [spec.clusterIP] : []);
      for (const ip of ips) if (ip !== 'None' && ip !== '') add(ip, 'clusterIP');
    }
    if (wanted(ann, ANN_ADVERTISE_EXTERNAL_IP, o.externalIp) && served('external')) {
      for (const ip of spec.externalIPs ?? []) add(ip, 'externalIP');
    }
    if (wanted(ann, ANN_ADVERTISE_LB_IP, o.loadBalancerIp) && ann[ANN_SKIP_LB_IPS] === undefined && served('external')) {
      for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
        // ipMode Proxy: the load balancer proxies, the IP is not ours to route (KEP-1860)
        if (ing.ip !== undefined && (ing as { ipMode?: string }).ipMode !== 'Proxy') add(ing.ip, 'LoadBalancer ingress IP');
      }
    }
  }
  return { prefixes: [...out].sort(), errors };
}
