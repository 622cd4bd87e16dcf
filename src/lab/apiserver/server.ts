// The embedded API server object: an HTTP listener on loopback serving the
// routes of router.ts over one Resources/Store, the kubeconfig it writes, and
// the in-process API the lab uses (the same create/update/delete semantics
// and the same watch events as over HTTP).
import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { kindInfo, type Json, type JsonObject, type KindName } from './kinds.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { parseRv, Resources, type ListOptions, type ListResult, type PatchType } from './resources.ts';
import { objectFilter } from './selectors.ts';
import { route } from './router.ts';
import { Store, type WatchEvent, type WatchStart } from './store.ts';
import { WatchRegistry } from './watch.ts';
import { ApiError } from './errors.ts';

export interface ApiServerOptions {
  /** Listen address; default 127.0.0.1. */
  readonly host?: string;
  /** Listen port; default 0 (a random free port). */
  readonly port?: number;
  /** Where to write the kubeconfig; default a new temporary file. */
  readonly kubeconfigPath?: string;
  /** Change events kept for watch replay and Exact lists; default 1000. */
  readonly historyLimit?: number;
  /** Interval of BOOKMARK events on watches that allow them; default 5000 ms. */
  readonly bookmarkIntervalMs?: number;
  /**
   * Also serve the same API on this unix socket (a stale socket file is
   * replaced; the file is removed on close). Unix sockets are visible across
   * network namespaces, which is how lab nodes reach the server.
   */
  readonly socketPath?: string;
}

/** A Kubernetes object as plain JSON (what the API serves). */
export type KubeObject = JsonObject;

/** What the in-process API accepts: any JSON-serialisable object (e.g. a client-node V1Pod); it is copied as JSON. */
export type KubeObjectInput = object;

function toJson(obj: KubeObjectInput): JsonObject {
  const v: unknown = JSON.parse(JSON.stringify(obj));
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, 'BadRequest', 'the object must be a JSON object');
  return v as JsonObject;
}

/** Options of an in-process watch. */
export interface WatchOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Replay after this version ("" or "0": start with the current objects). */
  readonly resourceVersion?: string;
}

export interface ApiServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** A kubeconfig for kubectl / client-node pointing at `url` (context "podnet-lab", namespace default). */
  readonly kubeconfigPath: string;
  /** Ends open watches and stops listening. */
  close(): Promise<void>;
  /** Forgets all history: lists (Exact) and watches from an older resourceVersion now get 410 Expired. */
  compact(): void;
  /** The current global resourceVersion. */
  resourceVersion(): string;
  /** Creates an object (namespace from metadata.namespace, else "default"); throws ApiError. */
  create(kind: KindName, obj: KubeObjectInput, opts?: { readonly keepStatus?: boolean }): KubeObject;
  /** The object, or undefined when absent. */
  get(kind: KindName, name: string, namespace?: string): KubeObject | undefined;
  /** Replaces an object (409 when metadata.resourceVersion is set and stale); status is kept. */
  update(kind: KindName, obj: KubeObjectInput): KubeObject;
  /** Replaces only the status of an object (the status subresource). */
  updateStatus(kind: KindName, obj: KubeObjectInput): KubeObject;
  /** Patches an object; type: merge | strategic | json | apply. */
  patch(kind: KindName, name: string, namespace: string | undefined, type: PatchType, patch: unknown): KubeObject;
  /** Deletes an object (immediately unless it has metadata.finalizers); throws ApiError 404 when absent. */
  delete(kind: KindName, name: string, namespace?: string): KubeObject;
  /** Lists objects with the API's options (selectors, resourceVersion, limit/continue). */
  list(kind: KindName, opts?: ListOptions): ListResult;
  /** Open watch streams (for tests and diagnostics). */
  openWatches(): number;
  /**
   * Watches one kind in-process with the same events as the HTTP watch (ADDED /
   * MODIFIED / DELETED, selector transitions included). Without
   * resourceVersion it starts with one ADDED per existing object; with one, it
   * replays history after it (throws ApiError 410 when compacted). Returns the
   * cancel function.
   */
  watch(kind: KindName, opts: WatchOptions, onEvent: (ev: WatchEvent) => void): () => void;
  /** Ends every open watch stream (clients reconnect from their last resourceVersion), like an API server restart. */
  endWatches(): void;
}

function nsOf(obj: KubeObject): string {
  const m = obj['metadata'];
  const ns = m !== null && typeof m === 'object' && !Array.isArray(m) ? m['namespace'] : undefined;
  return typeof ns === 'string' && ns !== '' ? ns : 'default';
}

function nameOfObj(obj: KubeObject): string {
  const m = obj['metadata'];
  const n = m !== null && typeof m === 'object' && !Array.isArray(m) ? m['name'] : undefined;
  return typeof n === 'string' ? n : '';
}

function listen(server: Server, port: number | string, host?: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (typeof port === 'string') server.listen(port, done);
    else server.listen(port, host, done);
  });
}

/** Starts the server, writes the kubeconfig, and resolves once it is listening. */
export async function startApiServer(opts: ApiServerOptions = {}): Promise<ApiServer> {
  const store = new Store(opts.historyLimit ?? 1000);
  const resources = new Resources(store);
  const watches = new WatchRegistry();
  const host = opts.host ?? '127.0.0.1';
  let address = '';
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void route(req, res, { resources, watches, serverAddress: () => address, bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 5000 });
  };
  const server: Server = createServer(handler);
  server.keepAliveTimeout = 5000;
  await listen(server, opts.port ?? 0, host);
  let unixServer: Server | undefined;
  if (opts.socketPath !== undefined) {
    rmSync(opts.socketPath, { force: true });
    unixServer = createServer(handler);
    await listen(unixServer, opts.socketPath);
  }
  const port = (server.address() as AddressInfo).port;
  address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const url = `http://${address}`;
  const kubeconfig = writeKubeconfig(url, opts.kubeconfigPath);
  const kubeconfigPath = kubeconfig.path;
  let closed: Promise<void> | undefined;
  const inProcessWatches = new Set<() => void>();

  return {
    url,
    kubeconfigPath,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        watches.endAll();
        for (const cancel of inProcessWatches) cancel();
        const closing = [server, ...(unixServer !== undefined ? [unixServer] : [])].map(
          (srv) =>
            new Promise<void>((done) => {
              srv.close(() => done());
              srv.closeAllConnections();
            }),
        );
        void Promise.all(closing).then(() => {
          kubeconfig.cleanup();
          if (opts.socketPath !== undefined) rmSync(opts.socketPath, { force: true });
          resolve();
        });
      });
      return closed;
    },
    compact: () => store.compact(),
    resourceVersion: () => String(store.currentRv()),
    create(kind, obj, o) {
      const j = toJson(obj);
      return resources.create(kind, j, { namespace: nsOf(j), ...(o?.keepStatus ? { keepStatus: true } : {}) });
    },
    get(kind, name, namespace) {
      try {
        return resources.get(kind, namespace ?? 'default', name);
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) return undefined;
        throw err;
      }
    },
    update(kind, obj) {
      const j = toJson(obj);
      return resources.update(kind, nsOf(j), nameOfObj(j), j);
    },
    updateStatus(kind, obj) {
      const j = toJson(obj);
      return resources.update(kind, nsOf(j), nameOfObj(j), j, { subresource: 'status' });
    },
    patch: (kind, name, namespace, type, patch) => resources.patch(kind, namespace ?? 'default', name, type, JSON.parse(JSON.stringify(patch)) as Json),
    delete: (kind, name, namespace) => resources.delete(kind, namespace ?? 'default', name),
    list: (kind, o) => resources.list(kind, o),
    openWatches: () => watches.size,
    endWatches: () => watches.endAll(),
    watch(kind, o, onEvent) {
      const info = kindInfo(kind);
      const filter = objectFilter(info, o.labelSelector, o.fieldSelector);
      const rv = o.resourceVersion ?? '';
      const start: WatchStart = rv === '' || rv === '0' ? { from: 'current-state' } : { from: 'version', rv: parseRv(rv) };
      const namespace = info.namespaced && o.namespace !== undefined && o.namespace !== '' ? o.namespace : undefined;
      const stop = store.watch({ kind, namespace, filter, start, send: (ev) => onEvent({ type: ev.type, object: structuredClone(ev.object) }) });
      const cancel = (): void => {
        stop();
        inProcessWatches.delete(cancel);
      };
      inProcessWatches.add(cancel);
      return cancel;
    },
  };
}
