// HTTP plumbing of the embedded API server: reading and decoding request
// bodies by Content-Type (JSON, YAML for apply, the three patch types),
// Accept negotiation (plain JSON, meta.k8s.io Table, aggregated discovery),
// and writing JSON responses and Status errors. Routing is in router.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest, toApiError, unsupportedMediaType } from './errors.ts';
import type { Json } from './kinds.ts';
import { decodeProtobufObject } from './protobuf.ts';
import type { PatchType } from './resources.ts';

const MAX_BODY = 3 * 1024 * 1024; // the real server's default request size limit

export interface MediaRange {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses an Accept (or Content-Type) header into media ranges with lower-cased parameter names. */
export function parseMediaRanges(header: string | undefined): MediaRange[] {
  if (header === undefined || header.trim() === '') return [];
  return header.split(',').map((part) => {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).toLowerCase()] = p.slice(eq + 1).replace(/^"|"$/g, '');
    }
    return { type: type.toLowerCase(), params };
  });
}

/** The meta.k8s.io version of the Table the client accepts ("v1" / "v1beta1"), or undefined. */
export function wantsTable(accept: string | undefined): string | undefined {
  const r = parseMediaRanges(accept).find((m) => m.params['as'] === 'Table' && m.params['g'] === 'meta.k8s.io');
  return r === undefined ? undefined : (r.params['v'] ?? 'v1');
}

/** Whether the client accepts the apidiscovery.k8s.io/v2 aggregated discovery format. */
export function wantsAggregated(accept: string | undefined): boolean {
  return parseMediaRanges(accept).some(
    (m) => m.params['as'] === 'APIGroupDiscoveryList' && m.params['g'] === 'apidiscovery.k8s.io' && m.params['v'] === 'v2',
  );
}

/** Whether the client accepts plain JSON at all (or anything). */
export function acceptsJson(accept: string | undefined): boolean {
  const ranges = parseMediaRanges(accept);
  if (ranges.length === 0) return true;
  return ranges.some((m) => m.type === 'application/json' || m.type === '*/*' || m.type === 'application/*');
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, 'BadRequest', 'Request entity too large: limit is 3145728'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function decodeJson(buf: Buffer): Json {
  try {
    return JSON.parse(buf.toString('utf8')) as Json;
  } catch (err) {
    throw badRequest(`the body of the request was in an unknown format: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function decodeYaml(buf: Buffer): Json {
  try {
    return parseYaml(buf.toString('utf8')) as Json;
  } catch (err) {
    throw badRequest(`error decoding YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Decodes a create/update body (JSON, YAML, or protobuf for the kinds protobuf.ts knows). */
export function decodeObjectBody(contentType: string | undefined, buf: Buffer): Json {
  const type = parseMediaRanges(contentType)[0]?.type ?? 'application/json';
  if (buf.length === 0) throw badRequest('the body of the request is empty');
  if (type === 'application/json' || type === '*/*') return decodeJson(buf);
  if (type === 'application/yaml' || type === 'application/x-yaml') return decodeYaml(buf);
  if (type === 'application/vnd.kubernetes.protobuf') return decodeProtobufObject(buf);
  throw unsupportedMediaType(type);
}

/** Decodes a PATCH body and names its patch type from the Content-Type. */
export function decodePatchBody(contentType: string | undefined, buf: Buffer): { type: PatchType; body: Json } {
  const type = parseMediaRanges(contentType)[0]?.type ?? '';
  if (buf.length === 0) throw badRequest('the body of the request is empty');
  switch (type) {
    case 'application/merge-patch+json':
      return { type: 'merge', body: decodeJson(buf) };
    case 'application/strategic-merge-patch+json':
      return { type: 'strategic', body: decodeJson(buf) };
    case 'application/json-patch+json':
      return { type: 'json', body: decodeJson(buf) };
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+cbor':
      if (type.endsWith('cbor')) throw unsupportedMediaType(type);
      return { type: 'apply', body: decodeYaml(buf) };
    default:
      throw unsupportedMediaType(type);
  }
}

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = toApiError(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, e.code, e.toStatus());
}
