// Decoding of Kubernetes protobuf request bodies (Content-Type
// application/vnd.kubernetes.protobuf), which kubectl's typed clients send for
// imperative commands: `kubectl create namespace` and `kubectl create service`
// (`kubectl run` and `kubectl expose` send JSON). The envelope is the 4-byte magic "k8s\0" then a
// runtime.Unknown {typeMeta, raw}; raw is the object in the Protocol Buffers
// wire format (varint, 64-bit, length-delimited, 32-bit). Field numbers come
// from k8s.io/api/core/v1/generated.proto for the fields these commands set;
// unknown fields are skipped, and zero values are dropped (the Go encoder
// writes every non-pointer field, JSON omits them). Responses stay JSON.
import { badRequest, unsupportedMediaType } from './errors.ts';
import type { Json, JsonObject } from './kinds.ts';

type Scalar = 'string' | 'int' | 'bool';
interface Field {
  readonly name: string;
  readonly type: Scalar | 'map' | 'intOrString' | Schema;
  readonly repeated?: boolean;
}
type Schema = Readonly<Record<number, Field>>;

const s = (name: string): Field => ({ name, type: 'string' });
const i = (name: string): Field => ({ name, type: 'int' });
const m = (name: string, type: Schema, repeated = false): Field => ({ name, type, repeated });

// Only fields checked against kubectl's own JSON rendering (test/src/lab/apiserver/kubectl.test.ts).
const objectMeta: Schema = {
  1: s('name'), 2: s('generateName'), 3: s('namespace'),
  11: { name: 'labels', type: 'map' }, 12: { name: 'annotations', type: 'map' },
};
const servicePort: Schema = { 1: s('name'), 2: s('protocol'), 3: i('port'), 4: { name: 'targetPort', type: 'intOrString' }, 5: i('nodePort') };
const serviceSpec: Schema = { 1: m('ports', servicePort, true), 2: { name: 'selector', type: 'map' }, 3: s('clusterIP'), 4: s('type'), 10: s('externalName') };

/** Top-level schemas by kind (core/v1 kinds that kubectl's imperative commands send as protobuf). */
const kinds: Readonly<Record<string, Schema>> = {
  Namespace: { 1: m('metadata', objectMeta) },
  Service: { 1: m('metadata', objectMeta), 2: m('spec', serviceSpec) },
};

interface WireField {
  readonly num: number;
  readonly wire: number;
  readonly varint: bigint;
  readonly bytes: Uint8Array;
}

/** Splits one message into its fields (protobuf encoding: tag varint, then the payload by wire type). */
function fields(buf: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length || shift > 63n) throw badRequest('protobuf: truncated varint');
      const byte = buf[pos++] ?? 0;
      v |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return v;
      shift += 7n;
    }
  };
  const take = (n: number): Uint8Array => {
    if (n < 0 || pos + n > buf.length) throw badRequest('protobuf: truncated field');
    const v = buf.subarray(pos, pos + n);
    pos += n;
    return v;
  };
  while (pos < buf.length) {
    const tag = varint();
    const num = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (num === 0) throw badRequest('protobuf: field number 0');
    if (wire === 0) out.push({ num, wire, varint: varint(), bytes: new Uint8Array() });
    else if (wire === 2) out.push({ num, wire, varint: 0n, bytes: take(Number(varint())) });
    else if (wire === 1) out.push({ num, wire, varint: 0n, bytes: take(8) });
    else if (wire === 5) out.push({ num, wire, varint: 0n, bytes: take(4) });
    else throw badRequest(`protobuf: unsupported wire type ${wire}`);
  }
  return out;
}

const utf8 = (u: Uint8Array): string => Buffer.from(u).toString('utf8');

function toInt(f: WireField): number {
  return Number(BigInt.asIntN(64, f.varint));
}

function scalar(f: WireField, type: Scalar): Json {
  if (type === 'string') return utf8(f.bytes);
  if (type === 'bool') return f.varint !== 0n;
  return toInt(f);
}

/** A map<string,string> entry: a message {key = 1, value = 2}. */
function mapEntry(f: WireField): [string, string] {
  let key = '';
  let value = '';
  for (const e of fields(f.bytes)) {
    if (e.num === 1) key = utf8(e.bytes);
    if (e.num === 2) value = utf8(e.bytes);
  }
  return [key, value];
}

function intOrString(f: WireField): Json {
  let type = 0;
  let intVal = 0;
  let strVal = '';
  for (const e of fields(f.bytes)) {
    if (e.num === 1) type = toInt(e);
    if (e.num === 2) intVal = toInt(e);
    if (e.num === 3) strVal = utf8(e.bytes);
  }
  return type === 1 ? strVal : intVal;
}

const isEmpty = (v: Json): boolean =>
  v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0) || (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

function decodeMessage(buf: Uint8Array, schema: Schema): JsonObject {
  const out: JsonObject = {};
  for (const f of fields(buf)) {
    const def = schema[f.num];
    if (def === undefined) continue; // a field these commands do not set
    let v: Json;
    if (def.type === 'map') {
      const cur = out[def.name];
      const map: JsonObject = cur !== null && typeof cur === 'object' && !Array.isArray(cur) ? cur : {};
      const [k, val] = mapEntry(f);
      map[k] = val;
      out[def.name] = map;
      continue;
    }
    if (def.type === 'intOrString') v = intOrString(f);
    else if (typeof def.type === 'object') v = decodeMessage(f.bytes, def.type);
    else v = scalar(f, def.type);
    if (def.repeated) {
      const cur = out[def.name];
      out[def.name] = [...(Array.isArray(cur) ? cur : []), v];
    } else if (!isEmpty(v)) out[def.name] = v;
  }
  return out;
}

const MAGIC = [0x6b, 0x38, 0x73, 0x00]; // "k8s\0"

/** Decodes a protobuf-encoded object body into the JSON the rest of the server handles. */
export function decodeProtobufObject(buf: Uint8Array): JsonObject {
  if (buf.length < 4 || MAGIC.some((x, k) => buf[k] !== x)) throw badRequest('protobuf: missing the k8s envelope magic');
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array = new Uint8Array();
  for (const f of fields(buf.subarray(4))) {
    if (f.num === 1) {
      for (const t of fields(f.bytes)) {
        if (t.num === 1) apiVersion = utf8(t.bytes);
        if (t.num === 2) kind = utf8(t.bytes);
      }
    }
    if (f.num === 2) raw = f.bytes;
  }
  const schema = apiVersion === 'v1' ? kinds[kind] : undefined;
  if (schema === undefined) throw unsupportedMediaType(`application/vnd.kubernetes.protobuf (${apiVersion} ${kind}; send JSON for this kind)`);
  return { apiVersion, kind, ...decodeMessage(raw, schema) };
}
