// The agent's caches against the embedded API server, over real HTTP: they
// follow creates, updates and deletes of every kind, and recover from a forced
// 410 Gone (history compacted while the agent was cut off) by relisting
// without ever emptying the cache.
import assert from 'node:assert/strict';
import { startApiServer } from '../../../src/lab/apiserver/index.ts';
import type { ApiServer } from '../../../src/lab/apiserver/index.ts';
import { Caches } from '../../../src/k8s/caches.ts';
import { collectionPath, keyOf, resources } from '../../../src/k8s/resources.ts';
import type { ResourceName } from '../../../src/k8s/resources.ts';
import { KubeTransport, apiError, loadKubeConfig } from '../../../src/k8s/transport.ts';
import type { Transport, WatchHandlers } from '../../../src/k8s/transport.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import { createMetrics } from '../../../src/obs/metrics.ts';
import { silentLogger } from '../../../src/obs/log.ts';

const all = Object.keys(resources) as ResourceName[];

/** Wraps a transport so the test can cut the agent off the API server. */
class CuttableTransport implements Transport {
  private readonly inner: Transport;
  cut = false;
  private aborts = new Set<() => void>();
  constructor(inner: Transport) {
    this.inner = inner;
  }
  getJson(path: string, q: Record<string, string>): Promise<unknown> {
    return this.cut ? Promise.reject(apiError(0, 'Unreachable', 'cut off')) : this.inner.getJson(path, q);
  }
  watch(path: string, q: Record<string, string>, idle: number, h: WatchHandlers): () => void {
    if (this.cut) {
      setImmediate(() => h.onDone(new Error('cut off')));
      return () => {};
    }
    const abort = this.inner.watch(path, q, idle, { ...h, onDone: (e) => { this.aborts.delete(abort); h.onDone(e); } });
    this.aborts.add(abort);
    return () => {
      this.aborts.delete(abort);
      abort();
    };
  }
  /** Cuts every open watch, like a network partition. */
  severAll(): void {
    this.cut = true;
    for (const a of this.aborts) a(); // deleting the visited entry is safe in a Set walk
  }
}

function cacheState(caches: Caches, name: ResourceName): Map<string, string> {
  return new Map(caches.reader(name).list().map((o) => [keyOf(o as never), (o.metadata as { resourceVersion: string }).resourceVersion]));
}

async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('k8s caches against the embedded API server', function () {
  this.timeout(30_000);
  let server: ApiServer;
  let base: string;
  const req = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(base + path, {
      method,
      headers: { 'Content-Type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  /** What the server holds: key -> resourceVersion, per resource. */
  const serverState = async (name: ResourceName): Promise<Map<string, string>> => {
    const list = (await req('GET', collectionPath(resources[name]))) as { items: { metadata: { resourceVersion: string } }[] };
    return new Map(list.items.map((o) => [keyOf(o as never), o.metadata.resourceVersion]));
  };
  const inSync = async (caches: Caches): Promise<boolean> => {
    for (const n of all) {
      const a = await serverState(n);
      const b = cacheState(caches, n);
      if (a.size !== b.size || [...a].some(([k, v]) => b.get(k) !== v)) return false;
    }
    return true;
  };

  beforeEach(async () => {
    server = await startApiServer();
    base = server.url.replace(/\/$/, '');
  });
  afterEach(async () => {
    await server.close();
  });

  async function populate(prefix: string): Promise<void> {
    await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: prefix } });
    await req('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: `${prefix}-node` }, spec: { podCIDR: '10.244.1.0/24' } });
    for (let i = 0; i < 5; i++) {
      await req('POST', `/api/v1/namespaces/${prefix}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `p${i}`, labels: { app: 'web' } },
        spec: { nodeName: `${prefix}-node`, containers: [{ name: 'c', image: 'x' }] },
      });
    }
    await req('POST', `/api/v1/namespaces/${prefix}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP' }] },
    });
    await req('POST', `/apis/discovery.k8s.io/v1/namespaces/${prefix}/endpointslices`, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true } }],
      ports: [{ port: 80, protocol: 'TCP' }],
    });
    await req('POST', `/apis/networking.k8s.io/v1/namespaces/${prefix}/networkpolicies`, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'deny' },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
  }

  async function mutate(prefix: string): Promise<void> {
    const p0 = await req('GET', `/api/v1/namespaces/${prefix}/pods/p0`);
    (p0['metadata'] as { labels: Record<string, string> }).labels['tier'] = 'front';
    await req('PUT', `/api/v1/namespaces/${prefix}/pods/p0`, p0);
    await req('DELETE', `/api/v1/namespaces/${prefix}/pods/p1`);
    await req('DELETE', `/apis/networking.k8s.io/v1/namespaces/${prefix}/networkpolicies/deny`);
    const node = await req('GET', `/api/v1/nodes/${prefix}-node`);
    (node['metadata'] as { labels?: Record<string, string> }).labels = { zone: 'a' };
    await req('PUT', `/api/v1/nodes/${prefix}-node`, node);
  }

  it('follows creates, updates and deletes of every kind', async () => {
    const transport = new KubeTransport(loadKubeConfig({ kubeconfig: server.kubeconfigPath, master: '' }));
    const caches = new Caches(all, transport, { clock: realClock, log: silentLogger() });
    caches.start();
    try {
      await caches.waitForSync(5000);
      await populate('x');
      await until('caches to hold the created objects', () => inSync(caches));
      assert.equal(caches.reader('pods').size(), 5);
      await mutate('x');
      await until('caches to follow updates and deletes', () => inSync(caches));
      assert.equal(caches.reader('pods').get('x/p1'), undefined);
      assert.equal(caches.reader('pods').get('x/p0')?.metadata?.labels?.['tier'], 'front');
      assert.equal(caches.reader('networkpolicies').size(), 0);
      assert.equal(caches.reader('nodes').get('x-node')?.metadata?.labels?.['zone'], 'a');
      assert.equal(caches.problem(all), null);
    } finally {
      await caches.stop();
    }
  });

  it('recovers from a forced 410 by relisting, never emptying the cache', async () => {
    const transport = new CuttableTransport(new KubeTransport(loadKubeConfig({ kubeconfig: server.kubeconfigPath, master: '' })));
    const metrics = createMetrics('test', { defaults: false });
    const caches = new Caches(all, transport, { clock: realClock, log: silentLogger(), metrics, backoff: { initialMs: 50, maxMs: 200 } });
    caches.start();
    try {
      await caches.waitForSync(5000);
      await populate('y');
      await until('initial sync of the populated objects', () => inSync(caches));
      // Cut the agent off, change the cluster, compact the history: the
      // versions the agent holds are now gone from the server.
      transport.severAll();
      await mutate('y');
      await populate('z');
      server.compact();
      let minPods = Infinity;
      const sampler = setInterval(() => (minPods = Math.min(minPods, caches.reader('pods').size())), 1);
      transport.cut = false;
      await until('caches to relist and match the server', () => inSync(caches));
      clearInterval(sampler);
      assert.ok(minPods >= 5, `the pod cache never shrank below what it held (min ${minPods})`);
      const relists = await metrics.relists.get();
      const gone = relists.values.filter((v) => v.labels.reason === 'gone').reduce((a, v) => a + v.value, 0);
      assert.ok(gone >= all.length, `every cache relisted after 410 Gone (saw ${gone})`);
      assert.equal(caches.reader('pods').size(), 9);
    } finally {
      await caches.stop();
    }
  });
});
