// Service IP advertisement (routes/services.ts) and the routes controller's
// export decision: which service prefixes a node originates under the
// kube-router flags and annotations, traffic policy Local limited to nodes
// with a ready endpoint, the ClusterIP aggregate; and what goes to node peers
// versus external peers (communities and prepend annotations applied).
import assert from 'node:assert/strict';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { parseAsn, type PathAttributes } from '../../bgp/index.ts';
import { exportDecision } from '../../routes/controller.ts';
import { serviceAdverts } from '../../routes/services.ts';

function svc(name: string, spec: NonNullable<V1Service['spec']>, extra: { annotations?: Record<string, string>; lb?: string[] } = {}): V1Service {
  return {
    metadata: { name, namespace: 'default', ...(extra.annotations !== undefined ? { annotations: extra.annotations } : {}) },
    spec,
    ...(extra.lb !== undefined ? { status: { loadBalancer: { ingress: extra.lb.map((ip) => ({ ip })) } } } : {}),
  };
}
function slice(service: string, endpoints: { node: string; ready?: boolean }[]): V1EndpointSlice {
  return {
    addressType: 'IPv4',
    metadata: { name: `${service}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    endpoints: endpoints.map((e, i) => ({ addresses: [`10.244.9.${i + 1}`], nodeName: e.node, conditions: { ready: e.ready ?? true } })),
  };
}

const all = { nodeName: 'n1', clusterIp: true, externalIp: true, loadBalancerIp: true, clusterIpAggregate: null };
const services = [
  svc('web', { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10', 'fd00:96::a'], externalIPs: ['198.51.100.10'] }, { lb: ['203.0.113.7'] }),
  svc('headless', { clusterIP: 'None' }),
  svc('local', { clusterIP: '10.96.0.20', externalTrafficPolicy: 'Local', externalIPs: ['198.51.100.20'] }, { lb: ['203.0.113.20'] }),
  svc('elsewhere', { clusterIP: '10.96.0.30', externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local', externalIPs: ['198.51.100.30'] }),
  svc('optout', { clusterIP: '10.96.0.40', externalIPs: ['198.51.100.40'] }, { annotations: { 'kube-router.io/service.advertise.clusterip': 'false' } }),
  svc('forced', { clusterIP: '10.96.0.50', externalIPs: ['198.51.100.50'] }, { annotations: { 'kube-router.io/service.local': 'true' } }),
];
const slices = [slice('local', [{ node: 'n1' }, { node: 'n2' }]), slice('elsewhere', [{ node: 'n2' }, { node: 'n1', ready: false }]), slice('forced', [{ node: 'n2' }])];

describe('routes/services: service IP advertisement', () => {
  it('advertises ClusterIPs (both families), externalIPs and LB IPs, honouring opt-outs and Local traffic policies', () => {
    assert.deepEqual(serviceAdverts(services, slices, all).prefixes, [
      '10.96.0.10/32', '10.96.0.20/32', '10.96.0.50/32', // ClusterIPs: opt-out and iTP Local without a ready local endpoint left out
      '198.51.100.10/32', '198.51.100.20/32', '198.51.100.40/32', // externalIPs: eTP Local only where a ready endpoint is local; service.local forces it
      '203.0.113.20/32', '203.0.113.7/32',
      'fd00:96::a/128',
    ]);
  });

  it('advertises nothing with the flags off, except what an annotation opts in', () => {
    const none = { ...all, clusterIp: false, externalIp: false, loadBalancerIp: false };
    assert.deepEqual(serviceAdverts(services, slices, none).prefixes, []);
    const optIn = [svc('in', { clusterIP: '10.96.0.60' }, { annotations: { 'kube-router.io/service.advertise.clusterip': 'true' } })];
    assert.deepEqual(serviceAdverts(optIn, [], none).prefixes, ['10.96.0.60/32']);
  });

  it('replaces the ClusterIP /32s by the service CIDRs in aggregate mode (kube-router#923)', () => {
    const agg = serviceAdverts(services, slices, { ...all, externalIp: false, loadBalancerIp: false, clusterIpAggregate: ['10.96.0.0/12', 'fd00:96::/112'] });
    assert.deepEqual(agg.prefixes, ['10.96.0.0/12', 'fd00:96::/112']);
  });

  it('skips ipMode Proxy LB IPs and skiplbips, and names a bad IP without losing the others', () => {
    const odd = [
      svc('proxy', { clusterIP: '10.96.0.70' }, { lb: [] }),
      svc('skip', { clusterIP: '10.96.0.80' }, { lb: ['203.0.113.80'], annotations: { 'kube-router.io/service.skiplbips': '' } }),
      svc('bad', { clusterIP: '10.96.0.90', externalIPs: ['not-an-ip'] }),
    ];
    (odd[0] as { status: unknown }).status = { loadBalancer: { ingress: [{ ip: '203.0.113.70', ipMode: 'Proxy' }] } };
    const r = serviceAdverts(odd, [], all);
    assert.deepEqual(r.prefixes, ['10.96.0.70/32', '10.96.0.80/32', '10.96.0.90/32']);
    assert.deepEqual(r.errors, ['service default/bad: externalIP "not-an-ip" is not an IP address']);
  });
});

describe('routes/controller: export decision', () => {
  const pol = {
    external: new Set(['198.18.1.1']),
    vips: new Set(['10.96.0.10/32']),
    podCidrs: new Set(['10.244.1.0/24']),
    advertisePodCidr: true,
    communities: [64512 * 65536 + 100],
    prepend: { asn: 64512, repeat: 2 },
    importReject: [],
  };
  const a: PathAttributes = { origin: 0, asPath: [{ type: 'sequence', asns: [parseAsn(64512)] }] };
  const node = { address: '198.18.1.3', ibgp: true };
  const torEbgp = { address: '198.18.1.1', ibgp: false };

  it('keeps service IPs from other nodes and sends them everything else unchanged', () => {
    assert.equal(exportDecision(pol, '10.96.0.10/32', a, node, 'local'), null);
    assert.equal(exportDecision(pol, '10.244.1.0/24', a, node, 'local'), a);
    assert.equal(exportDecision(pol, '10.244.2.0/24', a, node, 'peer'), a);
  });

  it('sends external peers only own routes, with the communities and the prepend (eBGP)', () => {
    assert.equal(exportDecision(pol, '10.244.2.0/24', a, torEbgp, 'peer'), null, 'another node\'s pod CIDR is not re-advertised');
    const out = exportDecision(pol, '10.96.0.10/32', a, torEbgp, 'local');
    assert.deepEqual(out?.communities, [64512 * 65536 + 100]);
    assert.deepEqual(out?.asPath, [{ type: 'sequence', asns: [64512, 64512, 64512] }]);
    const ibgpTor = exportDecision(pol, '10.244.1.0/24', a, { ...torEbgp, ibgp: true }, 'local');
    assert.deepEqual(ibgpTor?.asPath, a.asPath, 'no prepend toward an iBGP peer');
    assert.equal(exportDecision({ ...pol, advertisePodCidr: false }, '10.244.1.0/24', a, torEbgp, 'local'), null, '--advertise-pod-cidr=false');
  });
});
