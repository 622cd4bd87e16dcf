// Transport security of BGP connections: what a peer's configuration asks of
// its TCP connections (TCP-MD5 key, outgoing TTL, GTSM minimum TTL) and the
// three places it is applied: our outbound socket (before its SYN), the
// listening sockets (MD5 keys per peer address, TTL 255 for GTSM SYN-ACKs,
// saved SYNs, a minimum TTL when every peer of the family uses GTSM) and each
// accepted socket (the SYN's TTL checked, the peer's TTL and minimum TTL set).
//
// Outbound: node:net creates its fd only inside connect(), too late for a
// key that must sign the SYN. So the socket is created here (socket(2)
// through koffi), the options are set, and the fd is wrapped in a net.Socket
// whose connect() then runs on that very fd: Socket.connect reuses an
// existing handle (libuv's uv_tcp_connect on the opened fd), so connection
// events, errors, local binding and close are node's as usual. The socket is
// created paused (`pauseOnCreate`, an internal option of net.Socket) so it
// does not start reading before it is connected; it is resumed on 'connect'.
//
// Inbound: node exposes a server's and an accepted socket's fd only as
// `_handle.fd` (internal, stable since node 0.x on Unix): see fdOf.
//
// RFCs: 2385 (TCP MD5 signature option), 5082 (GTSM), 4271 (BGP-4; eBGP
// peers one hop away get TTL 1 unless multihop, as FRR and GoBGP do).
import { Socket, connect as netConnect, type Server, type TcpNetConnectOpts } from 'node:net';
import { closeFd, familyOf, openTcpSocket, savedSynTtl, setMd5Key, setMinTtl, setSaveSyn, setTtl, type IpFamily } from './sockopt.ts';

/** What a peer's connections must carry. */
export interface TransportSecurity {
  /** TCP-MD5 shared secret (RFC 2385), or null. */
  readonly password: string | null;
  /** Outgoing TTL / hop limit, or null for the system default. */
  readonly ttl: number | null;
  /** GTSM: lowest TTL / hop limit accepted from the peer (RFC 5082 §3), 0 for any. */
  readonly minTtl: number;
}

export const NO_TRANSPORT_SECURITY: TransportSecurity = { password: null, ttl: null, minTtl: 0 };

export interface TransportConfig {
  readonly password?: string;
  /** GTSM (RFC 5082): send TTL 255, accept only 255 from a directly connected peer (256 - multihopTtl otherwise). */
  readonly ttlSecurity?: boolean;
  /** The TTL that reaches the peer (eBGP multihop); with ttlSecurity, the hops the peer may be away. */
  readonly multihopTtl?: number;
}

/** Rejects values the kernel cannot take (RangeError). */
export function validateTransport(c: TransportConfig): void {
  if (c.password !== undefined) {
    const n = new TextEncoder().encode(c.password).length;
    // Linux keeps at most TCP_MD5SIG_MAXKEYLEN (80) octets; an empty key would mean no key at all
    if (n === 0 || n > 80) throw new RangeError(`TCP-MD5 password must be 1..80 octets, not ${n}`);
  }
  const m = c.multihopTtl;
  if (m !== undefined && (!Number.isInteger(m) || m < 1 || m > 255)) throw new RangeError(`multihop TTL ${m}: must be 1..255`);
}

/**
 * The transport security of a peer. TTL: GTSM sends 255 (RFC 5082 §3);
 * otherwise eBGP sends multihopTtl, by default 1 (the peer must be directly
 * connected, like FRR, GoBGP and kube-router); iBGP sends multihopTtl or
 * the system default.
 */
export function transportOf(c: TransportConfig, ebgp: boolean): TransportSecurity {
  const password = c.password ?? null;
  if (c.ttlSecurity === true) {
    // RFC 5082 §3: 255 from a directly connected peer, 255 - (hops - 1) from one further away
    return { password, ttl: 255, minTtl: 256 - (c.multihopTtl ?? 1) };
  }
  return { password, ttl: c.multihopTtl ?? (ebgp ? 1 : null), minTtl: 0 };
}

function secured(s: TransportSecurity): boolean {
  return s.password !== null || s.ttl !== null || s.minTtl > 0;
}

/**
 * The fd behind a node:net server or socket (`_handle.fd`: internal, but
 * the only way to reach it), or null when there is none (not open, or a
 * platform without fds).
 */
export function fdOf(x: Server | Socket): number | null {
  const fd = (x as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}

/** Options for the outbound connection (node:net's, host being an IP address). */
export type ConnectOptions = TcpNetConnectOpts & { readonly host: string; readonly writableHighWaterMark?: number };

/**
 * Starts an outbound connection: plain node:net when the peer needs nothing,
 * otherwise a socket whose MD5 key, TTL and minimum TTL are set before the
 * SYN (see the header). Throws SockoptError when the kernel refuses an option.
 */
export function connectSecured(options: ConnectOptions, security: TransportSecurity): Socket {
  if (!secured(security)) return netConnect(options);
  const family = familyOf(options.host);
  const fd = openTcpSocket(family);
  let socket: Socket;
  try {
    // RFC 2385 §2: the SYN is signed too, so the key goes on before connect()
    if (security.password !== null) setMd5Key(fd, { address: options.host, password: security.password });
    if (security.ttl !== null) setTtl(fd, family, security.ttl);
    // RFC 5082 §3: a SYN-ACK from further away is dropped by the kernel; the attempt stays pending
    if (security.minTtl > 0) setMinTtl(fd, family, security.minTtl);
    const opts = { fd, pauseOnCreate: true, readable: true, writable: true, ...(options.writableHighWaterMark !== undefined ? { writableHighWaterMark: options.writableHighWaterMark } : {}) };
    socket = new Socket(opts);
  } catch (e) {
    closeFd(fd);
    throw e;
  }
  // registered before the caller's listener: data flows from the next tick, once its 'data' handler is on
  socket.once('connect', () => socket.resume());
  return socket.connect(options);
}

/**
 * Applies a peer's security to a connection accepted by a listener of that
 * family: refuses it (returns why) when GTSM is on and its SYN arrived with
 * too low a TTL, else sets the peer's TTL and minimum TTL on it (it
 * inherited the listener's). The MD5 key was checked by the kernel already.
 */
export function secureAccepted(socket: Socket, family: IpFamily, security: TransportSecurity, listenerTtl: number | null): string | null {
  if (!secured(security) && listenerTtl === null) return null;
  const fd = fdOf(socket);
  if (fd === null) return secured(security) ? 'no socket descriptor to secure' : null;
  if (security.minTtl > 0) {
    // RFC 5082 §3: a packet below the expected TTL is not processed, the SYN included
    const ttl = savedSynTtl(fd);
    if (ttl !== null && ttl < security.minTtl) return `GTSM: SYN arrived with TTL ${ttl}, below ${security.minTtl}`;
  }
  if (security.ttl !== null || listenerTtl !== null) setTtl(fd, family, security.ttl ?? -1);
  setMinTtl(fd, family, security.minTtl);
  return null;
}

/** What a listening socket of one family needs for the peers of that family. */
export interface ListenerSecurity {
  /** MD5 keys by peer address. */
  readonly keys: ReadonlyMap<string, string>;
  /** TTL of SYN-ACKs: 255 once a peer uses GTSM (it drops lower ones), else null (system default). */
  readonly ttl: number | null;
  /** Kernel-side GTSM on SYNs: the lowest minTtl when every peer of the family uses GTSM, else 0. */
  readonly minTtl: number;
  /** Keep SYN headers so accepted connections can be checked per peer. */
  readonly saveSyn: boolean;
}

export function listenerSecurityOf(family: IpFamily, peers: Iterable<{ readonly remoteAddress: string; readonly transport: TransportSecurity }>): ListenerSecurity {
  const keys = new Map<string, string>();
  let gtsm = false;
  let all = true;
  let min = 255;
  let any = false;
  for (const p of peers) {
    if (familyOf(p.remoteAddress) !== family) continue;
    any = true;
    const t = p.transport;
    if (t.password !== null) keys.set(p.remoteAddress, t.password);
    if (t.minTtl > 0) gtsm = true;
    else all = false;
    min = Math.min(min, t.minTtl);
  }
  return { keys, ttl: gtsm ? 255 : null, minTtl: any && all ? min : 0, saveSyn: gtsm };
}

/**
 * Brings a listening socket from `applied` to `want`: keys added, changed
 * and deleted, TTL, minimum TTL and saved SYNs. Returns what is now applied.
 */
export function applyListenerSecurity(fd: number, family: IpFamily, applied: ListenerSecurity, want: ListenerSecurity): ListenerSecurity {
  for (const [address, password] of want.keys) {
    if (applied.keys.get(address) !== password) setMd5Key(fd, { address, password });
  }
  for (const address of applied.keys.keys()) {
    if (!want.keys.has(address)) setMd5Key(fd, { address, password: null });
  }
  if (want.ttl !== applied.ttl) setTtl(fd, family, want.ttl ?? -1);
  if (want.minTtl !== applied.minTtl) setMinTtl(fd, family, want.minTtl);
  if (want.saveSyn !== applied.saveSyn) setSaveSyn(fd, want.saveSyn);
  return want;
}

export const LISTENER_DEFAULTS: ListenerSecurity = { keys: new Map(), ttl: null, minTtl: 0, saveSyn: false };
