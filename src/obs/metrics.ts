// Prometheus metrics (prom-client) of the runtime and the caches: sync
// duration histograms, sync errors, restarts and last success per controller,
// and watch restarts / relists / staleness per cache. Controllers register
// their own metrics on the same registry.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const metricPrefix = 'podnet_';

export interface RuntimeMetrics {
  readonly registry: Registry;
  readonly syncDuration: Histogram<'controller' | 'kind' | 'result'>;
  readonly syncErrors: Counter<'controller'>;
  readonly controllerRestarts: Counter<'controller'>;
  readonly lastSyncSuccess: Gauge<'controller'>;
  readonly controllerHealthy: Gauge<'controller'>;
  readonly watchRestarts: Counter<'resource' | 'reason'>;
  readonly relists: Counter<'resource' | 'reason'>;
  readonly cacheObjects: Gauge<'resource'>;
  readonly buildInfo: Gauge<'version' | 'node_version'>;
}

export function createMetrics(version: string, opts: { defaults?: boolean } = {}): RuntimeMetrics {
  const registry = new Registry();
  if (opts.defaults !== false) collectDefaultMetrics({ register: registry, prefix: metricPrefix });
  const m: RuntimeMetrics = {
    registry,
    syncDuration: new Histogram({
      name: `${metricPrefix}controller_sync_duration_seconds`,
      help: 'Duration of controller syncs, by controller, kind (full|incremental) and result (ok|error)',
      labelNames: ['controller', 'kind', 'result'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    syncErrors: new Counter({
      name: `${metricPrefix}controller_sync_errors_total`,
      help: 'Failed controller syncs (each is retried with backoff)',
      labelNames: ['controller'],
      registers: [registry],
    }),
    controllerRestarts: new Counter({
      name: `${metricPrefix}controller_restarts_total`,
      help: 'Times the supervisor restarted a crashed controller',
      labelNames: ['controller'],
      registers: [registry],
    }),
    lastSyncSuccess: new Gauge({
      name: `${metricPrefix}controller_last_sync_success_timestamp_seconds`,
      help: 'Unix time of the last successful sync of each controller',
      labelNames: ['controller'],
      registers: [registry],
    }),
    controllerHealthy: new Gauge({
      name: `${metricPrefix}controller_healthy`,
      help: '1 when the controller is healthy (see /healthz), else 0',
      labelNames: ['controller'],
      registers: [registry],
    }),
    watchRestarts: new Counter({
      name: `${metricPrefix}k8s_watch_restarts_total`,
      help: 'Watches restarted after they ended or failed, by resource and reason',
      labelNames: ['resource', 'reason'],
      registers: [registry],
    }),
    relists: new Counter({
      name: `${metricPrefix}k8s_relists_total`,
      help: 'Full lists of a resource (initial, 410 Gone, error), by resource and reason',
      labelNames: ['resource', 'reason'],
      registers: [registry],
    }),
    cacheObjects: new Gauge({
      name: `${metricPrefix}k8s_cache_objects`,
      help: 'Objects held in each cache',
      labelNames: ['resource'],
      registers: [registry],
    }),
    buildInfo: new Gauge({
      name: `${metricPrefix}build_info`,
      help: 'Build information; always 1',
      labelNames: ['version', 'node_version'],
      registers: [registry],
    }),
  };
  m.buildInfo.set({ version, node_version: process.version }, 1);
  return m;
}
