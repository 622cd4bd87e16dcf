// The Grafana dashboard (deploy/grafana-dashboard.json): one row per concern
// (controllers, Kubernetes caches, firewall, process), every query on the
// metrics podnetd exports (the unit tier checks each name against
// metrics-list.ts). Grafana dashboard JSON model, schemaVersion 39.
interface Panel {
  readonly title: string;
  readonly type: 'timeseries' | 'stat' | 'table';
  readonly unit: string;
  readonly targets: readonly { expr: string; legend: string }[];
  readonly description: string;
}

const sel = '{instance=~"$instance"}';

const rows: readonly { title: string; panels: readonly Panel[] }[] = [
  {
    title: 'Controllers',
    panels: [
      { title: 'Unhealthy controllers', type: 'stat', unit: 'none', description: 'Controllers whose /healthz check fails (podnet_controller_healthy == 0), all nodes.', targets: [{ expr: `count(podnet_controller_healthy${sel} == 0) or vector(0)`, legend: 'unhealthy' }] },
      { title: 'Seconds since last successful sync', type: 'timeseries', unit: 's', description: 'A full sync runs every --*-sync-period; a growing line means syncs fail.', targets: [{ expr: `time() - max by (instance, controller) (podnet_controller_last_sync_success_timestamp_seconds${sel})`, legend: '{{instance}} {{controller}}' }] },
      { title: 'Sync duration p99', type: 'timeseries', unit: 's', description: 'By controller and sync kind (full, incremental).', targets: [{ expr: `histogram_quantile(0.99, sum by (le, controller, kind) (rate(podnet_controller_sync_duration_seconds_bucket${sel}[5m])))`, legend: '{{controller}} {{kind}}' }] },
      { title: 'Syncs per second', type: 'timeseries', unit: 'ops', description: 'By controller and result.', targets: [{ expr: `sum by (controller, result) (rate(podnet_controller_sync_duration_seconds_count${sel}[5m]))`, legend: '{{controller}} {{result}}' }] },
      { title: 'Sync errors per second', type: 'timeseries', unit: 'ops', description: 'Failed syncs (retried with backoff by the runtime).', targets: [{ expr: `sum by (instance, controller) (rate(podnet_controller_sync_errors_total${sel}[5m]))`, legend: '{{instance}} {{controller}}' }] },
      { title: 'Controller restarts (1h)', type: 'timeseries', unit: 'none', description: 'The supervisor restarted a controller after it crashed.', targets: [{ expr: `sum by (instance, controller) (increase(podnet_controller_restarts_total${sel}[1h]))`, legend: '{{instance}} {{controller}}' }] },
    ],
  },
  {
    title: 'Kubernetes caches',
    panels: [
      { title: 'Objects in cache', type: 'timeseries', unit: 'none', description: 'Per resource (the largest node).', targets: [{ expr: `max by (resource) (podnet_k8s_cache_objects${sel})`, legend: '{{resource}}' }] },
      { title: 'Watch restarts per second', type: 'timeseries', unit: 'ops', description: 'By resource and reason.', targets: [{ expr: `sum by (resource, reason) (rate(podnet_k8s_watch_restarts_total${sel}[5m]))`, legend: '{{resource}} {{reason}}' }] },
      { title: 'Relists per second', type: 'timeseries', unit: 'ops', description: 'Full lists (410 Gone, errors): frequent relists load the API server.', targets: [{ expr: `sum by (resource, reason) (rate(podnet_k8s_relists_total${sel}[5m]))`, legend: '{{resource}} {{reason}}' }] },
    ],
  },
  {
    title: 'NetworkPolicy',
    panels: [
      { title: 'Programmed chains and ipsets', type: 'timeseries', unit: 'none', description: 'What the firewall controller holds in the kernel, by family.', targets: [{ expr: `sum by (instance, family) (podnet_firewall_chains${sel})`, legend: 'chains {{instance}} {{family}}' }, { expr: `sum by (instance, family) (podnet_firewall_ipsets${sel})`, legend: 'ipsets {{instance}} {{family}}' }] },
      { title: 'Top pods by dropped packets', type: 'table', unit: 'none', description: "Packets a pod's policy chain rejected (the counter restarts when the chain is rewritten).", targets: [{ expr: `topk(10, podnet_firewall_pod_dropped_packets${sel})`, legend: '{{namespace}}/{{pod}} {{direction}}' }] },
    ],
  },
  {
    title: 'Process',
    panels: [
      { title: 'Resident memory', type: 'timeseries', unit: 'bytes', description: 'Compare with the DaemonSet memory request (200Mi) and limit (512Mi).', targets: [{ expr: `podnet_process_resident_memory_bytes${sel}`, legend: '{{instance}}' }] },
      { title: 'CPU', type: 'timeseries', unit: 'percentunit', description: 'Cores used.', targets: [{ expr: `rate(podnet_process_cpu_seconds_total${sel}[5m])`, legend: '{{instance}}' }] },
      { title: 'Event loop lag p99', type: 'timeseries', unit: 's', description: 'A stalled loop delays BGP keepalives and health answers.', targets: [{ expr: `podnet_nodejs_eventloop_lag_p99_seconds${sel}`, legend: '{{instance}}' }] },
      { title: 'Versions', type: 'table', unit: 'none', description: 'podnet and Node.js version per node.', targets: [{ expr: `podnet_build_info${sel}`, legend: '{{instance}} {{version}} {{node_version}}' }] },
    ],
  },
];

/** Every PromQL expression of the dashboard. */
export function dashboardExprs(): string[] {
  return rows.flatMap((r) => r.panels.flatMap((p) => p.targets.map((t) => t.expr)));
}

export function dashboard(): Record<string, unknown> {
  const ds = { type: 'prometheus', uid: '${datasource}' };
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    row.panels.forEach((p, i) => {
      panels.push({
        id: id++,
        type: p.type,
        title: p.title,
        description: p.description,
        datasource: ds,
        gridPos: { h: 8, w: 8, x: (i % 3) * 8, y: y + Math.floor(i / 3) * 8 },
        fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
        options: {},
        targets: p.targets.map((t, k) => ({ refId: String.fromCharCode(65 + k), datasource: ds, expr: t.expr, legendFormat: t.legend, ...(p.type === 'table' ? { format: 'table', instant: true } : {}) })),
      });
    });
    y += Math.ceil(row.panels.length / 3) * 8;
  }
  return {
    title: 'podnet',
    uid: 'podnet-agent',
    tags: ['podnet', 'kubernetes', 'network'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Data source' },
        { name: 'instance', type: 'query', datasource: ds, query: 'label_values(podnet_build_info, instance)', includeAll: true, multi: true, allValue: '.*', current: { text: 'All', value: '$__all' }, refresh: 2, label: 'Node' },
      ],
    },
    panels,
  };
}
