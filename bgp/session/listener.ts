// The BGP listener: accepts TCP connections on the configured addresses
// (IPv4 and IPv6) and port (kube-router's --bgp-port, default 179), finds the
// configured Peer by the remote address and hands it the socket (it becomes
// TcpConnectionConfirmed, or a second connection resolved by collision
// detection). Connections from unknown addresses, or refused by their Peer,
// are closed, optionally after a Cease / Connection Rejected NOTIFICATION.
// Transport security (transport.ts): each listening socket holds the TCP-MD5
// key of every configured peer of its family (kept equal to the peers as
// they are added, changed and removed), and accepted connections get their
// peer's TTL and GTSM check before the Peer sees them.
// RFCs: 4271 §8.2.1.2 (incoming connections) and §6.8, 4486 §4 (subcode 5),
// 2385 (TCP-MD5 on the listener), 5082 (GTSM).
import { createServer, type Server, type Socket } from 'node:net';
import { canonicalAddress, rejectConnection, type Peer } from './peer.ts';
import type { IpFamily } from './sockopt.ts';
import { LISTENER_DEFAULTS, NO_TRANSPORT_SECURITY, applyListenerSecurity, fdOf, listenerSecurityOf, secureAccepted, type ListenerSecurity, type TransportSecurity } from './transport.ts';
import { SOCKET_HIGH_WATER_MARK } from './tx.ts';

export interface ListenerOptions {
  /** Addresses to listen on (default: all IPv4 and all IPv6). */
  readonly addresses?: readonly string[];
  /** TCP port (default 179); 0 picks a free port (tests). */
  readonly port?: number;
  /** Send Cease / Connection Rejected before closing a refused connection (default true). */
  readonly notifyRejected?: boolean;
}

export interface RejectedConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly reason: 'unknown peer' | 'refused by peer' | 'transport security';
  /** Why transport security refused it (GTSM), when it did. */
  readonly detail?: string;
}

/** What the Listener needs of a peer: a Peer, or a stand-in routing to one (the Speaker's). */
export type ListenerPeer = Pick<Peer, 'remoteAddress' | 'accept'> & { readonly transport?: TransportSecurity };

interface Bound {
  readonly server: Server;
  readonly family: IpFamily;
  /** The security now set on the listening socket. */
  applied: ListenerSecurity;
}

export class Listener {
  readonly #opts: ListenerOptions;
  readonly #peers = new Map<string, ListenerPeer>();
  readonly #servers: Bound[] = [];
  /** Called for each refused connection (observability). */
  onRejected: ((r: RejectedConnection) => void) | null = null;

  constructor(opts: ListenerOptions = {}) {
    this.#opts = opts;
  }

  /**
   * Routes connections from `peer.remoteAddress` to `peer` (replacing one
   * already there) and installs its TCP-MD5 key on the listening sockets.
   * Throws SockoptError when the kernel refuses the key.
   */
  addPeer(peer: ListenerPeer): void {
    this.#peers.set(peer.remoteAddress, peer);
    this.#secure();
  }

  removePeer(peer: ListenerPeer): void {
    if (this.#peers.get(peer.remoteAddress) !== peer) return;
    this.#peers.delete(peer.remoteAddress);
    this.#secure();
  }

  /** Binds every address; rejects if any cannot be bound (nothing stays open then). */
  async listen(): Promise<void> {
    const addresses = this.#opts.addresses ?? ['0.0.0.0', '::'];
    const port = this.#opts.port ?? 179;
    try {
      for (const host of addresses) {
        const bound: Bound = { server: createServer({ noDelay: true, highWaterMark: SOCKET_HIGH_WATER_MARK }, (socket) => this.#onConnection(bound, socket)), family: host.includes(':') ? 6 : 4, applied: LISTENER_DEFAULTS };
        const server = bound.server;
        this.#servers.push(bound);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          // an IPv6 wildcard must not also take IPv4, so '0.0.0.0' and '::' can share the port
          server.listen({ host, port, ipv6Only: host.includes(':') }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        this.#secure();
      }
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /** The bound (address, port) pairs. */
  get bound(): { address: string; port: number }[] {
    const out: { address: string; port: number }[] = [];
    for (const { server } of this.#servers) {
      const a = server.address();
      if (a !== null && typeof a === 'object') out.push({ address: a.address, port: a.port });
    }
    return out;
  }

  /**
   * Stops listening. Accepted connections belong to their Peers and stay up,
   * so this does not wait for them (node's close callback would: it fires
   * only once every accepted connection has ended).
   */
  async close(): Promise<void> {
    for (const s of this.#servers.splice(0)) s.server.close();
  }

  /** The security set on each listening socket (tests, diagnostics). */
  get security(): readonly ListenerSecurity[] {
    return this.#servers.map((b) => b.applied);
  }

  /** Brings every listening socket's keys and TTL options to what the peers need now. */
  #secure(): void {
    for (const b of this.#servers) {
      const fd = fdOf(b.server);
      if (fd === null) continue; // not bound yet: listen() applies it
      b.applied = applyListenerSecurity(fd, b.family, b.applied, listenerSecurityOf(b.family, this.#securityOfPeers()));
    }
  }

  *#securityOfPeers(): Iterable<{ remoteAddress: string; transport: TransportSecurity }> {
    for (const p of this.#peers.values()) yield { remoteAddress: p.remoteAddress, transport: p.transport ?? NO_TRANSPORT_SECURITY };
  }

  #onConnection(bound: Bound, socket: Socket): void {
    const remoteAddress = canonicalAddress(socket.remoteAddress ?? '');
    const remotePort = socket.remotePort ?? 0;
    const peer = this.#peers.get(remoteAddress);
    let refused: string | null = null;
    try {
      if (peer !== undefined) refused = secureAccepted(socket, bound.family, peer.transport ?? NO_TRANSPORT_SECURITY, bound.applied.ttl);
    } catch (e) {
      refused = e instanceof Error ? e.message : String(e);
    }
    if (refused !== null) {
      // RFC 5082 §3: not processed, so not answered either
      rejectConnection(socket, false);
      this.onRejected?.({ remoteAddress, remotePort, reason: 'transport security', detail: refused });
      return;
    }
    const accepted = peer !== undefined && peer.accept(socket);
    if (accepted) return;
    rejectConnection(socket, this.#opts.notifyRejected ?? true);
    this.onRejected?.({ remoteAddress, remotePort, reason: peer === undefined ? 'unknown peer' : 'refused by peer' });
  }
}
