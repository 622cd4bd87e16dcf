// Benchmark of the network policy controller (issue 6): a cluster of 10,000
// pods in 1,000 namespaces with 2,000 NetworkPolicies, 110 of the pods on this
// node. Prints, side by side in one run inside a network namespace: our cold
// full sync (compile + apply through the kernel writer: ipset restore with
// temp/swap, iptables-restore --noflush per family, local-pods, destroys), a
// periodic full resync (re-planned from iptables-save, every set rewritten),
// one incremental change (a remote pod's label), a no-op incremental sync,
// and a bare `ipset restore` (create + add) plus `iptables-restore --noflush`
// of the same resulting state into the empty namespace. Needs root.
// Usage: node bench/firewall.ts [--pods 10000] [--namespaces 1000] [--policies 2000] [--local 110] [--runs 3]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { V1Namespace, V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import { FirewallApplier } from '../firewall/apply.ts';
import { compileFirewall } from '../firewall/compile.ts';
import type { DesiredFirewall, FirewallInput } from '../firewall/compile.ts';
import { planFirewall } from '../firewall/plan.ts';
import { renderRestore } from '../src/kernel/iptables/render.ts';
import { MAX_ELEMENTS, setEntries } from '../src/kernel/ipset.ts';
import { KernelWriter } from '../src/kernel/writer.ts';
import { Lab } from '../test/helpers/netns.ts';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
}

const PODS = arg('pods', 10_000);
const NAMESPACES = arg('namespaces', 1_000);
const POLICIES = arg('policies', 2_000);
const LOCAL = arg('local', 110);
const RUNS = arg('runs', 3);
if (PODS > 60_000 || LOCAL > 250 || LOCAL > PODS) throw new Error('at most 60,000 pods (10.244.0.0/16) and 250 local pods (one /24)');

/** Pod k: 10.244.0.0/24 holds the local pods (node-a), the rest count on from 10.244.1.0. */
function podIp(k: number): string {
  const n = k < LOCAL ? k + 1 : 256 + (k - LOCAL);
  return `10.244.${n >> 8}.${n & 255}`;
}

function cluster(relabel: boolean): FirewallInput {
  const namespaces: V1Namespace[] = [];
  for (let i = 0; i < NAMESPACES; i++) {
    namespaces.push({ metadata: { name: `ns${i}`, labels: { 'kubernetes.io/metadata.name': `ns${i}`, team: `t${i % 50}`, env: i % 2 === 0 ? 'prod' : 'dev' } } });
  }
  const pods: V1Pod[] = [];
  for (let k = 0; k < PODS; k++) {
    // Local pods are spread over the namespaces, like a scheduler would place them.
    const i = k < LOCAL ? (k * 7) % NAMESPACES : k % NAMESPACES;
    // The change: a remote pod in ns0 (where local pods and their policies are) flips its role.
    const flip = relabel && k === Math.max(NAMESPACES, LOCAL + NAMESPACES - (LOCAL % NAMESPACES));
    const role = (k % 2 === 0) !== flip ? 'frontend' : 'backend';
    pods.push({
      metadata: { name: `p${k}`, namespace: `ns${i}`, labels: { app: `a${k % 5}`, role } },
      spec: { nodeName: k < LOCAL ? 'node-a' : `node-${k % 90}`, containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
      status: { phase: 'Running', podIP: podIp(k), podIPs: [{ ip: podIp(k) }] },
    });
  }
  const policies: V1NetworkPolicy[] = [];
  for (let p = 0; p < POLICIES; p++) {
    const ns = `ns${p % NAMESPACES}`;
    const spec =
      p % 2 === 0
        ? {
            podSelector: { matchLabels: { app: `a${p % 5}` } },
            ingress: [
              {
                from: [{ podSelector: { matchLabels: { role: 'frontend' } } }, { namespaceSelector: { matchLabels: { team: `t${p % 50}` } }, podSelector: { matchLabels: { app: 'a1' } } }],
                ports: [{ port: 'http' }, { port: 443 }],
              },
            ],
          }
        : {
            podSelector: { matchLabels: { role: 'backend' } },
            policyTypes: ['Egress'],
            egress: [
              { to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.96.0.0/12'] } }, { namespaceSelector: { matchLabels: { env: 'prod' } } }], ports: [{ protocol: 'UDP', port: 53 }] },
            ],
          };
    policies.push({ metadata: { name: `pol${p}`, namespace: ns }, spec } as V1NetworkPolicy);
  }
  return { nodeName: 'node-a', podCidrs: ['10.244.0.0/24'], pods, namespaces, policies, options: { defaultDeny: true } };
}

function ms(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** The same state, the plainest way: `create` + `add` per set, one restore per family. */
async function bare(writer: KernelWriter, d: DesiredFirewall): Promise<number> {
  const lines: string[] = [];
  for (const f of d.families) {
    for (const [name, e] of f.sets) {
      lines.push(`create ${name} ${e.set.type} family ${e.set.family} hashsize 1024 maxelem ${MAX_ELEMENTS}`);
      for (const entry of setEntries(e.set)) lines.push(`add ${name} ${entry}`);
    }
  }
  const text = `${lines.join('\n')}\n`;
  const batches = planFirewall(d, undefined).iptables.map((b) => ({ family: b.family, text: renderRestore(b) }));
  const t0 = process.hrtime.bigint();
  await writer.exclusive(async (tx) => {
    await tx.ipsetRestore(text);
    for (const b of batches) await tx.iptablesRestore(b.family, b.text);
  });
  return ms(t0);
}

async function child(): Promise<void> {
  const writer = new KernelWriter();
  const flavour = await writer.flavour();
  const base = cluster(false);
  const changed = cluster(true);
  // Apply times exclude compile (a pure function of the caches, timed on its own).
  const rows: Record<string, number[]> = { compile: [], bare: [], cold: [], resync: [], incremental: [], noop: [] };
  let desired = compileFirewall(base);
  for (let run = 0; run < RUNS; run++) {
    let t0 = process.hrtime.bigint();
    desired = compileFirewall(base);
    rows['compile']?.push(ms(t0));
    const next = compileFirewall(changed);
    const applier = new FirewallApplier(writer);
    rows['bare']?.push(await bare(writer, desired));
    await applier.cleanup();
    t0 = process.hrtime.bigint();
    await applier.apply(desired, 'full');
    rows['cold']?.push(ms(t0));
    t0 = process.hrtime.bigint();
    await applier.apply(desired, 'full');
    rows['resync']?.push(ms(t0));
    t0 = process.hrtime.bigint();
    const r = await applier.apply(next, 'incremental');
    rows['incremental']?.push(ms(t0));
    if (run === 0) console.log(`incremental change: ${r.changes} change(s): sets ${r.setsChanged.join(' ')}; chains ${r.iptables.map((b) => `${b.family} +${b.written.length}`).join(' ') || 'none'}`);
    t0 = process.hrtime.bigint();
    await applier.apply(next, 'incremental');
    rows['noop']?.push(ms(t0));
    await applier.cleanup();
  }
  const chains = desired.families.reduce((n, f) => n + f.chains.size, 0);
  const sets = desired.families.flatMap((f) => [...f.sets.values()]);
  const members = sets.reduce((n, s) => n + s.set.entries.length, 0);
  console.log(`cluster: ${PODS} pods, ${NAMESPACES} namespaces, ${POLICIES} policies, ${LOCAL} local pods; iptables ${flavour.flavour} (${flavour.why})`);
  console.log(`this node: ${chains} chains, ${sets.length} ipsets, ${members} set members; ${RUNS} run(s), medians:`);
  const bareMs = median(rows['bare'] ?? []);
  for (const [k, v] of Object.entries(rows)) {
    const m = median(v);
    const r = m / bareMs;
    const ratio = k === 'bare' || k === 'compile' ? '' : `  (${r.toFixed(r < 0.1 ? 4 : 2)}x bare)`;
    console.log(`  ${k.padEnd(12)} ${m.toFixed(1).padStart(9)} ms${ratio}`);
  }
}

async function parent(): Promise<void> {
  const lab = await Lab.create();
  const stop = (): void => {
    void lab.teardown().then(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  try {
    const ns = await lab.addNamespace('fwbench');
    const self = fileURLToPath(import.meta.url);
    const code = await new Promise<number | null>((resolve) => {
      const c = spawn('ip', ['netns', 'exec', ns.name, process.execPath, self, '--child', ...process.argv.slice(2)], { stdio: 'inherit' });
      c.on('exit', (x) => resolve(x));
    });
    if (code !== 0) process.exitCode = 1;
  } finally {
    await lab.teardown();
  }
}

if (process.argv.includes('--child')) await child();
else await parent();
