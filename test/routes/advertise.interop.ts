// Interop (root): podnetd's routes controller (in a node namespace, against
// the embedded API server through the lab's forwarder) peered over eBGP with a
// BIRD "top of rack". What BIRD's RIB shows:
// - the node's pod CIDR and the service IPs the flags and annotations ask
//   for: a ClusterIP, an externalIP and a LoadBalancer IP as /32s; an
//   externalIP of an externalTrafficPolicy Local service whose endpoints are
//   on another node is not advertised (and is, at run time, once this node
//   has a ready endpoint); a per-service opt-out is honoured; all with the
//   node's address as next hop;
// - the node's kube-router.io/node.bgp.communities and path-prepend
//   annotations on what it receives;
// - at run time, an opt-out annotation added to a service withdraws its
//   route, and a new customimportreject annotation on the node makes our RIB
//   drop the peer routes inside it and take back those outside it (ROUTE-REFRESH),
//   all without the session being reset.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DestinationView, NeighborView } from '../../bgp/index.ts';
import { apiRequest } from '../../src/api/client.ts';
import { startApiServer } from '../../src/lab/apiserver/index.ts';
import type { ApiServer } from '../../src/lab/apiserver/index.ts';
import { Lab, waitFor, type Netns, type NsProcess } from '../helpers/netns.ts';
import { Bird } from '../helpers/peers/bird.ts';

const podnetd = fileURLToPath(new URL('../../src/bin/podnetd.ts', import.meta.url));
const forward = fileURLToPath(new URL('../../src/lab/forward.ts', import.meta.url));

const NODE_IP = '198.18.80.2';
const TOR_IP = '198.18.80.1';
const CLUSTER_ASN = 64512;
const TOR_ASN = 65080;

describe('interop: service IP advertisement, communities, prepend and import reject toward a BIRD ToR', function () {
  this.timeout(90_000);
  let lab: Lab | undefined;
  let server: ApiServer | undefined;
  let bird: Bird | undefined;
  let agent: NsProcess | undefined;
  let forwarder: ChildProcess | NsProcess | undefined;
  let socket = '';
  let nodeNs: Netns | undefined;
  let agentArgs: string[] = [];

  const torRoutes = async (): Promise<Map<string, { asPath: number[]; communities: string[]; nextHop: string }>> =>
    new Map(((await bird?.rib('ipv4')) ?? []).map((r) => [r.prefix, { asPath: r.asPath, communities: r.communities, nextHop: r.nextHop }]));
  const ourRib = async (): Promise<Set<string>> => new Set(((await apiRequest(socket, 'GET', '/v1/bgp/rib')) as DestinationView[]).map((d) => d.prefix));
  const established = async (): Promise<number> => ((await apiRequest(socket, 'GET', `/v1/bgp/neighbor?address=${TOR_IP}`)) as NeighborView).messages.established;
  const diag = (): string => `\n--- podnetd ---\n${agent?.log().slice(-3000) ?? ''}\n--- bird ---\n${bird?.log().slice(-1500) ?? ''}`;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    const l = await Lab.create();
    lab = l;
    const node: Netns = await l.addNamespace('node');
    const tor: Netns = await l.addNamespace('tor');
    await l.veth({ ns: node, ifname: 'eth0', addresses: [`${NODE_IP}/24`] }, { ns: tor, ifname: 'eth0', addresses: [`${TOR_IP}/24`] });
    const apiSock = join(l.dir, 'apiserver.sock');
    server = await startApiServer({ socketPath: apiSock });
    forwarder = node.spawn('forward', process.execPath, [forward, '--listen', 'tcp:127.0.0.1:6443', '--to', `unix:${apiSock}`]);
    const kubeconfig = join(l.dir, 'node-kubeconfig');
    writeFileSync(kubeconfig, readFileSync(server.kubeconfigPath, 'utf8').replace(/server: \S+/, 'server: http://127.0.0.1:6443'));

    server.create('Node', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'n1',
        annotations: {
          'kube-router.io/node.bgp.communities': '64512:80',
          'kube-router.io/path-prepend.as': '64512',
          'kube-router.io/path-prepend.repeat-n': '2',
          'kube-router.io/node.bgp.customimportreject': '10.99.0.0/16',
        },
      },
      spec: { podCIDRs: ['10.244.80.0/24'] },
    });
    server.updateStatus('Node', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: NODE_IP }] } });
    const svc = (name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}) =>
      server?.create('Service', { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', annotations }, spec: { ports: [{ port: 80, protocol: 'TCP' }], ...spec } });
    svc('web', { type: 'LoadBalancer', clusterIP: '10.96.0.10', externalIPs: ['198.51.100.10'] });
    server.updateStatus('Service', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } });
    svc('elsewhere', { clusterIP: '10.96.0.30', externalTrafficPolicy: 'Local', externalIPs: ['198.51.100.30'] });
    server.create('EndpointSlice', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'elsewhere-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'elsewhere' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.81.5'], nodeName: 'n2', conditions: { ready: true } }],
      ports: [{ port: 80, protocol: 'TCP' }],
    });
    svc('optout', { clusterIP: '10.96.0.40' }, { 'kube-router.io/service.advertise.clusterip': 'false' });

    bird = await Bird.start({
      ns: tor,
      routerId: TOR_IP,
      asn: TOR_ASN,
      listenAddress: TOR_IP,
      neighbors: [{ address: NODE_IP, asn: CLUSTER_ASN, families: ['ipv4'], holdTime: 30 }],
      routes: [{ prefix: '10.99.1.0/24' }, { prefix: '10.98.1.0/24' }],
    });
    socket = join(l.dir, 'podnetd.sock');
    nodeNs = node;
    agentArgs = [
      podnetd,
      `--kubeconfig=${kubeconfig}`,
      '--hostname-override=n1',
      `--api-socket=${socket}`,
      '--run-router=true',
      '--run-firewall=false',
      '--run-service-proxy=false',
      `--cluster-asn=${CLUSTER_ASN}`,
      `--peer-router-ips=${TOR_IP}`,
      `--peer-router-asns=${TOR_ASN}`,
      '--advertise-cluster-ip=true',
      '--advertise-external-ip=true',
      '--advertise-loadbalancer-ip=true',
      '--enable-overlay=false',
      '--enable-cni=false',
      '-v=1',
    ];
    agent = node.spawn('podnetd', process.execPath, agentArgs);
    await bird.waitEstablished(NODE_IP, 30_000).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
  });

  after(async function () {
    await agent?.stop().catch(() => undefined);
    if (forwarder !== undefined && 'stop' in forwarder) await forwarder.stop().catch(() => undefined);
    await bird?.stop().catch(() => undefined);
    await server?.close();
    await lab?.teardown();
  });

  it('the ToR gets the pod CIDR and the service /32s the flags and annotations ask for, with communities and prepend', async function () {
    const want = ['10.244.80.0/24', '10.96.0.10/32', '198.51.100.10/32', '203.0.113.7/32'];
    const got = await waitFor('the ToR has the node routes', async () => {
      const t = await torRoutes();
      return want.every((p) => t.has(p)) ? t : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    assert.ok(!got.has('198.51.100.30/32'), 'eTP Local with no endpoint on this node: not advertised');
    assert.ok(!got.has('10.96.0.40/32'), 'per-service opt-out');
    for (const p of want) {
      assert.deepEqual(got.get(p)?.asPath, [CLUSTER_ASN, CLUSTER_ASN, CLUSTER_ASN], `${p}: our AS plus the prepend annotation (2)`);
      assert.ok(got.get(p)?.communities.includes('64512:80'), `${p}: the node's community`);
      assert.equal(got.get(p)?.nextHop, NODE_IP, `${p}: the node's next hop`);
    }
  });

  it('eTP Local: the externalIP appears once this node has a ready endpoint and goes when it is not ready', async function () {
    // The same slice now with a ready endpoint on n1: kube-router advertises
    // a Local service's external IPs only from nodes that can serve them.
    const slice = (ready: boolean) => ({
      endpoints: [
        { addresses: ['10.244.81.5'], nodeName: 'n2', conditions: { ready: true } },
        { addresses: ['10.244.80.5'], nodeName: 'n1', conditions: { ready } },
      ],
    });
    server?.patch('EndpointSlice', 'elsewhere-1', 'default', 'merge', slice(true));
    await waitFor('the ToR has the Local externalIP', async () => (await torRoutes()).has('198.51.100.30/32'), { timeoutMs: 20_000, intervalMs: 200 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    server?.patch('EndpointSlice', 'elsewhere-1', 'default', 'merge', slice(false));
    await waitFor('the ToR lost the Local externalIP', async () => !(await torRoutes()).has('198.51.100.30/32'), { timeoutMs: 20_000, intervalMs: 200 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
  });

  it('our RIB leaves out the peer routes inside the custom import reject', async function () {
    const rib = await waitFor('10.98.1.0/24 learned', async () => {
      const r = await ourRib();
      return r.has('10.98.1.0/24') ? r : undefined;
    }, { timeoutMs: 20_000 });
    assert.ok(!rib.has('10.99.1.0/24'), 'rejected by kube-router.io/node.bgp.customimportreject');
  });

  it('at run time: an opt-out withdraws a service IP, a new import reject swaps the learned routes, the session stays up', async function () {
    const before = await established();
    server?.patch('Service', 'web', 'default', 'merge', { metadata: { annotations: { 'kube-router.io/service.advertise.externalip': 'false' } } });
    await waitFor('the ToR lost the externalIP', async () => !(await torRoutes()).has('198.51.100.10/32'), { timeoutMs: 20_000, intervalMs: 200 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    assert.ok((await torRoutes()).has('203.0.113.7/32'), 'the LB IP of the same service stays');

    server?.patch('Node', 'n1', undefined, 'merge', { metadata: { annotations: { 'kube-router.io/node.bgp.customimportreject': '10.98.0.0/16' } } });
    await waitFor('the import policy swap (ROUTE-REFRESH)', async () => {
      const r = await ourRib();
      return r.has('10.99.1.0/24') && !r.has('10.98.1.0/24');
    }, { timeoutMs: 20_000, intervalMs: 200 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    assert.equal(await established(), before, 'no session reset');
    const n = (await apiRequest(socket, 'GET', `/v1/bgp/neighbor?address=${TOR_IP}`)) as NeighborView;
    assert.ok(n.messages.routeRefreshOut >= 1, 'we asked the ToR to send its routes again');
  });

  it('aggregate mode: the ToR gets the service CIDR once instead of the ClusterIP /32s (kube-router#923)', async function () {
    await agent?.stop();
    agent = nodeNs?.spawn('podnetd', process.execPath, [...agentArgs, '--service-cluster-ip-range=10.96.0.0/12', '--advertise-service-cluster-ip-range=true']);
    const t = await waitFor('the ToR has the service CIDR', async () => {
      const r = await torRoutes();
      return r.has('10.96.0.0/12') && r.has('203.0.113.7/32') ? r : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    assert.deepEqual([...t.keys()].filter((p) => p.startsWith('10.96.')), ['10.96.0.0/12'], 'one aggregate, no /32 per ClusterIP');
    assert.equal(t.get('10.96.0.0/12')?.nextHop, NODE_IP);
  });
});
