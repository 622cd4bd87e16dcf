// ipsets as typed data and the one renderer of `ipset restore` input. A set
// is replaced atomically: build a temporary set, fill it, swap it with the
// live one, destroy the temporary (kube-router PR #1068: never a transiently
// empty set). Output is deterministic: sets and members sorted.
// No RFCs; syntax per ipset(8). Entries are validated by the kernel.
import { createHash } from 'node:crypto';
import type { IpFamily, L4Protocol } from './iptables/model.ts';

export type IpSetType = 'hash:ip' | 'hash:net' | 'hash:ip,port';

/** Kernel limit on set names (IPSET_MAXNAMELEN - 1). */
export const MAX_SET_NAME = 31;

export type IpSetEntry =
  | { readonly kind: 'ip'; readonly ip: string }
  | { readonly kind: 'net'; readonly cidr: string; readonly nomatch?: boolean }
  | { readonly kind: 'ip,port'; readonly ip: string; readonly proto: L4Protocol; readonly port: number };

export interface IpSet {
  readonly name: string;
  readonly type: IpSetType;
  readonly family: IpFamily;
  readonly entries: readonly IpSetEntry[];
}

export interface IpSetBatch {
  /** Sets to create or replace (contents become exactly `entries`). */
  readonly write: readonly IpSet[];
  /** Sets to destroy; the caller removes iptables references first. */
  readonly destroy: readonly string[];
}

export class IpSetModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpSetModelError';
  }
}

const NAME_RE = /^[A-Za-z0-9_.:-]+$/;

function checkName(name: string): string {
  if (name.length === 0 || name.length > MAX_SET_NAME || !NAME_RE.test(name)) {
    throw new IpSetModelError(`invalid ipset name ${JSON.stringify(name)}`);
  }
  return name;
}

/** The text of one entry as `ipset add` takes it. */
export function renderEntry(e: IpSetEntry): string {
  switch (e.kind) {
    case 'ip':
      return e.ip;
    case 'net':
      return e.nomatch === true ? `${e.cidr} nomatch` : e.cidr;
    case 'ip,port':
      return `${e.ip},${e.proto}:${e.port}`;
  }
}

function entryKind(t: IpSetType): IpSetEntry['kind'] {
  return t === 'hash:ip' ? 'ip' : t === 'hash:net' ? 'net' : 'ip,port';
}

/** Sorted, de-duplicated entry lines of a set. */
export function setEntries(s: IpSet): string[] {
  const want = entryKind(s.type);
  if (s.entries.length > MAX_ELEMENTS) throw new IpSetModelError(`set ${s.name} has ${s.entries.length} entries, over ${MAX_ELEMENTS}`);
  const out = new Set<string>();
  for (const e of s.entries) {
    if (e.kind !== want) throw new IpSetModelError(`set ${s.name} (${s.type}) cannot hold a ${e.kind} entry`);
    out.add(renderEntry(e));
  }
  return [...out].sort();
}

/**
 * Deterministic temporary name for a set, one per set (never shared between
 * sets or controllers: kube-router #1521). It keeps the owner's prefix
 * (`PODNET-B-…` -> `PODNET-TMP-…`) so prefix-based cleanup finds leftovers.
 */
export function tempName(name: string): string {
  const owner = /^[A-Za-z0-9]{1,10}-/.exec(name)?.[0] ?? '';
  return `${owner}TMP-${createHash('sha256').update(name).digest('hex').slice(0, 16).toUpperCase()}`;
}

/**
 * One fixed maxelem for every set: `create -exist` only succeeds against a live
 * set with identical options, so it must not depend on the entry count. The
 * kernel grows the hash with the entries; maxelem is only a ceiling (the
 * default 65536 is too low for a namespace-wide selector in a large cluster).
 */
export const MAX_ELEMENTS = 1_048_576;

function header(s: IpSet, name: string): string {
  return `create ${name} ${s.type} family ${s.family} hashsize 1024 maxelem ${MAX_ELEMENTS} -exist`;
}

/** A stable digest of a set's full definition (type, family, sorted entries). */
export function setHash(s: IpSet): string {
  const h = createHash('sha256');
  h.update(`${s.name}\n${s.type}\n${s.family}\n`);
  for (const line of setEntries(s)) h.update(`${line}\n`);
  return h.digest('hex').slice(0, 16);
}

/**
 * Renders `ipset restore` input: per written set (sorted by name) ensure the
 * live set, build the temporary, swap, destroy the temporary; then destroy
 * the sets to remove.
 */
export function renderIpsetRestore(batch: IpSetBatch): string {
  const lines: string[] = [];
  const sets = [...batch.write].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const seen = new Set<string>();
  for (const s of sets) {
    const name = checkName(s.name);
    if (seen.has(name)) throw new IpSetModelError(`set ${name} written twice`);
    seen.add(name);
    const tmp = tempName(name);
    lines.push(header(s, name), header(s, tmp), `flush ${tmp}`);
    for (const e of setEntries(s)) lines.push(`add ${tmp} ${e}`);
    lines.push(`swap ${tmp} ${name}`, `destroy ${tmp}`);
  }
  for (const name of [...new Set(batch.destroy)].sort()) {
    if (seen.has(name)) throw new IpSetModelError(`set ${name} both written and destroyed`);
    lines.push(`destroy ${checkName(name)}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
