// The neighbour view records when each family's End-of-RIB arrived on the
// current session (RFC 4724 §2): two in-process Speakers over loopback; the
// sender's initial dump ends with one End-of-RIB per negotiated family, the
// receiver's view lists them with their arrival times, and a session going
// down clears them until the new session's markers arrive.
import assert from 'node:assert/strict';
import { Speaker, parseAsn, parseIpAddress, parsePrefix, parseRouterId } from '../../bgp/index.ts';

async function until<T>(what: string, f: () => T | null | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('bgp/speaker: End-of-RIB in the neighbour view', function () {
  this.timeout(30_000);
  const speakers: Speaker[] = [];
  after(async () => Promise.all(speakers.map((s) => s.stop())));

  it('lists each family once its End-of-RIB arrived, cleared by a new session', async () => {
    const a = new Speaker({ asn: parseAsn(65001), routerId: parseRouterId('192.0.2.1'), listen: { addresses: ['127.0.0.1'], port: 0 } });
    const b = new Speaker({ asn: parseAsn(65002), routerId: parseRouterId('192.0.2.2'), listen: { addresses: ['127.0.0.2'], port: 0 } });
    speakers.push(a, b);
    await a.start();
    await b.start();
    a.originate({ prefix: parsePrefix('10.244.1.0/24') });
    const before = Date.now();
    const common = { holdTimeS: 9, connectRetryS: 1, families: ['ipv4-unicast', 'ipv6-unicast'] as const };
    a.addNeighbor({ address: parseIpAddress('127.0.0.2'), remoteAsn: parseAsn(65002), port: b.listening[0]?.port ?? 0, localAddress: parseIpAddress('127.0.0.1'), ...common });
    b.addNeighbor({ address: parseIpAddress('127.0.0.1'), remoteAsn: parseAsn(65001), port: a.listening[0]?.port ?? 0, localAddress: parseIpAddress('127.0.0.2'), passive: true, ...common });
    assert.deepEqual(b.neighbor('127.0.0.1').endOfRib, [], 'nothing before a session');
    const eor = await until('both End-of-RIBs at b', () => {
      const e = b.neighbor('127.0.0.1').endOfRib;
      return e.length === 2 ? e : null;
    });
    assert.deepEqual(eor.map((x) => x.family), ['ipv4-unicast', 'ipv6-unicast']);
    for (const x of eor) assert.ok(x.receivedAt >= before && x.receivedAt <= Date.now(), `${x.family} at ${x.receivedAt}`);
    // the IPv4 marker came after the route (the dump precedes it, RFC 4724 §2)
    assert.equal(b.rib('ipv4-unicast').length, 1);
    const first = eor[0]?.receivedAt ?? 0;
    // a shut-down session (b is passive: it stays down) forgets its markers
    await a.shutdown('127.0.0.2', 'test shutdown');
    await until('b sees the session drop', () => b.neighbor('127.0.0.1').state !== 'Established');
    assert.deepEqual(b.neighbor('127.0.0.1').endOfRib, []);
    await a.enable('127.0.0.2');
    const again = await until('new End-of-RIBs at b', () => {
      const n = b.neighbor('127.0.0.1');
      return n.messages.established === 2 && n.endOfRib.length === 2 ? n.endOfRib : null;
    });
    assert.ok((again[0]?.receivedAt ?? 0) >= first);
  });
});
