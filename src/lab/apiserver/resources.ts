// The resource semantics of the embedded API server, shared by the HTTP
// routes and the in-process API: create (generateName, uid,
// creationTimestamp, defaults, validation, namespace must exist), update with
// optimistic concurrency (409 on a stale resourceVersion), status
// subresources, patches, delete (immediate, or deletionTimestamp while
// metadata.finalizers remain), deletecollection, and list with the
// resourceVersion / resourceVersionMatch / limit / continue rules of the
// Kubernetes API ("Resource versions" and "Retrieving large results sets in
// chunks" in the API concepts). Storage and watch live in store.ts.
import { randomUUID } from 'node:crypto';
import { applyDefaults, type DefaultsContext } from './defaults.ts';
import { ApiError, alreadyExists, badRequest, conflict, expired, invalid, notFound } from './errors.ts';
import { apiVersionOf, kindInfo, type Json, type JsonObject, type KindInfo, type KindName } from './kinds.ts';
import { deepEqual, isObject, jsonPatch, mergePatch } from './patch.ts';
import { objectFilter } from './selectors.ts';
import { keyOf, nameOf, namespaceOf, rvOf, type Store } from './store.ts';
import { strategicMergePatch } from './strategic.ts';
import { validateObject } from './validation.ts';

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

export interface CreateOptions {
  /** Namespace from the URL (namespaced kinds); defaults to the body's, then "default". */
  readonly namespace?: string;
  readonly dryRun?: boolean;
  /** Keep a status given on create (Pods and Services otherwise start with a fresh status, like the real server). */
  readonly keepStatus?: boolean;
}

export interface UpdateOptions {
  readonly subresource?: 'status';
  readonly dryRun?: boolean;
}

export interface DeleteOptions {
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly dryRun?: boolean;
}

export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: string;
  readonly limit?: number;
  readonly continue?: string;
}

export interface ListResult {
  readonly items: JsonObject[];
  readonly resourceVersion: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export const nowTimestamp = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

function meta(o: JsonObject): JsonObject {
  return isObject(o['metadata']) ? o['metadata'] : {};
}

function withMeta(o: JsonObject, m: JsonObject): JsonObject {
  return { ...o, metadata: m };
}

/** Parses a resourceVersion parameter (400 when it is not a version this server issued). */
export function parseRv(s: string): number {
  if (!/^\d{1,15}$/.test(s)) throw badRequest(`invalid resource version "${s}"`);
  return Number(s);
}

export class Resources {
  readonly store: Store;

  constructor(store: Store) {
    this.store = store;
    for (const name of SYSTEM_NAMESPACES) this.create('Namespace', { metadata: { name } });
  }

  private ctx(kind: KindInfo, except: string | undefined): DefaultsContext {
    const usedClusterIPs = new Set<string>();
    const usedNodePorts = new Set<number>();
    if (kind.kind === 'Service') {
      for (const { key, object } of this.store.snapshot('Service')) {
        if (key === except) continue;
        const spec = isObject(object['spec']) ? object['spec'] : {};
        if (typeof spec['clusterIP'] === 'string') usedClusterIPs.add(spec['clusterIP']);
        for (const p of Array.isArray(spec['ports']) ? spec['ports'] : []) {
          if (isObject(p) && typeof p['nodePort'] === 'number') usedNodePorts.add(p['nodePort']);
        }
      }
    }
    return { usedClusterIPs, usedNodePorts };
  }

  /** Body -> object of `kind`: must be a JSON object; apiVersion/kind filled when absent. */
  private normalize(kind: KindInfo, body: Json): JsonObject {
    if (!isObject(body)) throw badRequest(`the body of the request must be a ${kind.kind} object`);
    return { ...body, apiVersion: body['apiVersion'] ?? apiVersionOf(kind), kind: body['kind'] ?? kind.kind };
  }

  private namespaceFor(kind: KindInfo, o: JsonObject, urlNamespace: string | undefined): string {
    if (!kind.namespaced) return '';
    const bodyNs = meta(o)['namespace'];
    if (urlNamespace !== undefined && typeof bodyNs === 'string' && bodyNs !== '' && bodyNs !== urlNamespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    return urlNamespace ?? (typeof bodyNs === 'string' && bodyNs !== '' ? bodyNs : 'default');
  }

  private checkServiceIP(kind: KindInfo, o: JsonObject, ctx: DefaultsContext): void {
    if (kind.kind !== 'Service') return;
    const ip = isObject(o['spec']) ? o['spec']['clusterIP'] : undefined;
    if (typeof ip === 'string' && ip !== '' && ip !== 'None' && ctx.usedClusterIPs.has(ip)) {
      throw invalid(kind.kind, kind.group, nameOf(o), [
        { reason: 'FieldValueInvalid', message: `Invalid value: "${ip}": provided IP is already allocated`, field: 'spec.clusterIP' },
      ]);
    }
  }

  create(kindName: KindName, body: Json, opts: CreateOptions = {}): JsonObject {
    const kind = kindInfo(kindName);
    let o = this.normalize(kind, body);
    const namespace = this.namespaceFor(kind, o, opts.namespace);
    const m: JsonObject = { ...meta(o) };
    if ((m['name'] === undefined || m['name'] === '') && typeof m['generateName'] === 'string' && m['generateName'] !== '') {
      let suffix = '';
      for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
      m['name'] = `${m['generateName']}${suffix}`;
    }
    if (kind.namespaced) m['namespace'] = namespace;
    else delete m['namespace'];
    m['uid'] = randomUUID();
    m['creationTimestamp'] = nowTimestamp();
    delete m['resourceVersion'];
    delete m['deletionTimestamp'];
    delete m['deletionGracePeriodSeconds'];
    delete m['managedFields'];
    delete m['selfLink'];
    o = withMeta(o, m);
    if (!opts.keepStatus && (kind.kind === 'Pod' || kind.kind === 'Service')) delete o['status'];
    const ctx = this.ctx(kind, undefined);
    this.checkServiceIP(kind, o, ctx);
    o = applyDefaults(kind, o, ctx);
    validateObject(kind, o);
    const name = nameOf(o);
    if (kind.namespaced && this.store.peek('Namespace', '', namespace) === undefined) throw notFound('namespaces', '', namespace);
    if (this.store.peek(kind.kind, namespace, name) !== undefined) throw alreadyExists(kind.plural, kind.group, name);
    if (opts.dryRun) return o;
    return this.store.commit(kind.kind, 'ADDED', o);
  }

  get(kindName: KindName, namespace: string, name: string): JsonObject {
    const kind = kindInfo(kindName);
    const o = this.store.peek(kind.kind, kind.namespaced ? namespace : '', name);
    if (o === undefined) throw notFound(kind.plural, kind.group, name);
    return structuredClone(o);
  }

  /** PUT: replaces the object (or only its status), 409 Conflict on a stale metadata.resourceVersion. */
  update(kindName: KindName, namespace: string, urlName: string | undefined, body: Json, opts: UpdateOptions = {}): JsonObject {
    const kind = kindInfo(kindName);
    if (opts.subresource === 'status' && !kind.hasStatus) {
      throw new ApiError(404, 'NotFound', `${kind.plural} have no status subresource`);
    }
    let o = this.normalize(kind, body);
    const ns = kind.namespaced ? this.namespaceFor(kind, o, namespace === '' ? undefined : namespace) : '';
    const name = nameOf(o);
    if (urlName !== undefined && name !== urlName) {
      throw invalid(kind.kind, kind.group, name, [
        { reason: 'FieldValueInvalid', message: `Invalid value: "${name}": the name of the object (${name}) does not match the name on the URL (${urlName})`, field: 'metadata.name' },
      ]);
    }
    const old = this.store.peek(kind.kind, ns, name);
    if (old === undefined) throw notFound(kind.plural, kind.group, name);
    const wantRv = meta(o)['resourceVersion'];
    if (typeof wantRv === 'string' && wantRv !== '' && wantRv !== rvOf(old)) {
      throw conflict(kind.plural, kind.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const oldMeta = meta(old);
    if (opts.subresource === 'status') {
      o = { ...old, status: o['status'] ?? null };
      if (o['status'] === null) delete o['status'];
    } else {
      const m: JsonObject = { ...meta(o) };
      for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'generateName']) {
        if (oldMeta[k] !== undefined) m[k] = oldMeta[k];
        else delete m[k];
      }
      if (kind.namespaced) m['namespace'] = ns;
      else delete m['namespace']; // cluster-scoped objects have none
      delete m['managedFields'];
      o = withMeta(o, m);
      if (kind.hasStatus) {
        if (old['status'] !== undefined) o['status'] = old['status'];
        else delete o['status'];
      }
    }
    o = withMeta(o, { ...meta(o), resourceVersion: rvOf(old) });
    if (kind.kind === 'Service') o = this.keepClusterIP(kind, o, old);
    const ctx = this.ctx(kind, keyOf(ns, name));
    this.checkServiceIP(kind, o, ctx);
    o = applyDefaults(kind, o, ctx);
    validateObject(kind, o);
    if (deepEqual(o, old)) return structuredClone(old); // no-op updates do not bump the version
    if (opts.dryRun) return o;
    const finalizers = meta(o)['finalizers'];
    if (meta(o)['deletionTimestamp'] !== undefined && (!Array.isArray(finalizers) || finalizers.length === 0)) {
      return this.store.commit(kind.kind, 'DELETED', o); // the last finalizer is gone: finish the delete
    }
    return this.store.commit(kind.kind, 'MODIFIED', o);
  }

  private keepClusterIP(kind: KindInfo, o: JsonObject, old: JsonObject): JsonObject {
    const spec = isObject(o['spec']) ? { ...o['spec'] } : {};
    const oldSpec = isObject(old['spec']) ? old['spec'] : {};
    if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') {
      // An update without a ClusterIP keeps the allocated one (ExternalName Services have none).
      if (oldSpec['clusterIP'] !== undefined) spec['clusterIP'] = oldSpec['clusterIP'];
      else delete spec['clusterIP'];
      if (spec['clusterIPs'] === undefined && oldSpec['clusterIPs'] !== undefined) spec['clusterIPs'] = oldSpec['clusterIPs'];
    } else if (oldSpec['clusterIP'] !== undefined && spec['clusterIP'] !== oldSpec['clusterIP']) {
      throw invalid(kind.kind, kind.group, nameOf(o), [
        { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(spec['clusterIP'])}: field is immutable`, field: 'spec.clusterIP' },
      ]);
    }
    return { ...o, spec };
  }

  /** PATCH: applies the patch to the current object and stores it as an update. Apply creates when absent. */
  patch(kindName: KindName, namespace: string, name: string, type: PatchType, body: Json, opts: UpdateOptions = {}): JsonObject {
    const kind = kindInfo(kindName);
    const ns = kind.namespaced ? namespace : '';
    const old = this.store.peek(kind.kind, ns, name);
    if (old === undefined) {
      if (type === 'apply' && opts.subresource === undefined) {
        return this.create(kind.kind, body, { namespace: ns, ...(opts.dryRun ? { dryRun: true } : {}) });
      }
      throw notFound(kind.plural, kind.group, name);
    }
    let patched: Json;
    switch (type) {
      case 'merge':
        if (!isObject(body)) throw badRequest('merge patch: the body must be a JSON object');
        patched = mergePatch(old, body);
        break;
      case 'json':
        patched = jsonPatch(old, body);
        break;
      case 'strategic':
      case 'apply':
        patched = strategicMergePatch(old, body, kind.lists);
        break;
    }
    return this.update(kind.kind, ns, name, patched, opts);
  }

  /** DELETE: removes at once; an object with metadata.finalizers only gets its deletionTimestamp. */
  delete(kindName: KindName, namespace: string, name: string, opts: DeleteOptions = {}): JsonObject {
    const kind = kindInfo(kindName);
    const ns = kind.namespaced ? namespace : '';
    const old = this.store.peek(kind.kind, ns, name);
    if (old === undefined) throw notFound(kind.plural, kind.group, name);
    const m = meta(old);
    const pre = opts.preconditions;
    if (pre?.uid !== undefined && pre.uid !== m['uid']) {
      throw conflict(kind.plural, kind.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(m['uid'])}`);
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== m['resourceVersion']) {
      throw conflict(kind.plural, kind.group, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(m['resourceVersion'])}`);
    }
    if (kind.kind === 'Namespace' && SYSTEM_NAMESPACES.includes(name)) {
      throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
    }
    if (opts.dryRun) return structuredClone(old);
    const finalizers = m['finalizers'];
    if (Array.isArray(finalizers) && finalizers.length > 0) {
      if (m['deletionTimestamp'] !== undefined) return structuredClone(old);
      return this.store.commit(kind.kind, 'MODIFIED', withMeta(old, { ...m, deletionTimestamp: nowTimestamp(), deletionGracePeriodSeconds: 0 }));
    }
    if (kind.kind === 'Namespace') {
      // Namespace deletion removes its contents first (the real server does this asynchronously while Terminating).
      for (const k of ['Pod', 'Service', 'Endpoints', 'EndpointSlice', 'NetworkPolicy'] as const) {
        for (const { object } of this.store.snapshot(k)) {
          if (namespaceOf(object) === name) this.store.commit(k, 'DELETED', object);
        }
      }
    }
    return this.store.commit(kind.kind, 'DELETED', old);
  }

  /** DELETE on a collection: deletes every object matching the selectors; returns them. */
  deleteCollection(kindName: KindName, opts: ListOptions & { readonly dryRun?: boolean }): JsonObject[] {
    const kind = kindInfo(kindName);
    const { items } = this.list(kind.kind, { ...opts, resourceVersion: '', limit: 0 });
    const out: JsonObject[] = [];
    for (const o of items) {
      if (kind.kind === 'Namespace' && SYSTEM_NAMESPACES.includes(nameOf(o))) continue;
      out.push(this.delete(kind.kind, namespaceOf(o), nameOf(o), opts.dryRun ? { dryRun: true } : {}));
    }
    return out;
  }

  /** LIST with the API's resourceVersion semantics; items are sorted by namespace/name. */
  list(kindName: KindName, opts: ListOptions = {}): ListResult {
    const kind = kindInfo(kindName);
    const filter = objectFilter(kind, opts.labelSelector, opts.fieldSelector);
    const rvParam = opts.resourceVersion ?? '';
    const match = opts.resourceVersionMatch ?? '';
    const current = this.store.currentRv();
    let atRv: number | undefined;
    let startAfter = '';
    if (opts.continue !== undefined && opts.continue !== '') {
      if (rvParam !== '' || match !== '') throw badRequest('specifying resource version is not allowed when using continue');
      const token = decodeContinue(opts.continue);
      if (token.rv < this.store.oldestRv()) {
        throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      atRv = token.rv;
      startAfter = token.start;
    } else if (match !== '') {
      if (match !== 'Exact' && match !== 'NotOlderThan') throw badRequest(`resourceVersionMatch: Unsupported value: "${match}"`);
      if (rvParam === '') throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
      if (match === 'Exact' && rvParam === '0') throw badRequest('resourceVersionMatch "Exact" is forbidden for resourceVersion "0"');
      const want = parseRv(rvParam);
      if (want > current) throw tooLarge(want, current);
      if (match === 'Exact') atRv = want;
    } else if (rvParam !== '' && rvParam !== '0') {
      const want = parseRv(rvParam);
      if (want > current) throw tooLarge(want, current);
    }
    const listRv = atRv ?? current;
    const cached = rvParam === '0' && match !== 'Exact';
    let items = this.store.snapshot(kind.kind, atRv).filter(({ key, object }) => {
      if (opts.namespace !== undefined && opts.namespace !== '' && namespaceOf(object) !== opts.namespace) return false;
      return key > startAfter && filter(object);
    });
    const limit = cached ? 0 : (opts.limit ?? 0);
    let cont: string | undefined;
    let remaining: number | undefined;
    if (limit > 0 && items.length > limit) {
      remaining = items.length - limit;
      items = items.slice(0, limit);
      cont = encodeContinue({ rv: listRv, start: items[items.length - 1]?.key ?? '' });
    }
    return {
      items: items.map(({ object }) => structuredClone(object)),
      resourceVersion: String(listRv),
      ...(cont !== undefined ? { continue: cont } : {}),
      ...(remaining !== undefined ? { remainingItemCount: remaining } : {}),
    };
  }
}

function tooLarge(want: number, current: number): ApiError {
  return new ApiError(504, 'Timeout', `Too large resource version: ${want}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version', field: '' }],
  });
}

function encodeContinue(t: { rv: number; start: string }): string {
  return Buffer.from(JSON.stringify({ v: 'podnet/1', rv: t.rv, start: t.start })).toString('base64url');
}

function decodeContinue(s: string): { rv: number; start: string } {
  try {
    const t: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (isObject(t as Json) && typeof (t as JsonObject)['rv'] === 'number' && typeof (t as JsonObject)['start'] === 'string') {
      return { rv: (t as JsonObject)['rv'] as number, start: (t as JsonObject)['start'] as string };
    }
  } catch {
    // fall through
  }
  throw badRequest('continue key is not valid');
}
