// Applies the desired firewall to the kernel through the agent's one writer
// (src/kernel/writer.ts), in the order firewall/README.md gives:
//   1. `ipset restore` of new and changed sets (temp, swap, destroy temp), in
//      bounded chunks, so every set a rule will name exists;
//   2. one `iptables-restore --noflush --wait` per family;
//   3. PODNET-LOCAL-PODS* with its final members (default deny: a pod is in it
//      only once its chains exist), then `ipset restore` of the destroys.
// An incremental sync plans against the state recorded after the last apply
// (no kernel reads at all when nothing changed); a full sync, a cold start and
// any part a failure left unknown plan against the kernel: `iptables-save`
// per family (planFamilyFromKernel: drift, displaced or duplicated jumps) and
// `ipset list -n` (every set rewritten, owned leftovers destroyed). What
// failed is recorded as unknown, so the next sync re-plans it from the kernel.
// Cleanup removes every chain, jump and set names.ts says is ours, and
// nothing else. No RFCs; iptables-restore(8), ipset(8).
import { ipFamilies } from '../src/kernel/iptables/model.ts';
import type { IpFamily, RestoreBatch } from '../src/kernel/iptables/model.ts';
import { renderRestore } from '../src/kernel/iptables/render.ts';
import { diffSaved, parseSave } from '../src/kernel/iptables/saved.ts';
import { renderIpsetRestore, setEntries, setHash } from '../src/kernel/ipset.ts';
import type { IpSet } from '../src/kernel/ipset.ts';
import type { KernelTx, KernelWriter } from '../src/kernel/writer.ts';
import type { DesiredFirewall, FamilyFirewall } from './compile.ts';
import { CHAIN_FORWARD, CHAIN_INPUT, CHAIN_OUTPUT, SET_LOCAL_PODS_V4, SET_LOCAL_PODS_V6, ownsChain, ownsSet } from './names.ts';
import { planFamilyFromKernel, planFirewall } from './plan.ts';

/** At most this many ipset restore lines per `ipset restore` (a bigger set goes alone). */
export const IPSET_CHUNK_LINES = 20_000;

export interface FamilyApplied {
  readonly family: IpFamily;
  /** How the batch was planned: against the recorded state or `iptables-save`. */
  readonly planned: 'state' | 'kernel';
  readonly written: readonly string[];
  readonly removed: readonly string[];
  readonly jumpsInserted: number;
  readonly jumpsDeleted: number;
}

export interface ApplyResult {
  readonly kind: 'incremental' | 'full';
  /** Sets restored (swapped in), sorted; on a kernel-planned sync every desired set. */
  readonly setsWritten: readonly string[];
  /** Of those, the ones whose content differs from the last applied state. */
  readonly setsChanged: readonly string[];
  readonly setsDestroyed: readonly string[];
  /** Families whose iptables batch was not empty. */
  readonly iptables: readonly FamilyApplied[];
  /** Chains written or removed, jumps moved, sets changed or destroyed. */
  readonly changes: number;
  /** What failed (empty on success). */
  readonly failed: readonly string[];
}

export class FirewallApplyError extends Error {
  override readonly name = 'FirewallApplyError';
  readonly result: ApplyResult;
  constructor(result: ApplyResult) {
    super(`firewall apply: ${result.failed.length} step(s) failed: ${result.failed.slice(0, 3).join('; ')}`);
    this.result = result;
  }
}

const LOCAL_SETS = new Set([SET_LOCAL_PODS_V4, SET_LOCAL_PODS_V6]);

const EMPTY: DesiredFirewall = { families: [], contributions: new Map() };

/**
 * Whether `d` restricts nothing: no set, and the top chains jump nowhere (no
 * policy selects a local pod, no default deny). Such a state is programmed as
 * nothing at all, so a node without policies carries no podnet rule.
 */
export function enforcesNothing(d: DesiredFirewall): boolean {
  return d.families.every((f) => f.sets.size === 0 && [CHAIN_INPUT, CHAIN_FORWARD, CHAIN_OUTPUT].every((n) => (f.chains.get(n)?.chain.rules.length ?? 0) === 0));
}

function emptyFamily(family: IpFamily): FamilyFirewall {
  return { family, chains: new Map(), sets: new Map(), jumps: [] };
}

function familyOf(d: DesiredFirewall | undefined, f: IpFamily): FamilyFirewall | undefined {
  return d?.families.find((x) => x.family === f);
}

function allSets(d: DesiredFirewall | undefined): Map<string, IpSet> {
  const out = new Map<string, IpSet>();
  for (const f of d?.families ?? []) for (const [name, e] of f.sets) out.set(name, e.set);
  return out;
}

function batchSize(b: RestoreBatch): number {
  return b.write.length + b.remove.length + b.jumps.insert.length + b.jumps.delete.length;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Splits sets into groups of at most IPSET_CHUNK_LINES restore lines each. */
export function chunkSets(sets: readonly IpSet[], maxLines = IPSET_CHUNK_LINES): IpSet[][] {
  const out: IpSet[][] = [];
  let cur: IpSet[] = [];
  let lines = 0;
  for (const s of [...sets].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const n = setEntries(s).length + 5; // create, create temp, flush, entries, swap, destroy temp
    if (cur.length > 0 && lines + n > maxLines) {
      out.push(cur);
      cur = [];
      lines = 0;
    }
    cur.push(s);
    lines += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** The sets of a failed chunk that `ipset restore` finished before its "Error in line N". */
function doneBefore(chunk: readonly IpSet[], stderr: string): IpSet[] {
  const line = Number(/Error in line (\d+)/.exec(stderr)?.[1] ?? '0');
  const done: IpSet[] = [];
  let end = 0;
  for (const s of chunk) {
    end += setEntries(s).length + 5;
    if (end < line) done.push(s);
  }
  return done;
}

export class FirewallApplier {
  readonly #writer: KernelWriter;
  /** The state the kernel holds, except for the parts below marked unknown. */
  #applied: DesiredFirewall | undefined;
  /** Families whose chains and jumps are not known to match #applied. */
  readonly #chainsUnknown = new Set<IpFamily>(ipFamilies);
  /** Whether the sets are not known to match #applied. */
  #setsUnknown = true;
  /** The kernel is known to hold nothing of ours (after applying a state that enforces nothing). */
  #kernelEmpty = false;

  constructor(writer: KernelWriter) {
    this.#writer = writer;
  }

  /** The desired state of the last apply (possibly partly failed), for status and metrics. */
  applied(): DesiredFirewall | undefined {
    return this.#applied;
  }

  /** Makes the kernel match `desired`. Throws FirewallApplyError (after recording what succeeded) on failure. */
  apply(desired: DesiredFirewall, kind: 'incremental' | 'full'): Promise<ApplyResult> {
    return this.#writer.exclusive((tx) => this.#apply(tx, desired, kind));
  }

  async #apply(tx: KernelTx, compiled: DesiredFirewall, kind: 'incremental' | 'full'): Promise<ApplyResult> {
    const desired = enforcesNothing(compiled) ? EMPTY : compiled;
    let prev = this.#applied;
    if (this.#kernelEmpty && kind === 'incremental') {
      // Known empty: plan from nothing, without reading the kernel.
      if (desired === EMPTY) return { kind, setsWritten: [], setsChanged: [], setsDestroyed: [], iptables: [], changes: 0, failed: [] };
      prev = undefined;
    } else if (kind === 'full' || prev === undefined) {
      for (const f of ipFamilies) this.#chainsUnknown.add(f);
      this.#setsUnknown = true;
    }
    this.#kernelEmpty = false;
    const failed: string[] = [];
    const fromState = planFirewall(desired, prev);
    const want = allSets(desired);
    const had = allSets(prev);

    // 1. Sets first, so every set a rule names exists.
    let kernelSets: Set<string> | undefined;
    let writes: IpSet[];
    let destroys: string[];
    if (this.#setsUnknown) {
      kernelSets = new Set((await tx.ipsetNames()).filter(ownsSet));
      writes = [...want.values()];
      destroys = [...kernelSets].filter((n) => !want.has(n)).sort();
    } else {
      writes = [...fromState.ipsetWrite.write];
      destroys = [...fromState.ipsetDestroy.destroy];
    }
    // Default deny: before the chains exist, the local-pods set may only lose members.
    const localLate: IpSet[] = writes.filter((s) => LOCAL_SETS.has(s.name));
    const early: IpSet[] = writes.filter((s) => !LOCAL_SETS.has(s.name));
    for (const s of localLate) {
      const old = had.get(s.name);
      const inKernel = kernelSets === undefined ? old !== undefined : kernelSets.has(s.name);
      // Left by an earlier process and not recorded: keep its members until the chains are written.
      if (inKernel && old === undefined) continue;
      const oldMembers = new Set(old?.entries.map((e) => JSON.stringify(e)) ?? []);
      const interim: IpSet = { ...s, entries: s.entries.filter((e) => oldMembers.has(JSON.stringify(e))) };
      if (!inKernel || old === undefined || setHash(interim) !== setHash(old)) early.push(interim);
    }
    const setsWritten: string[] = [];
    let setsOk = true;
    const writeSets = async (sets: readonly IpSet[]): Promise<void> => {
      for (const chunk of chunkSets(sets)) {
        try {
          await tx.ipsetRestore(renderIpsetRestore({ write: chunk, destroy: [] }));
          setsWritten.push(...chunk.map((s) => s.name));
        } catch (e: unknown) {
          setsOk = false;
          const done = doneBefore(chunk, e instanceof Error && 'stderr' in e ? String(e.stderr) : '');
          setsWritten.push(...done.map((s) => s.name));
          failed.push(`ipset restore of ${chunk.length - done.length} set(s) from ${chunk[done.length]?.name ?? '?'}: ${message(e)}`);
        }
      }
    };
    await writeSets(early);

    // 2. One iptables-restore --noflush per family.
    const iptables: FamilyApplied[] = [];
    const families = new Set<IpFamily>([...desired.families.map((f) => f.family), ...(prev?.families.map((f) => f.family) ?? []), ...this.#chainsUnknown]);
    let chainsOk = true;
    const chainsDone = new Set<IpFamily>();
    for (const fam of [...families].sort()) {
      const wantFam = familyOf(desired, fam) ?? emptyFamily(fam);
      let batch: RestoreBatch | undefined;
      let planned: 'state' | 'kernel' = 'state';
      try {
        if (this.#chainsUnknown.has(fam)) {
          planned = 'kernel';
          batch = planFamilyFromKernel(wantFam, parseSave(await tx.iptablesSave(fam, 'filter'), 'filter', ownsChain));
        } else {
          batch = fromState.iptables.find((b) => b.family === fam);
        }
        if (batch !== undefined && batchSize(batch) > 0) {
          await tx.iptablesRestore(fam, renderRestore(batch));
          iptables.push({
            family: fam,
            planned,
            written: batch.write.map((c) => c.name).sort(),
            removed: [...batch.remove].sort(),
            jumpsInserted: batch.jumps.insert.length,
            jumpsDeleted: batch.jumps.delete.length,
          });
        }
        this.#chainsUnknown.delete(fam);
        chainsDone.add(fam);
      } catch (e: unknown) {
        chainsOk = false;
        this.#chainsUnknown.add(fam);
        failed.push(`${fam} iptables: ${message(e)}`);
      }
    }

    // 3. Local pods get their final members once their family's chains exist; then destroys.
    const late = localLate.filter((s) => chainsDone.has(s.family));
    if (late.length < localLate.length) setsOk = false;
    await writeSets(late);
    const setsDestroyed: string[] = [];
    if (chainsOk && destroys.length > 0) {
      const present = kernelSets ?? new Set((await tx.ipsetNames()).filter(ownsSet));
      const gone = destroys.filter((n) => present.has(n));
      for (let i = 0; i < gone.length; i += 1000) {
        const part = gone.slice(i, i + 1000);
        try {
          await tx.ipsetRestore(renderIpsetRestore({ write: [], destroy: part }));
          setsDestroyed.push(...part);
        } catch (e: unknown) {
          setsOk = false;
          failed.push(`ipset destroy: ${message(e)}`);
        }
      }
    } else if (destroys.length > 0) {
      setsOk = false;
    }

    this.#applied = desired;
    this.#setsUnknown = !setsOk;
    this.#kernelEmpty = desired === EMPTY && failed.length === 0;
    const written = [...new Set(setsWritten)].sort();
    const setsChanged = written.filter((n) => {
      const w = want.get(n);
      const h = had.get(n);
      return w !== undefined && (h === undefined || setHash(w) !== setHash(h));
    });
    let changes = setsChanged.length + setsDestroyed.length;
    for (const f of iptables) changes += f.written.length + f.removed.length + f.jumpsInserted + f.jumpsDeleted;
    const result: ApplyResult = { kind, setsWritten: written, setsChanged, setsDestroyed: setsDestroyed.sort(), iptables, changes, failed };
    if (failed.length > 0) throw new FirewallApplyError(result);
    return result;
  }

  /**
   * Removes every chain and built-in jump `ownsChain` accepts (both families)
   * and every set `ownsSet` accepts, whatever state recorded; leaves all else.
   */
  cleanup(): Promise<{ chains: string[]; jumps: number; sets: string[] }> {
    return this.#writer.exclusive(async (tx) => {
      const failed: string[] = [];
      const chains: string[] = [];
      let jumps = 0;
      for (const fam of ipFamilies) {
        try {
          const saved = parseSave(await tx.iptablesSave(fam, 'filter'), 'filter', ownsChain);
          const batch = diffSaved(fam, 'filter', [], [], saved, ownsChain);
          if (batchSize(batch) > 0) await tx.iptablesRestore(fam, renderRestore(batch));
          chains.push(...batch.remove.map((n) => `${fam}:${n}`));
          jumps += batch.jumps.delete.length;
        } catch (e: unknown) {
          failed.push(`${fam} iptables: ${message(e)}`);
        }
      }
      const sets = (await tx.ipsetNames()).filter(ownsSet).sort();
      const destroyed: string[] = [];
      for (const name of sets) {
        try {
          await tx.ipsetRestore(renderIpsetRestore({ write: [], destroy: [name] }));
          destroyed.push(name);
        } catch (e: unknown) {
          failed.push(`ipset destroy ${name}: ${message(e)}`);
        }
      }
      this.#applied = undefined;
      this.#kernelEmpty = false;
      for (const f of ipFamilies) this.#chainsUnknown.add(f);
      this.#setsUnknown = true;
      if (failed.length > 0) throw new Error(`firewall cleanup: ${failed.join('; ')}`);
      return { chains, jumps, sets: destroyed };
    });
  }
}
