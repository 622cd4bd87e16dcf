// Network-namespace harness for the kernel, interop and e2e tiers: namespaces
// with a per-run name prefix, veth pairs created directly between them,
// addresses, commands and long-running processes inside them, polling waits
// with deadlines, and a teardown that always runs (own PIDs, own namespaces).
// Nothing is ever created in the root namespace (../shared/docs/TESTING.md).
// No RFCs; addresses stay inside 198.18.0.0/15 (RFC 2544) and fd00::/8 (RFC 4193).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Every harness namespace is named `pn<4 hex>-<short>`; the prefix is per run. */
export const NETNS_PREFIX_RE = /^pn[0-9a-f]{4}-/;
/** Owner records: one file per run prefix holding "<pid> <starttime>". */
const OWNER_DIR = join(tmpdir(), 'podnet-netns-owners');

// Commands, errors, waits and PID identity are the lab's own (src/lab/netns.ts):
// one implementation for the lab and its tests.
import { procStartTime, run, waitFor } from '../../src/lab/netns.ts';
import type { ExecResult, RunOptions } from '../../src/lab/netns.ts';

export { CommandError } from '../../src/lab/netns.ts';
export { procStartTime, run, waitFor };
export type { ExecResult, RunOptions };

/** A long-running process started inside a namespace; `ip netns exec` execs it, so `pid` is its own. */
export class NsProcess {
  readonly pid: number;
  readonly name: string;
  readonly logPath: string;
  readonly exited: Promise<number | null>;
  /** The process's stdin when spawned with `stdinPipe: true`, else null. */
  readonly stdin: NodeJS.WritableStream | null;
  #child: ChildProcess;
  #startTime: string | undefined;
  #exitCode: number | null | undefined;
  constructor(child: ChildProcess, name: string, logPath: string) {
    if (child.pid === undefined) throw new Error(`could not spawn ${name}`);
    this.pid = child.pid;
    this.name = name;
    this.logPath = logPath;
    this.#child = child;
    this.stdin = child.stdin;
    this.#startTime = procStartTime(child.pid);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exitCode = code ?? (signal === null ? null : -1);
        resolve(this.#exitCode);
      });
    });
  }
  get running(): boolean {
    return this.#exitCode === undefined;
  }
  /** The process's combined stdout/stderr so far. */
  log(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    const st = procStartTime(this.pid);
    if (this.#startTime !== undefined && st !== undefined && st !== this.#startTime) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.running) this.#child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface SpawnOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Where stdout+stderr go; default `<lab dir>/<name>.out`. */
  readonly logPath?: string;
  /** Keep a pipe to the process's stdin (e.g. ExaBGP's API). */
  readonly stdinPipe?: boolean;
}

/** One network namespace of a lab. */
export class Netns {
  readonly name: string;
  readonly lab: Lab;
  constructor(lab: Lab, name: string) {
    this.lab = lab;
    this.name = name;
  }
  /** Runs `cmd args` inside this namespace and returns its output. */
  exec(cmd: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<ExecResult> {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }
  /** Runs `ip -n <ns> args`. */
  ip(args: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
    return run('ip', ['-n', this.name, ...args], opts);
  }
  /** Adds an address (`198.18.0.1/24` or `fd00::1/64`) to an interface; IPv6 without DAD. */
  async addAddress(ifname: string, cidr: string): Promise<void> {
    const v6 = cidr.includes(':');
    await this.ip([...(v6 ? ['-6'] : []), 'addr', 'add', cidr, 'dev', ifname, ...(v6 ? ['nodad'] : [])]);
  }
  async linkUp(ifname: string): Promise<void> {
    await this.ip(['link', 'set', ifname, 'up']);
  }
  /** Starts a long-running process inside this namespace; the lab stops it at teardown. */
  spawn(name: string, cmd: string, args: readonly string[], opts: SpawnOptions = {}): NsProcess {
    return this.lab.spawnIn(this, name, cmd, args, opts);
  }
  /** Starts a TypeScript/JavaScript file with this Node (e.g. a speaker under test) inside this namespace. */
  spawnNode(name: string, script: string, args: readonly string[] = [], opts: SpawnOptions = {}): NsProcess {
    return this.lab.spawnIn(this, name, process.execPath, [script, ...args], opts);
  }
  /** Sets a sysctl inside this namespace. */
  async sysctl(key: string, value: string): Promise<void> {
    await this.exec('sysctl', ['-qw', `${key}=${value}`]);
  }
}

export interface LinkEnd {
  readonly ns: Netns;
  readonly ifname: string;
  /** Addresses to add, e.g. ['198.18.0.1/30', 'fd00::1/126']. */
  readonly addresses?: readonly string[];
}

/**
 * A test run's set of namespaces and processes. `Lab.create()` sweeps leftovers
 * of dead runs first; `teardown()` stops every process it started (by PID) and
 * deletes every namespace it created, and is safe to call more than once.
 */
export class Lab {
  readonly prefix: string;
  /** Per-run scratch directory for configs, sockets, logs. */
  readonly dir: string;
  readonly #namespaces: Netns[] = [];
  readonly #procs: NsProcess[] = [];
  #tornDown = false;

  private constructor(prefix: string, dir: string) {
    this.prefix = prefix;
    this.dir = dir;
  }

  static async create(): Promise<Lab> {
    if (process.getuid?.() !== 0) throw new Error('network namespaces need root');
    await sweepLeftovers();
    mkdirSync(OWNER_DIR, { recursive: true });
    let prefix = '';
    const existing = new Set(readdirSync(OWNER_DIR));
    do prefix = `pn${randomBytes(2).toString('hex')}-`;
    while (existing.has(prefix));
    writeFileSync(join(OWNER_DIR, prefix), `${process.pid} ${procStartTime(process.pid) ?? '0'}\n`);
    const dir = mkdtempSync(join(tmpdir(), `podnet-${prefix}`));
    return new Lab(prefix, dir);
  }

  get namespaces(): readonly Netns[] {
    return this.#namespaces;
  }

  /** Creates `<prefix><short>` with loopback up, IPv6 DAD off and forwarding as asked. */
  async addNamespace(short: string, opts: { forwarding?: boolean } = {}): Promise<Netns> {
    if (this.#tornDown) throw new Error('lab already torn down');
    const name = `${this.prefix}${short}`;
    await run('ip', ['netns', 'add', name]);
    const ns = new Netns(this, name);
    this.#namespaces.push(ns);
    await ns.linkUp('lo');
    // DAD off before any interface exists, so `default` applies to every new one (RFC 4862 §5.4).
    const sysctls = [
      'net.ipv6.conf.all.accept_dad=0',
      'net.ipv6.conf.default.accept_dad=0',
      'net.ipv6.conf.all.disable_ipv6=0',
      'net.ipv6.conf.default.disable_ipv6=0',
    ];
    if (opts.forwarding === true) sysctls.push('net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
    await ns.exec('sysctl', ['-qw', ...sysctls]);
    return ns;
  }

  /** Creates a veth pair between two namespaces (never via the root namespace), adds addresses, sets both ends up. */
  async veth(a: LinkEnd, b: LinkEnd): Promise<void> {
    if (a.ifname.length > 15 || b.ifname.length > 15) throw new Error('interface names are at most 15 characters');
    await a.ns.ip(['link', 'add', a.ifname, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns.name]);
    for (const end of [a, b]) {
      for (const cidr of end.addresses ?? []) await end.ns.addAddress(end.ifname, cidr);
      await end.ns.linkUp(end.ifname);
    }
    // Even without DAD the kernel marks new addresses (the link-local one too)
    // tentative until its addrconf work runs: wait for that, briefly.
    for (const end of [a, b]) {
      await waitFor(`${end.ns.name}/${end.ifname}: IPv6 addresses ready`, async () => {
        const out = (await end.ns.ip(['-6', 'addr', 'show', 'dev', end.ifname])).stdout;
        return out.includes('scope link') && !out.includes('tentative');
      }, { timeoutMs: 5_000, intervalMs: 10 });
    }
  }

  /** Used by `Netns.spawn`. */
  spawnIn(ns: Netns, name: string, cmd: string, args: readonly string[], opts: SpawnOptions = {}): NsProcess {
    if (this.#tornDown) throw new Error('lab already torn down');
    const logPath = opts.logPath ?? join(this.dir, `${name}.out`);
    const fd = openSync(logPath, 'a');
    try {
      const child = spawn('ip', ['netns', 'exec', ns.name, cmd, ...args], {
        stdio: [opts.stdinPipe === true ? 'pipe' : 'ignore', fd, fd],
        env: opts.env ?? process.env,
        ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
      });
      const p = new NsProcess(child, name, logPath);
      this.#procs.push(p);
      return p;
    } finally {
      closeSync(fd);
    }
  }

  /** Stops own processes (by PID), then any stray process left in own namespaces, then deletes them. */
  async teardown(opts: { keepDir?: boolean } = {}): Promise<void> {
    if (this.#tornDown) return;
    this.#tornDown = true;
    await Promise.allSettled(this.#procs.map((p) => p.stop()));
    await Promise.allSettled(this.#namespaces.map((ns) => deleteNamespace(ns.name)));
    rmSync(join(OWNER_DIR, this.prefix), { force: true });
    if (opts.keepDir !== true && process.env['PODNET_KEEP_LAB'] !== '1') rmSync(this.dir, { recursive: true, force: true });
  }
}

function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Kills processes still inside a namespace (children of our daemons), then deletes it. */
async function deleteNamespace(name: string): Promise<void> {
  const pids = async (): Promise<number[]> => {
    const r = await run('ip', ['netns', 'pids', name], { allowFail: true });
    return r.stdout.split('\n').filter((s) => s.trim() !== '').map(Number);
  };
  const left = await pids();
  for (const pid of left) signalPid(pid, 'SIGTERM');
  if (left.length > 0) {
    await waitFor(`processes in ${name} to exit`, async () => (await pids()).length === 0, { timeoutMs: 3_000 }).catch(() => undefined);
    for (const pid of await pids()) signalPid(pid, 'SIGKILL');
    await waitFor(`processes in ${name} to die`, async () => (await pids()).length === 0, { timeoutMs: 2_000 }).catch(() => undefined);
  }
  await run('ip', ['netns', 'del', name], { allowFail: true });
}

/** Whether a run prefix's owning process is still alive (same PID and start time). */
function ownerAlive(prefix: string): boolean {
  try {
    const [pid, st] = readFileSync(join(OWNER_DIR, prefix), 'utf8').trim().split(' ');
    return pid !== undefined && procStartTime(Number(pid)) === st;
  } catch {
    return false;
  }
}

/**
 * Deletes namespaces carrying the harness prefix pattern whose run is dead
 * (a crashed or killed test); namespaces of runs still alive in parallel are kept.
 */
export async function sweepLeftovers(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list'], { allowFail: true });
  const swept: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = NETNS_PREFIX_RE.exec(name);
    if (!m || ownerAlive(m[0])) continue;
    await deleteNamespace(name);
    swept.push(name);
  }
  try {
    for (const prefix of readdirSync(OWNER_DIR)) if (!ownerAlive(prefix)) rmSync(join(OWNER_DIR, prefix), { force: true });
  } catch {
    // no owner directory yet
  }
  return swept;
}
