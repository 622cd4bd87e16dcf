// Edge parsing into branded types: strict IPv4, RFC 5952 IPv6, canonical
// prefixes, ASN forms, families.
import assert from 'node:assert/strict';
import {
  bytesToIpv6,
  familyOf,
  ipv6ToBytes,
  isLinkLocalIpv6,
  parseAsn,
  parseIpAddress,
  parseIpv4,
  parseIpv6,
  parsePrefix,
  parseRouterId,
  prefixFamily,
  prefixLength,
  prefixToBytes,
  routerIdToNumber,
} from '../../bgp/types.ts';

describe('bgp/types', () => {
  it('parses IPv4 strictly', () => {
    assert.equal(parseIpv4('198.18.0.1'), '198.18.0.1');
    for (const bad of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '256.0.0.1', '1.2.3.4 ', '', 'a.b.c.d', '1..2.3']) {
      assert.throws(() => parseIpv4(bad), RangeError, bad);
    }
  });

  it('formats IPv6 canonically (RFC 5952)', () => {
    const cases: [string, string][] = [
      ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['::1', '::1'],
      ['fd00::', 'fd00::'],
      ['fe80::0001', 'fe80::1'],
      ['::ffff:198.18.0.1', '::ffff:c612:1'],
    ];
    for (const [input, canon] of cases) assert.equal(parseIpv6(input), canon, input);
    for (const bad of ['1::2::3', '12345::', ':::', '1:2:3:4:5:6:7:8:9', 'g::1', '1.2.3.4::']) assert.throws(() => parseIpv6(bad), RangeError, bad);
    assert.deepStrictEqual([...(ipv6ToBytes('fd00::1') as Uint8Array)], [0xfd, 0, ...Array.from({ length: 13 }, () => 0), 1]);
    assert.equal(bytesToIpv6(Uint8Array.of(0, 0, 0xfd, 0, ...Array.from({ length: 13 }, () => 0), 1), 2), 'fd00::1');
    assert.equal(isLinkLocalIpv6(parseIpv6('fe80::1')), true);
    assert.equal(isLinkLocalIpv6(parseIpv6('fd00::1')), false);
    assert.equal(parseIpAddress('FD00::1'), 'fd00::1');
  });

  it('parses prefixes into canonical strings', () => {
    assert.equal(parsePrefix('10.244.1.0/24'), '10.244.1.0/24');
    assert.equal(parsePrefix('10.244.1.7/24', false), '10.244.1.0/24');
    assert.equal(parsePrefix('FD00:0:0:1::/64'), 'fd00:0:0:1::/64');
    assert.equal(parsePrefix('0.0.0.0/0'), '0.0.0.0/0');
    assert.throws(() => parsePrefix('10.244.1.7/24'), /host bits/);
    for (const bad of ['10.0.0.0', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/024', '10.0.0.0/-1', 'x/8']) assert.throws(() => parsePrefix(bad), RangeError, bad);
    assert.equal(prefixFamily(parsePrefix('fd00::/8')), 'ipv6-unicast');
    assert.equal(prefixLength(parsePrefix('fd00::/8')), 8);
    assert.deepStrictEqual(prefixToBytes(parsePrefix('10.1.0.0/16')), { bytes: Uint8Array.of(10, 1, 0, 0), length: 16 });
  });

  it('parses ASNs as plain and asdot', () => {
    assert.equal(parseAsn(65001), 65001);
    assert.equal(parseAsn('4200000000'), 4200000000);
    assert.equal(parseAsn('64086.59904'), 4200000000);
    for (const bad of [-1, 2 ** 32, 1.5, '65536.0', 'AS1', '']) assert.throws(() => parseAsn(bad), RangeError, String(bad));
  });

  it('router ids compare as numbers', () => {
    assert.ok(routerIdToNumber(parseRouterId('10.0.0.2')) > routerIdToNumber(parseRouterId('9.255.255.255')));
    assert.equal(routerIdToNumber(parseRouterId('255.255.255.255')), 0xffffffff);
  });

  it('maps AFI/SAFI to families', () => {
    assert.equal(familyOf(1, 1), 'ipv4-unicast');
    assert.equal(familyOf(2, 1), 'ipv6-unicast');
    assert.equal(familyOf(1, 128), null);
    assert.equal(familyOf(25, 70), null);
  });
});
