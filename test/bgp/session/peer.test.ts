// Peer behaviour beyond the happy path: automatic reconnection after a
// refused connection (idle hold, no damping before a session existed), the
// DelayOpen path over real TCP, restart after stop, RFC 4271 §10 timer
// jitter, and configuration checks.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Peer } from '../../../bgp/session/peer.ts';
import type { Asn, RouterId } from '../../../bgp/types.ts';
import { AS_A, AS_B, ID_A, ID_B, cleanup, makeSide, portOf, settle, waitFor } from './harness.ts';

const settleIo = (): Promise<void> => settle(30);

/** A port with nothing listening on 127.0.0.2. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.2', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('bgp/session Peer', function () {
  this.timeout(10_000);
  afterEach(cleanup);

  it('a refused connection goes to Idle and is retried after the idle hold time', async () => {
    const a = await makeSide({ remoteAddress: '127.0.0.2', remotePort: await closedPort(), localAsn: AS_A, peerAsn: AS_B, routerId: ID_A, idleHoldMs: 1_000 });
    a.peer.start();
    const failures = (): number => a.changes.filter((c) => c.to === 'Idle').length;
    await waitFor(() => failures() === 1, 'first failure');
    assert.match(a.changes.at(-1)?.reason ?? '', /TCP connection failed: connect ECONNREFUSED/);
    await a.clock.advance(999);
    assert.equal(a.peer.state, 'Idle');
    await a.clock.advance(1);
    await waitFor(() => failures() === 2, 'second failure');
    // no session ever formed: the wait does not grow
    await a.clock.advance(1_000);
    await waitFor(() => failures() === 3, 'third failure');
    assert.deepEqual(a.changes.map((c) => c.to), ['Connect', 'Idle', 'Connect', 'Idle', 'Connect', 'Idle']);
  });

  it('DelayOpen: the passive side answers the OPEN instead of sending its own first', async () => {
    const b = await makeSide({ remoteAddress: '127.0.0.1', localAsn: AS_B, peerAsn: AS_A, routerId: ID_B, passive: true, delayOpenMs: 30_000, listenOn: '127.0.0.2' });
    const a = await makeSide({ remoteAddress: '127.0.0.2', remotePort: portOf(b), localAddress: '127.0.0.1', localAsn: AS_A, peerAsn: AS_B, routerId: ID_A });
    b.peer.start();
    a.peer.start();
    // B's clock never moves: its DelayOpenTimer cannot be what sends the OPEN
    await waitFor(() => a.peer.state === 'Established' && b.peer.state === 'Established', 'both Established');
    assert.deepEqual(b.changes.map((c) => c.to), ['Active', 'OpenConfirm', 'Established']);
    assert.match(b.changes[1]?.reason ?? '', /OPEN received during delay open/);
  });

  it('can be started again after a stop', async () => {
    const b = await makeSide({ remoteAddress: '127.0.0.1', localAsn: AS_B, peerAsn: AS_A, routerId: ID_B, passive: true, listenOn: '127.0.0.2' });
    const a = await makeSide({ remoteAddress: '127.0.0.2', remotePort: portOf(b), localAddress: '127.0.0.1', localAsn: AS_A, peerAsn: AS_B, routerId: ID_A });
    b.peer.start();
    a.peer.start();
    await waitFor(() => a.peer.state === 'Established' && b.peer.state === 'Established', 'both Established');
    await a.peer.stop({ subcode: 4, message: 'reset' });
    await waitFor(() => b.downs.length === 1, 'B down');
    assert.deepEqual([b.downs[0]?.received?.subcode, b.downs[0]?.received?.communication], [4, 'reset']);
    // B restarts after its idle hold and listens again; A is started by hand
    await b.clock.advance(1_000);
    assert.equal(b.peer.state, 'Active');
    a.peer.start();
    await waitFor(() => a.peer.state === 'Established' && b.peer.state === 'Established', 'Established again');
    assert.equal(a.ups.length, 2);
    assert.equal(b.ups.length, 2);
  });

  it('jitters the keepalive and idle hold timers to 75-100 % (RFC 4271 §10), never the hold timer', async () => {
    const b = await makeSide({ remoteAddress: '127.0.0.1', localAsn: AS_B, peerAsn: AS_A, routerId: ID_B, passive: true, listenOn: '127.0.0.2' });
    const a = await makeSide({ remoteAddress: '127.0.0.2', remotePort: portOf(b), localAddress: '127.0.0.1', localAsn: AS_A, peerAsn: AS_B, routerId: ID_A, jitter: () => 0 });
    b.peer.start();
    a.peer.start();
    await waitFor(() => a.peer.state === 'Established' && b.peer.state === 'Established', 'both Established');
    const keepalivesAtB = (): number => b.events.filter((e) => e.event === 'KeepAliveMsg' && e.from === 'Established').length;
    // keepalive 3 s with the lowest jitter: 2.25 s
    await a.clock.advance(2_249);
    await settleIo();
    assert.equal(keepalivesAtB(), 0);
    await a.clock.advance(1);
    await waitFor(() => keepalivesAtB() === 1, 'the jittered KEEPALIVE');
    // B (no jitter) stays silent: A's hold timer expires at exactly 9 s
    await a.clock.advance(9_000 - 2_250 - 1);
    assert.equal(a.peer.state, 'Established');
    await a.clock.advance(1);
    assert.equal(a.peer.state, 'Idle');
    // and the automatic restart waits 75 % of the 1 s idle hold
    const restarts = (): number => a.changes.filter((c) => /automatic restart/.test(c.reason)).length;
    await a.clock.advance(749);
    assert.equal(restarts(), 0);
    await a.clock.advance(1);
    assert.equal(restarts(), 1);
  });

  it('rejects configurations the protocol cannot carry', () => {
    const base = { remoteAddress: '127.0.0.2', localAsn: 65001 as Asn, peerAsn: 65002 as Asn, routerId: '10.0.0.1' as RouterId };
    assert.throws(() => new Peer({ ...base, holdTimeS: 2 }), /hold time 2s/);
    assert.throws(() => new Peer({ ...base, remotePort: 70000 }), /remotePort/);
    assert.throws(() => new Peer({ ...base, peerAsn: 0 as Asn }), /AS 0/);
    assert.throws(() => new Peer({ ...base, routerId: '0.0.0.0' as RouterId }), /router id/);
    assert.throws(() => new Peer({ ...base, remoteAddress: 'node-1' }), /invalid/);
    assert.equal(new Peer({ ...base, holdTimeS: 0 }).state, 'Idle');
  });
});
