// Kernel tier: the services table in a real kernel. A node namespace bridges
// three pod namespaces (two servers that answer their name, one client;
// br_netfilter on so bridged replies are un-NATed) and routes to a remote
// client over a veth. The rendered ruleset goes through the real `nft -f`,
// then real TCP and UDP connections check ClusterIP balancing, reject without
// endpoints, NodePort from outside, session affinity, UDP, an endpoint
// removal applied as a delta, who gets masqueraded (the servers report the
// address they see), eTP Local, loadBalancerSourceRanges and hairpin. A scratch namespace checks, for every pair of
// scenarios, that full(prev) + delta(prev, next) lists exactly as full(next).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../../services/model.ts';
import type { ModelInput } from '../../services/model.ts';
import { renderRuleset } from '../../services/nft.ts';
import type { NftRuleset } from '../../services/nft.ts';
import { renderDelta, renderFull } from '../../services/nft-batch.ts';
import { flushStaleUdp, staleUdp } from '../../services/conntrack.ts';
import { nftApply, nftDeleteTable, nftListTable, nftUsable } from '../../src/kernel/nft.ts';
import { Lab, waitFor } from '../helpers/netns.ts';
import type { Netns } from '../helpers/netns.ts';
import { service, slice } from './objects.ts';
import { scenarios } from './scenarios.ts';

const probe = fileURLToPath(new URL('./probe.ts', import.meta.url));

const A = '10.244.1.10';
const B = '10.244.1.11';
const CLIENT = '10.244.1.20';
const NODE_IP = '198.18.0.1';

/** The second act: eTP Local, a LoadBalancer with source ranges, and a hairpin service. */
function policies(opts: { ranges: readonly string[]; hairpin: boolean }): ModelInput {
  const ep = (ip: string): { ip: string; node: string } => ({ ip, node: 'node-a' });
  return {
    nodeName: 'node-a',
    nodeIps: [NODE_IP],
    podNetwork: ['10.244.0.0/16'],
    services: [
      service('local', { type: 'NodePort', clusterIPs: ['10.96.0.20'], ports: [{ port: 80, nodePort: 30081 }], eTP: 'Local' }),
      service('lb', { type: 'LoadBalancer', clusterIPs: ['10.96.0.21'], ports: [{ port: 80, nodePort: 30082 }], lbIngress: [{ ip: '198.19.0.5' }], sourceRanges: [...opts.ranges] }),
      service('self', { clusterIPs: ['10.96.0.22'], ports: [{ port: 80 }], ...(opts.hairpin ? { annotations: { 'kube-router.io/service.hairpin': '' } } : {}) }),
    ],
    endpointSlices: [
      slice('local', 'local-1', [ep(A), { ip: '10.244.2.10', node: 'node-b' }], [{ port: 8080 }]),
      slice('lb', 'lb-1', [ep(A), ep(B)], [{ port: 8080 }]),
      slice('self', 'self-1', [ep(A)], [{ port: 8080 }]),
    ],
    options: { loadBalancerIpRanges: ['198.19.0.0/24'] },
  };
}

function cluster(opts: { webEndpoints: readonly string[]; dnsEndpoints?: readonly string[] }): ModelInput {
  const ep = (ip: string): { ip: string; node: string } => ({ ip, node: 'node-a' });
  return {
    nodeName: 'node-a',
    nodeIps: [NODE_IP],
    podNetwork: ['10.244.0.0/16'],
    services: [
      service('web', { type: 'NodePort', clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80, nodePort: 30080 }] }),
      service('empty', { clusterIPs: ['10.96.0.11'], ports: [{ port: 80 }] }),
      service('sticky', { clusterIPs: ['10.96.0.12'], ports: [{ port: 80 }], affinity: 60 }),
      service('dns', { clusterIPs: ['10.96.0.13'], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
    ],
    endpointSlices: [
      slice('web', 'web-1', opts.webEndpoints.map(ep), [{ name: 'http', port: 8080 }]),
      slice('sticky', 'sticky-1', [ep(A), ep(B)], [{ port: 8080 }]),
      slice('dns', 'dns-1', (opts.dnsEndpoints ?? [A, B]).map(ep), [{ name: 'dns', port: 5353, protocol: 'UDP' }]),
    ],
    options: { serviceClusterIpRanges: ['10.96.0.0/12'] },
  };
}

/** Answers as "name peer-address" (the address the server saw), or refused | timeout | error code. */
async function connectRaw(from: Netns, proto: 'tcp' | 'udp', host: string, port: number, count = 1): Promise<string[]> {
  const r = await from.exec(process.execPath, [probe, 'connect', proto, host, String(port), String(count)], { timeoutMs: 30_000 });
  return r.stdout.trim().split('\n');
}

/** The server names that answered (or refused | timeout | error code). */
async function connect(from: Netns, proto: 'tcp' | 'udp', host: string, port: number, count = 1): Promise<string[]> {
  return (await connectRaw(from, proto, host, port, count)).map((l) => l.split(' ')[0] ?? '');
}

describe('services/nft: the rendered table in a kernel (netns, nft -f)', function () {
  this.timeout(60_000);
  let lab: Lab | undefined;
  let node: Netns;
  let client: Netns;
  let remote: Netns;
  let scratch: Netns;
  let podA: Netns;
  let applied: NftRuleset;

  before(async () => {
    lab = await Lab.create();
    node = await lab.addNamespace('node', { forwarding: true });
    const pa = await lab.addNamespace('pa');
    podA = pa;
    const pb = await lab.addNamespace('pb');
    client = await lab.addNamespace('pc');
    remote = await lab.addNamespace('ext');
    scratch = await lab.addNamespace('nft');
    const usable = await nftUsable({ netns: node.name });
    assert.ok(usable.ok, usable.why);
    await node.ip(['link', 'add', 'br0', 'type', 'bridge']);
    await node.addAddress('br0', '10.244.1.1/24');
    await node.linkUp('br0');
    await node.exec('modprobe', ['br_netfilter'], { allowFail: true });
    await node.sysctl('net.bridge.bridge-nf-call-iptables', '1');
    for (const [ns, ip, ifname] of [[pa, A, 'vpa'], [pb, B, 'vpb'], [client, CLIENT, 'vpc']] as const) {
      await lab.veth({ ns, ifname: 'eth0', addresses: [`${ip}/24`] }, { ns: node, ifname });
      await node.ip(['link', 'set', ifname, 'master', 'br0']);
      await ns.ip(['route', 'add', 'default', 'via', '10.244.1.1']);
    }
    // What the CNI bridge plugin's hairpinMode does: a pod's own packets may come back out its port.
    await node.ip(['link', 'set', 'vpa', 'type', 'bridge_slave', 'hairpin', 'on']);
    await lab.veth({ ns: node, ifname: 'ext0', addresses: [`${NODE_IP}/30`] }, { ns: remote, ifname: 'eth0', addresses: ['198.18.0.2/30'] });
    await remote.ip(['route', 'add', 'default', 'via', NODE_IP]);
    const servers = [pa.spawnNode('srv-a', probe, ['serve', 'a', '8080,5353']), pb.spawnNode('srv-b', probe, ['serve', 'b', '8080,5353'])];
    for (const s of servers) await waitFor(`${s.name} ready`, () => s.log().includes('ready'), { timeoutMs: 10_000 });
  });

  after(async () => {
    await lab?.teardown();
  });

  it('loads the full ruleset; loading it again and an empty delta change nothing', async () => {
    applied = renderRuleset(buildModel(cluster({ webEndpoints: [A, B] })));
    await nftApply(renderFull(applied), { netns: node.name });
    const first = await nftListTable('inet', 'podnet', { netns: node.name });
    assert.ok(first !== null && first.includes('"service_ips"'));
    await nftApply(renderFull(applied), { netns: node.name });
    assert.equal(await nftListTable('inet', 'podnet', { netns: node.name }), first);
    const again = renderDelta(applied, renderRuleset(buildModel(cluster({ webEndpoints: [A, B] }))));
    assert.equal(again?.text, '');
  });

  it('ClusterIP: new connections reach both backends', async () => {
    const got = await connect(client, 'tcp', '10.96.0.10', 80, 16);
    assert.deepEqual([...new Set(got)].sort(), ['a', 'b'], got.join(' '));
  });

  it('a service without endpoints is rejected at once (connection refused, not a timeout)', async () => {
    const t0 = Date.now();
    assert.deepEqual(await connect(client, 'tcp', '10.96.0.11', 80, 3), ['refused', 'refused', 'refused']);
    assert.ok(Date.now() - t0 < 1_500, 'three refusals (process start included) inside one probe timeout');
  });

  it('a ClusterIP port it does not serve is rejected; an unallocated ClusterIP is dropped', async () => {
    assert.deepEqual(await connect(client, 'tcp', '10.96.0.10', 81, 1), ['refused']);
    assert.deepEqual(await connect(client, 'tcp', '10.96.0.99', 80, 1), ['timeout']);
  });

  it('NodePort answers a client in another namespace (masqueraded), and so does the ClusterIP', async () => {
    const got = await connect(remote, 'tcp', NODE_IP, 30080, 8);
    assert.ok(got.every((g) => g === 'a' || g === 'b'), got.join(' '));
    const cip = await connect(remote, 'tcp', '10.96.0.10', 80, 4);
    assert.ok(cip.every((g) => g === 'a' || g === 'b'), cip.join(' '));
    const masq = (await node.exec('conntrack', ['-L', '-p', 'tcp', '--orig-src', '198.18.0.2'], { allowFail: true })).stdout;
    assert.match(masq, /dport=30080 .*src=10\.244\.1\.1[01] dst=10\.244\.1\.1 /, 'replies go to the node (SNAT to br0)');
  });

  it('UDP: datagrams reach both backends', async () => {
    const got = await connect(client, 'udp', '10.96.0.13', 53, 16);
    assert.deepEqual([...new Set(got)].sort(), ['a', 'b'], got.join(' '));
  });

  it('session affinity keeps one client on one backend', async () => {
    const got = await connect(client, 'tcp', '10.96.0.12', 80, 10);
    assert.equal(new Set(got).size, 1, got.join(' '));
    assert.ok(got[0] === 'a' || got[0] === 'b');
  });

  it('removing an endpoint (a delta batch) stops new connections to it', async () => {
    const next = renderRuleset(buildModel(cluster({ webEndpoints: [A] })));
    const d = renderDelta(applied, next);
    assert.ok(d !== null);
    assert.deepEqual([d.chainsAdded, d.chainsChanged, d.chainsDeleted, d.elementsAdded, d.elementsDeleted], [0, 1, 1, 0, 1]);
    await nftApply(d.text, { netns: node.name });
    applied = next;
    assert.deepEqual([...new Set(await connect(client, 'tcp', '10.96.0.10', 80, 10))], ['a']);
    assert.deepEqual([...new Set(await connect(remote, 'tcp', NODE_IP, 30080, 4))], ['a']);
  });

  it('UDP: a backend gone keeps its flows until their conntrack entries are flushed; then they move', async () => {
    const udpFrom = async (): Promise<string> => {
      const r = await client.exec(process.execPath, [probe, 'connect', 'udp', '10.96.0.13', '53', '1', '40053'], { timeoutMs: 10_000 });
      return r.stdout.trim().split(' ')[0] ?? '';
    };
    const first = await udpFrom();
    assert.ok(first === 'a' || first === 'b', first);
    assert.equal(await udpFrom(), first, 'one flow, one backend');
    const keep = first === 'a' ? B : A;
    const prevModel = buildModel(cluster({ webEndpoints: [A] }));
    const nextModel = buildModel(cluster({ webEndpoints: [A], dnsEndpoints: [keep] }));
    const next = renderRuleset(nextModel);
    const d = renderDelta(applied, next);
    assert.ok(d !== null);
    await nftApply(d.text, { netns: node.name });
    applied = next;
    assert.equal(await udpFrom(), first, 'the stale entry still sends the flow to the removed backend');
    const flushes = staleUdp(prevModel, nextModel);
    assert.deepEqual(flushes.map((f) => f.endpoint), [first === 'a' ? A : B]);
    assert.deepEqual((await flushStaleUdp(flushes, { netns: node.name })).failed, []);
    assert.equal(await udpFrom(), first === 'a' ? 'b' : 'a', 'after the flush the flow goes to a live backend');
  });

  it('client addresses: kept for pods, masqueraded for off-cluster clients of ClusterIP and eTP Cluster NodePorts', async () => {
    assert.deepEqual([...new Set(await connectRaw(client, 'tcp', '10.96.0.10', 80, 3))], [`a ${CLIENT}`]);
    assert.deepEqual([...new Set(await connectRaw(remote, 'tcp', NODE_IP, 30080, 3))], ['a 10.244.1.1']);
    assert.deepEqual([...new Set(await connectRaw(remote, 'tcp', '10.96.0.10', 80, 3))], ['a 10.244.1.1']);
  });

  async function move(next: ModelInput): Promise<void> {
    const rs = renderRuleset(buildModel(next));
    const d = renderDelta(applied, rs);
    assert.ok(d !== null);
    await nftApply(d.text, { netns: node.name });
    applied = rs;
  }

  it('eTP Local keeps the client address and uses only local endpoints', async () => {
    await move(policies({ ranges: ['198.18.0.0/30'], hairpin: true }));
    assert.deepEqual([...new Set(await connectRaw(remote, 'tcp', NODE_IP, 30081, 6))], ['a 198.18.0.2']);
  });

  it('loadBalancerSourceRanges: the LB IP answers clients inside the ranges and drops the rest', async () => {
    const inside = await connect(remote, 'tcp', '198.19.0.5', 80, 6);
    assert.ok(inside.every((g) => g === 'a' || g === 'b'), inside.join(' '));
    await move(policies({ ranges: ['203.0.113.0/24'], hairpin: true }));
    assert.deepEqual(await connect(remote, 'tcp', '198.19.0.5', 80, 1), ['timeout'], 'dropped, not rejected');
    assert.equal((await connect(remote, 'tcp', NODE_IP, 30082, 1))[0]?.length, 1, 'the NodePort of the same service is not subject to the ranges');
  });

  it('hairpin: a pod reaches itself through its service only with hairpin SNAT', async () => {
    assert.deepEqual(await connectRaw(podA, 'tcp', '10.96.0.22', 80, 2), ['a 10.244.1.1', 'a 10.244.1.1']);
    await move(policies({ ranges: ['203.0.113.0/24'], hairpin: false }));
    const without = await connect(podA, 'tcp', '10.96.0.22', 80, 1);
    assert.notDeepEqual(without, ['a'], 'without SNAT the reply never matches the connection');
  });

  it('full(prev) + delta(prev, next) lists exactly as full(next), for every pair of scenarios', async () => {
    const names = Object.keys(scenarios);
    const rulesets = new Map(names.map((n) => [n, renderRuleset(buildModel(scenarios[n] as ModelInput))]));
    const listing = new Map<string, string>();
    const opts = { netns: scratch.name };
    for (const [n, rs] of rulesets) {
      await nftApply(renderFull(rs), opts);
      listing.set(n, (await nftListTable('inet', 'podnet', opts)) ?? '');
    }
    let pairs = 0;
    for (const a of names) {
      for (const b of names) {
        if (a === b) continue;
        const prev = rulesets.get(a) as NftRuleset;
        const next = rulesets.get(b) as NftRuleset;
        await nftApply(renderFull(prev), opts);
        const d = renderDelta(prev, next);
        assert.ok(d !== null);
        await nftApply(d.text, opts);
        assert.equal(await nftListTable('inet', 'podnet', opts), listing.get(b), `${a} -> ${b}`);
        pairs++;
      }
    }
    assert.equal(pairs, names.length * (names.length - 1));
  });

  it('cleanup deletes the table (and is safe to repeat)', async () => {
    await nftDeleteTable('inet', 'podnet', { netns: node.name });
    await nftDeleteTable('inet', 'podnet', { netns: node.name });
    assert.equal(await nftListTable('inet', 'podnet', { netns: node.name }), null);
    const after = await connect(client, 'tcp', '10.96.0.10', 80, 2);
    assert.ok(after.every((g) => g !== 'a' && g !== 'b' && g !== 'refused'), `without the table no backend answers and nothing rejects: ${after.join(' ')}`);
  });
});
