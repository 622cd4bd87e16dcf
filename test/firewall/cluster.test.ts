// CIDR arithmetic of the firewall's cluster view (ipBlock peers resolve named
// ports on the pods inside them): fixed cases and a property against
// node:net's BlockList as the reference, for both families.
import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import * as fc from 'fast-check';
import { addrBits, cidrContains } from '../../firewall/cluster.ts';

function reference(cidr: string, ip: string): boolean {
  const [net, len] = cidr.split('/');
  const type = (net ?? '').includes(':') ? 'ipv6' : 'ipv4';
  if (ip.includes(':') !== (type === 'ipv6')) return false;
  const bl = new BlockList();
  bl.addSubnet(net ?? '', Number(len), type);
  return bl.check(ip, type);
}

/** RFC 5952-style compressed text of a v6 address, via the WHATWG URL serialiser. */
function compress(full: string): string {
  return new URL(`http://[${full}]/`).hostname.slice(1, -1);
}

describe('firewall/cluster: CIDR arithmetic', () => {
  it('fixed cases', () => {
    assert.equal(addrBits('::')?.bits, 0n);
    assert.equal(addrBits('::1')?.bits, 1n);
    assert.equal(addrBits('::ffff:10.0.0.1')?.bits, 0xffff0a000001n);
    assert.equal(addrBits('10.0.0.1')?.bits, 0x0a000001n);
    assert.equal(addrBits('nonsense'), undefined);
    assert.ok(cidrContains('fd00::/8', 'fd12:3456::1'));
    assert.ok(!cidrContains('fd00::/8', 'fe80::1'));
    assert.ok(cidrContains('2001:db8::/32', '2001:db8:ffff::1'));
    assert.ok(!cidrContains('2001:db8::/32', '2001:db9::1'));
    assert.ok(cidrContains('0.0.0.0/0', '203.0.113.9'));
    assert.ok(cidrContains('::/0', 'fd00::1'));
    assert.ok(!cidrContains('10.0.0.0/8', 'fd00::1'), 'never across families');
    assert.ok(!cidrContains('10.0.0.0/33', '10.0.0.1'), 'invalid CIDR matches nothing');
  });

  it('agrees with BlockList on random IPv4 and IPv6 addresses and prefixes', () => {
    const v4 = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 0xffffffff })).map(([n, len, a]) => {
      const q = (x: number): string => [24, 16, 8, 0].map((s) => (x >>> s) & 255).join('.');
      const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
      // Half the time the address shares the prefix, so matches are common.
      return { cidr: `${q((n & mask) >>> 0)}/${len}`, ips: [q(a), q(((n & mask) | (a & ~mask)) >>> 0)] };
    });
    const group = fc.integer({ min: 0, max: 0xffff }).map((g) => (g < 0x4000 ? 0 : g).toString(16));
    const v6 = fc.tuple(fc.array(group, { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 128 }), fc.array(group, { minLength: 8, maxLength: 8 })).map(([n, len, a]) => {
      const keep = Math.floor(len / 16);
      const mixed = [...n.slice(0, keep), ...a.slice(keep)];
      return { cidr: `${compress(n.join(':'))}/${len}`, ips: [compress(a.join(':')), a.join(':'), compress(mixed.join(':'))] };
    });
    fc.assert(
      fc.property(fc.oneof(v4, v6), ({ cidr, ips }) => {
        for (const ip of ips) assert.equal(cidrContains(cidr, ip), reference(cidr, ip), `${ip} in ${cidr}`);
      }),
      { numRuns: 3000 },
    );
  });
});
