// The services model, one semantic per case: which frontends a Service gets,
// which backends each traffic type uses (ready first, serving-terminating as
// fallback, Local policies, topology), and what empty services do.
import assert from 'node:assert/strict';
import { buildModel, virtualServices } from '../../services/model.ts';
import type { ModelInput, ServicePort, ServicesModel } from '../../services/model.ts';
import { service, slice } from './objects.ts';
import type { EndpointSpec } from './objects.ts';

const NODE = 'node-a';

function model(over: Partial<ModelInput>): ServicesModel {
  return buildModel({ nodeName: NODE, nodeIps: ['198.18.0.1', 'fd00::1'], podNetwork: ['10.244.0.0/16'], services: [], endpointSlices: [], ...over });
}

function only(m: ServicesModel): ServicePort {
  assert.equal(m.ports.length, 1, `ports: ${m.ports.map((p) => p.id).join(' ')}`);
  const p = m.ports[0];
  assert.ok(p !== undefined);
  return p;
}

const ips = (bs: readonly { ip: string }[]): string[] => bs.map((b) => b.ip);

function web(eps: readonly EndpointSpec[], spec: Partial<Parameters<typeof service>[1]> = {}): Partial<ModelInput> {
  return {
    services: [service('web', { clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80 }], ...spec })],
    endpointSlices: [slice('web', 'web-1', eps, [{ name: 'http', port: 8080 }])],
  };
}

describe('services/model', () => {
  it('ClusterIP: one port, the ready endpoints, sorted; unready ones left out', () => {
    const p = only(model(web([{ ip: '10.244.2.5', node: 'node-b' }, { ip: '10.244.1.5', node: NODE }, { ip: '10.244.1.6', ready: false }])));
    assert.equal(p.id, 'default/web/tcp/http');
    assert.deepEqual(p.frontends, [{ kind: 'clusterIP', ip: '10.96.0.10', port: 80 }]);
    assert.deepEqual(p.clusterBackends, [
      { ip: '10.244.1.5', port: 8080, local: true, terminating: false },
      { ip: '10.244.2.5', port: 8080, local: false, terminating: false },
    ]);
    assert.deepEqual(p.localBackends, [], 'no Local policy: the local set is not computed');
    assert.equal(p.internalEmpty, null);
  });

  it('endpoints are matched by port name and protocol; duplicates across slices merge', () => {
    const m = model({
      services: [service('dns', { clusterIPs: ['10.96.0.53'], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }] })],
      endpointSlices: [
        slice('dns', 'a', [{ ip: '10.244.1.2', ready: false }], [{ name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'dns-tcp', port: 5354 }]),
        slice('dns', 'b', [{ ip: '10.244.1.2' }], [{ name: 'dns', port: 5353, protocol: 'UDP' }]),
      ],
    });
    const byId = new Map(m.ports.map((p) => [p.id, p]));
    assert.deepEqual([...byId.keys()], ['default/dns/tcp/dns-tcp', 'default/dns/udp/dns']);
    assert.deepEqual(byId.get('default/dns/udp/dns')?.clusterBackends.map((b) => `${b.ip}:${b.port}`), ['10.244.1.2:5353'], 'ready in one slice wins');
    assert.equal(byId.get('default/dns/tcp/dns-tcp')?.internalEmpty, 'reject', 'the only TCP endpoint is not ready');
  });

  it('serving-terminating endpoints are used only when nothing is ready (KEP-1669)', () => {
    const term = { ready: false, serving: true, terminating: true };
    let p = only(model(web([{ ip: '10.244.1.5', ...term }, { ip: '10.244.1.6' }])));
    assert.deepEqual(ips(p.clusterBackends), ['10.244.1.6']);
    p = only(model(web([{ ip: '10.244.1.5', ...term }, { ip: '10.244.1.7', ready: false, serving: false, terminating: true }])));
    assert.deepEqual(ips(p.clusterBackends), ['10.244.1.5']);
    assert.equal(p.clusterBackends[0]?.terminating, true);
  });

  it('no endpoints at all: reject; a Local policy with no local endpoint: drop', () => {
    let p = only(model(web([])));
    assert.equal(p.internalEmpty, 'reject');
    p = only(model(web([{ ip: '10.244.2.5', node: 'node-b' }], { iTP: 'Local' })));
    assert.deepEqual(p.localBackends, []);
    assert.equal(p.internalEmpty, 'drop', 'endpoints exist elsewhere: drop, not reject');
    p = only(model(web([{ ip: '10.244.2.5', node: 'node-b' }, { ip: '10.244.1.5', node: NODE }], { iTP: 'Local' })));
    assert.deepEqual(ips(p.localBackends), ['10.244.1.5']);
    assert.deepEqual(p.clusterBackends, []);
  });

  it('NodePort and LoadBalancer with eTP Local: external traffic uses local endpoints, internal all', () => {
    const m = model(web([{ ip: '10.244.2.5', node: 'node-b' }, { ip: '10.244.1.5', node: NODE }], {
      type: 'LoadBalancer',
      ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      lbIngress: [{ ip: '198.19.0.5' }, { ip: '198.19.0.6', ipMode: 'Proxy' }],
      eTP: 'Local',
      healthCheckNodePort: 32000,
    }));
    const p = m.ports[0];
    assert.ok(p !== undefined);
    assert.deepEqual(p.frontends.map((f) => f.kind), ['clusterIP', 'nodePort'], 'strict validation without a range drops the LB IP');
    assert.deepEqual(m.skipped.map((s) => s.reason), ['LB ingress 198.19.0.5: outside --loadbalancer-ip-range', 'LB ingress 198.19.0.6: ipMode Proxy']);
    const m2 = model({ ...web([{ ip: '10.244.2.5', node: 'node-b' }, { ip: '10.244.1.5', node: NODE }], {
      type: 'LoadBalancer', ports: [{ name: 'http', port: 80, nodePort: 30080 }], lbIngress: [{ ip: '198.19.0.5' }], eTP: 'Local', healthCheckNodePort: 32000,
    }), options: { loadBalancerIpRanges: ['198.19.0.0/24'] } });
    const vs = virtualServices(m2);
    assert.deepEqual(vs.map((v) => [v.frontend.kind, v.traffic, v.policy, ips(v.backends).join(',')]), [
      ['clusterIP', 'internal', 'Cluster', '10.244.1.5,10.244.2.5'],
      ['nodePort', 'external', 'Local', '10.244.1.5'],
      ['loadBalancer', 'external', 'Local', '10.244.1.5'],
    ]);
    assert.equal(m2.ports[0]?.healthCheckNodePort, 32000);
  });

  it('eTP Local on a node without local endpoints drops external traffic; the annotation forces Local', () => {
    const p = only(model(web([{ ip: '10.244.2.5', node: 'node-b' }], {
      type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }], annotations: { 'kube-router.io/service.local': 'true' },
    })));
    assert.equal(p.externalPolicy, 'Local');
    assert.equal(p.externalEmpty, 'drop');
    assert.equal(p.internalEmpty, null);
  });

  it('externalIPs follow --strict-external-ip-validation and its range', () => {
    const spec = { externalIPs: ['198.19.1.1', '203.0.113.1', 'bogus'] };
    let m = model({ ...web([{ ip: '10.244.1.5' }], spec), options: { externalIpRanges: ['198.19.1.0/24'] } });
    assert.deepEqual(m.ports[0]?.frontends.map((f) => ('ip' in f ? f.ip : f.kind)), ['10.96.0.10', '198.19.1.1']);
    assert.equal(m.skipped.length, 2);
    m = model({ ...web([{ ip: '10.244.1.5' }], spec), options: { strictExternalIpValidation: false } });
    assert.deepEqual(m.ports[0]?.frontends.map((f) => ('ip' in f ? f.ip : f.kind)), ['10.96.0.10', '198.19.1.1', '203.0.113.1']);
    m = model({ ...web([{ ip: '10.244.1.5' }], { externalIPs: ['10.96.5.5'] }), options: { strictExternalIpValidation: false, serviceClusterIpRanges: ['10.96.0.0/12'] } });
    assert.deepEqual(m.ports[0]?.frontends.length, 1);
    assert.deepEqual(m.skipped.map((x) => x.reason), ['externalIP 10.96.5.5: inside --service-cluster-ip-range']);
  });

  it('dual stack: one port per family, each with its own endpoints; NodePort only where the node has an IP', () => {
    const m = buildModel({
      nodeName: NODE, nodeIps: ['198.18.0.1'], podNetwork: [],
      services: [service('web', { type: 'NodePort', clusterIPs: ['10.96.0.10', 'fd00:96::10'], ports: [{ port: 80, nodePort: 30080 }] })],
      endpointSlices: [slice('web', 'v4', [{ ip: '10.244.1.5' }], [{ port: 8080 }]), slice('web', 'v6', [{ ip: 'fd00:244::5' }], [{ port: 8080 }], { family: 6 })],
    });
    assert.deepEqual(m.ports.map((p) => [p.id, p.frontends.map((f) => f.kind).join(','), ips(p.clusterBackends).join(',')]), [
      ['default/web/tcp/80', 'clusterIP,nodePort', '10.244.1.5'],
      ['default/web/tcp/80/v6', 'clusterIP', 'fd00:244::5'],
    ]);
  });

  it('session affinity: ClientIP with its timeout, 10800 s by default', () => {
    assert.equal(only(model(web([{ ip: '10.244.1.5' }], { affinity: 60 }))).affinitySeconds, 60);
    assert.equal(only(model(web([{ ip: '10.244.1.5' }], { affinity: 'default' }))).affinitySeconds, 10800);
    assert.equal(only(model(web([{ ip: '10.244.1.5' }]))).affinitySeconds, null);
  });

  it('hairpin: --hairpin-mode or the per-service annotation; masquerade-all is carried', () => {
    assert.equal(only(model(web([{ ip: '10.244.1.5' }]))).hairpin, false);
    assert.equal(only(model(web([{ ip: '10.244.1.5' }], { annotations: { 'kube-router.io/service.hairpin': '' } }))).hairpin, true);
    const p = only(model({ ...web([{ ip: '10.244.1.5' }]), options: { hairpinMode: true, masqueradeAll: true } }));
    assert.equal(p.hairpin, true);
    assert.equal(p.masqueradeAll, true);
  });

  it('skips headless, ExternalName, foreign proxies, and NodePorts outside the range', () => {
    const m = model({
      services: [
        service('headless', { clusterIPs: ['None'], ports: [{ port: 80 }] }),
        service('ext', { type: 'ExternalName', ports: [{ port: 80 }] }),
        service('other', { clusterIPs: ['10.96.0.12'], ports: [{ port: 80 }], labels: { 'service.kubernetes.io/service-proxy-name': 'cilium' } }),
        service('np', { type: 'NodePort', clusterIPs: ['10.96.0.13'], ports: [{ port: 80, nodePort: 8080 }] }),
      ],
    });
    assert.deepEqual(m.ports.map((p) => [p.id, p.frontends.length]), [['default/np/tcp/80', 1]]);
    assert.deepEqual(m.skipped.map((s) => `${s.service}: ${s.reason}`), [
      'default/ext: ExternalName',
      'default/headless: headless',
      'default/np: nodePort 8080: outside --service-node-port-range',
      'default/other: service-proxy-name cilium',
    ]);
  });

  it('topology: zone hints narrow the set only when every endpoint has them and one matches', () => {
    const eps = [
      { ip: '10.244.1.5', forZones: ['a'] },
      { ip: '10.244.2.5', forZones: ['b'] },
    ];
    const spec = { trafficDistribution: 'PreferClose' };
    assert.deepEqual(ips(only(model({ ...web(eps, spec), zone: 'a' })).clusterBackends), ['10.244.1.5']);
    assert.deepEqual(ips(only(model({ ...web(eps, spec), zone: 'c' })).clusterBackends), ['10.244.1.5', '10.244.2.5'], 'no endpoint for my zone');
    assert.deepEqual(ips(only(model({ ...web([...eps, { ip: '10.244.3.5' }], spec), zone: 'a' })).clusterBackends).length, 3, 'a hint is missing');
    assert.deepEqual(ips(only(model({ ...web(eps), zone: 'a' })).clusterBackends).length, 2, 'no mode: hints ignored');
    const annotated = web(eps, { ...spec, annotations: { 'service.kubernetes.io/topology-mode': 'Disabled' } });
    assert.equal(only(model({ ...annotated, zone: 'a' })).clusterBackends.length, 2, 'the annotation beats the field');
    const nodeEps = [{ ip: '10.244.1.5', forNodes: [NODE] }, { ip: '10.244.2.5', forNodes: ['node-b'] }];
    assert.deepEqual(ips(only(model(web(nodeEps, { trafficDistribution: 'PreferSameNode' }))).clusterBackends), ['10.244.1.5']);
  });

  it('is deterministic: input order does not matter', () => {
    const a = model({
      services: [service('b', { clusterIPs: ['10.96.0.2'], ports: [{ port: 80 }] }), service('a', { clusterIPs: ['10.96.0.1'], ports: [{ port: 80 }] })],
      endpointSlices: [slice('a', 's2', [{ ip: '10.244.1.2' }], [{ port: 80 }]), slice('a', 's1', [{ ip: '10.244.1.1' }], [{ port: 80 }])],
    });
    const b = model({
      services: [service('a', { clusterIPs: ['10.96.0.1'], ports: [{ port: 80 }] }), service('b', { clusterIPs: ['10.96.0.2'], ports: [{ port: 80 }] })],
      endpointSlices: [slice('a', 's1', [{ ip: '10.244.1.1' }], [{ port: 80 }]), slice('a', 's2', [{ ip: '10.244.1.2' }], [{ port: 80 }])],
    });
    assert.deepEqual(a, b);
  });
});
