// Unit: the lab's plan (names, addresses, podCIDRs, subnets) and its option checks.
import assert from 'node:assert/strict';
import { defaultOptions, LabOptionError, planLab, podNetnsName } from '../../../src/lab/topology.ts';

describe('lab topology', function () {
  it('plans two nodes on one subnet behind the ToR', function () {
    const p = planLab({ ...defaultOptions, name: 'x', stateRoot: '/r' });
    assert.equal(p.prefix, 'pl-x-');
    assert.equal(p.dir, '/r/x');
    assert.equal(p.torNetns, 'pl-x-tor');
    assert.deepEqual(p.subnets.map((s) => [s.bridge, s.torIpv4, s.cidr4]), [['br1', '198.18.1.1', '198.18.1.0/24']]);
    assert.deepEqual(
      p.nodes.map((n) => [n.name, n.netns, n.ipv4, n.gateway4, n.torIfname, n.podCidrs, n.ipv6]),
      [
        ['node1', 'pl-x-node1', '198.18.1.2', '198.18.1.1', 'n1', ['10.244.1.0/24'], undefined],
        ['node2', 'pl-x-node2', '198.18.1.3', '198.18.1.1', 'n2', ['10.244.2.0/24'], undefined],
      ],
    );
  });

  it('spreads nodes round-robin over subnets and adds IPv6 when asked', function () {
    const p = planLab({ ...defaultOptions, nodes: 3, subnets: 2, ipv6: true });
    assert.deepEqual(p.nodes.map((n) => [n.subnet, n.ipv4, n.gateway4]), [[0, '198.18.1.2', '198.18.1.1'], [1, '198.18.2.3', '198.18.2.1'], [0, '198.18.1.4', '198.18.1.1']]);
    assert.deepEqual(p.nodes.map((n) => [n.ipv6, n.gateway6]), [['fd00:198:18:1::2', 'fd00:198:18:1::1'], ['fd00:198:18:2::3', 'fd00:198:18:2::1'], ['fd00:198:18:1::4', 'fd00:198:18:1::1']]);
    assert.deepEqual(p.nodes[2]?.podCidrs, ['10.244.3.0/24', 'fd00:10:244:3::/64']);
    assert.equal(planLab({ ...defaultOptions, nodes: 12, ipv6: true }).nodes[10]?.podCidrs[1], 'fd00:10:244:b::/64');
  });

  it('rejects bad options, naming the flag', function () {
    assert.throws(() => planLab({ ...defaultOptions, name: 'Bad_Name' }), (e: unknown) => e instanceof LabOptionError && e.message.includes('--name'));
    assert.throws(() => planLab({ ...defaultOptions, nodes: 0 }), /--nodes/);
    assert.throws(() => planLab({ ...defaultOptions, nodes: 2, subnets: 3 }), /--subnets/);
    assert.throws(() => planLab({ ...defaultOptions, torAsn: 0 }), /--tor-asn/);
  });

  it('names pod namespaces by lab prefix and a stable digest', function () {
    const a = podNetnsName('pl-x-', 'default', 'web');
    assert.match(a, /^pl-x-p-web-[0-9a-f]{8}$/);
    assert.equal(podNetnsName('pl-x-', 'default', 'web'), a);
    assert.notEqual(podNetnsName('pl-x-', 'other', 'web'), a);
    assert.match(podNetnsName('pl-x-', 'default', 'a.b.c-very-long-name-beyond-twenty'), /^pl-x-p-abc-very-long-name-b-[0-9a-f]{8}$/);
  });
});
