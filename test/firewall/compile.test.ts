// The firewall compiler, one scenario per NetworkPolicy semantic: golden
// iptables-restore and ipset restore text (UPDATE_GOLDEN=1 rewrites them),
// and packets walked through the compiled model (sim.ts) for behaviour.
import assert from 'node:assert/strict';
import { compileFirewall } from '../../firewall/compile.ts';
import type { DesiredFirewall, FamilyFirewall } from '../../firewall/compile.ts';
import { planFirewall } from '../../firewall/plan.ts';
import { assertGolden } from './golden.ts';
import { renderAll } from './render-all.ts';
import { scenarios } from './scenarios.ts';
import { evaluate } from './sim.ts';

function family(d: DesiredFirewall, f: 'inet' | 'inet6'): FamilyFirewall {
  const fam = d.families.find((x) => x.family === f);
  assert.ok(fam !== undefined, `family ${f} compiled`);
  return fam;
}

describe('firewall/compile: scenarios', () => {
  for (const s of scenarios) {
    describe(s.name, () => {
      const desired = compileFirewall(s.input);
      it('renders the golden iptables-restore and ipset restore text', () => {
        const out = renderAll(desired);
        assertGolden(`${s.name}.iptables`, out.iptables);
        assertGolden(`${s.name}.ipset`, out.ipset);
      });
      for (const e of s.expect) {
        it(`${e.verdict}: ${e.why}`, () => {
          const v = evaluate(family(desired, e.family ?? 'inet'), e.packet);
          assert.equal(v.verdict, e.verdict, `${e.packet.src} -> ${e.packet.dst}:${e.packet.dport}/${e.packet.proto}`);
          if (e.log !== undefined) assert.deepEqual(v.logs, [e.log]);
          if (e.verdict !== 'deny') assert.deepEqual(v.logs, []);
        });
      }
    });
  }
});

describe('firewall/compile: determinism and plans', () => {
  for (const s of scenarios) {
    it(`${s.name}: compile twice and render twice give identical bytes`, () => {
      const a = renderAll(compileFirewall(s.input));
      const b = renderAll(compileFirewall(s.input));
      assert.equal(a.iptables, b.iptables);
      assert.equal(a.ipset, b.ipset);
    });
  }

  it('planning against the state just applied does nothing', () => {
    for (const s of scenarios) {
      const d = compileFirewall(s.input);
      const plan = planFirewall(d, compileFirewall(s.input));
      assert.deepEqual(plan.iptables, [], s.name);
      assert.deepEqual(plan.ipsetWrite.write, [], s.name);
      assert.deepEqual(plan.ipsetDestroy.destroy, [], s.name);
    }
  });

  it('a label change on one peer pod rewrites only the sets it is in, and no chain', () => {
    const s = scenarios.find((x) => x.name === 'ingress-pod-selector');
    assert.ok(s !== undefined);
    const before = compileFirewall(s.input);
    const pods = s.input.pods.map((p) =>
      p.metadata?.name === 'other' ? { ...p, metadata: { ...p.metadata, labels: { role: 'client' } } } : p,
    );
    const after = compileFirewall({ ...s.input, pods });
    const plan = planFirewall(after, before);
    assert.deepEqual(plan.iptables, []);
    assert.equal(plan.ipsetWrite.write.length, 1);
    const changed = plan.ipsetWrite.write[0];
    assert.ok(changed !== undefined);
    // The set that changed is one the pod is listed as contributing to.
    assert.ok(after.contributions.get('pod/default/other')?.sets.includes(changed.name));
    assert.ok(changed.entries.some((e) => e.kind === 'ip' && e.ip === '10.244.1.12'));
    assert.equal(evaluate(family(after, 'inet'), { hook: 'FORWARD', src: '10.244.1.12', dst: '10.244.1.10', proto: 'tcp', dport: 8080 }).verdict, 'continue');
  });

  it('deleting the policy removes its chains, the pod chain and the sets', () => {
    const s = scenarios.find((x) => x.name === 'ingress-pod-selector');
    assert.ok(s !== undefined);
    const before = compileFirewall(s.input);
    const after = compileFirewall({ ...s.input, policies: [] });
    const plan = planFirewall(after, before);
    const v4 = plan.iptables.find((b) => b.family === 'inet');
    assert.ok(v4 !== undefined);
    const owned = before.contributions.get('policy/default/allow-client');
    assert.ok(owned !== undefined);
    // Every chain the policy contributed to is either removed or rewritten (the top-level ones).
    for (const c of owned.chains.filter((n) => family(before, 'inet').chains.has(n))) {
      assert.ok(v4.remove.includes(c) || v4.write.some((w) => w.name === c), c);
    }
    assert.deepEqual(v4.write.map((c) => c.name), ['PODNET-FORWARD', 'PODNET-OUTPUT']);
    assert.deepEqual([...plan.ipsetDestroy.destroy].sort(), [...owned.sets].sort());
    assert.deepEqual(v4.jumps, { insert: [], delete: [] });
  });

  it('a namespace label change rewrites only sets that namespace owns', () => {
    const s = scenarios.find((x) => x.name === 'namespace-selector');
    assert.ok(s !== undefined);
    const before = compileFirewall(s.input);
    const namespaces = s.input.namespaces.map((n) =>
      n.metadata?.name === 'default' ? { ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, team: 'frontend' } } } : n,
    );
    const after = compileFirewall({ ...s.input, namespaces });
    const plan = planFirewall(after, before);
    assert.deepEqual(plan.iptables, []);
    assert.ok(plan.ipsetWrite.write.length > 0);
    const owned = before.contributions.get('namespace/default')?.sets ?? [];
    for (const set of plan.ipsetWrite.write) assert.ok(owned.includes(set.name), `${set.name} is owned by namespace/default`);
    const v4 = family(after, 'inet');
    assert.equal(evaluate(v4, { hook: 'FORWARD', src: '10.244.1.11', dst: '10.244.1.13', proto: 'tcp', dport: 443 }).verdict, 'continue');
  });

  it('a policy that selects no pod on this node programs nothing here', () => {
    const s = scenarios.find((x) => x.name === 'ingress-pod-selector');
    assert.ok(s !== undefined);
    const pods = s.input.pods.map((p) => (p.metadata?.name === 'web' ? { ...p, spec: { ...p.spec, containers: [], nodeName: 'node-b' } } : p));
    const d = compileFirewall({ ...s.input, pods });
    for (const f of d.families) {
      assert.deepEqual([...f.chains.keys()], ['PODNET-COMMON', 'PODNET-FORWARD', 'PODNET-INPUT', 'PODNET-OUTPUT']);
      assert.deepEqual([...f.sets.keys()], []);
      for (const e of f.chains.values()) if (e.chain.name !== 'PODNET-COMMON') assert.deepEqual(e.chain.rules, []);
    }
    assert.equal(d.contributions.get('policy/default/allow-client'), undefined);
  });

  it('records owners: pod chains belong to the pod and each selecting policy', () => {
    const s = scenarios.find((x) => x.name === 'union-of-policies');
    assert.ok(s !== undefined);
    const d = compileFirewall(s.input);
    const webChains = d.contributions.get('pod/default/web')?.chains ?? [];
    const podChains = webChains.filter((n) => n.startsWith('PODNET-FWI-'));
    assert.equal(podChains.length, 1); // web has an IPv4 address only
    for (const p of ['policy/default/allow-client', 'policy/default/allow-other']) {
      for (const c of podChains) assert.ok(d.contributions.get(p)?.chains.includes(c), `${p} owns ${c}`);
    }
    for (const f of d.families) {
      for (const [name, e] of f.chains) assert.match(e.hash, /^[0-9a-f]{16}$/, name);
      assert.ok([...f.chains.keys()].every((n) => n.startsWith('PODNET-') && n.length <= 28));
      assert.ok([...f.sets.keys()].every((n) => n.startsWith('PODNET-') && n.length <= 31));
    }
  });
});
