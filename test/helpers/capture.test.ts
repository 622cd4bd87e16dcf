// Unit tests of the capture tool's hand-written bytes and of the committed
// captures in test/fixtures/bgp/captured/: every .bin splits into whole BGP
// messages (RFC 4271 §4.1) exactly as its .json index says, starts with
// OPEN + KEEPALIVE, holds both End-of-RIB markers (RFC 4724 §2), and the FRR
// ones end with a Cease/Administrative Shutdown NOTIFICATION carrying an
// RFC 9003 shutdown communication.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEEPALIVE, buildOpen, endOfRib, splitMessages } from './capture.ts';
import type { CapturedMessage } from './capture.ts';

const DIR = fileURLToPath(new URL('../fixtures/bgp/captured/', import.meta.url));
const MARKER = 'ff'.repeat(16);

describe('capture tool: hand-written messages', function () {
  it('builds our OPEN byte for byte (2-octet ASN)', function () {
    const open = buildOpen(65000, 90, '198.18.0.2', ['ipv4', 'ipv6']);
    const want = [
      `${MARKER}0047`, '01', // header: length 71, OPEN
      '04', 'fde8', '005a', 'c6120002', '2a', // version 4, AS 65000, hold 90, BGP id, 42 octets of parameters
      '0206', '0104', '00010001', // MP ipv4 unicast
      '0206', '0104', '00020001', // MP ipv6 unicast
      '0202', '0200', // route refresh
      '020c', '400a', '0078', '00010100', '00020100', // graceful restart 120 s, both families
      '0206', '4104', '0000fde8', // 4-octet AS 65000
    ].join('');
    assert.equal(open.toString('hex'), want);
  });

  it('puts AS_TRANS in My AS for a 4-octet ASN (RFC 6793 §4.1)', function () {
    const open = buildOpen(4200000001, 30, '10.0.0.1', ['ipv4']);
    assert.equal(open.readUInt16BE(20), 23456);
    assert.equal(open.subarray(-4).readUInt32BE(0), 4200000001);
  });

  it('recognises End-of-RIB markers and nothing else', function () {
    assert.equal(KEEPALIVE.toString('hex'), `${MARKER}001304`);
    const v4 = Buffer.from(`${MARKER}0017020000 0000`.replace(/ /g, ''), 'hex');
    assert.equal(endOfRib(v4), 'End-of-RIB ipv4');
    const v6 = Buffer.from(`${MARKER}001d02 0000 0006 800f03 000201`.replace(/ /g, ''), 'hex');
    assert.equal(endOfRib(v6), 'End-of-RIB ipv6');
    const v6ext = Buffer.from(`${MARKER}001e02 0000 0007 900f0003 000201`.replace(/ /g, ''), 'hex');
    assert.equal(endOfRib(v6ext), 'End-of-RIB ipv6');
    const withdraw6 = Buffer.from(`${MARKER}002702 0000 000e 900f000a 000201 40fd00024400020000`.replace(/ /g, ''), 'hex');
    assert.equal(endOfRib(withdraw6), undefined);
    const withdraw4 = Buffer.from(`${MARKER}001b02 0004 180af402 0000`.replace(/ /g, ''), 'hex');
    assert.equal(endOfRib(withdraw4), undefined);
    assert.equal(endOfRib(KEEPALIVE), undefined);
  });
});

describe('committed captures (test/fixtures/bgp/captured)', function () {
  const bins = readdirSync(DIR).filter((f) => f.endsWith('.bin')).sort();

  it('cover BIRD, FRR and GoBGP', function () {
    for (const d of ['bird', 'frr', 'gobgp']) assert.ok(bins.some((b) => b.startsWith(`${d}-`)), `no capture for ${d}`);
  });

  for (const bin of bins) {
    it(`${bin}: splits into whole messages exactly as its index says`, function () {
      const bytes = readFileSync(join(DIR, bin));
      const index = JSON.parse(readFileSync(join(DIR, bin.replace(/\.bin$/, '.json')), 'utf8')) as { messages: CapturedMessage[]; capture: { bytes: number } };
      const msgs = splitMessages(bytes);
      assert.equal(msgs.reduce((n, m) => n + m.length, 0), bytes.length, 'trailing partial message');
      assert.equal(index.capture.bytes, bytes.length);
      assert.deepEqual(
        msgs.map((m) => [m.readUInt8(18), m.length, endOfRib(m)]),
        index.messages.map((m) => [m.type, m.length, m.note]),
      );
      let off = 0;
      for (const [k, m] of msgs.entries()) {
        assert.equal(m.subarray(0, 16).toString('hex'), MARKER);
        assert.equal(index.messages[k]?.offset, off);
        off += m.length;
      }
      assert.deepEqual(msgs.slice(0, 2).map((m) => m.readUInt8(18)), [1, 4], 'OPEN then KEEPALIVE');
      const eors = msgs.map(endOfRib).filter((n) => n !== undefined).sort();
      assert.deepEqual(eors, ['End-of-RIB ipv4', 'End-of-RIB ipv6']);
    });
  }

  it('FRR captures end with Cease/Administrative Shutdown and its shutdown communication (RFC 9003)', function () {
    for (const bin of bins.filter((b) => b.startsWith('frr-'))) {
      const last = splitMessages(readFileSync(join(DIR, bin))).at(-1);
      assert.ok(last !== undefined);
      assert.equal(last.readUInt8(18), 3, `${bin}: last message is not a NOTIFICATION`);
      assert.deepEqual([last.readUInt8(19), last.readUInt8(20)], [6, 2]);
      const len = last.readUInt8(21);
      assert.equal(last.subarray(22, 22 + len).toString('utf8'), 'podnet capture: maintenance');
    }
  });
});
