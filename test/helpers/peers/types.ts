// Shared shapes of the real-BGP-daemon harness: what a test asks a daemon to
// be (router-id, ASN, neighbours, originated routes with attributes) and the
// normalised route every daemon's rib() returns, whatever its CLI prints.
// Attribute text forms follow RFC 1997 (communities "asn:value") and
// RFC 8092 (large communities "global:local1:local2").
import type { Netns } from '../netns.ts';

export type Family = 'ipv4' | 'ipv6';

export interface NeighborSpec {
  /** The neighbour's address (IPv4 or IPv6); the session's transport family follows it. */
  readonly address: string;
  readonly asn: number;
  /** Wait for the neighbour to connect; never dial out. */
  readonly passive?: boolean;
  /** Address families negotiated on this session (default: the transport's family). */
  readonly families?: readonly Family[];
  /** Hold time in seconds (default 90; keepalive = hold / 3). */
  readonly holdTime?: number;
  /** TCP MD5 signature password (RFC 2385). */
  readonly password?: string;
  /** eBGP multihop TTL (default: directly connected). */
  readonly multihop?: number;
  /** Announce the daemon's originated routes to this neighbour (default true). */
  readonly exportStatic?: boolean;
  /** Destination TCP port (default 179). */
  readonly port?: number;
  /**
   * Advertise Graceful Restart (RFC 4724). GoBGP and FRR send End-of-RIB only
   * when it is negotiated; BIRD advertises it (aware mode) by default anyway.
   */
  readonly gracefulRestart?: boolean;
  /** BFD with this neighbour (RFC 5880), e.g. { minRx: 100, minTx: 100, multiplier: 3 } (ms): BIRD and FRR (bfdd, with zebra). */
  readonly bfd?: { readonly minRx: number; readonly minTx: number; readonly multiplier: number };
}

export interface OriginRoute {
  /** "10.244.1.0/24" or "fd00:244:1::/64". */
  readonly prefix: string;
  readonly med?: number;
  readonly localPref?: number;
  /** Standard communities as "65000:100". */
  readonly communities?: readonly string[];
  /** Large communities as "65000:1:2" (not supported by every daemon: see each module). */
  readonly largeCommunities?: readonly string[];
}

export interface DaemonSpec {
  readonly ns: Netns;
  /** A short name for files and sockets (default: the daemon kind). */
  readonly name?: string;
  readonly routerId: string;
  readonly asn: number;
  /** Address the daemon listens on (and sources sessions from); default: any. */
  readonly listenAddress?: string;
  /** TCP listen port (default 179). */
  readonly listenPort?: number;
  readonly neighbors: readonly NeighborSpec[];
  readonly routes?: readonly OriginRoute[];
  /**
   * Next hops the daemon puts on its own routes when they are announced: these
   * become the NEXT_HOP / MP_REACH next hop toward eBGP peers unless the daemon
   * rewrites it (all four set next-hop-self on eBGP). Used by daemons that need
   * one to originate (ExaBGP, GoBGP). Defaults: the listen address / ::.
   */
  readonly nextHop?: { readonly ipv4?: string; readonly ipv6?: string };
}

/** One route as a daemon holds it, normalised across daemons. */
export interface RibRoute {
  readonly prefix: string;
  readonly nextHop: string;
  readonly asPath: number[];
  readonly med?: number;
  readonly localPref?: number;
  readonly communities: string[];
  readonly largeCommunities: string[];
  /** Neighbour the route was learned from; absent for the daemon's own routes. */
  readonly peer?: string;
}

export type DaemonKind = 'bird' | 'frr' | 'gobgp' | 'exabgp';

/** What every daemon wrapper offers. */
export interface BgpDaemon {
  readonly kind: DaemonKind;
  readonly spec: DaemonSpec;
  /** Directory holding this instance's config, sockets, pid and logs. */
  readonly dir: string;
  /** Resolves once the session to `neighbor` is Established; rejects after the deadline. */
  waitEstablished(neighbor: string, timeoutMs?: number): Promise<void>;
  /** Best routes per prefix (own and learned), normalised. */
  rib(family?: Family): Promise<RibRoute[]>;
  /** Originates a route at run time (or replaces one with the same prefix). */
  announce(route: OriginRoute): Promise<void>;
  /** Withdraws an originated route at run time. */
  withdraw(prefix: string): Promise<void>;
  /** Daemon log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export function familyOf(addressOrPrefix: string): Family {
  return addressOrPrefix.includes(':') ? 'ipv6' : 'ipv4';
}

/** Families of a neighbour: explicit, or the transport's. */
export function neighborFamilies(n: NeighborSpec): readonly Family[] {
  return n.families ?? [familyOf(n.address)];
}

/** Canonical text of an IPv6 address or prefix (lowercase, zero-compressed), IPv4 unchanged. */
export function canonicalPrefix(p: string): string {
  const [addr = '', len] = p.split('/');
  if (!addr.includes(':')) return p;
  const url = new URL(`http://[${addr}]/`);
  const canon = url.hostname.slice(1, -1);
  return len === undefined ? canon : `${canon}/${len}`;
}

/** Sort key so that ribs compare stably. */
export function sortRib(routes: RibRoute[]): RibRoute[] {
  return routes.sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : (a.peer ?? '').localeCompare(b.peer ?? '')));
}
