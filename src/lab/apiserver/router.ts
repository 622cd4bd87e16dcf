// Request routing of the embedded API server: maps Kubernetes REST paths
// (/api/v1/..., /apis/<group>/<version>/..., namespaced and cluster-scoped,
// the status subresource, legacy /watch/ prefixes, discovery and /version)
// onto resources.ts, discovery.ts, tables.ts and watch.ts. Every handler is
// wrapped: any failure becomes a meta/v1 Status with the right code.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { aggregatedDoc, apiGroupDoc, apiGroupListDoc, apiVersionsDoc, resourceListDoc, versionDoc } from './discovery.ts';
import { ApiError, badRequest, methodNotAllowed } from './errors.ts';
import { openapiGroupVersion, openapiIndex } from './openapi.ts';
import { acceptsJson, decodeObjectBody, decodePatchBody, readBody, sendError, sendJson, wantsAggregated, wantsTable } from './http.ts';
import { apiVersionOf, kindByPlural, type Json, type JsonObject, type KindInfo } from './kinds.ts';
import { isObject } from './patch.ts';
import type { DeleteOptions, ListResult, Resources } from './resources.ts';
import { rvOf } from './store.ts';
import { toTable, type IncludeObject } from './tables.ts';
import { serveWatch, type WatchRegistry } from './watch.ts';

export interface RouterContext {
  readonly resources: Resources;
  readonly watches: WatchRegistry;
  readonly serverAddress: () => string;
  readonly bookmarkIntervalMs: number;
}

interface ResourcePath {
  readonly kind: KindInfo;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  readonly legacyWatch: boolean;
}

const notFoundPath = (path: string): ApiError => new ApiError(404, 'NotFound', `the server could not find the requested resource (${path})`);

/** Splits a REST path into its resource parts, or undefined when it is not a resource path. */
function parseResourcePath(segments: string[]): ResourcePath | 'unknown' | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1] ?? '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1] ?? '';
    version = segments[2] ?? '';
    rest = segments.slice(3);
  } else return undefined;
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural = '', name, subresource, ...extra] = rest;
  const kind = kindByPlural(group, version, plural);
  if (kind === undefined || extra.length > 0) return 'unknown';
  if (namespace !== undefined && !kind.namespaced) return 'unknown';
  if (kind.namespaced && namespace === undefined && name !== undefined) return 'unknown';
  return { kind, namespace, name, subresource, legacyWatch };
}

function listBody(kind: KindInfo, r: ListResult): JsonObject {
  const metadata: JsonObject = { resourceVersion: r.resourceVersion };
  if (r.continue !== undefined) metadata['continue'] = r.continue;
  if (r.remainingItemCount !== undefined) metadata['remainingItemCount'] = r.remainingItemCount;
  return { kind: `${kind.kind}List`, apiVersion: apiVersionOf(kind), metadata, items: r.items };
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw badRequest(`${name}: invalid value ${JSON.stringify(v)}`);
  return Number(v);
}

function deleteOptions(body: Json | undefined, q: URLSearchParams): DeleteOptions {
  const pre = isObject(body) && isObject(body['preconditions']) ? body['preconditions'] : {};
  const preconditions: { uid?: string; resourceVersion?: string } = {};
  if (typeof pre['uid'] === 'string') preconditions.uid = pre['uid'];
  if (typeof pre['resourceVersion'] === 'string') preconditions.resourceVersion = pre['resourceVersion'];
  const dryRun = q.getAll('dryRun').includes('All') || (isObject(body) && Array.isArray(body['dryRun']) && body['dryRun'].includes('All'));
  return { preconditions, dryRun };
}

async function serveResource(req: IncomingMessage, res: ServerResponse, ctx: RouterContext, p: ResourcePath, q: URLSearchParams): Promise<void> {
  const { kind, name } = p;
  const r = ctx.resources;
  const ns = p.namespace ?? '';
  const method = req.method ?? 'GET';
  const table = wantsTable(req.headers.accept);
  const include = (q.get('includeObject') ?? 'Metadata') as IncludeObject;
  const dryRun = q.getAll('dryRun').includes('All');
  const isWatch = p.legacyWatch || q.get('watch') === 'true' || q.get('watch') === '1';
  const reply = (code: number, o: JsonObject): void => {
    if (table !== undefined && method === 'GET') {
      const t = toTable(kind.kind, [o], { resourceVersion: rvOf(o) }, include);
      t['apiVersion'] = `meta.k8s.io/${table}`;
      sendJson(res, code, t, `application/json;as=Table;v=${table};g=meta.k8s.io`);
    } else sendJson(res, code, o);
  };

  if (p.subresource !== undefined) {
    if (p.subresource !== 'status' || !kind.hasStatus || name === undefined) throw notFoundPath(req.url ?? '');
    switch (method) {
      case 'GET':
        return reply(200, r.get(kind.kind, ns, name));
      case 'PUT':
        return reply(200, r.update(kind.kind, ns, name, decodeObjectBody(req.headers['content-type'], await readBody(req)), { subresource: 'status', dryRun }));
      case 'PATCH': {
        const { type, body } = decodePatchBody(req.headers['content-type'], await readBody(req));
        return reply(200, r.patch(kind.kind, ns, name, type, body, { subresource: 'status', dryRun }));
      }
      default:
        throw methodNotAllowed(method);
    }
  }

  if (name === undefined) {
    switch (method) {
      case 'GET': {
        if (isWatch) {
          serveWatch(res, r, kind, { namespace: p.namespace, name: undefined, query: q, table, bookmarkIntervalMs: ctx.bookmarkIntervalMs }, ctx.watches);
          return;
        }
        const result = r.list(kind.kind, {
          ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
          labelSelector: q.get('labelSelector') ?? '',
          fieldSelector: q.get('fieldSelector') ?? '',
          resourceVersion: q.get('resourceVersion') ?? '',
          resourceVersionMatch: q.get('resourceVersionMatch') ?? '',
          limit: intParam(q, 'limit') ?? 0,
          continue: q.get('continue') ?? '',
        });
        if (table !== undefined) {
          const meta: JsonObject = { resourceVersion: result.resourceVersion };
          if (result.continue !== undefined) meta['continue'] = result.continue;
          if (result.remainingItemCount !== undefined) meta['remainingItemCount'] = result.remainingItemCount;
          const t = toTable(kind.kind, result.items, meta, include);
          t['apiVersion'] = `meta.k8s.io/${table}`;
          return sendJson(res, 200, t, `application/json;as=Table;v=${table};g=meta.k8s.io`);
        }
        return sendJson(res, 200, listBody(kind, result));
      }
      case 'POST': {
        if (kind.namespaced && p.namespace === undefined) throw methodNotAllowed(method);
        const body = decodeObjectBody(req.headers['content-type'], await readBody(req));
        return sendJson(res, 201, r.create(kind.kind, body, { ...(p.namespace !== undefined ? { namespace: p.namespace } : {}), dryRun }));
      }
      case 'DELETE': {
        const items = r.deleteCollection(kind.kind, {
          ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
          labelSelector: q.get('labelSelector') ?? '',
          fieldSelector: q.get('fieldSelector') ?? '',
          dryRun,
        });
        return sendJson(res, 200, listBody(kind, { items, resourceVersion: String(r.store.currentRv()) }));
      }
      default:
        throw methodNotAllowed(method);
    }
  }

  switch (method) {
    case 'GET':
      if (isWatch) {
        serveWatch(res, r, kind, { namespace: p.namespace, name, query: q, table, bookmarkIntervalMs: ctx.bookmarkIntervalMs }, ctx.watches);
        return;
      }
      return reply(200, r.get(kind.kind, ns, name));
    case 'PUT':
      return reply(200, r.update(kind.kind, ns, name, decodeObjectBody(req.headers['content-type'], await readBody(req)), { dryRun }));
    case 'PATCH': {
      const { type, body } = decodePatchBody(req.headers['content-type'], await readBody(req));
      if (type === 'apply' && (q.get('fieldManager') ?? '') === '') throw badRequest('PATCH requests of type apply require a fieldManager query parameter');
      const existed = r.store.peek(kind.kind, kind.namespaced ? ns : '', name) !== undefined;
      const out = r.patch(kind.kind, ns, name, type, body, { dryRun });
      return reply(existed ? 200 : 201, out);
    }
    case 'DELETE': {
      const buf = await readBody(req);
      let body: Json | undefined;
      if (buf.length > 0) body = decodeObjectBody(req.headers['content-type'], buf);
      return reply(200, r.delete(kind.kind, ns, name, deleteOptions(body, q)));
    }
    default:
      throw methodNotAllowed(method);
  }
}

function serveDiscovery(req: IncomingMessage, res: ServerResponse, ctx: RouterContext, segments: string[]): boolean {
  if ((req.method ?? 'GET') !== 'GET') return false;
  const accept = req.headers.accept;
  const path = segments.join('/');
  const aggregated = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
  if (path === 'version') sendJson(res, 200, versionDoc());
  else if (path === 'healthz' || path === 'livez' || path === 'readyz') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
  } else if (path === '') {
    sendJson(res, 200, { paths: ['/api', '/api/v1', '/apis', ...apiGroupListPaths(), '/healthz', '/version'] });
  } else if (path === 'api') {
    if (wantsAggregated(accept)) sendJson(res, 200, aggregatedDoc(true), aggregated);
    else sendJson(res, 200, apiVersionsDoc(ctx.serverAddress()));
  } else if (path === 'apis') {
    if (wantsAggregated(accept)) sendJson(res, 200, aggregatedDoc(false), aggregated);
    else sendJson(res, 200, apiGroupListDoc());
  } else if (path === 'openapi/v3') {
    sendJson(res, 200, openapiIndex());
  } else if (segments[0] === 'openapi' && segments[1] === 'v3') {
    const doc = openapiGroupVersion(segments.slice(2).join('/'));
    if (doc === undefined) return false;
    sendJson(res, 200, doc);
  } else if (segments[0] === 'api' && segments.length === 2) {
    const doc = resourceListDoc('', segments[1] ?? '');
    if (doc === undefined) return false;
    sendJson(res, 200, doc);
  } else if (segments[0] === 'apis' && segments.length === 2) {
    const doc = apiGroupDoc(segments[1] ?? '');
    if (doc === undefined) return false;
    sendJson(res, 200, doc);
  } else if (segments[0] === 'apis' && segments.length === 3) {
    const doc = resourceListDoc(segments[1] ?? '', segments[2] ?? '');
    if (doc === undefined) return false;
    sendJson(res, 200, doc);
  } else return false;
  return true;
}

function apiGroupListPaths(): string[] {
  const groups = apiGroupListDoc()['groups'];
  const out: string[] = [];
  for (const g of Array.isArray(groups) ? groups : []) {
    if (isObject(g)) out.push(`/apis/${String(g['name'])}`, `/apis/${String(isObject(g['preferredVersion']) ? g['preferredVersion']['groupVersion'] : '')}`);
  }
  return out;
}

/** Handles one HTTP request; never throws (failures become Status responses). */
export async function route(req: IncomingMessage, res: ServerResponse, ctx: RouterContext): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://apiserver');
    const segments = url.pathname.split('/').filter((s) => s !== '').map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw badRequest(`malformed path segment ${JSON.stringify(s)}`);
      }
    });
    const p = parseResourcePath(segments);
    if (p === 'unknown') throw notFoundPath(url.pathname);
    if (p !== undefined) {
      // Responses are JSON only: a client that accepts nothing else (protobuf-only) gets 406.
      if (!acceptsJson(req.headers.accept)) {
        throw new ApiError(406, 'NotAcceptable', 'only application/json responses are served (and meta.k8s.io Tables)');
      }
      await serveResource(req, res, ctx, p, url.searchParams);
      return;
    }
    if (!serveDiscovery(req, res, ctx, segments)) throw notFoundPath(url.pathname);
  } catch (err) {
    sendError(res, err);
  }
}
