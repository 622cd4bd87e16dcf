// Two in-process Speakers over loopback (127.0.0.1 <-> 127.0.0.2, ephemeral
// ports): eBGP and iBGP sessions come up, originated IPv4/IPv6 routes arrive
// with the attributes the export rules give them (AS_PATH prepend, next hop,
// MED, LOCAL_PREF, communities), best-path events fire, withdrawals
// propagate, soft reset and shutdown/enable behave, loops are refused.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Speaker, parseAsn, parseIpAddress, parsePrefix, parseRouterId, type BestPathChange, type NeighborConfig } from '../../bgp/index.ts';

async function until<T>(what: string, f: () => T | null | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const ad = srv.address();
      srv.close(() => resolve(typeof ad === 'object' && ad !== null ? ad.port : 0));
    });
  });
}

interface Pair {
  a: Speaker;
  b: Speaker;
}

async function pair(asnA: number, asnB: number, extra: Partial<NeighborConfig> = {}, extraB: Partial<NeighborConfig> = {}): Promise<Pair> {
  const a = new Speaker({ asn: parseAsn(asnA), routerId: parseRouterId('192.0.2.1'), listen: { addresses: ['127.0.0.1'], port: 0 } });
  const b = new Speaker({ asn: parseAsn(asnB), routerId: parseRouterId('192.0.2.2'), listen: { addresses: ['127.0.0.2'], port: 0 } });
  await a.start();
  await b.start();
  const portA = a.listening[0]?.port ?? 0;
  const portB = b.listening[0]?.port ?? 0;
  a.addNeighbor({ address: parseIpAddress('127.0.0.2'), remoteAsn: parseAsn(asnB), port: portB, localAddress: parseIpAddress('127.0.0.1'), holdTimeS: 9, connectRetryS: 1, ...extra });
  b.addNeighbor({ address: parseIpAddress('127.0.0.1'), remoteAsn: parseAsn(asnA), port: portA, localAddress: parseIpAddress('127.0.0.2'), holdTimeS: 9, connectRetryS: 1, passive: true, ...extraB });
  await until('established', () => a.neighbor('127.0.0.2').state === 'Established' && b.neighbor('127.0.0.1').state === 'Established');
  return { a, b };
}

describe('bgp/speaker', function () {
  this.timeout(30_000);
  let speakers: Speaker[] = [];
  afterEach(async () => {
    await Promise.all(speakers.map((s) => s.stop()));
    speakers = [];
  });

  it('eBGP: routes arrive with prepend, next hop self, MED and communities; withdrawals propagate', async () => {
    const { a, b } = await pair(65001, 65002, { nextHopIpv6: parseIpAddress('fd00::a') });
    speakers.push(a, b);
    const events: BestPathChange[] = [];
    b.onBestPathChange((c) => events.push(...c));
    a.originate({ prefix: parsePrefix('10.244.1.0/24'), med: 50, communities: [65001 * 65536 + 100], largeCommunities: [{ globalAdmin: 65001, localData1: 1, localData2: 2 }], asPathPrepend: 1 });
    a.originate({ prefix: parsePrefix('fd00:1::/64'), nextHop: parseIpAddress('fd00::1'), localPref: 300 });
    const rib = await until('routes at b', () => {
      const r = b.rib();
      return r.length === 2 ? r : null;
    });
    const v4 = rib[0]?.paths[0];
    assert.equal(rib[0]?.prefix, '10.244.1.0/24');
    assert.equal(v4?.source, '127.0.0.1');
    assert.equal(v4?.nextHop, '127.0.0.1');
    assert.deepEqual(v4?.asPath, [{ type: 'sequence', asns: [65001, 65001] }]);
    assert.equal(v4?.med, 50);
    assert.equal(v4?.localPref, null, 'LOCAL_PREF is not sent over eBGP');
    assert.deepEqual(v4?.communities, ['65001:100']);
    assert.deepEqual(v4?.largeCommunities, ['65001:1:2']);
    assert.equal(v4?.best, true);
    assert.equal(v4?.reason, 'only-path');
    const v6 = rib[1]?.paths[0];
    assert.equal(rib[1]?.prefix, 'fd00:1::/64');
    assert.equal(v6?.nextHop, 'fd00::a', 'toward eBGP the next hop is ours: the configured IPv6 one over an IPv4 session');
    assert.equal(v6?.localPref, null);
    assert.deepEqual(v6?.asPath, [{ type: 'sequence', asns: [65001] }]);
    assert.deepEqual(
      events.filter((e) => e.kind === 'added').map((e) => [e.prefix, e.best?.nextHop, e.reason]).sort(),
      [
        ['10.244.1.0/24', '127.0.0.1', 'only-path'],
        ['fd00:1::/64', 'fd00::a', 'only-path'],
      ],
    );
    const nb = b.neighbor('127.0.0.1');
    assert.deepEqual(
      nb.prefixes.map((p) => [p.family, p.accepted]),
      [
        ['ipv4-unicast', 1],
        ['ipv6-unicast', 1],
      ],
    );
    assert.equal(nb.routes.received, 2);
    assert.equal(a.neighbor('127.0.0.2').routes.advertised, 2);
    assert.equal(a.adjOut('127.0.0.2').length, 2);
    assert.equal(b.adjIn('127.0.0.1').length, 2);

    assert.equal(a.withdraw(parsePrefix('10.244.1.0/24')), true);
    await until('withdrawn at b', () => b.rib('ipv4-unicast').length === 0);
    assert.ok(events.some((e) => e.prefix === '10.244.1.0/24' && e.kind === 'withdrawn' && e.best === null));
    assert.equal(b.rib('ipv6-unicast').length, 1);
  });

  it('iBGP: LOCAL_PREF and MED kept, AS_PATH empty; learned routes are not sent back', async () => {
    const { a, b } = await pair(65010, 65010);
    speakers.push(a, b);
    a.originate({ prefix: parsePrefix('10.244.2.0/24'), med: 7, localPref: 250 });
    b.originate({ prefix: parsePrefix('10.244.3.0/24') });
    const p = await until('route at b', () => b.rib('ipv4-unicast', parsePrefix('10.244.2.0/24'))[0]?.paths[0]);
    assert.equal(p.localPref, 250);
    assert.equal(p.med, 7);
    assert.deepEqual(p.asPath, []);
    assert.equal(p.nextHop, '127.0.0.1');
    await until('route at a', () => a.rib('ipv4-unicast', parsePrefix('10.244.3.0/24'))[0]);
    assert.deepEqual(
      a.adjOut('127.0.0.2').map((x) => x.prefix),
      ['10.244.2.0/24'],
    );
    assert.equal(b.neighbor('127.0.0.1').session?.ibgp, true);
  });

  it('a route carrying our own AS is received but not accepted (RFC 4271 §9.1.2)', async () => {
    // A (65001) -> B (65002) -> C (65001, presenting itself to B as 65003 so B's sender-side loop check lets the route pass):
    // C sees 65002 65001 and must refuse it
    const { a, b } = await pair(65001, 65002);
    speakers.push(a, b);
    const c = new Speaker({ asn: parseAsn(65001), routerId: parseRouterId('192.0.2.3'), listen: { addresses: ['127.0.0.3'], port: 0 } });
    speakers.push(c);
    await c.start();
    b.addNeighbor({ address: parseIpAddress('127.0.0.3'), remoteAsn: parseAsn(65003), port: c.listening[0]?.port ?? 0, localAddress: parseIpAddress('127.0.0.2'), connectRetryS: 1 });
    c.addNeighbor({ address: parseIpAddress('127.0.0.2'), remoteAsn: parseAsn(65002), localAsn: parseAsn(65003), passive: true });
    await until('b-c established', () => c.neighbor('127.0.0.2').state === 'Established');
    a.originate({ prefix: parsePrefix('10.244.4.0/24') });
    // B passes A's route on (next hop self); C counts it as received and rejected
    await until('route advertised to c', () => b.adjOut('127.0.0.3')[0]);
    assert.deepEqual(b.adjOut('127.0.0.3')[0]?.asPath, [{ type: 'sequence', asns: [65002, 65001] }]);
    assert.equal(b.adjOut('127.0.0.3')[0]?.nextHop, '127.0.0.2');
    const routes = await until('c rejected it', () => {
      const r = c.neighbor('127.0.0.2').routes;
      return r.rejected === 1 ? r : null;
    });
    assert.deepEqual(routes, { received: 1, accepted: 0, rejected: 1, withdrawn: 0, advertised: 0 });
    assert.equal(c.rib().length, 0, 'a looping path never reaches the Loc-RIB');
    assert.equal(c.adjIn('127.0.0.2').length, 0);
  });

  it('local-AS override: the OPEN and the prepended AS are the override', async () => {
    const { a, b } = await pair(65001, 65002, { localAsn: parseAsn(65100) }, { remoteAsn: parseAsn(65100) });
    speakers.push(a, b);
    a.originate({ prefix: parsePrefix('10.244.6.0/24'), asPathPrepend: 2 });
    const p = await until('route at b', () => b.rib()[0]?.paths[0]);
    assert.deepEqual(p.asPath, [{ type: 'sequence', asns: [65100, 65100, 65100] }]);
    assert.equal(b.neighbor('127.0.0.1').session?.peerAsn, 65100);
  });

  it('a connection from a neighbour that is idle-holding after a failure starts the session at once', async () => {
    // A dials B before B listens: refused, A waits out an IdleHold (several seconds). B then dials A:
    // RFC 4271 Idle would refuse it and B would go idle in turn; the speaker takes it as a passive start instead.
    const portB = await freePort('127.0.0.2');
    const a = new Speaker({ asn: parseAsn(65001), routerId: parseRouterId('192.0.2.1'), listen: { addresses: ['127.0.0.1'], port: 0 } });
    speakers.push(a);
    await a.start();
    a.addNeighbor({ address: parseIpAddress('127.0.0.2'), remoteAsn: parseAsn(65002), port: portB, holdTimeS: 9, connectRetryS: 1 });
    await until('a refused and idle', () => a.neighbor('127.0.0.2').stateReason.includes('ECONNREFUSED') && a.neighbor('127.0.0.2').state === 'Idle');
    const b = new Speaker({ asn: parseAsn(65002), routerId: parseRouterId('192.0.2.2'), listen: { addresses: ['127.0.0.2'], port: portB } });
    speakers.push(b);
    await b.start();
    const t0 = Date.now();
    b.addNeighbor({ address: parseIpAddress('127.0.0.1'), remoteAsn: parseAsn(65001), port: a.listening[0]?.port ?? 0, holdTimeS: 9, connectRetryS: 1 });
    await until('established', () => a.neighbor('127.0.0.2').state === 'Established' && b.neighbor('127.0.0.1').state === 'Established', 3_000);
    assert.ok(Date.now() - t0 < 1_000, `took ${Date.now() - t0} ms`);
    assert.equal(b.neighbor('127.0.0.1').session?.direction, 'outbound');
  });

  it('shutdown sends an RFC 9003 message the other side shows; enable brings the session back', async () => {
    const { a, b } = await pair(65001, 65002);
    speakers.push(a, b);
    await a.shutdown('127.0.0.2', 'maintenance window 42');
    const err = await until('b sees the shutdown', () => b.neighbor('127.0.0.1').lastError);
    assert.equal(err.notification?.direction, 'received');
    assert.equal(err.notification?.code, 6);
    assert.equal(err.notification?.subcode, 2);
    assert.equal(err.notification?.communication, 'maintenance window 42');
    assert.equal(a.neighbor('127.0.0.2').enabled, false);
    assert.equal(a.neighbor('127.0.0.2').state, 'Idle');
    await a.enable('127.0.0.2');
    await until('re-established', () => a.neighbor('127.0.0.2').state === 'Established');
  });

  it('soft reset in sends ROUTE-REFRESH; the peer re-sends its routes', async () => {
    const { a, b } = await pair(65001, 65002);
    speakers.push(a, b);
    b.originate({ prefix: parsePrefix('10.244.5.0/24') });
    await until('route at a', () => a.rib().length === 1);
    const before = b.neighbor('127.0.0.1').messages;
    a.softReset('127.0.0.2', 'in');
    await until('refresh received', () => b.neighbor('127.0.0.1').messages.routeRefreshIn > before.routeRefreshIn);
    await until('updates re-sent', () => b.neighbor('127.0.0.1').messages.updatesOut > before.updatesOut);
    assert.equal(a.neighbor('127.0.0.2').messages.routeRefreshOut, 2);
  });
});
