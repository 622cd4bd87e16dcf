// Reading back what the kernel holds, and the difference to what a
// controller wants: parses one table of `iptables-save` output (the restore
// format, not a human listing) into the rules of the chains a controller owns
// and of the built-in chains, then diffs desired chains and jumps against it
// into one --noflush RestoreBatch. Works because render.ts prints every rule
// exactly as iptables-save prints it back. Pure. No RFCs.
import { isBuiltin } from './model.ts';
import type { BuiltinChain, BuiltinJump, Chain, IpFamily, RestoreBatch, Table } from './model.ts';
import { renderChainRules, renderRule } from './render.ts';

export interface SavedTable {
  /** Owned chains -> their rule lines (`-A NAME …`), in kernel order. */
  readonly chains: ReadonlyMap<string, readonly string[]>;
  /** Built-in chains -> their rule bodies (after `-A NAME `), in kernel order. */
  readonly builtin: ReadonlyMap<BuiltinChain, readonly string[]>;
}

/**
 * Parses `iptables-save -t <table>` output (without -c). Only chains for
 * which `owns(name)` holds, and the built-in chains, are kept.
 */
export function parseSave(text: string, table: Table, owns: (chain: string) => boolean): SavedTable {
  const chains = new Map<string, string[]>();
  const builtin = new Map<BuiltinChain, string[]>();
  let inTable = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      inTable = line === `*${table}`;
      continue;
    }
    if (!inTable) continue;
    if (line === 'COMMIT') {
      inTable = false;
      continue;
    }
    if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0] ?? '';
      if (owns(name)) chains.set(name, []);
      else if (isBuiltin(name)) builtin.set(name, []);
      continue;
    }
    const m = /^-A (\S+) (.*)$/.exec(line);
    if (m === null) continue;
    const name = m[1] ?? '';
    if (owns(name)) chains.get(name)?.push(line);
    else if (isBuiltin(name)) builtin.get(name)?.push(m[2] ?? '');
  }
  return { chains, builtin };
}

function jumpBody(j: BuiltinJump, family: IpFamily): string {
  return renderRule({ matches: [], target: { kind: 'jump', chain: j.to }, comment: j.comment }, family);
}

/** The chain a built-in rule body jumps to, when it ends in a plain `-j NAME`. */
function jumpTarget(body: string): string | undefined {
  return / -j (\S+)$/.exec(` ${body}`)?.[1];
}

/**
 * The batch that turns `saved` into `want`: rewrite owned chains whose rules
 * differ or are missing, remove owned chains nobody wants, and make each
 * wanted jump appear exactly once at its position (deleting duplicates,
 * misplaced copies, and jumps into owned chains nobody wants).
 */
export function diffSaved(
  family: IpFamily,
  table: Table,
  want: readonly Chain[],
  wantJumps: readonly BuiltinJump[],
  saved: SavedTable,
  owns: (chain: string) => boolean,
): RestoreBatch {
  const write: Chain[] = [];
  const wanted = new Set<string>();
  for (const c of want) {
    wanted.add(c.name);
    const have = saved.chains.get(c.name);
    const lines = renderChainRules(c, family);
    if (have === undefined || have.length !== lines.length || have.some((l, i) => l !== lines[i])) write.push(c);
  }
  const remove = [...saved.chains.keys()].filter((n) => !wanted.has(n));
  const insert: BuiltinJump[] = [];
  const del: BuiltinJump[] = [];
  for (const [from, bodies] of saved.builtin) {
    const mine = wantJumps.filter((j) => j.from === from);
    // Jumps into owned chains nobody wants any more.
    for (const body of bodies) {
      const to = jumpTarget(body);
      if (to === undefined || !owns(to) || mine.some((j) => jumpBody(j, family) === body)) continue;
      const comment = /--comment (?:"([^"]*)"|(\S+))/.exec(body);
      const stale: BuiltinJump = { from, to, position: 1, comment: comment?.[1] ?? comment?.[2] ?? '' };
      // Only a rule of the form we write can be deleted by its spec here.
      if (jumpBody(stale, family) === body) del.push(stale);
    }
  }
  for (const j of wantJumps) {
    const bodies = saved.builtin.get(j.from) ?? [];
    const body = jumpBody(j, family);
    const at = bodies.flatMap((b, i) => (b === body ? [i] : []));
    if (at.length === 1 && at[0] === j.position - 1) continue;
    for (let k = 0; k < at.length; k++) del.push(j);
    insert.push(j);
  }
  return { family, table, write, remove, jumps: { insert, delete: del } };
}
