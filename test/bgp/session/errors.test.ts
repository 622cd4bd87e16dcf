// The session shell against a hand-driven raw TCP peer: wire errors become
// the right FSM events and NOTIFICATIONs (header error, unacceptable hold
// time, RFC 6608 unexpected message in OpenConfirm), a NOTIFICATION
// received with the rest of a chunk is still read, and a new connection from
// an Established peer is closed by collision detection (Cease 6/7).
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { Asn, RouterId } from '../../../bgp/types.ts';
import { DEFAULT_WIRE_CONTEXT, Framer, decodeMessage, encodeKeepalive, encodeMessage, encodeNotification, type BgpMessage, type OpenMessage } from '../../../bgp/wire/index.ts';
import { AS_A, AS_B, ID_A, ID_B, cleanup, makeSide, portOf, waitFor, type Side } from './harness.ts';

class RawPeer {
  readonly messages: BgpMessage[] = [];
  closed = false;
  readonly #socket: Socket;
  readonly #framer = new Framer();

  constructor(port: number, localAddress = '127.0.0.1') {
    this.#socket = connect({ host: '127.0.0.2', port, localAddress });
    this.#socket.on('data', (c: Buffer) => {
      for (const f of this.#framer.push(c)) this.messages.push(decodeMessage(f, DEFAULT_WIRE_CONTEXT));
    });
    this.#socket.on('error', () => {});
    this.#socket.on('close', () => (this.closed = true));
  }

  send(bytes: Uint8Array): void {
    this.#socket.write(bytes);
  }

  types(): string[] {
    return this.messages.map((m) => (m.type === 'notification' ? `notification ${m.code}/${m.subcode}` : m.type));
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

function openFrom(asn: number, id: string, holdTime = 9): Uint8Array {
  const open: OpenMessage = { type: 'open', version: 4, myAs: asn, holdTime, routerId: id as RouterId, capabilities: [{ kind: 'four-octet-as', asn: asn as Asn }] };
  return encodeMessage(open, DEFAULT_WIRE_CONTEXT);
}

async function passiveB(): Promise<Side> {
  const b = await makeSide({ remoteAddress: '127.0.0.1', localAsn: AS_B, peerAsn: AS_A, routerId: ID_B, passive: true, listenOn: '127.0.0.2' });
  b.peer.start();
  return b;
}

describe('bgp/session errors on the wire', function () {
  this.timeout(10_000);
  afterEach(cleanup);

  it('a bad marker is a Message Header Error 1/1 (Connection Not Synchronized)', async () => {
    const b = await passiveB();
    const raw = new RawPeer(portOf(b));
    await waitFor(() => raw.messages.length === 1, 'our OPEN');
    const bad = openFrom(AS_A, ID_A);
    bad[3] = 0;
    raw.send(bad);
    await waitFor(() => raw.closed, 'connection closed');
    assert.deepEqual(raw.types(), ['open', 'notification 1/1']);
    assert.equal(b.peer.state, 'Idle');
    assert.match(b.changes.at(-1)?.reason ?? '', /message header error 1\/1/);
    // the automatic restart waits for the idle hold timer (1 s here), then listens again
    await b.clock.advance(1_000);
    assert.equal(b.peer.state, 'Active');
  });

  it('an OPEN with hold time 2 gets 2/6 Unacceptable Hold Time', async () => {
    const b = await passiveB();
    const raw = new RawPeer(portOf(b));
    raw.send(openFrom(AS_A, ID_A, 2));
    await waitFor(() => raw.closed, 'connection closed');
    assert.deepEqual(raw.types(), ['open', 'notification 2/6']);
  });

  it('an UPDATE before the KEEPALIVE (OpenConfirm) gets 5/2 (RFC 6608)', async () => {
    const b = await passiveB();
    const raw = new RawPeer(portOf(b));
    raw.send(openFrom(AS_A, ID_A));
    await waitFor(() => raw.messages.length === 2, 'OPEN + KEEPALIVE');
    raw.send(encodeMessage({ type: 'update', withdrawn: { prefixes: [], pathIds: null }, attributes: {}, nlri: { prefixes: [], pathIds: null } }, DEFAULT_WIRE_CONTEXT));
    await waitFor(() => raw.closed, 'connection closed');
    assert.deepEqual(raw.types(), ['open', 'keepalive', 'notification 5/2']);
    assert.equal(b.updates.length, 0);
  });

  it('KEEPALIVE, UPDATE and NOTIFICATION in one chunk: all read in order before the close', async () => {
    const b = await passiveB();
    const raw = new RawPeer(portOf(b));
    raw.send(openFrom(AS_A, ID_A));
    await waitFor(() => raw.messages.length === 2, 'OPEN + KEEPALIVE');
    const update = encodeMessage({ type: 'update', withdrawn: { prefixes: [], pathIds: null }, attributes: {}, nlri: { prefixes: [], pathIds: null } }, DEFAULT_WIRE_CONTEXT);
    const notification = encodeNotification({ type: 'notification', code: 6, subcode: 4, data: new Uint8Array(0), communication: 'bye' });
    raw.send(Buffer.concat([encodeKeepalive(), update, notification]));
    await waitFor(() => b.downs.length === 1, 'B down');
    assert.equal(b.updates.length, 1);
    assert.equal(b.downs[0]?.received?.communication, 'bye');
    assert.match(b.downs[0]?.reason ?? '', /peer sent NOTIFICATION 6\/4 "bye"/);
  });

  it('in Established: ROUTE-REFRESH reaches onRouteRefresh; a malformed UPDATE gets 3/1 and the session goes down', async () => {
    const refreshes: string[] = [];
    const b = await passiveB();
    b.peer.hooks.onRouteRefresh = (m) => refreshes.push(`${m.afi}/${m.safi}/${m.subtype}`);
    const raw = new RawPeer(portOf(b));
    raw.send(openFrom(AS_A, ID_A));
    raw.send(encodeKeepalive());
    await waitFor(() => b.peer.state === 'Established', 'Established');
    raw.send(encodeMessage({ type: 'route-refresh', afi: 1, safi: 1, subtype: 'normal' }, DEFAULT_WIRE_CONTEXT));
    await waitFor(() => refreshes.length === 1, 'ROUTE-REFRESH delivered');
    assert.deepEqual(refreshes, ['1/1/normal']);
    // RFC 4271 §6.3: a withdrawn-routes length past the end of the message is Malformed Attribute List
    const bad = Buffer.from(encodeMessage({ type: 'update', withdrawn: { prefixes: [], pathIds: null }, attributes: {}, nlri: { prefixes: [], pathIds: null } }, DEFAULT_WIRE_CONTEXT));
    bad.writeUInt16BE(200, 19);
    raw.send(bad);
    await waitFor(() => raw.closed, 'connection closed');
    assert.deepEqual(raw.types(), ['open', 'keepalive', 'notification 3/1']);
    assert.match(b.downs[0]?.reason ?? '', /UPDATE error 3\/1/);
    assert.equal(b.updates.length, 0);
  });

  it('a new connection from an Established peer is closed with Cease 6/7, the session stays', async () => {
    const b = await passiveB();
    const a = await makeSide({ remoteAddress: '127.0.0.2', remotePort: portOf(b), localAddress: '127.0.0.1', localAsn: AS_A, peerAsn: AS_B, routerId: ID_A });
    a.peer.start();
    await waitFor(() => a.peer.state === 'Established' && b.peer.state === 'Established', 'both Established');
    const raw = new RawPeer(portOf(b));
    await waitFor(() => raw.closed, 'second connection closed');
    // RFC 4271 §6.8: the Established connection wins; we had already sent our OPEN on the new one
    assert.deepEqual(raw.types(), ['open', 'notification 6/7']);
    assert.equal(b.peer.state, 'Established');
    assert.equal(b.peer.sessions.length, 1);
    assert.equal(b.downs.length, 0);
    raw.destroy();
  });
});
