// Benchmark of the nftables service proxy (issue 7): N ClusterIP services x M
// endpoints. Prints, side by side, our full path (model + render + `nft -f`)
// against a bare `nft -f` of the same text into an empty namespace, and the
// incremental path for one endpoint removed and one service added (model +
// render + delta + `nft -f` of the delta). Needs root; runs in namespaces of
// the test harness (per-run prefix, deleted at the end).
// Usage: node bench/services-nft.ts [--services 10000] [--endpoints 5] [--runs 1]
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { buildModel } from '../services/model.ts';
import type { ModelInput } from '../services/model.ts';
import { renderRuleset } from '../services/nft.ts';
import { renderDelta, renderFull } from '../services/nft-batch.ts';
import { nftApply } from '../src/kernel/nft.ts';
import { Lab } from '../test/helpers/netns.ts';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
}

const N = arg('services', 10_000);
const M = arg('endpoints', 5);
const RUNS = arg('runs', 1);
if (N > 1_000_000 || N * M > 65_000) throw new Error('at most 65,000 endpoints (10.244.0.0/16) and 1M services');

const v4 = (base: number, i: number): string => `${(base >>> 24) & 255}.${(base >>> 16) & 255}.${((base >>> 8) + (i >>> 8)) & 255}.${i & 255}`;
const SVC_BASE = (10 << 24) | (96 << 16);
const POD_BASE = (10 << 24) | (244 << 16);

function svc(i: number): V1Service {
  return { metadata: { name: `s${i}`, namespace: 'bench' }, spec: { type: 'ClusterIP', clusterIP: v4(SVC_BASE, i), clusterIPs: [v4(SVC_BASE, i)], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } };
}

function slice(i: number, m: number): V1EndpointSlice {
  const endpoints = [];
  for (let j = 0; j < m; j++) endpoints.push({ addresses: [v4(POD_BASE, i * M + j)], conditions: { ready: true }, nodeName: j % 2 === 0 ? 'node-a' : 'node-b' });
  return {
    metadata: { name: `s${i}-1`, namespace: 'bench', labels: { 'kubernetes.io/service-name': `s${i}` } },
    addressType: 'IPv4',
    endpoints,
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

function input(n: number, removeOne: boolean): ModelInput {
  const services: V1Service[] = [];
  const slices: V1EndpointSlice[] = [];
  for (let i = 0; i < n; i++) {
    services.push(svc(i));
    slices.push(slice(i, removeOne && i === 0 ? M - 1 : M));
  }
  return { nodeName: 'node-a', nodeIps: ['198.18.0.1'], podNetwork: ['10.244.0.0/16'], services, endpointSlices: slices };
}

async function timed<T>(f: () => T | Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await f();
  return [v, performance.now() - t0];
}

const ms = (x: number): string => `${x.toFixed(0).padStart(7)} ms`;

async function main(): Promise<void> {
  const lab = await Lab.create();
  const stop = (): void => {
    void lab.teardown().then(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  try {
    console.log(`services-nft: ${N} ClusterIP services x ${M} endpoints, ${RUNS} run(s)`);
    for (let run = 1; run <= RUNS; run++) {
      const ours = await lab.addNamespace(`o${run}`);
      const bare = await lab.addNamespace(`b${run}`);
      const base = input(N, false);
      const [model, tModel] = await timed(() => buildModel(base));
      const [rs, tRender] = await timed(() => renderRuleset(model));
      const [text, tText] = await timed(() => renderFull(rs));
      const [, tLoad] = await timed(() => nftApply(text, { netns: ours.name, timeoutMs: 600_000 }));
      const [, tBare] = await timed(() => nftApply(text, { netns: bare.name, timeoutMs: 600_000 }));
      const oursTotal = tModel + tRender + tText + tLoad;
      console.log(`run ${run}: full load`);
      console.log(`  model ${ms(tModel)}  render ${ms(tRender)}  text ${ms(tText)} (${(text.length / 1e6).toFixed(1)} MB, ${rs.chains.size} chains)  nft -f ${ms(tLoad)}`);
      console.log(`  ours total ${ms(oursTotal)}   bare nft -f ${ms(tBare)}   ratio ${(oursTotal / tBare).toFixed(2)}`);
      for (const [what, next] of [['one endpoint removed', input(N, true)], ['one service added', input(N + 1, false)]] as const) {
        const [m2, tM] = await timed(() => buildModel(next));
        const [rs2, tR] = await timed(() => renderRuleset(m2));
        const [d, tD] = await timed(() => renderDelta(rs, rs2));
        if (d === null) throw new Error('delta needs a full load');
        const [, tA] = await timed(() => nftApply(d.text, { netns: ours.name }));
        console.log(`  ${what}: model ${ms(tM)}  render ${ms(tR)}  delta ${ms(tD)} (${d.text.length} bytes)  nft -f ${ms(tA)}  total ${ms(tM + tR + tD + tA)}  vs full ${ms(oursTotal)}`);
        // back to the base state for the next case
        const back = renderDelta(rs2, rs);
        if (back !== null) await nftApply(back.text, { netns: ours.name });
      }
    }
  } finally {
    await lab.teardown();
  }
}

await main();
