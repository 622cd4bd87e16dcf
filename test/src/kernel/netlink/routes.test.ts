import assert from 'node:assert/strict';
import { addrBytes, bytesAddr, decodeMultipath, encodeMultipath } from '../../../../src/kernel/netlink/routes.ts';
import { sameNexthops } from '../../../../routes/apply.ts';

describe('kernel routes codec', () => {
  it('encodes RTA_MULTIPATH as rtnexthop + nested RTA_GATEWAY (golden, as the kernel dumps it)', () => {
    // Dumped by the kernel for `ip route add ... nexthop via 198.18.0.7 nexthop via 198.18.0.8` (ifindex 3):
    //   rtnh_len=16 flags=0 hops=0 ifindex=3 | rta_len=8 type=5 (RTA_GATEWAY) c6120007, and again for .8
    const kernel = Buffer.from('100000000300000008000500c6120007100000000300000008000500c6120008', 'hex');
    assert.deepEqual(decodeMultipath(kernel), [
      { gateway: '198.18.0.7', ifindex: 3 },
      { gateway: '198.18.0.8', ifindex: 3 },
    ]);
    assert.equal(encodeMultipath([{ gateway: '198.18.0.7', ifindex: 3 }, { gateway: '198.18.0.8', ifindex: 3 }]).toString('hex'), kernel.toString('hex'));
    const v6 = encodeMultipath([{ gateway: 'fd00:18::13', onlink: true }]);
    // rtnh_len=28 flags=RTNH_F_ONLINK hops=0 ifindex=0 | rta_len=20 type=5 fd00:18::13
    assert.equal(v6.toString('hex'), ['1c00', '04', '00', '00000000', '1400', '0500', 'fd000018000000000000000000000013'].join(''));
    assert.deepEqual(decodeMultipath(v6), [{ gateway: 'fd00:18::13', ifindex: 0, onlink: true }]);
  });

  it('converts addresses both ways, RFC 5952 for IPv6', () => {
    for (const a of ['10.244.0.1', 'fd00::1', 'fd00:18::13', '2001:db8:0:1:1:1:1:1', '::', 'fe80::1:0:0:1']) assert.equal(bytesAddr(addrBytes(a)), a);
    assert.equal(bytesAddr(addrBytes('fd00:0:0:0:0:0:0:1')), 'fd00::1');
  });

  it('compares next hop sets ignoring order and a kernel-resolved ifindex', () => {
    assert.ok(sameNexthops([{ gateway: 'a' }, { gateway: 'b' }], [{ gateway: 'b', ifindex: 3 }, { gateway: 'a', ifindex: 3 }]));
    assert.ok(!sameNexthops([{ gateway: 'a' }], [{ gateway: 'a', ifindex: 3, onlink: true }]));
    assert.ok(!sameNexthops([{ gateway: 'a', ifindex: 4 }], [{ gateway: 'a', ifindex: 3 }]));
    assert.ok(!sameNexthops([{ gateway: 'a' }], [{ gateway: 'a' }, { gateway: 'b' }]));
  });
});
