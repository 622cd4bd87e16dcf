// Linux socket options that node:net does not expose, called through koffi
// (FFI into libc): socket(2), setsockopt(2), getsockopt(2) on a raw fd.
// TCP-MD5 keys (struct tcp_md5sig of include/uapi/linux/tcp.h, optionally
// keyed by prefix with TCP_MD5SIG_EXT), outgoing TTL / hop limit, minimum
// accepted TTL (IP_MINTTL / IPV6_MINHOPCOUNT), and the saved SYN headers
// (TCP_SAVE_SYN / TCP_SAVED_SYN) that tell the TTL an accepted connection's
// SYN arrived with. The struct encoders are pure (golden-tested); everything
// else is a thin call that throws SockoptError with the errno.
// RFCs: 2385 (TCP MD5 signature option), 5082 (GTSM), 5925 (TCP-AO: probe only).
import { constants as osConstants } from 'node:os';
import { isIP } from 'node:net';
import koffi from 'koffi';
import { ipv4ToNumber, ipv6ToBytes } from '../types.ts';

/** Linux values (include/linux/socket.h, uapi/linux/in.h, in6.h, tcp.h); x86-64 and arm64 agree. */
export const LINUX = {
  AF_INET: 2,
  AF_INET6: 10,
  SOCK_STREAM: 1,
  SOCK_NONBLOCK: 0o4000,
  SOCK_CLOEXEC: 0o2000000,
  IPPROTO_IP: 0,
  IPPROTO_TCP: 6,
  IPPROTO_IPV6: 41,
  IP_TTL: 2,
  IP_MINTTL: 21,
  IPV6_UNICAST_HOPS: 16,
  IPV6_MINHOPCOUNT: 73,
  TCP_MD5SIG: 14,
  TCP_SAVE_SYN: 27,
  TCP_SAVED_SYN: 28,
  TCP_MD5SIG_EXT: 32,
  TCP_AO_ADD_KEY: 38,
  TCP_MD5SIG_FLAG_PREFIX: 0x1,
  TCP_MD5SIG_MAXKEYLEN: 80,
  /** sizeof(struct tcp_md5sig): sockaddr_storage (128) + flags, prefixlen, keylen, ifindex (8) + key (80). */
  TCP_MD5SIG_SIZE: 216,
  ENOENT: 2,
  ENOPROTOOPT: 92,
} as const;

export type IpFamily = 4 | 6;

/** A failed system call: the operation, and the errno the kernel returned. */
export class SockoptError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly op: string;
  constructor(op: string, errno: number) {
    const code = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
    super(`${op}: ${code}`);
    this.name = 'SockoptError';
    this.op = op;
    this.errno = errno;
    this.code = code;
  }
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

export function familyOf(address: string): IpFamily {
  const f = isIP(address);
  if (f !== 4 && f !== 6) throw new RangeError(`not an IP address: ${address}`);
  return f;
}

// ---------------------------------------------------------------- pure layouts

/** struct sockaddr_in / sockaddr_in6 (family in host order = little-endian, port and address in network order). */
export function encodeSockaddr(address: string, port = 0): Uint8Array {
  const family = familyOf(address);
  const out = new Uint8Array(family === 4 ? 16 : 28);
  const view = new DataView(out.buffer);
  view.setUint16(0, family === 4 ? LINUX.AF_INET : LINUX.AF_INET6, true);
  view.setUint16(2, port, false);
  out.set(addressBytes(address), family === 4 ? 4 : 8); // in6: after sin6_flowinfo
  return out;
}

/** The 4 or 16 octets of an address. */
export function addressBytes(address: string): Uint8Array {
  const v4 = ipv4ToNumber(address);
  if (v4 >= 0) return Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255);
  const v6 = ipv6ToBytes(address);
  if (v6 === null) throw new RangeError(`not an IP address: ${address}`);
  return v6;
}

export interface Md5Key {
  /** The peer's address (or the base of a prefix). */
  readonly address: string;
  /** Key a whole subnet (TCP_MD5SIG_EXT with TCP_MD5SIG_FLAG_PREFIX); omitted: this address only. */
  readonly prefixLength?: number;
  /** The shared secret (UTF-8, at most 80 octets); null deletes the key. */
  readonly password: string | null;
}

/** struct tcp_md5sig for TCP_MD5SIG (exact address) or TCP_MD5SIG_EXT (with a prefix length). */
export function encodeTcpMd5sig(k: Md5Key): Uint8Array {
  const family = familyOf(k.address);
  const key = k.password === null ? new Uint8Array(0) : new TextEncoder().encode(k.password);
  // RFC 2385 §4 puts no bound on the key; Linux holds at most TCP_MD5SIG_MAXKEYLEN octets
  if (key.length > LINUX.TCP_MD5SIG_MAXKEYLEN) throw new RangeError(`TCP-MD5 password longer than ${LINUX.TCP_MD5SIG_MAXKEYLEN} octets`);
  if (k.prefixLength !== undefined && (!Number.isInteger(k.prefixLength) || k.prefixLength < 0 || k.prefixLength > (family === 4 ? 32 : 128))) {
    throw new RangeError(`prefix length ${k.prefixLength} out of range`);
  }
  const out = new Uint8Array(LINUX.TCP_MD5SIG_SIZE);
  const view = new DataView(out.buffer);
  out.set(encodeSockaddr(k.address), 0); // tcpm_addr: struct __kernel_sockaddr_storage (128)
  if (k.prefixLength !== undefined) {
    out[128] = LINUX.TCP_MD5SIG_FLAG_PREFIX; // tcpm_flags
    out[129] = k.prefixLength; // tcpm_prefixlen
  }
  view.setUint16(130, key.length, true); // tcpm_keylen; 0 deletes
  view.setInt32(132, 0, true); // tcpm_ifindex: no device scope
  out.set(key, 136); // tcpm_key[80]
  return out;
}

/** The TTL (IPv4) or hop limit (IPv6) of a saved SYN (TCP_SAVED_SYN: network header, then TCP header). */
export function synTtl(headers: Uint8Array): number {
  const version = (headers[0] ?? 0) >> 4;
  const ttl = version === 4 ? headers[8] : version === 6 ? headers[7] : undefined;
  if (ttl === undefined) throw new RangeError(`saved SYN: not an IPv4/IPv6 header (${headers.length} octets)`);
  return ttl;
}

// ---------------------------------------------------------------- system calls

interface Libc {
  socket: (domain: number, type: number, protocol: number) => number;
  setsockopt: (fd: number, level: number, name: number, value: Uint8Array, len: number) => number;
  getsockopt: (fd: number, level: number, name: number, value: Uint8Array, len: number[]) => number;
  close: (fd: number) => number;
}

let libc: Libc | null = null;

/** Loads libc once, on first use (a process that never secures a socket never loads the FFI). */
function sys(): Libc {
  if (libc !== null) return libc;
  const lib = koffi.load('libc.so.6');
  libc = {
    socket: lib.func('int socket(int domain, int type, int protocol)') as Libc['socket'],
    setsockopt: lib.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)') as Libc['setsockopt'],
    getsockopt: lib.func('int getsockopt(int fd, int level, int name, _Out_ void *value, _Inout_ uint32_t *len)') as Libc['getsockopt'],
    close: lib.func('int close(int fd)') as Libc['close'],
  };
  return libc;
}

function check(op: string, rc: number): number {
  if (rc < 0) throw new SockoptError(op, koffi.errno());
  return rc;
}

function int32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n, true);
  return b;
}

function setInt(fd: number, level: number, name: number, value: number, op: string): void {
  check(`setsockopt(${op}=${value})`, sys().setsockopt(fd, level, name, int32(value), 4));
}

/** A non-blocking, close-on-exec TCP socket of the family (socket(2)). */
export function openTcpSocket(family: IpFamily): number {
  const domain = family === 4 ? LINUX.AF_INET : LINUX.AF_INET6;
  return check('socket', sys().socket(domain, LINUX.SOCK_STREAM | LINUX.SOCK_NONBLOCK | LINUX.SOCK_CLOEXEC, 0));
}

export function closeFd(fd: number): void {
  sys().close(fd);
}

/**
 * Installs (or, with a null password, deletes) the TCP-MD5 key for a peer
 * address or prefix on a socket: on a connecting socket before its SYN, on a
 * listening socket for the connections it will accept (RFC 2385 §2: every
 * segment is signed, the handshake included). Deleting a key that is not
 * there is not an error.
 */
export function setMd5Key(fd: number, key: Md5Key): void {
  const name = key.prefixLength === undefined ? LINUX.TCP_MD5SIG : LINUX.TCP_MD5SIG_EXT;
  const rc = sys().setsockopt(fd, LINUX.IPPROTO_TCP, name, encodeTcpMd5sig(key), LINUX.TCP_MD5SIG_SIZE);
  if (rc < 0) {
    const errno = koffi.errno();
    if (key.password === null && errno === LINUX.ENOENT) return;
    throw new SockoptError(`setsockopt(TCP_MD5SIG ${key.address}${key.prefixLength === undefined ? '' : `/${key.prefixLength}`})`, errno);
  }
}

/** Outgoing TTL / hop limit (1..255; -1: the system default). `family` is the socket's. */
export function setTtl(fd: number, family: IpFamily, ttl: number): void {
  if (family === 4) setInt(fd, LINUX.IPPROTO_IP, LINUX.IP_TTL, ttl, 'IP_TTL');
  else setInt(fd, LINUX.IPPROTO_IPV6, LINUX.IPV6_UNICAST_HOPS, ttl, 'IPV6_UNICAST_HOPS');
}

/** Minimum TTL / hop limit of accepted segments (0: off); the kernel drops the others (RFC 5082 §3). */
export function setMinTtl(fd: number, family: IpFamily, min: number): void {
  if (family === 4) setInt(fd, LINUX.IPPROTO_IP, LINUX.IP_MINTTL, min, 'IP_MINTTL');
  else setInt(fd, LINUX.IPPROTO_IPV6, LINUX.IPV6_MINHOPCOUNT, min, 'IPV6_MINHOPCOUNT');
}

/** On a listening socket: keep each new connection's SYN headers for savedSynTtl (1) or not (0). */
export function setSaveSyn(fd: number, on: boolean): void {
  setInt(fd, LINUX.IPPROTO_TCP, LINUX.TCP_SAVE_SYN, on ? 1 : 0, 'TCP_SAVE_SYN');
}

/** The TTL the accepted connection's SYN arrived with, or null when none was saved (it can be read once). */
export function savedSynTtl(fd: number): number | null {
  const buf = new Uint8Array(512);
  const len = [buf.length];
  check('getsockopt(TCP_SAVED_SYN)', sys().getsockopt(fd, LINUX.IPPROTO_TCP, LINUX.TCP_SAVED_SYN, buf, len));
  const n = len[0] ?? 0;
  return n === 0 ? null : synTtl(buf.subarray(0, n));
}

/** Reads an int socket option (tests and diagnostics). */
export function getIntOption(fd: number, level: number, name: number): number {
  const buf = new Uint8Array(4);
  check(`getsockopt(${level}, ${name})`, sys().getsockopt(fd, level, name, buf, [4]));
  return new DataView(buf.buffer).getInt32(0, true);
}

/**
 * Whether this kernel offers TCP-AO (RFC 5925; Linux >= 6.7 built with
 * CONFIG_TCP_AO): setsockopt(TCP_AO_ADD_KEY) answers ENOPROTOOPT when not.
 * An empty struct draws EINVAL from a kernel that has it, so nothing is added.
 */
export function tcpAoSupported(): boolean {
  const fd = openTcpSocket(4);
  try {
    return sys().setsockopt(fd, LINUX.IPPROTO_TCP, LINUX.TCP_AO_ADD_KEY, new Uint8Array(4), 4) === 0 || koffi.errno() !== LINUX.ENOPROTOOPT;
  } finally {
    closeFd(fd);
  }
}
