// The reflector against a scripted transport on a fake clock: exact control of
// lists, watch events, 410s, failures and silence.
import assert from 'node:assert/strict';
import { FakeClock, flushMicrotasks } from '../../../src/runtime/clock.ts';
import type { ResourceEvent } from '../../../src/runtime/controller.ts';
import { Caches } from '../../../src/k8s/caches.ts';
import { apiError } from '../../../src/k8s/transport.ts';
import type { Transport, WatchHandlers } from '../../../src/k8s/transport.ts';
import { silentLogger } from '../../../src/obs/log.ts';

const pod = (name: string, rv: string, node = 'n1') => ({ metadata: { namespace: 'default', name, resourceVersion: rv }, spec: { nodeName: node } });

class ScriptedTransport implements Transport {
  lists: (() => unknown)[] = [];
  listCalls: string[] = [];
  watches: { query: Record<string, string>; h: WatchHandlers; aborted: boolean }[] = [];
  async getJson(path: string): Promise<unknown> {
    this.listCalls.push(path);
    const next = this.lists.shift();
    if (next === undefined) throw apiError(503, 'ServiceUnavailable', 'no scripted list');
    return next();
  }
  watch(_path: string, query: Record<string, string>, _idle: number, h: WatchHandlers): () => void {
    const w = { query, h, aborted: false };
    this.watches.push(w);
    return () => {
      if (!w.aborted) {
        w.aborted = true;
        h.onDone(null);
      }
    };
  }
  current() {
    const w = this.watches.at(-1);
    assert.ok(w !== undefined, 'a watch is open');
    return w;
  }
}

function setup() {
  const clock = new FakeClock();
  const t = new ScriptedTransport();
  const events: ResourceEvent[] = [];
  const caches = new Caches(['pods'], t, { clock, log: silentLogger(), random: () => 0, staleAfterMs: 120_000, watchTimeoutS: 60, backoff: { initialMs: 1000 } });
  caches.onEvent((e) => events.push(e));
  return { clock, t, events, caches, pods: caches.reader('pods') };
}

describe('k8s reflector (scripted transport, fake clock)', () => {
  it('lists, then watches from the list version with bookmarks and a server timeout', async () => {
    const { t, caches, pods } = setup();
    t.lists.push(() => ({ metadata: { resourceVersion: '10' }, items: [pod('a', '5'), pod('b', '9')] }));
    caches.start();
    await caches.waitForSync(1000);
    await flushMicrotasks();
    assert.deepEqual(pods.list().map((p) => p.metadata?.name).sort(), ['a', 'b']);
    assert.deepEqual(t.current().query, { resourceVersion: '10', allowWatchBookmarks: 'true', timeoutSeconds: '60' });
    await caches.stop();
  });

  it('applies ADDED/MODIFIED/DELETED in order and tracks the version, bookmarks included', async () => {
    const { t, caches, pods, events } = setup();
    t.lists.push(() => ({ metadata: { resourceVersion: '10' }, items: [pod('a', '5')] }));
    caches.start();
    await caches.waitForSync(1000);
    await flushMicrotasks();
    const w = t.current();
    w.h.onOpen();
    w.h.onEvent({ type: 'ADDED', object: pod('c', '11') });
    w.h.onEvent({ type: 'MODIFIED', object: pod('a', '12', 'n2') });
    w.h.onEvent({ type: 'DELETED', object: pod('c', '13') });
    w.h.onEvent({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '20' } } });
    assert.deepEqual(events.map((e) => `${e.type} ${e.key}`), ['relisted ', 'added default/c', 'modified default/a', 'deleted default/c']);
    assert.equal(pods.get('default/a')?.spec?.nodeName, 'n2');
    assert.equal(pods.get('default/c'), undefined);
    // The server ends the watch: it is reopened from the bookmark's version, no relist.
    w.h.onDone(null);
    await flushMicrotasks();
    assert.equal(t.watches.length, 2);
    assert.equal(t.current().query['resourceVersion'], '20');
    assert.equal(t.listCalls.length, 1);
    await caches.stop();
  });

  it('on 410 Gone relists and swaps the store without emptying it, emitting one relisted event', async () => {
    const { t, caches, pods, events } = setup();
    t.lists.push(() => ({ metadata: { resourceVersion: '10' }, items: [pod('a', '5'), pod('b', '6')] }));
    caches.start();
    await caches.waitForSync(1000);
    await flushMicrotasks();
    let sizeDuringRelist = -1;
    t.lists.push(() => {
      sizeDuringRelist = pods.size();
      return { metadata: { resourceVersion: '50' }, items: [pod('b', '40'), pod('d', '45')] };
    });
    t.current().h.onEvent({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } });
    await flushMicrotasks();
    assert.equal(sizeDuringRelist, 2, 'the cache still held its objects while relisting');
    assert.deepEqual(pods.list().map((p) => p.metadata?.name).sort(), ['b', 'd']);
    assert.equal(events.at(-1)?.type, 'relisted');
    assert.equal(t.current().query['resourceVersion'], '50');
    await caches.stop();
  });

  it('also relists on an HTTP 410 answer to the watch request', async () => {
    const { t, caches } = setup();
    t.lists.push(() => ({ metadata: { resourceVersion: '10' }, items: [] }));
    caches.start();
    await caches.waitForSync(1000);
    await flushMicrotasks();
    t.lists.push(() => ({ metadata: { resourceVersion: '99' }, items: [] }));
    t.current().h.onDone(apiError(410, 'Expired', 'gone'));
    await flushMicrotasks();
    assert.equal(t.listCalls.length, 2);
    assert.equal(t.current().query['resourceVersion'], '99');
    await caches.stop();
  });

  it('reopens a failed watch after a growing backoff, keeping the cache', async () => {
    const { clock, t, caches, pods } = setup();
    t.lists.push(() => ({ metadata: { resourceVersion: '10' }, items: [pod('a', '5')] }));
    caches.start();
    await caches.waitForSync(1000);
    await flushMicrotasks();
    t.current().h.onDone(new Error('connection reset'));
    await clock.advance(999);
    assert.equal(t.watches.length, 1);
    await clock.advance(1);
    assert.equal(t.watches.length, 2);
    t.current().h.onDone(new Error('ECONNREFUSED'));
    await clock.advance(1999);
    assert.equal(t.watches.length, 2);
    await clock.advance(1);
    assert.equal(t.watches.length, 3);
    assert.equal(t.current().query['resourceVersion'], '10');
    assert.equal(pods.size(), 1);
    await caches.stop();
  });

  it('is stale when the API server is silent past the limit, fresh again when heard', async () => {
    const { clock, t, caches } = setup();
    t.lists.push(() => ({ metadata: { resourceVersion: '10' }, items: [] }));
    caches.start();
    await caches.waitForSync(1000);
    await flushMicrotasks();
    assert.equal(caches.problem(['pods']), null);
    await clock.advance(120_001);
    assert.match(caches.problem(['pods']) ?? '', /cache pods: no word from the API server for 120 s \(limit 120 s\)/);
    assert.equal(caches.problem(['nodes']), null, 'caches not started are not judged');
    t.current().h.onEvent({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '11' } } });
    assert.equal(caches.problem(['pods']), null);
    await caches.stop();
  });

  it('waitForSync fails after the timeout naming the cache and its error', async () => {
    const { clock, caches } = setup();
    caches.start();
    const p = caches.waitForSync(5000);
    const check = assert.rejects(p, /caches not synced after 5 s: pods \(.*no scripted list\)/);
    await clock.advance(5000);
    await check;
    await caches.stop();
  });
});
