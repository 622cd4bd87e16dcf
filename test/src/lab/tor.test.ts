// Unit: the ToR's BIRD and FRR configurations (iBGP route reflector or eBGP,
// sessions per node and family) and the parsing of their session states.
import assert from 'node:assert/strict';
import { bgpdConfig, parseFrrNeighbors } from '../../../src/lab/frr.ts';
import { birdConfig, parseBirdProtocols } from '../../../src/lab/tor.ts';
import { defaultOptions, planLab } from '../../../src/lab/topology.ts';

describe('lab ToR (BIRD)', function () {
  it('peers iBGP with every node as route-reflector clients, next hops resolved directly', function () {
    const conf = birdConfig(planLab({ ...defaultOptions, nodes: 3, subnets: 2 }), '/l/bird.log');
    assert.match(conf, /router id 198\.18\.1\.1;/);
    assert.match(conf, /local as 64512;\n {2}direct;/);
    assert.match(conf, /rr client;/);
    assert.ok(conf.includes('protocol bgp node1 from node { neighbor 198.18.1.2 as 64512; source address 198.18.1.1; ipv4 { import all; export all; gateway direct; }; }'));
    assert.ok(conf.includes('protocol bgp node2 from node { neighbor 198.18.2.3 as 64512; source address 198.18.2.1;'));
    assert.equal(conf.includes('next hop self'), false);
    assert.equal(conf.includes('ipv6'), false);
  });

  it('is eBGP with next hop self for a separate ToR ASN, with IPv6 sessions when asked', function () {
    const conf = birdConfig(planLab({ ...defaultOptions, torAsn: 65000, ipv6: true }), '/l');
    assert.match(conf, /local as 65000;/);
    assert.equal(conf.includes('rr client'), false);
    assert.ok(conf.includes('protocol bgp node1 from node { neighbor 198.18.1.2 as 64512;'));
    assert.ok(conf.includes('protocol bgp node2_v6 from node { neighbor fd00:198:18:1::3 as 64512; source address fd00:198:18:1::1; ipv6 { import all; export all; gateway direct; next hop self; }; }'));
  });

  it('reads the BGP sessions out of `birdc show protocols`', function () {
    const text = [
      'BIRD 2.0.12 ready.',
      'Name       Proto      Table      State  Since         Info',
      'device1    Device     ---        up     04:27:00.600  ',
      'k4         Kernel     master4    up     04:27:00.600  ',
      'node1      BGP        ---        up     04:27:00.676  Established   ',
      'node2      BGP        ---        start  04:27:00.600  Active        Socket: Connection refused',
    ].join('\n');
    assert.deepEqual(parseBirdProtocols(text, new Map([['node1', '198.18.1.2']])), [
      { name: 'node1', neighbor: '198.18.1.2', state: 'up', info: 'Established' },
      { name: 'node2', neighbor: '', state: 'start', info: 'Active Socket: Connection refused' },
    ]);
  });
});

describe('lab ToR (FRR)', function () {
  it('writes bgpd.conf with route-reflector clients per family, no RFC 8212 policy requirement', function () {
    const conf = bgpdConfig(planLab({ ...defaultOptions, nodes: 2, ipv6: true }));
    for (const line of [
      'router bgp 64512',
      ' bgp router-id 198.18.1.1',
      ' no bgp ebgp-requires-policy',
      ' neighbor nodes remote-as 64512',
      ' neighbor 198.18.1.2 peer-group nodes',
      ' neighbor 198.18.1.3 peer-group nodes',
      ' neighbor fd00:198:18:1::3 peer-group nodes6',
      '  neighbor nodes route-reflector-client',
      '  neighbor nodes6 activate',
    ]) {
      assert.ok(conf.split('\n').includes(line), line);
    }
    const ebgp = bgpdConfig(planLab({ ...defaultOptions, torAsn: 65000 }));
    assert.ok(ebgp.includes('router bgp 65000\n'));
    assert.ok(ebgp.includes('  neighbor nodes next-hop-self\n'));
    assert.equal(ebgp.includes('nodes6'), false);
  });

  it('reads session states from `show bgp neighbors json`', function () {
    const json = JSON.stringify({ '198.18.1.2': { bgpState: 'Established' }, '198.18.1.3': { bgpState: 'Active', lastResetDueTo: 'Waiting for peer OPEN' } });
    assert.deepEqual(parseFrrNeighbors(json, new Map([['node1', '198.18.1.2'], ['node2', '198.18.1.3'], ['node3', '198.18.1.4']])), [
      { name: 'node1', neighbor: '198.18.1.2', state: 'up', info: 'Established' },
      { name: 'node2', neighbor: '198.18.1.3', state: 'start', info: 'Active (Waiting for peer OPEN)' },
    ]);
  });
});
