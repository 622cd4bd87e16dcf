// The gobgp-like BGP commands of the podnet CLI, as clients of the
// management API (src/api/bgp.ts):
//   podnet neighbor                              table of neighbours
//   podnet neighbor ADDR                         one neighbour in detail
//   podnet neighbor ADDR adj-in|adj-out [-a F]   what it sent us / we send it
//   podnet neighbor ADDR reset|softreset|softreset-in|softreset-out|shutdown|enable [-m MSG]
//   podnet global                                AS, router id, listeners, counts
//   podnet global rib [-a ipv4|ipv6] [PREFIX|ADDRESS]
// With -j every command prints the API's JSON (field names: bgp/api.ts).
import type { DestinationView, GlobalView, NeighborView, PathView } from '../../bgp/index.ts';
import { apiRequest } from '../api/client.ts';
import { renderAdj, renderGlobal, renderNeighbor, renderNeighbors, renderRib } from './bgp-render.ts';

export interface BgpCommandOptions {
  readonly socket: string;
  readonly json: boolean;
  /** -a: ipv4 / ipv6 (or the full family names). */
  readonly family: string | null;
  /** -m: RFC 9003 message for reset and shutdown. */
  readonly message: string | null;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const NEIGHBOR_ACTIONS = new Set(['reset', 'softreset', 'softreset-in', 'softreset-out', 'shutdown', 'enable']);

function print(o: BgpCommandOptions, value: unknown, human: () => string): string {
  return o.json ? `${JSON.stringify(value, null, 2)}\n` : human();
}

function familyQuery(o: BgpCommandOptions): string {
  return o.family === null ? '' : `&family=${encodeURIComponent(o.family)}`;
}

/** `podnet neighbor ...`; returns the text to print. Throws UsageError or ApiClientError. */
export async function neighborCommand(args: readonly string[], o: BgpCommandOptions): Promise<string> {
  const [address, sub, ...rest] = args;
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  if (address === undefined) {
    const ns = (await apiRequest(o.socket, 'GET', '/v1/bgp/neighbors')) as NeighborView[];
    return print(o, ns, () => renderNeighbors(ns));
  }
  const a = encodeURIComponent(address);
  if (sub === undefined) {
    const n = (await apiRequest(o.socket, 'GET', `/v1/bgp/neighbor?address=${a}`)) as NeighborView;
    return print(o, n, () => renderNeighbor(n));
  }
  if (sub === 'adj-in' || sub === 'adj-out') {
    const paths = (await apiRequest(o.socket, 'GET', `/v1/bgp/${sub}?address=${a}${familyQuery(o)}`)) as PathView[];
    return print(o, paths, () => renderAdj(paths));
  }
  if (NEIGHBOR_ACTIONS.has(sub)) {
    const body = { address, action: sub, ...(o.message !== null ? { message: o.message } : {}) };
    const r = await apiRequest(o.socket, 'POST', '/v1/bgp/neighbor/action', body);
    return print(o, r, () => `${sub}: done for ${address}\n`);
  }
  throw new UsageError(`unknown neighbor subcommand "${sub}": use adj-in, adj-out, ${[...NEIGHBOR_ACTIONS].join(', ')}`);
}

/** `podnet global [rib [PREFIX|ADDRESS]]`. */
export async function globalCommand(args: readonly string[], o: BgpCommandOptions): Promise<string> {
  const [sub, target, ...rest] = args;
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  if (sub === undefined) {
    if (target !== undefined) throw new UsageError('usage: podnet global [rib [PREFIX]]');
    const g = (await apiRequest(o.socket, 'GET', '/v1/bgp/global')) as GlobalView;
    return print(o, g, () => renderGlobal(g));
  }
  if (sub !== 'rib') throw new UsageError(`unknown global subcommand "${sub}": use rib`);
  let q = familyQuery(o);
  if (target !== undefined) q += target.includes('/') ? `&prefix=${encodeURIComponent(target)}` : `&address=${encodeURIComponent(target)}`;
  const ds = (await apiRequest(o.socket, 'GET', `/v1/bgp/rib?${q.slice(1)}`)) as DestinationView[];
  return print(o, ds, () => renderRib(ds));
}
