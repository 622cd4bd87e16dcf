import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/runtime/clock.ts';
import type { Controller, ControllerContext, SyncKind } from '../../../src/runtime/controller.ts';
import { Supervisor } from '../../../src/runtime/supervisor.ts';
import { silentLogger } from '../../../src/obs/log.ts';

/** A scripted controller: records syncs, fails when told to. */
class Scripted implements Controller {
  readonly name: string;
  readonly syncPeriodMs: number;
  readonly watches: readonly string[];
  syncs: SyncKind[] = [];
  runs = 0;
  stops = 0;
  failNext = 0;
  failRun = 0;
  ctx: ControllerContext | null = null;
  syncDelayMs = 0;
  private clock: FakeClock;

  constructor(name: string, clock: FakeClock, periodMs = 60_000, watches: string[] = ['pods']) {
    this.name = name;
    this.syncPeriodMs = periodMs;
    this.watches = watches;
    this.clock = clock;
  }
  async run(ctx: ControllerContext): Promise<void> {
    this.runs++;
    this.ctx = ctx;
    if (this.failRun > 0) {
      this.failRun--;
      throw new Error('run failed');
    }
  }
  onUpdate(e: { type: string }): SyncKind | null {
    return e.type === 'relisted' ? 'full' : 'incremental';
  }
  async sync(kind: SyncKind): Promise<{ changed: number }> {
    if (this.syncDelayMs > 0) await this.clock.sleep(this.syncDelayMs);
    this.syncs.push(kind);
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error(`sync ${kind} failed`);
    }
    return { changed: 1 };
  }
  async stop(): Promise<void> {
    this.stops++;
  }
  async cleanup(): Promise<void> {}
}

function setup(...names: string[]) {
  const clock = new FakeClock();
  const ctrls = names.map((n) => new Scripted(n, clock));
  const sup = new Supervisor(ctrls, {
    clock,
    log: silentLogger(),
    graceMs: 10_000,
    loop: { syncBackoff: { random: () => 0 }, restartBackoff: { random: () => 0 } },
  });
  return { clock, ctrls, sup };
}

describe('runtime: controller loop and supervisor (fake clock)', () => {
  it('runs a full sync at start, then coalesces events into one incremental sync', async () => {
    const { clock, ctrls, sup } = setup('routes');
    const c = ctrls[0]!;
    sup.start();
    await clock.advance(0);
    assert.deepEqual(c.syncs, ['full']);
    for (let i = 0; i < 50; i++) sup.dispatch({ kind: 'pods', type: 'modified', key: `ns/p${i}` });
    await clock.advance(0);
    assert.deepEqual(c.syncs, ['full', 'incremental']);
    sup.dispatch({ kind: 'nodes', type: 'modified', key: 'n1' }); // not watched
    await clock.advance(0);
    assert.equal(c.syncs.length, 2);
    await sup.stop();
  });

  it('does a periodic full resync', async () => {
    const { clock, ctrls, sup } = setup('routes');
    sup.start();
    await clock.advance(0);
    await clock.advance(60_000);
    await clock.advance(60_000);
    assert.deepEqual(ctrls[0]!.syncs, ['full', 'full', 'full']);
    await sup.stop();
  });

  it('retries a failed sync with growing backoff and keeps it full when an incremental mark arrives', async () => {
    const { clock, ctrls, sup } = setup('firewall');
    const c = ctrls[0]!;
    c.failNext = 3;
    sup.start();
    await clock.advance(0);
    assert.deepEqual(c.syncs, ['full']);
    sup.dispatch({ kind: 'pods', type: 'added', key: 'a' });
    await clock.advance(499);
    assert.equal(c.syncs.length, 1, 'backoff holds the retry');
    await clock.advance(1);
    assert.deepEqual(c.syncs, ['full', 'full'], 'retry is still full');
    await clock.advance(999);
    assert.equal(c.syncs.length, 2);
    await clock.advance(1);
    assert.equal(c.syncs.length, 3);
    await clock.advance(2000);
    assert.deepEqual(c.syncs, ['full', 'full', 'full', 'full']);
    const s = sup.statuses()[0]!;
    assert.equal(s.failures, 3);
    assert.equal(s.consecutiveFailures, 0);
    assert.equal(s.lastError, null);
    await sup.stop();
  });

  it('restarts a crashed controller without touching the others', async () => {
    const { clock, ctrls, sup } = setup('routes', 'services');
    const [a, b] = [ctrls[0]!, ctrls[1]!];
    sup.start();
    await clock.advance(0);
    assert.deepEqual([a.runs, b.runs], [1, 1]);
    a.ctx!.fail(new Error('speaker died'));
    await clock.advance(0);
    assert.equal(a.stops, 1);
    assert.equal(sup.statuses()[0]!.state, 'crashed');
    await clock.advance(1000);
    assert.equal(a.runs, 2);
    assert.deepEqual(a.syncs, ['full', 'full'], 'restarted controller starts with a full sync');
    assert.deepEqual([b.runs, b.stops], [1, 0]);
    assert.deepEqual(b.syncs, ['full']);
    assert.equal(sup.statuses()[0]!.restarts, 1);
    await sup.stop();
  });

  it('restarts with backoff when Run itself fails', async () => {
    const { clock, ctrls, sup } = setup('routes');
    const c = ctrls[0]!;
    c.failRun = 2;
    sup.start();
    await clock.advance(0);
    assert.equal(c.runs, 1);
    await clock.advance(1000);
    assert.equal(c.runs, 2);
    await clock.advance(1999);
    assert.equal(c.runs, 2);
    await clock.advance(1);
    assert.equal(c.runs, 3);
    assert.deepEqual(c.syncs, ['full']);
    await sup.stop();
  });

  it('reports a controller unhealthy when its last success is older than period + grace', async () => {
    const { clock, ctrls, sup } = setup('routes');
    const c = ctrls[0]!;
    sup.start();
    await clock.advance(0);
    assert.equal(sup.health().healthy, true);
    c.failNext = 1000;
    await clock.advance(69_000);
    assert.equal(sup.health().healthy, true);
    await clock.advance(2_000);
    const h = sup.health();
    assert.equal(h.healthy, false);
    assert.match(h.controllers[0]!.reason, /last successful sync 71 s ago \(limit 70 s\); last error: sync full failed/);
    c.failNext = 0;
    await clock.advance(31_000);
    assert.equal(sup.health().healthy, true);
    await sup.stop();
  });

  it('reports a controller unhealthy when a cache it reads is stale', async () => {
    const clock = new FakeClock();
    const c = new Scripted('firewall', clock, 60_000, ['pods', 'namespaces']);
    const sup = new Supervisor([c], {
      clock,
      log: silentLogger(),
      cacheProblem: (kinds) => (kinds.includes('namespaces') ? 'cache namespaces: no word from the API server for 200 s' : null),
    });
    sup.start();
    await clock.advance(0);
    const h = sup.health();
    assert.equal(h.healthy, false);
    assert.match(h.controllers[0]!.reason, /namespaces/);
    await sup.stop();
  });

  it('stops cleanly: stop() waits for the loop and calls the controller stop', async () => {
    const { clock, ctrls, sup } = setup('routes');
    ctrls[0]!.syncDelayMs = 5_000;
    sup.start();
    await clock.advance(0);
    const stopping = sup.stop();
    await clock.advance(5_000);
    await stopping;
    assert.equal(ctrls[0]!.stops, 1);
    assert.equal(sup.statuses()[0]!.state, 'stopped');
  });
});
