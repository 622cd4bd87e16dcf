// Unit tests of the embedded API server's pure parts: label/field selector
// parsing, JSON Merge Patch (RFC 7386 appendix A examples), JSON Patch
// pointers (RFC 6901 escapes, RFC 6902 errors), strategic merge directives,
// name/label validation rules and kubectl's age format.
import assert from 'node:assert/strict';
import { ApiError } from '../../../../src/lab/apiserver/errors.ts';
import { kindInfo, type Json, type JsonObject } from '../../../../src/lab/apiserver/kinds.ts';
import { jsonPatch, mergePatch, parsePointer } from '../../../../src/lab/apiserver/patch.ts';
import { matchLabels, parseFieldSelector, parseLabelSelector } from '../../../../src/lab/apiserver/selectors.ts';
import { strategicMergePatch } from '../../../../src/lab/apiserver/strategic.ts';
import { decodeProtobufObject } from '../../../../src/lab/apiserver/protobuf.ts';
import { humanDuration } from '../../../../src/lab/apiserver/tables.ts';
import { isDns1035Label, isDns1123Label, isDns1123Subdomain, isLabelValue, isQualifiedName } from '../../../../src/lab/apiserver/validation.ts';

// Protocol Buffers wire format: tag = field << 3 | wire type; 0 varint, 2 length-delimited.
/** Protocol Buffers base-128 varint. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  return [...out, n];
}

const ld = (field: number, bytes: number[]): number[] => [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes];
const str = (field: number, v: string): number[] => ld(field, [...Buffer.from(v)]);
const num = (field: number, v: number): number[] => [...varint(field << 3), ...varint(v)];
const envelope = (kind: string, raw: number[]): Uint8Array =>
  Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...ld(1, [...str(1, 'v1'), ...str(2, kind)]), ...ld(2, raw), ...str(4, 'application/vnd.kubernetes.protobuf')]);

const code = (fn: () => unknown): number => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err.code;
    throw err;
  }
  return 0;
};

describe('lab/apiserver: pure parts', () => {
  it('parses label selectors into typed requirements', () => {
    assert.deepEqual(parseLabelSelector('a=b, c!=d,e in (f, g),h notin (i),j,!k,l>3'), [
      { op: 'eq', key: 'a', value: 'b' },
      { op: 'neq', key: 'c', value: 'd' },
      { op: 'in', key: 'e', values: ['f', 'g'] },
      { op: 'notin', key: 'h', values: ['i'] },
      { op: 'exists', key: 'j' },
      { op: 'notexists', key: 'k' },
      { op: 'gt', key: 'l', value: 3 },
    ]);
    assert.equal(matchLabels(parseLabelSelector('x.io/role=edge'), { 'x.io/role': 'edge' }), true);
    assert.equal(matchLabels(parseLabelSelector('a!=b'), {}), true); // != matches a missing key
    assert.equal(matchLabels(parseLabelSelector('a notin (b)'), {}), true);
    assert.equal(matchLabels(parseLabelSelector('a in (b)'), {}), false);
    for (const bad of ['a in (b', '=b', 'a=b c', 'a,,b', 'a<x', 'a=b!']) assert.equal(code(() => parseLabelSelector(bad)), 400, bad);
  });

  it('parses field selectors per kind, with escapes; unknown fields are 400', () => {
    const pod = kindInfo('Pod');
    assert.deepEqual(parseFieldSelector('spec.nodeName=n1,metadata.name!=a\\,b', pod), [
      { op: 'eq', field: 'spec.nodeName', value: 'n1' },
      { op: 'neq', field: 'metadata.name', value: 'a,b' },
    ]);
    assert.equal(code(() => parseFieldSelector('spec.nodeName=n1', kindInfo('Service'))), 400);
    assert.equal(code(() => parseFieldSelector('nonsense', pod)), 400);
  });

  it('JSON Merge Patch follows the RFC 7386 appendix A examples', () => {
    const cases: [Json, Json, Json][] = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [['a', 'b'], ['c', 'd'], ['c', 'd']],
      [{ a: 'b' }, ['c'], ['c']],
      [{ a: 'foo' }, null, null],
      [{ a: 'foo' }, 'bar', 'bar'],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    for (const [target, patch, want] of cases) assert.deepEqual(mergePatch(target, patch), want, JSON.stringify([target, patch]));
  });

  it('JSON Patch: RFC 6901 pointer escapes, RFC 6902 errors, input never mutated', () => {
    assert.deepEqual(parsePointer('/a~1b/m~0n/0'), ['a/b', 'm~n', '0']);
    assert.deepEqual(parsePointer(''), []);
    const doc: JsonObject = { 'a/b': { 'm~n': [1, 2] } };
    const out = jsonPatch(doc, [{ op: 'add', path: '/a~1b/m~0n/1', value: 9 }]);
    assert.deepEqual(out, { 'a/b': { 'm~n': [1, 9, 2] } });
    assert.deepEqual(doc, { 'a/b': { 'm~n': [1, 2] } });
    assert.equal(code(() => jsonPatch(doc, [{ op: 'remove', path: '/missing' }])), 400);
    assert.equal(code(() => jsonPatch(doc, [{ op: 'replace', path: '/missing', value: 1 }])), 400); // §4.3: target must exist
    assert.equal(code(() => jsonPatch(doc, [{ op: 'add', path: '/a~1b/m~0n/7', value: 1 }])), 400);
    assert.equal(code(() => jsonPatch(doc, [{ op: 'move', from: '/a~1b', path: '/a~1b/x' }])), 400);
    assert.equal(code(() => jsonPatch(doc, [{ op: 'test', path: '/a~1b/m~0n/0', value: 2 }])), 422);
    assert.equal(code(() => jsonPatch(doc, { op: 'add' })), 400);
  });

  it('strategic merge: keyed lists merge, set lists union, unkeyed lists replace, $retainKeys prunes', () => {
    const lists = kindInfo('Pod').lists;
    const orig: JsonObject = {
      metadata: { finalizers: ['a'] },
      spec: { containers: [{ name: 'x', image: 'x:1', env: [{ name: 'A', value: '1' }] }], tolerations: [{ key: 't1' }] },
    };
    const out = strategicMergePatch(orig, {
      metadata: { finalizers: ['b', 'a'] },
      spec: {
        containers: [{ name: 'x', env: [{ name: 'B', value: '2' }, { name: 'A', $patch: 'delete' }] }],
        tolerations: [{ key: 't2' }],
        strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null },
      },
    }, lists);
    assert.deepEqual(out, {
      metadata: { finalizers: ['a', 'b'] },
      spec: {
        containers: [{ name: 'x', image: 'x:1', env: [{ name: 'B', value: '2' }] }],
        tolerations: [{ key: 't2' }],
        strategy: { type: 'Recreate' },
      },
    });
    assert.deepEqual(orig.spec, { containers: [{ name: 'x', image: 'x:1', env: [{ name: 'A', value: '1' }] }], tolerations: [{ key: 't1' }] });
    assert.equal(code(() => strategicMergePatch(orig, { spec: { containers: [{ image: 'no-name' }] } }, lists)), 400);
    assert.equal(code(() => strategicMergePatch(orig, { $patch: 'delete' }, lists)), 400);
  });

  it('validates names and labels like k8s.io/apimachinery', () => {
    assert.equal(isDns1123Subdomain('node-1.example'), true);
    assert.equal(isDns1123Subdomain('Node'), false);
    assert.equal(isDns1123Subdomain('a'.repeat(254)), false);
    assert.equal(isDns1123Label('a.b'), false);
    assert.equal(isDns1123Label('a'.repeat(64)), false);
    assert.equal(isDns1035Label('9abc'), false);
    assert.equal(isDns1035Label('abc-9'), true);
    assert.equal(isQualifiedName('kubernetes.io/service-name'), true);
    assert.equal(isQualifiedName('node-role.kubernetes.io/control-plane'), true);
    assert.equal(isQualifiedName('Bad_Prefix/x'), false);
    assert.equal(isQualifiedName('/x'), false);
    assert.equal(isLabelValue(''), true);
    assert.equal(isLabelValue('v1.2_3-x'), true);
    assert.equal(isLabelValue('-x'), false);
  });

  it('decodes protobuf bodies (k8s envelope, nested messages, maps, IntOrString, skipped unknown fields)', () => {
    const meta = ld(1, [...str(1, 'web'), ...str(3, 'default'), ...ld(11, [...str(1, 'app'), ...str(2, 'web')]), ...str(4, 'ignored-selflink'), ...num(99, 7)]);
    const port = (n: number, target: number[]): number[] => ld(1, [...str(1, `p${n}`), ...str(2, 'TCP'), ...num(3, n), ...ld(4, target), ...num(5, 0)]);
    const spec = ld(2, [...port(80, [...num(1, 0), ...num(2, 8080)]), ...port(443, [...num(1, 1), ...str(3, 'https')]), ...str(4, 'ClusterIP'), ...str(3, '')]);
    assert.deepEqual(decodeProtobufObject(envelope('Service', [...meta, ...spec])), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
      spec: {
        ports: [{ name: 'p80', protocol: 'TCP', port: 80, targetPort: 8080 }, { name: 'p443', protocol: 'TCP', port: 443, targetPort: 'https' }],
        type: 'ClusterIP',
      },
    });
    assert.equal(code(() => decodeProtobufObject(Uint8Array.from([1, 2, 3, 4]))), 400);
    assert.equal(code(() => decodeProtobufObject(envelope('Service', [0x0a, 0x05, 0x01]))), 400); // truncated
    assert.equal(code(() => decodeProtobufObject(envelope('Pod', []))), 415);
  });

  it('formats ages like kubectl (duration.HumanDuration)', () => {
    const s = 1000;
    assert.deepEqual(
      [0, 59 * s, 119 * s, 150 * s, 600 * s, 3 * 3600 * s + 60 * s, 10 * 3600 * s, 50 * 3600 * s, 30 * 86400 * s, 800 * 86400 * s].map(humanDuration),
      ['0s', '59s', '119s', '2m30s', '10m', '3h1m', '10h', '2d2h', '30d', '2y70d'],
    );
  });
});
