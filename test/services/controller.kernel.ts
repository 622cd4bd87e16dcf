// Kernel tier: the services controller end to end in a network namespace —
// caches (stores) in, table inet podnet out. No table while there is nothing
// to proxy; a sync programs it; a second sync changes nothing; an incremental
// sync trusts its memory while a full sync finds drift and reloads; cleanup
// deletes the table.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { createServicesController } from '../../services/controller.ts';
import { Store } from '../../src/k8s/store.ts';
import { nftApply, nftListTable } from '../../src/kernel/nft.ts';
import { silentLogger } from '../../src/obs/log.ts';
import { Lab } from '../helpers/netns.ts';
import type { Netns } from '../helpers/netns.ts';
import { service, slice } from './objects.ts';

describe('services/controller: caches to nftables (netns)', function () {
  this.timeout(60_000);
  let lab: Lab | undefined;
  let node: Netns;
  const services = new Store<V1Service>();
  const endpointslices = new Store<V1EndpointSlice>();
  const nodes = new Store<V1Node>();
  const ctx = { log: silentLogger(), signal: new AbortController().signal };

  before(async () => {
    lab = await Lab.create();
    node = await lab.addNamespace('node');
    nodes.upsert({
      metadata: { name: 'node-a' },
      spec: { podCIDRs: ['10.244.1.0/24'] },
      status: { addresses: [{ type: 'InternalIP', address: '198.18.0.1' }] },
    });
  });

  after(async () => {
    await lab?.teardown();
  });

  const controller = (): ReturnType<typeof createServicesController> =>
    createServicesController({
      syncPeriodMs: 300_000,
      mode: 'auto',
      source: { nodeName: 'node-a', readers: { services, endpointslices, nodes }, nft: { netns: node.name }, healthHost: '127.0.0.1' },
    });

  it('programs nothing while there is nothing to proxy, then the table; a second sync is a no-op', async () => {
    const c = controller();
    await c.run({ ...ctx, clock: undefined as never, requestSync: () => undefined, fail: () => undefined });
    assert.deepEqual(await c.sync('full', ctx), { programmed: 0, changed: 0 });
    assert.equal(await nftListTable('inet', 'podnet', { netns: node.name }), null, 'no table without services');
    services.upsert(service('web', { type: 'NodePort', clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80, nodePort: 30080 }] }));
    endpointslices.upsert(slice('web', 'web-1', [{ ip: '10.244.1.10', node: 'node-a' }, { ip: '10.244.1.11', node: 'node-a' }], [{ name: 'http', port: 8080 }]));
    const first = await c.sync('incremental', ctx);
    assert.equal(first?.programmed, 1);
    const listing = await nftListTable('inet', 'podnet', { netns: node.name });
    assert.ok(listing !== null && listing.includes('"198.18.0.1"'), 'the node IP from the Node object is the NodePort address');
    assert.ok(listing.includes('"10.244.1.0/24"') || listing.includes('"addr":"10.244.1.0","len":24'), 'the pod network from the nodes');
    assert.deepEqual(await c.sync('incremental', ctx), { programmed: 1, changed: 0 });
    assert.equal(await nftListTable('inet', 'podnet', { netns: node.name }), listing);

    // Drift: someone flushes our dispatch chain. Incremental syncs trust memory; a full sync repairs.
    await nftApply('flush chain inet podnet services\n', { netns: node.name });
    assert.deepEqual(await c.sync('incremental', ctx), { programmed: 1, changed: 0 });
    assert.notEqual(await nftListTable('inet', 'podnet', { netns: node.name }), listing);
    const repaired = await c.sync('full', ctx);
    assert.ok((repaired?.changed ?? 0) > 0);
    assert.equal(await nftListTable('inet', 'podnet', { netns: node.name }), listing);
    assert.deepEqual(await c.sync('full', ctx), { programmed: 1, changed: 0 }, 'a full sync without drift writes nothing');

    // One endpoint gone: a delta, not a reload.
    endpointslices.upsert(slice('web', 'web-1', [{ ip: '10.244.1.10', node: 'node-a' }], [{ name: 'http', port: 8080 }]));
    assert.deepEqual(await c.sync('incremental', ctx), { programmed: 1, changed: 3 });
    assert.doesNotMatch((await nftListTable('inet', 'podnet', { netns: node.name })) ?? '', /10\.244\.1\.11/);

    // eTP Local with a healthCheckNodePort: served while this node has a local endpoint.
    const hc = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
      });
    });
    services.upsert(service('web', { type: 'NodePort', clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80, nodePort: 30080 }], eTP: 'Local', healthCheckNodePort: hc }));
    await c.sync('incremental', ctx);
    assert.equal((await fetch(`http://127.0.0.1:${hc}/`)).status, 200);
    endpointslices.upsert(slice('web', 'web-1', [{ ip: '10.244.2.10', node: 'node-b' }], [{ name: 'http', port: 8080 }]));
    await c.sync('incremental', ctx);
    assert.equal((await fetch(`http://127.0.0.1:${hc}/`)).status, 503, 'no local endpoint any more');
    await c.stop();
    await assert.rejects(fetch(`http://127.0.0.1:${hc}/`), 'stop closes the health servers');

    await c.cleanup(silentLogger());
    assert.equal(await nftListTable('inet', 'podnet', { netns: node.name }), null);
  });

  it('--service-proxy-mode=ipvs fails clearly at run', async () => {
    const c = createServicesController({ syncPeriodMs: 1000, mode: 'ipvs' });
    await assert.rejects(c.run({ ...ctx, clock: undefined as never, requestSync: () => undefined, fail: () => undefined }), /IPVS backend is not implemented yet/);
  });
});
