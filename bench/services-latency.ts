// Per-connection latency through a Service (issue 7): must not grow with the
// number of services (verdict maps: one lookup, whatever their size). In
// namespaces: client -- node (podnet's nftables service ruleset) -- pod (a TCP
// echo server). The node is loaded with 10 and then with 10,000 ClusterIP
// services (5 endpoints each; only the measured service's endpoint is real),
// and the client opens K connections one after another (connect, one
// request, the answer, close) to the ClusterIP; beside it the same to the pod
// IP directly (no service: the floor). Prints p50 / p90 / p99 per case and the
// ratio 10,000 / 10. Needs root.
// Usage: node bench/services-latency.ts [--connections 1000] [--large 10000]
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { buildModel } from '../services/model.ts';
import { renderRuleset } from '../services/nft.ts';
import { renderFull } from '../services/nft-batch.ts';
import { nftApply } from '../src/kernel/nft.ts';
import { Lab } from '../test/helpers/netns.ts';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const K = arg('connections', 1000);
const LARGE = arg('large', 10_000);
const M = 5;
const POD = '10.244.200.2';
const VIP = '10.96.0.10';

const ip = (a: number, b: number, i: number): string => `${a}.${b}.${(i >>> 8) & 255}.${i & 255}`;

function input(n: number) {
  const services: V1Service[] = [];
  const slices: V1EndpointSlice[] = [];
  for (let i = 0; i < n; i++) {
    const vip = i === 0 ? VIP : ip(10, 97, i);
    services.push({ metadata: { name: `s${i}`, namespace: 'b' }, spec: { type: 'ClusterIP', clusterIP: vip, clusterIPs: [vip], ports: [{ name: 'p', port: 80, protocol: 'TCP' }] } });
    const endpoints = i === 0 ? [{ addresses: [POD], conditions: { ready: true }, nodeName: 'n' }] : Array.from({ length: M }, (_, j) => ({ addresses: [ip(10, 245, i * M + j)], conditions: { ready: true }, nodeName: 'n' }));
    slices.push({ metadata: { name: `s${i}-1`, namespace: 'b', labels: { 'kubernetes.io/service-name': `s${i}` } }, addressType: 'IPv4', endpoints, ports: [{ name: 'p', port: 8080, protocol: 'TCP' }] });
  }
  return { nodeName: 'n', nodeIps: ['198.18.100.1'], podNetwork: ['10.244.0.0/16', '10.245.0.0/16'], services, endpointSlices: slices };
}

const server = `require('net').createServer((s) => s.on('data', (d) => s.end(d))).listen(8080, '${POD}')`;
const client = `
const net = require('net');
const [host, port, k] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const times = [];
(async () => {
  for (let i = 0; i < k; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise((res, rej) => {
      const s = net.connect(port, host, () => s.write('x'));
      s.once('data', () => { s.end(); });
      s.once('close', res);
      s.once('error', rej);
    });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  process.stdout.write(JSON.stringify(times));
})().catch((e) => { console.error(String(e)); process.exit(1); });
`;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};

async function main(): Promise<void> {
  const lab = await Lab.create();
  try {
    const cl = await lab.addNamespace('cl');
    const node = await lab.addNamespace('node', { forwarding: true });
    const pod = await lab.addNamespace('pod');
    await lab.veth({ ns: cl, ifname: 'eth0', addresses: ['198.18.100.2/24'] }, { ns: node, ifname: 'eth0', addresses: ['198.18.100.1/24'] });
    await lab.veth({ ns: pod, ifname: 'eth0', addresses: [`${POD}/24`] }, { ns: node, ifname: 'pod0', addresses: ['10.244.200.1/24'] });
    await cl.ip(['route', 'add', 'default', 'via', '198.18.100.1']);
    await pod.ip(['route', 'add', 'default', 'via', '10.244.200.1']);
    const srv = pod.spawn('echo', process.execPath, ['-e', server]);
    await new Promise((r) => setTimeout(r, 500));
    const measure = async (host: string, port: number): Promise<number[]> => JSON.parse((await cl.exec(process.execPath, ['-e', client, host, String(port), String(K)], { timeoutMs: 600_000 })).stdout) as number[];
    const rows: [string, number[]][] = [];
    for (const n of [10, LARGE]) {
      const text = renderFull(renderRuleset(buildModel(input(n))));
      await nftApply(`${text}`, { netns: node.name, timeoutMs: 600_000 });
      await measure(VIP, 80).then(() => undefined); // warm up (ARP, conntrack, JIT)
      rows.push([`${n} services, via the ClusterIP`, await measure(VIP, 80)]);
      rows.push([`${n} services, pod IP directly`, await measure(POD, 8080)]);
      await nftApply('flush ruleset\n', { netns: node.name });
    }
    console.log(`services-latency: ${K} sequential connections (connect + request + answer + close) per case`);
    for (const [what, t] of rows) console.log(`  ${what.padEnd(36)} p50 ${pct(t, 50).toFixed(3)} ms  p90 ${pct(t, 90).toFixed(3)} ms  p99 ${pct(t, 99).toFixed(3)} ms`);
    const small = rows[0]?.[1] ?? [];
    const large = rows[2]?.[1] ?? [];
    console.log(`  ratio ${LARGE} / 10 services via the ClusterIP: p50 ${(pct(large, 50) / pct(small, 50)).toFixed(2)}  p99 ${(pct(large, 99) / pct(small, 99)).toFixed(2)}`);
    await srv.stop();
  } finally {
    await lab.teardown();
  }
}

await main();
