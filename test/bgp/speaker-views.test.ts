// Pure parts of the speaker's views: listing order of prefixes and
// addresses (numeric, IPv4 before IPv6) and community text forms (RFC 1997).
import assert from 'node:assert/strict';
import type { Prefix } from '../../bgp/types.ts';
import { communityText, compareAddresses, comparePrefixes } from '../../bgp/speaker/views.ts';

describe('bgp/speaker/views', () => {
  it('orders prefixes numerically, IPv4 first, shorter first on equal addresses', () => {
    const ps = ['fd00::/8', '10.0.0.0/16', '9.0.0.0/8', '2001:db8::/32', '10.0.0.0/8', '10.244.10.0/24', '10.244.9.0/24', '::/0'] as Prefix[];
    assert.deepEqual([...ps].sort(comparePrefixes), ['9.0.0.0/8', '10.0.0.0/8', '10.0.0.0/16', '10.244.9.0/24', '10.244.10.0/24', '::/0', '2001:db8::/32', 'fd00::/8']);
  });

  it('orders addresses numerically, IPv4 first', () => {
    assert.deepEqual(['fd00::10', '127.0.0.10', 'fd00::9', '127.0.0.2'].sort(compareAddresses), ['127.0.0.2', '127.0.0.10', 'fd00::9', 'fd00::10']);
  });

  it('prints communities as asn:value, well-known ones by name', () => {
    assert.equal(communityText(65001 * 65536 + 100), '65001:100');
    assert.equal(communityText(0xffffff01), 'no-export');
    assert.equal(communityText(0xffffff02), 'no-advertise');
    assert.equal(communityText(0), '0:0');
  });
});
