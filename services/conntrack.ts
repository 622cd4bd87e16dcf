// UDP conntrack entries that outlive a service change. UDP has no connection
// end, so a client that keeps sending keeps its NAT entry: to a backend that
// is gone (flush entries DNATed to it), or to the reject/drop verdict of a
// service that had no endpoints (flush entries to the VIP once it has some;
// kubernetes/kubernetes#48370, #139628). The plan is pure; `flushStaleUdp`
// runs conntrack(8) through exec.ts. No RFCs.
import { ExecError, run } from '../src/kernel/exec.ts';
import type { Family } from './addr.ts';
import type { ServicesModel } from './model.ts';
import { virtualServices } from './model.ts';

/** One `conntrack -D`: entries to a VIP (or a NodePort) and, if set, DNATed to one endpoint. */
export interface UdpFlush {
  readonly family: Family;
  /** The VIP, or null for a NodePort (any local address). */
  readonly vip: string | null;
  readonly port: number;
  /** Only entries DNATed to this endpoint; null: every entry to the VIP:port. */
  readonly endpoint: string | null;
}

function key(vip: string | null, port: number): string {
  return `${vip ?? '*'}|${port}`;
}

/** What to flush after going from `prev` to `next` (sorted, no duplicates). */
export function staleUdp(prev: ServicesModel | undefined, next: ServicesModel): UdpFlush[] {
  if (prev === undefined) return [];
  const before = new Map<string, { family: Family; backends: Set<string> }>();
  for (const v of virtualServices(prev)) {
    if (v.protocol !== 'udp') continue;
    const vip = v.frontend.kind === 'nodePort' ? null : v.frontend.ip;
    before.set(key(vip, v.frontend.port), { family: v.family, backends: new Set(v.backends.map((b) => b.ip)) });
  }
  const out = new Map<string, UdpFlush>();
  const add = (f: UdpFlush): void => {
    out.set(`${f.family}|${key(f.vip, f.port)}|${f.endpoint ?? ''}`, f);
  };
  const seen = new Set<string>();
  for (const v of virtualServices(next)) {
    if (v.protocol !== 'udp') continue;
    const vip = v.frontend.kind === 'nodePort' ? null : v.frontend.ip;
    const k = key(vip, v.frontend.port);
    seen.add(k);
    const old = before.get(k);
    const now = new Set(v.backends.map((b) => b.ip));
    if ((old === undefined || old.backends.size === 0) && now.size > 0) add({ family: v.family, vip, port: v.frontend.port, endpoint: null });
    for (const ip of old?.backends ?? []) if (!now.has(ip)) add({ family: v.family, vip, port: v.frontend.port, endpoint: ip });
  }
  for (const [k, old] of before) {
    if (seen.has(k)) continue;
    const [vipText = '*', port = '0'] = k.split('|');
    const vip = vipText === '*' ? null : vipText;
    for (const ip of old.backends) add({ family: old.family, vip, port: Number(port), endpoint: ip });
  }
  return [...out.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, f]) => f);
}

/** conntrack(8) arguments for one flush. */
export function conntrackArgs(f: UdpFlush): string[] {
  const args = ['-D', '-f', f.family === 4 ? 'ipv4' : 'ipv6', '-p', 'udp'];
  if (f.vip !== null) args.push('--orig-dst', f.vip);
  args.push('--orig-port-dst', String(f.port));
  if (f.endpoint !== null) args.push('--dst-nat', f.endpoint);
  return args;
}

/** Runs the flushes; "0 flow entries" is success. Returns how many failed (logged by the caller). */
export async function flushStaleUdp(flushes: readonly UdpFlush[], opts: { netns?: string } = {}): Promise<{ failed: string[] }> {
  const failed: string[] = [];
  for (const f of flushes) {
    const args = conntrackArgs(f);
    try {
      if (opts.netns !== undefined) await run('ip', ['netns', 'exec', opts.netns, 'conntrack', ...args]);
      else await run('conntrack', args);
    } catch (e: unknown) {
      if (e instanceof ExecError && /0 flow entries/.test(e.stderr)) continue;
      failed.push(`${args.join(' ')}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { failed };
}
