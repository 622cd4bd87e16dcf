// Named cluster states for the services tests: each is a model input that
// exercises one semantic. The unit tier renders them to golden nft text; the
// kernel tier loads them and checks that every delta between two of them
// leaves the same table as a full load.
import type { ModelInput } from '../../services/model.ts';
import { service, slice } from './objects.ts';

export const NODE = 'node-a';

function base(over: Partial<ModelInput>): ModelInput {
  return {
    nodeName: NODE,
    nodeIps: ['198.18.0.1', 'fd00:198::1'],
    podNetwork: ['10.244.0.0/16', 'fd00:244::/56'],
    services: [],
    endpointSlices: [],
    ...over,
    options: { serviceClusterIpRanges: ['10.96.0.0/12', 'fd00:96::/108'], ...over.options },
  };
}

const two = [{ ip: '10.244.1.10', node: NODE }, { ip: '10.244.2.10', node: 'node-b' }];
const http = [{ name: 'http', port: 8080 }];

export const scenarios: Record<string, ModelInput> = {
  'cluster-ip': base({
    services: [service('web', { clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80 }] })],
    endpointSlices: [slice('web', 'web-1', two, http)],
  }),
  'no-endpoints': base({
    services: [
      service('web', { clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80 }] }),
      service('dns', { clusterIPs: ['10.96.0.53'], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
    ],
    endpointSlices: [slice('web', 'web-1', [{ ip: '10.244.1.10', ready: false }], http)],
  }),
  'node-port': base({
    services: [service('web', { type: 'NodePort', clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80, nodePort: 30080 }] })],
    endpointSlices: [slice('web', 'web-1', two, http)],
  }),
  'node-port-all-ips': base({
    services: [service('web', { type: 'NodePort', clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80, nodePort: 30080 }] })],
    endpointSlices: [slice('web', 'web-1', two, http)],
    options: { nodePortBindOnAllIp: true },
  }),
  'lb-local': base({
    services: [service('web', {
      type: 'LoadBalancer', clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      lbIngress: [{ ip: '198.19.0.5' }], sourceRanges: ['198.18.0.0/24', '203.0.113.0/24'], eTP: 'Local', healthCheckNodePort: 32000,
    })],
    endpointSlices: [slice('web', 'web-1', two, http)],
    options: { loadBalancerIpRanges: ['198.19.0.0/24'] },
  }),
  'lb-local-no-local-endpoint': base({
    services: [service('web', {
      type: 'LoadBalancer', clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      lbIngress: [{ ip: '198.19.0.5' }], eTP: 'Local',
    })],
    endpointSlices: [slice('web', 'web-1', [{ ip: '10.244.2.10', node: 'node-b' }], http)],
    options: { loadBalancerIpRanges: ['198.19.0.0/24'] },
  }),
  'internal-local': base({
    services: [service('web', { clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80 }], iTP: 'Local' }), service('far', { clusterIPs: ['10.96.0.11'], ports: [{ port: 80 }], iTP: 'Local' })],
    endpointSlices: [slice('web', 'web-1', two, http), slice('far', 'far-1', [{ ip: '10.244.2.11', node: 'node-b' }], [{ port: 80 }])],
  }),
  affinity: base({
    services: [service('web', { clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80 }], affinity: 600 })],
    endpointSlices: [slice('web', 'web-1', two, http)],
  }),
  'hairpin-masquerade-all': base({
    services: [service('web', { clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80 }], annotations: { 'kube-router.io/service.hairpin': '' } })],
    endpointSlices: [slice('web', 'web-1', two, http)],
    options: { masqueradeAll: true },
  }),
  'dual-stack-protocols': base({
    services: [service('mix', {
      type: 'NodePort', clusterIPs: ['10.96.0.20', 'fd00:96::20'],
      ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }, { name: 'sig', port: 3868, protocol: 'SCTP' }],
    })],
    endpointSlices: [
      slice('mix', 'v4', [{ ip: '10.244.1.20', node: NODE }], [{ name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'sig', port: 3868, protocol: 'SCTP' }]),
      slice('mix', 'v6', [{ ip: 'fd00:244::20', node: NODE }], [{ name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'sig', port: 3868, protocol: 'SCTP' }], { family: 6 }),
    ],
  }),
  'external-ips': base({
    services: [service('web', { clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80 }], externalIPs: ['198.19.1.1', '203.0.113.9'] })],
    endpointSlices: [slice('web', 'web-1', two, http)],
    options: { externalIpRanges: ['198.19.1.0/24'] },
  }),
  'terminating-fallback': base({
    services: [service('web', { clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80 }] })],
    endpointSlices: [slice('web', 'web-1', [
      { ip: '10.244.1.10', ready: false, serving: true, terminating: true },
      { ip: '10.244.1.11', ready: false, serving: false, terminating: true },
    ], http)],
  }),
};
