// BFD (RFC 5880) without sockets: the control packet codec (golden bytes,
// the §6.8.6 checks, fast-check round trip and random bytes that never throw
// anything but BfdPacketError), and two sessions wired back to back on a fake
// clock: the three-way handshake Down -> Init -> Up, 1 s packets before Up and
// the configured rate after (Poll/Final), detection on silence within the
// detection time, and Down signalled by the peer.
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { BfdPacketError, decodeBfd, encodeBfd, type BfdPacket } from '../../../bgp/bfd/packet.ts';
import { BfdSession } from '../../../bgp/bfd/session.ts';
import type { Clock, TimerHandle } from '../../../bgp/session/clock.ts';

class FakeClock implements Clock {
  t = 0;
  readonly timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number {
    return this.t;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (next === undefined) break;
      this.t = next.at;
      next.live = false;
      next.fn();
    }
    this.t = end;
  }
}

const sample: BfdPacket = {
  diag: 0, state: 'Up', poll: true, final: false, controlPlaneIndependent: false, demand: false, detectMult: 3,
  myDiscriminator: 0x01020304, yourDiscriminator: 0x0a0b0c0d, desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, requiredMinEchoRxUs: 0,
};

describe('bgp/bfd: control packets', () => {
  it('encodes the RFC 5880 §4.1 layout (golden)', () => {
    assert.equal(Buffer.from(encodeBfd(sample)).toString('hex'), '20e00318010203040a0b0c0d000493e0000493e000000000');
    assert.deepEqual(decodeBfd(encodeBfd(sample)), sample);
  });

  it('refuses what §6.8.6 says to discard', () => {
    const bytes = (f: (b: Uint8Array) => void): Uint8Array => {
      const b = encodeBfd(sample);
      f(b);
      return b;
    };
    assert.throws(() => decodeBfd(bytes((b) => void (b[0] = (2 << 5)))), /version 2/);
    assert.throws(() => decodeBfd(bytes((b) => void (b[2] = 0))), /detect multiplier 0/);
    assert.throws(() => decodeBfd(bytes((b) => void (b[1] = (b[1] as number) | 0x01))), /multipoint/);
    const withAuth = new Uint8Array(28);
    withAuth.set(encodeBfd(sample));
    withAuth[1] = (withAuth[1] as number) | 0x04;
    withAuth[3] = 28;
    assert.throws(() => decodeBfd(withAuth), /authentication/);
    assert.throws(() => decodeBfd(bytes((b) => b.set([0, 0, 0, 0], 4))), /my discriminator 0/);
    assert.throws(() => decodeBfd(bytes((b) => b.set([0, 0, 0, 0], 8))), /your discriminator 0 in state Up/);
    assert.throws(() => decodeBfd(bytes((b) => void (b[3] = 30))), /length field 30/);
    assert.throws(() => decodeBfd(new Uint8Array(10)), /shorter/);
  });

  it('round-trips any valid packet; random bytes never throw anything but BfdPacketError', () => {
    const u32 = fc.integer({ min: 1, max: 0xffffffff });
    fc.assert(
      fc.property(fc.constantFrom('AdminDown', 'Down', 'Init', 'Up' as const), fc.integer({ min: 0, max: 31 }), fc.integer({ min: 1, max: 255 }), u32, u32, u32, u32, fc.boolean(), fc.boolean(), (state, diag, detectMult, my, your, tx, rx, poll, final) => {
        const p: BfdPacket = { diag, state, poll, final, controlPlaneIndependent: false, demand: false, detectMult, myDiscriminator: my, yourDiscriminator: your, desiredMinTxUs: tx, requiredMinRxUs: rx, requiredMinEchoRxUs: 0 };
        assert.deepEqual(decodeBfd(encodeBfd(p)), p);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        try {
          decodeBfd(b);
        } catch (e) {
          assert.ok(e instanceof BfdPacketError, String(e));
        }
      }),
    );
  });
});

describe('bgp/bfd: two sessions back to back on a fake clock', () => {
  function pair(params = { minTxMs: 100, minRxMs: 100, multiplier: 3 }) {
    const clock = new FakeClock();
    const wire = { ab: true, ba: true };
    const sent: { from: 'a' | 'b'; at: number; p: BfdPacket }[] = [];
    let a: BfdSession | null = null;
    let b: BfdSession | null = null;
    a = new BfdSession(params, 1, clock, (p) => {
      sent.push({ from: 'a', at: clock.t, p });
      if (wire.ab) b?.receive(decodeBfd(encodeBfd(p)));
    }, () => 0);
    b = new BfdSession(params, 2, clock, (p) => {
      sent.push({ from: 'b', at: clock.t, p });
      if (wire.ba) a?.receive(decodeBfd(encodeBfd(p)));
    }, () => 0);
    return { clock, wire, sent, a, b };
  }

  it('comes Up with the three-way handshake, slow before Up, at the configured rate after', () => {
    const { clock, sent, a, b } = pair();
    a.start();
    b.start();
    clock.advance(999);
    assert.equal(sent.length, 0, 'nothing before the first 1 s interval (not Up: at least 1 s)');
    clock.advance(1);
    assert.equal(a.state, 'Up');
    assert.equal(b.state, 'Up');
    assert.equal(a.detectMs, 3000, 'detection from the peer\'s last advertised (slow) interval');
    const before = sent.length;
    clock.advance(1000);
    const perSecond = sent.slice(before).filter((x) => x.from === 'a' && !x.p.final).length;
    assert.ok(perSecond >= 9 && perSecond <= 11, `about 10 packets a second once Up, got ${perSecond}`);
    assert.equal(a.polling, false, 'the Poll Sequence ended with the peer\'s Final');
    assert.equal(a.detectMs, 300, 'then 3 x 100 ms');
  });

  it('goes Down within the detection time when the peer falls silent, and back Up when it speaks again', () => {
    const { clock, wire, a, b } = pair();
    a.start();
    b.start();
    clock.advance(2000);
    assert.equal(a.state, 'Up');
    const changes: string[] = [];
    a.onChange = (c) => changes.push(`${c.from}->${c.to}:${c.diag}`);
    wire.ba = false;
    clock.advance(299);
    assert.equal(a.state, 'Up', 'not before the detection time');
    clock.advance(101);
    assert.equal(a.state, 'Down');
    assert.deepEqual(changes, ['Up->Down:1'], 'diagnostic 1: control detection time expired');
    wire.ba = true;
    clock.advance(3000);
    assert.equal(a.state, 'Up');
    assert.equal(b.state, 'Up');
  });

  it('goes Down at once when the peer signals Down', () => {
    const { clock, a, b } = pair();
    a.start();
    b.start();
    clock.advance(2000);
    const changes: string[] = [];
    a.onChange = (c) => changes.push(`a ${c.from}->${c.to}:${c.diag}`);
    b.onChange = (c) => changes.push(`b ${c.from}->${c.to}:${c.diag}`);
    b.receive({ ...a.packet(), state: 'AdminDown' });
    // b goes Down (3), tells a, which goes Down (3); then both handshake back Up (the wire here is instantaneous)
    assert.deepEqual(changes.slice(0, 2), ['b Up->Down:3', 'a Up->Down:3']);
    assert.equal(a.state, 'Up');
  });
});
