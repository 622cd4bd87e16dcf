// Acceptance: failures are Kubernetes Status objects (kind Status, apiVersion
// v1, status Failure, message, reason, code) with the right HTTP code and
// reason: 400 BadRequest, 403 Forbidden, 404 NotFound, 405 MethodNotAllowed,
// 409 AlreadyExists / Conflict, 410 Expired, 415, 422 Invalid, 504 for a
// future resourceVersion; and the server survives all of them.
import assert from 'node:assert/strict';
import { startApiServer, type ApiServer } from '../../../../src/lab/apiserver/index.ts';
import { at, call, type Reply } from './http-client.ts';

const pod = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'img' }] },
  ...extra,
});

const causes = (r: Reply): string[] => ((at(r.body, 'details', 'causes') as { field: string }[] | undefined) ?? []).map((c) => c.field);

function assertStatus(r: Reply, code: number, reason: string, message?: RegExp): void {
  assert.equal(r.status, code, r.text);
  assert.equal(r.body['kind'], 'Status');
  assert.equal(r.body['apiVersion'], 'v1');
  assert.equal(r.body['status'], 'Failure');
  assert.equal(r.body['code'], code);
  assert.equal(r.body['reason'], reason);
  assert.equal(typeof r.body['message'], 'string');
  if (message !== undefined) assert.match(String(r.body['message']), message);
}

describe('lab/apiserver: Status errors', () => {
  let server: ApiServer;
  const api = (method: string, path: string, body?: unknown, type?: string): Promise<Reply> => call(server.url, method, path, body, type);
  const pods = '/api/v1/namespaces/default/pods';

  beforeEach(async () => {
    server = await startApiServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('400 BadRequest: malformed JSON, empty body, bad selector, bad resourceVersion, bad patch', async () => {
    assertStatus(await api('POST', pods, '{"metadata": {'), 400, 'BadRequest');
    assertStatus(await api('POST', pods, ''), 400, 'BadRequest');
    assertStatus(await api('GET', `${pods}?labelSelector=${encodeURIComponent('a in (b')}`), 400, 'BadRequest');
    assertStatus(await api('GET', `${pods}?fieldSelector=spec.bogus%3Dx`), 400, 'BadRequest', /field label not supported: spec.bogus/);
    assertStatus(await api('GET', `${pods}?resourceVersion=abc`), 400, 'BadRequest');
    assertStatus(await api('GET', `${pods}?resourceVersion=0&resourceVersionMatch=Exact`), 400, 'BadRequest');
    await api('POST', pods, pod('p'));
    assertStatus(await api('PATCH', `${pods}/p`, '[{"op":"frobnicate","path":"/a"}]', 'application/json-patch+json'), 400, 'BadRequest');
    assertStatus(await api('PATCH', `${pods}/p`, '{"spec":', 'application/merge-patch+json'), 400, 'BadRequest');
    assertStatus(await api('PATCH', `${pods}/p`, 'metadata: {labels: {a: b}}', 'application/apply-patch+yaml'), 400, 'BadRequest', /fieldManager/);
    // A namespace in the body that differs from the URL's.
    assertStatus(await api('POST', pods, pod('q', { metadata: { name: 'q', namespace: 'kube-system' } })), 400, 'BadRequest');
  });

  it('404 NotFound: missing object, missing namespace, unknown resource and path', async () => {
    const r = await api('GET', `${pods}/nope`);
    assertStatus(r, 404, 'NotFound', /pods "nope" not found/);
    assert.equal(at(r.body, 'details', 'name'), 'nope');
    assert.equal(at(r.body, 'details', 'kind'), 'pods');
    assertStatus(await api('POST', '/api/v1/namespaces/ghost/pods', pod('p')), 404, 'NotFound', /namespaces "ghost" not found/);
    assertStatus(await api('GET', '/api/v1/namespaces/default/widgets'), 404, 'NotFound');
    assertStatus(await api('GET', '/apis/networking.k8s.io/v1/networkpolicies/x'), 404, 'NotFound'); // namespaced kind without a namespace
    assertStatus(await api('GET', '/api/v1/namespaces/default/nodes'), 404, 'NotFound'); // cluster-scoped kind under a namespace
    assertStatus(await api('GET', '/nothing/here'), 404, 'NotFound');
    assertStatus(await api('DELETE', `${pods}/nope`), 404, 'NotFound');
    assertStatus(await api('PATCH', `${pods}/nope`, '{}', 'application/merge-patch+json'), 404, 'NotFound');
    assertStatus(await api('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/x/status'), 404, 'NotFound');
  });

  it('403 Forbidden for deleting a system namespace; 405 MethodNotAllowed; 415 for an unknown patch type; 406 for protobuf-only Accept', async () => {
    assertStatus(await api('DELETE', '/api/v1/namespaces/default'), 403, 'Forbidden');
    assertStatus(await api('PUT', pods, pod('p')), 405, 'MethodNotAllowed');
    assertStatus(await api('POST', `${pods}/p`, pod('p')), 405, 'MethodNotAllowed');
    assertStatus(await api('POST', '/api/v1/pods', pod('p')), 405, 'MethodNotAllowed');
    await api('POST', pods, pod('p'));
    const r = await api('PATCH', `${pods}/p`, '{}', 'application/x-unknown');
    assert.equal(r.status, 415);
    assert.equal(r.body['reason'], 'UnsupportedMediaType');
    const proto = await call(server.url, 'GET', `${pods}/p`, undefined, undefined, { Accept: 'application/vnd.kubernetes.protobuf' });
    assertStatus(proto, 406, 'NotAcceptable');
    const either = await call(server.url, 'GET', `${pods}/p`, undefined, undefined, { Accept: 'application/vnd.kubernetes.protobuf, application/json' });
    assert.equal(either.status, 200);
    assert.equal(either.body['kind'], 'Pod');
  });

  it('409 AlreadyExists on a second create, 409 Conflict on a stale resourceVersion and failed preconditions', async () => {
    const created = await api('POST', pods, pod('p'));
    assert.equal(created.status, 201);
    assertStatus(await api('POST', pods, pod('p')), 409, 'AlreadyExists', /pods "p" already exists/);
    const stale = String(at(created.body, 'metadata', 'resourceVersion'));
    const upd = await api('PUT', `${pods}/p`, { ...created.body, metadata: { ...(created.body['metadata'] as object), labels: { a: '1' } } });
    assert.equal(upd.status, 200);
    assert.notEqual(at(upd.body, 'metadata', 'resourceVersion'), stale);
    const again = { ...created.body, metadata: { ...(created.body['metadata'] as object), labels: { a: '2' }, resourceVersion: stale } };
    assertStatus(await api('PUT', `${pods}/p`, again), 409, 'Conflict', /the object has been modified/);
    // A patch that carries a stale resourceVersion is a conflict too.
    assertStatus(await api('PATCH', `${pods}/p`, { metadata: { resourceVersion: stale } }, 'application/merge-patch+json'), 409, 'Conflict');
    // Delete preconditions.
    assertStatus(await api('DELETE', `${pods}/p`, { preconditions: { uid: 'not-the-uid' } }), 409, 'Conflict', /Precondition failed/);
    assertStatus(await api('DELETE', `${pods}/p`, { preconditions: { resourceVersion: stale } }), 409, 'Conflict');
    assert.equal((await api('GET', `${pods}/p`)).status, 200);
  });

  it('410 Expired for a list with resourceVersionMatch=Exact, a continue token, and a watch from a compacted version', async () => {
    await api('POST', pods, pod('a'));
    const old = server.resourceVersion();
    await api('POST', pods, pod('b'));
    const page = await api('GET', `${pods}?limit=1`);
    const token = String(at(page.body, 'metadata', 'continue'));
    assert.notEqual(token, 'undefined');
    await api('POST', pods, pod('c')); // the token's version is now in the past...
    server.compact(); // ...and forgotten
    assertStatus(await api('GET', `${pods}?resourceVersion=${old}&resourceVersionMatch=Exact`), 410, 'Expired');
    assertStatus(await api('GET', `${pods}?limit=1&continue=${token}`), 410, 'Expired');
    const w = await api('GET', `${pods}?watch=true&resourceVersion=${old}`);
    assert.equal(w.status, 200);
    const ev = JSON.parse(w.text.trim()) as { type: string; object: Record<string, unknown> };
    assert.equal(ev.type, 'ERROR');
    assert.equal(ev.object['kind'], 'Status');
    assert.equal(ev.object['code'], 410);
    assert.equal(ev.object['reason'], 'Expired');
    // NotOlderThan an old version is still served (from the current state).
    assert.equal((await api('GET', `${pods}?resourceVersion=${old}&resourceVersionMatch=NotOlderThan`)).status, 200);
  });

  it('504 Timeout for a resourceVersion newer than the server has', async () => {
    const future = String(Number(server.resourceVersion()) + 100);
    assertStatus(await api('GET', `${pods}?resourceVersion=${future}`), 504, 'Timeout', /Too large resource version/);
  });

  it('422 Invalid: missing name, wrong kind/apiVersion, name mismatch, bad names and labels, missing required fields', async () => {
    let r = await api('POST', pods, { apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { containers: [{ name: 'c', image: 'i' }] } });
    assertStatus(r, 422, 'Invalid');
    assert.deepEqual(causes(r), ['metadata.name']);
    r = await api('POST', pods, { ...pod('p'), kind: 'Service' });
    assertStatus(r, 422, 'Invalid');
    assert.deepEqual(causes(r), ['kind']);
    r = await api('POST', pods, { ...pod('p'), apiVersion: 'v2' });
    assertStatus(r, 422, 'Invalid');
    assert.deepEqual(causes(r), ['apiVersion']);
    assert.equal((await api('POST', pods, pod('p'))).status, 201);
    r = await api('PUT', `${pods}/p`, pod('other'));
    assertStatus(r, 422, 'Invalid', /does not match the name on the URL/);
    r = await api('POST', pods, pod('Bad_Name'));
    assertStatus(r, 422, 'Invalid', /RFC 1123 subdomain/);
    r = await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } });
    assertStatus(r, 422, 'Invalid', /RFC 1123 label/);
    r = await api('POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: '1svc' }, spec: {} });
    assertStatus(r, 422, 'Invalid', /DNS-1035/);
    r = await api('POST', pods, pod('q', { metadata: { name: 'q', labels: { 'bad key!': 'v', ok: 'not valid value!' } } }));
    assertStatus(r, 422, 'Invalid');
    assert.deepEqual(causes(r), ['metadata.labels', 'metadata.labels.ok']);
    r = await api('POST', pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q' }, spec: { containers: [] } });
    assertStatus(r, 422, 'Invalid');
    assert.deepEqual(causes(r), ['spec.containers']);
    r = await api('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', { metadata: { name: 's' }, endpoints: [] });
    assertStatus(r, 422, 'Invalid');
    assert.deepEqual(causes(r), ['addressType']);
    r = await api('POST', '/api/v1/nodes', { metadata: { name: 'n' }, spec: { podCIDR: '10.244.0.0/33' } });
    assertStatus(r, 422, 'Invalid');
    assert.deepEqual(causes(r), ['spec.podCIDR']);
    // A failed json-patch test op.
    r = await api('PATCH', `${pods}/p`, [{ op: 'test', path: '/metadata/name', value: 'x' }], 'application/json-patch+json');
    assertStatus(r, 422, 'Invalid');
  });

  it('keeps serving after every error above', async () => {
    await api('POST', pods, '{{{');
    await api('PATCH', `${pods}/x`, '[', 'application/json-patch+json');
    const v = await api('GET', '/version');
    assert.equal(v.status, 200);
    assert.equal(v.body['major'], '1');
  });
});
