// BGP convergence benchmark (issue 3), run by hand:
//   npm run bench:bgp -- [--prefixes 100000[,1000000]] [--runs 3]
//                        [--receivers bird,gobgp,podnet] [--out results.json]
//                        [--timeout 600] [--keep]
// A BIRD injector in one namespace originates K IPv4 /32s over one eBGP
// session per receiver kind; each receiver kind lives in a namespace of its
// own. Receivers run ONE at a time (start, measure, stop), interleaved run by
// run so that load drift hits all kinds alike, and each run starts a fresh
// receiver process. Measured per run: Established (as the receiver reports
// it) -> all K prefixes accepted in the receiver's RIB, and its peak RSS.
// Printed: medians per (K, receiver), podnet/gobgpd and podnet/BIRD ratios,
// the targets. Everything (namespaces, processes) is removed at the
// end, on failure and on Ctrl-C. RFC 4271 (eBGP), RFC 4724 (End-of-RIB).
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Lab } from '../../test/helpers/netns.ts';
import type { Netns } from '../../test/helpers/netns.ts';
import { BirdInjector, ipv4Int } from './injector.ts';
import { measure } from './measure.ts';
import { renderK, renderRun, summarize } from './report.ts';
import type { RunRecord } from './report.ts';
import { RECEIVERS } from './receivers/index.ts';
import type { ReceiverKind, ReceiverName } from './receivers/types.ts';

const INJECTOR_ASN = 65001;
const RECEIVER_ASN = 65002;
/** /32s come from 10.96.0.0/12 (the service range: kube-router advertises service /32s): room for 1,048,576. */
const PREFIX_BASE = ipv4Int('10.96.0.0');
const MAX_K = 1 << 20;

interface Options {
  readonly ks: readonly number[];
  readonly runs: number;
  readonly kinds: readonly ReceiverKind[];
  readonly out: string | undefined;
  readonly timeoutS: number;
  readonly keep: boolean;
}

function usage(msg: string): never {
  process.stderr.write(`${msg}\nusage: npm run bench:bgp -- [--prefixes 100000[,1000000]] [--runs 3] [--receivers bird,gobgp,podnet] [--out FILE] [--timeout S] [--keep]\n`);
  process.exit(2);
}

function options(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      prefixes: { type: 'string', multiple: true },
      runs: { type: 'string', default: '3' },
      receivers: { type: 'string', default: 'bird,gobgp,podnet' },
      out: { type: 'string' },
      timeout: { type: 'string', default: '600' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) usage('BGP convergence benchmark: BIRD injector -> BIRD, gobgpd, podnet receivers');
  const ks = (values.prefixes ?? ['100000']).flatMap((s) => s.split(',')).map((s) => Number(s.replace(/_/g, '')));
  if (ks.some((k) => !Number.isInteger(k) || k < 1 || k > MAX_K)) usage(`--prefixes: integers in 1..${MAX_K}`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) usage('--runs: a positive integer');
  const timeoutS = Number(values.timeout);
  if (!(timeoutS > 0)) usage('--timeout: seconds');
  const kinds: ReceiverKind[] = [];
  for (const n of values.receivers.split(',')) {
    const kind = RECEIVERS.find((r) => r.name === n);
    if (kind === undefined) usage(`--receivers: unknown receiver ${n} (known: ${RECEIVERS.map((r) => r.name).join(', ')})`);
    const why = kind.unavailable();
    if (why !== null) process.stderr.write(`skipping receiver ${n}: ${why}\n`);
    else kinds.push(kind);
  }
  if (kinds.length === 0) usage('no receiver available');
  return { ks, runs, kinds, out: values.out, timeoutS, keep: values.keep };
}

interface Site {
  readonly kind: ReceiverKind;
  readonly ns: Netns;
  readonly address: string;
  readonly injectorAddress: string;
  readonly protocol: string;
}

/** One namespace per receiver kind, each on its own /30 veth to the injector namespace. */
async function buildLab(lab: Lab, kinds: readonly ReceiverKind[]): Promise<{ inj: Netns; sites: Site[] }> {
  const inj = await lab.addNamespace('inj');
  const sites: Site[] = [];
  for (const [i, kind] of kinds.entries()) {
    const ns = await lab.addNamespace(`r-${kind.name}`);
    const injectorAddress = `198.18.0.${4 * i + 1}`;
    const address = `198.18.0.${4 * i + 2}`;
    await lab.veth({ ns: inj, ifname: `to-${kind.name}`, addresses: [`${injectorAddress}/30`] }, { ns, ifname: 'eth0', addresses: [`${address}/30`] });
    sites.push({ kind, ns, address, injectorAddress, protocol: `p_${kind.name}` });
  }
  return { inj, sites };
}

async function runOne(lab: Lab, injector: BirdInjector, site: Site, k: number, run: number, version: string, timeoutS: number): Promise<RunRecord> {
  const load1 = loadavg()[0] ?? 0;
  const dir = join(lab.dir, `k${k}-run${run}-${site.kind.name}`);
  mkdirSync(dir, { recursive: true });
  const base = { k, run, receiver: site.kind.name, version, load1 };
  let rcv: Awaited<ReturnType<ReceiverKind['start']>> | undefined;
  let enabled = false;
  try {
    rcv = await site.kind.start({ ns: site.ns, dir, address: site.address, asn: RECEIVER_ASN, peerAddress: site.injectorAddress, peerAsn: INJECTOR_ASN });
    const m = await measure(rcv, {
      k,
      timeoutMs: timeoutS * 1000,
      probeCost: site.kind.probeCost,
      enable: async () => {
        enabled = true;
        await injector.enable(site.protocol);
      },
    });
    return { ...base, ...m };
  } catch (e: unknown) {
    return { ...base, error: e instanceof Error ? e.message : String(e) };
  } finally {
    if (enabled) await injector.disable(site.protocol).catch(() => undefined);
    await rcv?.stop();
  }
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const lab = await Lab.create();
  const abort = { stopping: false };
  const onSignal = (sig: NodeJS.Signals): void => {
    if (abort.stopping) return;
    abort.stopping = true;
    process.stderr.write(`\n${sig}: cleaning up ${lab.prefix}* ...\n`);
    void lab.teardown({ keepDir: opts.keep }).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const records: RunRecord[] = [];
  const loads: Record<number, string> = {};
  const started = new Date().toISOString();
  try {
    const versions = new Map<ReceiverName, string>();
    for (const kind of opts.kinds) versions.set(kind.name, await kind.version());
    const { inj, sites } = await buildLab(lab, opts.kinds);
    process.stderr.write(`lab ${lab.prefix}* in ${lab.dir}; receivers: ${opts.kinds.map((k) => k.name).join(', ')}\n`);
    for (const k of opts.ks) {
      const dir = join(lab.dir, `injector-k${k}`);
      mkdirSync(dir, { recursive: true });
      const t = performance.now();
      const injector = await BirdInjector.start({
        ns: inj,
        dir,
        routerId: '198.18.0.1',
        asn: INJECTOR_ASN,
        k,
        base: PREFIX_BASE,
        peers: sites.map((s) => ({ protocol: s.protocol, localAddress: s.injectorAddress, address: s.address, asn: RECEIVER_ASN })),
      });
      try {
        await injector.waitReady(opts.timeoutS * 1000);
        process.stderr.write(`k=${k}: injector loaded in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
        const l0 = loadavg().map((x) => x.toFixed(2)).join(' ');
        for (let run = 1; run <= opts.runs && !abort.stopping; run++) {
          for (const site of sites) {
            if (abort.stopping) break;
            const r = await runOne(lab, injector, site, k, run, versions.get(site.kind.name) ?? '', opts.timeoutS);
            records.push(r);
            process.stderr.write(`${renderRun(r)}\n`);
          }
        }
        loads[k] = `load average ${l0} at start, ${loadavg().map((x) => x.toFixed(2)).join(' ')} at end (${navigatorCpus()} CPUs)`;
      } finally {
        await injector.stop();
      }
    }
  } finally {
    if (!abort.stopping) await lab.teardown({ keepDir: opts.keep });
  }
  const summary = summarize(records);
  console.log(abort.stopping ? '\ninterrupted: partial results (the run cut short by the signal is a failure)' : '');
  for (const s of summary) console.log(`${renderK(s, loads[s.k] ?? '')}\n`);
  if (opts.out !== undefined) {
    writeFileSync(opts.out, `${JSON.stringify({ started, finished: new Date().toISOString(), runs: opts.runs, loads, summary, records }, null, 2)}\n`);
    console.log(`results written to ${opts.out}`);
  }
  if (records.some((r) => r.error !== undefined)) process.exitCode = 1;
}

function navigatorCpus(): number {
  return navigator.hardwareConcurrency;
}

await main();
