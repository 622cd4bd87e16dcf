// The in-process API the lab uses: typed create/get/update/updateStatus/
// patch/delete/list and watch, sharing the store, the version counter and the
// watch events with HTTP clients; returned objects are copies; errors are
// ApiErrors; close() removes the temporary kubeconfig.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, startApiServer, type ApiServer, type WatchEvent } from '../../../../src/lab/apiserver/index.ts';
import { at, call } from './http-client.ts';

describe('lab/apiserver: in-process API', () => {
  let server: ApiServer;
  beforeEach(async () => {
    server = await startApiServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('writes through the same store as HTTP, with one version counter, and hands out copies', async () => {
    const created = server.create('Pod', { metadata: { name: 'p', labels: { a: '1' } }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    assert.equal(at(created, 'metadata', 'namespace'), 'default');
    (created['metadata'] as Record<string, unknown>)['name'] = 'mutated';
    const viaHttp = await call(server.url, 'GET', '/api/v1/namespaces/default/pods/p');
    assert.equal(viaHttp.status, 200);
    assert.equal(at(viaHttp.body, 'metadata', 'resourceVersion'), server.resourceVersion());
    const got = server.get('Pod', 'p');
    assert.ok(got !== undefined);
    (got['metadata'] as Record<string, unknown>)['labels'] = { changed: 'yes' };
    assert.deepEqual(at(server.get('Pod', 'p'), 'metadata', 'labels'), { a: '1' });
    assert.equal(server.get('Pod', 'absent'), undefined);
    const updated = server.update('Pod', { ...server.get('Pod', 'p'), metadata: { name: 'p', labels: { a: '2' } } });
    assert.equal(Number(at(updated, 'metadata', 'resourceVersion')), Number(at(viaHttp.body, 'metadata', 'resourceVersion')) + 1);
    server.updateStatus('Pod', { metadata: { name: 'p' }, status: { phase: 'Running', podIP: '10.244.0.9' } });
    assert.equal(at(server.patch('Pod', 'p', 'default', 'strategic', { metadata: { labels: { b: '3' } } }), 'status', 'podIP'), '10.244.0.9');
    assert.deepEqual(server.list('Pod', { labelSelector: 'b=3' }).items.map((o) => at(o, 'metadata', 'name')), ['p']);
    assert.throws(() => server.create('Pod', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] } }), (e: unknown) => e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists');
    assert.throws(() => server.update('Pod', { metadata: { name: 'p', resourceVersion: '1' }, spec: { containers: [{ name: 'c', image: 'i' }] } }), (e: unknown) => e instanceof ApiError && e.reason === 'Conflict');
    server.delete('Pod', 'p');
    assert.throws(() => server.delete('Pod', 'p'), (e: unknown) => e instanceof ApiError && e.code === 404);
  });

  it('watch: current objects first, then changes from HTTP and in-process writers; history replay; 410 after compaction', async () => {
    server.create('Node', { metadata: { name: 'n1' } });
    const seen: WatchEvent[] = [];
    const cancel = server.watch('Node', {}, (ev) => seen.push(ev));
    await call(server.url, 'POST', '/api/v1/nodes', { metadata: { name: 'n2' } });
    server.patch('Node', 'n1', undefined, 'merge', { spec: { podCIDR: '10.244.1.0/24' } });
    server.delete('Node', 'n2');
    cancel();
    server.create('Node', { metadata: { name: 'n3' } });
    assert.deepEqual(seen.map((e) => [e.type, at(e.object, 'metadata', 'name')]), [['ADDED', 'n1'], ['ADDED', 'n2'], ['MODIFIED', 'n1'], ['DELETED', 'n2']]);
    const from = at(seen[0]?.object, 'metadata', 'resourceVersion') as string;
    const replay: string[] = [];
    server.watch('Node', { resourceVersion: from, fieldSelector: 'metadata.name=n2' }, (ev) => replay.push(ev.type))();
    assert.deepEqual(replay, ['ADDED', 'DELETED']);
    server.compact();
    assert.throws(() => server.watch('Node', { resourceVersion: from }, () => {}), (e: unknown) => e instanceof ApiError && e.code === 410 && e.reason === 'Expired');
  });

  it('close() ends watches and removes the temporary kubeconfig', async () => {
    const s = await startApiServer();
    assert.ok(existsSync(s.kubeconfigPath));
    const res = await fetch(`${s.url}/api/v1/pods?watch=true`);
    assert.equal(res.status, 200);
    assert.equal(s.openWatches(), 1);
    const body = res.text();
    await s.close();
    assert.equal(await body, ''); // the stream ended cleanly
    assert.equal(s.openWatches(), 0);
    assert.equal(existsSync(s.kubeconfigPath), false);
  });

  it('also serves on a unix socket when asked, and removes it on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-apiserver-sock-'));
    const socketPath = join(dir, 'apiserver.sock');
    const s = await startApiServer({ socketPath });
    try {
      s.create('Node', { metadata: { name: 'via-socket' } });
      const body = await new Promise<string>((resolve, reject) => {
        const req = request({ socketPath, path: '/api/v1/nodes/via-socket', headers: { Accept: 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString('utf8')));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(at(JSON.parse(body) as unknown, 'metadata', 'name'), 'via-socket');
      assert.equal((await call(s.url, 'GET', '/api/v1/nodes/via-socket')).status, 200); // TCP still works
    } finally {
      await s.close();
    }
    assert.equal(existsSync(socketPath), false);
    rmSync(dir, { recursive: true, force: true });
  });
});
