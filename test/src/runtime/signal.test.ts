import assert from 'node:assert/strict';
import { CoalescingSignal } from '../../../src/runtime/signal.ts';
import { Backoff } from '../../../src/runtime/backoff.ts';

describe('CoalescingSignal', () => {
  it('collapses many marks into one pending sync', () => {
    const s = new CoalescingSignal();
    for (let i = 0; i < 100; i++) s.mark('incremental');
    assert.equal(s.take(), 'incremental');
    assert.equal(s.take(), null);
    assert.equal(s.markCount(), 100);
  });

  it('never downgrades a pending full sync', () => {
    const s = new CoalescingSignal();
    s.mark('incremental');
    assert.equal(s.mark('full'), 'full');
    assert.equal(s.mark('incremental'), 'full');
    assert.equal(s.take(), 'full');
    s.mark('incremental');
    assert.equal(s.take(), 'incremental');
  });

  it('wakes a waiter on mark and at once when work is already pending', async () => {
    const s = new CoalescingSignal();
    let woke = false;
    const w = s.wait().then(() => (woke = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(woke, false);
    s.mark('incremental');
    await w;
    assert.equal(woke, true);
    await s.wait(); // pending already: resolves without a mark
  });

  it('releases a waiter on abort', async () => {
    const s = new CoalescingSignal();
    const ac = new AbortController();
    const w = s.wait(ac.signal);
    ac.abort();
    await w;
    assert.equal(s.peek(), null);
  });
});

describe('Backoff', () => {
  it('grows exponentially to the cap and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5, random: () => 0 });
    assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000, 1000]);
    assert.equal(b.failures(), 6);
    b.reset();
    assert.equal(b.next(), 100);
  });

  it('applies jitter within bounds', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 1000, factor: 2, jitter: 0.2, random: () => 0.999 });
    const d = b.next();
    assert.ok(d >= 800 && d <= 1000, String(d));
  });
});
