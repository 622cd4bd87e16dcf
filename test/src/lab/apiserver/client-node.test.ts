// Acceptance: @kubernetes/client-node (the library the agent's caches use)
// against the embedded API server: typed list, watch from a resourceVersion
// (history replay + live events in order), BOOKMARK events, 410 Expired for a
// compacted version as an ERROR watch event, and makeInformer recovering from
// a forced 410 by relisting.
import assert from 'node:assert/strict';
import { CoreV1Api, DiscoveryV1Api, KubeConfig, KubernetesObjectApi, NetworkingV1Api, PatchStrategy, Watch, makeInformer, type KubernetesObject, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { startApiServer, type ApiServer } from '../../../../src/lab/apiserver/index.ts';
import { eventually } from './kubectl-harness.ts';

interface Seen {
  readonly type: string;
  readonly name: string;
  readonly rv: number;
  readonly code?: number;
  readonly reason?: string;
}

const pod = (name: string, labels: Record<string, string> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { containers: [{ name: 'c', image: 'registry.local/c:1' }] },
});

/** Starts a client-node watch and records what it receives. */
async function recordWatch(kc: KubeConfig, path: string, params: Record<string, string | boolean>) {
  const seen: Seen[] = [];
  let done: unknown = 'open';
  const req = await new Watch(kc).watch(
    path,
    params,
    (type: string, obj: { metadata?: { name?: string; resourceVersion?: string }; code?: number; reason?: string }) => {
      const entry: Seen = { type, name: obj.metadata?.name ?? '', rv: Number(obj.metadata?.resourceVersion ?? 0) };
      seen.push(obj.code !== undefined ? { ...entry, code: obj.code, reason: obj.reason ?? '' } : entry);
    },
    (err: unknown) => {
      done = err ?? null;
    },
  );
  return { seen, done: () => done, abort: () => req.abort() };
}

describe('lab/apiserver: @kubernetes/client-node against the embedded API server', function () {
  this.timeout(20_000);
  let server: ApiServer;
  let kc: KubeConfig;
  let core: CoreV1Api;

  beforeEach(async () => {
    server = await startApiServer({ bookmarkIntervalMs: 100 });
    kc = new KubeConfig();
    kc.loadFromFile(server.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
  });
  afterEach(async () => {
    await server.close();
  });

  it('loads the kubeconfig and lists typed objects of every group', async () => {
    assert.equal(kc.getCurrentCluster()?.server, server.url);
    server.create('Pod', pod('a'));
    server.create('EndpointSlice', { metadata: { name: 's1', namespace: 'default' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.0.5'] }] });
    server.create('NetworkPolicy', { metadata: { name: 'np', namespace: 'default' }, spec: { podSelector: {} } });
    const pods = await core.listNamespacedPod({ namespace: 'default' });
    assert.deepEqual(pods.items.map((p) => p.metadata?.name), ['a']);
    assert.ok(pods.items[0]?.metadata?.creationTimestamp instanceof Date);
    assert.equal(pods.metadata?.resourceVersion, server.resourceVersion());
    const ns = await core.listNamespace();
    assert.deepEqual(ns.items.map((n) => n.metadata?.name).sort(), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    const slices = await kc.makeApiClient(DiscoveryV1Api).listEndpointSliceForAllNamespaces();
    assert.deepEqual(slices.items.map((s) => s.endpoints?.[0]?.addresses), [['10.244.0.5']]);
    const pols = await kc.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: 'default' });
    assert.deepEqual(pols.items[0]?.spec?.policyTypes, ['Ingress']);
  });

  it('KubernetesObjectApi (discovery-driven generic client): create, read, strategic/merge/apply patch, delete', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const svc: V1Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'gen', namespace: 'default' }, spec: { ports: [{ port: 80, name: 'http' }] } };
    const created = await objects.create(svc);
    assert.equal(created.spec?.clusterIP, '10.96.0.1');
    const patched = await objects.patch<V1Service>({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gen', namespace: 'default' }, spec: { ports: [{ port: 443, name: 'https' }] } }, undefined, undefined, undefined, undefined, PatchStrategy.StrategicMergePatch);
    assert.deepEqual(patched.spec?.ports?.map((p) => p.port), [80, 443]);
    const merged = await objects.patch<V1Service>({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gen', namespace: 'default', labels: { a: 'b' } } }, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);
    assert.equal(merged.metadata?.labels?.['a'], 'b');
    const applied = await objects.patch<V1Service>({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gen', namespace: 'default', labels: { c: 'd' } } }, undefined, undefined, 'podnet-test', true, PatchStrategy.ServerSideApply);
    assert.deepEqual(applied.metadata?.labels, { a: 'b', c: 'd' });
    const read = await objects.read<V1Service>({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gen', namespace: 'default' } });
    assert.equal(read.metadata?.resourceVersion, applied.metadata?.resourceVersion);
    await objects.delete({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gen', namespace: 'default' } });
    assert.equal(server.get('Service', 'gen'), undefined);
  });

  it('list, then watch from its resourceVersion: create/update/delete arrive in order, with increasing versions', async () => {
    server.create('Pod', pod('before'));
    const list = await core.listNamespacedPod({ namespace: 'default' });
    const rv = list.metadata?.resourceVersion ?? '';
    // A change between the list and the watch must be replayed from history.
    await core.createNamespacedPod({ namespace: 'default', body: pod('p1') as V1Pod });
    const w = await recordWatch(kc, '/api/v1/namespaces/default/pods', { resourceVersion: rv });
    await eventually(() => (w.seen.length >= 1 ? true : undefined), 5000, 'replayed ADDED');
    const current = await core.readNamespacedPod({ namespace: 'default', name: 'p1' });
    current.metadata = { ...current.metadata, labels: { step: 'two' } };
    await core.replaceNamespacedPod({ namespace: 'default', name: 'p1', body: current });
    await core.deleteNamespacedPod({ namespace: 'default', name: 'p1' });
    await eventually(() => (w.seen.length >= 3 ? true : undefined), 5000, 'three events');
    w.abort();
    assert.deepEqual(w.seen.map((s) => [s.type, s.name]), [['ADDED', 'p1'], ['MODIFIED', 'p1'], ['DELETED', 'p1']]);
    const rvs = w.seen.map((s) => s.rv);
    assert.ok(rvs.every((v, i) => i === 0 || v > (rvs[i - 1] ?? 0)), `versions not increasing: ${rvs.join(',')}`);
    assert.ok((rvs[0] ?? 0) > Number(rv));
  });

  it('sends BOOKMARK events with the current resourceVersion when allowWatchBookmarks=true', async () => {
    const w = await recordWatch(kc, '/api/v1/nodes', { resourceVersion: server.resourceVersion(), allowWatchBookmarks: true });
    server.create('Namespace', { metadata: { name: 'later' } }); // not a node: only moves the version
    const bm = await eventually(() => w.seen.find((s) => s.type === 'BOOKMARK' && s.rv === Number(server.resourceVersion())), 5000, 'bookmark');
    w.abort();
    assert.equal(bm.rv, Number(server.resourceVersion()));
    assert.equal(w.seen.filter((s) => s.type !== 'BOOKMARK').length, 0);
  });

  it('a watch from a compacted resourceVersion gets an ERROR event with a 410 Expired Status, then the stream ends', async () => {
    const old = server.resourceVersion();
    server.create('Pod', pod('x'));
    server.compact();
    const w = await recordWatch(kc, '/api/v1/namespaces/default/pods', { resourceVersion: old });
    await eventually(() => (w.done() !== 'open' ? true : undefined), 5000, 'stream end');
    assert.deepEqual(w.seen.map((s) => [s.type, s.code, s.reason]), [['ERROR', 410, 'Expired']]);
    assert.equal(w.done(), null);
    // The current version is still watchable after compaction.
    const ok = await recordWatch(kc, '/api/v1/namespaces/default/pods', { resourceVersion: server.resourceVersion() });
    server.create('Pod', pod('y'));
    await eventually(() => (ok.seen.length > 0 ? true : undefined), 5000, 'event after compaction');
    ok.abort();
    assert.deepEqual(ok.seen.map((s) => [s.type, s.name]), [['ADDED', 'y']]);
  });

  it('makeInformer syncs, follows changes, and recovers from a forced 410 by relisting', async () => {
    server.create('Pod', pod('a', { app: 'web' }));
    const informer = makeInformer<KubernetesObject>(kc, '/api/v1/namespaces/default/pods', () => core.listNamespacedPod({ namespace: 'default' }));
    const events: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (o) => events.push(`add ${o.metadata?.name ?? ''}`));
    informer.on('update', (o) => events.push(`update ${o.metadata?.name ?? ''}`));
    informer.on('delete', (o) => events.push(`delete ${o.metadata?.name ?? ''}`));
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      await eventually(() => (events.includes('add a') ? true : undefined), 5000, 'initial add');
      await eventually(() => (server.openWatches() === 1 ? true : undefined), 5000, 'informer watch open');
      server.create('Pod', pod('b'));
      server.patch('Pod', 'a', 'default', 'merge', { metadata: { labels: { app: 'api' } } });
      await eventually(() => (events.includes('update a') ? true : undefined), 5000, 'live update');

      // Drop the watch, change things while it is down, and compact the history:
      // the informer's resume version is gone, so it must get 410 and relist.
      server.endWatches();
      server.delete('Pod', 'b');
      server.create('Pod', pod('c'));
      server.compact();
      await eventually(() => (events.includes('delete b') && events.includes('add c') ? true : undefined), 10_000, 'relist after 410');
      assert.deepEqual(informer.list().map((o) => o.metadata?.name).sort(), ['a', 'c']);
      assert.deepEqual(errors, []);
      // And it keeps watching after the relist.
      await eventually(() => (server.openWatches() === 1 ? true : undefined), 5000, 'informer watch reopened');
      server.create('Pod', pod('d'));
      await eventually(() => (events.includes('add d') ? true : undefined), 5000, 'add after relist');
    } finally {
      await informer.stop();
    }
    assert.deepEqual(events, ['add a', 'add b', 'update a', 'delete b', 'add c', 'add d']);
  });
});
