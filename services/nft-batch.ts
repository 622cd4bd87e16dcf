// `nft -f` batches for the services table: the full load (create the table
// from nothing, atomically replacing any previous one) and the delta between
// two rendered rulesets (only the chains whose rules changed are flushed and
// rewritten; map and set elements are added and deleted one by one), each one
// transaction, so the kernel never sees half a change. Pure text output.
// No RFCs; nft syntax per nft(8) of nftables 1.0.
import type { NftChain, NftRuleset, NftSet } from './nft.ts';
import { TABLE_SPEC } from './nft.ts';

const COMMENT = 'podnet service proxy';

function elementList(entries: readonly (readonly [string, string])[], keysOnly: boolean): string {
  const items = entries.map(([k, v]) => (keysOnly || v === '' ? k : `${k} : ${v}`));
  return `{\n\t${items.join(',\n\t')}\n}`;
}

function addSet(s: NftSet): string {
  return `add ${s.kind} ${TABLE_SPEC} ${s.name} { ${s.decl} }`;
}

function addChain(c: NftChain): string {
  return c.base === undefined ? `add chain ${TABLE_SPEC} ${c.name}` : `add chain ${TABLE_SPEC} ${c.name} { ${c.base} }`;
}

function addRules(c: NftChain, out: string[]): void {
  for (const r of c.rules) out.push(`add rule ${TABLE_SPEC} ${c.name} ${r}`);
}

function addElements(set: string, entries: readonly (readonly [string, string])[], out: string[]): void {
  if (entries.length > 0) out.push(`add element ${TABLE_SPEC} ${set} ${elementList(entries, false)}`);
}

/**
 * The whole table in one transaction: `add table` + `delete table` drops any
 * previous copy (with its affinity state), then everything is created:
 * sets and maps, chains (all declared before any rule jumps to them), rules,
 * elements.
 */
export function renderFull(rs: NftRuleset): string {
  const out = [`add table ${TABLE_SPEC}`, `delete table ${TABLE_SPEC}`, `add table ${TABLE_SPEC} { comment "${COMMENT}"; }`];
  for (const s of rs.sets.values()) out.push(addSet(s));
  for (const c of rs.chains.values()) out.push(addChain(c));
  for (const c of rs.chains.values()) addRules(c, out);
  for (const s of rs.sets.values()) addElements(s.name, [...s.elements], out);
  return `${out.join('\n')}\n`;
}

export interface Delta {
  /** The batch text, or '' when nothing changed. */
  readonly text: string;
  readonly chainsAdded: number;
  readonly chainsChanged: number;
  readonly chainsDeleted: number;
  readonly elementsAdded: number;
  readonly elementsDeleted: number;
}

function sameRules(a: NftChain, b: NftChain): boolean {
  // Same array: a replayed fragment (renderRuleset), no string compares needed.
  return a.rules === b.rules || (a.rules.length === b.rules.length && a.rules.every((r, i) => r === b.rules[i]));
}

/**
 * The batch that turns `prev` (what the kernel holds) into `next`, or null
 * when only a full load can do it (a set's declaration or a base chain's hook
 * changed under the same name). Order inside the batch: new sets and chains;
 * rewritten chains; element deletes, then adds (a changed value is a delete
 * and an add of the same key); last, chains and sets nothing refers to any
 * more are flushed and deleted.
 */
export function renderDelta(prev: NftRuleset, next: NftRuleset): Delta | null {
  const out: string[] = [];
  let chainsAdded = 0;
  let chainsChanged = 0;
  let chainsDeleted = 0;
  let elementsAdded = 0;
  let elementsDeleted = 0;
  for (const s of next.sets.values()) {
    const old = prev.sets.get(s.name);
    if (old === undefined) out.push(addSet(s));
    else if (old.decl !== s.decl || old.kind !== s.kind) return null;
  }
  const rewrite: NftChain[] = [];
  for (const c of next.chains.values()) {
    const old = prev.chains.get(c.name);
    if (old === undefined) {
      out.push(addChain(c));
      rewrite.push(c);
      chainsAdded++;
    } else if (old.base !== c.base) {
      return null;
    } else if (!sameRules(old, c)) {
      rewrite.push(c);
      chainsChanged++;
    }
  }
  for (const c of rewrite) {
    if (prev.chains.has(c.name)) out.push(`flush chain ${TABLE_SPEC} ${c.name}`);
    addRules(c, out);
  }
  const adds: string[] = [];
  for (const s of next.sets.values()) {
    const old = prev.sets.get(s.name)?.elements ?? new Map<string, string>();
    const del: [string, string][] = [];
    for (const [k, v] of old) if (s.elements.get(k) !== v) del.push([k, v]);
    const add: [string, string][] = [];
    for (const [k, v] of s.elements) if (old.get(k) !== v) add.push([k, v]);
    if (del.length > 0) out.push(`delete element ${TABLE_SPEC} ${s.name} ${elementList(del, true)}`);
    addElements(s.name, add, adds);
    elementsDeleted += del.length;
    elementsAdded += add.length;
  }
  out.push(...adds);
  const goneChains = [...prev.chains.values()].filter((c) => !next.chains.has(c.name));
  for (const c of goneChains) out.push(`flush chain ${TABLE_SPEC} ${c.name}`);
  // Maps go before chains: a map's verdicts hold references to the chains they jump to.
  for (const s of prev.sets.values()) if (!next.sets.has(s.name)) out.push(`delete ${s.kind} ${TABLE_SPEC} ${s.name}`);
  for (const c of goneChains) out.push(`delete chain ${TABLE_SPEC} ${c.name}`);
  chainsDeleted = goneChains.length;
  return {
    text: out.length > 0 ? `${out.join('\n')}\n` : '',
    chainsAdded,
    chainsChanged,
    chainsDeleted,
    elementsAdded,
    elementsDeleted,
  };
}
