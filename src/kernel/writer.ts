// The agent's one writer of ipset and iptables state. kube-router #1521: two
// controllers restoring ipsets at the same time clobbered each other's sets.
// Every `ipset restore`, `iptables-restore` and `ip6tables-restore` of the
// process — and the saves and listings a restore is planned from — runs inside
// `exclusive(fn)`, a process-wide FIFO mutex, so one controller's
// read-plan-write sequence never interleaves with another's. Processes are
// spawned by exec.ts only (an exec function is injectable for tests).
//
// Flavour: iptables has two kernel back ends (nf_tables and the legacy
// x_tables) and a host uses one. Like kube-proxy's iptables-wrapper we count
// the rules each back end holds (`iptables-{legacy,nft}-save` and the ip6
// variants, run without -t so the legacy one loads no module) and take the
// one with more; on a tie (a fresh node: both empty) `iptables -V` decides
// ("(nf_tables)" or "(legacy)"), i.e. the distribution's default. Without the
// flavoured binaries the plain `iptables-restore` etc. are used. No RFCs.
import { ExecError, run } from './exec.ts';
import type { ExecResult } from './exec.ts';
import type { IpFamily, Table } from './iptables/model.ts';

export type ExecFn = (cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number }) => Promise<ExecResult>;

export type IptablesFlavour = 'nft' | 'legacy';

export interface FlavourInfo {
  readonly flavour: IptablesFlavour;
  /** Binary prefix per family: `iptables-nft`, `ip6tables-legacy`, or plain `iptables`. */
  readonly binaries: Readonly<Record<IpFamily, string>>;
  /** Why this flavour (rule counts or `iptables -V`), for the log. */
  readonly why: string;
}

/** What a caller may do while it holds the writer. Invalid once its function returns. */
export interface KernelTx {
  readonly flavour: FlavourInfo;
  /** `ipset restore` of `text` (one transaction per call; aborts at the first bad line). */
  ipsetRestore(text: string): Promise<void>;
  /** Names of every ipset (`ipset list -n`). */
  ipsetNames(): Promise<string[]>;
  /** `iptables-save -t table` (with `-c`: packet and byte counters). */
  iptablesSave(family: IpFamily, table: Table, opts?: { counters?: boolean }): Promise<string>;
  /** `iptables-restore --noflush --wait` of `text` (all of it or nothing). */
  iptablesRestore(family: IpFamily, text: string): Promise<void>;
}

const TIMEOUT_MS = 120_000;

/** The count-and-compare rule of kube-proxy's iptables-wrapper; `version` is `iptables -V`. Pure. */
export function chooseFlavour(legacyRules: number, nftRules: number, version: string): { flavour: IptablesFlavour; why: string } {
  if (legacyRules > nftRules) return { flavour: 'legacy', why: `legacy holds ${legacyRules} rules, nf_tables ${nftRules}` };
  if (nftRules > legacyRules) return { flavour: 'nft', why: `nf_tables holds ${nftRules} rules, legacy ${legacyRules}` };
  const legacy = /\(legacy\)/.test(version);
  return { flavour: legacy ? 'legacy' : 'nft', why: `no rules in either back end; iptables -V: ${version.trim() || 'unknown'}` };
}

function countRules(save: string): number {
  let n = 0;
  for (const line of save.split('\n')) if (line.startsWith('-A ')) n++;
  return n;
}

function missing(e: unknown): boolean {
  return e instanceof ExecError && e.code === null && /ENOENT/.test(e.stderr);
}

export interface KernelWriterOptions {
  readonly exec?: ExecFn;
  /** Skip detection (tests, or a flag). */
  readonly flavour?: FlavourInfo;
}

export class KernelWriter {
  readonly #exec: ExecFn;
  #tail: Promise<void> = Promise.resolve();
  #flavour: Promise<FlavourInfo> | undefined;

  constructor(opts: KernelWriterOptions = {}) {
    this.#exec = opts.exec ?? ((cmd, args, o) => run(cmd, args, o));
    if (opts.flavour !== undefined) this.#flavour = Promise.resolve(opts.flavour);
  }

  /** The host's iptables flavour, detected once (a failed detection is retried next time). */
  flavour(): Promise<FlavourInfo> {
    this.#flavour ??= this.#detect().catch((e: unknown) => {
      this.#flavour = undefined;
      throw e;
    });
    return this.#flavour;
  }

  async #saveOrNull(cmd: string): Promise<string | null> {
    try {
      return (await this.#exec(cmd, [], { timeoutMs: TIMEOUT_MS })).stdout;
    } catch (e: unknown) {
      if (missing(e)) return null;
      // A back end the kernel cannot serve (no module) holds no rules.
      if (e instanceof ExecError) return '';
      throw e;
    }
  }

  async #detect(): Promise<FlavourInfo> {
    const saves = await Promise.all(['iptables-legacy-save', 'ip6tables-legacy-save', 'iptables-nft-save', 'ip6tables-nft-save'].map((c) => this.#saveOrNull(c)));
    const [l4, l6, n4, n6] = saves;
    let version = '';
    try {
      version = (await this.#exec('iptables', ['-V'], { timeoutMs: TIMEOUT_MS })).stdout;
    } catch (e: unknown) {
      if (!missing(e)) throw e;
    }
    const flavoured = l4 !== null && n4 !== null && l6 !== null && n6 !== null;
    if (!flavoured) {
      if (version === '') throw new Error('iptables is not installed (neither iptables nor iptables-nft-save / iptables-legacy-save found)');
      const legacy = /\(legacy\)/.test(version);
      return { flavour: legacy ? 'legacy' : 'nft', binaries: { inet: 'iptables', inet6: 'ip6tables' }, why: `iptables -V: ${version.trim()}` };
    }
    const c = chooseFlavour(countRules(l4 ?? '') + countRules(l6 ?? ''), countRules(n4 ?? '') + countRules(n6 ?? ''), version);
    return { ...c, binaries: { inet: `iptables-${c.flavour}`, inet6: `ip6tables-${c.flavour}` } };
  }

  /**
   * Runs `fn` alone: no other `exclusive` of this writer runs until it settles.
   * Callers queue in FIFO order; a failing `fn` releases the writer too.
   */
  exclusive<T>(fn: (tx: KernelTx) => Promise<T>): Promise<T> {
    const prev = this.#tail;
    let release: () => void = () => undefined;
    this.#tail = new Promise<void>((r) => {
      release = r;
    });
    return prev.then(async () => {
      let open = true;
      const exec = this.#exec;
      const guard = (): void => {
        if (!open) throw new Error('kernel writer: transaction used after it ended');
      };
      try {
        const flavour = await this.flavour();
        const tx: KernelTx = {
          flavour,
          async ipsetRestore(text) {
            guard();
            if (text !== '') await exec('ipset', ['restore'], { input: text, timeoutMs: TIMEOUT_MS });
          },
          async ipsetNames() {
            guard();
            return (await exec('ipset', ['list', '-n'], { timeoutMs: TIMEOUT_MS })).stdout.split('\n').filter((l) => l !== '');
          },
          async iptablesSave(family, table, o = {}) {
            guard();
            const args = [...(o.counters === true ? ['-c'] : []), '-t', table];
            return (await exec(`${flavour.binaries[family]}-save`, args, { timeoutMs: TIMEOUT_MS })).stdout;
          },
          async iptablesRestore(family, text) {
            guard();
            await exec(`${flavour.binaries[family]}-restore`, ['--noflush', '--wait'], { input: text, timeoutMs: TIMEOUT_MS });
          },
        };
        return await fn(tx);
      } finally {
        open = false;
        release();
      }
    });
  }
}

let shared: KernelWriter | undefined;

/** The process-wide writer every controller uses for ipset and iptables. */
export function sharedKernelWriter(): KernelWriter {
  shared ??= new KernelWriter();
  return shared;
}
