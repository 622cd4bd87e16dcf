// Kernel routes over rtnetlink (the `netlink` package): dump the routes of one
// protocol number, replace (create-or-replace, never delete+add) and delete
// single routes, ECMP through RTA_MULTIPATH. Kernel errors keep their errno,
// the operation and the route. The netlink socket lives in the network
// namespace of the process that opens it.
import { isIPv4, isIPv6 } from 'node:net';
import { createRtNetlink } from 'netlink';
import type { RtNetlinkSocket } from 'netlink';

/** podnet's route protocol number (rtm_protocol): not used by the kernel, BIRD (12) or FRR (186-197). */
export const PODNET_RTPROT = 87;
export const MAIN_TABLE = 254;

const AF_INET = 2;
const AF_INET6 = 10;
const RTA_GATEWAY = 5;
const RTNH_F_ONLINK = 4;
const NLM_F_REPLACE = 0x100;
const NLM_F_CREATE = 0x400;

export interface NextHop {
  /** Gateway address (same family as the destination). */
  readonly gateway: string;
  /** Outgoing interface index; 0 lets the kernel resolve it from the gateway. */
  readonly ifindex?: number;
  /** Use the gateway even if no connected route covers it (tunnels). */
  readonly onlink?: boolean;
}

export interface KernelRoute {
  /** Destination prefix, canonical ("10.244.1.0/24", "fd00:1::/64"). */
  readonly dst: string;
  /** One next hop, or several for ECMP (sorted by the caller). */
  readonly nexthops: readonly NextHop[];
  readonly table: number;
  readonly protocol: number;
}

export class NetlinkError extends Error {
  readonly errno: string;
  readonly op: string;
  readonly object: string;
  constructor(op: string, object: string, cause: unknown) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    const errno = /\b(E[A-Z]+)\b/.exec(msg)?.[1] ?? 'EUNKNOWN';
    super(`netlink ${op} ${object}: ${errno} (${msg})`);
    this.errno = errno;
    this.op = op;
    this.object = object;
  }
}

export function addrBytes(addr: string): Buffer {
  if (isIPv4(addr)) return Buffer.from(addr.split('.').map(Number));
  if (!isIPv6(addr)) throw new RangeError(`not an IP address: ${addr}`);
  const [head = '', tail = ''] = addr.includes('::') ? addr.split('::') : [addr, ''];
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = addr.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(Number.parseInt(g, 16), i * 2));
  return b;
}

export function bytesAddr(b: Uint8Array): string {
  if (b.length === 4) return [...b].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((b[i] ?? 0) << 8) | (b[i + 1] ?? 0)).toString(16));
  // RFC 5952: compress the longest run of zero groups (length >= 2).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function splitPrefix(dst: string): { addr: Buffer; len: number; family: number } {
  const [a = '', l = ''] = dst.split('/');
  const addr = addrBytes(a);
  return { addr, len: Number(l), family: addr.length === 4 ? AF_INET : AF_INET6 };
}

/** Encodes rtnexthop entries with a nested RTA_GATEWAY each (include/uapi/linux/rtnetlink.h). */
export function encodeMultipath(nexthops: readonly NextHop[]): Buffer {
  const parts = nexthops.map((nh) => {
    const gw = addrBytes(nh.gateway);
    const attrLen = 4 + gw.length;
    const len = 8 + attrLen;
    const b = Buffer.alloc(len);
    b.writeUInt16LE(len, 0); // rtnh_len
    b.writeUInt8(nh.onlink === true ? RTNH_F_ONLINK : 0, 2); // rtnh_flags
    b.writeUInt8(0, 3); // rtnh_hops (weight - 1)
    b.writeInt32LE(nh.ifindex ?? 0, 4); // rtnh_ifindex
    b.writeUInt16LE(attrLen, 8);
    b.writeUInt16LE(RTA_GATEWAY, 10);
    gw.copy(b, 12);
    return b;
  });
  return Buffer.concat(parts);
}

export function decodeMultipath(b: Uint8Array): NextHop[] {
  const out: NextHop[] = [];
  const v = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let off = 0;
  while (off + 8 <= v.length) {
    const len = v.readUInt16LE(off);
    if (len < 8) break;
    const flags = v.readUInt8(off + 2);
    const ifindex = v.readInt32LE(off + 4);
    let a = off + 8;
    let gateway = '';
    while (a + 4 <= off + len) {
      const alen = v.readUInt16LE(a);
      const atype = v.readUInt16LE(a + 2);
      if (alen < 4) break;
      if (atype === RTA_GATEWAY) gateway = bytesAddr(v.subarray(a + 4, a + alen));
      a += (alen + 3) & ~3;
    }
    out.push({ gateway, ifindex, ...((flags & RTNH_F_ONLINK) !== 0 ? { onlink: true } : {}) });
    off += (len + 3) & ~3;
  }
  return out;
}

/** The kernel-route operations the routes controller needs (a seam for unit tests). */
export interface RouteTable {
  /** Routes of `protocol` in `table`, both families. */
  list(protocol: number, table: number): Promise<KernelRoute[]>;
  replace(route: KernelRoute): Promise<void>;
  delete(route: KernelRoute): Promise<void>;
  close(): void;
}

function protoNumber(p: unknown): number {
  return typeof p === 'number' ? p : -1;
}

export class NetlinkRouteTable implements RouteTable {
  private readonly sock: RtNetlinkSocket;

  constructor() {
    this.sock = createRtNetlink();
  }

  async list(protocol: number, table: number): Promise<KernelRoute[]> {
    const out: KernelRoute[] = [];
    for (const family of [AF_INET, AF_INET6]) {
      let msgs;
      try {
        msgs = await this.sock.getRoutes({ family });
      } catch (err) {
        throw new NetlinkError('dump routes', family === AF_INET ? 'ipv4' : 'ipv6', err);
      }
      for (const m of msgs) {
        const t = m.attrs.table ?? m.data.table ?? 0;
        if (protoNumber(m.data.protocol) !== protocol || t !== table) continue;
        const dstAddr = m.attrs.dst !== undefined ? bytesAddr(m.attrs.dst) : family === AF_INET ? '0.0.0.0' : '::';
        const nexthops =
          m.attrs.multipath !== undefined
            ? decodeMultipath(m.attrs.multipath)
            : m.attrs.gateway !== undefined
              ? [{ gateway: bytesAddr(m.attrs.gateway), ifindex: m.attrs.oif ?? 0, ...(((m.data.flags?.__unknown ?? 0) & RTNH_F_ONLINK) !== 0 ? { onlink: true } : {}) }]
              : [];
        out.push({ dst: `${dstAddr}/${m.data.dstLen ?? 0}`, nexthops, table: t, protocol });
      }
    }
    return out;
  }

  async replace(route: KernelRoute): Promise<void> {
    const { addr, len, family } = splitPrefix(route.dst);
    const attrs: Record<string, unknown> = { dst: addr, table: route.table };
    let flags = 0;
    const [only] = route.nexthops;
    if (route.nexthops.length === 1 && only !== undefined) {
      attrs['gateway'] = addrBytes(only.gateway);
      if (only.ifindex !== undefined && only.ifindex !== 0) attrs['oif'] = only.ifindex;
      if (only.onlink === true) flags |= RTNH_F_ONLINK;
    } else if (route.nexthops.length > 1) {
      attrs['multipath'] = encodeMultipath(route.nexthops);
    } else {
      throw new NetlinkError('replace route', route.dst, new Error('EINVAL: no next hop'));
    }
    try {
      await this.sock.newRoute(
        { family, dstLen: len, table: route.table < 256 ? route.table : 252, protocol: route.protocol as never, scope: 0 as never, type: 1 as never, flags: flags !== 0 ? { __unknown: flags } : {} },
        attrs,
        { flags: NLM_F_CREATE | NLM_F_REPLACE },
      );
    } catch (err) {
      throw new NetlinkError('replace route', `${route.dst} via ${route.nexthops.map((n) => n.gateway).join(',')}`, err);
    }
  }

  async delete(route: KernelRoute): Promise<void> {
    const { addr, len, family } = splitPrefix(route.dst);
    try {
      await this.sock.delRoute({ family, dstLen: len, table: route.table < 256 ? route.table : 252, protocol: route.protocol as never }, { dst: addr, table: route.table });
    } catch (err) {
      const e = new NetlinkError('delete route', route.dst, err);
      if (e.errno === 'ESRCH') return; // already gone: the goal is reached
      throw e;
    }
  }

  close(): void {
    (this.sock.socket as unknown as { close?: () => void }).close?.();
  }
}
