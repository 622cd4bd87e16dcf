// The BGP listener: accepts TCP connections on the configured addresses
// (IPv4 and IPv6) and port (kube-router's --bgp-port, default 179), finds the
// configured Peer by the remote address and hands it the socket (it becomes
// TcpConnectionConfirmed, or a second connection resolved by collision
// detection). Connections from unknown addresses, or refused by their Peer,
// are closed, optionally after a Cease / Connection Rejected NOTIFICATION.
// RFCs: 4271 §8.2.1.2 (incoming connections) and §6.8, 4486 §4 (subcode 5).
import { createServer, type Server, type Socket } from 'node:net';
import { canonicalAddress, rejectConnection, type Peer } from './peer.ts';
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
  readonly reason: 'unknown peer' | 'refused by peer';
}

export class Listener {
  readonly #opts: ListenerOptions;
  readonly #peers = new Map<string, Peer>();
  readonly #servers: Server[] = [];
  /** Called for each refused connection (observability). */
  onRejected: ((r: RejectedConnection) => void) | null = null;

  constructor(opts: ListenerOptions = {}) {
    this.#opts = opts;
  }

  /** Routes connections from `peer.remoteAddress` to `peer`. */
  addPeer(peer: Peer): void {
    this.#peers.set(peer.remoteAddress, peer);
  }

  removePeer(peer: Peer): void {
    if (this.#peers.get(peer.remoteAddress) === peer) this.#peers.delete(peer.remoteAddress);
  }

  /** Binds every address; rejects if any cannot be bound (nothing stays open then). */
  async listen(): Promise<void> {
    const addresses = this.#opts.addresses ?? ['0.0.0.0', '::'];
    const port = this.#opts.port ?? 179;
    try {
      for (const host of addresses) {
        const server = createServer({ noDelay: true, highWaterMark: SOCKET_HIGH_WATER_MARK }, (socket) => this.#onConnection(socket));
        this.#servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          // an IPv6 wildcard must not also take IPv4, so '0.0.0.0' and '::' can share the port
          server.listen({ host, port, ipv6Only: host.includes(':') }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      }
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /** The bound (address, port) pairs. */
  get bound(): { address: string; port: number }[] {
    const out: { address: string; port: number }[] = [];
    for (const s of this.#servers) {
      const a = s.address();
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
    for (const s of this.#servers.splice(0)) s.close();
  }

  #onConnection(socket: Socket): void {
    const remoteAddress = canonicalAddress(socket.remoteAddress ?? '');
    const remotePort = socket.remotePort ?? 0;
    const peer = this.#peers.get(remoteAddress);
    const accepted = peer !== undefined && peer.accept(socket);
    if (accepted) return;
    rejectConnection(socket, this.#opts.notifyRejected ?? true);
    this.onRejected?.({ remoteAddress, remotePort, reason: peer === undefined ? 'unknown peer' : 'refused by peer' });
  }
}
