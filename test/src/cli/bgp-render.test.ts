// Golden text of the gobgp-like BGP renderings: neighbour table, neighbour
// details with its last error (RFC 9003 message), RIB table with best marker
// and deciding reason, adj-in/out, global.
import assert from 'node:assert/strict';
import type { DestinationView, GlobalView, NeighborView, PathView } from '../../../bgp/index.ts';
import { asPathText, attrsText, formatDuration, renderAdj, renderGlobal, renderNeighbor, renderNeighbors, renderRib } from '../../../src/cli/bgp-render.ts';

function neighbor(over: Partial<NeighborView>): NeighborView {
  return {
    address: '127.0.0.2',
    port: 179,
    remoteAsn: 65002,
    localAsn: 65001,
    passive: false,
    enabled: true,
    families: ['ipv4-unicast', 'ipv6-unicast'],
    holdTimeS: 90,
    keepaliveS: null,
    routeReflectorClient: false,
    state: 'Established',
    stateReason: 'KEEPALIVE received: session established',
    upDownS: 3723,
    uptimeS: 3723,
    establishedAt: 0,
    session: {
      localAddress: '127.0.0.1',
      localPort: 40000,
      remotePort: 179,
      direction: 'outbound',
      peerRouterId: '192.0.2.2',
      peerAsn: 65002,
      ibgp: false,
      holdTimeS: 9,
      keepaliveS: 3,
      families: ['ipv4-unicast', 'ipv6-unicast'],
      capabilitiesSent: ['multiprotocol', 'route-refresh'],
      capabilitiesReceived: ['multiprotocol', 'four-octet-as'],
      fourOctetAs: true,
      routeRefresh: true,
      extendedMessage: false,
    },
    messages: { updatesIn: 4, updatesOut: 5, notificationsIn: 1, notificationsOut: 0, routeRefreshIn: 0, routeRefreshOut: 2, established: 2 },
    routes: { received: 4, accepted: 3, rejected: 1, withdrawn: 2, advertised: 1 },
    prefixes: [
      { family: 'ipv4-unicast', accepted: 2, advertised: 1 },
      { family: 'ipv6-unicast', accepted: 1, advertised: 0 },
    ],
    endOfRib: [],
    lastError: null,
    gracefulRestart: { enabled: false, peerRestartTimeS: null, notification: false, state: 'none', stale: [] },
    maxPrefixes: null,
    bfd: null,
    ...over,
  };
}

function path(over: Partial<PathView>): PathView {
  return {
    prefix: '10.244.1.0/24',
    family: 'ipv4-unicast',
    source: '127.0.0.2',
    nextHop: '127.0.0.2',
    asPath: [{ type: 'sequence', asns: [65002, 65010] }],
    origin: 'igp',
    med: null,
    localPref: null,
    communities: [],
    largeCommunities: [],
    ageS: 65,
    best: false,
    multipath: false,
    valid: true,
    reason: null,
    stale: false,
    ...over,
  };
}

describe('cli/bgp-render', () => {
  it('formats durations and AS paths like gobgp', () => {
    assert.equal(formatDuration(null), 'never');
    assert.equal(formatDuration(0), '00:00:00');
    assert.equal(formatDuration(3723), '01:02:03');
    assert.equal(formatDuration(2 * 86400 + 5), '2d 00:00:05');
    assert.equal(
      asPathText([
        { type: 'sequence', asns: [1, 2] },
        { type: 'set', asns: [3, 4] },
        { type: 'confed-sequence', asns: [5] },
        { type: 'confed-set', asns: [6, 7] },
      ]),
      '1 2 {3 4} (5) [6 7]',
    );
    assert.equal(attrsText(path({ origin: 'incomplete', med: 10, localPref: 200, communities: ['65001:100', 'no-export'], largeCommunities: ['1:2:3'] })), '[{Origin: ?} {Med: 10} {LocalPref: 200} {Communities: 65001:100, no-export} {LargeCommunity: 1:2:3}]');
  });

  it('neighbor table', () => {
    const text = renderNeighbors([
      neighbor({}),
      neighbor({ address: 'fd00::2', remoteAsn: 4200000000, state: 'Idle', enabled: false, upDownS: null, session: null, routes: { received: 0, accepted: 0, rejected: 0, withdrawn: 0, advertised: 0 } }),
      neighbor({ address: '127.0.0.3', state: 'Active', upDownS: 59, routes: { received: 7, accepted: 0, rejected: 7, withdrawn: 0, advertised: 0 } }),
    ]);
    assert.equal(
      text,
      [
        'Peer       AS          Up/Down   State        #Received  #Accepted',
        '127.0.0.2  65002       01:02:03  Establ       4          3',
        'fd00::2    4200000000  never     Idle(Admin)  0          0',
        '127.0.0.3  65002       00:00:59  Active       7          0',
        '',
      ].join('\n'),
    );
  });

  it('neighbor details with the last error and its RFC 9003 message', () => {
    const text = renderNeighbor(
      neighbor({
        state: 'Active',
        uptimeS: null,
        session: null,
        upDownS: 5,
        stateReason: 'connect retry timer expired',
        lastError: { reason: 'peer sent NOTIFICATION 6/2', at: Date.UTC(2026, 0, 2, 3, 4, 5), notification: { direction: 'received', code: 6, subcode: 2, communication: 'maintenance 42', dataHex: '0e6d61' } },
      }),
    );
    assert.equal(
      text,
      `BGP neighbor is 127.0.0.2, remote AS 65002, local AS 65001
  BGP version 4, remote router ID unknown
  BGP state = Active, Up/Down 00:00:05
  Last transition: connect retry timer expired
  Port 179; configured hold time is 90
  Message statistics:
    Updates:        sent 5, received 4
    Notifications:  sent 0, received 1
    Route refresh:  sent 2, received 0
    Established:    2 times
  Route statistics:
    Received 4, rejected 1, withdrawn 2 (cumulative)
    ipv4-unicast  accepted 2, advertised 1
    ipv6-unicast  accepted 1, advertised 0
  Last error: peer sent NOTIFICATION 6/2 at 2026-01-02T03:04:05.000Z
    Cease/Administrative Shutdown (6/2) received: "maintenance 42"
`,
    );
    const up = renderNeighbor(neighbor({}));
    assert.match(up, /^ {2}BGP state = Established, up for 01:02:03$/m);
    assert.match(up, /^ {2}Negotiated hold time is 9, keepalive interval is 3 seconds$/m);
    assert.match(up, /^ {2}Connection outbound: local 127\.0\.0\.1:40000, remote port 179, external link$/m);
    assert.match(up, /^ {2}Capabilities received: multiprotocol, four-octet-as$/m);
  });

  it('global rib: *> best with its reason, * for ECMP members and other valid paths, blank for ineligible ones', () => {
    const ds: DestinationView[] = [
      {
        prefix: '10.244.1.0/24',
        family: 'ipv4-unicast',
        paths: [
          path({ best: true, multipath: true, reason: 'as-path-length', asPath: [{ type: 'sequence', asns: [65002] }], med: 5, communities: ['65002:7'] }),
          path({ source: '127.0.0.4', nextHop: '127.0.0.4', asPath: [{ type: 'sequence', asns: [65004] }], multipath: true, ageS: 7 }),
          path({ source: '127.0.0.3', nextHop: '127.0.0.3', ageS: 3600 }),
          path({ source: '127.0.0.5', nextHop: '127.0.0.5', valid: false, ageS: null }),
        ],
      },
      { prefix: 'fd00:1::/64', family: 'ipv6-unicast', paths: [path({ prefix: 'fd00:1::/64', family: 'ipv6-unicast', source: 'local', nextHop: null, asPath: [], best: true, reason: 'only-path', ageS: 1 })] },
    ];
    assert.equal(
      renderRib(ds),
      [
        '    Network        Next Hop   AS_PATH      Age       Attrs                                          Best because',
        '*>  10.244.1.0/24  127.0.0.2  65002        00:01:05  [{Origin: i} {Med: 5} {Communities: 65002:7}]  as-path-length',
        '*   10.244.1.0/24  127.0.0.4  65004        00:00:07  [{Origin: i}]',
        '*   10.244.1.0/24  127.0.0.3  65002 65010  01:00:00  [{Origin: i}]',
        '    10.244.1.0/24  127.0.0.5  65002 65010  -         [{Origin: i}]',
        '*>  fd00:1::/64    ::                      00:00:01  [{Origin: i}]                                  only-path',
        '',
      ].join('\n'),
    );
    assert.equal(renderRib([]), 'Network not in table\n');
  });

  it('adj-in/out marks paths that are not eligible', () => {
    assert.equal(
      renderAdj([path({}), path({ prefix: '10.244.9.0/24', valid: false })]),
      ['   Network        Next Hop   AS_PATH      Age       Attrs', '   10.244.1.0/24  127.0.0.2  65002 65010  00:01:05  [{Origin: i}]', 'x  10.244.9.0/24  127.0.0.2  65002 65010  00:01:05  [{Origin: i}]', ''].join('\n'),
    );
  });

  it('global', () => {
    const g: GlobalView = { asn: 65001, routerId: '192.0.2.1', listen: [{ address: '127.0.0.1', port: 1790 }, { address: '::1', port: 1790 }], neighbors: 3, established: 1, destinations: { 'ipv4-unicast': 4, 'ipv6-unicast': 2 } };
    assert.equal(
      renderGlobal(g),
      'AS:        65001\nRouter-ID: 192.0.2.1\nListening: 127.0.0.1:1790, [::1]:1790\nNeighbors: 3 configured, 1 established\nLoc-RIB:   4 ipv4-unicast, 2 ipv6-unicast destinations\n',
    );
  });
});
