import assert from 'node:assert/strict';
import { desiredKernelRoutes, inCidr } from '../../routes/kernel.ts';
import type { KernelRouteOptions } from '../../routes/kernel.ts';

const base: KernelRouteOptions = {
  ownPrefixes: ['10.244.0.0/24', 'fd00:244::/64'],
  localSubnets: ['198.18.0.0/24', 'fd00:18::/64'],
  overlay: { enabled: true, type: 'subnet' },
  tunnelIfindex: { ipv4: 7, ipv6: 8 },
};

describe('routes: desired kernel routes', () => {
  it('routes same-subnet next hops directly and others through the tunnel (overlay subnet)', () => {
    const d = desiredKernelRoutes(
      [
        { prefix: '10.244.2.0/24', nexthops: ['198.18.1.2'] },
        { prefix: '10.244.1.0/24', nexthops: ['198.18.0.2'] },
        { prefix: 'fd00:244:1::/64', nexthops: ['fd00:18::2'] },
        { prefix: '10.244.0.0/24', nexthops: ['198.18.0.9'] },
      ],
      base,
    );
    assert.deepEqual(d.routes, [
      { dst: '10.244.1.0/24', nexthops: [{ gateway: '198.18.0.2' }], table: 254, protocol: 87 },
      { dst: '10.244.2.0/24', nexthops: [{ gateway: '198.18.1.2', ifindex: 7, onlink: true }], table: 254, protocol: 87 },
      { dst: 'fd00:244:1::/64', nexthops: [{ gateway: 'fd00:18::2' }], table: 254, protocol: 87 },
    ]);
    assert.deepEqual(d.tunnelPeers, ['198.18.1.2']);
    assert.deepEqual(d.skipped, []);
  });

  it('tunnels everything with overlay full, nothing off-subnet with overlay off', () => {
    const learned = [{ prefix: '10.244.1.0/24', nexthops: ['198.18.0.2'] }, { prefix: '10.244.2.0/24', nexthops: ['198.18.1.2'] }];
    const full = desiredKernelRoutes(learned, { ...base, overlay: { enabled: true, type: 'full' } });
    assert.deepEqual(full.tunnelPeers, ['198.18.0.2', '198.18.1.2']);
    const off = desiredKernelRoutes(learned, { ...base, overlay: { enabled: false, type: 'subnet' } });
    assert.deepEqual(off.routes.map((r) => r.dst), ['10.244.1.0/24']);
    assert.match(off.skipped[0]?.reason ?? '', /outside the node's subnets and the overlay is off/);
  });

  it('keeps ECMP next hops, deduplicated and sorted, and skips bad ones with a reason', () => {
    const d = desiredKernelRoutes([{ prefix: '10.96.0.10/32', nexthops: ['198.18.0.3', '198.18.0.2', '198.18.0.3', 'fd00:18::3'] }], base);
    assert.deepEqual(d.routes[0]?.nexthops, [{ gateway: '198.18.0.2' }, { gateway: '198.18.0.3' }]);
    const t = desiredKernelRoutes([{ prefix: '10.244.5.0/24', nexthops: ['198.18.1.5'] }], { ...base, tunnelIfindex: { ipv4: null, ipv6: null } });
    assert.deepEqual(t.routes, []);
    assert.match(t.skipped[0]?.reason ?? '', /needs the tunnel, which does not exist yet/);
  });

  it('tests prefix membership for both families', () => {
    assert.ok(inCidr('198.18.0.77', '198.18.0.0/24'));
    assert.ok(!inCidr('198.18.1.77', '198.18.0.0/24'));
    assert.ok(inCidr('198.19.1.1', '198.18.0.0/15'));
    assert.ok(inCidr('fd00:18::9', 'fd00:18::/64'));
    assert.ok(!inCidr('fd00:19::9', 'fd00:18::/64'));
    assert.ok(!inCidr('198.18.0.1', 'fd00::/8'));
    assert.ok(inCidr('1.2.3.4', '0.0.0.0/0'));
  });
});
