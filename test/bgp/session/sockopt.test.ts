// Golden bytes of the Linux structures bgp/session/sockopt.ts hands to
// setsockopt (struct sockaddr_in/in6, struct tcp_md5sig for TCP_MD5SIG and
// TCP_MD5SIG_EXT), the saved-SYN TTL parser, and the transport policy of
// transport.ts (which TTL and minimum TTL a peer's configuration means, and
// what each listening socket needs for its peers).
// RFCs: 2385, 5082.
import assert from 'node:assert/strict';
import { LINUX, encodeSockaddr, encodeTcpMd5sig, synTtl } from '../../../bgp/session/sockopt.ts';
import { listenerSecurityOf, transportOf, validateTransport } from '../../../bgp/session/transport.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const zeros = (n: number): string => '00'.repeat(n);

describe('bgp/session/sockopt: struct layouts', () => {
  it('struct sockaddr_in / sockaddr_in6: family little-endian, port and address in network order', () => {
    // sin_family=2 | sin_port=179 | 198.18.0.2 | sin_zero[8]
    assert.equal(hex(encodeSockaddr('198.18.0.2', 179)), ['0200', '00b3', 'c6120002', zeros(8)].join(''));
    // sin6_family=10 | sin6_port=179 | sin6_flowinfo | fd00::2 | sin6_scope_id
    assert.equal(hex(encodeSockaddr('fd00::2', 179)), ['0a00', '00b3', zeros(4), 'fd00', zeros(13), '02', zeros(4)].join(''));
    assert.equal(hex(encodeSockaddr('::ffff:198.18.0.2')), ['0a00', '0000', zeros(4), zeros(10), 'ffff', 'c6120002', zeros(4)].join(''));
  });

  it('struct tcp_md5sig, IPv4 peer (TCP_MD5SIG): 216 octets, key at 136', () => {
    const b = encodeTcpMd5sig({ address: '198.18.0.2', password: 'podnet' });
    assert.equal(b.length, LINUX.TCP_MD5SIG_SIZE);
    const expected = [
      ['0200', '0000', 'c6120002', zeros(120)].join(''), // tcpm_addr: sockaddr_in in a 128-octet sockaddr_storage
      '00', // tcpm_flags: none
      '00', // tcpm_prefixlen
      '0600', // tcpm_keylen = 6, host order
      '00000000', // tcpm_ifindex = 0
      Buffer.from('podnet').toString('hex'), // tcpm_key[80]
      zeros(74),
    ];
    assert.equal(hex(b), expected.join(''));
  });

  it('struct tcp_md5sig, IPv6 prefix (TCP_MD5SIG_EXT with TCP_MD5SIG_FLAG_PREFIX)', () => {
    const b = encodeTcpMd5sig({ address: 'fd00:0:0:1::', prefixLength: 64, password: 'k' });
    const expected = [
      ['0a00', '0000', zeros(4), 'fd000000000000010000000000000000', zeros(4), zeros(100)].join(''), // tcpm_addr: sockaddr_in6 (28) + padding
      '01', // tcpm_flags: TCP_MD5SIG_FLAG_PREFIX
      '40', // tcpm_prefixlen = 64
      '0100', // tcpm_keylen = 1
      '00000000', // tcpm_ifindex
      '6b', // tcpm_key: "k"
      zeros(79),
    ];
    assert.equal(hex(b), expected.join(''));
  });

  it('a null password is a key length of 0 (delete); UTF-8 length counts; over 80 octets is refused', () => {
    const del = encodeTcpMd5sig({ address: '10.0.0.1', password: null });
    assert.equal(hex(del.subarray(128, 136)), '0000000000000000');
    assert.equal(new DataView(del.buffer).getUint16(130, true), 0);
    const utf8 = encodeTcpMd5sig({ address: '10.0.0.1', password: 'é€' });
    assert.equal(new DataView(utf8.buffer).getUint16(130, true), 5);
    assert.equal(hex(utf8.subarray(136, 141)), 'c3a9e282ac');
    assert.doesNotThrow(() => encodeTcpMd5sig({ address: '10.0.0.1', password: 'x'.repeat(80) }));
    assert.throws(() => encodeTcpMd5sig({ address: '10.0.0.1', password: 'x'.repeat(81) }), RangeError);
    assert.throws(() => encodeTcpMd5sig({ address: '10.0.0.1', prefixLength: 33, password: 'x' }), RangeError);
    assert.throws(() => encodeTcpMd5sig({ address: 'not-an-address', password: 'x' }), RangeError);
  });

  it('the TTL of a saved SYN: IPv4 byte 8, IPv6 hop limit byte 7', () => {
    // IPv4: 45 00 len | id | flags, fragment offset | TTL=254 | protocol 6
    assert.equal(synTtl(Buffer.from(['4500003c', '1c46', '4000', 'fe', '06'].join(''), 'hex')), 254);
    // IPv6: 60 00 00 00 | payload length | next header 6 | hop limit 255
    assert.equal(synTtl(Buffer.from('60000000002806ff', 'hex')), 255);
    assert.throws(() => synTtl(new Uint8Array(0)), RangeError);
  });
});

describe('bgp/session/transport: policy', () => {
  it('eBGP sends TTL 1 by default, multihop sends its TTL, iBGP keeps the system default', () => {
    assert.deepEqual(transportOf({}, true), { password: null, ttl: 1, minTtl: 0 });
    assert.deepEqual(transportOf({ multihopTtl: 3 }, true), { password: null, ttl: 3, minTtl: 0 });
    assert.deepEqual(transportOf({}, false), { password: null, ttl: null, minTtl: 0 });
    assert.deepEqual(transportOf({ multihopTtl: 2, password: 's' }, false), { password: 's', ttl: 2, minTtl: 0 });
  });

  it('GTSM (RFC 5082 §3): TTL 255 out; 255 required from a direct peer, 255 - (hops - 1) from further', () => {
    assert.deepEqual(transportOf({ ttlSecurity: true }, true), { password: null, ttl: 255, minTtl: 255 });
    assert.deepEqual(transportOf({ ttlSecurity: true, multihopTtl: 2 }, true), { password: null, ttl: 255, minTtl: 254 });
    assert.deepEqual(transportOf({ ttlSecurity: true }, false), { password: null, ttl: 255, minTtl: 255 });
  });

  it('rejects passwords the kernel cannot hold and TTLs out of 1..255', () => {
    assert.throws(() => validateTransport({ password: '' }), RangeError);
    assert.throws(() => validateTransport({ password: 'x'.repeat(81) }), RangeError);
    assert.throws(() => validateTransport({ multihopTtl: 0 }), RangeError);
    assert.throws(() => validateTransport({ multihopTtl: 256 }), RangeError);
    assert.throws(() => validateTransport({ multihopTtl: 1.5 }), RangeError);
    assert.doesNotThrow(() => validateTransport({ password: 'x'.repeat(80), multihopTtl: 255, ttlSecurity: true }));
  });

  it('a listening socket gets the keys of its family, TTL 255 once a peer uses GTSM, a minimum TTL only if all do', () => {
    const gtsm = transportOf({ ttlSecurity: true }, true);
    const gtsm2 = transportOf({ ttlSecurity: true, multihopTtl: 2 }, true);
    const md5 = transportOf({ password: 'a' }, true);
    const peers = [
      { remoteAddress: '198.18.0.2', transport: md5 },
      { remoteAddress: '198.18.0.6', transport: gtsm },
      { remoteAddress: 'fd00::2', transport: { ...gtsm2, password: 'b' } },
    ];
    const v4 = listenerSecurityOf(4, peers);
    assert.deepEqual([...v4.keys], [['198.18.0.2', 'a']]);
    assert.deepEqual({ ttl: v4.ttl, minTtl: v4.minTtl, saveSyn: v4.saveSyn }, { ttl: 255, minTtl: 0, saveSyn: true });
    const v6 = listenerSecurityOf(6, peers);
    assert.deepEqual([...v6.keys], [['fd00::2', 'b']]);
    assert.deepEqual({ ttl: v6.ttl, minTtl: v6.minTtl, saveSyn: v6.saveSyn }, { ttl: 255, minTtl: 254, saveSyn: true });
    const none = listenerSecurityOf(4, [{ remoteAddress: '198.18.0.2', transport: transportOf({}, true) }]);
    assert.deepEqual({ keys: none.keys.size, ttl: none.ttl, minTtl: none.minTtl, saveSyn: none.saveSyn }, { keys: 0, ttl: null, minTtl: 0, saveSyn: false });
    assert.equal(listenerSecurityOf(6, []).minTtl, 0);
  });
});
