// Applies the routes controller's desired kernel routes: diffs them against
// the routes of podnet's protocol number that the kernel holds now, replaces
// what is missing or different (RTM_NEWROUTE with NLM_F_REPLACE: never
// delete+add, so traffic keeps flowing), deletes what podnet owns but no
// longer wants, and records what succeeded. Routes of any other protocol are
// never read into the diff, so they are never touched. Running it twice
// changes nothing the second time; a route deleted behind its back is
// restored by the next run (kube-router#509).
import type { KernelRoute, NextHop, RouteTable } from '../src/kernel/netlink/routes.ts';

export interface RouteApplyResult {
  readonly replaced: readonly string[];
  readonly deleted: readonly string[];
  readonly unchanged: number;
  readonly failed: readonly { readonly dst: string; readonly op: 'replace' | 'delete'; readonly error: string }[];
}

function nhKey(n: NextHop): string {
  return `${n.gateway}${n.onlink === true ? '/onlink' : ''}${n.ifindex !== undefined && n.ifindex !== 0 ? `@${n.ifindex}` : ''}`;
}

/** Same next hops? An unset ifindex in `want` accepts whatever the kernel resolved. */
export function sameNexthops(want: readonly NextHop[], have: readonly NextHop[]): boolean {
  if (want.length !== have.length) return false;
  const norm = (list: readonly NextHop[], ignoreIf: ReadonlySet<string>): string[] =>
    list.map((n) => (ignoreIf.has(n.gateway) ? nhKey({ gateway: n.gateway, ...(n.onlink === true ? { onlink: true } : {}) }) : nhKey(n))).sort();
  const loose = new Set(want.filter((n) => n.ifindex === undefined || n.ifindex === 0).map((n) => n.gateway));
  const a = norm(want, loose);
  const b = norm(have, loose);
  return a.every((k, i) => k === b[i]);
}

/**
 * `keep`: destinations podnet owns that must not be deleted even if not
 * desired (graceful restart: routes of the previous run wait for the peers'
 * End-of-RIB before anything is removed).
 */
export async function applyRoutes(table: RouteTable, desired: readonly KernelRoute[], protocol: number, tableId: number, keep: ReadonlySet<string> = new Set()): Promise<RouteApplyResult> {
  const want = new Map(desired.map((r) => [r.dst, r]));
  const have = new Map((await table.list(protocol, tableId)).map((r) => [r.dst, r]));
  const replaced: string[] = [];
  const deleted: string[] = [];
  const failed: { dst: string; op: 'replace' | 'delete'; error: string }[] = [];
  let unchanged = 0;
  for (const dst of [...want.keys()].sort()) {
    const w = want.get(dst);
    const h = have.get(dst);
    if (w === undefined) continue;
    if (h !== undefined && sameNexthops(w.nexthops, h.nexthops)) {
      unchanged++;
      continue;
    }
    try {
      await table.replace({ ...w, protocol, table: tableId });
      replaced.push(dst);
    } catch (err) {
      failed.push({ dst, op: 'replace', error: err instanceof Error ? err.message : String(err) });
    }
  }
  for (const dst of [...have.keys()].sort()) {
    const h = have.get(dst);
    if (h === undefined || want.has(dst) || keep.has(dst)) continue;
    try {
      await table.delete(h);
      deleted.push(dst);
    } catch (err) {
      failed.push({ dst, op: 'delete', error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { replaced, deleted, unchanged, failed };
}

/** Cleanup: removes every route of podnet's protocol number, and only those. */
export async function cleanupRoutes(table: RouteTable, protocol: number, tableId: number): Promise<RouteApplyResult> {
  return applyRoutes(table, [], protocol, tableId);
}
