// Replays the crash corpus of test/fixtures/bgp/crashes/: every saved input
// must decode or throw BgpError only, quickly, with well-formed output.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { BgpError, Framer } from '../../../bgp/wire/index.ts';
import { CONTEXTS, crashDir, decodeSafely } from './arbitraries.ts';

const files = readdirSync(crashDir).filter((f) => f.endsWith('.bin'));

describe('bgp/wire crash corpus', () => {
  it('has entries', () => {
    assert.ok(files.length > 0);
  });
  for (const file of files) {
    it(file, () => {
      const bytes = new Uint8Array(readFileSync(crashDir + file));
      const context = file.slice(0, file.indexOf('-'));
      if (context === 'stream') {
        const f = new Framer();
        let threw: unknown = null;
        try {
          for (let i = 0; i < bytes.length; i++) for (const frame of f.push(bytes.subarray(i, i + 1))) decodeSafely('plain', frame);
        } catch (e) {
          threw = e;
        }
        assert.ok(threw === null || BgpError.is(threw), String(threw));
        return;
      }
      assert.ok(CONTEXTS[context] !== undefined, `known context ${context}`);
      decodeSafely(context, bytes);
    });
  }
});
