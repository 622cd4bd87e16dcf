// deploy/grafana-dashboard.json queries only metrics podnetd exports (as
// listed in docs/metrics.md, generated from the agent's registry), and every
// podnet-specific metric is on it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentMetrics, seriesNames } from '../../../src/deploy/metrics-list.ts';
import { repoRoot } from './load.ts';

interface Dash {
  panels: { id?: number; type: string; title: string; targets?: { expr: string; refId: string }[]; datasource?: { uid: string } }[];
  templating: { list: { name: string; query: unknown }[] };
}

const dash = JSON.parse(readFileSync(join(repoRoot, 'deploy/grafana-dashboard.json'), 'utf8')) as Dash;
const metricRe = /\bpodnet_[a-z0-9_]+/g;

function queried(d: Dash): Set<string> {
  const exprs = [...d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...d.templating.list.map((v) => (typeof v.query === 'string' ? v.query : ''))];
  return new Set(exprs.flatMap((e) => [...e.matchAll(metricRe)].map((m) => m[0])));
}

describe('Grafana dashboard', () => {
  it('every series it queries is exported by podnetd and documented in docs/metrics.md', async () => {
    const ms = await agentMetrics();
    const exported = new Set(ms.flatMap(seriesNames));
    const doc = readFileSync(join(repoRoot, 'docs/metrics.md'), 'utf8');
    const used = queried(dash);
    assert.ok(used.size >= 10);
    for (const s of used) {
      assert.ok(exported.has(s), `${s} is not exported by podnetd`);
      const base = ms.find((m) => seriesNames(m).includes(s))?.name ?? '';
      assert.ok(doc.includes(`\`${base}\``), `${base} is not in docs/metrics.md`);
    }
  });

  it('shows every podnet metric (not only the runtime defaults)', async () => {
    const used = [...queried(dash)];
    const own = (await agentMetrics()).filter((m) => !m.runtimeDefault);
    const unused = own.filter((m) => !seriesNames(m).some((s) => used.includes(s))).map((m) => m.name);
    assert.deepEqual(unused, []);
  });

  it('a query on a metric the agent does not export is caught (the check can fail)', async () => {
    const exported = new Set((await agentMetrics()).flatMap(seriesNames));
    const bad: Dash = { panels: [{ type: 'stat', title: 'x', targets: [{ refId: 'A', expr: 'sum(rate(podnet_bgp_updates_total[5m]))' }] }], templating: { list: [] } };
    assert.deepEqual([...queried(bad)].filter((s) => !exported.has(s)), ['podnet_bgp_updates_total']);
  });

  it('is a Grafana dashboard: unique panel ids, a Prometheus data source variable on every panel', () => {
    const d = dash as Dash & { schemaVersion: number; uid: string };
    assert.equal(new Set(d.panels.map((p) => p.id)).size, d.panels.length);
    assert.ok(d.schemaVersion >= 30 && d.uid !== '');
    assert.ok(d.templating.list.some((v) => v.name === 'datasource'));
    for (const p of d.panels.filter((x) => x.type !== 'row')) assert.equal(p.datasource?.uid, '${datasource}', p.title);
  });
});
