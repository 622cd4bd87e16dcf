// The convergence poller of one benchmark run: with the receiver up and its
// session still down, read a baseline, let the injector enable the session,
// then time (1) Established as the receiver reports it (RFC 4271 §8.2.2) and
// (2) the first reading where the receiver's accepted-prefix count reaches K.
// Afterwards the receiver's peak RSS (VmHWM) and CPU time come from /proc.
//
// Timing: phase 1 probes every `estMs`; t0 is the midpoint between the last
// "not yet" reply and the send of the probe that saw Established (± half that
// window). Phase 2 probes predictively: the next probe comes after half the
// predicted remaining time (from the last interval's rate), clamped to
// [minMs, max(minMs, 5 % of the time since t0)], so the resolution stays near
// 5 %; a probe that walks the RIB ('linear' cost) waits at least `adapt` times
// its estimated cost (the fastest observed cost per prefix times the current
// count: a busy receiver answers late, and that queueing is not the probe's
// cost), keeping the observer's share of the receiver's CPU near 1/adapt. rib_s is the reply time of the first probe that saw K (an
// upper bound); the event lies in [previous probe sent, that reply]
// (rib_window_s); rib_interp_s interpolates the count linearly between the
// two probes' midpoints.
import { readdirSync, readFileSync } from 'node:fs';
import type { RunningReceiver } from './receivers/types.ts';

export interface MeasureOptions {
  readonly k: number;
  readonly timeoutMs: number;
  readonly probeCost: 'constant' | 'linear';
  readonly estMs?: number;
  readonly minMs?: number;
  readonly adapt?: number;
  /** Brings the session up (the injector enables its side). */
  readonly enable: () => Promise<void>;
}

export interface Measurement {
  /** Established -> K prefixes accepted, seconds (upper bound). */
  readonly rib_s: number;
  readonly rib_window_s: number;
  readonly rib_interp_s: number;
  /** Half-width of the Established window, seconds. */
  readonly est_res_s: number;
  /** enable -> Established, seconds (session setup; not part of the result). */
  readonly setup_s: number;
  readonly polls: number;
  readonly peak_rss_kb: number;
  /** The receiver's user+system CPU time from enable to K (start-up excluded). */
  readonly cpu_s: number;
  /** Time its threads waited for a CPU from enable to K (machine load). */
  readonly runq_wait_s: number;
  /** Its CPU time since it started. */
  readonly cpu_total_s: number;
  /** VmRSS when the session was enabled (the idle daemon). */
  readonly start_rss_kb: number;
}

export interface ProcStats {
  readonly hwmKb: number;
  readonly rssKb: number;
  readonly cpuS: number;
}

const ticks = 100; // USER_HZ on Linux

/** VmHWM and user+system CPU of a process, or null if it is gone. */
export function procStats(pid: number): ProcStats | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { hwmKb: hwm, rssKb: rss, cpuS: (Number(f[11]) + Number(f[12])) / ticks };
  } catch {
    return null;
  }
}

/**
 * Seconds the process's threads spent runnable but waiting for a CPU (the
 * second field of /proc/PID/task/TID/schedstat, summed): how much machine
 * load, not the receiver's own work, stretched its wall time.
 */
export function runQueueWaitS(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const f = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
      ns += Number(f[1] ?? 0);
    }
    return ns / 1e9;
  } catch {
    return NaN;
  }
}

const now = (): number => performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function measure(rcv: RunningReceiver, opts: MeasureOptions): Promise<Measurement> {
  const { k } = opts;
  const estMs = opts.estMs ?? 10;
  const minMs = opts.minMs ?? 10;
  const adapt = opts.adapt ?? 10;
  const begin = now();
  const deadline = begin + opts.timeoutMs;
  const check = (what: string): void => {
    if (!rcv.running) throw new Error(`receiver exited while waiting for ${what}:\n${rcv.log().slice(-2000)}`);
    if (now() > deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}`);
  };

  const pre = await rcv.probe();
  if (pre.established || pre.count > 0) throw new Error(`session already up before measuring (${pre.state}, ${pre.count} prefixes)`);

  // Phase 1: Established.
  const idle = procStats(rcv.pid);
  const startRssKb = idle?.rssKb ?? NaN;
  const startCpuS = idle?.cpuS ?? NaN;
  const startWaitS = runQueueWaitS(rcv.pid);
  const tEnable = now();
  await opts.enable();
  let lastNo = now();
  let t0 = 0;
  let estRes = 0;
  let polls = 0;
  let first: { sent: number; reply: number; count: number } | undefined;
  for (;;) {
    check('Established');
    const sent = now();
    const p = await rcv.probe();
    const reply = now();
    polls++;
    if (p.established) {
      t0 = (lastNo + sent) / 2;
      estRes = (sent - lastNo) / 2;
      first = { sent, reply, count: p.count };
      break;
    }
    lastNo = reply;
    await sleep(estMs);
  }

  // Phase 2: all K prefixes accepted.
  let prev = first;
  // Fastest observed probe cost per prefix (counts below 1000 count as 1000).
  let perItem = (first.reply - first.sent) / Math.max(first.count, 1000);
  while (prev.count < k) {
    const elapsed = now() - t0;
    const rate = prev.count / Math.max(1, prev.reply - t0); // prefixes per ms so far
    const predicted = rate > 0 ? (k - prev.count) / rate : minMs;
    let wait = Math.min(predicted / 2, Math.max(minMs, 0.05 * elapsed));
    wait = Math.max(minMs, wait);
    if (opts.probeCost === 'linear') wait = Math.max(wait, adapt * perItem * Math.max(prev.count, 1000));
    await sleep(wait);
    check(`${k} prefixes (have ${prev.count})`);
    const sent = now();
    const p = await rcv.probe();
    const reply = now();
    polls++;
    perItem = Math.min(perItem, (reply - sent) / Math.max(p.count, 1000));
    if (!p.established) throw new Error(`session dropped (${p.state}) at ${p.count}/${k} prefixes:\n${rcv.log().slice(-2000)}`);
    const cur = { sent, reply, count: p.count };
    if (cur.count >= k) {
      const m0 = (prev.sent + prev.reply) / 2;
      const m1 = (sent + reply) / 2;
      const frac = cur.count === prev.count ? 1 : (k - prev.count) / (cur.count - prev.count);
      const interp = m0 + frac * (m1 - m0);
      const st = procStats(rcv.pid);
      const waitS = runQueueWaitS(rcv.pid) - startWaitS;
      return {
        rib_s: (reply - t0) / 1000,
        rib_window_s: (reply - prev.sent) / 1000,
        rib_interp_s: Math.max(0, interp - t0) / 1000,
        est_res_s: estRes / 1000,
        setup_s: (t0 - tEnable) / 1000,
        polls,
        peak_rss_kb: st?.hwmKb ?? NaN,
        cpu_s: (st?.cpuS ?? NaN) - startCpuS,
        cpu_total_s: st?.cpuS ?? NaN,
    runq_wait_s: waitS,
        start_rss_kb: startRssKb,
      };
    }
    prev = cur;
  }
  // K reached by the very probe that saw Established (tiny K).
  const st = procStats(rcv.pid);
  const waitS = runQueueWaitS(rcv.pid) - startWaitS;
  return {
    rib_s: (first.reply - t0) / 1000,
    rib_window_s: (first.reply - lastNo) / 1000,
    rib_interp_s: (first.reply - t0) / 1000,
    est_res_s: estRes / 1000,
    setup_s: (t0 - tEnable) / 1000,
    polls,
    peak_rss_kb: st?.hwmKb ?? NaN,
    cpu_s: (st?.cpuS ?? NaN) - startCpuS,
    cpu_total_s: st?.cpuS ?? NaN,
    runq_wait_s: waitS,
    start_rss_kb: startRssKb,
  };
}
