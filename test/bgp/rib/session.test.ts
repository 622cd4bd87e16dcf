// The RIB behind real sessions: two of our Peers over TCP on loopback, each
// wired to its own Rib exactly as the speaker does it (onEstablished ->
// peerUp, onUpdate -> receiveUpdate, onDown -> peerDown, nextUpdate pulled by
// the transmitter, onUpdatesPending -> Peer.updatesPending). SessionInfo is
// passed to the RIB as is. A originates 20,000 /32s; B learns them all with
// the eBGP attributes, End-of-RIB included; withdrawals flow; A stopping
// empties B's table with events.
import assert from 'node:assert/strict';
import { Rib } from '../../../bgp/rib/index.ts';
import type { BestPathChange } from '../../../bgp/rib/index.ts';
import type { PeerHooks } from '../../../bgp/session/peer.ts';
import { parsePrefix, type Prefix } from '../../../bgp/types.ts';
import { endOfRibFamily } from '../../../bgp/wire/index.ts';
import { AS_A, AS_B, ID_A, ID_B, cleanup, makeSide, portOf, waitFor, type Side } from '../session/harness.ts';
import { seq } from './helpers.ts';

const N = 20_000;
const prefixOf = (k: number): Prefix => parsePrefix(`10.${100 + ((k >>> 16) & 255)}.${(k >>> 8) & 255}.${k & 255}/32`);

/** Hooks binding a Peer to a Rib under `id`; returns a setter for the Peer once made. */
function wire(rib: Rib, id: string, eors: string[]): { hooks: PeerHooks; bind: (s: Side) => void } {
  let side: Side | null = null;
  rib.onUpdatesPending((p) => {
    if (p === id) side?.peer.updatesPending();
  });
  return {
    bind: (s) => (side = s),
    hooks: {
      onEstablished: (info) => rib.peerUp(id, info),
      onDown: () => rib.peerDown(id),
      onUpdate: (m) => {
        const f = endOfRibFamily(m);
        if (f !== null) eors.push(f);
        rib.receiveUpdate(id, m);
      },
      nextUpdate: () => rib.nextUpdate(id),
    },
  };
}

describe('bgp/rib behind real sessions (loopback TCP)', function () {
  this.timeout(20_000);
  afterEach(cleanup);

  it('20,000 originated routes reach the other RIB with eBGP attributes; withdrawals and session loss follow', async () => {
    const ribA = new Rib({ localAsn: AS_A, routerId: ID_A });
    const ribB = new Rib({ localAsn: AS_B, routerId: ID_B });
    ribA.addPeer({ id: '127.0.0.2', asn: AS_B });
    ribB.addPeer({ id: '127.0.0.1', asn: AS_A });
    for (let k = 0; k < N; k++) ribA.originate({ prefix: prefixOf(k), attributes: { med: 7, communities: [0xfde80001] } });
    const eorsA: string[] = [];
    const eorsB: string[] = [];
    const wa = wire(ribA, '127.0.0.2', eorsA);
    const wb = wire(ribB, '127.0.0.1', eorsB);
    const events: BestPathChange[] = [];
    ribB.subscribe((c) => events.push(...c));
    const b = await makeSide({ remoteAddress: '127.0.0.1', localAsn: AS_B, peerAsn: AS_A, routerId: ID_B, passive: true, families: ['ipv4-unicast'], listenOn: '127.0.0.2' }, wb.hooks);
    const a = await makeSide({ remoteAddress: '127.0.0.2', remotePort: portOf(b), localAddress: '127.0.0.1', localAsn: AS_A, peerAsn: AS_B, routerId: ID_A, families: ['ipv4-unicast'] }, wa.hooks);
    wa.bind(a);
    wb.bind(b);
    b.peer.start();
    a.peer.start();
    await waitFor(() => eorsB.length === 1 && eorsA.length === 1, 'End-of-RIB both ways', 15_000);
    assert.equal(ribB.size('ipv4-unicast'), N);
    const one = ribB.lookup(prefixOf(12_345));
    assert.equal(one?.reason, 'only-path');
    assert.deepEqual(one?.candidates[0]?.attributes, { origin: 0, asPath: [seq(AS_A)], med: 7, communities: [0xfde80001] });
    assert.equal(one?.candidates[0]?.nextHop, '127.0.0.1');
    assert.equal(events.length, N);
    assert.deepEqual(ribB.counters('127.0.0.1').accepted, N);
    assert.equal(ribA.counters('127.0.0.2').advertised, N);
    // B sends A's routes back to nobody (split horizon): A learned nothing
    assert.equal(ribA.size('ipv4-unicast'), N);
    assert.equal(ribA.counters('127.0.0.2').accepted, 0);
    // ~800 /32 per UPDATE: a few dozen messages, not 20,000
    const sentUpdates = a.peer.sessions[0]?.tx.stats.updateMessages ?? 0;
    assert.ok(sentUpdates < 40, `${sentUpdates} UPDATEs`);

    events.length = 0;
    for (let k = 0; k < 1_000; k++) ribA.withdrawLocal(prefixOf(k));
    await waitFor(() => ribB.size('ipv4-unicast') === N - 1_000, 'withdrawals at B');
    assert.equal(events.length, 1_000);
    assert.ok(events.every((e) => e.kind === 'withdrawn'));

    events.length = 0;
    await a.peer.stop({ message: 'maintenance' });
    await waitFor(() => ribB.size('ipv4-unicast') === 0, 'B flushed A’s routes');
    assert.equal(events.length, N - 1_000);
    assert.equal(ribB.counters('127.0.0.1').accepted, 0);
  });
});
