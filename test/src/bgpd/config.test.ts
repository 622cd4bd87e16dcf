// The `podnet bgpd` configuration schema: a good file in YAML and in JSON
// becomes the exact Speaker inputs; each kind of bad field is refused with
// its path and what is wrong.
import assert from 'node:assert/strict';
import { communityValue as parseCommunity, largeCommunityValue as parseLargeCommunity } from '../../../bgp/index.ts';
import { ConfigError, parseConfig, pathText } from '../../../src/bgpd/config.ts';

const good = `
router-id: 192.0.2.1
asn: 65001
listen:
  addresses: [127.0.0.1, "::1"]
  port: 1790
api-socket: /tmp/bgpd.sock
peers:
  - address: 127.0.0.2
    remote-asn: 65002
    port: 1791
    local-address: 127.0.0.1
    hold-time: 9
    keepalive: 3
    connect-retry: 2
    next-hop-ipv6: "fd00::a"
    families: [ipv4, ipv6-unicast]
  - address: "fd00::0002"
    remote-asn: "1.10"
    local-asn: 4200000001
    passive: true
    route-reflector-client: true
    enabled: false
prefixes:
  - prefix: 10.244.1.0/24
    med: 10
    local-pref: 200
    origin: incomplete
    communities: ["65001:100", no-export]
    large-communities: ["65001:1:2"]
    as-path-prepend: 2
  - prefix: fd00:1::/64
    next-hop: fd00::1
`;

function problems(text: string): readonly string[] {
  try {
    parseConfig(text, 'test.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail('expected a ConfigError');
}

/** The good file with one line replaced. */
function withLine(from: string, to: string): string {
  assert.ok(good.includes(from), from);
  return good.replace(from, to);
}

describe('bgpd/config', () => {
  it('parses a complete YAML file into typed speaker inputs', () => {
    const c = parseConfig(good, 'good.yaml');
    assert.equal(c.routerId, '192.0.2.1');
    assert.equal(c.asn, 65001);
    assert.deepEqual(c.listen, { addresses: ['127.0.0.1', '::1'], port: 1790 });
    assert.equal(c.apiSocket, '/tmp/bgpd.sock');
    assert.deepEqual(c.peers, [
      { address: '127.0.0.2', remoteAsn: 65002, port: 1791, localAddress: '127.0.0.1', holdTimeS: 9, keepaliveS: 3, connectRetryS: 2, families: ['ipv4-unicast', 'ipv6-unicast'], nextHopIpv6: 'fd00::a' },
      { address: 'fd00::2', remoteAsn: 65546, localAsn: 4200000001, passive: true, routeReflectorClient: true, enabled: false },
    ]);
    assert.deepEqual(c.prefixes, [
      {
        prefix: '10.244.1.0/24',
        origin: 2,
        med: 10,
        localPref: 200,
        communities: [65001 * 65536 + 100, 0xffffff01],
        largeCommunities: [{ globalAdmin: 65001, localData1: 1, localData2: 2 }],
        asPathPrepend: 2,
      },
      { prefix: 'fd00:1::/64', nextHop: 'fd00::1' },
    ]);
  });

  it('passes transport security through: password (TCP-MD5), ttl-security (GTSM), multihop-ttl', () => {
    const c = parseConfig(JSON.stringify({ 'router-id': '10.0.0.1', asn: 64512, peers: [{ address: '10.0.0.2', 'remote-asn': 64513, password: 's3cret', 'ttl-security': true, 'multihop-ttl': 2 }] }));
    assert.deepEqual(c.peers, [{ address: '10.0.0.2', remoteAsn: 64513, password: 's3cret', ttlSecurity: true, multihopTtl: 2 }]);
  });

  it('reads JSON too, with defaults for what is left out', () => {
    const c = parseConfig(JSON.stringify({ 'router-id': '10.0.0.1', asn: 64512, peers: [{ address: '10.0.0.2', 'remote-asn': 64512 }] }));
    assert.deepEqual(c.listen, { addresses: ['0.0.0.0', '::'], port: 179 });
    assert.equal(c.apiSocket, '/run/podnet/podnetd.sock');
    assert.deepEqual(c.peers, [{ address: '10.0.0.2', remoteAsn: 64512 }]);
    assert.deepEqual(c.prefixes, []);
    assert.equal(parseConfig('router-id: 10.0.0.1\nasn: 1\nlisten: false\n').listen, false);
  });

  const cases: [string, string, string, RegExp][] = [
    ['router id', 'router-id: 192.0.2.1', 'router-id: 192.0.2.300', /^router-id: invalid router id/],
    ['router id zero', 'router-id: 192.0.2.1', 'router-id: 0.0.0.0', /^router-id: 0\.0\.0\.0 is not a valid BGP identifier/],
    ['asn range', 'asn: 65001', 'asn: 4294967296', /^asn: ASN out of range/],
    ['asn zero', 'asn: 65001', 'asn: 0', /^asn: AS 0 is reserved/],
    ['listen port', '  port: 1790', '  port: 70000', /^listen\.port: must be at most 65535/],
    ['peer address', '  - address: 127.0.0.2', '  - address: 127.0.0.256', /^peers\[0\]\.address: invalid IPv4 address/],
    ['peer asn type', '    remote-asn: 65002', '    remote-asn: true', /^peers\[0\]\.remote-asn: must be an AS number/],
    ['missing peer asn', '    remote-asn: "1.10"', '', /^peers\[1\]\.remote-asn: /],
    ['hold time 2', '    hold-time: 9', '    hold-time: 2', /^peers\[0\]\.hold-time: must be 0 or at least 3 seconds/],
    ['keepalive over a third', '    keepalive: 3', '    keepalive: 4', /^peers\[0\]\.keepalive: must be at most a third of hold-time/],
    ['family', '    families: [ipv4, ipv6-unicast]', '    families: [ipv4, l2vpn-evpn]', /^peers\[0\]\.families\[1\]: unknown family "l2vpn-evpn"/],
    ['next hop family of a peer', '    next-hop-ipv6: "fd00::a"', '    next-hop-ipv6: 10.0.0.1', /^peers\[0\]\.next-hop-ipv6: must be an IPv6 address/],
    ['password', '    passive: true', `    passive: true\n    password: ${'x'.repeat(81)}`, /^peers\[1\]\.password: TCP-MD5 \(RFC 2385\) keys are 1 to 80 octets/],
    ['multihop ttl', '    passive: true', '    passive: true\n    multihop-ttl: 256', /^peers\[1\]\.multihop-ttl: must be at most 255/],
    ['typo key', '    connect-retry: 2', '    conect-retry: 2', /^peers\[0\]: Unrecognized key: "conect-retry"/],
    ['passive not bool', '    passive: true', '    passive: yes please', /^peers\[1\]\.passive: must be true or false/],
    ['host bits', '  - prefix: 10.244.1.0/24', '  - prefix: 10.244.1.1/24', /^prefixes\[0\]\.prefix: prefix "10\.244\.1\.1\/24" has host bits set/],
    ['community', '    communities: ["65001:100", no-export]', '    communities: ["65001:100", "70000:1"]', /^prefixes\[0\]\.communities\[1\]: invalid community "70000:1"/],
    ['large community', '    large-communities: ["65001:1:2"]', '    large-communities: ["65001:1"]', /^prefixes\[0\]\.large-communities\[0\]: invalid large community/],
    ['next hop family', '    next-hop: fd00::1', '    next-hop: 10.0.0.1', /^prefixes\[1\]\.next-hop: must be of the same family as the prefix/],
    ['origin', '    origin: incomplete', '    origin: bgp', /^prefixes\[0\]\.origin: must be igp, egp or incomplete/],
    ['med', '    med: 10', '    med: -1', /^prefixes\[0\]\.med: must be at least 0/],
  ];
  for (const [name, from, to, re] of cases) {
    it(`refuses a bad ${name} and names the field`, () => {
      const p = problems(withLine(from, to));
      assert.ok(
        p.some((x) => re.test(x)),
        `expected ${re} in:\n${p.join('\n')}`,
      );
    });
  }

  it('refuses duplicate neighbours and prefixes', () => {
    const p = problems(withLine('  - address: "fd00::0002"', '  - address: "127.0.0.2"').replace('fd00:1::/64', '10.244.1.0/24').replace('next-hop: fd00::1', 'med: 1'));
    assert.ok(p.includes('peers[1].address: duplicate of peers[0].address'), p.join('\n'));
    assert.ok(p.includes('prefixes[1].prefix: duplicate of prefixes[0].prefix'), p.join('\n'));
  });

  it('reports YAML syntax errors and a missing top level', () => {
    assert.match(problems('router-id: [1\n')[0] ?? '', /^not valid YAML\/JSON/);
    assert.match(problems('')[0] ?? '', /^\(top level\): /);
    assert.match(problems('asn: 1\n')[0] ?? '', /^router-id: /);
  });

  it('formats paths and parses community forms', () => {
    assert.equal(pathText(['peers', 1, 'remote-asn']), 'peers[1].remote-asn');
    assert.equal(pathText([]), '(top level)');
    assert.equal(parseCommunity('65535:65535'), 0xffffffff);
    assert.equal(parseCommunity('no-advertise'), 0xffffff02);
    assert.deepEqual(parseLargeCommunity('4294967295:0:1'), { globalAdmin: 4294967295, localData1: 0, localData2: 1 });
    assert.throws(() => parseLargeCommunity('4294967296:0:1'), RangeError);
  });
});
