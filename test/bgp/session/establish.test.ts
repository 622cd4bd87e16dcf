// Two of our Peers over real TCP on loopback: active + passive and
// both-active with a connection collision; hold time and capability
// negotiation; keepalives and hold-timer expiry on fake clocks; ManualStop
// with an RFC 9003 message; the Listener refusing unknown peers.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Asn } from '../../../bgp/types.ts';
import { AS_A, AS_B, ID_A, ID_B, cleanup, makeSide, portOf, waitFor } from './harness.ts';

describe('bgp/session establishment over TCP', function () {
  this.timeout(10_000);
  afterEach(cleanup);

  it('active + passive: negotiates hold time, 4-octet AS and common families', async () => {
    const bigAs = 4_200_000_001 as Asn;
    const b = await makeSide({ remoteAddress: '127.0.0.1', localAsn: AS_B, peerAsn: bigAs, routerId: ID_B, passive: true, holdTimeS: 30, families: ['ipv4-unicast'], listenOn: '127.0.0.2' });
    const a = await makeSide({ remoteAddress: '127.0.0.2', remotePort: portOf(b), localAddress: '127.0.0.1', localAsn: bigAs, peerAsn: AS_B, routerId: ID_A, holdTimeS: 9 });
    b.peer.start();
    assert.equal(b.peer.state, 'Active');
    a.peer.start();
    await waitFor(() => a.peer.state === 'Established' && b.peer.state === 'Established', 'both Established');
    const ia = a.peer.info;
    const ib = b.peer.info;
    assert.ok(ia !== null && ib !== null);
    // RFC 4271 §4.2: min(9, 30); keepalive a third
    assert.equal(ia.negotiated.holdTimeS, 9);
    assert.equal(ib.negotiated.holdTimeS, 9);
    assert.equal(ia.negotiated.keepaliveMs, 3_000);
    // RFC 6793: A's ASN needs 4 octets, so My AS is AS_TRANS and B learns it from the capability
    assert.equal(ib.peerOpen.myAs, 23456);
    assert.equal(ib.negotiated.peerAsn, bigAs);
    assert.equal(ia.capabilities.context.fourOctetAs, true);
    // A offered IPv4+IPv6, B only IPv4
    assert.deepEqual([...ia.capabilities.families], ['ipv4-unicast']);
    assert.equal(ia.capabilities.routeRefresh, true);
    // A bound its local address and connected to B's configured port: one TCP connection seen from both ends
    assert.equal(ia.direction, 'outbound');
    assert.equal(ib.direction, 'inbound');
    assert.equal(ia.localAddress, '127.0.0.1');
    assert.equal(ib.remoteAddress, '127.0.0.1');
    assert.equal(ia.remotePort, portOf(b));
    assert.equal(ia.localPort, ib.remotePort);
    assert.equal(a.ups.length, 1);
    assert.equal(b.ups.length, 1);
    assert.deepEqual(b.changes.map((c) => c.to), ['Active', 'OpenSent', 'OpenConfirm', 'Established']);
    assert.deepEqual(a.changes.map((c) => c.to), ['Connect', 'OpenSent', 'OpenConfirm', 'Established']);
    assert.match(a.changes[3]?.reason ?? '', /KEEPALIVE received: session established/);
  });

  it('keepalives flow on the negotiated interval; a silent peer expires the hold timer (NOTIFICATION 4)', async () => {
    const b = await makeSide({ remoteAddress: '127.0.0.1', localAsn: AS_B, peerAsn: AS_A, routerId: ID_B, passive: true, listenOn: '127.0.0.2' });
    const a = await makeSide({ remoteAddress: '127.0.0.2', remotePort: portOf(b), localAddress: '127.0.0.1', localAsn: AS_A, peerAsn: AS_B, routerId: ID_A });
    b.peer.start();
    a.peer.start();
    await waitFor(() => a.peer.state === 'Established' && b.peer.state === 'Established', 'both Established');
    const keepalivesAt = (s: typeof a): number => s.events.filter((e) => e.event === 'KeepAliveMsg').length;
    const beforeA = keepalivesAt(a);
    const beforeB = keepalivesAt(b);
    for (let i = 1; i <= 4; i++) {
      // B's clock first, so A's KEEPALIVE restarts B's hold timer at B's new time
      await b.clock.advance(3_000);
      await a.clock.advance(3_000);
      await waitFor(() => keepalivesAt(b) === beforeB + i && keepalivesAt(a) === beforeA + i, `keepalive ${i} at both`);
    }
    assert.equal(a.peer.state, 'Established');
    // nothing else went out: one KEEPALIVE per 3 s interval (plus the OpenConfirm one)
    assert.equal(a.peer.sessions[0]?.tx.stats.priorityMessages, 2 + 4);
    // B's clock: every A keepalive restarted B's hold timer, but none comes now
    await b.clock.advance(8_999);
    assert.equal(b.peer.state, 'Established');
    await b.clock.advance(1);
    await waitFor(() => a.downs.length === 1 && b.downs.length === 1, 'both down');
    assert.match(b.downs[0]?.reason ?? '', /hold timer expired/);
    assert.deepEqual([b.downs[0]?.sent?.code, b.downs[0]?.sent?.subcode], [4, 0]);
    // A read the NOTIFICATION B sent
    assert.deepEqual([a.downs[0]?.received?.code, a.downs[0]?.received?.subcode], [4, 0]);
    assert.match(a.downs[0]?.reason ?? '', /peer sent NOTIFICATION 4\/0/);
    assert.equal(a.peer.state, 'Idle');
  });

  it('both active: the collision closes one connection (Cease 6/7) and both keep the same one', async () => {
    const a = await makeSide({ remoteAddress: '127.0.0.2', localAddress: '127.0.0.1', localAsn: AS_A, peerAsn: AS_B, routerId: ID_A, listenOn: '127.0.0.1' });
    const b = await makeSide({ remoteAddress: '127.0.0.1', localAddress: '127.0.0.2', localAsn: AS_B, peerAsn: AS_A, routerId: ID_B, listenOn: '127.0.0.2' });
    // remote ports are only known once both listen
    Object.assign(a.peer.config, { remotePort: portOf(b) });
    Object.assign(b.peer.config, { remotePort: portOf(a) });
    a.peer.start();
    b.peer.start();
    await waitFor(
      () => a.peer.state === 'Established' && b.peer.state === 'Established' && a.peer.sessions.length === 1 && b.peer.sessions.length === 1,
      'one Established connection on each side',
    );
    const dumps = [...a.events, ...b.events].filter((e) => e.event === 'OpenCollisionDump');
    assert.ok(dumps.length >= 1, 'a collision was resolved');
    assert.match(dumps[0]?.reason ?? '', /connection collision/);
    const ia = a.peer.info;
    const ib = b.peer.info;
    assert.ok(ia !== null && ib !== null);
    // RFC 4271 §6.8: B has the higher identifier and keeps the connection it initiated
    assert.equal(ib.direction, 'outbound');
    assert.equal(ia.direction, 'inbound');
    assert.equal(ia.localPort, ib.remotePort);
    assert.equal(ia.remotePort, ib.localPort);
    assert.equal(a.ups.length, 1);
    assert.equal(b.ups.length, 1);
    assert.equal(a.downs.length + b.downs.length, 0);
  });

  it('ManualStop sends Cease 6/2 with an RFC 9003 message the other side reads, and does not restart', async () => {
    const b = await makeSide({ remoteAddress: '127.0.0.1', localAsn: AS_B, peerAsn: AS_A, routerId: ID_B, passive: true, listenOn: '127.0.0.2' });
    const a = await makeSide({ remoteAddress: '127.0.0.2', remotePort: portOf(b), localAddress: '127.0.0.1', localAsn: AS_A, peerAsn: AS_B, routerId: ID_A });
    b.peer.start();
    a.peer.start();
    await waitFor(() => a.peer.state === 'Established' && b.peer.state === 'Established', 'both Established');
    await a.peer.stop({ message: 'node drained for upgrade ✓' });
    assert.equal(a.peer.state, 'Idle');
    await waitFor(() => b.downs.length === 1, 'B down');
    const received = b.downs[0]?.received;
    assert.deepEqual([received?.code, received?.subcode], [6, 2]);
    assert.equal(received?.communication, 'node drained for upgrade ✓');
    assert.match(b.downs[0]?.reason ?? '', /node drained for upgrade ✓/);
    assert.match(a.downs[0]?.reason ?? '', /manual stop: node drained for upgrade ✓/);
    // A does not come back, even after its idle hold would have run out
    await a.clock.advance(60_000);
    assert.equal(a.peer.state, 'Idle');
    assert.equal(a.peer.sessions.every((s) => s.state.name === 'Idle'), true);
  });
});

/** Connects from `localAddress` and returns every byte received until the server closes. */
async function readAll(host: string, port: number, localAddress: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ host, port, localAddress });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

describe('bgp/session Listener', function () {
  this.timeout(10_000);
  afterEach(cleanup);

  it('refuses an unknown address with Cease / Connection Rejected (6/5)', async () => {
    const b = await makeSide({ remoteAddress: '127.0.0.1', localAsn: AS_B, peerAsn: AS_A, routerId: ID_B, passive: true, listenOn: '127.0.0.2' });
    b.peer.start();
    const rejected: string[] = [];
    if (b.listener !== null) b.listener.onRejected = (r) => rejected.push(`${r.remoteAddress} ${r.reason}`);
    const bytes = await readAll('127.0.0.2', portOf(b), '127.0.0.3');
    // 16 x 0xff marker, length 21, type 3 NOTIFICATION, code 6, subcode 5
    assert.equal(bytes.toString('hex'), `${'ff'.repeat(16)}0015030605`);
    assert.deepEqual(rejected, ['127.0.0.3 unknown peer']);
    assert.equal(b.peer.state, 'Active');
  });

  it('refuses a configured peer that is not started', async () => {
    const b = await makeSide({ remoteAddress: '127.0.0.1', localAsn: AS_B, peerAsn: AS_A, routerId: ID_B, passive: true, listenOn: '127.0.0.2' });
    const bytes = await readAll('127.0.0.2', portOf(b), '127.0.0.1');
    assert.equal(bytes.toString('hex'), `${'ff'.repeat(16)}0015030605`);
  });

  it('close() stops listening at once and leaves accepted sessions up', async () => {
    const b = await makeSide({ remoteAddress: '127.0.0.1', localAsn: AS_B, peerAsn: AS_A, routerId: ID_B, passive: true, listenOn: '127.0.0.2' });
    const a = await makeSide({ remoteAddress: '127.0.0.2', remotePort: portOf(b), localAddress: '127.0.0.1', localAsn: AS_A, peerAsn: AS_B, routerId: ID_A });
    b.peer.start();
    a.peer.start();
    await waitFor(() => a.peer.state === 'Established' && b.peer.state === 'Established', 'both Established');
    const port = portOf(b);
    // node's own close callback would wait for the accepted connection to end: ours must not
    await Promise.race([b.listener?.close(), new Promise((_, reject) => setTimeout(() => reject(new Error('close() waited for the session')), 1_000))]);
    assert.equal(b.peer.state, 'Established');
    await assert.rejects(readAll('127.0.0.2', port, '127.0.0.1'), /ECONNREFUSED/);
  });

  it('listens on IPv6 and matches the peer by its canonical address', async () => {
    const b = await makeSide({ remoteAddress: '0:0:0:0:0:0:0:1', localAsn: AS_B, peerAsn: AS_A, routerId: ID_B, passive: true, listenOn: '::1' });
    const a = await makeSide({ remoteAddress: '::1', remotePort: portOf(b), localAsn: AS_A, peerAsn: AS_B, routerId: ID_A });
    b.peer.start();
    a.peer.start();
    await waitFor(() => a.peer.state === 'Established' && b.peer.state === 'Established', 'both Established over IPv6');
    assert.equal(b.peer.info?.remoteAddress, '::1');
  });
});
