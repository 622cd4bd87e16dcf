// Applies rendered service rulesets to the kernel: the first load (and any
// load after drift or a declaration change) is the full batch, every later
// change is the delta against what was last applied, each one `nft -f`
// transaction. The applied ruleset is kept in memory, so incremental syncs
// never list the kernel (the kube-proxy #139513 lesson); a verifying (full)
// sync lists the table once and compares names and sizes, reloading in full
// only on drift, so affinity state survives periodic resyncs.
// No RFCs; nft(8), libnftables-json(5).
import { nftApply, nftDeleteTable, nftListTable } from '../src/kernel/nft.ts';
import type { NftOptions } from '../src/kernel/nft.ts';
import { renderDelta, renderFull } from './nft-batch.ts';
import type { NftRuleset } from './nft.ts';

export interface ApplyResult {
  readonly how: 'full' | 'delta' | 'none';
  /** Why a full load was needed (first load, drift, declaration change). */
  readonly reason?: string;
  /** Chains written or deleted plus elements added or deleted (full: everything). */
  readonly changes: number;
}

/** Names and sizes of the kernel's table, from the canonical listing. */
function kernelShape(listing: string): Map<string, number> {
  const shape = new Map<string, number>();
  for (const line of listing.split('\n')) {
    if (line === '') continue;
    const obj = JSON.parse(line) as Record<string, Record<string, unknown>>;
    const [kind] = Object.keys(obj);
    const body = kind !== undefined ? obj[kind] : undefined;
    if (kind === undefined || body === undefined) continue;
    if (kind === 'chain') shape.set(`chain ${String(body['name'])}`, shape.get(`chain ${String(body['name'])}`) ?? 0);
    else if (kind === 'rule') shape.set(`chain ${String(body['chain'])}`, (shape.get(`chain ${String(body['chain'])}`) ?? 0) + 1);
    else if (kind === 'set' || kind === 'map') {
      const flags = body['flags'];
      const dynamic = Array.isArray(flags) && flags.includes('dynamic');
      const elem = body['elem'];
      shape.set(`set ${String(body['name'])}`, dynamic ? -1 : Array.isArray(elem) ? elem.length : 0);
    }
  }
  return shape;
}

function desiredShape(rs: NftRuleset): Map<string, number> {
  const shape = new Map<string, number>();
  for (const c of rs.chains.values()) shape.set(`chain ${c.name}`, c.rules.length);
  for (const s of rs.sets.values()) shape.set(`set ${s.name}`, s.decl.includes('dynamic') ? -1 : s.elements.size);
  return shape;
}

/** What differs between two shapes (first few), or null when equal. */
function shapeDiff(kernel: Map<string, number>, desired: Map<string, number>): string | null {
  const diffs: string[] = [];
  for (const [k, v] of desired) if (kernel.get(k) !== v) diffs.push(`${k}: kernel ${kernel.get(k) ?? 'missing'}, want ${v}`);
  for (const k of kernel.keys()) if (!desired.has(k)) diffs.push(`${k}: not ours any more`);
  return diffs.length === 0 ? null : diffs.slice(0, 3).join('; ');
}

export class NftApplier {
  private applied: NftRuleset | undefined;
  private readonly opts: NftOptions;

  constructor(opts: NftOptions = {}) {
    this.opts = opts;
  }

  /** The ruleset the kernel holds after the last successful apply. */
  current(): NftRuleset | undefined {
    return this.applied;
  }

  /**
   * Brings the kernel to `next`. With `verify`, first checks the kernel's
   * table against what was applied and reloads it in full on any drift.
   * On failure the applied state is forgotten, so the next apply is full.
   */
  async apply(next: NftRuleset, verify = false): Promise<ApplyResult> {
    let reason: string | undefined;
    const prev = this.applied;
    if (prev === undefined) reason = 'first load';
    else if (verify) {
      const listing = await nftListTable('inet', 'podnet', this.opts);
      const why = listing === null ? 'table missing' : shapeDiff(kernelShape(listing), desiredShape(prev));
      if (why !== null) reason = `drift: ${why}`;
    }
    try {
      if (prev !== undefined && reason === undefined) {
        const d = renderDelta(prev, next);
        if (d !== null) {
          await nftApply(d.text, this.opts);
          this.applied = next;
          const changes = d.chainsAdded + d.chainsChanged + d.chainsDeleted + d.elementsAdded + d.elementsDeleted;
          return { how: changes === 0 ? 'none' : 'delta', changes };
        }
        reason = 'a declaration changed';
      }
      await nftApply(renderFull(next), this.opts);
      this.applied = next;
      let changes = next.chains.size;
      for (const s of next.sets.values()) changes += s.elements.size;
      return { how: 'full', reason: reason ?? 'first load', changes };
    } catch (e: unknown) {
      this.applied = undefined;
      throw e;
    }
  }

  /** Removes the table (everything this backend ever programmed lives in it). */
  async cleanup(): Promise<void> {
    await nftDeleteTable('inet', 'podnet', this.opts);
    this.applied = undefined;
  }
}
