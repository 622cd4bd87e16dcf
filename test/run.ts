// The test runner: runs each tier of ../shared/docs/TESTING.md in its own
// mocha process, says which tiers it skipped and why, and closes with one
// summary line ("tests: N passed, N failed, N skipped").
//
// Usage: node test/run.ts [tier ...] [-- mocha args]
// Tiers are chosen by file suffix under test/: *.test.ts (unit), *.fuzz.ts,
// *.kernel.ts, *.interop.ts, *.ipvs.ts, *.e2e.ts.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Tier {
  readonly name: string;
  readonly suffix: string;
  readonly needsRoot: boolean;
  readonly timeoutMs: number;
}

const tiers: readonly Tier[] = [
  { name: 'unit', suffix: '.test.ts', needsRoot: false, timeoutMs: 20_000 },
  { name: 'fuzz', suffix: '.fuzz.ts', needsRoot: false, timeoutMs: 120_000 },
  { name: 'kernel', suffix: '.kernel.ts', needsRoot: true, timeoutMs: 60_000 },
  { name: 'interop', suffix: '.interop.ts', needsRoot: true, timeoutMs: 120_000 },
  { name: 'ipvs', suffix: '.ipvs.ts', needsRoot: true, timeoutMs: 300_000 },
  { name: 'e2e', suffix: '.e2e.ts', needsRoot: true, timeoutMs: 300_000 },
];

function findFiles(dir: string, suffix: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'fixtures') continue;
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...findFiles(full, suffix));
    else if (entry.endsWith(suffix)) out.push(full);
  }
  return out.sort();
}

interface Counts {
  passed: number;
  failed: number;
  pending: number;
  exitCode: number;
}

function runMocha(tier: Tier, files: string[], extra: string[]): Promise<Counts> {
  const mocha = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const args = [mocha, '--reporter', 'spec', '--timeout', String(tier.timeoutMs), '--exit', ...extra, ...files];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-200_000);
    });
    child.on('close', (code) => {
      const plain = tail.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
      const num = (re: RegExp): number => Number(re.exec(plain)?.[1] ?? 0);
      resolve({
        passed: num(/^\s*(\d+) passing/m),
        failed: num(/^\s*(\d+) failing/m),
        pending: num(/^\s*(\d+) pending/m),
        exitCode: code ?? 1,
      });
    });
  });
}

/**
 * What the root network namespace holds that tests must never change
 * (../shared/docs/TESTING.md): links, addresses, routes, rules, nftables,
 * legacy iptables and ipsets. Taken before and after the root tiers.
 */
function rootNamespaceSnapshot(): string {
  const cmds: [string, string[]][] = [
    ['ip', ['-o', 'link', 'show']],
    ['ip', ['-o', 'addr', 'show']],
    ['ip', ['route', 'show', 'table', 'all']],
    ['ip', ['-6', 'route', 'show', 'table', 'all']],
    ['ip', ['rule', 'show']],
    ['nft', ['list', 'ruleset']],
    ['iptables-legacy-save', []],
    ['ipset', ['list', '-n']],
  ];
  return cmds
    .map(([c, a]) => {
      const r = spawnSync(c, a, { encoding: 'utf8' });
      const out = (r.stdout ?? '')
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        // link state and counters move on their own; names and configuration do not
        .map((l) => l.replace(/ state \S+/, '').replace(/ qlen \d+/, ''))
        .join('\n');
      return `$ ${c} ${a.join(' ')}\n${out}`;
    })
    .join('\n');
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const dash = argv.indexOf('--');
  const names = dash >= 0 ? argv.slice(0, dash) : argv;
  const extra = dash >= 0 ? argv.slice(dash + 1) : [];
  const unknown = names.filter((n) => !tiers.some((t) => t.name === n));
  if (unknown.length > 0) {
    console.error(`test/run: unknown tier(s) ${unknown.join(', ')}; tiers are ${tiers.map((t) => t.name).join(', ')}`);
    return 2;
  }
  const chosen = names.length > 0 ? tiers.filter((t) => names.includes(t.name)) : tiers;
  const isRoot = process.getuid?.() === 0;
  const before = isRoot ? rootNamespaceSnapshot() : '';
  const total: Counts = { passed: 0, failed: 0, pending: 0, exitCode: 0 };
  const lines: string[] = [];
  const started = Date.now();
  for (const tier of chosen) {
    const files = findFiles(join(root, 'test'), tier.suffix);
    if (files.length === 0) {
      lines.push(`  ${tier.name.padEnd(8)} no tests yet`);
      continue;
    }
    if (tier.needsRoot && !isRoot) {
      lines.push(`  ${tier.name.padEnd(8)} SKIPPED: needs root (network namespaces); ${files.length} file(s) not run`);
      continue;
    }
    console.log(`\n=== tier ${tier.name}: ${files.map((f) => relative(root, f)).join(' ')}`);
    const t0 = Date.now();
    const c = await runMocha(tier, files, extra);
    const crashed = c.exitCode !== 0 && c.failed === 0;
    if (crashed) c.failed = 1;
    total.passed += c.passed;
    total.failed += c.failed;
    total.pending += c.pending;
    lines.push(
      `  ${tier.name.padEnd(8)} ${c.passed} passed, ${c.failed} failed, ${c.pending} skipped` +
        ` in ${((Date.now() - t0) / 1000).toFixed(1)} s${crashed ? ` (mocha exited ${c.exitCode})` : ''}`,
    );
  }
  if (isRoot) {
    const after = rootNamespaceSnapshot();
    if (after !== before) {
      const a = new Set(before.split('\n'));
      const b = new Set(after.split('\n'));
      const diff = [...[...a].filter((l) => !b.has(l)).map((l) => `- ${l}`), ...[...b].filter((l) => !a.has(l)).map((l) => `+ ${l}`)];
      console.log(`\nThe tests changed the root network namespace (they must not):\n${diff.join('\n')}`);
      lines.push('  rootns   FAILED: the tests changed the root network namespace (see above)');
      total.failed++;
    } else {
      lines.push('  rootns   unchanged by the tests (links, addresses, routes, rules, nftables, iptables, ipsets)');
    }
  }
  console.log(`\nSummary by tier (${((Date.now() - started) / 1000).toFixed(1)} s):`);
  for (const l of lines) console.log(l);
  console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.pending} skipped`);
  return total.failed > 0 ? 1 : 0;
}

process.exitCode = await main();
