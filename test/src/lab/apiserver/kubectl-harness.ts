// Test harness for the embedded API server: runs the real kubectl
// (/usr/bin/kubectl) against a started server with its own kubeconfig and a
// per-run discovery cache, and follows `kubectl get -w` output line by line.
// Processes are stopped by the PID this harness started.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KUBECTL = '/usr/bin/kubectl';

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class Kubectl {
  readonly kubeconfig: string;
  readonly cacheDir: string;

  constructor(kubeconfig: string) {
    this.kubeconfig = kubeconfig;
    this.cacheDir = mkdtempSync(join(tmpdir(), 'podnet-kubectl-cache-'));
  }

  private args(args: readonly string[]): string[] {
    return ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args];
  }

  /** Runs kubectl to completion; `stdin` is piped in when given (for `-f -`). */
  run(args: readonly string[], stdin?: string): Promise<KubectlResult> {
    return new Promise((resolve) => {
      const child = execFile(KUBECTL, this.args(args), { timeout: 20_000, env: { ...process.env, KUBECONFIG: this.kubeconfig } }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      });
      if (stdin !== undefined) child.stdin?.end(stdin);
      else child.stdin?.end();
    });
  }

  /** Runs kubectl and fails with its stderr when it exits non-zero. */
  async ok(args: readonly string[], stdin?: string): Promise<string> {
    const r = await this.run(args, stdin);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** Starts a long-running kubectl (e.g. get -w) and collects its output. */
  follow(args: readonly string[]): Follower {
    return new Follower(spawn(KUBECTL, this.args(args), { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  dispose(): void {
    rmSync(this.cacheDir, { recursive: true, force: true });
  }
}

export class Follower {
  private readonly child: ChildProcess;
  out = '';
  err = '';

  constructor(child: ChildProcess) {
    this.child = child;
    child.stdout?.on('data', (b: Buffer) => (this.out += b.toString('utf8')));
    child.stderr?.on('data', (b: Buffer) => (this.err += b.toString('utf8')));
  }

  lines(): string[] {
    return this.out.split('\n').filter((l) => l.trim() !== '');
  }

  /** Polls until `pred` holds on the output, or fails after `ms`. */
  async waitFor(pred: (lines: string[]) => boolean, ms = 10_000): Promise<string[]> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (pred(this.lines())) return this.lines();
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`kubectl output never matched; stdout:\n${this.out}\nstderr:\n${this.err}`);
  }

  /** Stops the process this follower started (by its PID) and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    if (this.child.pid !== undefined) process.kill(this.child.pid, 'SIGTERM');
    await exited;
  }
}

/** Polls an async condition until it holds or the deadline passes. */
export async function eventually<T>(fn: () => Promise<T | undefined> | T | undefined, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
