// Results of the BGP convergence benchmark: per-run records, medians per
// (K, receiver), the podnet/gobgpd and podnet/BIRD ratios, the issue-3
// targets (at 1M prefixes: >= 4x faster than gobgpd, within 3x of BIRD, peak
// RSS under half of gobgpd's) and the printed table. Pure functions of the
// records; no I/O. No RFCs.
import type { Measurement } from './measure.ts';
import type { ReceiverName } from './receivers/types.ts';

export interface RunRecord extends Partial<Measurement> {
  readonly k: number;
  readonly run: number;
  readonly receiver: ReceiverName;
  readonly version: string;
  /** 1-minute load average when the run started. */
  readonly load1: number;
  readonly error?: string;
}

export interface ReceiverSummary {
  readonly receiver: ReceiverName;
  readonly version: string;
  readonly runs: number;
  readonly ok: number;
  readonly rib_s: number | null;
  readonly rib_interp_s: number | null;
  readonly rib_all_s: readonly number[];
  readonly peak_rss_mb: number | null;
  /** Median RSS of the idle daemon before the session came up. */
  readonly start_rss_mb: number | null;
  readonly cpu_s: number | null;
  /** Median time its threads waited for a CPU (machine load). */
  readonly runq_wait_s: number | null;
}

export interface Ratios {
  /** podnet time / other time (below 1: podnet faster). */
  readonly time: number | null;
  /** podnet peak RSS / other peak RSS. */
  readonly rss: number | null;
  /** podnet CPU time / other CPU time, enable -> K (less sensitive to machine load than wall time). */
  readonly cpu: number | null;
}

export interface Targets {
  readonly fasterThanGobgp4x: boolean | null;
  readonly within3xOfBird: boolean | null;
  readonly rssUnderHalfGobgp: boolean | null;
}

export interface KSummary {
  readonly k: number;
  readonly receivers: readonly ReceiverSummary[];
  readonly podnetVsGobgp: Ratios;
  readonly podnetVsBird: Ratios;
  readonly targets: Targets;
}

export function median(xs: readonly number[]): number | null {
  const v = xs.filter((x) => Number.isFinite(x)).toSorted((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
}

const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;

export function summarize(records: readonly RunRecord[]): KSummary[] {
  const ks = [...new Set(records.map((r) => r.k))].sort((a, b) => a - b);
  return ks.map((k) => {
    const names = [...new Set(records.filter((r) => r.k === k).map((r) => r.receiver))];
    const receivers = names.map((name): ReceiverSummary => {
      const rs = records.filter((r) => r.k === k && r.receiver === name);
      const ok = rs.filter((r) => r.error === undefined && r.rib_s !== undefined);
      const rssMb = median(ok.map((r) => (r.peak_rss_kb ?? NaN) / 1024));
      return {
        receiver: name,
        version: rs[0]?.version ?? '',
        runs: rs.length,
        ok: ok.length,
        rib_s: median(ok.map((r) => r.rib_s ?? NaN)),
        rib_interp_s: median(ok.map((r) => r.rib_interp_s ?? NaN)),
        rib_all_s: ok.map((r) => r.rib_s ?? NaN),
        peak_rss_mb: rssMb,
        start_rss_mb: median(ok.map((r) => (r.start_rss_kb ?? NaN) / 1024)),
        cpu_s: median(ok.map((r) => r.cpu_s ?? NaN)),
        runq_wait_s: median(ok.map((r) => r.runq_wait_s ?? NaN)),
      };
    });
    const get = (n: ReceiverName): ReceiverSummary | undefined => receivers.find((r) => r.receiver === n);
    const p = get('podnet');
    const g = get('gobgp');
    const b = get('bird');
    const podnetVsGobgp = { time: ratio(p?.rib_s, g?.rib_s), rss: ratio(p?.peak_rss_mb, g?.peak_rss_mb), cpu: ratio(p?.cpu_s, g?.cpu_s) };
    const podnetVsBird = { time: ratio(p?.rib_s, b?.rib_s), rss: ratio(p?.peak_rss_mb, b?.peak_rss_mb), cpu: ratio(p?.cpu_s, b?.cpu_s) };
    const targets: Targets = {
      fasterThanGobgp4x: podnetVsGobgp.time === null ? null : podnetVsGobgp.time <= 0.25,
      within3xOfBird: podnetVsBird.time === null ? null : podnetVsBird.time <= 3,
      rssUnderHalfGobgp: podnetVsGobgp.rss === null ? null : podnetVsGobgp.rss < 0.5,
    };
    return { k, receivers, podnetVsGobgp, podnetVsBird, targets };
  });
}

const f = (x: number | null, d = 3): string => (x === null ? '-' : x.toFixed(d));
const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);
const LABELS: Record<ReceiverName, string> = { bird: 'BIRD', gobgp: 'gobgpd', podnet: 'podnet' };

function verdict(v: boolean | null): string {
  return v === null ? 'n/a (receiver missing or failed)' : v ? 'MET' : 'NOT MET';
}

/** The human-readable table of one K. */
export function renderK(s: KSummary, load: string): string {
  const l: string[] = [];
  l.push(`K = ${s.k.toLocaleString('en')} IPv4 /32s, BIRD injector, one eBGP session; ${load}`);
  l.push(`  ${pad('receiver', 22)} ${lpad('runs ok', 7)} ${lpad('RIB s (median)', 14)} ${lpad('interp s', 9)} ${lpad('peak RSS MB', 11)} ${lpad('idle RSS MB', 11)} ${lpad('CPU s', 7)} ${lpad('CPU wait s', 10)}  RIB s per run`);
  l.push('  (CPU s: the receiver CPU time from enable to K; CPU wait s: time its threads sat runnable waiting for a CPU)');
  for (const r of s.receivers) {
    const name = `${LABELS[r.receiver]} ${r.version}`;
    l.push(
      `  ${pad(name, 22)} ${lpad(`${r.ok}/${r.runs}`, 7)} ${lpad(f(r.rib_s), 14)} ${lpad(f(r.rib_interp_s), 9)} ${lpad(f(r.peak_rss_mb, 1), 11)} ${lpad(f(r.start_rss_mb, 1), 11)} ${lpad(f(r.cpu_s, 2), 7)} ${lpad(f(r.runq_wait_s, 2), 10)}  ${r.rib_all_s.map((x) => x.toFixed(3)).join(' ')}`,
    );
  }
  const t = (x: number | null): string => (x === null ? '-' : `${x.toFixed(2)}x`);
  const speed = (x: number | null): string => (x === null || x === 0 ? '' : ` (podnet ${(1 / x).toFixed(2)}x as fast)`);
  l.push(`  podnet/gobgpd: time ${t(s.podnetVsGobgp.time)}${speed(s.podnetVsGobgp.time)}, peak RSS ${t(s.podnetVsGobgp.rss)}, CPU ${t(s.podnetVsGobgp.cpu)}`);
  l.push(`  podnet/BIRD:   time ${t(s.podnetVsBird.time)}${speed(s.podnetVsBird.time)}, peak RSS ${t(s.podnetVsBird.rss)}, CPU ${t(s.podnetVsBird.cpu)}`);
  const scope = s.k >= 1_000_000 ? '' : ' (the targets are set at 1M; shown for reference)';
  l.push(`  targets${scope}:`);
  l.push(`    >= 4x faster than gobgpd (time ratio <= 0.25): ${verdict(s.targets.fasterThanGobgp4x)}`);
  l.push(`    within 3x of BIRD (time ratio <= 3):           ${verdict(s.targets.within3xOfBird)}`);
  l.push(`    peak RSS under half of gobgpd's (< 0.5):       ${verdict(s.targets.rssUnderHalfGobgp)}`);
  return l.join('\n');
}

/** One line per finished run, printed as the benchmark goes. */
export function renderRun(r: RunRecord): string {
  const head = `k=${r.k} run=${r.run} ${LABELS[r.receiver]}:`;
  if (r.error !== undefined) return `${head} FAILED: ${r.error.split('\n')[0] ?? ''}`;
  return `${head} rib ${f(r.rib_s ?? null)} s [window ${f(r.rib_window_s ?? null)}, interp ${f(r.rib_interp_s ?? null)}], setup ${f(r.setup_s ?? null, 2)} s, peak RSS ${f((r.peak_rss_kb ?? NaN) / 1024, 1)} MB, CPU ${f(r.cpu_s ?? null, 2)} s, waited for CPU ${f(r.runq_wait_s ?? null, 2)} s, ${r.polls ?? 0} polls, load ${r.load1.toFixed(2)}`;
}
