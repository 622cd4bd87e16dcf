// Network namespaces and processes for the lab: run a command (optionally
// inside a namespace), create and delete namespaces, veth pairs created
// directly between namespaces (never through the root namespace), detached
// long-running processes whose PID and start time are recorded so a later
// `lab down` can stop them even after the supervisor crashed, and polling
// waits with a deadline. No RFCs; addresses stay in 198.18.0.0/15 (RFC 2544)
// and fd00::/8 (RFC 4193).
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export class CommandError extends Error {
  override readonly name = 'CommandError';
  readonly command: readonly string[];
  readonly code: number | string | null;
  readonly stdout: string;
  readonly stderr: string;
  constructor(command: readonly string[], code: number | string | null, stdout: string, stderr: string) {
    super(`command failed (${String(code)}): ${command.join(' ')}\n${stderr.trim()}`);
    this.command = command;
    this.code = code;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

export interface RunOptions {
  readonly timeoutMs?: number;
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Resolve with the output instead of rejecting on a non-zero exit. */
  readonly allowFail?: boolean;
}

/** Runs a command to completion (no shell) and returns its output. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      [...args],
      { timeout: opts.timeoutMs ?? 20_000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const raw = err === null ? 0 : ((err as { code?: number | string | null }).code ?? null);
        if (err !== null && opts.allowFail !== true) {
          reject(new CommandError([cmd, ...args], raw, stdout, stderr));
          return;
        }
        resolve({ stdout, stderr, code: typeof raw === 'number' ? raw : err === null ? 0 : -1 });
      },
    );
    // A command that exits without reading its stdin must not crash us (EPIPE).
    child.stdin?.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Runs `cmd args` inside namespace `ns`. */
export function runIn(ns: string, cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

/** Polls `probe` until it returns something other than undefined/false, or throws after the deadline. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e: unknown) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks): a recycled PID has another one. */
export function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** A process the lab started, as recorded in its state file. */
export interface ProcRecord {
  readonly name: string;
  readonly pid: number;
  readonly startTime: string;
  readonly log: string;
}

/** Whether the recorded process is still the same live process (not a recycled PID, not a zombie). */
export function procAlive(p: Pick<ProcRecord, 'pid' | 'startTime'>): boolean {
  if (procStartTime(p.pid) !== p.startTime) return false;
  try {
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM, then SIGKILL after `graceMs`, only while the PID still has the recorded start time. */
export async function stopProc(p: Pick<ProcRecord, 'pid' | 'startTime'>, graceMs = 3_000): Promise<void> {
  if (!procAlive(p)) return;
  signal(p.pid, 'SIGTERM');
  const gone = await waitFor('exit', () => !procAlive(p), { timeoutMs: graceMs, intervalMs: 20 }).catch(() => false);
  if (gone === false && procAlive(p)) {
    signal(p.pid, 'SIGKILL');
    await waitFor('exit after SIGKILL', () => !procAlive(p), { timeoutMs: 2_000, intervalMs: 20 }).catch(() => undefined);
  }
}

/**
 * Starts a detached process (its own session, output appended to `log`), inside
 * namespace `ns` when given (`ip netns exec` execs the command, so the PID is
 * the command's own). The caller records the returned record.
 */
export function spawnDetached(name: string, ns: string | undefined, cmd: string, args: readonly string[], log: string, env?: NodeJS.ProcessEnv): ProcRecord {
  const fd = openSync(log, 'a');
  try {
    const argv = ns === undefined ? [cmd, ...args] : ['ip', 'netns', 'exec', ns, cmd, ...args];
    const child = spawn(argv[0] ?? cmd, argv.slice(1), { stdio: ['ignore', fd, fd], detached: true, env: env ?? process.env });
    if (child.pid === undefined) throw new Error(`could not spawn ${name}: ${cmd}`);
    child.unref();
    return { name, pid: child.pid, startTime: procStartTime(child.pid) ?? '0', log };
  } finally {
    closeSync(fd);
  }
}

/** Runs `cmd` inside namespace `ns` attached to this terminal (stdio inherited); resolves with its exit code. */
export function runAttached(ns: string, cmd: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: 'inherit', env });
    child.once('error', reject);
    child.once('exit', (code, sig) => resolve(code ?? (sig !== null ? 128 : 1)));
  });
}

/** Names of the existing network namespaces. */
export async function listNamespaces(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list'], { allowFail: true });
  return r.stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((s) => s !== '');
}

/** Creates a namespace with loopback up and IPv6 DAD off (RFC 4862 §5.4: no duplicates in a lab). */
export async function addNamespace(name: string, opts: { forwarding?: boolean } = {}): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  const sysctls = ['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'];
  if (opts.forwarding === true) sysctls.push('net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
  await runIn(name, 'sysctl', ['-qw', ...sysctls]);
}

/** Kills whatever still runs inside a namespace (by the PIDs the kernel lists for it), then deletes it. */
export async function deleteNamespace(name: string): Promise<void> {
  const pids = async (): Promise<number[]> => {
    const r = await run('ip', ['netns', 'pids', name], { allowFail: true });
    return r.stdout.split('\n').filter((s) => s.trim() !== '').map(Number);
  };
  const left = await pids();
  for (const pid of left) signal(pid, 'SIGTERM');
  if (left.length > 0) {
    await waitFor(`processes in ${name} to exit`, async () => (await pids()).length === 0, { timeoutMs: 3_000, intervalMs: 50 }).catch(() => undefined);
    for (const pid of await pids()) signal(pid, 'SIGKILL');
    await waitFor(`processes in ${name} to die`, async () => (await pids()).length === 0, { timeoutMs: 2_000, intervalMs: 50 }).catch(() => undefined);
  }
  await run('ip', ['netns', 'del', name], { allowFail: true });
}

/** Creates a veth pair with end `a` in namespace `nsA` and end `b` in `nsB`, both up. */
export async function vethBetween(nsA: string, a: string, nsB: string, b: string): Promise<void> {
  if (a.length > 15 || b.length > 15) throw new Error('interface names are at most 15 characters');
  await run('ip', ['-n', nsA, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
  await run('ip', ['-n', nsA, 'link', 'set', a, 'up']);
  await run('ip', ['-n', nsB, 'link', 'set', b, 'up']);
}

/** Adds an address (`198.18.1.1/24` or `fd00::1/64`; IPv6 without DAD). */
export async function addAddress(ns: string, ifname: string, cidr: string): Promise<void> {
  const v6 = cidr.includes(':');
  await run('ip', ['-n', ns, ...(v6 ? ['-6'] : []), 'addr', 'add', cidr, 'dev', ifname, ...(v6 ? ['nodad'] : [])]);
}
