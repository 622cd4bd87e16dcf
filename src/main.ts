// podnetd: the node agent. The only file that wires all controllers: parses
// the flags, builds logs, metrics, the Kubernetes caches and the controllers,
// serves /healthz, /metrics and the management socket, and shuts down on
// SIGTERM/SIGINT leaving the data plane as it is. --cleanup-config runs every
// controller's Cleanup and exits.
import { hostname } from 'node:os';
import { createFirewallController, firewallWatches } from '../firewall/controller.ts';
import { PolicyError } from '../bgp/index.ts';
import { loadPolicyFile } from '../routes/policy-file.ts';
import { createRoutesController, routesWatches } from '../routes/controller.ts';
import type { RoutesController } from '../routes/controller.ts';
import { createServicesController, servicesWatches } from '../services/controller.ts';
import { registerBgpApi } from './api/bgp.ts';
import { startMgmtApi } from './api/server.ts';
import type { MgmtApi } from './api/server.ts';
import { UsageError, parseArgs, usage } from './config.ts';
import type { Config } from './config.ts';
import { Caches } from './k8s/caches.ts';
import type { ResourceName, ResourceTypes } from './k8s/resources.ts';
import { Store } from './k8s/store.ts';
import type { Reader } from './k8s/store.ts';
import { KubeTransport, loadKubeConfig } from './k8s/transport.ts';
import type { Transport } from './k8s/transport.ts';
import { startObsServers } from './obs/http.ts';
import type { ObsServers } from './obs/http.ts';
import { createLogger } from './obs/log.ts';
import type { Logger } from './obs/log.ts';
import { createMetrics } from './obs/metrics.ts';
import type { Registry } from 'prom-client';
import { realClock } from './runtime/clock.ts';
import type { Controller } from './runtime/controller.ts';
import { Supervisor } from './runtime/supervisor.ts';
import { version } from './version.ts';

export interface Io {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

/** The caches the enabled controllers read. */
export function cacheKinds(cfg: Config): ResourceName[] {
  const kinds = [
    ...(cfg.runRouter ? routesWatches : []),
    ...(cfg.runFirewall ? firewallWatches : []),
    ...(cfg.runServiceProxy ? servicesWatches : []),
  ];
  return [...new Set(kinds)];
}

export function buildControllers(cfg: Config, read: <R extends ResourceName>(r: R) => Reader<ResourceTypes[R]>, registry?: Registry): Controller[] {
  const out: Controller[] = [];
  if (cfg.runRouter) {
    out.push(
      createRoutesController({
        nodeName: cfg.nodeName,
        syncPeriodMs: cfg.routesSyncPeriod,
        nodes: read('nodes'),
        clusterAsn: cfg.clusterAsn,
        nodesFullMesh: cfg.nodesFullMesh,
        enableIbgp: cfg.enableIbgp,
        bgpPort: cfg.bgpPort,
        globalPeers: cfg.peers,
        multihopTtl: cfg.peerRouterMultihopTtl,
        routerId: cfg.routerId,
        overlay: { enabled: cfg.enableOverlay, type: cfg.overlayType },
        holdTimeS: Math.round(cfg.bgpHoldtime / 1000),
        podEgress: cfg.enablePodEgress,
        globalPeersBfd: cfg.enableBfd,
        bfd: { minTxMs: cfg.bfdDesiredMinTxInterval, minRxMs: cfg.bfdRequiredMinRxInterval, multiplier: cfg.bfdDetectionMultiplier, port: cfg.bfdPort },
        ...(cfg.bgpPolicyFile !== ''
          ? { policies: { file: cfg.bgpPolicyFile, importChain: cfg.peerRouterImportPolicy.map((p) => p.name), exportChain: cfg.peerRouterExportPolicy.map((p) => p.name) } }
          : {}),
        ebgpRequirePolicy: cfg.ebgpRequirePolicy,
        ...(cfg.peerRouterMaxPrefixes > 0 ? { externalMaxPrefixes: { limit: cfg.peerRouterMaxPrefixes, restartS: Math.round(cfg.peerRouterMaxPrefixesRestart / 1000) } } : {}),
        ...(cfg.enableCni ? { cniConfFile: cfg.cniConfFile } : {}),
        services: read('services'),
        endpointSlices: read('endpointslices'),
        advertise: {
          clusterIp: cfg.advertiseClusterIp,
          externalIp: cfg.advertiseExternalIp,
          loadBalancerIp: cfg.advertiseLoadbalancerIp,
          podCidr: cfg.advertisePodCidr,
          clusterIpAggregate: cfg.advertiseServiceClusterIpRange ? cfg.serviceClusterIpRange.map((c) => c.cidr) : null,
        },
        ...(cfg.bgpGracefulRestart ? { gracefulRestart: { restartTimeS: Math.round(cfg.bgpGracefulRestartTime / 1000), deferralMs: cfg.bgpGracefulRestartDeferralTime } } : {}),
      }),
    );
  }
  if (cfg.runFirewall) {
    out.push(
      createFirewallController({
        syncPeriodMs: cfg.iptablesSyncPeriod,
        ...(registry !== undefined ? { registry } : {}),
        source: {
          nodeName: cfg.nodeName,
          readers: { pods: read('pods'), namespaces: read('namespaces'), networkpolicies: read('networkpolicies'), nodes: read('nodes') },
          options: { defaultDeny: cfg.netpolDefaultDeny, nflogGroup: cfg.netpolNflogGroup },
        },
      }),
    );
  }
  if (cfg.runServiceProxy) {
    out.push(
      createServicesController({
        syncPeriodMs: cfg.ipvsSyncPeriod,
        mode: cfg.serviceProxyMode,
        source: {
          nodeName: cfg.nodeName,
          readers: { services: read('services'), endpointslices: read('endpointslices'), nodes: read('nodes') },
          options: {
            masqueradeAll: cfg.masqueradeAll,
            hairpinMode: cfg.hairpinMode,
            nodePortBindOnAllIp: cfg.nodeportBindonAllIp,
            strictExternalIpValidation: cfg.strictExternalIpValidation,
            externalIpRanges: cfg.serviceExternalIpRange.map((c) => c.cidr),
            loadBalancerIpRanges: cfg.loadbalancerIpRange.map((c) => c.cidr),
            nodePortRange: cfg.serviceNodePortRange,
            serviceClusterIpRanges: cfg.serviceClusterIpRange.map((c) => c.cidr),
          },
        },
      }),
    );
  }
  return out;
}

export interface Agent {
  readonly health: ObsServers;
  readonly api: MgmtApi;
  readonly supervisor: Supervisor;
  readonly caches: Caches;
  stop(): Promise<void>;
}

/** Starts the agent; resolves once its endpoints listen (caches may still be syncing). */
export async function startAgent(cfg: Config, log: Logger, transport?: Transport): Promise<Agent> {
  const clock = realClock;
  const metrics = createMetrics(version);
  const kinds = cacheKinds(cfg);
  const tr = transport ?? new KubeTransport(loadKubeConfig({ kubeconfig: cfg.kubeconfig, master: cfg.master }));
  const caches = new Caches(kinds, tr, { clock, log: log.child({ component: 'k8s' }), metrics });
  const controllers = buildControllers(cfg, (r) => caches.reader(r), metrics.registry);
  const supervisor = new Supervisor(controllers, {
    clock,
    log,
    cacheProblem: (k) => caches.problem(k),
    observer: {
      syncDone: (name, kind, seconds, ok) => {
        metrics.syncDuration.observe({ controller: name, kind, result: ok ? 'ok' : 'error' }, seconds);
        if (ok) metrics.lastSyncSuccess.set({ controller: name }, clock.wallNow() / 1000);
        else metrics.syncErrors.inc({ controller: name });
      },
      restarted: (name) => metrics.controllerRestarts.inc({ controller: name }),
    },
  });
  let started = false;
  const health = () => {
    const h = supervisor.health();
    for (const c of h.controllers) metrics.controllerHealthy.set({ controller: c.name }, c.healthy ? 1 : 0);
    if (started) return h;
    const why = caches.problem(kinds) ?? 'waiting for the initial cache sync';
    return { healthy: false, controllers: h.controllers.map((c) => ({ ...c, healthy: false, reason: why })) };
  };
  const obs = await startObsServers(cfg, { health, caches: () => caches.status() }, metrics.registry);
  const api = await startMgmtApi(cfg.apiSocket);
  // `podnet neighbor`, `podnet global rib`...: the routes controller's speaker, once it runs
  const routes = controllers.find((c): c is RoutesController => c.name === 'routes');
  registerBgpApi(api, () => routes?.speaker() ?? null);
  api.handle('GET', '/v1/status', () => ({
    node: cfg.nodeName,
    version,
    started,
    health: health(),
    caches: caches.status(),
  }));
  caches.onEvent((e) => supervisor.dispatch(e));
  caches.start();
  // Controllers start only on a full cache: a sync from an empty cache would
  // withdraw everything already programmed.
  const syncing = (async () => {
    for (;;) {
      try {
        await caches.waitForSync(cfg.cacheSyncTimeout);
        break;
      } catch (err) {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'still waiting for the Kubernetes caches; controllers not started');
      }
    }
    started = true;
    supervisor.start();
    log.info({ controllers: controllers.map((c) => c.name), caches: kinds }, 'caches synced; controllers started');
  })();
  return {
    health: obs,
    api,
    supervisor,
    caches,
    stop: async () => {
      await Promise.race([syncing, Promise.resolve()]);
      await supervisor.stop();
      await caches.stop();
      await obs.close();
      await api.close();
    },
  };
}

async function cleanup(cfg: Config, log: Logger): Promise<number> {
  let failed = 0;
  // Cleanup reads no cache: the controllers get empty ones.
  const empty = <R extends ResourceName>(_r: R): Reader<ResourceTypes[R]> => new Store<ResourceTypes[R]>();
  for (const c of buildControllers({ ...cfg, runRouter: true, runFirewall: true, runServiceProxy: true }, empty)) {
    try {
      await c.cleanup(log.child({ controller: c.name }));
    } catch (err) {
      failed++;
      log.error({ controller: c.name, err: err instanceof Error ? err.message : String(err) }, 'cleanup failed');
    }
  }
  return failed === 0 ? 0 : 1;
}

/** The policy flags, checked together: the file parses and every chained name is in it. */
function checkPolicyFlags(cfg: Config): string | null {
  const chains = [...cfg.peerRouterImportPolicy, ...cfg.peerRouterExportPolicy].map((p) => p.name);
  if (cfg.bgpPolicyFile === '') return chains.length > 0 ? '--peer-router-import-policy / -export-policy need --bgp-policy-file' : null;
  let names: Set<string>;
  try {
    names = new Set(loadPolicyFile(cfg.bgpPolicyFile).map((p) => p.name));
  } catch (e) {
    return e instanceof PolicyError ? `invalid --bgp-policy-file:\n  ${e.problems.join('\n  ')}` : String(e);
  }
  const missing = chains.filter((n) => !names.has(n));
  return missing.length > 0 ? `--bgp-policy-file ${cfg.bgpPolicyFile} has no policy named ${missing.map((n) => JSON.stringify(n)).join(', ')}` : null;
}

/** podnetd's entry: returns the exit code (2 for a usage error). */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let cmd;
  try {
    cmd = parseArgs(argv, process.env, hostname());
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`podnetd: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (cmd.kind === 'help') {
    io.out(`${usage()}\n`);
    return 0;
  }
  if (cmd.kind === 'version') {
    io.out(`podnetd ${version} (node ${process.version})\n`);
    return 0;
  }
  const cfg = cmd.config;
  // a policy file podnetd cannot read or understand stops it here, with every problem named
  const policyProblem = checkPolicyFlags(cfg);
  if (policyProblem !== null) {
    io.err(`podnetd: ${policyProblem}\n`);
    return 2;
  }
  const log = createLogger(cfg.v);
  if (cfg.cleanupConfig) return cleanup(cfg, log);
  let agent: Agent;
  try {
    agent = await startAgent(cfg, log);
  } catch (err) {
    log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'podnetd could not start');
    return 1;
  }
  log.info({ node: cfg.nodeName, version, health: agent.health.healthUrl, metrics: agent.health.metricsUrl, socket: cfg.apiSocket }, 'podnetd running');
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string): void => {
      log.info({ signal: sig }, 'shutting down; the data plane is left as it is');
      resolve();
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  await agent.stop();
  return 0;
}
