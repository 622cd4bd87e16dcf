// Test helpers for the RIB: a RIB with named peers, UPDATE builders, and a
// drain that pulls every encoded UPDATE for a peer and decodes it back with
// the wire codec, so tests assert on what would go on the wire.
import { Rib } from '../../../bgp/rib/index.ts';
import type { BestPathChange, RibConfig, RibPeerConfig, PeerRole } from '../../../bgp/rib/index.ts';
import { parseAsn, parseIpAddress, parsePrefix, parseRouterId, type Family, type Ipv4, type Prefix } from '../../../bgp/types.ts';
import { DEFAULT_WIRE_CONTEXT, decodeMessage, endOfRibFamily, type AsPathSegment, type PathAttributes, type UpdateMessage, type WireContext } from '../../../bgp/wire/index.ts';

export const LOCAL_AS = parseAsn(65000);
export const ROUTER_ID = parseRouterId('198.18.0.1');
export const LOCAL_ADDR = '198.18.0.1';

export const asn = (n: number) => parseAsn(n);
export const rid = (s: string) => parseRouterId(s);
export const ip = (s: string) => parseIpAddress(s);

/** Attributes as tests write them: the next hop as plain text. */
export type TestAttrs = Omit<PathAttributes, 'nextHop'> & { readonly nextHop?: string };
export const pfx = (s: string): Prefix => parsePrefix(s);
export const seq = (...asns: number[]): AsPathSegment => ({ type: 'sequence', asns: asns.map(asn) });
export const set = (...asns: number[]): AsPathSegment => ({ type: 'set', asns: asns.map(asn) });

export function newRib(extra: Partial<RibConfig> = {}): Rib {
  return new Rib({ localAsn: LOCAL_AS, routerId: ROUTER_ID, ...extra });
}

export interface PeerSpec {
  readonly id: string;
  readonly asn: number;
  readonly routerId?: string;
  readonly role?: PeerRole;
  readonly families?: readonly Family[];
  readonly wire?: Partial<WireContext>;
  readonly config?: Partial<RibPeerConfig>;
  /** Bring the session up (default true). */
  readonly up?: boolean;
}

export function wireOf(extra: Partial<WireContext> = {}): WireContext {
  return { ...DEFAULT_WIRE_CONTEXT, fourOctetAs: true, ...extra };
}

/** Adds a peer and (by default) brings it up, draining the initial dump + End-of-RIB. */
export function addPeer(rib: Rib, spec: PeerSpec): void {
  rib.addPeer({ id: spec.id, asn: asn(spec.asn), ...(spec.role !== undefined ? { role: spec.role } : {}), ...spec.config });
  if (spec.up === false) return;
  peerUp(rib, spec);
  drain(rib, spec.id, spec.wire);
}

export function peerUp(rib: Rib, spec: PeerSpec): void {
  rib.peerUp(spec.id, {
    negotiated: { peerId: parseRouterId(spec.routerId ?? spec.id) },
    capabilities: { context: wireOf(spec.wire), families: new Set(spec.families ?? ['ipv4-unicast', 'ipv6-unicast']) },
    localAddress: spec.id.includes(':') ? 'fd00::1' : LOCAL_ADDR,
  });
}

/** An UPDATE announcing IPv4 prefixes (NEXT_HOP + NLRI) or IPv6 ones (MP_REACH). */
export function announce(prefixes: readonly string[], attrs: TestAttrs, pathIds: readonly number[] | null = null): UpdateMessage {
  const ps = prefixes.map(pfx);
  const v6 = ps.some((p) => p.includes(':'));
  const nh = parseIpAddress(attrs.nextHop ?? (v6 ? 'fd00::2' : '198.18.0.2'));
  if (v6) {
    const { nextHop: _n, ...rest } = attrs;
    return { type: 'update', withdrawn: { prefixes: [], pathIds: null }, nlri: { prefixes: [], pathIds: null }, attributes: { ...rest, mpReach: { family: 'ipv6-unicast', nextHop: nh, linkLocalNextHop: null, nlri: { prefixes: ps, pathIds } } } };
  }
  return { type: 'update', withdrawn: { prefixes: [], pathIds: null }, nlri: { prefixes: ps, pathIds }, attributes: { ...attrs, nextHop: nh as Ipv4 } };
}

export function withdraw(prefixes: readonly string[], pathIds: readonly number[] | null = null): UpdateMessage {
  const ps = prefixes.map(pfx);
  if (ps.some((p) => p.includes(':'))) {
    return { type: 'update', withdrawn: { prefixes: [], pathIds: null }, nlri: { prefixes: [], pathIds: null }, attributes: { mpUnreach: { family: 'ipv6-unicast', withdrawn: { prefixes: ps, pathIds } } } };
  }
  return { type: 'update', withdrawn: { prefixes: ps, pathIds }, nlri: { prefixes: [], pathIds: null }, attributes: {} };
}

/** Base eBGP attributes from a neighbour AS. */
export function ebgpAttrs(peerAs: number, extra: Partial<TestAttrs> = {}): TestAttrs {
  return { origin: 0, asPath: [seq(peerAs)], ...extra };
}

export interface Pulled {
  readonly raw: Uint8Array[];
  readonly updates: UpdateMessage[];
  /** End-of-RIB markers in order of arrival. */
  readonly eor: Family[];
  /** Per message in order: 'eor <family>', or the family its routes belong to. */
  readonly sequence: string[];
}

/** Decodes one pulled UPDATE as the receiving peer would (its Rx = our Tx). */
export function decodePulled(m: Uint8Array, wire: Partial<WireContext> = {}): UpdateMessage {
  const tx = wireOf(wire);
  const msg = decodeMessage(m, { ...tx, addPathRx: tx.addPathTx, extendedMessageRx: tx.extendedMessageTx });
  if (msg.type !== 'update') throw new Error(`pulled a ${msg.type}`);
  return msg;
}

/** Pulls every pending UPDATE of a peer and decodes it with the codec. */
export function drain(rib: Rib, id: string, wire: Partial<WireContext> = {}): Pulled {
  const raw: Uint8Array[] = [];
  const updates: UpdateMessage[] = [];
  const eor: Family[] = [];
  const sequence: string[] = [];
  for (let m = rib.nextUpdate(id); m !== null; m = rib.nextUpdate(id)) {
    raw.push(m);
    if (raw.length > 100_000) throw new Error('runaway UPDATE source');
    const msg = decodePulled(m, wire);
    const f = endOfRibFamily(msg);
    if (f !== null) {
      eor.push(f);
      sequence.push(`eor ${f}`);
    } else {
      updates.push(msg);
      const mp = msg.attributes.mpReach ?? msg.attributes.mpUnreach;
      sequence.push(mp !== undefined && mp.family !== null ? mp.family : 'ipv4-unicast');
    }
  }
  return { raw, updates, eor, sequence };
}

/** Announced prefixes (sorted) across decoded UPDATEs. */
export function announcedOf(updates: readonly UpdateMessage[]): string[] {
  const out: string[] = [];
  for (const u of updates) {
    out.push(...u.nlri.prefixes);
    const r = u.attributes.mpReach;
    if (r !== undefined && r.family !== null) out.push(...r.nlri.prefixes);
  }
  return out.sort();
}

/** Withdrawn prefixes (sorted) across decoded UPDATEs. */
export function withdrawnOf(updates: readonly UpdateMessage[]): string[] {
  const out: string[] = [];
  for (const u of updates) {
    out.push(...u.withdrawn.prefixes);
    const w = u.attributes.mpUnreach;
    if (w !== undefined && w.family !== null) out.push(...w.withdrawn.prefixes);
  }
  return out.sort();
}

/** Collects best-path events. */
export function recordEvents(rib: Rib): BestPathChange[] {
  const out: BestPathChange[] = [];
  rib.subscribe((c) => out.push(...c));
  return out;
}
