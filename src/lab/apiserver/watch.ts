// Watch streams over HTTP, as the real API server sends them: status 200, then
// one JSON WatchEvent per line ({"type","object"}), chunked. A watch from a
// compacted resourceVersion gets a single ERROR event carrying a 410 Expired
// Status and the stream ends (client-go and client-node's ListWatch then
// relist). BOOKMARK events when allowWatchBookmarks=true, sendInitialEvents
// (the WatchList protocol: synthetic ADDED events then a bookmark annotated
// k8s.io/initial-events-end), timeoutSeconds, and Table-encoded objects for
// `kubectl get -w`.
import type { ServerResponse } from 'node:http';
import { ApiError, badRequest, toApiError } from './errors.ts';
import { apiVersionOf, type JsonObject, type KindInfo } from './kinds.ts';
import { parseRv, type Resources } from './resources.ts';
import { objectFilter } from './selectors.ts';
import type { WatchEvent, WatchStart } from './store.ts';
import { toTable, type IncludeObject } from './tables.ts';

export interface WatchParams {
  readonly namespace: string | undefined;
  readonly name: string | undefined; // a watch on one object (fieldSelector metadata.name)
  readonly query: URLSearchParams;
  readonly table: string | undefined; // meta.k8s.io version when the client wants Table objects
  readonly bookmarkIntervalMs: number;
}

/** Open watch streams, so the server can end them on close(). */
export class WatchRegistry {
  private readonly open = new Set<() => void>();

  add(end: () => void): () => void {
    this.open.add(end);
    return () => this.open.delete(end);
  }

  endAll(): void {
    for (const end of this.open) end();
    this.open.clear();
  }

  get size(): number {
    return this.open.size;
  }
}

function startOf(q: URLSearchParams, current: number): { start: WatchStart; initialEventsEnd: boolean } {
  const rv = q.get('resourceVersion') ?? '';
  const sendInitial = q.get('sendInitialEvents');
  if (sendInitial === 'true') {
    // KEP-3157 WatchList: requires bookmarks and resourceVersionMatch=NotOlderThan.
    if (q.get('allowWatchBookmarks') !== 'true') throw badRequest('sendInitialEvents requires allowWatchBookmarks=true');
    if (q.get('resourceVersionMatch') !== 'NotOlderThan') throw badRequest('sendInitialEvents requires resourceVersionMatch=NotOlderThan');
    if (rv !== '' && rv !== '0' && parseRv(rv) > current) throw new ApiError(504, 'Timeout', `Too large resource version: ${rv}, current: ${current}`);
    return { start: { from: 'current-state' }, initialEventsEnd: true };
  }
  if (rv === '' || rv === '0') {
    return sendInitial === 'false' ? { start: { from: 'version', rv: current }, initialEventsEnd: false } : { start: { from: 'current-state' }, initialEventsEnd: false };
  }
  return { start: { from: 'version', rv: parseRv(rv) }, initialEventsEnd: false };
}

/** Serves one watch request until the client goes away, the timeout passes, or the server closes. */
export function serveWatch(res: ServerResponse, resources: Resources, kind: KindInfo, p: WatchParams, registry: WatchRegistry): void {
  const q = p.query;
  let fieldSelector = q.get('fieldSelector') ?? '';
  if (p.name !== undefined) fieldSelector = fieldSelector === '' ? `metadata.name=${p.name}` : `${fieldSelector},metadata.name=${p.name}`;
  const filter = objectFilter(kind, q.get('labelSelector') ?? undefined, fieldSelector);
  const store = resources.store;
  const { start, initialEventsEnd } = startOf(q, store.currentRv());
  const include = (q.get('includeObject') ?? 'Metadata') as IncludeObject;
  const contentType = p.table !== undefined ? `application/json;as=Table;v=${p.table};g=meta.k8s.io` : 'application/json';
  res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();

  const encode = (ev: WatchEvent): JsonObject => {
    if (p.table === undefined || ev.type === 'ERROR' || ev.type === 'BOOKMARK') return { type: ev.type, object: ev.object };
    const meta = ev.object['metadata'];
    const rv = meta !== null && typeof meta === 'object' && !Array.isArray(meta) ? (meta['resourceVersion'] ?? '') : '';
    const table = toTable(kind.kind, [ev.object], { resourceVersion: rv }, include);
    table['apiVersion'] = `meta.k8s.io/${p.table}`;
    return { type: ev.type, object: table };
  };
  const write = (ev: WatchEvent): void => {
    if (!res.writableEnded) res.write(`${JSON.stringify(encode(ev))}\n`);
  };
  const bookmark = (annotations?: Record<string, string>): void => {
    const metadata: JsonObject = { resourceVersion: String(store.currentRv()) };
    if (annotations !== undefined) metadata['annotations'] = annotations;
    write({ type: 'BOOKMARK', object: { kind: kind.kind, apiVersion: apiVersionOf(kind), metadata } });
  };

  let cancel: (() => void) | undefined;
  const timers: NodeJS.Timeout[] = [];
  let unregister: (() => void) | undefined;
  const end = (): void => {
    cancel?.();
    unregister?.();
    for (const t of timers) clearInterval(t);
    if (!res.writableEnded) res.end();
  };
  unregister = registry.add(end);
  res.on('close', end); // the client went away (or the response ended)

  try {
    cancel = store.watch({ kind: kind.kind, namespace: p.namespace, filter, start, send: write });
  } catch (err) {
    const e = toApiError(err);
    // client-node's ListWatch and client-go both treat an ERROR event with code 410 as "relist".
    write({ type: 'ERROR', object: e.toStatus() });
    end();
    return;
  }
  if (initialEventsEnd) bookmark({ 'k8s.io/initial-events-end': 'true' });
  if (q.get('allowWatchBookmarks') === 'true') timers.push(setInterval(() => bookmark(), p.bookmarkIntervalMs));
  const timeout = Number(q.get('timeoutSeconds') ?? '0');
  if (Number.isFinite(timeout) && timeout > 0) timers.push(setTimeout(end, timeout * 1000));
}
