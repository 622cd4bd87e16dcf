// Writes (or, with --check, compares) every generated file of the repository:
// deploy/*.yaml, deploy/grafana-dashboard.json, docs/flags.md, docs/metrics.md.
// Usage: node scripts/deploy-generate.ts [--check] [deploy|docs]. --check exits
// 1 naming each stale file (CI runs it; so does the unit tier).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../src/deploy/generated.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const only = process.argv.slice(2).find((a) => a === 'deploy' || a === 'docs');
const stale: string[] = [];
for (const [rel, text] of await generatedFiles()) {
  if (only !== undefined && !rel.startsWith(`${only}/`)) continue;
  const path = join(root, rel);
  let old: string | null = null;
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    old = null;
  }
  if (old === text) continue;
  if (check) stale.push(rel);
  else {
    writeFileSync(path, text);
    process.stdout.write(`wrote ${rel}\n`);
  }
}
if (stale.length > 0) {
  process.stderr.write(`stale generated files (run npm run deploy:generate and npm run docs:generate):\n  ${stale.join('\n  ')}\n`);
  process.exitCode = 1;
}
