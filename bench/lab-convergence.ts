// Routes convergence in a real lab (issue 5), at 3 and at 20 nodes (BIRD ToR,
// IPv4, one podnetd per node, graceful restart off so a dead agent's routes
// go at once):
// - join: from the instant a new Node object with its podCIDR is created in
//   the API server (`podnet lab node add`; the supervisor logs that instant)
//   to its pod route being installed in every other node's kernel, and in the
//   ToR's (BIRD, the reference beside us: the same UPDATE, a mature daemon);
// - death: from SIGKILL of that node's podnetd to the route being gone from
//   every other node's kernel and from the ToR's.
// Times come from `ip monitor route` in every namespace (one long-lived
// process each, event arrival time), so polling adds nothing. Prints, per
// scale and repetition, the median and the slowest node, and the ratio of the
// slowest node to the ToR. Needs root.
// Usage: node bench/lab-convergence.ts [--scales 3,20] [--reps 3]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentAgent } from '../src/lab/agent.ts';
import { defaultOptions, labDown, labUp, loadState, run, sweepPrefix, waitFor } from '../src/lab/index.ts';

const arg = (flag: string, dflt: string): string => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const SCALES = arg('--scales', '3,20').split(',').map(Number);
const REPS = Number(arg('--reps', '3'));
const stateRoot = join(tmpdir(), 'podnet-lab-bench');
const podnet = join(import.meta.dirname, '..', 'src', 'bin', 'podnet.ts');

/** `ip monitor route` in one namespace: the arrival time of the first add / delete of each prefix after `mark()`. */
class RouteWatch {
  readonly ns: string;
  readonly #p: ChildProcess;
  #buf = '';
  readonly added = new Map<string, number>();
  readonly deleted = new Map<string, number>();
  constructor(ns: string) {
    this.ns = ns;
    this.#p = spawn('ip', ['-n', ns, 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.#p.stdout?.on('data', (c: Buffer) => {
      const now = Date.now();
      this.#buf += c.toString();
      const lines = this.#buf.split('\n');
      this.#buf = lines.pop() ?? '';
      for (const l of lines) {
        const m = /^(Deleted )?(\d+\.\d+\.\d+\.\d+\/\d+) /.exec(l);
        if (m?.[2] === undefined) continue;
        const map = m[1] !== undefined ? this.deleted : this.added;
        if (!map.has(m[2])) map.set(m[2], now);
      }
    });
  }
  reset(): void {
    this.added.clear();
    this.deleted.clear();
  }
  stop(): void {
    this.#p.kill('SIGKILL');
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN;
};

async function lab(name: string, args: readonly string[]): Promise<string> {
  return (await run(process.execPath, [podnet, 'lab', '--state-dir', stateRoot, ...args, '--name', name], { timeoutMs: 180_000 })).stdout;
}

interface Row {
  readonly nodes: number;
  readonly rep: number;
  readonly what: 'join' | 'death';
  readonly medianMs: number;
  readonly allMs: number;
  readonly torMs: number;
}

async function scale(n: number): Promise<Row[]> {
  const name = `c${randomBytes(2).toString('hex')}`;
  const rows: Row[] = [];
  const watches: RouteWatch[] = [];
  try {
    const t = Date.now();
    await labUp({ ...defaultOptions, name, nodes: n, podsPerNode: 0, stateRoot, gracefulRestart: false });
    const st0 = loadState(join(stateRoot, name));
    if (st0 === undefined) throw new Error('no lab state');
    // every node has every other node's route before we start
    await waitFor(`${n} nodes converged`, async () => {
      for (const node of st0.nodes) {
        const r = (await run('ip', ['-n', node.netns, 'route', 'show', 'proto', '87'])).stdout.trim().split('\n').filter((l) => l !== '');
        if (r.length < n - 1) return false;
      }
      return true;
    }, { timeoutMs: 180_000, intervalMs: 500 });
    process.stdout.write(`  ${n} nodes up and converged in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
    for (const node of st0.nodes) watches.push(new RouteWatch(node.netns));
    const tor = new RouteWatch(st0.tor.netns);
    watches.push(tor);
    await new Promise((r) => setTimeout(r, 500));
    for (let rep = 1; rep <= REPS; rep++) {
      for (const w of watches) w.reset();
      const out = await lab(name, ['node', 'add']);
      const added = /^(node\d+) added: \S+.*pod CIDRs (\S+)/.exec(out);
      if (added?.[1] === undefined || added[2] === undefined) throw new Error(`node add: ${out}`);
      const [, newNode, cidr] = added;
      const log = readFileSync(join(stateRoot, name, 'supervisor.log'), 'utf8').split('\n').filter((l) => l.includes('"node object created"') && l.includes(`"${newNode}"`));
      const created = (JSON.parse(log.at(-1) ?? '{}') as { at?: number }).at ?? Number.NaN;
      const others = watches.filter((w) => w !== tor);
      await waitFor(`${cidr} on every node and the ToR`, () => others.every((w) => w.added.has(cidr)) && tor.added.has(cidr), { timeoutMs: 60_000, intervalMs: 50 });
      const join_ = others.map((w) => (w.added.get(cidr) ?? Number.NaN) - created);
      rows.push({ nodes: n, rep, what: 'join', medianMs: median(join_), allMs: Math.max(...join_), torMs: (tor.added.get(cidr) ?? Number.NaN) - created });
      // (the new node is not watched: its agent is killed next, it holds no routes in later rounds)
      await new Promise((r) => setTimeout(r, 1_000));

      for (const w of watches) w.reset();
      const st = loadState(join(stateRoot, name));
      const victim = st === undefined ? undefined : currentAgent(st, newNode);
      if (victim === undefined) throw new Error(`no podnetd recorded for ${newNode}`);
      const t0 = Date.now();
      process.kill(victim.pid, 'SIGKILL');
      const survivors = watches.filter((w) => w !== tor);
      await waitFor(`${cidr} withdrawn everywhere`, () => survivors.every((w) => w.deleted.has(cidr)) && tor.deleted.has(cidr), { timeoutMs: 60_000, intervalMs: 50 });
      const death = survivors.map((w) => (w.deleted.get(cidr) ?? Number.NaN) - t0);
      rows.push({ nodes: n, rep, what: 'death', medianMs: median(death), allMs: Math.max(...death), torMs: (tor.deleted.get(cidr) ?? Number.NaN) - t0 });
    }
  } finally {
    for (const w of watches) w.stop();
    await labDown(stateRoot, name).catch(() => undefined);
    await sweepPrefix(`pl-${name}-`);
  }
  return rows;
}

if (process.getuid?.() !== 0) {
  process.stderr.write('bench/lab-convergence.ts needs root (network namespaces)\n');
  process.exit(1);
}
process.stdout.write(`lab convergence: scales ${SCALES.join(', ')} nodes, ${REPS} repetitions (join: Node object created -> route in every other node's kernel; death: agent SIGKILL -> route gone everywhere)\n`);
const all: Row[] = [];
for (const n of SCALES) all.push(...(await scale(n)));
process.stdout.write('\nnodes  rep  event  median node  slowest node  ToR (BIRD)  slowest/ToR\n');
for (const r of all) {
  process.stdout.write(`${String(r.nodes).padStart(5)}  ${String(r.rep).padStart(3)}  ${r.what.padEnd(5)}  ${`${r.medianMs} ms`.padStart(11)}  ${`${r.allMs} ms`.padStart(12)}  ${`${r.torMs} ms`.padStart(10)}  ${(r.allMs / Math.max(1, r.torMs)).toFixed(2).padStart(11)}\n`);
}
for (const n of SCALES) {
  for (const what of ['join', 'death'] as const) {
    const rs = all.filter((r) => r.nodes === n && r.what === what);
    process.stdout.write(`${n} nodes, ${what}: median of slowest-node times ${median(rs.map((r) => r.allMs))} ms (ToR ${median(rs.map((r) => r.torMs))} ms)\n`);
  }
}
