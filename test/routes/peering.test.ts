import assert from 'node:assert/strict';
import type { V1Node } from '@kubernetes/client-node';
import { parseCommunity, parseNodeAnnotations } from '../../routes/annotations.ts';
import { desiredPeering, generatedRouterId } from '../../routes/peering.ts';
import type { PeeringOptions } from '../../routes/peering.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function node(name: string, ip: string, extra: { annotations?: Record<string, string>; podCIDRs?: string[]; ipv6?: string } = {}): V1Node {
  return {
    metadata: { name, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { podCIDRs: extra.podCIDRs ?? [] },
    status: { addresses: [{ type: 'InternalIP', address: ip }, ...(extra.ipv6 ? [{ type: 'InternalIP', address: extra.ipv6 }] : []), { type: 'Hostname', address: name }] },
  };
}

const opts: PeeringOptions = { clusterAsn: 64512, nodesFullMesh: true, enableIbgp: true, bgpPort: 179, globalPeers: [], multihopTtl: 0, routerId: '' };

describe('routes: node annotations', () => {
  it('parses the kube-router.io/peers YAML form', () => {
    const a = parseNodeAnnotations({
      'kube-router.io/peers': `- remoteip: 198.18.1.1\n  remoteasn: 65001\n  password: ${b64('pw')}\n  port: 1179\n  localip: 198.18.0.2\n- remoteip: fd00::1\n  remoteasn: "4200000000"\n  bfd: {enabled: true}\n`,
    });
    assert.deepEqual(a.errors, []);
    assert.deepEqual(a.peers, [
      { address: '198.18.1.1', asn: 65001, port: 1179, password: 'pw', localAddress: '198.18.0.2', bfd: false },
      { address: 'fd00::1', asn: 4200000000, port: 179, password: '', localAddress: null, bfd: true },
    ]);
  });

  it('parses the older comma forms', () => {
    const a = parseNodeAnnotations({
      'kube-router.io/peer.ips': '198.18.1.1,198.18.1.2',
      'kube-router.io/peer.asns': '65001,65002',
      'kube-router.io/peer.passwords': `${b64('x')},`,
      'kube-router.io/peer.ports': '179,1790',
    });
    assert.deepEqual(a.errors, []);
    assert.deepEqual(a.peers.map((p) => [p.address, p.asn, p.port, p.password]), [['198.18.1.1', 65001, 179, 'x'], ['198.18.1.2', 65002, 1790, '']]);
  });

  it('reports each bad annotation by name and keeps the good ones', () => {
    const a = parseNodeAnnotations({
      'kube-router.io/node.asn': 'sixty',
      'kube-router.io/peers': '- remoteip: nope\n  remoteasn: 1\n',
      'kube-router.io/node.bgp.communities': '65000:1,no-export,bogus,4259840100',
      'kube-router.io/path-prepend.as': '65000',
      'kube-router.io/node.bgp.customimportreject': '10.0.0.0/8,300.1.1.1/8',
      'kube-router.io/rr.server': '42',
      'kube-router.io/pod-cidrs': '10.244.1.0/24,fd00:244:1::/64',
    });
    assert.equal(a.asn, null);
    assert.deepEqual(a.peers, []);
    assert.deepEqual(a.communities, ['65000:1', '65535:65281', '65000:100']);
    assert.equal(a.prepend, null);
    assert.deepEqual(a.importReject, ['10.0.0.0/8']);
    assert.equal(a.rrServer, '0.0.0.42');
    assert.deepEqual(a.podCidrs, ['10.244.1.0/24', 'fd00:244:1::/64']);
    const joined = a.errors.join('\n');
    assert.match(joined, /kube-router\.io\/node\.asn: "sixty" is not an ASN/);
    assert.match(joined, /kube-router\.io\/peers: \[0\.remoteip\] must be an IP address/);
    assert.match(joined, /kube-router\.io\/node\.bgp\.communities: "bogus" is not a community/);
    assert.match(joined, /path-prepend\.as\/kube-router\.io\/path-prepend\.repeat-n: both must be set/);
    assert.match(joined, /customimportreject: "300\.1\.1\.1\/8" is not a CIDR/);
    assert.equal(a.errors.length, 5);
  });

  it('parses communities in kube-router\'s three forms', () => {
    assert.equal(parseCommunity('65000:200'), '65000:200');
    assert.equal(parseCommunity('no-advertise'), '65535:65282');
    assert.equal(parseCommunity('4259840200'), '65000:200');
    assert.equal(parseCommunity('70000:1'), null);
  });
});

describe('routes: desired peering', () => {
  it('meshes every node over iBGP with the cluster ASN, router ID from the node IPv4, pod CIDRs from spec', () => {
    const nodes = [node('a', '198.18.0.1', { podCIDRs: ['10.244.0.0/24', 'fd00:244::/64'], ipv6: 'fd00:18::1' }), node('b', '198.18.0.2'), node('c', '198.18.0.3')];
    const d = desiredPeering('a', nodes, opts);
    assert.deepEqual(d.errors, []);
    assert.equal(d.localAsn, 64512);
    assert.equal(d.routerId, '198.18.0.1');
    assert.deepEqual(d.addresses, { ipv4: '198.18.0.1', ipv6: 'fd00:18::1' });
    assert.deepEqual(d.podCidrs, ['10.244.0.0/24', 'fd00:244::/64']);
    assert.deepEqual(d.peers.map((p) => [p.address, p.asn, p.kind, p.node]), [['198.18.0.2', 64512, 'node', 'b'], ['198.18.0.3', 64512, 'node', 'c']]);
    // Only the lower address connects: a connects to b and c; c waits for a and b.
    assert.deepEqual(d.peers.map((p) => p.passive), [false, false]);
    assert.deepEqual(d.peers.map((p) => p.localAddress), ['198.18.0.1', '198.18.0.1'], 'node sessions start from the node IP');
    assert.deepEqual(desiredPeering('c', nodes, opts).peers.map((p) => [p.node, p.passive]), [['a', true], ['b', true]]);
    assert.deepEqual(desiredPeering('b', nodes, opts).peers.map((p) => [p.node, p.passive]), [['a', true], ['c', false]]);
  });

  it('orders addresses numerically, not as text', async () => {
    const { compareAddresses } = await import('../../routes/peering.ts');
    assert.equal(compareAddresses('198.18.0.9', '198.18.0.10'), -1);
    assert.equal(compareAddresses('fd00::a', 'fd00::9'), 1);
    assert.equal(compareAddresses('fd00:0:0::1', 'fd00::1'), 0);
  });

  it('adds global external peers to every node, with multihop TTL', () => {
    const d = desiredPeering('a', [node('a', '198.18.0.1'), node('b', '198.18.0.2')], {
      ...opts,
      globalPeers: [{ ip: '198.18.255.1', asn: 65000, port: 179, password: 's' }],
      multihopTtl: 4,
    });
    assert.deepEqual(d.peers.map((p) => [p.address, p.kind, p.password, p.multihopTtl, p.passive]), [['198.18.0.2', 'node', '', null, false], ['198.18.255.1', 'external', 's', 4, false]]);
  });

  it('uses the node peers annotation only without global peers', () => {
    const ann = { 'kube-router.io/peers': '- remoteip: 198.18.9.9\n  remoteasn: 65009\n' };
    const nodes = [node('a', '198.18.0.1', { annotations: ann })];
    assert.deepEqual(desiredPeering('a', nodes, opts).peers.map((p) => p.address), ['198.18.9.9']);
    assert.deepEqual(desiredPeering('a', nodes, { ...opts, globalPeers: [{ ip: '198.18.255.1', asn: 65000, port: 179, password: '' }] }).peers.map((p) => p.address), ['198.18.255.1']);
  });

  it('asks for BFD with --enable-bfd peers and annotation peers with bfd.enabled, never with node peers', () => {
    const ann = { 'kube-router.io/peers': '- remoteip: 198.18.9.9\n  remoteasn: 65009\n  bfd: { enabled: true }\n- remoteip: 198.18.9.8\n  remoteasn: 65009\n' };
    const nodes = [node('a', '198.18.0.1', { annotations: ann }), node('b', '198.18.0.2')];
    assert.deepEqual(desiredPeering('a', nodes, opts).peers.map((p) => [p.address, p.bfd === true]), [['198.18.0.2', false], ['198.18.9.8', false], ['198.18.9.9', true]]);
    const global = desiredPeering('a', nodes, { ...opts, globalPeers: [{ ip: '198.18.255.1', asn: 65000, port: 179, password: '' }], globalPeersBfd: true });
    assert.deepEqual(global.peers.map((p) => [p.address, p.bfd === true]), [['198.18.0.2', false], ['198.18.255.1', true]]);
  });

  it('without full mesh peers only nodes of the same node.asn', () => {
    const nodes = [
      node('a', '198.18.0.1', { annotations: { 'kube-router.io/node.asn': '65001' } }),
      node('b', '198.18.0.2', { annotations: { 'kube-router.io/node.asn': '65001' } }),
      node('c', '198.18.0.3', { annotations: { 'kube-router.io/node.asn': '65002' } }),
      node('d', '198.18.0.4'),
    ];
    const d = desiredPeering('a', nodes, { ...opts, nodesFullMesh: false });
    assert.equal(d.localAsn, 65001);
    assert.deepEqual(d.peers.map((p) => p.node), ['b']);
    const e = desiredPeering('d', nodes, { ...opts, nodesFullMesh: false });
    assert.deepEqual(e.peers, []);
    assert.match(e.errors.join(), /needs the kube-router\.io\/node\.asn annotation/);
  });

  it('route reflection: clients peer only with servers, servers mark clients', () => {
    const nodes = [
      node('rr1', '198.18.0.1', { annotations: { 'kube-router.io/rr.server': '1' } }),
      node('rr2', '198.18.0.2', { annotations: { 'kube-router.io/rr.server': '1' } }),
      node('c1', '198.18.0.3', { annotations: { 'kube-router.io/rr.client': '1' } }),
      node('c2', '198.18.0.4', { annotations: { 'kube-router.io/rr.client': '1' } }),
    ];
    const s = desiredPeering('rr1', nodes, opts);
    assert.equal(s.clusterId, '0.0.0.1');
    assert.deepEqual(s.peers.map((p) => [p.node, p.rrClient]), [['rr2', false], ['c1', true], ['c2', true]]);
    const c = desiredPeering('c1', nodes, opts);
    assert.deepEqual(c.peers.map((p) => [p.node, p.rrClient]), [['rr1', false], ['rr2', false]]);
  });

  it('skips nodes of another primary family and nodes without addresses; generates router IDs', () => {
    const nodes = [node('a', '198.18.0.1'), node('v6', 'fd00:18::2'), { metadata: { name: 'bare' }, spec: {}, status: {} } as V1Node];
    const d = desiredPeering('a', nodes, { ...opts, routerId: 'generate' });
    assert.deepEqual(d.peers, []);
    assert.equal(d.routerId, generatedRouterId('198.18.0.1'));
    assert.match(d.routerId ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    const v6 = desiredPeering('v6', nodes, opts);
    assert.match(v6.errors.join(), /no IPv4 address for the router ID: set --router-id/);
    assert.equal(v6.routerId, null);
  });

  it('says when its own node is missing', () => {
    assert.match(desiredPeering('ghost', [node('a', '198.18.0.1')], opts).errors.join(), /node ghost not found/);
  });
});
