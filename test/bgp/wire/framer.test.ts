// The split-safe framer: zero-copy for whole messages in a chunk, assembly
// across chunks, header errors as soon as the header is in, and the
// 4096 -> 65535 switch after Extended Message is negotiated.
import assert from 'node:assert/strict';
import { BgpError, Framer } from '../../../bgp/wire/index.ts';
import { hex, MARKER, toHex } from './golden.ts';

const KA = hex`${MARKER} 0013 04`;
const RR = hex`${MARKER} 0017 05 0001 00 01`;

function cat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

function bigUpdate(length: number): Uint8Array {
  const b = new Uint8Array(length);
  b.fill(0xff, 0, 16);
  b[16] = length >> 8;
  b[17] = length & 255;
  b[18] = 2;
  return b;
}

describe('bgp/wire Framer', () => {
  it('returns whole messages in one chunk as zero-copy subarrays', () => {
    const chunk = cat(KA, RR, KA);
    const frames = new Framer().push(chunk);
    assert.deepStrictEqual(frames.map(toHex), [toHex(KA), toHex(RR), toHex(KA)]);
    for (const f of frames) assert.equal(f.buffer, chunk.buffer);
  });

  it('assembles a message cut in the header and in the body, and keeps count of what it holds', () => {
    const f = new Framer();
    assert.deepStrictEqual(f.push(RR.subarray(0, 10)), []);
    assert.equal(f.buffered, 10);
    assert.deepStrictEqual(f.push(RR.subarray(10, 20)), []);
    assert.equal(f.buffered, 20);
    const out = f.push(cat(RR.subarray(20), KA.subarray(0, 3)));
    assert.deepStrictEqual(out.map(toHex), [toHex(RR)]);
    assert.equal(f.buffered, 3);
    assert.deepStrictEqual(f.push(KA.subarray(3)).map(toHex), [toHex(KA)]);
    assert.equal(f.buffered, 0);
  });

  it('accepts empty chunks', () => {
    const f = new Framer();
    assert.deepStrictEqual(f.push(new Uint8Array(0)), []);
    f.push(KA.subarray(0, 5));
    assert.deepStrictEqual(f.push(new Uint8Array(0)), []);
    assert.deepStrictEqual(f.push(KA.subarray(5)).map(toHex), [toHex(KA)]);
  });

  it('reports a too-long message as soon as its header is in, with the length as data', () => {
    const f = new Framer();
    const header = bigUpdate(5000).subarray(0, 19);
    assert.throws(() => f.push(header), (e: unknown) => BgpError.is(e) && e.code === 1 && e.subcode === 2 && toHex(e.data) === '1388');
  });

  it('reports a bad marker in the second message and stays failed', () => {
    const f = new Framer();
    const bad = Uint8Array.from(KA);
    bad[3] = 0;
    assert.throws(() => f.push(cat(KA, bad)), (e: unknown) => BgpError.is(e) && e.code === 1 && e.subcode === 1);
    assert.throws(() => f.push(KA), (e: unknown) => BgpError.is(e) && e.subcode === 1);
  });

  it('reports a bad type from a header completed across chunks', () => {
    const f = new Framer();
    f.push(hex`${MARKER} 00`);
    assert.throws(() => f.push(hex`13 07`), (e: unknown) => BgpError.is(e) && e.code === 1 && e.subcode === 3 && toHex(e.data) === '07');
  });

  it('accepts up to 65535 octets once the limit is raised (RFC 8654)', () => {
    const big = bigUpdate(65535);
    assert.throws(() => new Framer().push(big), (e: unknown) => BgpError.is(e) && e.subcode === 2);
    const f = new Framer();
    f.maxLength = 65535;
    const frames = [...f.push(big.subarray(0, 30000)), ...f.push(big.subarray(30000))];
    assert.equal(frames.length, 1);
    assert.equal(frames[0]?.length, 65535);
    assert.throws(() => {
      f.maxLength = 70000;
    }, RangeError);
  });
});
