// Acceptance: API semantics over HTTP: label and field selectors, generateName,
// the three patch types and server-side apply, status subresources,
// resourceVersion rules for list (0 / NotOlderThan / Exact rebuilt from
// history), limit/continue, watch selector transitions and sendInitialEvents,
// finalizers + deletionTimestamp, namespace cascade, ClusterIP allocation, and
// server-side Tables.
import assert from 'node:assert/strict';
import { startApiServer, type ApiServer } from '../../../../src/lab/apiserver/index.ts';
import { at, call, names, type Reply } from './http-client.ts';
import { eventually } from './kubectl-harness.ts';

const pods = '/api/v1/namespaces/default/pods';
const pod = (name: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'img' }], ...spec },
});

const npDoc = (app: string): string => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np}\nspec: {podSelector: {matchLabels: {app: ${app}}}}\n`;

/** Collects a raw watch stream's events until `count` arrived, then aborts it. */
async function watchEvents(url: string, count: number): Promise<{ type: string; object: Record<string, unknown> }[]> {
  const ctl = new AbortController();
  const res = await fetch(url, { signal: ctl.signal });
  const out: { type: string; object: Record<string, unknown> }[] = [];
  let buf = '';
  const timer = setTimeout(() => ctl.abort(), 5000);
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      buf += Buffer.from(chunk).toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        out.push(JSON.parse(buf.slice(0, nl)) as { type: string; object: Record<string, unknown> });
        buf = buf.slice(nl + 1);
      }
      if (out.length >= count) break;
    }
  } catch {
    // aborted on timeout: return what arrived
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
  return out;
}

describe('lab/apiserver: API semantics', () => {
  let server: ApiServer;
  const api = (method: string, path: string, body?: unknown, type?: string, headers?: Record<string, string>): Promise<Reply> =>
    call(server.url, method, path, body, type, headers);

  beforeEach(async () => {
    server = await startApiServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('label selectors: =, ==, !=, in, notin, exists, !exists, and combinations', async () => {
    await api('POST', pods, pod('a', { app: 'web', tier: 'front' }));
    await api('POST', pods, pod('b', { app: 'web', tier: 'back' }));
    await api('POST', pods, pod('c', { app: 'db' }));
    await api('POST', pods, pod('d'));
    const sel = async (s: string): Promise<string[]> => names((await api('GET', `${pods}?labelSelector=${encodeURIComponent(s)}`)).body);
    assert.deepEqual(await sel('app=web'), ['a', 'b']);
    assert.deepEqual(await sel('app==db'), ['c']);
    assert.deepEqual(await sel('app!=web'), ['c', 'd']);
    assert.deepEqual(await sel('tier in (front, side)'), ['a']);
    assert.deepEqual(await sel('app notin (web)'), ['c', 'd']);
    assert.deepEqual(await sel('tier'), ['a', 'b']);
    assert.deepEqual(await sel('!tier'), ['c', 'd']);
    assert.deepEqual(await sel('app=web,tier!=front'), ['b']);
    assert.deepEqual(await sel('app in (web,db),!tier'), ['c']);
    assert.deepEqual(await sel(''), ['a', 'b', 'c', 'd']);
  });

  it('field selectors: metadata.name, metadata.namespace, spec.nodeName, status.phase, != and escapes', async () => {
    await api('POST', pods, pod('a', {}, { nodeName: 'node-1' }));
    await api('POST', pods, pod('b', {}, { nodeName: 'node-2' }));
    await api('POST', '/api/v1/namespaces', { metadata: { name: 'other' } });
    await api('POST', '/api/v1/namespaces/other/pods', pod('c', {}, { nodeName: 'node-1' }));
    const sel = async (s: string, path = '/api/v1/pods'): Promise<string[]> => names((await api('GET', `${path}?fieldSelector=${encodeURIComponent(s)}`)).body);
    assert.deepEqual(await sel('spec.nodeName=node-1'), ['a', 'c']);
    assert.deepEqual(await sel('spec.nodeName!=node-1'), ['b']);
    assert.deepEqual(await sel('metadata.name=b'), ['b']);
    assert.deepEqual(await sel('metadata.namespace=other'), ['c']);
    assert.deepEqual(await sel('spec.nodeName=node-1,metadata.namespace==default'), ['a']);
    assert.deepEqual(await sel('status.phase=Pending'), ['a', 'b', 'c']);
    assert.deepEqual(await sel('metadata.name=a\\,b'), []);
    assert.deepEqual(await sel('metadata.name=other', '/api/v1/namespaces'), ['other']);
  });

  it('generateName: unique names with the prefix and a 5-character suffix', async () => {
    const body = { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'web-' }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const a = String(at((await api('POST', pods, body)).body, 'metadata', 'name'));
    const b = String(at((await api('POST', pods, body)).body, 'metadata', 'name'));
    assert.match(a, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.match(b, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.notEqual(a, b);
    assert.equal((await api('GET', `${pods}/${a}`)).status, 200);
  });

  it('create fills uid, creationTimestamp, resourceVersion from one global counter, and defaults', async () => {
    const a = await api('POST', pods, pod('a'));
    const n = await api('POST', '/api/v1/nodes', { metadata: { name: 'n1' } });
    const rvA = Number(at(a.body, 'metadata', 'resourceVersion'));
    const rvN = Number(at(n.body, 'metadata', 'resourceVersion'));
    assert.equal(rvN, rvA + 1);
    assert.match(String(at(a.body, 'metadata', 'uid')), /^[0-9a-f-]{36}$/);
    assert.match(String(at(a.body, 'metadata', 'creationTimestamp')), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(at(a.body, 'status', 'phase'), 'Pending');
    assert.equal(at(n.body, 'metadata', 'namespace'), undefined);
    const ns = await api('GET', '/api/v1/namespaces/default');
    assert.equal(at(ns.body, 'status', 'phase'), 'Active');
    assert.equal(at(ns.body, 'metadata', 'labels', 'kubernetes.io/metadata.name'), 'default');
    assert.equal((await api('GET', '/api/v1/namespaces/kube-system')).status, 200);
    // A namespace in the body of a cluster-scoped object is dropped (found by the fuzz test).
    const p = await api('PATCH', '/api/v1/nodes/n1', { metadata: { namespace: 'default', labels: { x: 'y' } } }, 'application/merge-patch+json');
    assert.equal(p.status, 200, p.text);
    assert.equal(at(p.body, 'metadata', 'namespace'), undefined);
    assert.equal(at((await api('GET', '/api/v1/nodes/n1')).body, 'metadata', 'labels', 'x'), 'y');
  });

  it('merge patch: adds, replaces and (null) removes; json patch: add/replace/remove/move/copy/test', async () => {
    await api('POST', pods, pod('p', { a: '1', b: '2' }));
    let r = await api('PATCH', `${pods}/p`, { metadata: { labels: { a: null, c: '3' } }, spec: { containers: [{ name: 'x', image: 'y' }] } }, 'application/merge-patch+json');
    assert.equal(r.status, 200);
    assert.deepEqual(at(r.body, 'metadata', 'labels'), { b: '2', c: '3' });
    assert.deepEqual(at(r.body, 'spec', 'containers'), [{ name: 'x', image: 'y' }]); // merge patch replaces lists
    r = await api('PATCH', `${pods}/p`, [
      { op: 'add', path: '/metadata/labels/d', value: '4' },
      { op: 'replace', path: '/metadata/labels/b', value: '20' },
      { op: 'remove', path: '/metadata/labels/c' },
      { op: 'copy', from: '/metadata/labels/d', path: '/metadata/labels/e' },
      { op: 'move', from: '/metadata/labels/d', path: '/metadata/labels/f' },
      { op: 'add', path: '/spec/containers/-', value: { name: 'z', image: 'w' } },
      { op: 'test', path: '/spec/containers/1/name', value: 'z' },
      { op: 'add', path: '/metadata/annotations', value: { 'podnet.io/k': 'x' } },
      { op: 'replace', path: '/metadata/annotations/podnet.io~1k', value: 'y' },
    ], 'application/json-patch+json');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(at(r.body, 'metadata', 'labels'), { b: '20', e: '4', f: '4' });
    assert.deepEqual((at(r.body, 'spec', 'containers') as { name: string }[]).map((c) => c.name), ['x', 'z']);
    assert.deepEqual(at(r.body, 'metadata', 'annotations'), { 'podnet.io/k': 'y' });
  });

  it('strategic merge patch: containers and ports merge by key, $patch delete/replace, $setElementOrder, $deleteFromPrimitiveList', async () => {
    await api('POST', pods, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', finalizers: ['a.io/x', 'b.io/y'] },
      spec: { containers: [
        { name: 'app', image: 'app:1', ports: [{ containerPort: 80, name: 'http' }] },
        { name: 'side', image: 'side:1' },
      ] },
    });
    const smp = 'application/strategic-merge-patch+json';
    let r = await api('PATCH', `${pods}/p`, { spec: { containers: [{ name: 'app', image: 'app:2', ports: [{ containerPort: 443, name: 'https' }] }] } }, smp);
    assert.equal(r.status, 200, r.text);
    let cs = at(r.body, 'spec', 'containers') as { name: string; image: string; ports?: { containerPort: number }[] }[];
    assert.deepEqual(cs.map((c) => [c.name, c.image]), [['app', 'app:2'], ['side', 'side:1']]);
    assert.deepEqual(cs[0]?.ports?.map((p) => p.containerPort), [80, 443]);
    r = await api('PATCH', `${pods}/p`, {
      spec: {
        containers: [{ name: 'side', $patch: 'delete' }, { name: 'extra', image: 'e:1' }],
        '$setElementOrder/containers': [{ name: 'extra' }, { name: 'app' }],
      },
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a.io/x'], finalizers: ['c.io/z'] },
    }, smp);
    assert.equal(r.status, 200, r.text);
    cs = at(r.body, 'spec', 'containers') as typeof cs;
    assert.deepEqual(cs.map((c) => c.name), ['extra', 'app']);
    assert.deepEqual(at(r.body, 'metadata', 'finalizers'), ['b.io/y', 'c.io/z']);
    r = await api('PATCH', `${pods}/p`, { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'o:1' }] } }, smp);
    assert.deepEqual((at(r.body, 'spec', 'containers') as { name: string }[]).map((c) => c.name), ['only']);
    r = await api('PATCH', `${pods}/p`, { metadata: { labels: { $patch: 'replace', fresh: 'yes' } } }, smp);
    assert.deepEqual(at(r.body, 'metadata', 'labels'), { fresh: 'yes' });
    // Service ports merge by port; an unkeyed list (Endpoints subsets) is replaced.
    await api('POST', '/api/v1/namespaces/default/services', { metadata: { name: 's' }, spec: { ports: [{ port: 80, name: 'http' }, { port: 443, name: 'https' }] } });
    r = await api('PATCH', '/api/v1/namespaces/default/services/s', { spec: { ports: [{ port: 443, targetPort: 8443 }] } }, smp);
    assert.deepEqual((at(r.body, 'spec', 'ports') as { port: number; targetPort: number }[]).map((p) => [p.port, p.targetPort]), [[80, 80], [443, 8443]]);
    await api('POST', '/api/v1/namespaces/default/endpoints', { metadata: { name: 's' }, subsets: [{ addresses: [{ ip: '10.244.0.1' }] }, { addresses: [{ ip: '10.244.0.2' }] }] });
    r = await api('PATCH', '/api/v1/namespaces/default/endpoints/s', { subsets: [{ addresses: [{ ip: '10.244.0.3' }] }] }, smp);
    assert.deepEqual(at(r.body, 'subsets'), [{ addresses: [{ ip: '10.244.0.3' }] }]);
  });

  it('server-side apply (application/apply-patch+yaml) creates, then updates', async () => {
    const path = '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/np?fieldManager=test';
    let r = await api('PATCH', path, npDoc('web'), 'application/apply-patch+yaml');
    assert.equal(r.status, 201, r.text);
    r = await api('PATCH', path, npDoc('api'), 'application/apply-patch+yaml');
    assert.equal(r.status, 200);
    assert.equal(at(r.body, 'spec', 'podSelector', 'matchLabels', 'app'), 'api');
  });

  it('status subresource: PUT on the object keeps status, PUT/PATCH on /status changes only status', async () => {
    const created = await api('POST', pods, pod('p'));
    const withStatus = { ...created.body, status: { phase: 'Running', podIP: '10.244.1.7' } };
    let r = await api('PUT', `${pods}/p`, withStatus);
    assert.equal(at(r.body, 'status', 'phase'), 'Pending');
    r = await api('PUT', `${pods}/p/status`, { ...r.body, status: { phase: 'Running', podIP: '10.244.1.7' }, spec: { containers: [{ name: 'changed', image: 'x' }] } });
    assert.equal(r.status, 200, r.text);
    assert.equal(at(r.body, 'status', 'podIP'), '10.244.1.7');
    assert.equal(at(r.body, 'spec', 'containers', 0, 'name'), 'c');
    r = await api('PATCH', `${pods}/p/status`, { status: { podIPs: [{ ip: '10.244.1.7' }] } }, 'application/merge-patch+json');
    assert.deepEqual(at(r.body, 'status', 'podIPs'), [{ ip: '10.244.1.7' }]);
    assert.equal(at((await api('GET', `${pods}/p/status`)).body, 'status', 'phase'), 'Running');
    // Node status from the in-process API, as a kubelet would write it.
    server.create('Node', { metadata: { name: 'n1' } });
    server.updateStatus('Node', { metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '198.18.0.2' }] } });
    assert.equal(at(server.get('Node', 'n1'), 'status', 'addresses', 0, 'address'), '198.18.0.2');
  });

  it('no-op updates keep the resourceVersion and emit no event', async () => {
    const c = await api('POST', pods, pod('p', { a: '1' }));
    const r = await api('PATCH', `${pods}/p`, { metadata: { labels: { a: '1' } } }, 'application/merge-patch+json');
    assert.equal(at(r.body, 'metadata', 'resourceVersion'), at(c.body, 'metadata', 'resourceVersion'));
    assert.equal(server.resourceVersion(), at(c.body, 'metadata', 'resourceVersion'));
  });

  it('list resourceVersion rules: 0 and unset serve current, Exact rebuilds the past from history', async () => {
    await api('POST', pods, pod('a', { v: '1' }));
    const rv1 = server.resourceVersion();
    await api('PATCH', `${pods}/a`, { metadata: { labels: { v: '2' } } }, 'application/merge-patch+json');
    await api('POST', pods, pod('b'));
    const rv3 = server.resourceVersion();
    await api('DELETE', `${pods}/b`);
    const exact1 = await api('GET', `${pods}?resourceVersion=${rv1}&resourceVersionMatch=Exact`);
    assert.equal(at(exact1.body, 'metadata', 'resourceVersion'), rv1);
    assert.deepEqual(names(exact1.body), ['a']);
    assert.equal(at(exact1.body, 'items', 0, 'metadata', 'labels', 'v'), '1');
    const exact3 = await api('GET', `${pods}?resourceVersion=${rv3}&resourceVersionMatch=Exact`);
    assert.deepEqual(names(exact3.body), ['a', 'b']);
    for (const q of ['', '?resourceVersion=0', `?resourceVersion=${rv1}`, `?resourceVersion=${rv1}&resourceVersionMatch=NotOlderThan`]) {
      const r = await api('GET', `${pods}${q}`);
      assert.deepEqual(names(r.body), ['a'], q);
      assert.equal(at(r.body, 'metadata', 'resourceVersion'), server.resourceVersion(), q);
    }
  });

  it('limit/continue pages a consistent snapshot with remainingItemCount', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) await api('POST', pods, pod(n));
    const p1 = await api('GET', `${pods}?limit=2`);
    assert.deepEqual(names(p1.body), ['a', 'b']);
    assert.equal(at(p1.body, 'metadata', 'remainingItemCount'), 3);
    await api('DELETE', `${pods}/c`); // later pages still show the snapshot of page 1
    const p2 = await api('GET', `${pods}?limit=2&continue=${String(at(p1.body, 'metadata', 'continue'))}`);
    assert.deepEqual(names(p2.body), ['c', 'd']);
    const p3 = await api('GET', `${pods}?limit=2&continue=${String(at(p2.body, 'metadata', 'continue'))}`);
    assert.deepEqual(names(p3.body), ['e']);
    assert.equal(at(p3.body, 'metadata', 'continue'), undefined);
  });

  it('watch with a selector: leaving it is DELETED, entering it is ADDED; sendInitialEvents ends with an annotated BOOKMARK', async () => {
    await api('POST', pods, pod('a', { app: 'web' }));
    const rv = server.resourceVersion();
    const events = watchEvents(`${server.url}${pods}?watch=1&resourceVersion=${rv}&labelSelector=app%3Dweb`, 3);
    await api('PATCH', `${pods}/a`, { metadata: { labels: { app: 'db' } } }, 'application/merge-patch+json');
    await api('POST', pods, pod('b', { app: 'db' }));
    await api('PATCH', `${pods}/b`, { metadata: { labels: { app: 'web' } } }, 'application/merge-patch+json');
    await api('PATCH', `${pods}/b`, { metadata: { labels: { x: 'y' } } }, 'application/merge-patch+json');
    assert.deepEqual((await events).map((e) => [e.type, at(e.object, 'metadata', 'name')]), [['DELETED', 'a'], ['ADDED', 'b'], ['MODIFIED', 'b']]);
    const initial = await watchEvents(`${server.url}${pods}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`, 3);
    assert.deepEqual(initial.map((e) => [e.type, at(e.object, 'metadata', 'name')]), [['ADDED', 'a'], ['ADDED', 'b'], ['BOOKMARK', undefined]]);
    assert.equal(at(initial[2]?.object, 'metadata', 'annotations', 'k8s.io/initial-events-end'), 'true');
    assert.equal(at(initial[2]?.object, 'metadata', 'resourceVersion'), server.resourceVersion());
  });

  it('watch timeoutSeconds ends the stream cleanly; the legacy /watch/ path works', async () => {
    const t0 = Date.now();
    const r = await api('GET', `${pods}?watch=true&timeoutSeconds=1`);
    const took = Date.now() - t0;
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assert.ok(took >= 900 && took < 5000, `took ${took} ms`);
    await api('POST', pods, pod('w'));
    const legacy = await watchEvents(`${server.url}/api/v1/watch/namespaces/default/pods/w`, 1);
    assert.deepEqual(legacy.map((e) => [e.type, at(e.object, 'metadata', 'name')]), [['ADDED', 'w']]);
    // The server notices the client went away and forgets the watch.
    await eventually(() => (server.openWatches() === 0 ? true : undefined), 5000, 'watch closed on the server');
  });

  it('finalizers: delete sets deletionTimestamp; removing the last finalizer deletes', async () => {
    await api('POST', pods, { ...pod('p'), metadata: { name: 'p', finalizers: ['podnet.io/hold'] } });
    const d = await api('DELETE', `${pods}/p`);
    assert.equal(d.status, 200);
    const held = await api('GET', `${pods}/p`);
    assert.match(String(at(held.body, 'metadata', 'deletionTimestamp')), /Z$/);
    await api('PATCH', `${pods}/p`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal((await api('GET', `${pods}/p`)).status, 404);
  });

  it('deleting a namespace deletes its objects; deletecollection honours selectors', async () => {
    await api('POST', '/api/v1/namespaces', { metadata: { name: 'team' } });
    await api('POST', '/api/v1/namespaces/team/pods', pod('x'));
    await api('POST', '/api/v1/namespaces/team/services', { metadata: { name: 's' }, spec: {} });
    assert.equal((await api('DELETE', '/api/v1/namespaces/team')).status, 200);
    assert.deepEqual(names((await api('GET', '/api/v1/pods')).body), []);
    assert.deepEqual(names((await api('GET', '/api/v1/services')).body), []);
    for (const [n, l] of [['a', 'x'], ['b', 'y'], ['c', 'x']] as const) await api('POST', pods, pod(n, { l }));
    const r = await api('DELETE', `${pods}?labelSelector=l%3Dx`);
    assert.deepEqual(names(r.body), ['a', 'c']);
    assert.deepEqual(names((await api('GET', pods)).body), ['b']);
  });

  it('Services get unique ClusterIPs from 10.96.0.0/12; a taken IP is 422; NodePorts are allocated', async () => {
    const svcs = '/api/v1/namespaces/default/services';
    const a = await api('POST', svcs, { metadata: { name: 'a' }, spec: { ports: [{ port: 80 }] } });
    const b = await api('POST', svcs, { metadata: { name: 'b' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
    assert.equal(at(a.body, 'spec', 'clusterIP'), '10.96.0.1');
    assert.equal(at(b.body, 'spec', 'clusterIP'), '10.96.0.2');
    assert.deepEqual(at(a.body, 'spec', 'ports'), [{ protocol: 'TCP', port: 80, targetPort: 80 }]);
    assert.equal(at(b.body, 'spec', 'ports', 0, 'nodePort'), 30000);
    const dup = await api('POST', svcs, { metadata: { name: 'c' }, spec: { clusterIP: '10.96.0.1' } });
    assert.equal(dup.status, 422);
    const headless = await api('POST', svcs, { metadata: { name: 'h' }, spec: { clusterIP: 'None' } });
    assert.equal(at(headless.body, 'spec', 'clusterIP'), 'None');
    const imm = await api('PATCH', `${svcs}/a`, { spec: { clusterIP: '10.96.0.9' } }, 'application/merge-patch+json');
    assert.equal(imm.status, 422);
    // PUT without a ClusterIP keeps the allocated one; ExternalName Services never get one.
    const put = await api('PUT', `${svcs}/a`, { metadata: { name: 'a' }, spec: { ports: [{ port: 80 }] } });
    assert.equal(at(put.body, 'spec', 'clusterIP'), '10.96.0.1');
    const ext = await api('POST', svcs, { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'db.example.internal' } });
    const extRv = at(ext.body, 'metadata', 'resourceVersion');
    const extPut = await api('PUT', `${svcs}/ext`, ext.body);
    assert.equal(at(extPut.body, 'spec', 'clusterIP'), undefined);
    assert.equal(at(extPut.body, 'metadata', 'resourceVersion'), extRv); // nothing changed
  });

  it('serves meta.k8s.io Tables for list and get when asked (kubectl get -w covers watch)', async () => {
    await api('POST', pods, pod('a', {}, { nodeName: 'n1' }));
    const accept = { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' };
    const t = await api('GET', pods, undefined, undefined, accept);
    assert.match(t.type, /as=Table/);
    assert.equal(t.body['kind'], 'Table');
    assert.deepEqual((t.body['columnDefinitions'] as { name: string }[]).map((c) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
    const cells = at(t.body, 'rows', 0, 'cells') as unknown[];
    assert.deepEqual([cells[0], cells[1], cells[2], cells[3], cells[6]], ['a', '0/1', 'Pending', 0, 'n1']);
    assert.equal(at(t.body, 'rows', 0, 'object', 'kind'), 'PartialObjectMetadata');
    const one = await api('GET', `${pods}/a?includeObject=Object`, undefined, undefined, accept);
    assert.equal(at(one.body, 'rows', 0, 'object', 'kind'), 'Pod');
    const plain = await api('GET', `${pods}/a`);
    assert.equal(plain.body['kind'], 'Pod');
  });

  it('serves discovery: /api, /apis, resource lists with status subresources, aggregated v2, openapi v3', async () => {
    assert.deepEqual((await api('GET', '/api')).body['versions'], ['v1']);
    const v1 = await api('GET', '/api/v1');
    const res = (v1.body['resources'] as { name: string; namespaced: boolean }[]).map((r) => `${r.name}:${String(r.namespaced)}`);
    assert.deepEqual(res, ['nodes:false', 'nodes/status:false', 'pods:true', 'pods/status:true', 'namespaces:false', 'namespaces/status:false', 'services:true', 'services/status:true', 'endpoints:true']);
    const groups = (await api('GET', '/apis')).body['groups'] as { name: string }[];
    assert.deepEqual(groups.map((g) => g.name), ['discovery.k8s.io', 'networking.k8s.io']);
    const agg = await api('GET', '/apis', undefined, undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    assert.match(agg.type, /as=APIGroupDiscoveryList/);
    assert.equal(at(agg.body, 'items', 1, 'versions', 0, 'resources', 0, 'resource'), 'networkpolicies');
    assert.equal((await api('GET', '/openapi/v3/apis/discovery.k8s.io/v1')).status, 200);
  });
});
