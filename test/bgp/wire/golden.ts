// Test helpers for the wire codec: annotated hex fixtures (`hex` strips
// "# comments" and whitespace) and the four-way golden check of
// ../shared/docs/STYLE.md: decode, encode, round-trip, and split at every
// byte boundary through the Framer.
import assert from 'node:assert/strict';
import { DEFAULT_WIRE_CONTEXT, Framer, decodeMessage, encodeMessage, maxRxLength, type BgpMessage, type WireContext } from '../../../bgp/wire/index.ts';

/** Parses annotated hex: everything after '#' on a line is a comment. */
export function hex(strings: TemplateStringsArray, ...values: unknown[]): Uint8Array {
  let text = '';
  strings.forEach((s, k) => {
    text += s;
    if (k < values.length) {
      const v = values[k];
      text += v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v);
    }
  });
  const digits = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join('')
    .replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`bad hex fixture: ${digits}`);
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** The 16-octet marker, for use inside hex`` fixtures. */
export const MARKER = 'ff'.repeat(16);

export interface Golden {
  readonly name: string;
  readonly message: BgpMessage;
  readonly bytes: Uint8Array;
  readonly ctx?: WireContext;
  /** When decoding yields something other than `message` (e.g. Partial bit added), the expected decode. */
  readonly decoded?: BgpMessage;
}

/** Feeds `stream` to a fresh framer cut at `cuts`; returns the frames. */
export function frameChunks(stream: Uint8Array, cuts: readonly number[], maxLength?: number): Uint8Array[] {
  const f = new Framer(maxLength);
  const frames: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...cuts, stream.length]) {
    frames.push(...f.push(stream.subarray(prev, c)));
    prev = c;
  }
  assert.equal(f.buffered, 0, 'framer holds no leftover bytes');
  return frames;
}

/** Registers the four golden checks of one fixture as mocha tests. */
export function goldenTests(g: Golden): void {
  const ctx = g.ctx ?? DEFAULT_WIRE_CONTEXT;
  const expected = g.decoded ?? g.message;
  describe(g.name, () => {
    it('decodes', () => {
      assert.deepStrictEqual(decodeMessage(g.bytes, ctx), expected);
    });
    it('encodes', () => {
      assert.equal(toHex(encodeMessage(g.message, ctx)), toHex(g.bytes));
    });
    it('round-trips', () => {
      assert.deepStrictEqual(decodeMessage(encodeMessage(g.message, ctx), ctx), expected);
    });
    it('frames identically when split at every byte boundary', () => {
      const ka = hex`${MARKER} 0013 04`;
      const stream = new Uint8Array(ka.length + g.bytes.length + ka.length);
      stream.set(ka, 0);
      stream.set(g.bytes, ka.length);
      stream.set(ka, ka.length + g.bytes.length);
      for (let cut = 1; cut < stream.length; cut++) {
        const frames = frameChunks(stream, [cut], maxRxLength(ctx));
        assert.equal(frames.length, 3, `cut at ${cut}`);
        assert.equal(toHex(frames[1] as Uint8Array), toHex(g.bytes), `cut at ${cut}`);
        assert.deepStrictEqual(decodeMessage(frames[1] as Uint8Array, ctx), expected, `cut at ${cut}`);
      }
      // and one byte at a time
      const cuts = Array.from({ length: stream.length - 1 }, (_, k) => k + 1);
      assert.deepStrictEqual(frameChunks(stream, cuts, maxRxLength(ctx)).map(toHex), [toHex(ka), toHex(g.bytes), toHex(ka)]);
    });
  });
}

/** A WireContext with some fields changed. */
export function ctxWith(over: Partial<WireContext>): WireContext {
  return { ...DEFAULT_WIRE_CONTEXT, ...over };
}

/** An UPDATE frame from its three fields (annotated hex each); lengths are computed. */
export function updateBytes(withdrawn: Uint8Array, attributes: Uint8Array, nlri: Uint8Array): Uint8Array {
  const length = 23 + withdrawn.length + attributes.length + nlri.length;
  const out = new Uint8Array(length);
  out.fill(0xff, 0, 16);
  out[16] = length >> 8;
  out[17] = length & 255;
  out[18] = 2;
  let o = 19;
  out[o++] = withdrawn.length >> 8;
  out[o++] = withdrawn.length & 255;
  out.set(withdrawn, o);
  o += withdrawn.length;
  out[o++] = attributes.length >> 8;
  out[o++] = attributes.length & 255;
  out.set(attributes, o);
  out.set(nlri, o + attributes.length);
  return out;
}

export const NONE = new Uint8Array(0);
