// Export to one neighbour: which Loc-RIB best paths it gets and with which
// attributes (the default policy of GoBGP/kube-router: everything, with
// iBGP split horizon and the well-known communities honoured), and its
// Adj-RIB-Out: what it was sent, what is pending, and the pull source that
// packs pending changes into UPDATEs only when the socket has room.
// RFCs: 4271 §5.1.2 (AS_PATH prepend toward eBGP), §5.1.3 (NEXT_HOP: self
// toward eBGP, kept toward iBGP), §5.1.4 (MED is not passed to other ASes),
// §5.1.5 (LOCAL_PREF only toward iBGP), §9.1.3 and §9.2 (Adj-RIB-Out, no
// iBGP-learned route to another iBGP peer), 1997 (NO_EXPORT, NO_ADVERTISE),
// 4456 §8 (reflection: ORIGINATOR_ID, CLUSTER_LIST), 4724 §2 (End-of-RIB
// after the initial table), 2918 §3 (ROUTE-REFRESH sent through the same lane).
import type { Asn, Family, IpAddress, Ipv6, Prefix, RouterId } from '../types.ts';
import { isIpv6, prefixFamily } from '../types.ts';
import {
  WellKnownCommunity,
  buildUpdates,
  buildWithdrawals,
  encodeUpdate,
  endOfRib,
  type AsPathSegment,
  type PathAttributes,
  type WireContext,
} from '../wire/index.ts';
import { LOCAL, type Path } from './table.ts';

/** What export needs to know about the target neighbour and its session. */
export interface ExportTarget {
  readonly address: string;
  readonly ibgp: boolean;
  /** Our AS on this session (the local-ASN override or the speaker's). */
  readonly localAsn: Asn;
  readonly routerId: RouterId;
  /** The session's local address: our next hop toward this neighbour. */
  readonly localAddress: IpAddress;
  readonly families: ReadonlySet<Family>;
  readonly routeReflectorClient: boolean;
  /** Is the source of a path a route-reflector client (for reflection decisions)? */
  readonly isClient: (source: string) => boolean;
}

/** A route as it goes to one neighbour. */
export interface OutRoute {
  readonly prefix: Prefix;
  readonly family: Family;
  readonly nextHop: IpAddress;
  readonly attributes: PathAttributes;
  /** Identity of (next hop, attributes): equal keys need no re-send and share an UPDATE. */
  readonly key: string;
}

/** A stable text identity of (next hop, attributes). */
export function attributesKey(nextHop: string, a: PathAttributes): string {
  return `${nextHop}|${JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))}`;
}

/** A next hop of the prefix's family for a session over `local` (IPv4-mapped IPv6 for IPv6 over IPv4, as GoBGP does). */
function selfNextHop(family: Family, local: IpAddress): IpAddress | null {
  if (family === 'ipv6-unicast') return isIpv6(local) ? local : (`::ffff:${local}` as Ipv6);
  return isIpv6(local) ? null : local;
}

/** The route `path` becomes toward `t`, or null when it is not exported. */
export function exportRoute(path: Path, t: ExportTarget): OutRoute | null {
  if (!t.families.has(path.family)) return null;
  // never back to where it came from
  if (path.source === t.address) return null;
  const a = path.attributes;
  const comms = a.communities ?? [];
  // RFC 1997: NO_ADVERTISE to nobody, NO_EXPORT (and NO_EXPORT_SUBCONFED) not outside the AS
  if (comms.includes(WellKnownCommunity.noAdvertise)) return null;
  if (!t.ibgp && (comms.includes(WellKnownCommunity.noExport) || comms.includes(WellKnownCommunity.noExportSubconfed))) return null;
  let reflect = false;
  if (path.ibgp && t.ibgp) {
    // RFC 4271 §9.2: iBGP-learned routes go to iBGP peers only by reflection (RFC 4456 §6)
    if (!t.routeReflectorClient && !t.isClient(path.source)) return null;
    reflect = true;
  }
  const { nextHop: _n, mpReach: _r, mpUnreach: _u, localPref, med, originatorId, clusterList, ...rest } = a;
  const out: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = { ...rest, origin: a.origin ?? 0 };
  let nextHop: IpAddress | null;
  if (t.ibgp) {
    // RFC 4271 §5.1.5: LOCAL_PREF toward internal peers
    out.localPref = localPref ?? 100;
    if (med !== undefined) out.med = med;
    out.asPath = a.asPath ?? [];
    // RFC 4271 §5.1.3: an internal peer gets the next hop as learned; ours for local routes
    nextHop = path.source === LOCAL && !path.fixedNextHop ? selfNextHop(path.family, t.localAddress) : path.nextHop;
    if (reflect) {
      // RFC 4456 §8: ORIGINATOR_ID once, our id prepended to CLUSTER_LIST
      out.originatorId = originatorId ?? path.peerRouterId;
      out.clusterList = [t.routerId, ...(clusterList ?? [])];
    }
  } else {
    // RFC 4271 §5.1.4: a MED received from a neighbouring AS is not passed to another AS
    if (med !== undefined && path.source === LOCAL) out.med = med;
    out.asPath = prependAs(a.asPath ?? [], t.localAsn, 1 + (path.source === LOCAL ? path.prepend : 0));
    // RFC 4271 §5.1.3: next hop self toward an external peer (a configured next hop is kept: third-party)
    nextHop = path.fixedNextHop ? path.nextHop : selfNextHop(path.family, t.localAddress);
  }
  if (nextHop === null || (path.family === 'ipv4-unicast' && isIpv6(nextHop))) return null;
  return { prefix: path.prefix, family: path.family, nextHop, attributes: out, key: attributesKey(nextHop, out) };
}

/** RFC 4271 §5.1.2: our AS in front, `times` over, merged into a leading AS_SEQUENCE (at most 255 per segment). */
export function prependAs(path: readonly AsPathSegment[], asn: Asn, times: number): AsPathSegment[] {
  const head = path[0];
  const prefix: Asn[] = Array.from({ length: times }, () => asn);
  if (head !== undefined && head.type === 'sequence' && head.asns.length + times <= 255) return [{ type: 'sequence', asns: [...prefix, ...head.asns] }, ...path.slice(1)];
  return [{ type: 'sequence', asns: prefix }, ...path];
}

/** One neighbour's Adj-RIB-Out and its pending changes. */
export class AdjOut {
  /** What the neighbour was told (or will be, once the queued messages go out). */
  readonly sent = new Map<Prefix, OutRoute>();
  /** Changes to send: a route, or null for a withdrawal. */
  readonly #pending = new Map<Prefix, OutRoute | null>();
  readonly #queue: Uint8Array[] = [];
  /** Families whose End-of-RIB follows the initial table (RFC 4724 §2). */
  readonly #eor = new Set<Family>();
  /** Messages other than UPDATEs handed out (ROUTE-REFRESH), for counters. */
  updatesBuilt = 0;

  constructor(families: Iterable<Family>) {
    for (const f of families) this.#eor.add(f);
  }

  /** Records the desired state of one prefix; true when something must be sent. */
  offer(prefix: Prefix, route: OutRoute | null, force = false): boolean {
    const cur = this.sent.get(prefix);
    if (!force && (route === null ? cur === undefined : cur?.key === route.key)) {
      this.#pending.delete(prefix);
      return false;
    }
    if (route === null && cur === undefined) return false;
    this.#pending.set(prefix, route);
    return true;
  }

  /** Queues a raw message (ROUTE-REFRESH) ahead of pending UPDATEs. */
  enqueue(message: Uint8Array): void {
    this.#queue.push(message);
  }

  get pending(): number {
    return this.#pending.size + this.#queue.length;
  }

  /** The pull source: the next message for the neighbour, packing pending changes when the queue is empty. */
  next(ctx: WireContext): Uint8Array | null {
    if (this.#queue.length === 0) this.#fill(ctx);
    return this.#queue.shift() ?? null;
  }

  #fill(ctx: WireContext): void {
    if (this.#pending.size > 0) {
      const withdrawals = new Map<Family, Prefix[]>();
      const groups = new Map<string, OutRoute[]>();
      for (const [prefix, r] of this.#pending) {
        if (r === null) {
          if (!this.sent.delete(prefix)) continue;
          const f = prefixFamily(prefix);
          let l = withdrawals.get(f);
          if (l === undefined) withdrawals.set(f, (l = []));
          l.push(prefix);
        } else {
          this.sent.set(prefix, r);
          const k = `${r.family}|${r.key}`;
          let g = groups.get(k);
          if (g === undefined) groups.set(k, (g = []));
          g.push(r);
        }
      }
      this.#pending.clear();
      for (const [family, prefixes] of withdrawals) this.#push(buildWithdrawals(family, prefixes, null, ctx));
      for (const g of groups.values()) {
        const first = g[0] as OutRoute;
        this.#push(buildUpdates({ family: first.family, attributes: first.attributes, nextHop: first.nextHop, prefixes: g.map((r) => r.prefix) }, ctx));
      }
    }
    if (this.#queue.length === 0 && this.#eor.size > 0) {
      for (const f of this.#eor) this.#push([encodeUpdate(endOfRib(f), ctx)]);
      this.#eor.clear();
    }
  }

  #push(messages: Uint8Array[]): void {
    this.updatesBuilt += messages.length;
    this.#queue.push(...messages);
  }
}
