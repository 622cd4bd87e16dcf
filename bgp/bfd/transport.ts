// BFD single-hop transport (RFC 5881): control packets to UDP port 3784 of
// the peer, from a source port in 49152-65535 kept for the session (§4), with
// TTL / hop limit 255 (§5, GTSM). One receiving socket per address family on
// port 3784 demultiplexes by Your Discriminator, or by the source address
// while the peer does not know ours yet (§6.3 of RFC 5880). The receiver does
// not check the arriving TTL: node:dgram exposes no IP_RECVTTL (a known
// limit, see docs/tor-peering.md; the session is single-hop on a link anyway).
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Clock } from '../session/clock.ts';
import { decodeBfd, encodeBfd } from './packet.ts';
import { BfdSession, type BfdParams } from './session.ts';

export const BFD_PORT = 3784;

interface Entry {
  readonly peer: string;
  readonly session: BfdSession;
  readonly tx: Socket;
}

export class BfdTransport {
  readonly #clock: Clock;
  readonly #log: (msg: string, fields: Record<string, unknown>) => void;
  readonly #rx = new Map<4 | 6, Socket>();
  readonly #byPeer = new Map<string, Entry>();
  readonly #byDisc = new Map<number, Entry>();
  /** Malformed or unmatched packets dropped (never a crash). */
  dropped = 0;
  /** Port of the receiving sockets (3784; tests may use another). */
  readonly port: number;

  constructor(clock: Clock, log: (msg: string, fields: Record<string, unknown>) => void, port = BFD_PORT) {
    this.#clock = clock;
    this.#log = log;
    this.port = port;
  }

  async #receiver(family: 4 | 6): Promise<void> {
    if (this.#rx.has(family)) return;
    const s = createSocket({ type: family === 4 ? 'udp4' : 'udp6', reuseAddr: true });
    this.#rx.set(family, s);
    s.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo.address));
    s.on('error', (e) => this.#log('BFD receive socket error', { error: e.message }));
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(this.port, family === 4 ? '0.0.0.0' : '::', () => resolve());
    });
  }

  #onMessage(msg: Buffer, from: string): void {
    let p;
    try {
      p = decodeBfd(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
    } catch {
      this.dropped++;
      return;
    }
    const peer = from.replace(/^::ffff:/, '');
    const e = p.yourDiscriminator !== 0 ? this.#byDisc.get(p.yourDiscriminator) : this.#byPeer.get(peer);
    // single hop: the packet must come from the session's peer (RFC 5881 §4)
    if (e === undefined || e.peer !== peer) {
      this.dropped++;
      return;
    }
    e.session.receive(p);
  }

  /** Starts a session with `peer` from `local`; returns it (onChange is the caller's). */
  async add(peer: string, local: string, params: BfdParams): Promise<BfdSession> {
    const family = isIP(peer) === 6 ? 6 : 4;
    await this.#receiver(family);
    const tx = createSocket({ type: family === 4 ? 'udp4' : 'udp6' });
    tx.on('error', (e) => this.#log('BFD send socket error', { peer, error: e.message }));
    // RFC 5881 §4: a source port in 49152-65535, the same for the whole session
    for (let attempt = 0; ; attempt++) {
      const port = 49152 + Math.floor(Math.random() * 16384);
      try {
        await new Promise<void>((resolve, reject) => {
          tx.once('error', reject);
          tx.bind(port, local, () => {
            tx.off('error', reject);
            resolve();
          });
        });
        break;
      } catch (err) {
        if (attempt >= 20) throw err;
      }
    }
    tx.setTTL(255);
    let disc = 0;
    while (disc === 0 || this.#byDisc.has(disc)) disc = (Math.random() * 0xffffffff) >>> 0;
    const session = new BfdSession(params, disc, this.#clock, (pkt) => {
      tx.send(encodeBfd(pkt), this.port, peer);
    });
    const entry: Entry = { peer, session, tx };
    this.#byPeer.set(peer, entry);
    this.#byDisc.set(disc, entry);
    session.start();
    return session;
  }

  remove(peer: string): void {
    const e = this.#byPeer.get(peer);
    if (e === undefined) return;
    e.session.stop();
    e.tx.close();
    this.#byPeer.delete(peer);
    this.#byDisc.delete(e.session.localDiscriminator);
  }

  close(): void {
    for (const peer of this.#byPeer.keys()) this.remove(peer);
    for (const s of this.#rx.values()) s.close();
    this.#rx.clear();
  }
}
