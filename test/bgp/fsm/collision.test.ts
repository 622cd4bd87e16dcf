// Connection collision resolution (RFC 4271 §6.8, RFC 6286 §2.3): which of
// two connections to the same peer is closed, seen from both speakers, who
// must agree on the same TCP connection.
import assert from 'node:assert/strict';
import { resolveCollision, type CollisionSide, type CollisionSpeakers } from '../../../bgp/fsm/collision.ts';
import type { FsmStateName } from '../../../bgp/fsm/types.ts';
import type { Asn, RouterId } from '../../../bgp/types.ts';

const sp = (localId: string, remoteId: string, localAsn = 65001, remoteAsn = 65002): CollisionSpeakers => ({
  localId: localId as RouterId,
  remoteId: remoteId as RouterId,
  localAsn: localAsn as Asn,
  remoteAsn: remoteAsn as Asn,
});
const out = (state: FsmStateName = 'OpenConfirm'): CollisionSide => ({ direction: 'outbound', state });
const inb = (state: FsmStateName = 'OpenConfirm'): CollisionSide => ({ direction: 'inbound', state });

describe('bgp/fsm collision resolution (RFC 4271 §6.8)', () => {
  it('lower local identifier closes the connection it initiated', () => {
    assert.deepEqual(resolveCollision(sp('10.0.0.1', '10.0.0.2'), out(), inb())?.close, 'a');
    assert.deepEqual(resolveCollision(sp('10.0.0.1', '10.0.0.2'), inb(), out())?.close, 'b');
  });

  it('higher local identifier closes the connection the peer initiated', () => {
    const v = resolveCollision(sp('10.0.0.9', '10.0.0.2'), out(), inb());
    assert.equal(v?.close, 'b');
    assert.match(v?.reason ?? '', /10\.0\.0\.9 > remote 10\.0\.0\.2/);
  });

  it('identifiers compare as unsigned 32-bit numbers, not strings', () => {
    // "9.0.0.1" > "10.0.0.1" as strings, but 9.0.0.1 < 10.0.0.1 as numbers
    assert.equal(resolveCollision(sp('9.0.0.1', '10.0.0.1'), out(), inb())?.close, 'a');
    assert.equal(resolveCollision(sp('200.0.0.1', '10.0.0.1'), out(), inb())?.close, 'b');
  });

  it('both speakers close the same TCP connection', () => {
    // connection X: A -> B (outbound at A, inbound at B); Y: B -> A
    for (const [a, b] of [['10.0.0.1', '10.0.0.2'], ['10.0.0.2', '10.0.0.1']] as const) {
      const atA = resolveCollision(sp(a, b), { direction: 'outbound', state: 'OpenConfirm' }, { direction: 'inbound', state: 'OpenSent' });
      const atB = resolveCollision(sp(b, a, 65002, 65001), { direction: 'inbound', state: 'OpenConfirm' }, { direction: 'outbound', state: 'OpenSent' });
      // at A, 'a' is X; at B, 'a' is X as well
      assert.equal(atA?.close, atB?.close, `A=${a} B=${b}`);
    }
  });

  it('equal identifiers (eBGP): the speaker with the larger AS keeps its connection (RFC 6286 §2.3)', () => {
    assert.equal(resolveCollision(sp('10.0.0.1', '10.0.0.1', 65010, 65002), out(), inb())?.close, 'b');
    assert.equal(resolveCollision(sp('10.0.0.1', '10.0.0.1', 65001, 65002), out(), inb())?.close, 'a');
  });

  it('an Established connection always wins', () => {
    assert.equal(resolveCollision(sp('10.0.0.1', '10.0.0.2'), out('Established'), inb('OpenSent'))?.close, 'b');
    assert.equal(resolveCollision(sp('10.0.0.9', '10.0.0.2'), inb('OpenConfirm'), out('Established'))?.close, 'a');
  });

  it('no collision is detected in Idle, Connect or Active', () => {
    for (const s of ['Idle', 'Connect', 'Active'] as const) {
      assert.equal(resolveCollision(sp('10.0.0.1', '10.0.0.2'), out(s), inb()), null);
      assert.equal(resolveCollision(sp('10.0.0.1', '10.0.0.2'), out(), inb(s)), null);
    }
  });

  it('two connections in the same direction: the newer is closed', () => {
    assert.equal(resolveCollision(sp('10.0.0.1', '10.0.0.2'), inb(), inb('OpenSent'))?.close, 'b');
  });
});
