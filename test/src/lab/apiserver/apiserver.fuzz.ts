// Fuzz: whatever a client sends (random JSON shaped like objects of each kind,
// random patches of every type, random selectors and resourceVersions), the
// API server answers with success or a client error (4xx ApiError), never an
// internal error, and its store stays consistent (list == get for every name).
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { ApiError } from '../../../../src/lab/apiserver/errors.ts';
import { allKinds, type Json, type KindName } from '../../../../src/lab/apiserver/kinds.ts';
import { Resources, type PatchType } from '../../../../src/lab/apiserver/resources.ts';
import { Store } from '../../../../src/lab/apiserver/store.ts';
import { parseFieldSelector, parseLabelSelector } from '../../../../src/lab/apiserver/selectors.ts';
import { startApiServer } from '../../../../src/lab/apiserver/index.ts';

const kindNames = allKinds.map((k) => k.kind);
const name = fc.constantFrom('a', 'b', 'web-1', 'Bad_Name', '', 'x.y');
const json: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;
const fieldish = fc.dictionary(
  fc.constantFrom('containers', 'ports', 'podCIDR', 'podCIDRs', 'selector', 'type', 'clusterIP', 'podSelector', 'policyTypes', 'egress', 'ingress', 'subsets', 'nodeName', 'finalizers'),
  json,
  { maxKeys: 4 },
);
const object = fc.record(
  {
    apiVersion: fc.constantFrom('v1', 'discovery.k8s.io/v1', 'networking.k8s.io/v1', 'v2'),
    kind: fc.constantFrom(...kindNames, 'Frob'),
    metadata: fc.record({ name, namespace: fc.constantFrom('default', 'kube-system', 'ghost'), labels: fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 2 }), finalizers: json }, { requiredKeys: ['name'] }),
    spec: fieldish,
    status: fieldish,
    addressType: fc.constantFrom('IPv4', 'IPv6', 'bogus'),
    endpoints: json,
    ports: json,
    subsets: json,
  },
  { requiredKeys: ['metadata'] },
);
// Valid objects of each kind, so that many operations get past validation.
const templates: Record<string, (n: string) => Json> = {
  Node: (n) => ({ metadata: { name: n }, spec: { podCIDR: '10.244.1.0/24' } }),
  Pod: (n) => ({ metadata: { name: n, labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }] } }),
  Namespace: (n) => ({ metadata: { name: n } }),
  Service: (n) => ({ metadata: { name: n }, spec: { ports: [{ port: 80 }], selector: { app: 'web' } } }),
  Endpoints: (n) => ({ metadata: { name: n }, subsets: [{ addresses: [{ ip: '10.244.0.1' }], ports: [{ port: 80 }] }] }),
  EndpointSlice: (n) => ({ metadata: { name: n }, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.0.1'] }] }),
  NetworkPolicy: (n) => ({ metadata: { name: n }, spec: { podSelector: {} } }),
};
const valid = (kind: string): fc.Arbitrary<Json> =>
  fc.tuple(fc.constantFrom('a', 'b'), fc.option(fieldish, { nil: undefined, freq: 2 })).map(([n, extra]) => {
    const base = (templates[kind] ?? templates['Pod'])?.(n) as { [k: string]: Json };
    if (extra !== undefined) base['spec'] = { ...(base['spec'] as object), ...extra };
    return base;
  });
const body = (kind: string): fc.Arbitrary<Json> => fc.oneof({ arbitrary: valid(kind), weight: 4 }, { arbitrary: object as fc.Arbitrary<Json>, weight: 1 }, { arbitrary: json, weight: 1 });
const op = fc.oneof(
  fc.constantFrom(...kindNames).chain((kind) => fc.record({ op: fc.constant('create' as const), kind: fc.constant(kind), body: body(kind) })),
  fc.constantFrom(...kindNames).chain((kind) => fc.record({ op: fc.constant('update' as const), kind: fc.constant(kind), name: fc.constantFrom('a', 'b'), body: body(kind), status: fc.boolean() })),
  fc.record({ op: fc.constant('patch' as const), kind: fc.constantFrom(...kindNames), name: fc.constantFrom('a', 'b'), type: fc.constantFrom<PatchType>('merge', 'strategic', 'json', 'apply'), body: fc.oneof(object, json, fc.array(fc.record({ op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test'), path: fc.constantFrom('', '/', '/metadata/labels/x', '/spec/containers/0', '/spec/ports/-', '/a~1b'), from: fc.constantFrom('/metadata', '/spec'), value: json }), { maxLength: 3 })) }),
  fc.record({ op: fc.constant('delete' as const), kind: fc.constantFrom(...kindNames), name: fc.constantFrom('a', 'b') }),
  fc.record({ op: fc.constant('list' as const), kind: fc.constantFrom(...kindNames), labelSelector: fc.string({ maxLength: 12 }), fieldSelector: fc.string({ maxLength: 12 }), resourceVersion: fc.constantFrom('', '0', '1', '5', 'x', '99999'), resourceVersionMatch: fc.constantFrom('', 'Exact', 'NotOlderThan', 'Bogus'), limit: fc.nat(3) }),
);

function clientErrorOrOk(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    assert.ok(err.code >= 400 && err.code < 500 || err.code === 504, `${err.code} ${err.reason}: ${err.message}`);
  }
}

describe('lab/apiserver fuzz', () => {
  it('random operations never produce an internal error and keep list/get consistent', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 10, maxLength: 40 }), fc.nat(20), (ops, compactAt) => {
        const r = new Resources(new Store(8));
        ops.forEach((o, i) => {
          if (i === compactAt) r.store.compact();
          clientErrorOrOk(() => {
            switch (o.op) {
              case 'create':
                return r.create(o.kind, o.body, { namespace: 'default' });
              case 'update':
                return r.update(o.kind, 'default', o.name, o.body, o.status ? { subresource: 'status' } : {});
              case 'patch':
                return r.patch(o.kind, 'default', o.name, o.type, o.body as Json);
              case 'delete':
                return r.delete(o.kind, 'default', o.name);
              case 'list':
                return r.list(o.kind, o);
            }
          });
        });
        for (const k of kindNames as KindName[]) {
          for (const item of r.list(k).items) {
            const meta = item['metadata'] as { name: string; namespace?: string };
            assert.deepEqual(r.get(k, meta.namespace ?? '', meta.name), item);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('selector parsers reject garbage with 400, never anything else', () => {
    const pod = allKinds.find((k) => k.kind === 'Pod');
    assert.ok(pod !== undefined);
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (s) => {
        clientErrorOrOk(() => parseLabelSelector(s));
        clientErrorOrOk(() => parseFieldSelector(s, pod));
      }),
      { numRuns: 2000 },
    );
  });

  it('HTTP: random methods, paths, content types and bodies get JSON Status answers below 500', async () => {
    const server = await startApiServer();
    try {
      const segment = fc.constantFrom('api', 'apis', 'v1', 'namespaces', 'default', 'ghost', 'pods', 'nodes', 'services', 'status', 'networking.k8s.io', 'discovery.k8s.io', 'endpointslices', 'a', '%zz', '..', 'x');
      const request = fc.record({
        method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        path: fc.array(segment, { minLength: 0, maxLength: 7 }).map((p) => `/${p.join('/')}`),
        query: fc.constantFrom('', '?labelSelector=a%20in%20(', '?resourceVersion=x', '?limit=-1', '?continue=zz', '?fieldSelector=spec.nodeName%3Dn', '?dryRun=All', '?timeoutSeconds=1&watch=false'),
        type: fc.constantFrom('application/json', 'application/yaml', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml', 'application/vnd.kubernetes.protobuf', 'text/plain'),
        body: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 40 }), json.map((j) => JSON.stringify(j))),
      });
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const init: RequestInit = { method: r.method, headers: { 'Content-Type': r.type } };
          if (r.body !== undefined && r.method !== 'GET') init.body = r.body;
          const res = await fetch(`${server.url}${r.path}${r.query}`, { ...init, signal: AbortSignal.timeout(5000) });
          const text = await res.text();
          assert.ok(res.status < 500 || res.status === 504, `${res.status} for ${r.method} ${r.path}${r.query}: ${text}`);
          if (res.status >= 400) assert.equal((JSON.parse(text) as { kind: string }).kind, 'Status');
        }),
        { numRuns: 300 },
      );
      assert.equal((await fetch(`${server.url}/version`)).status, 200);
    } finally {
      await server.close();
    }
  });
});
