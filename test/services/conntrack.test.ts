// Which UDP conntrack entries a service change leaves stale, and the exact
// conntrack(8) command for each.
import assert from 'node:assert/strict';
import { conntrackArgs, staleUdp } from '../../services/conntrack.ts';
import { buildModel } from '../../services/model.ts';
import type { ServicesModel } from '../../services/model.ts';
import { service, slice } from './objects.ts';

function dns(endpoints: readonly string[], extra: { tcp?: boolean } = {}): ServicesModel {
  return buildModel({
    nodeName: 'node-a',
    nodeIps: ['198.18.0.1'],
    podNetwork: ['10.244.0.0/16'],
    services: [service('dns', { type: 'NodePort', clusterIPs: ['10.96.0.53'], ports: [{ name: 'dns', port: 53, protocol: extra.tcp === true ? 'TCP' : 'UDP', nodePort: 30053 }] })],
    endpointSlices: [slice('dns', 'dns-1', endpoints.map((ip) => ({ ip })), [{ name: 'dns', port: 5353, protocol: extra.tcp === true ? 'TCP' : 'UDP' }])],
  });
}

describe('services/conntrack', () => {
  it('an endpoint gone: flush entries DNATed to it, on the ClusterIP and the NodePort', () => {
    const f = staleUdp(dns(['10.244.1.10', '10.244.1.11']), dns(['10.244.1.10']));
    assert.deepEqual(f.map(conntrackArgs), [
      ['-D', '-f', 'ipv4', '-p', 'udp', '--orig-port-dst', '30053', '--dst-nat', '10.244.1.11'],
      ['-D', '-f', 'ipv4', '-p', 'udp', '--orig-dst', '10.96.0.53', '--orig-port-dst', '53', '--dst-nat', '10.244.1.11'],
    ]);
  });

  it('from no endpoints to some: flush every entry to the service (they hold the reject)', () => {
    const f = staleUdp(dns([]), dns(['10.244.1.10']));
    assert.deepEqual(f.map((x) => [x.vip, x.port, x.endpoint]), [[null, 30053, null], ['10.96.0.53', 53, null]]);
  });

  it('a removed service flushes its endpoints; no change, TCP, or the first sync flush nothing', () => {
    const gone = buildModel({ nodeName: 'node-a', nodeIps: [], podNetwork: [], services: [], endpointSlices: [] });
    assert.deepEqual(staleUdp(dns(['10.244.1.10']), gone).map((x) => [x.vip, x.port, x.endpoint]), [[null, 30053, '10.244.1.10'], ['10.96.0.53', 53, '10.244.1.10']]);
    assert.deepEqual(staleUdp(dns(['10.244.1.10']), dns(['10.244.1.10'])), []);
    assert.deepEqual(staleUdp(dns(['10.244.1.10', '10.244.1.11'], { tcp: true }), dns(['10.244.1.10'], { tcp: true })), []);
    assert.deepEqual(staleUdp(undefined, dns(['10.244.1.10'])), []);
  });
});
