// Golden tests of NOTIFICATION (with shutdown communication), KEEPALIVE and
// ROUTE-REFRESH (with BoRR/EoRR), and the header error fixtures.
import assert from 'node:assert/strict';
import {
  BgpError,
  CeaseSubcode,
  DEFAULT_WIRE_CONTEXT,
  ErrorCode,
  decodeMessage,
  encodeMessage,
  type NotificationMessage,
} from '../../../bgp/wire/index.ts';
import { ctxWith, goldenTests, hex, MARKER, toHex } from './golden.ts';

describe('bgp/wire NOTIFICATION, KEEPALIVE, ROUTE-REFRESH', () => {
  goldenTests({
    name: 'KEEPALIVE',
    message: { type: 'keepalive' },
    bytes: hex`${MARKER} 0013 # length 19
      04 # type KEEPALIVE`,
  });

  goldenTests({
    name: 'NOTIFICATION hold timer expired',
    message: { type: 'notification', code: 4, subcode: 0, data: new Uint8Array(0) },
    bytes: hex`${MARKER} 0015 03  04 # code 4 Hold Timer Expired
      00 # subcode 0`,
  });

  goldenTests({
    name: 'NOTIFICATION OPEN error / unsupported version with data',
    message: { type: 'notification', code: 2, subcode: 1, data: hex`0004` },
    bytes: hex`${MARKER} 0017 03  02 01 # OPEN / Unsupported Version Number
      0004 # we support version 4`,
  });

  goldenTests({
    name: 'NOTIFICATION FSM error (RFC 6608) unexpected message in OpenConfirm',
    message: { type: 'notification', code: 5, subcode: 2, data: new Uint8Array(0) },
    bytes: hex`${MARKER} 0015 03 05 02`,
  });

  goldenTests({
    name: 'NOTIFICATION Cease / Administrative Shutdown with a communication (RFC 8203/9003)',
    message: { type: 'notification', code: 6, subcode: 2, data: hex`0a 6d61696e74656e616e6365`, communication: 'maintenance' },
    bytes: hex`${MARKER} 0021 03  06 02 # Cease / Administrative Shutdown
      0b                     # communication length 11
      6d61696e74656e616e6365 # "maintenance"`,
    decoded: { type: 'notification', code: 6, subcode: 2, data: hex`0b 6d61696e74656e616e6365`, communication: 'maintenance' },
  });

  goldenTests({
    name: 'NOTIFICATION Cease / Administrative Reset with UTF-8 communication',
    message: { type: 'notification', code: 6, subcode: 4, data: hex`06 c3a9 74c3a9 21`, communication: 'été!' },
    bytes: hex`${MARKER} 001c 03  06 04  06 c3a974c3a921 # "été!" is 6 octets`,
  });

  goldenTests({
    name: 'NOTIFICATION Cease / connection collision resolution (RFC 4486)',
    message: { type: 'notification', code: ErrorCode.cease, subcode: CeaseSubcode.connectionCollisionResolution, data: new Uint8Array(0) },
    bytes: hex`${MARKER} 0015 03 06 07`,
  });

  it('keeps raw data when a shutdown communication is malformed', () => {
    const bad = decodeMessage(hex`${MARKER} 0019 03 06 02  05 6869 ff # says 5 octets, has 3`, DEFAULT_WIRE_CONTEXT);
    assert.deepStrictEqual(bad, { type: 'notification', code: 6, subcode: 2, data: hex`05 6869ff` });
    const badUtf8 = decodeMessage(hex`${MARKER} 0019 03 06 02  02 c328 00`, DEFAULT_WIRE_CONTEXT);
    assert.deepStrictEqual(badUtf8, { type: 'notification', code: 6, subcode: 2, data: hex`02 c328 00` });
  });

  it('truncates a communication over 255 octets at a character boundary', () => {
    const msg: NotificationMessage = { type: 'notification', code: 6, subcode: 2, data: new Uint8Array(0), communication: 'é'.repeat(200) };
    const b = encodeMessage(msg, DEFAULT_WIRE_CONTEXT);
    assert.equal(b[21], 254); // 127 two-octet characters
    const m = decodeMessage(b, DEFAULT_WIRE_CONTEXT) as NotificationMessage;
    assert.equal(m.communication, 'é'.repeat(127));
  });

  goldenTests({
    name: 'ROUTE-REFRESH IPv4 unicast',
    message: { type: 'route-refresh', afi: 1, safi: 1, subtype: 'normal' },
    bytes: hex`${MARKER} 0017 05  0001 # AFI 1
      00 # subtype 0 (normal)
      01 # SAFI 1`,
  });
  goldenTests({
    name: 'ROUTE-REFRESH BoRR IPv6 unicast (RFC 7313)',
    message: { type: 'route-refresh', afi: 2, safi: 1, subtype: 'borr' },
    bytes: hex`${MARKER} 0017 05  0002 01 # Beginning of Route Refresh
      01`,
  });
  goldenTests({
    name: 'ROUTE-REFRESH EoRR IPv4 unicast (RFC 7313)',
    message: { type: 'route-refresh', afi: 1, safi: 1, subtype: 'eorr' },
    bytes: hex`${MARKER} 0017 05  0001 02 # End of Route Refresh
      01`,
  });
  it('decodes an unknown ROUTE-REFRESH subtype as reserved (to be ignored, RFC 7313 §5)', () => {
    assert.deepStrictEqual(decodeMessage(hex`${MARKER} 0017 05 0001 07 01`, DEFAULT_WIRE_CONTEXT), { type: 'route-refresh', afi: 1, safi: 1, subtype: 'reserved' });
  });

  describe('header and length errors', () => {
    const cases: { name: string; bytes: Uint8Array; code: number; subcode: number; data: string; ctx?: ReturnType<typeof ctxWith> }[] = [
      { name: 'marker not all ones', bytes: hex`ffffffffffffffffffffffffffffff00 0013 04`, code: 1, subcode: 1, data: '' },
      { name: 'length below 19', bytes: hex`${MARKER} 0012 04`, code: 1, subcode: 2, data: '0012' },
      { name: 'length above 4096 without extended messages', bytes: Uint8Array.from([...hex`${MARKER} 1001 02`, ...new Uint8Array(4078)]), code: 1, subcode: 2, data: '1001' },
      { name: 'unknown message type', bytes: hex`${MARKER} 0013 06`, code: 1, subcode: 3, data: '06' },
      { name: 'length checked before type', bytes: hex`${MARKER} 0005 63`, code: 1, subcode: 2, data: '0005' },
      { name: 'KEEPALIVE longer than 19', bytes: hex`${MARKER} 0014 04 00`, code: 1, subcode: 2, data: '0014' },
      { name: 'OPEN shorter than 29', bytes: hex`${MARKER} 001c 01 04 fde9 005a 0a000001`, code: 1, subcode: 2, data: '001c' },
      { name: 'UPDATE shorter than 23', bytes: hex`${MARKER} 0016 02 000000`, code: 1, subcode: 2, data: '0016' },
      { name: 'NOTIFICATION shorter than 21', bytes: hex`${MARKER} 0014 03 06`, code: 1, subcode: 2, data: '0014' },
      {
        name: 'ROUTE-REFRESH of the wrong length: code 7 with the whole message (RFC 7313 §5)',
        bytes: hex`${MARKER} 0018 05 0001 00 01 00`,
        code: 7,
        subcode: 1,
        data: `${'ff'.repeat(16)}0018050001000100`,
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        assert.throws(
          () => decodeMessage(c.bytes, c.ctx ?? DEFAULT_WIRE_CONTEXT),
          (e: unknown) => BgpError.is(e) && e.code === c.code && e.subcode === c.subcode && toHex(e.data) === c.data && e.action === 'session-reset',
        );
      });
    }
    it('accepts an UPDATE above 4096 octets once we advertised extended messages', () => {
      const b = Uint8Array.from([...hex`${MARKER} 1001 02 0000 0fea  d0 63 0fe6 # unknown optional transitive, extended length`, ...new Uint8Array(0x0fe6)]);
      assert.throws(() => decodeMessage(b, DEFAULT_WIRE_CONTEXT), (e: unknown) => BgpError.is(e) && e.subcode === 2);
      const m = decodeMessage(b, ctxWith({ extendedMessageRx: true }));
      assert.equal(m.type, 'update');
    });
  });
});
