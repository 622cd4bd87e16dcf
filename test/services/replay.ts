// A test model of `nft -f` for delta batches: replays the commands the
// services renderer emits on a ruleset held as data, failing on anything nft
// would refuse (adding what exists, touching what does not, deleting a chain
// that still has rules or that a rule or map element still refers to).
import assert from 'node:assert/strict';
import type { NftChain, NftRuleset, NftSet } from '../../services/nft.ts';

/** Replays a delta batch on a ruleset, the way nft would (test model of nft -f). */
export function replay(prev: NftRuleset, text: string): NftRuleset {
  const sets = new Map<string, { name: string; kind: 'set' | 'map'; decl: string; elements: Map<string, string> }>();
  for (const s of prev.sets.values()) sets.set(s.name, { ...s, elements: new Map(s.elements) });
  const chains = new Map<string, { name: string; base?: string; rules: string[] }>();
  for (const c of prev.chains.values()) chains.set(c.name, { ...c, rules: [...c.rules] });
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] ?? '';
    if (line === '') continue;
    if (line.endsWith('{')) {
      while (!line.endsWith('}')) line += `\n${lines[++i] ?? '}'}`;
    }
    let m: RegExpExecArray | null;
    if ((m = /^add (set|map) inet podnet (\S+) \{ (.*) \}$/.exec(line))) {
      assert.ok(!sets.has(m[2] ?? ''), `set ${m[2]} exists`);
      sets.set(m[2] ?? '', { name: m[2] ?? '', kind: m[1] as 'set' | 'map', decl: m[3] ?? '', elements: new Map() });
    } else if ((m = /^add chain inet podnet (\S+)(?: \{ (.*) \})?$/.exec(line))) {
      assert.ok(!chains.has(m[1] ?? ''), `chain ${m[1]} exists`);
      chains.set(m[1] ?? '', m[2] === undefined ? { name: m[1] ?? '', rules: [] } : { name: m[1] ?? '', base: m[2], rules: [] });
    } else if ((m = /^flush chain inet podnet (\S+)$/.exec(line))) {
      const c = chains.get(m[1] ?? '');
      assert.ok(c, `flush of missing chain ${m[1]}`);
      c.rules = [];
    } else if ((m = /^add rule inet podnet (\S+) (.*)$/.exec(line))) {
      const c = chains.get(m[1] ?? '');
      assert.ok(c, `rule in missing chain ${m[1]}`);
      c.rules.push(m[2] ?? '');
    } else if ((m = /^(add|delete) element inet podnet (\S+) \{\n([\s\S]*)\n\}$/.exec(line))) {
      const s = sets.get(m[2] ?? '');
      assert.ok(s, `elements of missing set ${m[2]}`);
      for (const item of (m[3] ?? '').split(',\n')) {
        const [k = '', v = ''] = item.trim().split(' : ');
        if (m[1] === 'add') {
          assert.ok(!s.elements.has(k), `element ${k} exists in ${s.name}`);
          s.elements.set(k, v);
        } else {
          assert.ok(s.elements.delete(k), `element ${k} missing from ${s.name}`);
        }
      }
    } else if ((m = /^delete chain inet podnet (\S+)$/.exec(line))) {
      const name = m[1] ?? '';
      assert.equal(chains.get(name)?.rules.length, 0, `chain ${name} deleted while not empty`);
      // the kernel refuses (EBUSY) to delete a chain a rule or a map element still jumps to
      const target = new RegExp(`(?:goto|jump) ${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?:$|[ ,}])`);
      for (const c of chains.values()) for (const r of c.rules) assert.ok(!target.test(r), `chain ${name} deleted while ${c.name} jumps to it`);
      for (const s of sets.values()) for (const v of s.elements.values()) assert.ok(!target.test(v), `chain ${name} deleted while ${s.name} refers to it`);
      chains.delete(m[1] ?? '');
    } else if ((m = /^delete (set|map) inet podnet (\S+)$/.exec(line))) {
      assert.ok(sets.delete(m[2] ?? ''), `delete of missing set ${m[2]}`);
    } else {
      assert.fail(`unexpected delta line: ${line}`);
    }
  }
  const outSets = new Map<string, NftSet>([...sets].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, s]) => [k, { ...s, elements: new Map([...s.elements].sort((a, b) => (a[0] < b[0] ? -1 : 1))) }]));
  const outChains = new Map<string, NftChain>([...chains].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  return { sets: outSets, chains: outChains };
}

