// The nftables rendering of the services model: golden text per semantic
// (test/fixtures/services/*.nft, UPDATE_GOLDEN=1 rewrites them), the rules
// each semantic needs, determinism, name limits, and the delta batch: empty
// for no change, minimal for one endpoint change, and, replayed on the
// previous ruleset, equal to the next one for every pair of scenarios.
import assert from 'node:assert/strict';
import { buildModel } from '../../services/model.ts';
import type { ModelInput } from '../../services/model.ts';
import { renderRuleset } from '../../services/nft.ts';
import type { NftChain, NftRuleset } from '../../services/nft.ts';
import { renderDelta, renderFull } from '../../services/nft-batch.ts';
import { assertGolden } from './golden.ts';
import { scenarios } from './scenarios.ts';
import { slice } from './objects.ts';
import { replay } from './replay.ts';

function render(input: ModelInput): NftRuleset {
  return renderRuleset(buildModel(input));
}

function scenario(name: string): ModelInput {
  const s = scenarios[name];
  assert.ok(s !== undefined, name);
  return s;
}

function elements(rs: NftRuleset, set: string): string[] {
  return [...(rs.sets.get(set)?.elements ?? new Map<string, string>())].map(([k, v]) => (v === '' ? k : `${k} : ${v}`));
}

function chain(rs: NftRuleset, prefix: string): NftChain {
  const found = [...rs.chains.values()].filter((c) => c.name.startsWith(prefix));
  assert.equal(found.length, 1, `one chain ${prefix}*: ${found.map((c) => c.name).join(' ')}`);
  return found[0] as NftChain;
}

function shape(rs: NftRuleset): string {
  return renderFull(rs);
}

describe('services/nft: rendering', () => {
  for (const name of Object.keys(scenarios)) {
    it(`golden: ${name}`, () => {
      assertGolden(`${name}.nft`, renderFull(render(scenario(name))));
    });
  }

  it('ClusterIP: the VIP dispatches to a service chain that picks one of two DNAT chains', () => {
    const rs = render(scenario('cluster-ip'));
    const svc = chain(rs, 'svc-');
    assert.deepEqual(elements(rs, 'service_ips'), [`10.96.0.10 . tcp . 80 : goto ${svc.name}`]);
    assert.equal(svc.rules.at(-1), `numgen random mod 2 vmap @lb-${svc.name}`);
    const eps = [...rs.chains.keys()].filter((n) => n.startsWith('ep-'));
    assert.deepEqual(elements(rs, `lb-${svc.name}`), eps.map((n, i) => `${i} : goto ${n}`));
    assert.equal(svc.rules[0], 'ip daddr 10.96.0.10 ip saddr != @pod_network jump mark_for_masquerade', 'off-cluster clients are masqueraded');
    const dnats = [...rs.chains.values()].filter((c) => c.name.startsWith('ep-')).map((c) => c.rules.at(-1));
    assert.deepEqual(dnats, ['meta l4proto tcp dnat ip to 10.244.1.10:8080', 'meta l4proto tcp dnat ip to 10.244.2.10:8080']);
  });

  it('ClusterIPs: other ports are rejected and unallocated addresses of the range dropped, after DNAT', () => {
    const rs = render(scenario('no-endpoints'));
    assert.deepEqual(elements(rs, 'cluster_ips'), ['10.96.0.10', '10.96.0.53']);
    assert.deepEqual(rs.chains.get('cluster_ips_check')?.rules, [
      'ip daddr @cluster_ips reject with icmpx port-unreachable',
      'ip6 daddr @cluster_ips6 reject with icmpx port-unreachable',
      'ip daddr { 10.96.0.0/12 } drop',
      'ip6 daddr { fd00:96::/108 } drop',
    ]);
    assert.deepEqual(rs.chains.get('filter_prerouting_post_dnat')?.rules, ['ct state new jump endpoints_check', 'ct state new jump cluster_ips_check']);
  });

  it('no endpoints: reject (TCP and UDP alike); nothing in the dispatch maps', () => {
    const rs = render(scenario('no-endpoints'));
    assert.deepEqual(elements(rs, 'no_endpoint_services'), ['10.96.0.10 . tcp . 80 : goto reject_chain', '10.96.0.53 . udp . 53 : goto reject_chain']);
    assert.deepEqual(elements(rs, 'service_ips'), []);
    assert.deepEqual(rs.chains.get('reject_chain')?.rules, ['meta l4proto tcp reject with tcp reset', 'reject with icmpx port-unreachable']);
  });

  it('a Local policy with endpoints only elsewhere drops instead of rejecting', () => {
    const rs = render(scenario('internal-local'));
    assert.deepEqual(elements(rs, 'no_endpoint_services'), ['10.96.0.11 . tcp . 80 : drop']);
    const loc = chain(rs, 'loc-');
    assert.deepEqual(elements(rs, 'service_ips'), [`10.96.0.10 . tcp . 80 : goto ${loc.name}`]);
    assert.deepEqual(loc.rules, [
      'ip daddr 10.96.0.10 ip saddr != @pod_network jump mark_for_masquerade',
      `numgen random mod 1 vmap @lb-${loc.name}`,
    ], 'iTP Local: off-cluster clients of the ClusterIP are masqueraded in the local chain');
    assert.match(elements(rs, `lb-${loc.name}`).join(' '), /^0 : goto ep-\S+__10\.244\.1\.10\/8080$/);
  });

  it('NodePort: node IPs set and a port map, or fib daddr type local with --nodeport-bindon-all-ip', () => {
    const rs = render(scenario('node-port'));
    const ext = chain(rs, 'ext-');
    assert.deepEqual(elements(rs, 'service_nodeports'), [`tcp . 30080 : goto ${ext.name}`]);
    assert.deepEqual(elements(rs, 'nodeport_ips'), ['198.18.0.1']);
    assert.deepEqual(ext.rules, ['jump mark_for_masquerade', `goto ${chain(rs, 'svc-').name}`], 'eTP Cluster masquerades');
    const all = render(scenario('node-port-all-ips'));
    assert.deepEqual(elements(all, 'nodeport_ips'), []);
    assert.ok(all.chains.get('services')?.rules.includes('fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service_nodeports'));
  });

  it('LoadBalancer eTP Local: pods and the node short-circuit to all endpoints, others to local ones; source ranges', () => {
    const rs = render(scenario('lb-local'));
    const svc = chain(rs, 'svc-').name;
    const ext = chain(rs, 'ext-');
    assert.deepEqual(ext.rules, [
      `ip saddr @pod_network goto ${svc}`,
      'fib saddr type local jump mark_for_masquerade',
      `fib saddr type local goto ${svc}`,
      `goto ${chain(rs, 'loc-').name}`,
    ]);
    const fw = chain(rs, 'fw-');
    assert.deepEqual(fw.rules, ['ip saddr != { 198.18.0.0/24, 203.0.113.0/24 } drop']);
    assert.deepEqual(elements(rs, 'firewall_ips'), [`198.19.0.5 . tcp . 80 : goto ${fw.name}`]);
    assert.ok(elements(rs, 'service_ips').includes(`198.19.0.5 . tcp . 80 : goto ${ext.name}`));
    const none = render(scenario('lb-local-no-local-endpoint'));
    assert.deepEqual(elements(none, 'no_endpoint_services'), ['198.19.0.5 . tcp . 80 : drop']);
    assert.deepEqual(elements(none, 'no_endpoint_nodeports'), ['tcp . 30080 : drop']);
    assert.equal([...none.chains.keys()].filter((n) => n.startsWith('loc-')).length, 0);
  });

  it('affinity: one timeout set per endpoint, checked before the random pick, refreshed on DNAT', () => {
    const rs = render(scenario('affinity'));
    const affs = [...rs.sets.values()].filter((s) => s.name.startsWith('aff-'));
    assert.equal(affs.length, 2);
    for (const s of affs) assert.equal(s.decl, 'type ipv4_addr; flags dynamic,timeout; timeout 600s;');
    const svc = chain(rs, 'svc-');
    assert.match(svc.rules[1] ?? '', /^ip saddr @aff-\S+ goto ep-\S+$/);
    assert.match(svc.rules[2] ?? '', /^ip saddr @aff-\S+ goto ep-\S+$/);
    for (const c of [...rs.chains.values()].filter((x) => x.name.startsWith('ep-'))) assert.match(c.rules[0] ?? '', /^update @aff-\S+ \{ ip saddr \}$/);
  });

  it('hairpin and --masquerade-all', () => {
    const rs = render(scenario('hairpin-masquerade-all'));
    assert.equal(chain(rs, 'svc-').rules[0], 'jump mark_for_masquerade');
    const eps = [...rs.chains.values()].filter((c) => c.name.startsWith('ep-'));
    assert.deepEqual(eps.map((c) => c.rules[0]), ['ip saddr 10.244.1.10 jump mark_for_masquerade', 'ip saddr 10.244.2.10 jump mark_for_masquerade']);
    assert.equal(chain(render(scenario('cluster-ip')), 'ep-KOG').rules.length, 1, 'no hairpin rule by default');
  });

  it('dual stack, UDP and SCTP', () => {
    const rs = render(scenario('dual-stack-protocols'));
    assert.deepEqual(elements(rs, 'service_ips').map((e) => e.split(' : ')[0]), ['10.96.0.20 . sctp . 3868', '10.96.0.20 . udp . 53']);
    assert.deepEqual(elements(rs, 'service_ips6').map((e) => e.split(' : ')[0]), ['fd00:96::20 . sctp . 3868', 'fd00:96::20 . udp . 53']);
    assert.deepEqual(elements(rs, 'service_nodeports6').map((e) => e.split(' : ')[0]), ['udp . 30053']);
    const dnat6 = [...rs.chains.values()].filter((c) => c.name.includes('/v6__')).map((c) => c.rules.at(-1)).sort();
    assert.deepEqual(dnat6, ['meta l4proto sctp dnat ip6 to [fd00:244::20]:3868', 'meta l4proto udp dnat ip6 to [fd00:244::20]:5353']);
  });

  it('externalIPs inside the range only; terminating endpoints as the fallback', () => {
    assert.deepEqual(elements(render(scenario('external-ips')), 'service_ips').map((e) => e.split(' : ')[0]), ['10.96.0.10 . tcp . 80', '198.19.1.1 . tcp . 80']);
    const rs = render(scenario('terminating-fallback'));
    assert.deepEqual([...rs.chains.keys()].filter((n) => n.startsWith('ep-')).map((n) => n.split('__')[1]), ['10.244.1.10/8080']);
  });

  it('is deterministic and names stay short and valid', () => {
    for (const input of Object.values(scenarios)) {
      const a = renderFull(render(input));
      const b = renderFull(render({ ...input, services: input.services.toReversed(), endpointSlices: input.endpointSlices.toReversed() }));
      assert.equal(a, b);
      for (const n of [...render(input).chains.keys(), ...render(input).sets.keys()]) {
        assert.ok(n.length <= 120 && /^[a-z][A-Za-z0-9/_.-]*$/.test(n), n);
      }
    }
  });
});

describe('services/nft: delta batches', () => {
  it('no change: an empty batch', () => {
    const rs = render(scenario('lb-local'));
    assert.equal(renderDelta(rs, render(scenario('lb-local')))?.text, '');
  });

  it('one endpoint gone: the service chain is rewritten, its endpoint chain deleted, nothing else', () => {
    const prev = render(scenario('cluster-ip'));
    const input = scenario('cluster-ip');
    const next = render({ ...input, endpointSlices: [slice('web', 'web-1', [{ ip: '10.244.1.10', node: 'node-a' }], [{ name: 'http', port: 8080 }])] });
    const d = renderDelta(prev, next);
    assert.ok(d !== null);
    assert.deepEqual([d.chainsAdded, d.chainsChanged, d.chainsDeleted, d.elementsAdded, d.elementsDeleted], [0, 1, 1, 0, 1]);
    const svc = chain(next, 'svc-').name;
    const gone = chain(prev, 'ep-MAH').name;
    assert.equal(d.text, [
      `flush chain inet podnet ${svc}`,
      ...(next.chains.get(svc)?.rules ?? []).map((r) => `add rule inet podnet ${svc} ${r}`),
      `delete element inet podnet lb-${svc} {`,
      '\t1',
      '}',
      `flush chain inet podnet ${gone}`,
      `delete chain inet podnet ${gone}`,
      '',
    ].join('\n'));
  });

  it('replayed on the previous ruleset, every delta gives the next one (all scenario pairs)', () => {
    const names = Object.keys(scenarios);
    let checked = 0;
    for (const a of names) {
      for (const b of names) {
        const prev = render(scenario(a));
        const next = render(scenario(b));
        const d = renderDelta(prev, next);
        assert.ok(d !== null, `${a} -> ${b}`);
        assert.equal(shape(replay(prev, d.text)), shape(next), `${a} -> ${b}`);
        checked++;
      }
    }
    assert.equal(checked, names.length ** 2);
  });

  it('an unchanged service port is replayed from the last render: same chain objects, same table as a fresh render', () => {
    const first = render(scenario('lb-local'));
    const again = render(scenario('lb-local'));
    for (const [name, c] of again.chains) {
      if (name.startsWith('svc-') || name.startsWith('loc-') || name.startsWith('ep-') || name.startsWith('ext-')) assert.equal(c, first.chains.get(name), name);
    }
    render(scenario('cluster-ip')); // evicts lb-local's fragments: the next render is fresh
    const fresh = render(scenario('lb-local'));
    assert.notEqual(fresh.chains.get(chain(fresh, 'ext-').name), again.chains.get(chain(again, 'ext-').name));
    assert.deepEqual(fresh, again);
    assert.equal(renderFull(fresh), renderFull(first));
  });

  it('a changed set declaration needs a full load', () => {
    const prev = render(scenario('affinity'));
    const sets = new Map(prev.sets);
    const pod = sets.get('pod_network');
    assert.ok(pod !== undefined);
    sets.set('pod_network', { ...pod, decl: 'type ipv4_addr;' });
    assert.equal(renderDelta(prev, { ...prev, sets }), null);
  });
});
