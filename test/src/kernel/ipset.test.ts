// The ipset renderer: temp set, fill, swap, destroy; sorted and de-duplicated
// entries; every set type; refusals.
import assert from 'node:assert/strict';
import { IpSetModelError, renderIpsetRestore, setHash, tempName } from '../../../src/kernel/ipset.ts';
import type { IpSet } from '../../../src/kernel/ipset.ts';

const nets: IpSet = {
  name: 'PODNET-B-1',
  type: 'hash:net',
  family: 'inet',
  entries: [
    { kind: 'net', cidr: '10.1.0.0/16', nomatch: true },
    { kind: 'net', cidr: '10.0.0.0/8' },
    { kind: 'net', cidr: '10.0.0.0/8' },
  ],
};
const ports: IpSet = {
  name: 'PODNET-N-1',
  type: 'hash:ip,port',
  family: 'inet6',
  entries: [
    { kind: 'ip,port', ip: 'fd00::2', proto: 'udp', port: 53 },
    { kind: 'ip,port', ip: 'fd00::1', proto: 'sctp', port: 3868 },
  ],
};

describe('src/kernel/ipset', () => {
  it('renders build-swap-destroy per set, sets and entries sorted, then destroys', () => {
    const t1 = tempName('PODNET-B-1');
    const t2 = tempName('PODNET-N-1');
    assert.match(t1, /^PODNET-TMP-[0-9A-F]{16}$/);
    assert.notEqual(t1, t2);
    assert.match(tempName('x'.repeat(31)), /^TMP-[0-9A-F]{16}$/);
    assert.equal(
      renderIpsetRestore({ write: [ports, nets], destroy: ['PODNET-Z', 'PODNET-Y'] }),
      [
        'create PODNET-B-1 hash:net family inet hashsize 1024 maxelem 1048576 -exist',
        `create ${t1} hash:net family inet hashsize 1024 maxelem 1048576 -exist`,
        `flush ${t1}`,
        `add ${t1} 10.0.0.0/8`,
        `add ${t1} 10.1.0.0/16 nomatch`,
        `swap ${t1} PODNET-B-1`,
        `destroy ${t1}`,
        'create PODNET-N-1 hash:ip,port family inet6 hashsize 1024 maxelem 1048576 -exist',
        `create ${t2} hash:ip,port family inet6 hashsize 1024 maxelem 1048576 -exist`,
        `flush ${t2}`,
        `add ${t2} fd00::1,sctp:3868`,
        `add ${t2} fd00::2,udp:53`,
        `swap ${t2} PODNET-N-1`,
        `destroy ${t2}`,
        'destroy PODNET-Y',
        'destroy PODNET-Z',
        '',
      ].join('\n'),
    );
    assert.equal(renderIpsetRestore({ write: [], destroy: [] }), '');
  });

  it('hashes content, not entry order', () => {
    const shuffled = { ...nets, entries: nets.entries.toReversed() };
    assert.equal(setHash(shuffled), setHash(nets));
    assert.notEqual(setHash({ ...nets, entries: nets.entries.slice(1) }), setHash(nets));
  });

  it('refuses wrong entry kinds, long names, duplicates', () => {
    assert.throws(() => renderIpsetRestore({ write: [{ ...nets, type: 'hash:ip' }], destroy: [] }), IpSetModelError);
    assert.throws(() => renderIpsetRestore({ write: [{ ...nets, name: 'P'.repeat(32) }], destroy: [] }), IpSetModelError);
    assert.throws(() => renderIpsetRestore({ write: [nets, nets], destroy: [] }), IpSetModelError);
    assert.throws(() => renderIpsetRestore({ write: [nets], destroy: [nets.name] }), IpSetModelError);
  });
});
