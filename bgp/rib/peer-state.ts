// What the RIB keeps per registered peer: its Source, role and local AS, the
// received-side check inputs, the pre-policy Adj-RIB-In when soft
// reconfiguration is on, per-family counts, and while Established its
// Adj-RIB-Out, export target and export cache. Built from RibPeerConfig and,
// on session up, from the negotiated session.
// RFCs: 4271 §9.2 (per-peer Adj-RIB-Out), 4456 §6 (peer roles), 5492/4760
// (negotiated families), 8950 (next hop of the other family).
import { FAMILIES, parseIpAddress, type Asn, type Family, type IpAddress, type Prefix } from '../types.ts';
import type { AdjOut } from './adj-out.ts';
import type { AttrSet } from './attr-set.ts';
import type { ExportTarget } from './export.ts';
import type { ReceivingPeer } from './import.ts';
import { Source } from './path.ts';
import type { PeerRole, RibPeerConfig, RibSessionInfo } from './types.ts';

export interface PeerState {
  readonly config: RibPeerConfig;
  readonly src: Source;
  readonly role: PeerRole;
  /** Our AS toward this peer. */
  readonly localAsn: Asn;
  /** Set while Established. */
  out: AdjOut | null;
  target: ExportTarget | null;
  /** Per family: source attribute set -> (path source -> out set or null). */
  cache: Map<Family, WeakMap<AttrSet, Map<Source, AttrSet | null>>>;
  /** Pre-policy Adj-RIB-In (soft reconfiguration), key prefix or "prefix#pathId". */
  readonly prePolicy: Map<Family, Map<string, AttrSet>> | null;
  /** What the received-side checks need (our addresses change when the session comes up). */
  check: ReceivingPeer;
  /** Per family: [received (cumulative), accepted (current)]. */
  readonly fam: Map<Family, [number, number]>;
  /**
   * Graceful restart (RFC 4724 §4.2): per family, the keys (prefix or
   * "prefix#pathId") of the paths kept from a lost session and not
   * re-announced since; null when none is kept.
   */
  stale: Map<Family, Set<string>> | null;
}

/** The key of a pre-policy route. */
export const preKey = (prefix: Prefix, pathId: number): string => (pathId === 0 ? prefix : `${prefix}#${pathId}`);

/** Splits a pre-policy key back into (prefix, path id). */
export function parsePreKey(key: string): [Prefix, number] {
  const hash = key.indexOf('#');
  return hash < 0 ? [key as Prefix, 0] : [key.slice(0, hash) as Prefix, Number(key.slice(hash + 1))];
}

const defined = (a: IpAddress | undefined): a is IpAddress => a !== undefined;

/** A peer's state when registered (no session yet). */
export function newPeerState(config: RibPeerConfig, ribAsn: Asn): PeerState {
  const localAsn = config.localAsn ?? ribAsn;
  const role: PeerRole = config.role ?? (config.asn === localAsn ? 'ibgp' : 'ebgp');
  return {
    config,
    src: new Source(config.id, 'peer', role, config.asn, null),
    role,
    localAsn,
    out: null,
    target: null,
    cache: new Map(),
    stale: null,
    prePolicy: config.softReconfigIn === true ? new Map(FAMILIES.map((f) => [f, new Map()])) : null,
    check: { role, asn: config.asn, localAsn, enforceFirstAs: config.enforceFirstAs ?? true, localAddresses: [config.localNextHop4, config.localNextHop6].filter(defined) },
    fam: new Map(FAMILIES.map((f) => [f, [0, 0]])),
  };
}

/** Canonical text of a socket address (IPv4-mapped IPv6 becomes IPv4). */
function canonical(address: string): string {
  const a = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  try {
    return parseIpAddress(a);
  } catch {
    return a;
  }
}

/** Session up: our addresses for the checks, and the export target (next hops default to the session's local address). */
export function bindSession(p: PeerState, info: RibSessionInfo): void {
  const local = canonical(info.localAddress);
  const local6 = local.includes(':');
  const c = p.config;
  p.check = { ...p.check, localAddresses: [local as IpAddress, c.localNextHop4, c.localNextHop6].filter(defined) };
  p.target = {
    source: p.src,
    role: p.role,
    asn: c.asn,
    localAsn: p.localAsn,
    nextHopSelf: c.nextHopSelf === true,
    senderSideLoopCheck: c.senderSideLoopCheck ?? true,
    stripEbgpMed: c.stripEbgpMed ?? true,
    localNextHop4: c.localNextHop4 ?? (local6 ? null : (local as IpAddress)),
    localNextHop6: c.localNextHop6 ?? (local6 ? (local as IpAddress) : null),
    wire: info.capabilities.context,
  };
  p.cache = new Map();
}
