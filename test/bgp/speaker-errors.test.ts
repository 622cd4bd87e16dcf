// Error isolation in the Speaker (loopback, no root): a raw BGP peer sends a
// malformed UPDATE; an RFC 7606 treat-as-withdraw error keeps its session and
// only drops the routes of that UPDATE, a session-reset error ends only that
// session (NOTIFICATION 3/1 on the wire, routes withdrawn), while another
// neighbour's session and routes are untouched; a throwing best-path
// subscriber is contained.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Speaker, parseAsn, parseIpAddress, parsePrefix, parseRouterId } from '../../bgp/index.ts';
import type { Asn, Ipv4, Prefix, RouterId } from '../../bgp/types.ts';
import { DEFAULT_WIRE_CONTEXT, Framer, buildUpdates, decodeMessage, encodeKeepalive, encodeOpen, encodeUpdate, emptyNlri, type BgpMessage, type Origin, type WireContext } from '../../bgp/wire/index.ts';

async function until<T>(what: string, f: () => T | null | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const CTX: WireContext = { ...DEFAULT_WIRE_CONTEXT, fourOctetAs: true };

/** A hand-driven BGP peer: sends what it is told, records what it receives. */
class RawPeer {
  readonly socket: Socket;
  readonly received: BgpMessage[] = [];
  closed = false;
  readonly #framer = new Framer();
  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.3' });
    this.socket.on('data', (chunk: Buffer) => {
      for (const f of this.#framer.push(chunk)) this.received.push(decodeMessage(f, CTX));
    });
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => undefined);
  }
  send(b: Uint8Array): void {
    this.socket.write(b);
  }
}

function update(prefix: string, origin: number): Uint8Array {
  return encodeUpdate(
    {
      type: 'update',
      withdrawn: emptyNlri(),
      attributes: { origin: origin as Origin, asPath: [{ type: 'sequence', asns: [65003 as Asn] }], nextHop: '127.0.0.3' as Ipv4 },
      nlri: { prefixes: [prefix as Prefix], pathIds: null },
    },
    CTX,
  );
}

describe('bgp/speaker: errors stay with their session', function () {
  this.timeout(20_000);
  const speakers: Speaker[] = [];
  const raws: RawPeer[] = [];
  after(async () => {
    for (const r of raws) r.socket.destroy();
    await Promise.all(speakers.map((s) => s.stop()));
  });

  it('treat-as-withdraw keeps the session; a session-reset error ends only that session', async () => {
    const a = new Speaker({ asn: parseAsn(65001), routerId: parseRouterId('192.0.2.1'), listen: { addresses: ['127.0.0.1'], port: 0 } });
    const b = new Speaker({ asn: parseAsn(65002), routerId: parseRouterId('192.0.2.2'), listen: false });
    speakers.push(a, b);
    await a.start();
    await b.start();
    const port = a.listening[0]?.port ?? 0;
    a.addNeighbor({ address: parseIpAddress('127.0.0.2'), remoteAsn: parseAsn(65002), passive: true });
    a.addNeighbor({ address: parseIpAddress('127.0.0.3'), remoteAsn: parseAsn(65003), passive: true });
    b.addNeighbor({ address: parseIpAddress('127.0.0.1'), remoteAsn: parseAsn(65001), port, localAddress: parseIpAddress('127.0.0.2') });
    b.originate({ prefix: parsePrefix('10.251.0.0/24') });
    let calls = 0;
    a.onBestPathChange(() => {
      calls++;
      throw new Error('subscriber bug');
    });
    const good: string[] = [];
    a.onBestPathChange((c) => good.push(...c.map((x) => `${x.kind} ${x.prefix}`)));
    await until('b established', () => a.neighbor('127.0.0.2').state === 'Established');
    await until("b's route", () => a.rib('ipv4-unicast', parsePrefix('10.251.0.0/24')).length === 1);

    const raw = new RawPeer(port);
    raws.push(raw);
    raw.send(encodeOpen({ type: 'open', version: 4, myAs: 65003, holdTime: 90, routerId: '192.0.2.3' as RouterId, capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'four-octet-as', asn: 65003 as Asn }] }));
    await until('OPEN from the speaker', () => raw.received.some((m) => m.type === 'open'));
    raw.send(encodeKeepalive());
    await until('raw peer established', () => a.neighbor('127.0.0.3').state === 'Established');
    for (const m of buildUpdates({ family: 'ipv4-unicast', attributes: { origin: 0, asPath: [{ type: 'sequence', asns: [65003 as Asn] }] }, nextHop: '127.0.0.3' as Ipv4, prefixes: ['10.250.0.0/24' as Prefix] }, CTX)) raw.send(m);
    await until('raw route learned', () => a.rib('ipv4-unicast', parsePrefix('10.250.0.0/24')).length === 1);
    await until("raw route passed on to b", () => b.rib('ipv4-unicast', parsePrefix('10.250.0.0/24')).length === 1);

    // RFC 7606 §7.1: an undefined ORIGIN is treat-as-withdraw; the session stays
    raw.send(update('10.250.1.0/24', 7));
    raw.send(update('10.250.0.0/24', 9)); // a bad re-announcement withdraws the earlier good one
    await until('treat-as-withdraw applied', () => a.rib('ipv4-unicast', parsePrefix('10.250.0.0/24')).length === 0);
    assert.equal(a.rib('ipv4-unicast', parsePrefix('10.250.1.0/24')).length, 0);
    assert.equal(a.neighbor('127.0.0.3').state, 'Established');
    assert.equal(raw.received.some((m) => m.type === 'notification'), false);

    // a withdrawn-routes length overrunning the message: Malformed Attribute List (RFC 4271 §6.3), session reset
    const bad = update('10.250.2.0/24', 0);
    bad[19] = 0xff;
    bad[20] = 0xff;
    raw.send(bad);
    const n = await until('NOTIFICATION to the raw peer', () => raw.received.find((m) => m.type === 'notification'));
    assert.equal(n.type === 'notification' && `${n.code}/${n.subcode}`, '3/1');
    await until('raw session down', () => a.neighbor('127.0.0.3').state !== 'Established');
    await until('connection closed', () => raw.closed);
    const err = a.neighbor('127.0.0.3').lastError;
    assert.equal(err?.notification?.direction, 'sent');
    assert.equal(err?.notification?.code, 3);

    // the other neighbour never noticed
    const nb = a.neighbor('127.0.0.2');
    assert.equal(nb.state, 'Established');
    assert.equal(nb.messages.established, 1);
    assert.equal(a.rib('ipv4-unicast', parsePrefix('10.251.0.0/24')).length, 1);
    await until('b lost the raw route', () => b.rib('ipv4-unicast', parsePrefix('10.250.0.0/24')).length === 0);
    assert.equal(b.neighbor('127.0.0.1').state, 'Established');
    assert.ok(calls > 0, 'the throwing subscriber was called');
    assert.ok(good.includes('added 10.250.0.0/24') && good.includes('withdrawn 10.250.0.0/24'), good.join(', '));
  });
});
