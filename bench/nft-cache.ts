// What a one-command `nft -f` costs on a big table, by command (issue 7,
// part b): nft 1.0 fills a cache from the kernel before it applies a batch,
// and what it fetches depends on the commands (chains, sets, ...) but always
// covers the whole table. Two synthetic tables, each in its own namespace:
// one with C chains of one rule (our endpoint chains), one with S named
// verdict maps of two elements (our per-service lb maps); each command is
// applied and timed R times (median), each run undone untimed. The floor is `add table` of an existing
// table (process start + netlink, no cache). Needs root; namespaces of the
// test harness (per-run prefix, deleted at the end).
// Usage: node bench/nft-cache.ts [--chains 60000] [--maps 10000] [--runs 5]
import { nftApply } from '../src/kernel/nft.ts';
import { Lab } from '../test/helpers/netns.ts';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
}

const CHAINS = arg('chains', 60_000);
const MAPS = arg('maps', 10_000);
const RUNS = arg('runs', 5);

function chainsTable(n: number): string {
  const out = ['add table inet t'];
  for (let i = 0; i < n; i++) out.push(`add chain inet t c${i}`);
  for (let i = 0; i < n; i++) out.push(`add rule inet t c${i} meta l4proto tcp dnat ip to 10.0.0.1:80`);
  return `${out.join('\n')}\n`;
}

function mapsTable(n: number): string {
  const out = ['add table inet t', 'add chain inet t c0'];
  for (let i = 0; i < n; i++) out.push(`add map inet t m${i} { typeof numgen random mod 2 : verdict; }`);
  for (let i = 0; i < n; i++) out.push(`add element inet t m${i} { 0 : goto c0, 1 : goto c0 }`);
  return `${out.join('\n')}\n`;
}

/** Median time of `text`; `undo` (untimed) puts the table back after each run. */
async function median(netns: string, text: string, undo: string | undefined): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    await nftApply(text, { netns });
    times.push(performance.now() - t0);
    if (undo !== undefined) await nftApply(undo, { netns });
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const lab = await Lab.create();
  try {
    const chains = await lab.addNamespace('c');
    const maps = await lab.addNamespace('m');
    await nftApply(chainsTable(CHAINS), { netns: chains.name, timeoutMs: 600_000 });
    await nftApply(mapsTable(MAPS), { netns: maps.name, timeoutMs: 600_000 });
    console.log(`nft-cache: one command per nft -f, median of ${RUNS}`);
    // [table, namespace, timed command, untimed undo]
    const c = `${CHAINS} chains`;
    const m = `${MAPS} maps`;
    const cases: [string, string, string, string?][] = [
      [c, chains.name, 'add table inet t'],
      [c, chains.name, 'add chain inet t new', 'delete chain inet t new'],
      [c, chains.name, 'delete chain inet t new', 'add chain inet t new'],
      [c, chains.name, 'flush chain inet t c5', 'add rule inet t c5 meta l4proto tcp dnat ip to 10.0.0.1:80'],
      [c, chains.name, 'add rule inet t c5 meta l4proto tcp dnat ip to 10.0.0.1:80', 'flush chain inet t c5'],
      [m, maps.name, 'add table inet t'],
      [m, maps.name, 'add element inet t m5 { 3 : goto c0 }', 'delete element inet t m5 { 3 }'],
      [m, maps.name, 'delete element inet t m5 { 3 }', 'add element inet t m5 { 3 : goto c0 }'],
      [m, maps.name, 'add rule inet t c0 meta l4proto tcp accept', 'flush chain inet t c0'],
    ];
    for (const [table, netns, cmd, undo] of cases) {
      // what a delete removes must exist before its first run
      if (cmd.startsWith('delete') && undo !== undefined) await nftApply(`${undo}\n`, { netns });
      const t = await median(netns, `${cmd}\n`, undo !== undefined ? `${undo}\n` : undefined);
      console.log(`  ${table.padEnd(14)} ${cmd.replace(/\n/g, ' ; ').padEnd(64)} ${t.toFixed(0).padStart(6)} ms`);
    }
  } finally {
    await lab.teardown();
  }
}

await main();
