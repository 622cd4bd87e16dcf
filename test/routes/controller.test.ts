// Two routes controllers in one process, each with its own speaker on a
// loopback address, fed Node objects like the caches would: they peer over
// iBGP, originate their pod CIDRs, and program each other's as kernel routes
// (into an in-memory route table); a node added at run time gets a peer, a
// node removed loses it and its route.
import assert from 'node:assert/strict';
import type { V1Node } from '@kubernetes/client-node';
import { createRoutesController } from '../../routes/controller.ts';
import type { RoutesController, RoutesKernel } from '../../routes/controller.ts';
import type { KernelRoute, RouteTable } from '../../src/kernel/netlink/routes.ts';
import { Store } from '../../src/k8s/store.ts';
import { realClock } from '../../src/runtime/clock.ts';
import { Supervisor } from '../../src/runtime/supervisor.ts';
import { silentLogger } from '../../src/obs/log.ts';

class MemoryRoutes implements RouteTable {
  readonly table = new Map<string, KernelRoute>();
  async list(): Promise<KernelRoute[]> {
    return [...this.table.values()];
  }
  async replace(r: KernelRoute): Promise<void> {
    this.table.set(r.dst, r);
  }
  async delete(r: KernelRoute): Promise<void> {
    this.table.delete(r.dst);
  }
  close(): void {}
}

function fakeKernel(routes: MemoryRoutes): () => RoutesKernel {
  return () => ({
    routes,
    localSubnets: async () => ['127.0.0.0/8'],
    ensureTunnel: async () => 99,
    syncTunnelPeers: async () => {},
    removeTunnels: async () => {},
    nftApply: async () => {},
  });
}

const node = (name: string, ip: string, cidr: string): V1Node => ({
  metadata: { name, resourceVersion: String(Date.now()) },
  spec: { podCIDRs: [cidr] },
  status: { addresses: [{ type: 'InternalIP', address: ip }] },
});

async function until(what: string, f: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('routes controller over loopback (in-memory kernel)', function () {
  this.timeout(40_000);
  const port = 20000 + (process.pid % 20000);
  const nodes = new Store<V1Node>();
  const tables = new Map<string, MemoryRoutes>();
  const ctrls = new Map<string, RoutesController>();
  let sup: Supervisor;
  let sup3: Supervisor | null = null;

  const make = (name: string, ip: string): RoutesController => {
    const mem = new MemoryRoutes();
    tables.set(name, mem);
    const c = createRoutesController({
      nodeName: name, syncPeriodMs: 60_000, nodes, clusterAsn: 64512, nodesFullMesh: true, enableIbgp: true, bgpPort: port,
      globalPeers: [], multihopTtl: 0, routerId: '', overlay: { enabled: true, type: 'subnet' }, holdTimeS: 9,
      kernel: fakeKernel(mem), listenAddresses: [ip], kernelCheckMs: 50,
    });
    ctrls.set(name, c);
    return c;
  };

  before(() => {
    nodes.upsert(node('n1', '127.0.0.1', '10.244.1.0/24'));
    nodes.upsert(node('n2', '127.0.0.2', '10.244.2.0/24'));
    sup = new Supervisor([make('n1', '127.0.0.1'), make('n2', '127.0.0.2')], { clock: realClock, log: silentLogger() });
    sup.start();
  });
  after(async () => {
    await sup.stop();
    await sup3?.stop();
  });

  it('peers the nodes and installs each other\'s pod CIDR via the peer', async () => {
    await until('n1 to learn n2', () => tables.get('n1')?.table.has('10.244.2.0/24') === true);
    await until('n2 to learn n1', () => tables.get('n2')?.table.has('10.244.1.0/24') === true);
    assert.deepEqual(tables.get('n1')?.table.get('10.244.2.0/24')?.nexthops, [{ gateway: '127.0.0.2' }]);
    assert.equal(tables.get('n1')?.table.has('10.244.1.0/24'), false, 'never a route for its own pod CIDR');
    const nb = ctrls.get('n1')?.speaker()?.neighbors() ?? [];
    assert.deepEqual(nb.map((n) => [n.address, n.state]), [['127.0.0.2', 'Established']]);
    assert.equal(sup.health().controllers.find((c) => c.name === 'routes')?.healthy, true);
  });

  it('restores a route deleted behind its back within the kernel check (an interface bounce, kube-router#509), not at the next full sync', async () => {
    const t = tables.get('n1');
    const r = t?.table.get('10.244.2.0/24');
    assert.ok(t !== undefined && r !== undefined);
    t.table.delete('10.244.2.0/24'); // the full sync period is 60 s in this test
    await until('the route back', () => t.table.has('10.244.2.0/24'), 5_000);
    assert.deepEqual(t.table.get('10.244.2.0/24')?.nexthops, r.nexthops);
  });

  it('adds a node at run time: peers and routes appear everywhere without a restart', async () => {
    // n3 joins: its Node object appears and its agent starts.
    nodes.upsert(node('n3', '127.0.0.3', '10.244.3.0/24'));
    sup.dispatch({ kind: 'nodes', type: 'added', key: 'n3' });
    sup3 = new Supervisor([make('n3', '127.0.0.3')], { clock: realClock, log: silentLogger() });
    sup3.start();
    await until('n1 to learn n3', () => tables.get('n1')?.table.get('10.244.3.0/24')?.nexthops[0]?.gateway === '127.0.0.3');
    await until('n3 to learn n1 and n2', () => tables.get('n3')?.table.size === 2);
  });

  it('removes a node at run time: its peer goes and its route is withdrawn', async () => {
    const gone = nodes.get('n2');
    assert.ok(gone !== undefined);
    nodes.remove(gone);
    sup.dispatch({ kind: 'nodes', type: 'deleted', key: 'n2' });
    sup3?.dispatch({ kind: 'nodes', type: 'deleted', key: 'n2' });
    await until('n1 to drop n2', () => tables.get('n1')?.table.has('10.244.2.0/24') === false);
    await until('n1 to forget the n2 neighbour', () => !(ctrls.get('n1')?.speaker()?.neighborAddresses() ?? []).includes('127.0.0.2'));
    assert.equal(tables.get('n3')?.table.has('10.244.2.0/24'), false);
  });
});
