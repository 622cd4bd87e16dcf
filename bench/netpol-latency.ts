// Event-to-enforcement latency of the network policy controller (issue 6), in
// a real lab (2 nodes, BIRD ToR, podnetd per node with its firewall): a client
// pod on node1 probes a server pod on node2 (TCP 80) in a tight loop while
// API writes change the server's verdict. Per event, the time from just
// before the write is sent to the API server to the start of the first probe
// that shows the new verdict (a probe starts every 5 ms; see measure()).
// Events, in cycles of four: a deny-ingress policy created (blocked) and
// deleted (reached); a label patched onto the server
// that a standing policy selects (blocked) and removed (reached). Prints
// p50 / p90 / p99 / max, overall and per event kind. Needs root.
// Usage: node bench/netpol-latency.ts [--events 32]
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultOptions, labDown, labUp, listLabs, loadState, procAlive, sweepPrefix, waitFor } from '../src/lab/index.ts';
import { LabApi } from '../test/helpers/netpol/api.ts';
import { Prober } from '../test/helpers/netpol/probe.ts';
import type { ProbePod, Target } from '../test/helpers/netpol/probe.ts';

const i = process.argv.indexOf('--events');
const EVENTS = i >= 0 ? Number(process.argv[i + 1]) : 32;
if (!Number.isSafeInteger(EVENTS) || EVENTS < 4) throw new Error('--events must be an integer >= 4');

const stateRoot = join(tmpdir(), 'podnet-lab-bench');
const name = `n${randomBytes(2).toString('hex')}`;
const TCP80: Target = { port: 80, proto: 'TCP' };
const NS = 'lat';
/** A probe starts this often: the resolution of the measurement. */
const PERIOD_MS = 5;

function pod(podName: string, node: string): { metadata: { name: string; namespace: string; labels: Record<string, string> }; spec: unknown } {
  return { metadata: { name: podName, namespace: NS, labels: { app: podName } }, spec: { nodeName: node, containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } };
}

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

const fmt = (xs: readonly number[]): string => `n=${String(xs.length).padStart(3)}  p50 ${pct(xs, 50).toFixed(0).padStart(5)} ms  p90 ${pct(xs, 90).toFixed(0).padStart(5)} ms  p99 ${pct(xs, 99).toFixed(0).padStart(5)} ms  max ${Math.max(...xs).toFixed(0).padStart(5)} ms`;

async function main(): Promise<void> {
  for (const l of listLabs(stateRoot)) {
    const st = loadState(join(stateRoot, l));
    if (st?.supervisor === undefined || !procAlive(st.supervisor)) await labDown(stateRoot, l);
  }
  let prober: Prober | undefined;
  try {
    const st = await labUp({ ...defaultOptions, name, nodes: 2, tor: 'bird', podsPerNode: 0, stateRoot });
    const api = new LabApi(st.apiServer?.url ?? '');
    await api.create('Namespace', { metadata: { name: NS } });
    await api.create('Pod', pod('client', 'node1'));
    await api.create('Pod', pod('server', 'node2'));
    const recs = await waitFor('client and server running', () => {
      const ps = loadState(join(stateRoot, name))?.pods ?? [];
      const c = ps.find((p) => p.name === 'client');
      const s = ps.find((p) => p.name === 'server');
      return c?.server !== undefined && s?.server !== undefined && c.ips.length > 0 && s.ips.length > 0 ? [c, s] : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    const [client, server]: ProbePod[] = recs.map((r) => ({ ns: NS, name: r.name, netns: r.netns, ip: r.ips[0] ?? '' }));
    if (client === undefined || server === undefined) throw new Error('no pods');
    const p = new Prober([client]);
    prober = p;
    const reached = async (): Promise<boolean> => (await p.one(0, server, TCP80, 1_000)) === 'server';
    await waitFor('client reaches server across nodes', reached, { timeoutMs: 60_000, intervalMs: 100 });
    await api.create('NetworkPolicy', { metadata: { name: 'isolate-labelled', namespace: NS }, spec: { podSelector: { matchLabels: { isolated: 'yes' } }, policyTypes: ['Ingress'] } });
    /**
     * Runs `write` while a probe starts every PERIOD_MS (each with a 1 s timeout,
     * many in flight: a REJECT's ICMP error is rate-limited per destination,
     * so a blocked probe may only end at its timeout). The verdict changed at
     * the start of the first probe from which on every probe shows `want`,
     * for at least 300 ms of probes: ms from before the write to that start.
     */
    const measure = async (want: boolean, write: () => Promise<unknown>): Promise<{ ms: number; runs: string }> => {
      const probes: { sent: number; ok?: boolean }[] = [];
      const inflight: Promise<void>[] = [];
      writes.push(Date.now());
      const t0 = performance.now();
      const written = write();
      let settled: number | undefined;
      try {
        while (settled === undefined) {
          const rec: { sent: number; ok?: boolean } = { sent: performance.now() };
          probes.push(rec);
          inflight.push(reached().then((ok) => void (rec.ok = ok)));
          await new Promise((r) => setTimeout(r, PERIOD_MS));
          if (performance.now() - t0 > 30_000) throw new Error(`verdict ${want ? 'reached' : 'blocked'} not seen in 30 s`);
          // the first probe after the last contrary one, once everything before it has ended
          let last = -1;
          probes.forEach((q, k) => (q.ok !== undefined && q.ok !== want ? (last = k) : undefined));
          const first = probes[last + 1];
          if (first === undefined || probes.slice(0, last + 2).some((q) => q.ok === undefined)) continue;
          if (probes.some((q) => q.ok === want && q.sent >= first.sent + 300)) settled = first.sent - t0;
        }
      } finally {
        await written;
        await Promise.all(inflight);
      }
      // the probes' verdicts by start time, as runs: "0-10 reached, 15-790 blocked"
      const runs: string[] = [];
      let from = 0;
      probes.forEach((q, k) => {
        const next = probes[k + 1];
        if (next === undefined || next.ok !== q.ok) {
          runs.push(`${((probes[from]?.sent ?? t0) - t0).toFixed(0)}-${(q.sent - t0).toFixed(0)} ${q.ok === true ? 'reached' : 'blocked'}`);
          from = k + 1;
        }
      });
      return { ms: settled, runs: runs.join(', ') };
    };
    const writes: number[] = [];
    const kinds: Record<string, number[]> = { 'policy create (blocks)': [], 'policy delete (allows)': [], 'label add (blocks)': [], 'label remove (allows)': [] };
    const order: { kind: string; ms: number; runs: string }[] = [];
    const add = (k: string, r: { ms: number; runs: string }): void => {
      kinds[k]?.push(r.ms);
      order.push({ kind: k, ...r });
    };
    for (let e = 0; e < EVENTS; e += 4) {
      add('policy create (blocks)', await measure(false, () => api.create('NetworkPolicy', { metadata: { name: 'deny', namespace: NS }, spec: { podSelector: { matchLabels: { app: 'server' } }, policyTypes: ['Ingress'] } })));
      add('policy delete (allows)', await measure(true, () => api.delete('NetworkPolicy', NS, 'deny')));
      add('label add (blocks)', await measure(false, () => api.patch('Pod', NS, 'server', { metadata: { labels: { isolated: 'yes' } } })));
      add('label remove (allows)', await measure(true, () => api.patch('Pod', NS, 'server', { metadata: { labels: { isolated: null } } })));
    }
    const all = Object.values(kinds).flat();
    process.stdout.write(`event-to-enforcement latency (API write -> start of the first probe with the new verdict, probes every ${PERIOD_MS} ms, client node1 -> server node2 TCP 80):\n`);
    process.stdout.write(`  ${'all'.padEnd(24)} ${fmt(all)}\n`);
    for (const [k, xs] of Object.entries(kinds)) process.stdout.write(`  ${k.padEnd(24)} ${fmt(xs)}\n`);
    // The agent's share, from node2's podnetd log: wall clock of the write -> the first "firewall: applied" logged after it.
    const applied = readFileSync(join(stateRoot, name, 'nodes', 'node2', 'podnetd.log'), 'utf8')
      .split('\n')
      .flatMap((l) => {
        try {
          const o = JSON.parse(l) as { time?: string; msg?: string; controller?: string };
          return (o.msg === 'firewall: applied' || (o.controller === 'firewall' && o.msg !== undefined)) && o.time !== undefined ? [{ t: Date.parse(o.time), line: l }] : [];
        } catch {
          return [];
        }
      });
    const agent = writes.flatMap((w) => {
      const a = applied.find((x) => x.t >= w && x.line.includes('"firewall: applied"'));
      return a === undefined ? [] : [a.t - w];
    });
    process.stdout.write(`  ${'agent: write -> applied'.padEnd(24)} ${fmt(agent)}   (node2's podnetd log, ms clock)\n`);
    order.forEach((e, k) => (e.ms > 50 ? process.stdout.write(`  slow event #${k} (${e.kind}): ${e.ms.toFixed(0)} ms; the agent logged its apply ${agent[k] ?? '?'} ms after the write; probes by start (ms after the write): ${e.runs}\n`) : undefined));
    // what the firewall logged around the slow events
    order.forEach((e, k) => {
      const w = writes[k];
      if (e.ms <= 50 || w === undefined) return;
      for (const x of applied.filter((y) => y.t >= w - 100 && y.t <= w + 1_500)) process.stdout.write(`    +${x.t - w} ms ${x.line.slice(0, 400)}\n`);
    });
  } finally {
    prober?.stop();
    await labDown(stateRoot, name).catch(() => undefined);
    await sweepPrefix(`pl-${name}-`);
  }
}

await main();
