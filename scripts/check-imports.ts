// Enforces the layer rules of ../shared/docs/ARCHITECTURE.md on every import:
//   1. leaves: bgp/ and the platform (src/runtime, src/k8s, src/kernel, src/obs)
//      never import each other, nor anything above them;
//   2. controllers (routes/, firewall/, services/) import the platform, and
//      routes/ also bgp/index.ts; never another controller nor the app;
//   3. the app (src/main.ts, src/config.ts, src/api, src/cli, src/lab, src/bin)
//      imports what it needs; src/cli is a pure client of src/api;
//   outside bgp/, production code imports only bgp/index.ts; production code
//   never imports test/.
// Usage: node scripts/check-imports.ts [--root DIR]. Exits 1 on a violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Layer =
  | 'bgp'
  | 'platform'
  | 'controller:routes'
  | 'controller:firewall'
  | 'controller:services'
  | 'app'
  | 'cli'
  | 'test'
  | 'bench'
  | 'scripts'
  | 'other';

export function layerOf(rel: string): Layer {
  const p = rel.split(sep).join('/');
  if (p.startsWith('bgp/')) return 'bgp';
  if (/^src\/(runtime|k8s|kernel|obs)\//.test(p)) return 'platform';
  if (p.startsWith('routes/')) return 'controller:routes';
  if (p.startsWith('firewall/')) return 'controller:firewall';
  if (p.startsWith('services/')) return 'controller:services';
  if (p.startsWith('src/cli/')) return 'cli';
  if (p.startsWith('src/')) return 'app';
  if (p.startsWith('test/')) return 'test';
  if (p.startsWith('bench/')) return 'bench';
  if (p.startsWith('scripts/')) return 'scripts';
  return 'other';
}

/** Returns why `from` may not import `to` (paths relative to the root), or null. */
export function violation(from: string, to: string): string | null {
  const a = layerOf(from);
  const b = layerOf(to);
  const toPath = to.split(sep).join('/');
  const production = a !== 'test' && a !== 'bench' && a !== 'scripts' && a !== 'other';
  if (production && b === 'test') return 'production code never imports test/';
  if (production && a !== 'bgp' && b === 'bgp' && toPath !== 'bgp/index.ts') {
    return 'outside bgp/, only bgp/index.ts may be imported';
  }
  switch (a) {
    case 'bgp':
      return b === 'bgp' ? null : 'bgp/ is a leaf: it imports nothing of podnet outside bgp/';
    case 'platform':
      return b === 'platform' ? null : 'the platform (src/runtime, src/k8s, src/kernel, src/obs) is a leaf: it imports only the platform';
    case 'controller:routes':
    case 'controller:firewall':
    case 'controller:services': {
      if (b === a || b === 'platform') return null;
      if (a === 'controller:routes' && b === 'bgp') return null;
      if (b.startsWith('controller:')) return 'no controller imports another controller: share through src/kernel';
      if (b === 'bgp') return 'only routes/ may import bgp/index.ts';
      return 'controllers import only the platform (and routes/ bgp/index.ts), never the app';
    }
    case 'cli':
      if (b === 'cli' || b === 'bgp') return null;
      if (b === 'app' && toPath.startsWith('src/api/')) return null;
      return 'src/cli is a pure client of src/api: it imports only src/api and bgp/index.ts types';
    default:
      return null;
  }
}

const importRe = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

export function importsOf(source: string): string[] {
  const stripped = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  for (const m of stripped.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (spec !== undefined) out.push(spec);
  }
  return out;
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/\.(ts|mts)$/.test(entry)) out.push(full);
  }
}

export function check(root: string): string[] {
  const files: string[] = [];
  for (const top of ['src', 'bgp', 'routes', 'firewall', 'services', 'test', 'bench', 'scripts']) {
    try {
      if (statSync(join(root, top)).isDirectory()) walk(join(root, top), files);
    } catch {
      // a missing top-level folder has no imports to check
    }
  }
  const problems: string[] = [];
  for (const file of files) {
    const from = relative(root, file);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue; // node: builtins and npm packages
      const target = relative(root, resolve(dirname(file), spec));
      if (target.startsWith('..')) {
        problems.push(`${from}: imports '${spec}', which is outside the repository`);
        continue;
      }
      const why = violation(from, target);
      if (why !== null) problems.push(`${from}: imports '${spec}' (${target.split(sep).join('/')}): ${why}`);
    }
  }
  return problems;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--root');
  const root = i >= 0 ? resolve(process.argv[i + 1] ?? '.') : fileURLToPath(new URL('..', import.meta.url));
  const problems = check(root);
  for (const p of problems) console.error(`check:imports: ${p}`);
  if (problems.length > 0) {
    console.error(`check:imports: ${problems.length} import(s) break the layer rules (../shared/docs/ARCHITECTURE.md)`);
    process.exitCode = 1;
  } else {
    console.log('check:imports: ok');
  }
}
