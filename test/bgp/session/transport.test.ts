// Transport security on real sockets over loopback (root namespace,
// 127.0.0.0/8, no privileges needed): our outbound socket carries its TTL,
// minimum TTL and MD5 key from the first SYN; the Listener's keys make the
// kernel drop unsigned and wrongly signed SYNs (counted in /proc/net/netstat)
// until the peer is removed; GTSM drops low-TTL SYNs in the kernel when every
// peer uses it and refuses them after accept (saved SYN) when not; two of our
// Peers with the same password reach Established, with different ones never
// leave Connect/Active.
// RFCs: 2385, 5082.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { Listener, type ListenerPeer, type RejectedConnection } from '../../../bgp/session/listener.ts';
import { LINUX, getIntOption } from '../../../bgp/session/sockopt.ts';
import { NO_TRANSPORT_SECURITY, connectSecured, fdOf, type TransportSecurity } from '../../../bgp/session/transport.ts';
import { AS_A, AS_B, ID_A, ID_B, cleanup, makeSide, portOf, waitFor } from './harness.ts';

/** A TcpExt counter of the root namespace (MD5 and min-TTL drops). */
function tcpExt(name: string): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = (lines[0] ?? '').split(/\s+/);
  const values = (lines[1] ?? '').split(/\s+/);
  const i = names.indexOf(name);
  if (i < 0) throw new Error(`no TcpExt counter ${name}`);
  return Number(values[i]);
}

const sec = (s: Partial<TransportSecurity>): TransportSecurity => ({ ...NO_TRANSPORT_SECURITY, ...s });

interface Client {
  readonly socket: Socket;
  connected: boolean;
  readonly data: Buffer[];
}

const clients: Socket[] = [];

function dial(port: number, localAddress: string, security: TransportSecurity, host = '127.0.0.1'): Client {
  const socket = connectSecured({ host, port, localAddress }, security);
  clients.push(socket);
  const c: Client = { socket, connected: false, data: [] };
  socket.on('connect', () => (c.connected = true));
  socket.on('data', (d: Buffer) => c.data.push(d));
  socket.on('error', () => {});
  return c;
}

/** A stand-in peer for the Listener that records what it was handed. */
function standIn(remoteAddress: string, transport: TransportSecurity): ListenerPeer & { readonly accepted: Socket[] } {
  const accepted: Socket[] = [];
  return {
    remoteAddress,
    transport,
    accepted,
    accept: (s: Socket) => {
      accepted.push(s);
      return true;
    },
  } as ListenerPeer & { readonly accepted: Socket[] };
}

describe('bgp/session transport security over loopback', function () {
  this.timeout(15_000);
  let listener: Listener | null = null;
  let server: Server | null = null;

  afterEach(async () => {
    for (const s of clients.splice(0)) s.destroy();
    await listener?.close();
    listener = null;
    server?.close();
    server = null;
    await cleanup();
  });

  it('an outbound socket has its TTL and minimum TTL before it connects, and carries data both ways', async () => {
    const received: Buffer[] = [];
    server = createServer((s) => {
      s.on('data', (d: Buffer) => received.push(d));
      s.write('from server');
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const c = dial(port, '127.0.0.1', sec({ ttl: 7, minTtl: 3 }));
    await waitFor(() => c.connected, 'connect');
    const fd = fdOf(c.socket);
    assert.ok(fd !== null);
    assert.equal(getIntOption(fd, LINUX.IPPROTO_IP, LINUX.IP_TTL), 7);
    assert.equal(getIntOption(fd, LINUX.IPPROTO_IP, LINUX.IP_MINTTL), 3);
    c.socket.write('from client');
    await waitFor(() => c.data.length > 0 && received.length > 0, 'data both ways');
    assert.equal(Buffer.concat(c.data).toString(), 'from server');
    assert.equal(Buffer.concat(received).toString(), 'from client');
  });

  it('the listener keys a peer: right key accepted, wrong or no key dropped by the kernel, no key needed once removed', async () => {
    listener = new Listener({ addresses: ['127.0.0.1'], port: 0 });
    await listener.listen();
    const peer = standIn('127.0.0.1', sec({ password: 'loopback-secret' }));
    listener.addPeer(peer);
    const port = listener.bound[0]?.port ?? 0;
    assert.deepEqual([...(listener.security[0]?.keys ?? [])], [['127.0.0.1', 'loopback-secret']]);

    const right = dial(port, '127.0.0.1', sec({ password: 'loopback-secret' }));
    await waitFor(() => right.connected && peer.accepted.length === 1, 'signed connection accepted');

    // RFC 2385 §2: a segment whose signature does not verify is dropped
    const failures = tcpExt('TCPMD5Failure');
    const wrong = dial(port, '127.0.0.1', sec({ password: 'not-the-secret' }));
    await waitFor(() => tcpExt('TCPMD5Failure') > failures, 'wrong signature counted');
    const notFound = tcpExt('TCPMD5NotFound');
    const plain = dial(port, '127.0.0.1', NO_TRANSPORT_SECURITY);
    await waitFor(() => tcpExt('TCPMD5NotFound') > notFound, 'missing signature counted');
    assert.equal(wrong.connected, false);
    assert.equal(plain.connected, false);
    assert.equal(peer.accepted.length, 1);

    // removing the peer deletes its key: an unsigned SYN completes the handshake again
    listener.removePeer(peer);
    assert.equal(listener.security[0]?.keys.size, 0);
    const after = dial(port, '127.0.0.1', NO_TRANSPORT_SECURITY);
    await waitFor(() => after.connected, 'unsigned connection after the key is gone');
  });

  it('IPv6: hop limit and minimum hop count on our socket; the listener keys an IPv6 peer', async () => {
    listener = new Listener({ addresses: ['::1'], port: 0 });
    await listener.listen();
    const peer = standIn('::1', sec({ password: 'v6-secret', ttl: 9, minTtl: 0 }));
    listener.addPeer(peer);
    const port = listener.bound[0]?.port ?? 0;
    const right = dial(port, '::1', sec({ password: 'v6-secret', ttl: 11, minTtl: 5 }), '::1');
    await waitFor(() => right.connected && peer.accepted.length === 1, 'signed IPv6 connection accepted');
    const fd = fdOf(right.socket);
    assert.ok(fd !== null);
    assert.equal(getIntOption(fd, LINUX.IPPROTO_IPV6, LINUX.IPV6_UNICAST_HOPS), 11);
    assert.equal(getIntOption(fd, LINUX.IPPROTO_IPV6, LINUX.IPV6_MINHOPCOUNT), 5);
    const afd = fdOf(peer.accepted[0] as Socket);
    assert.ok(afd !== null);
    assert.equal(getIntOption(afd, LINUX.IPPROTO_IPV6, LINUX.IPV6_UNICAST_HOPS), 9, 'the accepted socket gets the peer\'s hop limit');
    const failures = tcpExt('TCPMD5Failure');
    const wrong = dial(port, '::1', sec({ password: 'v4-secret' }), '::1');
    await waitFor(() => tcpExt('TCPMD5Failure') > failures, 'wrong IPv6 signature counted');
    assert.equal(wrong.connected, false);
    assert.equal(peer.accepted.length, 1);
  });

  it('GTSM: the kernel drops low-TTL SYNs when every peer uses it; otherwise they are refused after accept', async () => {
    listener = new Listener({ addresses: ['127.0.0.1'], port: 0 });
    const rejected: RejectedConnection[] = [];
    listener.onRejected = (r) => rejected.push(r);
    await listener.listen();
    const port = listener.bound[0]?.port ?? 0;
    const gtsm = standIn('127.0.0.1', sec({ ttl: 255, minTtl: 255 }));
    listener.addPeer(gtsm);
    assert.deepEqual({ ttl: listener.security[0]?.ttl, minTtl: listener.security[0]?.minTtl }, { ttl: 255, minTtl: 255 });

    // loopback does not decrement: the TTL sent is the TTL received
    const drops = tcpExt('TCPMinTTLDrop');
    const far = dial(port, '127.0.0.1', sec({ ttl: 254 }));
    await waitFor(() => tcpExt('TCPMinTTLDrop') > drops, 'low-TTL SYN dropped by the listener');
    assert.equal(far.connected, false);
    const near = dial(port, '127.0.0.1', sec({ ttl: 255, minTtl: 255 }));
    await waitFor(() => near.connected && gtsm.accepted.length === 1, 'TTL 255 accepted');
    const fd = fdOf(gtsm.accepted[0] as Socket);
    assert.ok(fd !== null);
    assert.equal(getIntOption(fd, LINUX.IPPROTO_IP, LINUX.IP_TTL), 255);
    assert.equal(getIntOption(fd, LINUX.IPPROTO_IP, LINUX.IP_MINTTL), 255);

    // a second peer without GTSM: the listener stops filtering, the saved SYN is checked per peer
    const plain = standIn('127.0.0.2', NO_TRANSPORT_SECURITY);
    listener.addPeer(plain);
    assert.deepEqual({ minTtl: listener.security[0]?.minTtl, saveSyn: listener.security[0]?.saveSyn }, { minTtl: 0, saveSyn: true });
    const far2 = dial(port, '127.0.0.1', sec({ ttl: 200 }));
    await waitFor(() => rejected.length === 1, 'low-TTL connection refused');
    assert.deepEqual({ ...rejected[0], remotePort: 0 }, { remoteAddress: '127.0.0.1', remotePort: 0, reason: 'transport security', detail: 'GTSM: SYN arrived with TTL 200, below 255' });
    assert.equal(gtsm.accepted.length, 1);
    await waitFor(() => far2.socket.destroyed || far2.socket.readableEnded, 'refused connection closed');
    const other = dial(port, '127.0.0.2', NO_TRANSPORT_SECURITY);
    await waitFor(() => other.connected && plain.accepted.length === 1, 'plain peer accepted');
    const ofd = fdOf(plain.accepted[0] as Socket);
    assert.ok(ofd !== null);
    // the listener's TTL 255 is not inherited by a peer that did not ask for it
    assert.equal(getIntOption(ofd, LINUX.IPPROTO_IP, LINUX.IP_TTL), Number(readFileSync('/proc/sys/net/ipv4/ip_default_ttl', 'utf8')));
    assert.equal(getIntOption(ofd, LINUX.IPPROTO_IP, LINUX.IP_MINTTL), 0);
  });

  it('two Peers: the same password establishes, different ones never get past the handshake', async () => {
    const b = await makeSide({ remoteAddress: '127.0.0.1', localAsn: AS_B, peerAsn: AS_A, routerId: ID_B, passive: true, listenOn: '127.0.0.2', password: 'same', ttlSecurity: true });
    const a = await makeSide({ remoteAddress: '127.0.0.2', remotePort: portOf(b), localAddress: '127.0.0.1', localAsn: AS_A, peerAsn: AS_B, routerId: ID_A, password: 'same', ttlSecurity: true });
    b.peer.start();
    a.peer.start();
    await waitFor(() => a.peer.state === 'Established' && b.peer.state === 'Established', 'both Established');

    const d = await makeSide({ remoteAddress: '127.0.0.3', localAsn: AS_B, peerAsn: AS_A, routerId: ID_B, passive: true, listenOn: '127.0.0.4', password: 'mine' });
    const c = await makeSide({ remoteAddress: '127.0.0.4', remotePort: portOf(d), localAddress: '127.0.0.3', localAsn: AS_A, peerAsn: AS_B, routerId: ID_A, password: 'yours' });
    const failures = tcpExt('TCPMD5Failure');
    d.peer.start();
    c.peer.start();
    await waitFor(() => tcpExt('TCPMD5Failure') > failures, 'the SYN dropped for its signature');
    assert.equal(c.peer.state, 'Connect');
    assert.equal(d.peer.state, 'Active');
    assert.deepEqual(c.changes.map((x) => x.to), ['Connect']);
    assert.deepEqual(d.changes.map((x) => x.to), ['Active']);
  });
});
