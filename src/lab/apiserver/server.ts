// The embedded API server object: an HTTP listener on loopback serving the
// routes of router.ts over one Resources/Store, the kubeconfig it writes, and
// the in-process API the lab uses (the same create/update/delete semantics
// and the same watch events as over HTTP).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Json, JsonObject, KindName } from './kinds.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { Resources, type ListOptions, type ListResult, type PatchType } from './resources.ts';
import { route } from './router.ts';
import { Store } from './store.ts';
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

/** Starts the server, writes the kubeconfig, and resolves once it is listening. */
export async function startApiServer(opts: ApiServerOptions = {}): Promise<ApiServer> {
  const store = new Store(opts.historyLimit ?? 1000);
  const resources = new Resources(store);
  const watches = new WatchRegistry();
  const host = opts.host ?? '127.0.0.1';
  let address = '';
  const server: Server = createServer((req, res) => {
    void route(req, res, { resources, watches, serverAddress: () => address, bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 5000 });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const url = `http://${address}`;
  const kubeconfigPath = writeKubeconfig(url, opts.kubeconfigPath);
  let closed: Promise<void> | undefined;

  return {
    url,
    kubeconfigPath,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        watches.endAll();
        server.close(() => resolve());
        server.closeAllConnections();
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
  };
}
