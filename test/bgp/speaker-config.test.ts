// Run-time neighbour configuration and per-neighbour actions of the Speaker
// (loopback, no root): setNeighbor with an unchanged config keeps the
// session, a changed one restarts it with Cease / Other Configuration Change
// (RFC 4486), removal sends Peer De-configured and withdraws the neighbour's
// routes; hard reset sends Administrative Reset with its RFC 9003 message and
// reconnects; soft reset out re-sends the Adj-RIB-Out without a new session.
// The route views carry each path's age (from the RIB's record of when the
// path was received or originated).
import assert from 'node:assert/strict';
import { Speaker, parseAsn, parseIpAddress, parsePrefix, parseRouterId, type NeighborConfig } from '../../bgp/index.ts';

async function until<T>(what: string, f: () => T | null | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('bgp/speaker: neighbours at run time', function () {
  this.timeout(20_000);
  let a: Speaker;
  let b: Speaker;
  let toB: NeighborConfig;

  beforeEach(async () => {
    a = new Speaker({ asn: parseAsn(65001), routerId: parseRouterId('192.0.2.1'), listen: { addresses: ['127.0.0.1'], port: 0 } });
    b = new Speaker({ asn: parseAsn(65002), routerId: parseRouterId('192.0.2.2'), listen: { addresses: ['127.0.0.2'], port: 0 } });
    await a.start();
    await b.start();
    toB = { address: parseIpAddress('127.0.0.2'), remoteAsn: parseAsn(65002), port: b.listening[0]?.port ?? 0, localAddress: parseIpAddress('127.0.0.1'), holdTimeS: 9, connectRetryS: 1 };
    await a.setNeighbor(toB);
    await b.setNeighbor({ address: parseIpAddress('127.0.0.1'), remoteAsn: parseAsn(65001), port: a.listening[0]?.port ?? 0, localAddress: parseIpAddress('127.0.0.2'), holdTimeS: 9, connectRetryS: 1 });
    b.originate({ prefix: parsePrefix('10.252.0.0/24') });
    await until('established', () => a.neighbor('127.0.0.2').state === 'Established' && b.neighbor('127.0.0.1').state === 'Established');
    await until("b's route at a", () => a.rib().length === 1);
  });

  afterEach(async () => {
    await Promise.all([a.stop(), b.stop()]);
  });

  it('unchanged config keeps the session; a changed one restarts it with Cease 6/6', async () => {
    const at = a.neighbor('127.0.0.2').establishedAt;
    assert.equal(await a.setNeighbor({ ...toB }), 'unchanged');
    assert.equal(a.neighbor('127.0.0.2').establishedAt, at);
    assert.equal(await a.setNeighbor({ ...toB, holdTimeS: 12 }), 'changed');
    const err = await until('b sees the change', () => b.neighbor('127.0.0.1').lastError);
    assert.equal(`${err.notification?.code}/${err.notification?.subcode}`, '6/6');
    await until('re-established with the new hold time', () => a.neighbor('127.0.0.2').session?.holdTimeS === 9 && a.neighbor('127.0.0.2').holdTimeS === 12);
    await until("b's route back", () => a.rib().length === 1);
  });

  it('route views show the age of received and originated paths, from the RIB', () => {
    const ages = (paths: readonly { ageS: number | null }[]): (number | null)[] => paths.map((p) => p.ageS);
    // received well under a second ago: 0 s (1 s precision), never null (unknown)
    assert.deepEqual(ages(a.rib().flatMap((d) => d.paths)), [0]);
    assert.deepEqual(ages(a.adjIn('127.0.0.2')), [0]);
    assert.deepEqual(ages(b.rib().flatMap((d) => d.paths)), [0]);
    assert.deepEqual(ages(b.adjOut('127.0.0.1')), [0]);
  });

  it('removal sends Peer De-configured and withdraws its routes', async () => {
    await a.removeNeighbor('127.0.0.2');
    assert.deepEqual(a.neighborAddresses(), []);
    assert.equal(a.rib().length, 0);
    const err = await until('b sees the removal', () => b.neighbor('127.0.0.1').lastError);
    assert.equal(`${err.notification?.code}/${err.notification?.subcode}`, '6/3');
    assert.throws(() => a.neighbor('127.0.0.2'), /no such neighbor/);
  });

  it('hard reset: Administrative Reset with its message, then the session comes back', async () => {
    await a.reset('127.0.0.2', 'config push 7');
    const err = await until('b sees the reset', () => b.neighbor('127.0.0.1').lastError);
    assert.deepEqual([err.notification?.code, err.notification?.subcode, err.notification?.communication], [6, 4, 'config push 7']);
    await until('back up', () => a.neighbor('127.0.0.2').state === 'Established' && a.neighbor('127.0.0.2').messages.established === 2);
    await until("b's route back", () => a.rib().length === 1);
  });

  it('soft reset out re-sends the Adj-RIB-Out on the same session', async () => {
    const before = a.neighbor('127.0.0.2');
    const bBefore = b.neighbor('127.0.0.1');
    await b.softReset('127.0.0.1', 'out');
    await until('updates re-sent', () => b.neighbor('127.0.0.1').messages.updatesOut > bBefore.messages.updatesOut);
    await until('a received them', () => a.neighbor('127.0.0.2').messages.updatesIn > before.messages.updatesIn);
    assert.equal(a.neighbor('127.0.0.2').messages.established, 1);
    assert.equal(a.rib().length, 1);
  });
});
