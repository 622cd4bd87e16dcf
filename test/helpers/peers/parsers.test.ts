// Unit tests of the daemon wrappers' rib parsers against real CLI output
// recorded in test/fixtures/peers/ (four daemons on one bridge, each
// originating 10.244.N.0/24 with MED N, communities N and no-export
// (65535:65281, RFC 1997), large community N:1:N (RFC 8092), and
// fd00:244:N::/64 with MED 100+N and community N, AS 6500N, address
// 198.18.0.N / fd00::N; BIRD = 1, FRR = 2, GoBGP = 3, ExaBGP = 4).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseBirdRoutes } from './bird.ts';
import { exabgpReceived } from './exabgp.ts';
import { parseFrrDetailTable, parseFrrPrefix } from './frr.ts';
import { parseGobgpRib } from './gobgp.ts';
import { canonicalPrefix } from './types.ts';
import type { RibRoute } from './types.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/peers/${name}`, import.meta.url), 'utf8');

/** The route daemon N originated, as learned directly from N over the IPv4 session to 198.18.0.N. */
function learned(n: number, fam: 'ipv4' | 'ipv6', extra: { [K in keyof RibRoute]?: RibRoute[K] | undefined } = {}): RibRoute {
  const asn = 65000 + n;
  const v4 = fam === 'ipv4';
  return {
    prefix: v4 ? `10.244.${n}.0/24` : `fd00:244:${n}::/64`,
    nextHop: v4 ? `198.18.0.${n}` : `fd00::${n}`,
    asPath: [asn],
    med: v4 ? n : 100 + n,
    communities: v4 ? [`${asn}:${n}`, '65535:65281'] : [`${asn}:${n}`],
    largeCommunities: v4 ? [`${asn}:1:${n}`] : [],
    peer: `198.18.0.${n}`,
    ...extra,
  } as RibRoute;
}

const own = (prefix: string, nextHop: string, extra: Partial<RibRoute> = {}): RibRoute => ({ prefix, nextHop, asPath: [], communities: [], largeCommunities: [], ...extra });

describe('daemon rib parsers on real CLI output', function () {
  it('BIRD: `show route primary all` text, skipping direct routes, mapping protocols to neighbours', function () {
    const peers = new Map([
      ['peer0', '198.18.0.2'],
      ['peer1', '198.18.0.3'],
      ['peer2', '198.18.0.4'],
    ]);
    const v4 = parseBirdRoutes(fixture('bird-show-route-master4.txt'), peers);
    assert.deepEqual(v4, [own('10.244.1.0/24', ''), learned(3, 'ipv4', { localPref: 100 }), learned(4, 'ipv4', { localPref: 100 })]);
    const v6 = parseBirdRoutes(fixture('bird-show-route-master6.txt'), peers).sort((a, b) => a.prefix.localeCompare(b.prefix));
    assert.deepEqual(v6, [
      own('fd00:244:1::/64', ''),
      learned(2, 'ipv6', { localPref: 100 }),
      learned(3, 'ipv6', { localPref: 100 }),
      learned(4, 'ipv6', { localPref: 100 }),
    ]);
  });

  it('FRR: per-prefix JSON, best path, global next hop over link-local, named well-known communities mapped back', function () {
    assert.deepEqual(parseFrrPrefix(fixture('frr-prefix-ipv4.json')), learned(1, 'ipv4'));
    assert.deepEqual(parseFrrPrefix(fixture('frr-prefix-ipv6.json')), learned(3, 'ipv6'));
    assert.equal(parseFrrPrefix('{"prefix":"10.0.0.0/8","paths":[]}'), undefined);
  });

  it('FRR: `show bgp <afi> unicast json detail` table (one header object, then paths, per prefix)', function () {
    // Recorded on FRR (AS 65002) peering with BIRD (AS 65001, 198.18.0.1) over IPv4; see the fixtures README.
    assert.deepEqual(parseFrrDetailTable(fixture('frr-table-ipv4-detail.json')), [
      learned(1, 'ipv4'),
      own('10.244.2.0/24', '0.0.0.0', { med: 2, localPref: 300, communities: ['65002:2'], largeCommunities: ['65002:1:2'] }),
    ]);
    assert.deepEqual(parseFrrDetailTable(fixture('frr-table-ipv6-detail.json')), [learned(1, 'ipv6'), own('fd00:244:2::/64', '::', { med: 102 })]);
  });

  it('GoBGP: `gobgp -j global rib`, best paths only, numeric communities and MP_REACH next hops', function () {
    const v4 = parseGobgpRib(fixture('gobgp-rib-ipv4.json'));
    assert.deepEqual(v4, [learned(1, 'ipv4'), learned(3, 'ipv4', { asPath: [], peer: undefined }), learned(4, 'ipv4')].map(dropUndefined));
    const v6 = parseGobgpRib(fixture('gobgp-rib-ipv6.json'));
    assert.deepEqual(v6, [learned(1, 'ipv6'), learned(2, 'ipv6'), learned(3, 'ipv6', { asPath: [], peer: undefined }), learned(4, 'ipv6')].map(dropUndefined));
    assert.deepEqual(parseGobgpRib('null'), []);
  });

  it('ExaBGP: parsed-UPDATE events replayed per peer, global next hop kept, withdrawals and session down applied', function () {
    const events = fixture('exabgp-events.jsonl')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const rib = exabgpReceived(events);
    const direct = rib.filter((r) => r.asPath.length === 1).sort((a, b) => (a.prefix + (a.peer ?? '')).localeCompare(b.prefix + (b.peer ?? '')));
    assert.deepEqual(direct, [learned(1, 'ipv4'), learned(3, 'ipv4'), learned(1, 'ipv6'), learned(2, 'ipv6'), learned(3, 'ipv6')]);
    // Session down drops that peer's routes; a withdrawal drops one route.
    const down = { type: 'state', neighbor: { address: { peer: '198.18.0.1' }, state: 'down' } };
    assert.ok(!exabgpReceived([...events, down]).some((r) => r.peer === '198.18.0.1'));
    const withdraw = { type: 'update', neighbor: { address: { peer: '198.18.0.3' }, message: { update: { withdraw: { 'ipv4 unicast': [{ nlri: '10.244.3.0/24' }] } } } } };
    assert.ok(!exabgpReceived([...events, withdraw]).some((r) => r.peer === '198.18.0.3' && r.prefix === '10.244.3.0/24'));
  });

  it('canonicalises IPv6 text', function () {
    assert.equal(canonicalPrefix('FD00:0244:0001:0000::/64'), 'fd00:244:1::/64');
    assert.equal(canonicalPrefix('fd00:0:0:1::2'), 'fd00:0:0:1::2');
    assert.equal(canonicalPrefix('10.244.1.0/24'), '10.244.1.0/24');
  });
});

function dropUndefined(r: RibRoute): RibRoute {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as RibRoute;
}
