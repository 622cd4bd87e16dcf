// Property-based fuzzing of the wire codec (fuzz tier): random and
// mutated-valid inputs to decodeMessage and the Framer must only ever throw
// BgpError, in bounded time; generated messages round-trip; any byte stream
// framed whole or chopped anywhere gives the same frames; the UPDATE builder
// returns every route. A non-BgpError escape is saved under
// test/fixtures/bgp/crashes/ and replayed by crashes.test.ts.
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import {
  BgpError,
  buildUpdates,
  buildWithdrawals,
  decodeMessage,
  encodeMessage,
  Framer,
  updateRoutes,
  validateUpdate,
  type BgpMessage,
  type UpdateMessage,
} from '../../../bgp/wire/index.ts';
import { parsePrefix, type Asn, type Prefix } from '../../../bgp/types.ts';
import { CONTEXTS, decodeSafely, ipv4, message, prefix, saveCrash } from './arbitraries.ts';

const contextName = fc.constantFrom(...Object.keys(CONTEXTS));
function withHeader(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(19 + body.length);
  out.fill(0xff, 0, 16);
  out[16] = out.length >> 8;
  out[17] = out.length & 255;
  out[18] = type;
  out.set(body, 19);
  return out;
}

/** Valid messages from every context, as seeds for mutation. */
const validFrame = contextName.chain((name) =>
  message(CONTEXTS[name] as NonNullable<(typeof CONTEXTS)[string]>)
    .map((m) => {
      try {
        return { name, bytes: encodeMessage(m, CONTEXTS[name] as NonNullable<(typeof CONTEXTS)[string]>) };
      } catch {
        return null;
      }
    })
    .filter((x): x is { name: string; bytes: Uint8Array } => x !== null),
);

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

/** Applies mutations to the body; the header length is fixed up afterwards so the body decoders are reached. */
function mutate(frame: Uint8Array, ms: readonly Mutation[], fixLength: boolean): Uint8Array {
  let b = [...frame];
  for (const m of ms) {
    const at = 19 + (b.length > 19 ? m.at % (b.length - 19 + 1) : 0);
    if (m.kind === 'flip' && at < b.length) b[at] = m.value;
    else if (m.kind === 'truncate') b = b.slice(0, Math.max(19, at));
    else if (m.kind === 'insert') b.splice(at, 0, ...m.bytes);
    else if (m.kind === 'delete') b.splice(at, m.n);
  }
  const out = Uint8Array.from(b);
  if (fixLength && out.length <= 65535) {
    out[16] = out.length >> 8;
    out[17] = out.length & 255;
  }
  return out;
}

describe('bgp/wire fuzz', function () {
  this.timeout(60_000);

  it('decodeMessage on random bodies of every type throws only BgpError', () => {
    fc.assert(
      fc.property(contextName, fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 600 }), (name, type, body) => {
        decodeSafely(name, withHeader(type, body));
      }),
      { numRuns: 40_000 },
    );
  });

  it('decodeMessage on random UPDATE bodies with plausible lengths throws only BgpError', () => {
    const attr = fc.tuple(fc.constantFrom(0x40, 0x80, 0xc0, 0x50, 0x90, 0xd0, 0xe0), fc.integer({ min: 0, max: 40 }), fc.uint8Array({ maxLength: 40 }));
    fc.assert(
      fc.property(contextName, fc.uint8Array({ maxLength: 20 }), fc.array(attr, { maxLength: 8 }), fc.uint8Array({ maxLength: 40 }), (name, wd, attrs, nlri) => {
        const a = attrs.flatMap(([flags, code, v]) => ((flags & 0x10) !== 0 ? [flags, code, v.length >> 8, v.length & 255, ...v] : [flags, code, v.length, ...v]));
        const body = Uint8Array.from([wd.length >> 8, wd.length & 255, ...wd, a.length >> 8, a.length & 255, ...a, ...nlri]);
        decodeSafely(name, withHeader(2, body));
      }),
      { numRuns: 40_000 },
    );
  });

  it('decodeMessage on mutated valid messages throws only BgpError', () => {
    fc.assert(
      fc.property(validFrame, fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), ({ name, bytes }, ms, fix) => {
        decodeSafely(name, mutate(bytes, ms, fix));
      }),
      { numRuns: 30_000 },
    );
  });

  it('generated messages round-trip through encode and decode', () => {
    fc.assert(
      fc.property(
        contextName.chain((name) => message(CONTEXTS[name] as NonNullable<(typeof CONTEXTS)[string]>).map((m) => ({ name, m }))),
        ({ name, m }) => {
          const ctx = CONTEXTS[name] as NonNullable<(typeof CONTEXTS)[string]>;
          let bytes: Uint8Array;
          try {
            bytes = encodeMessage(m, ctx);
          } catch (e) {
            // too large for this context's maximum message size
            fc.pre(!(e instanceof RangeError));
            throw e;
          }
          // structuredClone: fast-check records have a null prototype
          assert.deepStrictEqual(decodeMessage(bytes, ctx), structuredClone(m));
        },
      ),
      { numRuns: 8000 },
    );
  });

  it('the Framer yields the same frames however a valid stream is chopped', () => {
    fc.assert(
      fc.property(fc.array(validFrame, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, cutSeeds) => {
        const stream = Uint8Array.from(frames.flatMap((f) => [...f.bytes]));
        const cuts = [...new Set(cutSeeds.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const f = new Framer(65535);
        const out: Uint8Array[] = [];
        let prev = 0;
        for (const c of [...cuts, stream.length]) {
          out.push(...f.push(stream.subarray(prev, c)));
          prev = c;
        }
        assert.deepStrictEqual(out.map((x) => Buffer.from(x).toString('hex')), frames.map((x) => Buffer.from(x.bytes).toString('hex')));
        assert.equal(f.buffered, 0);
      }),
      { numRuns: 3000 },
    );
  });

  it('the Framer on random chopped bytes throws only BgpError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (bytes, cutSeeds, markerFirst) => {
        const stream = markerFirst ? Uint8Array.from([...new Uint8Array(16).fill(0xff), ...bytes]) : bytes;
        const cuts = [...new Set(cutSeeds.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const f = new Framer();
        let prev = 0;
        try {
          for (const c of [...cuts, stream.length]) {
            for (const frame of f.push(stream.subarray(prev, c))) decodeSafely('plain', frame);
            prev = c;
          }
        } catch (e) {
          if (!BgpError.is(e)) {
            saveCrash('stream', stream);
            throw e;
          }
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('the UPDATE builder returns every route exactly once within the size limit', () => {
    fc.assert(
      fc.property(
        contextName,
        fc.boolean(),
        fc.uniqueArray(fc.boolean().chain((v6) => prefix(v6)), { maxLength: 1500 }),
        ipv4,
        (name, withdraw, all, nh) => {
          const ctx = CONTEXTS[name] as NonNullable<(typeof CONTEXTS)[string]>;
          const max = ctx.extendedMessageTx ? 65535 : 4096;
          for (const family of ['ipv4-unicast', 'ipv6-unicast'] as const) {
            const prefixes = all.filter((p) => p.includes(':') === (family === 'ipv6-unicast'));
            const pathIds = prefixes.map((_, k) => k);
            const msgs = withdraw
              ? buildWithdrawals(family, prefixes, pathIds, ctx)
              : buildUpdates({ family, attributes: { origin: 0, asPath: [] }, nextHop: family === 'ipv4-unicast' ? nh : (parsePrefix('fd00::1/128').split('/')[0] as never), prefixes, pathIds }, ctx);
            const got: Prefix[] = [];
            for (const b of msgs) {
              assert.ok(b.length <= max);
              const r = updateRoutes(decodeMessage(b, ctx) as UpdateMessage);
              for (const l of (withdraw ? r.withdrawn : r.announced).values()) got.push(...l.prefixes);
            }
            assert.deepStrictEqual(got, prefixes);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('validateUpdate never throws and never mutates what the decoder produced', () => {
    fc.assert(
      fc.property(validFrame, fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 0xffffffff }), ({ name, bytes }, ebgp, enforceFirstAs, peer) => {
        const m = decodeMessage(bytes, CONTEXTS[name] as NonNullable<(typeof CONTEXTS)[string]>);
        if (m.type !== 'update') return;
        const before = structuredClone(m.attributes);
        const v = validateUpdate(m, { ebgp, enforceFirstAs, peerAsn: peer as Asn });
        assert.deepStrictEqual(m.attributes, before);
        assert.ok((v.errors?.length ?? 0) >= (m.errors?.length ?? 0));
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes arbitrary messages in every context without throwing anything else (sanity: real messages decode)', () => {
    fc.assert(
      fc.property(validFrame, ({ name, bytes }) => {
        const m: BgpMessage = decodeMessage(bytes, CONTEXTS[name] as NonNullable<(typeof CONTEXTS)[string]>);
        assert.ok(m.type.length > 0);
      }),
      { numRuns: 2000 },
    );
  });
});
