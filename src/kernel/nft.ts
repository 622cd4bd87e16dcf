// The nftables seam: load a ruleset or batch with `nft -f -` (one atomic
// transaction per call), read a table back with `nft -j list table` in a
// canonical form (handles dropped, objects and set elements sorted) so two
// tables can be compared, delete a table we own, and detect nft and its
// version. Every process goes through exec.ts. No RFCs; nft(8), libnftables-json(5).
import { ExecError, run } from './exec.ts';

export interface NftOptions {
  /** Run inside this network namespace (`ip netns exec`), for tests. */
  readonly netns?: string;
  readonly timeoutMs?: number;
}

function nft(args: readonly string[], opts: NftOptions, input?: string): Promise<{ stdout: string }> {
  const runOpts = { timeoutMs: opts.timeoutMs ?? 120_000, ...(input !== undefined ? { input } : {}) };
  if (opts.netns !== undefined) return run('ip', ['netns', 'exec', opts.netns, 'nft', ...args], runOpts);
  return run('nft', args, runOpts);
}

/** Loads `text` with `nft -f -`: all of it in one transaction, or nothing (the ExecError keeps nft's stderr). */
export async function nftApply(text: string, opts: NftOptions = {}): Promise<void> {
  if (text === '') return;
  await nft(['-f', '-'], opts, text);
}

/** Deletes `family name` if it exists (add + delete in one transaction never fails on absence). */
export async function nftDeleteTable(family: string, name: string, opts: NftOptions = {}): Promise<void> {
  await nftApply(`add table ${family} ${name}\ndelete table ${family} ${name}\n`, opts);
}

export interface NftVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly text: string;
}

/** nft's version, or null when nft is missing or says something unexpected. */
export async function nftVersion(opts: NftOptions = {}): Promise<NftVersion | null> {
  try {
    const out = (await nft(['--version'], opts)).stdout.trim();
    const m = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(out);
    if (m === null) return null;
    return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), text: out };
  } catch (e: unknown) {
    if (e instanceof ExecError) return null;
    throw e;
  }
}

/** Whether nft is usable for the services table (KEP-3866 needs nft >= 1.0.0). */
export async function nftUsable(opts: NftOptions = {}): Promise<{ ok: boolean; why: string }> {
  const v = await nftVersion(opts);
  if (v === null) return { ok: false, why: 'nft not found or not runnable' };
  if (v.major < 1) return { ok: false, why: `nft ${v.major}.${v.minor}.${v.patch} is older than 1.0.0` };
  return { ok: true, why: v.text };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort()) {
      if (k === 'handle') continue;
      const x = v[k];
      if (x === undefined) continue;
      // set elements come back in hash order: sort them
      out[k] = k === 'elem' && Array.isArray(x) ? x.map(canonical).sort((a, b) => cmpJson(a, b)) : canonical(x);
    }
    return out;
  }
  return v;
}

function cmpJson(a: Json, b: Json): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * `nft -j list table family name` as canonical JSON lines: one object per
 * line (metainfo dropped, handles dropped, keys and set elements sorted),
 * tables/sets/maps/chains sorted by name, rules kept in chain order. Two
 * tables with the same content give the same text. null when the table is absent.
 */
export async function nftListTable(family: string, name: string, opts: NftOptions = {}): Promise<string | null> {
  let stdout: string;
  try {
    stdout = (await nft(['-j', 'list', 'table', family, name], opts)).stdout;
  } catch (e: unknown) {
    if (e instanceof ExecError && /No such file or directory/.test(e.stderr)) return null;
    throw e;
  }
  const doc = JSON.parse(stdout) as { nftables?: Json[] };
  const objects = (doc.nftables ?? []).filter((o) => !(o !== null && typeof o === 'object' && !Array.isArray(o) && 'metainfo' in o));
  const keyed = objects.map((o) => {
    const obj = o as { [k: string]: Json };
    const kind = Object.keys(obj)[0] ?? '';
    const body = obj[kind] as { [k: string]: Json };
    const sortKey = kind === 'rule' ? `rule\u0000${String(body['chain'])}` : `${kind}\u0000${String(body['name'])}`;
    return { sortKey, line: JSON.stringify(canonical(obj)) };
  });
  // stable sort: rules of one chain keep their order
  keyed.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  return keyed.map((k) => k.line).join('\n');
}
