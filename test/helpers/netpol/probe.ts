// Probes the reachability matrix of lab pods: one long-lived probe process
// (probe-child.ts) per client pod, inside its network namespace, so a round
// of 9x9 probes costs no process start. A round sends each client its targets
// at once (all clients in parallel; per client every target in parallel, short
// timeouts); a cell is "reached" only when the server answered with its pod's
// name. `expectMatrix` polls rounds until the observed matrices equal the
// expected ones on two consecutive rounds (enforcement is asynchronous: this
// waits for the agents' syncs instead of sleeping) or fails after a deadline
// printing expected, observed and the raw answers. No RFCs.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { differences, podKey, renderMatrix } from './truth.ts';
import type { ModelPod, Truth } from './truth.ts';

export interface ProbePod extends ModelPod {
  readonly netns: string;
  readonly ip: string;
}

export interface Target {
  readonly port: number;
  readonly proto: 'TCP' | 'UDP';
}

export interface Expectation extends Target {
  readonly truth: Truth;
}

export const targetName = (t: Target): string => `${t.proto}/${t.port}`;

class Client {
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #waiting = new Map<number, (r: string[]) => void>();
  #next = 1;

  constructor(netns: string) {
    this.#proc = spawn('ip', ['netns', 'exec', netns, process.execPath, join(import.meta.dirname, 'probe-child.ts')], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#proc.stderr.on('data', (b: Buffer) => process.stderr.write(`probe ${netns}: ${b.toString()}`));
    createInterface({ input: this.#proc.stdout }).on('line', (line) => {
      const r = JSON.parse(line) as { id: number; results: string[] };
      this.#waiting.get(r.id)?.(r.results);
      this.#waiting.delete(r.id);
    });
  }

  probe(probes: readonly { ip: string; port: number; proto: string }[], timeoutMs: number): Promise<string[]> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`probe process gave no answer in ${timeoutMs + 5_000} ms`)), timeoutMs + 5_000);
      this.#waiting.set(id, (r) => {
        clearTimeout(t);
        resolve(r);
      });
      this.#proc.stdin.write(`${JSON.stringify({ id, timeoutMs, probes })}\n`);
    });
  }

  stop(): void {
    this.#proc.stdin.end();
    if (this.#proc.pid !== undefined && this.#proc.exitCode === null) this.#proc.kill('SIGTERM');
  }
}

export interface Observation {
  /** Per target: rows (from) of columns (to). */
  readonly reached: boolean[][][];
  /** The raw answers, same shape. */
  readonly answers: string[][][];
}

export class Prober {
  readonly pods: readonly ProbePod[];
  readonly #clients: Client[];
  readonly timeoutMs: number;

  constructor(pods: readonly ProbePod[], opts: { timeoutMs?: number } = {}) {
    this.pods = pods;
    this.timeoutMs = opts.timeoutMs ?? 1_000;
    this.#clients = pods.map((p) => new Client(p.netns));
  }

  /** One round: every pod to every pod on every target, all at once. */
  async observe(targets: readonly Target[]): Promise<Observation> {
    const perClient = await Promise.all(
      this.#clients.map((c) => c.probe(targets.flatMap((t) => this.pods.map((to) => ({ ip: to.ip, port: t.port, proto: t.proto }))), this.timeoutMs)),
    );
    const n = this.pods.length;
    const answers = targets.map((_, ti) => perClient.map((r) => r.slice(ti * n, ti * n + n)));
    const reached = answers.map((m) => m.map((row) => row.map((a, j) => a === this.pods[j]?.name)));
    return { reached, answers };
  }

  /** One probe from `from` to `to` (for latency measurements). */
  async one(from: number, to: ProbePod, t: Target, timeoutMs: number): Promise<string> {
    const c = this.#clients[from];
    if (c === undefined) throw new Error(`no client ${from}`);
    return (await c.probe([{ ip: to.ip, port: t.port, proto: t.proto }], timeoutMs))[0] ?? '';
  }

  /**
   * Polls rounds until every target's observed matrix equals its truth on two
   * consecutive rounds; throws after `deadlineMs` with the matrices. Returns
   * the number of rounds it took.
   */
  async expectMatrix(what: string, expected: readonly Expectation[], deadlineMs = 30_000): Promise<number> {
    const until = Date.now() + deadlineMs;
    let streak = 0;
    let rounds = 0;
    for (;;) {
      const o = await this.observe(expected);
      rounds++;
      const diff = expected.reduce((s, e, i) => s + differences(e.truth.cells(), o.reached[i] ?? []), 0);
      streak = diff === 0 ? streak + 1 : 0;
      if (streak >= 2) return rounds;
      if (Date.now() >= until && diff > 0) throw new Error(`${what}: ${diff} cells differ after ${rounds} rounds (${deadlineMs} ms)\n${this.render(expected, o)}`);
    }
  }

  render(expected: readonly Expectation[], o: Observation): string {
    return expected
      .map((e, i) => {
        const want = e.truth.cells();
        const got = o.reached[i] ?? [];
        const wrong = (o.answers[i] ?? []).flatMap((row, f) => row.flatMap((a, t) => (want[f]?.[t] !== got[f]?.[t] ? [`${podKey(this.pods[f] as ModelPod)} -> ${podKey(this.pods[t] as ModelPod)}: ${a}`] : [])));
        return [`${targetName(e)} expected:`, renderMatrix(this.pods, want), `${targetName(e)} observed:`, renderMatrix(this.pods, got, want), ...(wrong.length > 0 ? ['answers of the differing cells:', ...wrong] : [])].join('\n');
      })
      .join('\n\n');
  }

  stop(): void {
    for (const c of this.#clients) c.stop();
  }
}
