// Every file of the repository that is generated from code, by path: the
// manifests and dashboard under deploy/, the flag and metric references under
// docs/. scripts/deploy-generate.ts writes them; the unit tier compares them.
import { dashboard } from './dashboard.ts';
import { flagsMarkdown, metricsMarkdown } from './docs.ts';
import { variants } from './manifests.ts';
import { renderManifest } from './render.ts';

export async function generatedFiles(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const v of variants) out.set(`deploy/${v.file}`, renderManifest(v.variant));
  out.set('deploy/grafana-dashboard.json', `${JSON.stringify(dashboard(), null, 2)}\n`);
  out.set('docs/flags.md', flagsMarkdown());
  out.set('docs/metrics.md', await metricsMarkdown());
  return out;
}
