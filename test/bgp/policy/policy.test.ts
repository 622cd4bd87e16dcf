// bgp/policy: validation names the bad field; matches (prefix with ge/le,
// family, neighbour, AS path, communities, next hop) and actions (accept,
// reject, next; community and large community add/remove/set, LOCAL_PREF,
// MED, prepend) as data; chains stop at the first accept or reject.
import assert from 'node:assert/strict';
import { parseAsn, parsePrefix, type Prefix } from '../../../bgp/types.ts';
import { compilePolicies, parsePolicies, PolicyError, runChain } from '../../../bgp/policy/index.ts';
import type { PathAttributes } from '../../../bgp/wire/index.ts';

const ctx = { neighbor: '198.18.0.2', neighborAsn: parseAsn(65002), localAsn: parseAsn(65001) };
const p = (s: string): Prefix => parsePrefix(s);
const attrs = (extra: Partial<PathAttributes> = {}): PathAttributes => ({ origin: 0, asPath: [{ type: 'sequence', asns: [parseAsn(65002), parseAsn(65010)] }], ...extra });

describe('bgp/policy', () => {
  it('refuses bad definitions, naming the field', () => {
    assert.throws(() => parsePolicies({ policies: [{ name: 'x', terms: [{ action: 'drop' }] }] }), (e: unknown) => e instanceof PolicyError && /policies\[0\]\.terms\[0\]\.action: must be accept, reject or next/.test(e.message));
    assert.throws(() => parsePolicies({ policies: [{ name: 'x', terms: [{ match: { prefixes: [{ prefix: '10.0.0.0/16', ge: 8 }] }, action: 'accept' }] }] }), /ge: must be at least the prefix length 16/);
    assert.throws(() => parsePolicies({ policies: [{ name: 'x', terms: [{ set: { communities: { add: ['70000:1'] } }, action: 'accept' }] }] }), /invalid community "70000:1"/);
    assert.throws(() => parsePolicies({ policies: [{ name: 'a', terms: [] }, { name: 'a', terms: [] }] }), /policies\[1\]\.name: duplicate of policies\[0\]\.name/);
    assert.throws(() => parsePolicies({ policies: [{ name: 'x', terms: [], code: 'return true' }] }), /unrecognized key/i, 'no stray keys, let alone code');
  });

  it('matches prefixes with ge/le ranges, family, neighbour, AS path and communities', () => {
    const t = compilePolicies(
      parsePolicies({
        policies: [
          { name: 'len', terms: [{ match: { prefixes: [{ prefix: '10.0.0.0/8', ge: 24, le: 28 }] }, action: 'reject' }] },
          { name: 'v6', terms: [{ match: { family: 'ipv6-unicast' }, action: 'reject' }] },
          { name: 'nbr', terms: [{ match: { neighborAsns: [65002], asPathContains: [65010] }, action: 'reject' }] },
          { name: 'origin', terms: [{ match: { originAsns: [65002] }, action: 'reject' }] },
          { name: 'comm', terms: [{ match: { communities: ['65002:7', 'no-export'] }, action: 'reject' }] },
          { name: 'nh', terms: [{ match: { nextHops: ['198.18.0.0/24'] }, action: 'reject' }] },
        ],
      }),
    );
    const run = (name: string, prefix: string, a = attrs()): boolean => runChain(t, [name], p(prefix), a, ctx) === null;
    assert.equal(run('len', '10.1.2.0/24'), true);
    assert.equal(run('len', '10.1.2.16/28'), true);
    assert.equal(run('len', '10.1.0.0/16'), false, 'shorter than ge');
    assert.equal(run('len', '10.1.2.0/29'), false, 'longer than le');
    assert.equal(run('len', '11.1.2.0/24'), false, 'outside');
    assert.equal(run('v6', 'fd00::/64'), true);
    assert.equal(run('v6', '10.0.0.0/24'), false);
    assert.equal(run('nbr', '10.0.0.0/24'), true);
    assert.equal(run('origin', '10.0.0.0/24'), false, 'origin is the last AS (65010)');
    assert.equal(run('comm', '10.0.0.0/24', attrs({ communities: [0xffffff01] })), true, 'well-known name');
    assert.equal(run('comm', '10.0.0.0/24', attrs({ communities: [65002 * 65536 + 8] })), false);
    assert.equal(run('nh', '10.0.0.0/24', attrs({ nextHop: '198.18.0.9' as never })), true);
    assert.equal(run('nh', '10.0.0.0/24', attrs({ nextHop: '198.18.1.9' as never })), false);
  });

  it('applies the set actions and stops the chain at the first accept or reject', () => {
    const t = compilePolicies(
      parsePolicies({
        policies: [
          {
            name: 'mark',
            terms: [
              { set: { communities: { add: ['65001:1'], remove: ['65002:9'] }, largeCommunities: { set: ['65001:1:1'] }, localPref: 300, med: 5, prepend: { count: 2 } }, action: 'next' },
              { match: { prefixes: [{ prefix: '10.9.0.0/16', ge: 16 }] }, action: 'reject' },
            ],
          },
          { name: 'accept-all', terms: [], default: 'accept' },
          { name: 'reject-all', terms: [], default: 'reject' },
        ],
      }),
    );
    const out = runChain(t, ['mark', 'accept-all', 'reject-all'], p('10.1.0.0/24'), attrs({ communities: [65002 * 65536 + 9, 65002 * 65536 + 1] }), ctx);
    assert.ok(out !== null, 'accepted by accept-all before reject-all runs');
    assert.deepEqual(out.communities, [65002 * 65536 + 1, 65001 * 65536 + 1]);
    assert.deepEqual(out.largeCommunities, [{ globalAdmin: 65001, localData1: 1, localData2: 1 }]);
    assert.equal(out.localPref, 300);
    assert.equal(out.med, 5);
    assert.deepEqual(out.asPath, [{ type: 'sequence', asns: [65001, 65001, 65002, 65010] }]);
    assert.equal(runChain(t, ['mark', 'accept-all'], p('10.9.1.0/24'), attrs(), ctx), null, 'the reject term decides');
    assert.ok(runChain(t, [], p('10.9.1.0/24'), attrs(), ctx) !== null, 'an empty chain accepts');
    assert.equal(runChain(t, ['no-such'], p('10.9.1.0/24'), attrs(), ctx), null, 'an unknown name rejects (the speaker refuses it earlier)');
  });
});
