// podnetd's command line: kube-router's flag names, defaults and syntax
// (pflag: --flag=value, --flag value, bare --bool, comma lists, Go durations),
// parsed and validated with zod into a typed Config. Each flag is one entry of
// a registry, so --help and the flag reference are generated from it.
import { isIP } from 'node:net';
import { z } from 'zod';

export type Group = 'process' | 'routes' | 'firewall' | 'services';

interface FlagDef<T, N extends string = string> {
  readonly name: N;
  readonly short?: string;
  readonly group: Group;
  readonly help: string;
  /** Default as kube-router prints it. */
  readonly defaultText: string;
  readonly default: T;
  readonly isBool?: boolean;
  /** zod schema from the raw command-line string to the value. */
  readonly schema: z.ZodType<T, string>;
  readonly env?: string;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const goDurationRe = /^(\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration ("90s", "5m", "1h30m", "0") to milliseconds. */
export function parseDuration(raw: string): number | null {
  if (raw === '0') return 0;
  if (!goDurationRe.test(raw)) return null;
  let ms = 0;
  for (const m of raw.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * (unitMs[m[2] ?? 's'] ?? 0);
  return ms;
}

const bool = z
  .string()
  .transform((s, ctx) => {
    if (/^(true|1|t|True|TRUE)$/.test(s)) return true;
    if (/^(false|0|f|False|FALSE)$/.test(s)) return false;
    ctx.addIssue({ code: 'custom', message: 'must be true or false' });
    return z.NEVER;
  });

const str = z.string();

function int(min: number, max: number): z.ZodType<number, string> {
  return z.string().transform((s, ctx) => {
    const n = /^-?\d+$/.test(s) ? Number(s) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });
}

function duration(minMs: number, maxMs = Number.MAX_SAFE_INTEGER): z.ZodType<number, string> {
  return z.string().transform((s, ctx) => {
    const ms = parseDuration(s);
    if (ms === null || ms < minMs || ms > maxMs) {
      ctx.addIssue({ code: 'custom', message: `must be a duration like 90s, 5m or 1h30m, at least ${minMs / 1000} s` });
      return z.NEVER;
    }
    return ms;
  });
}

function list<T>(item: (s: string) => T | string, what: string): z.ZodType<T[], string> {
  return z.string().transform((s, ctx) => {
    if (s === '') return [];
    const out: T[] = [];
    for (const part of s.split(',')) {
      const v = item(part.trim());
      if (typeof v === 'string') {
        ctx.addIssue({ code: 'custom', message: `item "${part}" ${v}; expected a comma-separated list of ${what}` });
        return z.NEVER;
      }
      out.push(v);
    }
    return out;
  });
}

/** kube-router's rule for the cluster ASN: 0 means 64512; else a private ASN. */
const clusterAsn = int(0, 4294967295).transform((n, ctx) => {
  if (n === 0) return 64512;
  if ((n >= 64512 && n <= 65535) || (n >= 4200000000 && n <= 4294967294)) return n;
  ctx.addIssue({ code: 'custom', message: 'must be a private ASN: 64512-65535 or 4200000000-4294967294 (0 means 64512)' });
  return z.NEVER;
});

const ipItem = (s: string): string | { ip: string } => (isIP(s) !== 0 ? { ip: s } : 'is not an IP address');
const nameItem = (s: string): { name: string } | string => (/^[A-Za-z0-9_.-]{1,64}$/.test(s) ? { name: s } : 'is not a policy name (1-64 of A-Z a-z 0-9 _ . -)');
const asnItem = (s: string): number | string => (/^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 4294967295 ? Number(s) : 'is not an ASN (1-4294967295)');
const portItem = (s: string): number | string => (/^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 65535 ? Number(s) : 'is not a port (1-65535)');
const cidrItem = (s: string): { cidr: string } | string => {
  const [addr = '', len, extra] = s.split('/');
  const v = isIP(addr);
  if (v === 0 || extra !== undefined || (len !== undefined && (!/^\d{1,3}$/.test(len) || Number(len) > (v === 4 ? 32 : 128)))) return 'is not a CIDR';
  return { cidr: s };
};
const portRange = z.string().transform((s, ctx): [number, number] => {
  const m = /^(\d{1,5})[-:](\d{1,5})$/.exec(s);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (m === null || lo < 1 || hi > 65535 || lo > hi) {
    ctx.addIssue({ code: 'custom', message: 'must be a port range FROM-TO (1-65535, FROM <= TO)' });
    return z.NEVER;
  }
  return [lo, hi];
});
const passwordItem = (s: string): { password: string } | string => {
  if (s === '') return { password: '' };
  const b = Buffer.from(s, 'base64');
  return b.length > 0 && b.toString('base64').replace(/=+$/, '') === s.replace(/=+$/, '') ? { password: b.toString('utf8') } : 'is not base64';
};

function def<const N extends string, T>(d: FlagDef<T, N>): FlagDef<T, N> {
  return d;
}

/** Every flag podnetd accepts, in --help order. */
export const flagDefs = [
  def({ name: 'run-router', group: 'process', help: 'Enable the routes controller (BGP pod networking).', defaultText: 'true', default: true, isBool: true, schema: bool }),
  def({ name: 'run-firewall', group: 'process', help: 'Enable the NetworkPolicy controller.', defaultText: 'true', default: true, isBool: true, schema: bool }),
  def({ name: 'run-service-proxy', group: 'process', help: 'Enable the service proxy (IPVS or nftables).', defaultText: 'true', default: true, isBool: true, schema: bool }),
  def({ name: 'kubeconfig', group: 'process', help: 'Path to a kubeconfig; otherwise the in-cluster config.', defaultText: '""', default: '', schema: str }),
  def({ name: 'master', group: 'process', help: 'API server address (overrides the kubeconfig).', defaultText: '""', default: '', schema: str }),
  def({ name: 'hostname-override', group: 'process', help: 'Node name; otherwise $NODE_NAME, then the hostname.', defaultText: '""', default: '', schema: str, env: 'NODE_NAME' }),
  def({ name: 'cache-sync-timeout', group: 'process', help: 'Maximum wait for the initial sync of the Kubernetes caches.', defaultText: '1m0s', default: 60_000, schema: duration(1000) }),
  def({ name: 'cleanup-config', group: 'process', help: "Run every controller's Cleanup (remove what podnet programmed) and exit.", defaultText: 'false', default: false, isBool: true, schema: bool }),
  def({ name: 'health-addr', group: 'process', help: 'Listen address of the health server ("" = all).', defaultText: '""', default: '', schema: str }),
  def({ name: 'health-port', group: 'process', help: 'Health port (/healthz); 0 disables the listener.', defaultText: '20244', default: 20244, schema: int(0, 65535) }),
  def({ name: 'metrics-addr', group: 'process', help: 'Prometheus listen address ("" = all).', defaultText: '""', default: '', schema: str }),
  def({ name: 'metrics-port', group: 'process', help: 'Prometheus port; metrics are served only when it is 1-65534.', defaultText: '0', default: 0, schema: int(0, 65535) }),
  def({ name: 'metrics-path', group: 'process', help: 'Prometheus path.', defaultText: '/metrics', default: '/metrics', schema: z.string().regex(/^\/\S*$/, 'must be a path starting with /') }),
  def({ name: 'api-socket', group: 'process', help: 'Unix socket of the local management API (root only), used by the podnet CLI.', defaultText: '/run/podnet/podnetd.sock', default: '/run/podnet/podnetd.sock', schema: z.string().min(1, 'must not be empty') }),
  def({ name: 'v', short: 'v', group: 'process', help: 'Log verbosity: 0 info, 1 sync details, 2+ payloads.', defaultText: '0', default: 0, schema: int(0, 10) }),
  def({ name: 'cluster-asn', group: 'routes', help: 'iBGP ASN of the cluster (64512-65535 or 4200000000-4294967294; 0 means 64512).', defaultText: '0', default: 64512, schema: clusterAsn }),
  def({ name: 'peer-router-ips', group: 'routes', help: 'External BGP peers every node peers with.', defaultText: '[]', default: [] as { ip: string }[], schema: list(ipItem, 'IP addresses') }),
  def({ name: 'peer-router-asns', group: 'routes', help: 'ASN of each peer in --peer-router-ips, in order.', defaultText: '[]', default: [] as number[], schema: list(asnItem, 'ASNs') }),
  def({ name: 'peer-router-ports', group: 'routes', help: 'Remote port of each peer (default 179).', defaultText: '[]', default: [] as number[], schema: list(portItem, 'ports') }),
  def({ name: 'peer-router-passwords', group: 'routes', help: 'Base64 TCP-MD5 password of each peer; an empty item means none.', defaultText: '[]', default: [] as { password: string }[], schema: list(passwordItem, 'base64 passwords') }),
  def({ name: 'peer-router-multihop-ttl', group: 'routes', help: 'eBGP multihop TTL toward the external peers, applied when it is 2 or more (else TTL 1).', defaultText: '0', default: 0, schema: int(0, 255) }),
  def({ name: 'enable-bfd', group: 'routes', help: 'BFD (RFC 5880/5881) with the --peer-router-ips peers: a dead peer closes the BGP session within the detection time instead of the hold time (annotation peers: bfd.enabled in kube-router.io/peers).', defaultText: 'false', default: false, isBool: true, schema: bool }),
  def({ name: 'bfd-port', group: 'routes', help: 'BFD UDP port (RFC 5881: 3784).', defaultText: '3784', default: 3784, schema: int(1, 65535) }),
  def({ name: 'bfd-detection-multiplier', group: 'routes', help: 'BFD detection multiplier: the peer is dead after this many of its intervals without a packet.', defaultText: '3', default: 3, schema: int(1, 255) }),
  def({ name: 'bfd-desired-min-tx-interval', group: 'routes', help: 'BFD transmit interval once Up, in ms.', defaultText: '1000', default: 1000, schema: int(10, 60_000) }),
  def({ name: 'bfd-required-min-rx-interval', group: 'routes', help: 'BFD slowest receive interval asked of the peer, in ms.', defaultText: '1000', default: 1000, schema: int(10, 60_000) }),
  def({ name: 'peer-router-max-prefixes', group: 'routes', help: 'Most prefixes accepted from each external peer; beyond it the session is closed with Cease / Maximum Number of Prefixes Reached (RFC 4486) and restarted after --peer-router-max-prefixes-restart. 0: no limit.', defaultText: '0', default: 0, schema: int(0, 4294967295) }),
  def({ name: 'peer-router-max-prefixes-restart', group: 'routes', help: 'How long a session closed by --peer-router-max-prefixes stays down before it restarts.', defaultText: '1m0s', default: 60_000, schema: duration(1000, 86_400_000) }),
  def({ name: 'bgp-policy-file', group: 'routes', help: 'YAML/JSON file of named BGP routing policies (docs/bgp-policy.md), checked at start-up.', defaultText: '""', default: '', schema: z.string() }),
  def({ name: 'peer-router-import-policy', group: 'routes', help: 'Policies (names in --bgp-policy-file, run in order) applied to routes from the external peers.', defaultText: '[]', default: [] as { name: string }[], schema: list(nameItem, 'policy names') }),
  def({ name: 'peer-router-export-policy', group: 'routes', help: 'Policies applied to routes sent to the external peers (after podnet\'s own export rules).', defaultText: '[]', default: [] as { name: string }[], schema: list(nameItem, 'policy names') }),
  def({ name: 'ebgp-require-policy', group: 'routes', help: 'RFC 8212: exchange nothing with an eBGP peer that has no import (export) policy. Off by default like kube-router; the lab turns it on.', defaultText: 'false', default: false, isBool: true, schema: bool }),
  def({ name: 'nodes-full-mesh', group: 'routes', help: 'Every node peers with every node; if false, only nodes with the same kube-router.io/node.asn annotation.', defaultText: 'true', default: true, isBool: true, schema: bool }),
  def({ name: 'enable-ibgp', group: 'routes', help: 'Peer with the other nodes (iBGP); if false, only external peers are used.', defaultText: 'true', default: true, isBool: true, schema: bool }),
  def({ name: 'bgp-port', group: 'routes', help: 'BGP listen port, also the remote port of node peers.', defaultText: '179', default: 179, schema: int(1, 65535) }),
  def({ name: 'bgp-holdtime', group: 'routes', help: 'BGP hold time proposed to peers (3s to 18h12m15s; 0 disables keepalives).', defaultText: '1m30s', default: 90_000, schema: duration(0, 65_535_000).refine((ms) => ms === 0 || ms >= 3000, 'must be 0 or at least 3s') }),
  def({ name: 'advertise-cluster-ip', group: 'routes', help: 'Originate a /32 (/128) per ClusterIP toward external peers (never toward other nodes); per service: kube-router.io/service.advertise.clusterip. internalTrafficPolicy Local: only from nodes with a ready endpoint.', defaultText: 'false', default: false, isBool: true, schema: bool }),
  def({ name: 'advertise-external-ip', group: 'routes', help: 'Same for spec.externalIPs (kube-router.io/service.advertise.externalip); externalTrafficPolicy Local: only from nodes with a ready endpoint.', defaultText: 'false', default: false, isBool: true, schema: bool }),
  def({ name: 'advertise-loadbalancer-ip', group: 'routes', help: 'Same for status.loadBalancer.ingress IPs (kube-router.io/service.advertise.loadbalancerip); externalTrafficPolicy Local: only from nodes with a ready endpoint.', defaultText: 'false', default: false, isBool: true, schema: bool }),
  def({ name: 'advertise-pod-cidr', group: 'routes', help: 'Advertise the node\'s pod CIDRs to external peers (other nodes always get them).', defaultText: 'true', default: true, isBool: true, schema: bool }),
  def({ name: 'advertise-service-cluster-ip-range', group: 'routes', help: 'With --advertise-cluster-ip: advertise the --service-cluster-ip-range CIDRs once instead of a /32 per ClusterIP, so ToR tables do not grow with the services (kube-router#923).', defaultText: 'false', default: false, isBool: true, schema: bool }),
  def({ name: 'enable-cni', group: 'routes', help: 'Keep the CNI conflist (--cni-conf-file: bridge kube-bridge, host-local over the node\'s pod CIDRs, MTU 1450, hairpin) written, atomically, whenever the pod CIDRs change; cleanup removes it if it is podnet\'s.', defaultText: 'true', default: true, isBool: true, schema: bool }),
  def({ name: 'cni-conf-file', group: 'routes', help: 'Where --enable-cni writes the CNI conflist (kube-router writes 10-kuberouter.conflist; podnet\'s name keeps the two apart).', defaultText: '/etc/cni/net.d/10-podnet.conflist', default: '/etc/cni/net.d/10-podnet.conflist', schema: z.string().regex(/^\/\S+$/, 'must be an absolute path') }),
  def({ name: 'enable-pod-egress', group: 'routes', help: 'Masquerade traffic from this node\'s pods to destinations outside every pod CIDR and node address (nftables table inet podnet_egress).', defaultText: 'true', default: true, isBool: true, schema: bool }),
  def({ name: 'bgp-graceful-restart', group: 'routes', help: 'Graceful restart (RFC 4724, RFC 8538) with every peer: peers keep this node\'s routes while podnetd restarts (kernel routes stay), and this node keeps theirs.', defaultText: 'false', default: false, isBool: true, schema: bool }),
  def({ name: 'bgp-graceful-restart-time', group: 'routes', help: 'Restart time advertised to peers: how long they keep this node\'s routes while it restarts (at most 4095s).', defaultText: '1m30s', default: 90_000, schema: duration(1000, 4_095_000) }),
  def({ name: 'bgp-graceful-restart-deferral-time', group: 'routes', help: 'After a restart, the longest wait for every peer\'s End-of-RIB before kernel routes no peer re-announced are removed (our own routes are advertised at once; at most 18h).', defaultText: '6m0s', default: 360_000, schema: duration(1000, 64_800_000) }),
  def({ name: 'router-id', group: 'routes', help: 'BGP router ID: an IPv4 address, or "generate" (FNV-32a of the node IP); default the node IPv4.', defaultText: '""', default: '', schema: z.string().refine((s) => s === '' || s === 'generate' || isIP(s) === 4, 'must be an IPv4 address or "generate"') }),
  def({ name: 'enable-overlay', group: 'routes', help: 'Tunnel pod traffic to next hops outside the node subnets (see --overlay-type).', defaultText: 'true', default: true, isBool: true, schema: bool }),
  def({ name: 'overlay-type', group: 'routes', help: 'subnet: tunnel only to next hops outside the node subnets; full: tunnel to every node.', defaultText: 'subnet', default: 'subnet' as 'subnet' | 'full', schema: z.enum(['subnet', 'full'], { message: 'must be subnet or full' }) }),
  def({ name: 'overlay-encap', group: 'routes', help: 'Tunnel encapsulation: vxlan (ipip and fou are not implemented yet).', defaultText: 'vxlan', default: 'vxlan' as const, schema: z.enum(['vxlan'], { message: 'must be vxlan (ipip and fou are not implemented yet)' }) }),
  def({ name: 'routes-sync-period', group: 'routes', help: 'Period of the routes controller full sync.', defaultText: '5m0s', default: 300_000, schema: duration(1000) }),
  def({ name: 'iptables-sync-period', group: 'firewall', help: 'Period of the forced full NetworkPolicy sync.', defaultText: '5m0s', default: 300_000, schema: duration(1000) }),
  def({ name: 'netpol-default-deny', group: 'firewall', help: 'Reject new traffic of a local pod until its policy chains are programmed (pod-CIDR addresses not yet in PODNET-LOCAL-PODS*).', defaultText: 'false', default: false, isBool: true, schema: bool }),
  def({ name: 'netpol-nflog-group', group: 'firewall', help: 'NFLOG group of packets NetworkPolicy rejects (rate-limited log, prefix "PODNET DROP ...").', defaultText: '100', default: 100, schema: int(0, 65535) }),
  def({ name: 'ipvs-sync-period', group: 'services', help: 'Period of the full service proxy reconcile.', defaultText: '5m0s', default: 300_000, schema: duration(1000) }),
  def({ name: 'service-proxy-mode', group: 'services', help: 'Service proxy backend: nftables, or auto (nftables; the IPVS backend is not implemented yet).', defaultText: 'auto', default: 'auto' as 'auto' | 'nftables', schema: z.enum(['auto', 'nftables'], { message: 'must be auto or nftables (the IPVS backend is not implemented yet)' }) }),
  def({ name: 'masquerade-all', group: 'services', help: 'SNAT all service traffic to the node, not only traffic from outside the pod network.', defaultText: 'false', default: false, isBool: true, schema: bool }),
  def({ name: 'hairpin-mode', group: 'services', help: 'Hairpin SNAT for every service (otherwise per service with kube-router.io/service.hairpin).', defaultText: 'false', default: false, isBool: true, schema: bool }),
  def({ name: 'nodeport-bindon-all-ip', group: 'services', help: 'Serve NodePorts on every local address, not only the node IP of each family.', defaultText: 'false', default: false, isBool: true, schema: bool }),
  def({ name: 'strict-external-ip-validation', group: 'services', help: 'externalIPs must lie in --service-external-ip-range and LB IPs in --loadbalancer-ip-range (with no range, none are served).', defaultText: 'true', default: true, isBool: true, schema: bool }),
  def({ name: 'service-cluster-ip-range', group: 'services', help: 'Service CIDRs (one per family): other ports of ClusterIPs are rejected, unallocated addresses dropped, externalIPs inside refused.', defaultText: '10.96.0.0/12', default: [{ cidr: '10.96.0.0/12' }] as { cidr: string }[], schema: list(cidrItem, 'CIDRs') }),
  def({ name: 'service-external-ip-range', group: 'services', help: 'CIDRs externalIPs may come from.', defaultText: '[]', default: [] as { cidr: string }[], schema: list(cidrItem, 'CIDRs') }),
  def({ name: 'loadbalancer-ip-range', group: 'services', help: 'CIDRs LoadBalancer ingress IPs may come from.', defaultText: '[]', default: [] as { cidr: string }[], schema: list(cidrItem, 'CIDRs') }),
  def({ name: 'service-node-port-range', group: 'services', help: 'NodePort range, FROM-TO or FROM:TO; NodePorts outside it are not served.', defaultText: '30000-32767', default: [30000, 32767] as [number, number], schema: portRange }),
] as const;

type Defs = typeof flagDefs;
type ValueOf<D> = D extends FlagDef<infer T, string> ? T : never;
type CamelCase<S extends string> = S extends `${infer H}-${infer R}` ? `${H}${Capitalize<CamelCase<R>>}` : S;

export type Flags = { -readonly [D in Defs[number] as CamelCase<D['name']>]: ValueOf<D> };

export interface ExternalPeer {
  readonly ip: string;
  readonly asn: number;
  readonly port: number;
  readonly password: string;
}

export interface Config extends Flags {
  readonly nodeName: string;
  readonly peers: readonly ExternalPeer[];
}

export type Command = { kind: 'run'; config: Config } | { kind: 'help' } | { kind: 'version' };

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function lookup(token: string): FlagDef<unknown> | undefined {
  return (flagDefs as readonly FlagDef<unknown>[]).find((d) => d.name === token || d.short === token);
}

function apply(values: Record<string, unknown>, d: FlagDef<unknown>, raw: string): void {
  const r = d.schema.safeParse(raw);
  if (!r.success) {
    const why = r.error.issues.map((i) => i.message).join('; ');
    throw new UsageError(`invalid value "${raw}" for --${d.name}: ${why}`);
  }
  values[camel(d.name)] = r.data;
}

/**
 * Parses podnetd's arguments. Throws UsageError (exit 2) naming the flag, the
 * value and what is allowed.
 */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv, hostname: string): Command {
  const values: Record<string, unknown> = {};
  for (const d of flagDefs as readonly FlagDef<unknown>[]) values[camel(d.name)] = d.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '-V' || arg === '--version') return { kind: 'version' };
    const m = /^--?([A-Za-z0-9][A-Za-z0-9-]*)(?:=([\s\S]*))?$/.exec(arg);
    if (m === null) throw new UsageError(`unexpected argument "${arg}": podnetd takes flags only (see podnetd --help)`);
    const name = m[1] ?? '';
    const d = lookup(name);
    if (d === undefined || (arg.startsWith('--') === false && d.short !== name && name.length > 1)) {
      throw new UsageError(`unknown flag ${arg.split('=')[0]} (see podnetd --help)`);
    }
    let raw = m[2];
    if (raw === undefined) {
      if (d.isBool === true) raw = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new UsageError(`flag --${d.name} needs a value`);
        raw = next;
        i++;
      }
    }
    apply(values, d, raw);
  }
  const flags = values as Flags;
  const n = flags.peerRouterIps.length;
  const sameLength = (what: string, len: number): void => {
    if (len !== 0 && len !== n) {
      throw new UsageError(`--${what} has ${len} item(s) but --peer-router-ips has ${n}: give one per peer`);
    }
  };
  if (flags.peerRouterAsns.length !== n) {
    throw new UsageError(`--peer-router-asns has ${flags.peerRouterAsns.length} item(s) but --peer-router-ips has ${n}: give one ASN per peer`);
  }
  sameLength('peer-router-ports', flags.peerRouterPorts.length);
  sameLength('peer-router-passwords', flags.peerRouterPasswords.length);
  const peers = flags.peerRouterIps.map((p, i) => ({
    ip: p.ip,
    asn: flags.peerRouterAsns[i] ?? 0,
    port: flags.peerRouterPorts[i] ?? 179,
    password: flags.peerRouterPasswords[i]?.password ?? '',
  }));
  const nodeName = flags.hostnameOverride !== '' ? flags.hostnameOverride : (env['NODE_NAME'] ?? '') !== '' ? (env['NODE_NAME'] ?? '') : hostname;
  return { kind: 'run', config: { ...flags, nodeName, peers } };
}

const groupTitles: Record<Group, string> = {
  process: 'Process',
  routes: 'Routes controller (--run-router)',
  firewall: 'Network policy controller (--run-firewall)',
  services: 'Service proxy (--run-service-proxy)',
};

/** podnetd --help, generated from the flag registry. */
export function usage(): string {
  const lines = ['Usage: podnetd [flags]', '', 'podnet node agent: BGP pod routes, NetworkPolicy and a service proxy.', ''];
  for (const g of Object.keys(groupTitles) as Group[]) {
    lines.push(`${groupTitles[g]}:`);
    for (const d of (flagDefs as readonly FlagDef<unknown>[]).filter((x) => x.group === g)) {
      const head = `${d.short !== undefined ? `-${d.short}, ` : '    '}--${d.name}${d.isBool === true ? '' : ' value'}`;
      const env = d.env !== undefined ? ` (env ${d.env})` : '';
      lines.push(`  ${head.padEnd(34)} ${d.help}${env} (default ${d.defaultText})`);
    }
    lines.push('');
  }
  lines.push('  -h, --help                         Show this help.', '  -V, --version                      Print the version.');
  return lines.join('\n');
}
