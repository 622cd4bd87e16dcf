// The Speaker's transport security over loopback (127.0.0.1 <-> 127.0.0.2):
// a neighbour with a TCP-MD5 password and GTSM establishes through the
// Speaker's Listener; changing the password on one side at run time moves
// the listener's key (the other side's SYNs are then dropped by the kernel,
// counted in /proc/net/netstat) until both agree again.
// RFCs: 2385, 5082.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Speaker, parseAsn, parseIpAddress, parseRouterId, type NeighborConfig } from '../../bgp/index.ts';

function tcpExt(name: string): number {
  const rows = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
  const i = (rows[0] ?? '').split(/\s+/).indexOf(name);
  return Number((rows[1] ?? '').split(/\s+/)[i]);
}

async function until<T>(what: string, f: () => T | null | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('bgp/speaker transport security', function () {
  this.timeout(30_000);
  const speakers: Speaker[] = [];
  afterEach(async () => {
    await Promise.all(speakers.splice(0).map((s) => s.stop()));
  });

  it('MD5 + GTSM neighbours establish; a password changed on one side keeps the session down until it matches again', async () => {
    const a = new Speaker({ asn: parseAsn(65001), routerId: parseRouterId('192.0.2.1'), listen: { addresses: ['127.0.0.1'], port: 0 } });
    const b = new Speaker({ asn: parseAsn(65002), routerId: parseRouterId('192.0.2.2'), listen: { addresses: ['127.0.0.2'], port: 0 } });
    speakers.push(a, b);
    await a.start();
    await b.start();
    const secure = { password: 'speaker-secret', ttlSecurity: true, holdTimeS: 9, connectRetryS: 1 };
    a.addNeighbor({ address: parseIpAddress('127.0.0.2'), remoteAsn: parseAsn(65002), port: b.listening[0]?.port ?? 0, localAddress: parseIpAddress('127.0.0.1'), ...secure });
    const bToA: NeighborConfig = { address: parseIpAddress('127.0.0.1'), remoteAsn: parseAsn(65001), port: a.listening[0]?.port ?? 0, passive: true, ...secure };
    b.addNeighbor(bToA);
    await until('established', () => a.neighbor('127.0.0.2').state === 'Established' && b.neighbor('127.0.0.1').state === 'Established');

    const failures = tcpExt('TCPMD5Failure');
    assert.equal(await b.setNeighbor({ ...bToA, password: 'changed-on-b' }), 'changed');
    await until('a to lose the session', () => a.neighbor('127.0.0.2').state !== 'Established');
    // RFC 2385 §2: a's SYNs carry the old key; b's listener now holds the new one
    await until('b\'s kernel to drop a\'s reconnection', () => tcpExt('TCPMD5Failure') > failures);
    assert.notEqual(b.neighbor('127.0.0.1').state, 'Established');
    assert.ok(!['OpenSent', 'OpenConfirm', 'Established'].includes(b.neighbor('127.0.0.1').state));

    assert.equal(await b.setNeighbor(bToA), 'changed');
    await until('established again', () => a.neighbor('127.0.0.2').state === 'Established' && b.neighbor('127.0.0.1').state === 'Established');
  });

  it('refuses a password the kernel cannot hold and a TTL out of range', () => {
    const s = new Speaker({ asn: parseAsn(65001), routerId: parseRouterId('192.0.2.1'), listen: false });
    assert.throws(() => s.addNeighbor({ address: parseIpAddress('127.0.0.2'), remoteAsn: parseAsn(65002), password: 'x'.repeat(81) }), /invalid|80 octets/);
    assert.throws(() => s.addNeighbor({ address: parseIpAddress('127.0.0.2'), remoteAsn: parseAsn(65002), multihopTtl: 0 }), /multihop TTL 0/);
  });
});
