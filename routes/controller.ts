// The routes controller (--run-router): runs podnet's BGP speaker for this
// node, keeps its neighbours and originated pod CIDRs equal to what the Node
// objects and flags ask for (routes/peering.ts; peers are added, changed and
// removed at run time), and programs the learned best paths as kernel routes
// of podnet's protocol number (routes/kernel.ts, routes/apply.ts), through the
// VXLAN overlay for next hops outside the node's subnets. OnUpdate only marks
// work; a best-path change asks for an incremental sync.
import { isIP } from 'node:net';
import { Speaker, parseAsn, parseIpAddress, parsePrefix, parseRouterId } from '../bgp/index.ts';
import type { NeighborConfig, PathAttributes, Prefix } from '../bgp/index.ts';
import type { Reader } from '../src/k8s/store.ts';
import type { ResourceName } from '../src/k8s/resources.ts';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { MAIN_TABLE, NetlinkRouteTable, PODNET_RTPROT } from '../src/kernel/netlink/routes.ts';
import type { KernelRoute, RouteTable } from '../src/kernel/netlink/routes.ts';
import { confListText, podNetworkConfList, removeOwnConfList, writeFileAtomic } from '../src/kernel/cni-conf.ts';
import { nftApply, nftDeleteTable } from '../src/kernel/nft.ts';
import { ensureTunnel, removeTunnels, syncTunnelPeers } from '../src/kernel/tunnel.ts';
import type { Logger } from '../src/obs/log.ts';
import type { Controller, ControllerContext, SyncContext, SyncKind, SyncReport } from '../src/runtime/controller.ts';
import { applyRoutes, cleanupRoutes, sameNexthops } from './apply.ts';
import { desiredKernelRoutes, inCidr } from './kernel.ts';
import { serviceAdverts } from './services.ts';
import type { ServiceAdvertOptions } from './services.ts';
import type { LearnedRoute } from './kernel.ts';
import { EGRESS_TABLE, egressRuleset } from './egress.ts';
import { loadPolicyFile } from './policy-file.ts';
import { parseNodeAnnotations } from './annotations.ts';
import { desiredPeering, nodeAddresses, podCidrsOf } from './peering.ts';
import type { DesiredPeering, PeeringOptions } from './peering.ts';

export const routesWatches: readonly ResourceName[] = ['nodes', 'services', 'endpointslices'];

/** The kernel side, injectable so the controller runs in tests without root. */
export interface RoutesKernel {
  readonly routes: RouteTable;
  /** Connected subnets of the node (its addresses with prefix length). */
  localSubnets(): Promise<string[]>;
  /** Creates/repairs the tunnel for an underlay family; returns its ifindex. */
  ensureTunnel(family: 4 | 6, local: string): Promise<number>;
  syncTunnelPeers(family: 4 | 6, peers: readonly string[]): Promise<void>;
  removeTunnels(): Promise<void>;
  /** Loads an nftables transaction (the pod egress table). */
  nftApply(text: string): Promise<void>;
}

export interface RoutesControllerOptions extends PeeringOptions {
  readonly nodeName: string;
  readonly syncPeriodMs: number;
  readonly nodes: Reader<V1Node>;
  readonly overlay: { readonly enabled: boolean; readonly type: 'subnet' | 'full' };
  /** Hold time toward peers, seconds. */
  readonly holdTimeS: number;
  /** Kernel access; default: netlink and ip in the agent's network namespace. */
  readonly kernel?: () => RoutesKernel;
  /**
   * How often the kernel is checked for podnet routes that went missing or
   * changed behind its back (an interface bounce drops the routes through it:
   * kube-router#509); a difference asks for a sync at once. Default 5 s.
   */
  readonly kernelCheckMs?: number;
  /** Listen on these addresses instead of the node's (tests). */
  readonly listenAddresses?: readonly string[];
  /** Services and EndpointSlices, for service IP advertisement. */
  readonly services?: Reader<V1Service>;
  readonly endpointSlices?: Reader<V1EndpointSlice>;
  /** --advertise-cluster-ip, -external-ip, -loadbalancer-ip, -pod-cidr, and the ClusterIP aggregate (--advertise-service-cluster-ip-range). */
  readonly advertise?: Omit<ServiceAdvertOptions, 'nodeName'> & { readonly podCidr: boolean };
  /** --bfd-desired-min-tx-interval, --bfd-required-min-rx-interval, --bfd-detection-multiplier, --bfd-port (kube-router's). */
  readonly bfd?: { readonly minTxMs: number; readonly minRxMs: number; readonly multiplier: number; readonly port: number };
  /** --peer-router-max-prefixes and -restart: RFC 4486 limit on what each external peer may send; absent: none. */
  readonly externalMaxPrefixes?: { readonly limit: number; readonly restartS: number };
  /** --bgp-policy-file, and the chains --peer-router-import-policy / -export-policy attach to external peers. */
  readonly policies?: { readonly file: string; readonly importChain: readonly string[]; readonly exportChain: readonly string[] };
  /** --ebgp-require-policy (RFC 8212). */
  readonly ebgpRequirePolicy?: boolean;
  /** --enable-cni: keep this CNI conflist (bridge + host-local over the node's pod CIDRs) written; absent: off. */
  readonly cniConfFile?: string;
  /** --enable-pod-egress (kube-router's default: on). */
  readonly podEgress?: boolean;
  /** --bgp-graceful-restart with its -time and -deferral-time; absent: off. */
  readonly gracefulRestart?: { readonly restartTimeS: number; readonly deferralMs: number };
}

export function realKernel(): RoutesKernel {
  return {
    routes: new NetlinkRouteTable(),
    localSubnets: async () => {
      const { run } = await import('../src/kernel/exec.ts');
      const out = JSON.parse((await run('ip', ['-j', 'addr', 'show'])).stdout) as { addr_info?: { local: string; prefixlen: number; scope: string }[] }[];
      return out.flatMap((l) => (l.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`));
    },
    ensureTunnel: (family, local) => ensureTunnel({ netns: null }, { family, local, underlayMtu: 1500 }),
    syncTunnelPeers: async (family, peers) => void (await syncTunnelPeers({ netns: null }, family, peers)),
    removeTunnels: async () => void (await removeTunnels({ netns: null })),
    nftApply: (text) => nftApply(text),
  };
}

function neighborConfig(
  p: DesiredPeering['peers'][number],
  holdTimeS: number,
  own: DesiredPeering['addresses'],
  maxPrefixes?: RoutesControllerOptions['externalMaxPrefixes'],
  policies?: RoutesControllerOptions['policies'],
  bfd?: RoutesControllerOptions['bfd'],
): NeighborConfig {
  return {
    // BFD (RFC 5880): a dead ToR is noticed in interval x multiplier, not the hold time
    ...(p.bfd === true ? { bfd: { minTxMs: bfd?.minTxMs ?? 1000, minRxMs: bfd?.minRxMs ?? 1000, multiplier: bfd?.multiplier ?? 3 } } : {}),
    ...(p.kind === 'external' && policies !== undefined && policies.importChain.length > 0 ? { importPolicies: policies.importChain } : {}),
    ...(p.kind === 'external' && policies !== undefined && policies.exportChain.length > 0 ? { exportPolicies: policies.exportChain } : {}),
    // --peer-router-max-prefixes: a ToR that leaks a full table must not flood the node
    ...(p.kind === 'external' && maxPrefixes !== undefined ? { maxPrefixes } : {}),
    // Dual stack over one session (MP-BGP): the other family's routes need our address of that family as next hop.
    ...(own.ipv4 !== null ? { nextHopIpv4: parseIpAddress(own.ipv4) } : {}),
    ...(own.ipv6 !== null ? { nextHopIpv6: parseIpAddress(own.ipv6) } : {}),
    address: parseIpAddress(p.address),
    remoteAsn: parseAsn(p.asn),
    port: p.port,
    holdTimeS,
    ...(p.passive ? { passive: true } : {}),
    // Pod networks want fast (re)convergence: retry a failed connection after 5 s, not RFC 4271's 120 s.
    connectRetryS: 5,
    ...(p.localAddress !== null ? { localAddress: parseIpAddress(p.localAddress) } : {}),
    ...(p.rrClient ? { routeReflectorClient: true } : {}),
    ...(p.password !== '' ? { password: p.password } : {}),
    // --peer-router-multihop-ttl: the speaker sends TTL 1 to eBGP peers otherwise
    ...(p.multihopTtl !== null ? { multihopTtl: p.multihopTtl } : {}),
  };
}

/**
 * What the speaker's import and export policies decide on, rebuilt on every
 * sync from flags, Node annotations and Services (kube-router's policy):
 * toward other nodes everything but service IPs; toward external peers only
 * this node's own routes (pod CIDRs unless --advertise-pod-cidr=false, and
 * service IPs), with the node's communities and AS-path prepend annotations;
 * nothing from any peer inside the custom import-reject CIDRs.
 */
interface PolicyState {
  readonly external: ReadonlySet<string>;
  readonly vips: ReadonlySet<string>;
  readonly podCidrs: ReadonlySet<string>;
  readonly advertisePodCidr: boolean;
  readonly communities: readonly number[];
  readonly prepend: { readonly asn: number; readonly repeat: number } | null;
  readonly importReject: readonly string[];
}

const communityNumber = (c: string): number => {
  const [a = '0', b = '0'] = c.split(':');
  return Number(a) * 65536 + Number(b);
};

/** A prefix inside one of the CIDRs (equal or more specific). */
function within(prefix: string, cidrs: readonly string[]): boolean {
  const [addr = '', len = '0'] = prefix.split('/');
  return cidrs.some((c) => Number(len) >= Number(c.split('/')[1] ?? '0') && inCidr(addr, c));
}

export function exportDecision(pol: PolicyState, prefix: string, a: PathAttributes, target: { address: string; ibgp: boolean }, source: 'local' | 'peer'): PathAttributes | null {
  if (!pol.external.has(target.address)) return source === 'local' && pol.vips.has(prefix) ? null : a;
  if (source !== 'local') return null;
  if (pol.podCidrs.has(prefix) && !pol.advertisePodCidr) return null;
  let out = a;
  if (pol.communities.length > 0) out = { ...out, communities: [...new Set([...(out.communities ?? []), ...pol.communities])] };
  const pp = pol.prepend;
  if (pp !== null && !target.ibgp) {
    // kube-router.io/path-prepend.as x repeat-n, after our own AS (RFC 4271 §5.1.2)
    const [head, ...rest] = out.asPath ?? [];
    const extra = Array.from({ length: pp.repeat }, () => parseAsn(pp.asn));
    out = head !== undefined && head.type === 'sequence' ? { ...out, asPath: [{ type: 'sequence', asns: [...head.asns.slice(0, 1), ...extra, ...head.asns.slice(1)] }, ...rest] } : { ...out, asPath: [{ type: 'sequence', asns: extra }, ...(out.asPath ?? [])] };
  }
  return out;
}

export interface RoutesController extends Controller {
  /** The running speaker (for the management API), or null before the first sync. */
  speaker(): Speaker | null;
}

export function createRoutesController(opts: RoutesControllerOptions): RoutesController {
  let speaker: Speaker | null = null;
  let identity = '';
  let kernel: RoutesKernel | null = null;
  let unsubscribe: (() => void) | null = null;
  let ctxRef: ControllerContext | null = null;
  let lastErrors = '';
  let pol: PolicyState = { external: new Set(), vips: new Set(), podCidrs: new Set(), advertisePodCidr: true, communities: [], prepend: null, importReject: [] };
  let vipPrefixes: readonly string[] = [];
  /** The pod egress table as last loaded ('' before the first load). */
  let egressText = '';

  /** --enable-pod-egress: the masquerade table for this node's pods (its removal when off). */
  async function syncEgress(k: RoutesKernel, d: DesiredPeering): Promise<boolean> {
    const nodes = opts.nodes.list();
    const text = egressRuleset({
      ownPodCidrs: opts.podEgress === true ? d.podCidrs : [],
      allPodCidrs: nodes.flatMap((n) => podCidrsOf(n, parseNodeAnnotations(n.metadata?.annotations))),
      nodeIps: nodes.flatMap((n) => Object.values(nodeAddresses(n)).filter((a): a is string => a !== null)),
    });
    if (text === egressText) return false;
    await k.nftApply(text);
    egressText = text;
    return true;
  }
  /**
   * Graceful restart, restarting side (RFC 4724 §4.1): the kernel routes the
   * previous run left, kept until every peer sent End-of-RIB or the deferral
   * time ran out; only then are those no peer re-announced removed. Our own
   * routes are advertised at once: the deferral holds back nothing we send
   * (kube-router#1323).
   */
  let preserved: Set<string> | null = null;
  let deferralTimer: ReturnType<typeof setTimeout> | null = null;
  let pollTimer: ReturnType<typeof setInterval> | null = null;
  let restartedAt = 0;

  function endDeferral(log: Logger, why: string): void {
    if (preserved === null) return;
    log.info({ why, afterMs: Date.now() - restartedAt, kept: preserved.size }, 'graceful restart: deferral over, kernel routes no peer re-announced will be removed');
    preserved = null;
    if (deferralTimer !== null) clearTimeout(deferralTimer);
    if (pollTimer !== null) clearInterval(pollTimer);
    deferralTimer = null;
    pollTimer = null;
    ctxRef?.requestSync('full');
  }

  /** Every enabled neighbour is Established and sent End-of-RIB for each family it negotiated. */
  function allEndOfRib(s: Speaker): boolean {
    return s.neighbors().every((n) => !n.enabled || (n.state === 'Established' && (n.session?.families ?? []).every((f) => n.endOfRib.some((e) => e.family === f))));
  }

  async function ensureSpeaker(d: DesiredPeering, log: Logger): Promise<Speaker | null> {
    if (d.localAsn === null || d.routerId === null) return null;
    const id = `${d.localAsn}/${d.routerId}/${d.addresses.ipv4 ?? ''}/${d.addresses.ipv6 ?? ''}/${d.clusterId ?? ''}`;
    if (speaker !== null && id === identity) return speaker;
    if (speaker !== null) {
      log.info({ from: identity, to: id }, 'BGP identity changed; restarting the speaker');
      unsubscribe?.();
      await speaker.stop('router identity changed');
    }
    const listen = opts.listenAddresses ?? [d.addresses.ipv4, d.addresses.ipv6].filter((a): a is string => a !== null);
    const gr = opts.gracefulRestart;
    let restarting = false;
    if (gr !== undefined && speaker === null) {
      // routes of our protocol in the kernel: a previous run kept forwarding through its restart
      const k = (kernel ??= (opts.kernel ?? realKernel)());
      const left = await k.routes.list(PODNET_RTPROT, MAIN_TABLE);
      restarting = left.length > 0;
      if (restarting) {
        preserved = new Set(left.map((r) => r.dst));
        restartedAt = Date.now();
        log.info({ routes: preserved.size, deferralMs: gr.deferralMs }, 'graceful restart: keeping the kernel routes of the previous run until every peer sent End-of-RIB');
        deferralTimer = setTimeout(() => endDeferral(log, 'deferral time expired'), gr.deferralMs);
        deferralTimer.unref();
        // End-of-RIB changes no best path: look for it on a short period until the deferral ends
        pollTimer = setInterval(() => ctxRef?.requestSync('incremental'), 1000);
        pollTimer.unref();
      }
    }
    const s = new Speaker({
      asn: parseAsn(d.localAsn),
      routerId: parseRouterId(d.routerId),
      listen: { addresses: listen, port: opts.bgpPort },
      // ECMP: up to 8 equal paths per prefix become one multipath kernel route
      maxPaths: 8,
      ...(opts.bfd !== undefined ? { bfdPort: opts.bfd.port } : {}),
      ...(opts.policies !== undefined ? { policies: loadPolicyFile(opts.policies.file) } : {}),
      ...(opts.ebgpRequirePolicy === true ? { ebgpRequirePolicy: true } : {}),
      ...(d.clusterId !== null ? { clusterId: parseRouterId(d.clusterId) } : {}),
      importPolicy: (prefix, attributes) => (pol.importReject.length > 0 && within(prefix, pol.importReject) ? null : attributes),
      exportPolicy: (prefix, attributes, target, source) => exportDecision(pol, prefix, attributes, target, source),
      ...(gr !== undefined ? { gracefulRestart: { restartTimeS: gr.restartTimeS, restarting } } : {}),
      log: (level, msg, fields) => log[level]({ ...fields, component: 'bgp' }, msg),
    });
    unsubscribe = s.onBestPathChange(() => ctxRef?.requestSync('incremental'));
    await s.start();
    speaker = s;
    identity = id;
    return s;
  }

  async function syncPeers(s: Speaker, d: DesiredPeering, log: Logger): Promise<number> {
    let changed = 0;
    const want = new Set<string>();
    for (const p of d.peers) {
      want.add(parseIpAddress(p.address));
      try {
        if ((await s.setNeighbor(neighborConfig(p, opts.holdTimeS, d.addresses, opts.externalMaxPrefixes, opts.policies, opts.bfd))) !== 'unchanged') changed++;
      } catch (err) {
        log.warn({ peer: p.address, err: err instanceof Error ? err.message : String(err) }, 'peer not configured');
      }
    }
    for (const a of s.neighborAddresses()) {
      if (!want.has(a)) {
        await s.removeNeighbor(a);
        changed++;
      }
    }
    const prefixes = new Set<Prefix>([...d.podCidrs, ...vipPrefixes].map((c) => parsePrefix(c, false)));
    for (const o of s.originated()) {
      if (!prefixes.has(o.prefix)) {
        s.withdraw(o.prefix);
        changed++;
      }
    }
    const have = new Set(s.originated().map((o) => o.prefix));
    for (const p of prefixes) {
      if (!have.has(p)) {
        s.originate({ prefix: p });
        changed++;
      }
    }
    return changed;
  }

  let subnetsCache: string[] | null = null;
  /** What the last successful apply programmed, for the kernel check. */
  let lastApplied: readonly KernelRoute[] | null = null;
  let checkTimer: ReturnType<typeof setInterval> | null = null;
  let checking = false;

  /** The kernel check: a podnet route missing or with other next hops than applied asks for a sync. */
  async function checkKernel(): Promise<void> {
    const k = kernel;
    const want = lastApplied;
    if (checking || k === null || want === null || want.length === 0) return;
    checking = true;
    try {
      const have = new Map((await k.routes.list(PODNET_RTPROT, MAIN_TABLE)).map((r) => [r.dst, r]));
      const lost = want.filter((w) => {
        const h = have.get(w.dst);
        return h === undefined || !sameNexthops(w.nexthops, h.nexthops);
      });
      if (lost.length > 0) {
        ctxRef?.log.warn({ routes: lost.map((r) => r.dst) }, 'routes: kernel routes lost or changed behind our back (interface bounce?); restoring');
        // the tunnel or the addresses may be what changed: read them again
        subnetsCache = null;
        tunnelCache.ipv4 = null;
        tunnelCache.ipv6 = null;
        tunnelPeersApplied.ipv4 = null;
        tunnelPeersApplied.ipv6 = null;
        ctxRef?.requestSync('incremental');
      }
    } catch {
      // the next check tries again; the periodic full sync repairs anyway
    } finally {
      checking = false;
    }
  }
  const tunnelCache: { ipv4: number | null; ipv6: number | null } = { ipv4: null, ipv6: null };
  const tunnelPeersApplied: { ipv4: string | null; ipv6: string | null } = { ipv4: null, ipv6: null };

  async function syncKernel(s: Speaker, d: DesiredPeering, log: Logger, kind: SyncKind): Promise<{ programmed: number; changed: number }> {
    const k = (kernel ??= (opts.kernel ?? realKernel)());
    const learned: LearnedRoute[] = [];
    for (const dest of s.rib()) {
      const best = dest.paths.find((p) => p.best);
      if (best === undefined || best.source === 'local') continue;
      // ECMP: the best path and the paths the RIB marked as its multipath peers
      const nexthops = dest.paths.filter((p) => p.best || p.multipath).map((p): string | null => p.nextHop).filter((n): n is string => n !== null);
      if (nexthops.length === 0) continue;
      learned.push({ prefix: dest.prefix, nexthops });
    }
    // The node's subnets and its tunnels change rarely: an incremental sync
    // (a best-path change) reuses what the last full sync read, so a
    // withdrawal spawns no process before the route goes (a full sync, or a
    // failed apply, reads and repairs them again).
    if (kind === 'full' || subnetsCache === null) subnetsCache = await k.localSubnets();
    if (kind === 'full') {
      tunnelCache.ipv4 = null;
      tunnelCache.ipv6 = null;
      tunnelPeersApplied.ipv4 = null;
      tunnelPeersApplied.ipv6 = null;
    }
    const subnets = subnetsCache;
    // which next hops need the tunnel (ifindex 0 stands for it here)
    const probe = desiredKernelRoutes(learned, { ownPrefixes: d.podCidrs, localSubnets: subnets, overlay: opts.overlay, tunnelIfindex: { ipv4: 0, ipv6: 0 } });
    const tunnelIfindex: { ipv4: number | null; ipv6: number | null } = { ipv4: null, ipv6: null };
    if (opts.overlay.enabled) {
      for (const [fam, key, local] of [[4, 'ipv4', d.addresses.ipv4], [6, 'ipv6', d.addresses.ipv6]] as const) {
        if (local === null) continue;
        const peers = probe.tunnelPeers.filter((p) => isIP(p) === fam);
        if (peers.length > 0 && tunnelCache[key] === null) tunnelCache[key] = await k.ensureTunnel(fam, local);
        tunnelIfindex[key] = tunnelCache[key];
      }
    }
    const want = desiredKernelRoutes(learned, { ownPrefixes: d.podCidrs, localSubnets: subnets, overlay: opts.overlay, tunnelIfindex });
    for (const [fam, key] of [[4, 'ipv4'], [6, 'ipv6']] as const) {
      if (tunnelIfindex[key] === null) continue;
      const peers = want.tunnelPeers.filter((p) => isIP(p) === fam);
      if (tunnelPeersApplied[key] === peers.join(',')) continue;
      await k.syncTunnelPeers(fam, peers);
      tunnelPeersApplied[key] = peers.join(',');
    }
    if (preserved !== null && allEndOfRib(s)) endDeferral(log, 'every peer sent End-of-RIB');
    const res = await applyRoutes(k.routes, want.routes, PODNET_RTPROT, MAIN_TABLE, preserved ?? undefined);
    for (const f of res.failed) log.warn(f, 'kernel route not programmed');
    for (const sk of want.skipped) log.debug(sk, 'learned route not programmed');
    if (res.failed.length > 0) {
      // a tunnel or an address may have changed behind us: read everything again on the retry
      subnetsCache = null;
      tunnelCache.ipv4 = null;
      tunnelCache.ipv6 = null;
      tunnelPeersApplied.ipv4 = null;
      tunnelPeersApplied.ipv6 = null;
      throw new Error(`${res.failed.length} kernel route(s) failed; first: ${res.failed[0]?.error ?? ''}`);
    }
    lastApplied = want.routes;
    const egress = await syncEgress(k, d);
    return { programmed: want.routes.length, changed: res.replaced.length + res.deleted.length + (egress ? 1 : 0) };
  }

  return {
    speaker: () => speaker,
    name: 'routes',
    syncPeriodMs: opts.syncPeriodMs,
    watches: routesWatches,
    async run(ctx: ControllerContext): Promise<void> {
      ctxRef = ctx;
      checkTimer = setInterval(() => void checkKernel(), opts.kernelCheckMs ?? 5_000);
      checkTimer.unref();
    },
    onUpdate(e): SyncKind | null {
      if (e.kind === 'nodes') return 'full';
      // services and slices matter only when service IPs are advertised
      return (e.kind === 'services' || e.kind === 'endpointslices') && opts.advertise !== undefined && (opts.advertise.clusterIp || opts.advertise.externalIp || opts.advertise.loadBalancerIp) ? 'incremental' : null;
    },
    async sync(kind: SyncKind, ctx: SyncContext): Promise<SyncReport> {
      const d = desiredPeering(opts.nodeName, opts.nodes.list(), opts);
      const adv = opts.advertise;
      const sa =
        adv === undefined || opts.services === undefined || opts.endpointSlices === undefined
          ? { prefixes: [], errors: [] }
          : serviceAdverts(opts.services.list(), opts.endpointSlices.list(), { ...adv, nodeName: opts.nodeName });
      vipPrefixes = sa.prefixes;
      const next: PolicyState = {
        external: new Set(d.peers.filter((p) => p.kind === 'external').map((p) => parseIpAddress(p.address) as string)),
        vips: new Set(sa.prefixes.map((p) => parsePrefix(p, false) as string)),
        podCidrs: new Set(d.podCidrs.map((p) => parsePrefix(p, false) as string)),
        advertisePodCidr: adv?.podCidr ?? true,
        communities: d.exportCommunities.map(communityNumber),
        prepend: d.exportPrepend,
        importReject: d.importReject,
      };
      const exportChanged = JSON.stringify({ ...next, external: [...next.external], vips: [...next.vips], podCidrs: [...next.podCidrs], importReject: [] }) !== JSON.stringify({ ...pol, external: [...pol.external], vips: [...pol.vips], podCidrs: [...pol.podCidrs], importReject: [] });
      const importChanged = JSON.stringify(next.importReject) !== JSON.stringify(pol.importReject);
      pol = next;
      const errs = [...d.errors, ...sa.errors].join('; ');
      if (errs !== lastErrors) {
        if (errs !== '') ctx.log.warn({ errors: d.errors }, 'node configuration problems (the rest is applied)');
        lastErrors = errs;
      }
      const s = await ensureSpeaker(d, ctx.log);
      if (s === null) throw new Error(`no BGP identity for node ${opts.nodeName}: ${errs}`);
      const peersChanged = await syncPeers(s, d, ctx.log);
      // --enable-cni: the kubelet's conflist follows the node's pod CIDRs (written atomically, only on change)
      if (opts.cniConfFile !== undefined && d.podCidrs.length > 0) {
        if (await writeFileAtomic(opts.cniConfFile, confListText(podNetworkConfList(d.podCidrs)))) ctx.log.info({ file: opts.cniConfFile, podCidrs: d.podCidrs }, 'routes: CNI configuration written');
      }
      if (exportChanged || importChanged) {
        ctx.log.info({ export: exportChanged, import: importChanged, vips: vipPrefixes.length }, 'routes: BGP policy inputs changed; re-exporting and refreshing without session resets');
        s.policiesChanged({ export: exportChanged, import: importChanged });
      }
      const k = await syncKernel(s, d, ctx.log, kind);
      return { programmed: k.programmed, changed: k.changed + peersChanged };
    },
    async stop(): Promise<void> {
      unsubscribe?.();
      unsubscribe = null;
      if (deferralTimer !== null) clearTimeout(deferralTimer);
      if (pollTimer !== null) clearInterval(pollTimer);
      if (checkTimer !== null) clearInterval(checkTimer);
      deferralTimer = null;
      pollTimer = null;
      checkTimer = null;
      lastApplied = null;
      // Kernel routes stay: the data plane is left as it is. With graceful
      // restart the sessions are dropped without a NOTIFICATION, so peers keep
      // this node's routes until it is back (RFC 4724 §4.2).
      await speaker?.stop('podnetd stopping', { restart: opts.gracefulRestart !== undefined });
      speaker = null;
      identity = '';
      kernel?.routes.close();
      kernel = null;
      subnetsCache = null;
      tunnelCache.ipv4 = null;
      tunnelCache.ipv6 = null;
      tunnelPeersApplied.ipv4 = null;
      tunnelPeersApplied.ipv6 = null;
      egressText = '';
    },
    async cleanup(log: Logger): Promise<void> {
      const k = (opts.kernel ?? realKernel)();
      const r = await cleanupRoutes(k.routes, PODNET_RTPROT, MAIN_TABLE);
      await k.removeTunnels();
      await nftDeleteTable('inet', EGRESS_TABLE).catch(() => undefined);
      const cniRemoved = opts.cniConfFile !== undefined && (await removeOwnConfList(opts.cniConfFile).catch(() => false));
      if (cniRemoved) log.info({ file: opts.cniConfFile }, 'routes: removed the CNI configuration podnet wrote');
      k.routes.close();
      log.info({ routesDeleted: r.deleted.length, failed: r.failed.length }, 'routes: removed podnet routes and tunnels');
    },
  };
}
