// `podnet lab check`: real packets between every pair of lab pods. From each
// pod's namespace, to each IP (IPv4 and IPv6) of every other pod: one ICMP
// echo (ping), and a TCP connection to its first declared TCP port, which must
// answer with that pod's name. Printed as a reachability matrix (rows: from, columns: to).
import { runIn } from './netns.ts';
import type { PodRecord } from './state.ts';

export interface Reach {
  readonly from: string;
  readonly to: string;
  /** The target address probed (each of the target pod's IPs: IPv4 and IPv6). */
  readonly ip: string;
  readonly sameNode: boolean;
  readonly ping: boolean;
  /** null when the target declares no TCP port. */
  readonly tcp: boolean | null;
}

async function pairwise<T>(items: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      const f = items[i];
      if (f !== undefined) out[i] = await f();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Answer of `pod`'s TCP `port` as seen from namespace `fromNetns` ('' on failure). */
export async function tcpAnswer(fromNetns: string, ip: string, port: number): Promise<string> {
  const script = `const s=require('net').connect({host:${JSON.stringify(ip)},port:${port},timeout:2000});let b='';s.on('data',d=>b+=d);s.on('end',()=>{process.stdout.write(b)});s.on('timeout',()=>s.destroy());s.on('error',()=>{})`;
  const r = await runIn(fromNetns, process.execPath, ['-e', script], { allowFail: true, timeoutMs: 5_000 });
  return r.stdout.trim();
}

export async function ping(fromNetns: string, ip: string): Promise<boolean> {
  const r = await runIn(fromNetns, 'ping', ['-c', '1', '-W', '1', ip], { allowFail: true, timeoutMs: 5_000 });
  return r.code === 0;
}

/** Probes every ordered pair of distinct pods, on each of the target's IPs (pods without a namespace of their own are skipped). */
export async function reachability(pods: readonly PodRecord[]): Promise<Reach[]> {
  const wired = pods.filter((p) => p.netns !== '' && p.ips.length > 0);
  const jobs: (() => Promise<Reach>)[] = [];
  for (const a of wired) {
    for (const b of wired) {
      if (a === b) continue;
      for (const ip of b.ips) {
        jobs.push(async () => {
          const tcpPort = b.ports.find((p) => p.protocol === 'TCP')?.port;
          const [okPing, answer] = await Promise.all([ping(a.netns, ip), tcpPort === undefined ? Promise.resolve(null) : tcpAnswer(a.netns, ip, tcpPort)]);
          return { from: a.name, to: b.name, ip, sameNode: a.node === b.node, ping: okPing, tcp: answer === null ? null : answer === b.name };
        });
      }
    }
  }
  return pairwise(jobs, 4);
}

export function renderMatrix(pods: readonly PodRecord[], reach: readonly Reach[]): string {
  const names = pods.filter((p) => p.netns !== '' && p.ips.length > 0).map((p) => p.name);
  const cell = (from: string, to: string): string => {
    if (from === to) return '-';
    const rs = reach.filter((x) => x.from === from && x.to === to);
    if (rs.length === 0) return '?';
    const one = (r: Reach): string => `${r.ping ? 'ping' : 'PING-FAIL'}${r.tcp === null ? '' : r.tcp ? '+tcp' : '+TCP-FAIL'}`;
    return rs.length === 1 && rs[0] !== undefined ? one(rs[0]) : rs.map((r) => `${r.ip.includes(':') ? 'v6' : 'v4'}:${one(r)}`).join(' ');
  };
  const rows = [['FROM \\ TO', ...names], ...names.map((f) => [f, ...names.map((t) => cell(f, t))])];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  const same = reach.filter((r) => r.sameNode);
  const cross = reach.filter((r) => !r.sameNode);
  const ok = (rs: readonly Reach[]): number => rs.filter((r) => r.ping && r.tcp !== false).length;
  lines.push('', `same node:  ${ok(same)}/${same.length} probes answered`, `cross node: ${ok(cross)}/${cross.length} probes answered`);
  return `${lines.join('\n')}\n`;
}
