// Management API endpoints of the BGP speaker (served by podnetd and by
// `podnet bgpd`; the podnet CLI is their client). JSON bodies are the view
// types of bgp/index.ts:
//   GET  /v1/bgp/global                                   -> GlobalView
//   GET  /v1/bgp/neighbors                                -> NeighborView[]
//   GET  /v1/bgp/neighbor?address=A                       -> NeighborView
//   GET  /v1/bgp/adj-in?address=A[&family=F]              -> PathView[]
//   GET  /v1/bgp/adj-out?address=A[&family=F]             -> PathView[]
//   GET  /v1/bgp/rib[?family=F][&prefix=P|&address=IP]    -> DestinationView[]
//        (prefix: exact match; address: longest-prefix match, as `gobgp global rib IP`)
//   POST /v1/bgp/neighbor/action  NeighborActionRequest   -> { ok: true }
// F is ipv4-unicast / ipv6-unicast (or ipv4 / ipv6). Unknown neighbours are
// 404, malformed arguments 400, and 503 while no speaker runs (podnetd's
// routes controller starts its speaker once the node's own Node is known).
import {
  SpeakerError,
  parseIpAddress,
  parsePrefix,
  prefixFamily,
  type DestinationView,
  type Family,
  type NeighborActionRequest,
  type Speaker,
} from '../../bgp/index.ts';
import { ApiError, type MgmtApi } from './server.ts';

const FAMILY_NAMES: Readonly<Record<string, Family>> = { ipv4: 'ipv4-unicast', 'ipv4-unicast': 'ipv4-unicast', ipv6: 'ipv6-unicast', 'ipv6-unicast': 'ipv6-unicast' };

function familyParam(q: URLSearchParams): Family | undefined {
  const f = q.get('family');
  if (f === null || f === '') return undefined;
  const fam = FAMILY_NAMES[f];
  if (fam === undefined) throw new ApiError(400, `unknown family ${JSON.stringify(f)}: use ipv4 or ipv6`);
  return fam;
}

function addressParam(q: URLSearchParams): string {
  const a = q.get('address');
  if (a === null || a === '') throw new ApiError(400, 'missing ?address=');
  try {
    return parseIpAddress(a);
  } catch (e) {
    throw new ApiError(400, e instanceof Error ? e.message : String(e));
  }
}

/** Maps speaker errors onto HTTP statuses. */
function mapErrors<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SpeakerError) throw new ApiError(e.kind === 'not-found' ? 404 : e.kind === 'exists' ? 409 : 400, e.message);
    throw e;
  }
}

/** Longest-prefix match of an address in the Loc-RIB. */
export function lookupAddress(speaker: Speaker, address: string): DestinationView[] {
  const ip = parseIpAddress(address);
  const max = ip.includes(':') ? 128 : 32;
  for (let len = max; len >= 0; len--) {
    const p = parsePrefix(`${ip}/${len}`, false);
    const hit = speaker.rib(prefixFamily(p), p);
    if (hit.length > 0) return hit;
  }
  return [];
}

const ACTIONS = new Set<NeighborActionRequest['action']>(['reset', 'softreset', 'softreset-in', 'softreset-out', 'shutdown', 'enable']);

function actionBody(body: unknown): NeighborActionRequest {
  if (typeof body !== 'object' || body === null) throw new ApiError(400, 'body must be {"address", "action", "message"?}');
  const b = body as Record<string, unknown>;
  if (typeof b['address'] !== 'string') throw new ApiError(400, 'address must be a string');
  if (typeof b['action'] !== 'string' || !ACTIONS.has(b['action'] as NeighborActionRequest['action'])) throw new ApiError(400, `action must be one of ${[...ACTIONS].join(', ')}`);
  if (b['message'] !== undefined && typeof b['message'] !== 'string') throw new ApiError(400, 'message must be a string');
  return { address: b['address'], action: b['action'] as NeighborActionRequest['action'], ...(typeof b['message'] === 'string' ? { message: b['message'] } : {}) };
}

/**
 * Registers the BGP endpoints on `api` for a speaker, or for whatever speaker
 * `current()` returns at each request (the agent's may be replaced or absent).
 */
export function registerBgpApi(api: MgmtApi, source: Speaker | (() => Speaker | null)): void {
  const get = (): Speaker => {
    const s = typeof source === 'function' ? source() : source;
    if (s === null) throw new ApiError(503, 'the BGP speaker is not running (routes controller disabled or not started yet)');
    return s;
  };
  api.handle('GET', '/v1/bgp/global', () => get().globalView());
  api.handle('GET', '/v1/bgp/neighbors', () => get().neighbors());
  api.handle('GET', '/v1/bgp/neighbor', (q) => mapErrors(() => get().neighbor(addressParam(q))));
  api.handle('GET', '/v1/bgp/adj-in', (q) => mapErrors(() => get().adjIn(addressParam(q), familyParam(q))));
  api.handle('GET', '/v1/bgp/adj-out', (q) => mapErrors(() => get().adjOut(addressParam(q), familyParam(q))));
  api.handle('GET', '/v1/bgp/rib', (q) => {
    const speaker = get();
    const family = familyParam(q);
    const prefix = q.get('prefix');
    const address = q.get('address');
    try {
      if (prefix !== null && prefix !== '') return speaker.rib(family, parsePrefix(prefix, false));
      if (address !== null && address !== '') return lookupAddress(speaker, address).filter((d) => family === undefined || d.family === family);
    } catch (e) {
      if (e instanceof RangeError) throw new ApiError(400, e.message);
      throw e;
    }
    return speaker.rib(family);
  });
  api.handle('POST', '/v1/bgp/neighbor/action', async (_q, body) => {
    const req = actionBody(body);
    const speaker = get();
    const run = async (): Promise<void> => {
      switch (req.action) {
        case 'reset':
          return speaker.reset(req.address, req.message);
        case 'softreset':
          return speaker.softReset(req.address, 'both');
        case 'softreset-in':
          return speaker.softReset(req.address, 'in');
        case 'softreset-out':
          return speaker.softReset(req.address, 'out');
        case 'shutdown':
          return speaker.shutdown(req.address, req.message);
        case 'enable':
          return speaker.enable(req.address);
      }
    };
    try {
      await run();
    } catch (e) {
      mapErrors(() => {
        throw e;
      });
    }
    return { ok: true };
  });
}
