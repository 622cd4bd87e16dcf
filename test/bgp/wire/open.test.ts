// Golden tests of the OPEN message and of every capability (each carried in
// an OPEN so it is also framed), plus OPEN error fixtures.
import assert from 'node:assert/strict';
import { parseAsn, parseRouterId } from '../../../bgp/types.ts';
import {
  DEFAULT_WIRE_CONTEXT,
  decodeMessage,
  encodeOpen,
  openAsn,
  BgpError,
  type Capability,
  type OpenMessage,
} from '../../../bgp/wire/index.ts';
import { goldenTests, hex, MARKER, toHex } from './golden.ts';

const base = { type: 'open', version: 4, myAs: 65001, holdTime: 90, routerId: parseRouterId('10.0.0.1') } as const;

function open(capabilities: Capability[]): OpenMessage {
  return { ...base, capabilities };
}

/** An OPEN carrying one Capabilities parameter whose value is `caps` (annotated hex). */
function openBytes(caps: Uint8Array): Uint8Array {
  const head = hex`
    ${MARKER}
    0000        # length, patched below
    01          # type OPEN
    04          # version 4
    fde9        # my AS 65001
    005a        # hold time 90
    0a000001    # BGP identifier 10.0.0.1
    00          # optional parameters length, patched below
    02 00       # parameter type 2 (capabilities), length patched below`;
  const out = new Uint8Array(head.length + caps.length);
  out.set(head);
  out.set(caps, head.length);
  out[16] = out.length >> 8;
  out[17] = out.length & 255;
  out[28] = caps.length + 2;
  out[30] = caps.length;
  return out;
}

describe('bgp/wire OPEN', () => {
  goldenTests({
    name: 'OPEN without optional parameters',
    message: open([]),
    bytes: hex`
      ${MARKER}
      001d        # length 29
      01          # type OPEN
      04          # version 4
      fde9        # my AS 65001
      005a        # hold time 90
      0a000001    # BGP identifier 10.0.0.1
      00          # no optional parameters`,
  });

  goldenTests({
    name: 'OPEN as podnet sends it (4-octet ASN behind AS_TRANS, IPv4+IPv6, GR, ADD-PATH)',
    message: {
      type: 'open',
      version: 4,
      myAs: 23456,
      holdTime: 240,
      routerId: parseRouterId('198.18.0.2'),
      capabilities: [
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'multiprotocol', afi: 2, safi: 1 },
        { kind: 'route-refresh' },
        { kind: 'enhanced-route-refresh' },
        { kind: 'four-octet-as', asn: parseAsn(4200000001) },
        { kind: 'graceful-restart', restarting: false, notification: true, time: 120, families: [{ afi: 1, safi: 1, forwarding: false }] },
        { kind: 'add-path', families: [{ afi: 1, safi: 1, mode: 'both' }] },
        { kind: 'extended-message' },
      ],
    },
    bytes: hex`
      ${MARKER}
      0045          # length 69
      01            # type OPEN
      04            # version 4
      5ba0          # my AS 23456 (AS_TRANS)
      00f0          # hold time 240
      c6120002      # BGP identifier 198.18.0.2
      28            # optional parameters length 40
      02 26         # parameter: capabilities, 38 octets
        01 04 0001 00 01        # multiprotocol IPv4 unicast
        01 04 0002 00 01        # multiprotocol IPv6 unicast
        02 00                   # route refresh
        46 00                   # enhanced route refresh
        41 04 fa56ea01          # 4-octet AS 4200000001
        40 06 4078 0001 01 00   # graceful restart: N bit, 120 s, IPv4 unicast without forwarding state
        45 04 0001 01 03        # ADD-PATH IPv4 unicast send+receive
        06 00                   # extended message`,
  });

  const caps: { name: string; cap: Capability; bytes: Uint8Array }[] = [
    { name: 'multiprotocol IPv4 unicast', cap: { kind: 'multiprotocol', afi: 1, safi: 1 }, bytes: hex`01 04  0001 # AFI 1
      00 # reserved
      01 # SAFI 1` },
    { name: 'multiprotocol IPv6 unicast', cap: { kind: 'multiprotocol', afi: 2, safi: 1 }, bytes: hex`01 04  0002 00 01` },
    { name: 'route refresh (RFC 2918)', cap: { kind: 'route-refresh' }, bytes: hex`02 00` },
    { name: 'route refresh (pre-standard Cisco 128)', cap: { kind: 'route-refresh-cisco' }, bytes: hex`80 00` },
    { name: 'enhanced route refresh', cap: { kind: 'enhanced-route-refresh' }, bytes: hex`46 00` },
    { name: 'extended message', cap: { kind: 'extended-message' }, bytes: hex`06 00` },
    {
      name: 'extended next hop (IPv4 NLRI over IPv6)',
      cap: { kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
      bytes: hex`05 06  0001 # NLRI AFI 1
        0001 # NLRI SAFI 1 (2 octets here)
        0002 # next-hop AFI 2`,
    },
    { name: '4-octet AS', cap: { kind: 'four-octet-as', asn: parseAsn(4200000000) }, bytes: hex`41 04  fa56ea00 # 4200000000` },
    {
      name: 'graceful restart (R bit, two families)',
      cap: {
        kind: 'graceful-restart',
        restarting: true,
        notification: false,
        time: 180,
        families: [
          { afi: 1, safi: 1, forwarding: true },
          { afi: 2, safi: 1, forwarding: false },
        ],
      },
      bytes: hex`40 0a
        80b4          # flags R, restart time 180
        0001 01 80    # IPv4 unicast, F bit
        0002 01 00    # IPv6 unicast, no F bit`,
    },
    {
      name: 'graceful restart (helper only, no families)',
      cap: { kind: 'graceful-restart', restarting: false, notification: false, time: 0, families: [] },
      bytes: hex`40 02  0000`,
    },
    {
      name: 'ADD-PATH',
      cap: {
        kind: 'add-path',
        families: [
          { afi: 1, safi: 1, mode: 'receive' },
          { afi: 2, safi: 1, mode: 'send' },
        ],
      },
      bytes: hex`45 08
        0001 01 01    # IPv4 unicast receive
        0002 01 02    # IPv6 unicast send`,
    },
    {
      name: 'long-lived graceful restart',
      cap: { kind: 'long-lived-graceful-restart', families: [{ afi: 1, safi: 1, forwarding: true, staleTime: 3600 }] },
      bytes: hex`47 07  0001 01 # IPv4 unicast
        80      # F bit
        000e10  # stale time 3600`,
    },
    {
      name: 'FQDN',
      cap: { kind: 'fqdn', hostname: 'node1', domain: 'lab' },
      bytes: hex`49 0a  05 6e6f646531 # hostname "node1"
        03 6c6162     # domain "lab"`,
    },
    {
      name: 'unknown capability (BGP role, 9) kept opaque',
      cap: { kind: 'unknown', code: 9, data: Uint8Array.of(3) },
      bytes: hex`09 01  03`,
    },
  ];
  describe('capabilities', () => {
    for (const c of caps) goldenTests({ name: c.name, message: open([c.cap]), bytes: openBytes(c.bytes) });
  });

  it('decodes capabilities spread over several parameters (one per capability)', () => {
    const b = hex`
      ${MARKER} 0025 01 04 fde9 005a 0a000001
      08              # optional parameters length 8
      02 02  02 00    # parameter 1: route refresh
      02 02  46 00    # parameter 2: enhanced route refresh`;
    assert.deepStrictEqual(decodeMessage(b, DEFAULT_WIRE_CONTEXT), open([{ kind: 'route-refresh' }, { kind: 'enhanced-route-refresh' }]));
  });

  it('decodes RFC 9072 extended optional parameters', () => {
    const b = hex`
      ${MARKER} 0025 01 04 fde9 005a 0a000001
      ff              # non-ext length 255
      ff              # non-ext type 255: extended format
      0005            # extended optional parameters length 5
      02 0002  02 00  # capabilities, 2-octet parameter length: route refresh`;
    assert.deepStrictEqual(decodeMessage(b, DEFAULT_WIRE_CONTEXT), open([{ kind: 'route-refresh' }]));
  });

  it('encodes more than 255 octets of capabilities with the RFC 9072 format and decodes them back', () => {
    const big: Capability[] = Array.from({ length: 3 }, (_, k) => ({ kind: 'unknown', code: 200 + k, data: new Uint8Array(200).fill(k) }));
    const msg = open(big);
    const b = encodeOpen(msg);
    assert.equal(b[28], 255);
    assert.equal(b[29], 255);
    assert.equal((b[30] as number) * 256 + (b[31] as number), b.length - 32);
    assert.deepStrictEqual(decodeMessage(b, DEFAULT_WIRE_CONTEXT), msg);
  });

  it('openAsn prefers the 4-octet AS capability', () => {
    assert.equal(openAsn(open([])), 65001);
    assert.equal(openAsn({ ...open([{ kind: 'four-octet-as', asn: parseAsn(4200000000) }]), myAs: 23456 }), 4200000000);
  });

  describe('errors', () => {
    const cases: { name: string; bytes: Uint8Array; code: number; subcode: number; data: string }[] = [
      {
        name: 'unsupported version: data is the highest version we support',
        bytes: hex`${MARKER} 001d 01  03 # version 3
          fde9 005a 0a000001 00`,
        code: 2,
        subcode: 1,
        data: '0004',
      },
      {
        name: 'optional parameter other than capabilities',
        bytes: hex`${MARKER} 0020 01 04 fde9 005a 0a000001 03  01 01 00 # parameter type 1 (authentication, deprecated)`,
        code: 2,
        subcode: 4,
        data: '',
      },
      {
        name: 'optional parameters length disagrees with the message',
        bytes: hex`${MARKER} 001f 01 04 fde9 005a 0a000001 05  02 00 # says 5, has 2`,
        code: 2,
        subcode: 0,
        data: '',
      },
      {
        name: 'capability overruns its parameter',
        bytes: hex`${MARKER} 0021 01 04 fde9 005a 0a000001 04  02 02 41 04 # 4-octet AS claims 4 octets, has 0`,
        code: 2,
        subcode: 0,
        data: '',
      },
      {
        name: 'malformed known capability (4-octet AS of 2 octets)',
        bytes: hex`${MARKER} 0023 01 04 fde9 005a 0a000001 06  02 04 41 02 fde9`,
        code: 2,
        subcode: 0,
        data: '',
      },
      {
        name: 'OPEN longer than 4096 even with extended messages',
        bytes: (() => {
          const b = new Uint8Array(4097).fill(0);
          b.fill(0xff, 0, 16);
          b[16] = 0x10;
          b[17] = 0x01;
          b[18] = 1;
          return b;
        })(),
        code: 1,
        subcode: 2,
        data: '1001',
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const ctx = { ...DEFAULT_WIRE_CONTEXT, extendedMessageRx: true };
        assert.throws(
          () => decodeMessage(c.bytes, ctx),
          (e: unknown) => BgpError.is(e) && e.code === c.code && e.subcode === c.subcode && toHex(e.data) === c.data && e.action === 'session-reset',
        );
      });
    }
  });
});
