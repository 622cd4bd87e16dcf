// The agent's Prometheus metrics as data (name, type, labels, help), read
// from a registry built exactly as podnetd builds it: the runtime's metrics
// plus every controller's, all three controllers enabled. docs/metrics.md and
// the dashboard test are derived from it, so neither can name a metric the
// agent does not export.
import type { Registry } from 'prom-client';
import { parseArgs } from '../config.ts';
import { Store } from '../k8s/store.ts';
import { buildControllers } from '../main.ts';
import { createMetrics } from '../obs/metrics.ts';
import { version } from '../version.ts';

export interface MetricInfo {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly labels: readonly string[];
  /** prom-client's default process/Node.js metrics (prefixed podnet_). */
  readonly runtimeDefault: boolean;
}

function registryOf(defaults: boolean): Registry {
  const cmd = parseArgs([], {}, 'metrics-doc');
  if (cmd.kind !== 'run') throw new Error('unreachable: no flags parse to run');
  const m = createMetrics(version, { defaults });
  buildControllers(cmd.config, () => new Store(), m.registry);
  return m.registry;
}

/** Every metric podnetd registers, sorted by name. */
export async function agentMetrics(): Promise<MetricInfo[]> {
  const own = new Set((await registryOf(false).getMetricsAsJSON()).map((j) => j.name));
  const out: MetricInfo[] = [];
  const reg = registryOf(true);
  for (const json of await reg.getMetricsAsJSON()) {
    // prom-client keeps the label names on the metric object, untyped.
    const labelNames = (reg.getSingleMetric(json.name) as { labelNames?: readonly string[] } | undefined)?.labelNames ?? [];
    out.push({ name: json.name, type: String(json.type), help: json.help, labels: [...labelNames], runtimeDefault: !own.has(json.name) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Series names a metric exposes (histograms: _bucket, _sum, _count). */
export function seriesNames(m: MetricInfo): string[] {
  if (m.type === 'histogram') return [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`];
  if (m.type === 'summary') return [m.name, `${m.name}_sum`, `${m.name}_count`];
  return [m.name];
}
