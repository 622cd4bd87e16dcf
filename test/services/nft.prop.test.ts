// Property: for random pairs of cluster states, the delta batch replayed on
// the previous ruleset gives exactly the next ruleset, and a delta to the same
// state is empty. Random services (types, protocols, families, policies,
// affinity, hairpin, source ranges) and endpoints (nodes, conditions).
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { buildModel } from '../../services/model.ts';
import type { ModelInput } from '../../services/model.ts';
import { renderRuleset } from '../../services/nft.ts';
import { renderDelta, renderFull } from '../../services/nft-batch.ts';
import { service, slice } from './objects.ts';
import { replay } from './replay.ts';

const endpointArb = fc.record({
  n: fc.integer({ min: 1, max: 6 }),
  node: fc.constantFrom('node-a', 'node-b'),
  state: fc.constantFrom('ready', 'terminating', 'gone'),
});

const serviceArb = fc.record({
  type: fc.constantFrom('ClusterIP' as const, 'NodePort' as const, 'LoadBalancer' as const),
  protocol: fc.constantFrom('TCP' as const, 'UDP' as const, 'SCTP' as const),
  dual: fc.boolean(),
  eTP: fc.constantFrom('Cluster' as const, 'Local' as const),
  iTP: fc.constantFrom('Cluster' as const, 'Local' as const),
  affinity: fc.constantFrom(null, 60, 600),
  hairpin: fc.boolean(),
  ranges: fc.boolean(),
  externalIp: fc.boolean(),
  endpoints: fc.array(endpointArb, { maxLength: 4 }),
});

type Spec = typeof serviceArb extends fc.Arbitrary<infer T> ? T : never;

function input(specs: readonly Spec[], masqueradeAll: boolean, bindAll: boolean): ModelInput {
  const services: V1Service[] = [];
  const slices: V1EndpointSlice[] = [];
  specs.forEach((s, i) => {
    const name = `s${i}`;
    services.push(service(name, {
      type: s.type,
      clusterIPs: s.dual ? [`10.96.0.${i + 1}`, `fd00:96::${i + 1}`] : [`10.96.0.${i + 1}`],
      ports: [{ name: 'p', port: 80 + i, protocol: s.protocol, ...(s.type !== 'ClusterIP' ? { nodePort: 30000 + i } : {}) }],
      ...(s.type === 'LoadBalancer' ? { lbIngress: [{ ip: `198.19.0.${i + 1}` }] } : {}),
      ...(s.ranges ? { sourceRanges: ['198.18.0.0/24'] } : {}),
      ...(s.externalIp ? { externalIPs: [`198.19.1.${i + 1}`] } : {}),
      eTP: s.eTP,
      iTP: s.iTP,
      ...(s.affinity !== null ? { affinity: s.affinity } : {}),
      ...(s.hairpin ? { annotations: { 'kube-router.io/service.hairpin': '' } } : {}),
    }));
    const eps = s.endpoints.filter((e) => e.state !== 'gone');
    const cond = (st: string): { ready: boolean; serving: boolean; terminating: boolean } =>
      st === 'ready' ? { ready: true, serving: true, terminating: false } : { ready: false, serving: true, terminating: true };
    slices.push(slice(name, `${name}-4`, eps.map((e) => ({ ip: `10.244.${i}.${e.n}`, node: e.node, ...cond(e.state) })), [{ name: 'p', port: 8080, protocol: s.protocol }]));
    if (s.dual) slices.push(slice(name, `${name}-6`, eps.map((e) => ({ ip: `fd00:244::${i}:${e.n}`, node: e.node, ...cond(e.state) })), [{ name: 'p', port: 8080, protocol: s.protocol }], { family: 6 }));
  });
  return {
    nodeName: 'node-a',
    nodeIps: ['198.18.0.1', 'fd00:198::1'],
    podNetwork: ['10.244.0.0/16'],
    services,
    endpointSlices: slices,
    options: { masqueradeAll, nodePortBindOnAllIp: bindAll, loadBalancerIpRanges: ['198.19.0.0/24'], externalIpRanges: ['198.19.1.0/24'] },
  };
}

const clusterArb = fc.record({ specs: fc.array(serviceArb, { maxLength: 5 }), masq: fc.boolean(), bindAll: fc.boolean() });

describe('services/nft: delta property', () => {
  it('replaying delta(prev, next) on prev gives next; delta(x, x) is empty', () => {
    fc.assert(
      fc.property(clusterArb, clusterArb, (a, b) => {
        const prev = renderRuleset(buildModel(input(a.specs, a.masq, a.bindAll)));
        const next = renderRuleset(buildModel(input(b.specs, b.masq, b.bindAll)));
        const d = renderDelta(prev, next);
        assert.ok(d !== null);
        assert.equal(renderFull(replay(prev, d.text)), renderFull(next));
        assert.equal(renderDelta(next, next)?.text, '');
      }),
      { numRuns: 300 },
    );
  });
});
