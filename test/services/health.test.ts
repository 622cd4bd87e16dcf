// healthCheckNodePort servers: kube-proxy's answer (200 with local endpoints,
// 503 without, JSON body, endpoint-weight header), updates in place, closes
// ports that are no longer wanted. Real HTTP on 127.0.0.1.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { HealthServers, healthTargets } from '../../services/health.ts';
import { buildModel } from '../../services/model.ts';
import { service, slice } from './objects.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

describe('services/health', () => {
  let hs: HealthServers | undefined;
  afterEach(async () => {
    await hs?.close();
  });

  it('targets: eTP Local services with a healthCheckNodePort, counting ready local endpoints', () => {
    const m = buildModel({
      nodeName: 'node-a', nodeIps: ['198.18.0.1'], podNetwork: [],
      services: [
        service('web', { type: 'NodePort', clusterIPs: ['10.96.0.10'], ports: [{ name: 'a', port: 80, nodePort: 30080 }, { name: 'b', port: 81, nodePort: 30081 }], eTP: 'Local', healthCheckNodePort: 32000 }),
        service('plain', { type: 'NodePort', clusterIPs: ['10.96.0.11'], ports: [{ port: 80, nodePort: 30082 }], healthCheckNodePort: 32001 }),
      ],
      endpointSlices: [slice('web', 'w', [{ ip: '10.244.1.1', node: 'node-a' }, { ip: '10.244.1.2', node: 'node-a' }, { ip: '10.244.2.1', node: 'node-b' }], [{ name: 'a', port: 8080 }, { name: 'b', port: 8081 }])],
    });
    assert.deepEqual([...healthTargets(m)], [[32000, { namespace: 'default', name: 'web', localEndpoints: 2 }]]);
  });

  it('answers 200 with local endpoints and 503 without, like kube-proxy; closes unwanted ports', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    hs = new HealthServers({ host: '127.0.0.1' });
    assert.deepEqual(await hs.sync(new Map([[p1, { namespace: 'default', name: 'web', localEndpoints: 2 }], [p2, { namespace: 'default', name: 'db', localEndpoints: 0 }]])), []);
    let r = await fetch(`http://127.0.0.1:${p1}/healthz`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-load-balancing-endpoint-weight'), '2');
    assert.deepEqual(await r.json(), { service: { namespace: 'default', name: 'web' }, localEndpoints: 2, serviceProxyHealthy: true });
    r = await fetch(`http://127.0.0.1:${p2}/`);
    assert.equal(r.status, 503);
    assert.equal(((await r.json()) as { localEndpoints: number }).localEndpoints, 0);
    await hs.sync(new Map([[p2, { namespace: 'default', name: 'db', localEndpoints: 1 }]]));
    assert.equal((await fetch(`http://127.0.0.1:${p2}/`)).status, 200, 'updated in place');
    await assert.rejects(fetch(`http://127.0.0.1:${p1}/`), 'p1 closed');
    hs.setProxyHealthy(false);
    assert.equal((await fetch(`http://127.0.0.1:${p2}/`)).status, 503, 'an unhealthy proxy answers 503');
    assert.deepEqual(hs.ports(), [p2]);
  });
});
