// Backpressure both ways over real TCP on loopback: A's UPDATEs are pulled
// from a source only while its socket has room; B's consumer is stalled, so B
// pauses its socket and TCP stops A. Userland buffers stay bounded, the hold
// timer at B does not expire while received messages wait, a KEEPALIVE from A
// goes out ahead of A's unsent backlog, and everything arrives in order once
// B's consumer resumes.
import assert from 'node:assert/strict';
import type { PeerConfig } from '../../../bgp/session/peer.ts';
import type { UpdateMessage } from '../../../bgp/wire/index.ts';
import { AS_A, AS_B, ID_A, ID_B, cleanup, makeSide, portOf, prefixOf, settle, updateSource, waitFor, type Side } from './harness.ts';

const TOTAL = 6_000; // ~12 MB of UPDATEs: more than loopback socket buffers hold
const PER_MESSAGE = 400;

interface Flood {
  a: Side;
  b: Side;
  pulled: () => number;
  size: () => number;
  /** First prefix of each UPDATE B's consumer saw, in order. */
  received: string[];
  /** Updates B had consumed when each Established KEEPALIVE arrived. */
  keepaliveAfter: number[];
  release: () => void;
}

async function flood(aConfig: Partial<PeerConfig> = {}): Promise<Flood> {
  const received: string[] = [];
  const keepaliveAfter: number[] = [];
  const { promise, resolve: release } = Promise.withResolvers<void>();
  let gate: Promise<void> | null = promise;
  const b = await makeSide(
    { remoteAddress: '127.0.0.1', localAsn: AS_B, peerAsn: AS_A, routerId: ID_B, passive: true, listenOn: '127.0.0.2' },
    {
      onUpdate: (m: UpdateMessage) => {
        received.push(m.nlri.prefixes[0] ?? '');
        return gate ?? undefined;
      },
    },
  );
  const prev = b.peer.hooks.onEvent;
  b.peer.hooks.onEvent = (c) => {
    prev?.(c);
    if (c.event === 'KeepAliveMsg' && c.from === 'Established') keepaliveAfter.push(received.length);
  };
  let src: ReturnType<typeof updateSource> | null = null;
  const a = await makeSide(
    { remoteAddress: '127.0.0.2', remotePort: portOf(b), localAddress: '127.0.0.1', localAsn: AS_A, peerAsn: AS_B, routerId: ID_A, ...aConfig },
    {
      nextUpdate: (info) => {
        src ??= updateSource(info.capabilities.context, TOTAL, PER_MESSAGE);
        return src.next();
      },
    },
  );
  b.peer.start();
  a.peer.start();
  await waitFor(() => a.peer.state === 'Established' && b.peer.state === 'Established', 'both Established');
  return {
    a,
    b,
    pulled: () => src?.pulled() ?? 0,
    size: () => src?.size ?? 0,
    received,
    keepaliveAfter,
    release: () => {
      gate = null;
      release();
    },
  };
}

/** Waits until A stops pulling: TCP has pushed back all the way. */
async function untilStalled(f: Flood): Promise<void> {
  let last = -1;
  let stable = 0;
  await waitFor(() => {
    const n = f.pulled();
    stable = n === last && n > 0 ? stable + 1 : 0;
    last = n;
    return stable >= 15;
  }, 'A to stop pulling', 10_000);
  await settle(50);
}

describe('bgp/session backpressure over TCP', function () {
  this.timeout(20_000);
  afterEach(cleanup);

  it('a stalled consumer paces the flooding peer through TCP; buffers stay bounded; the hold timer waits for queued input', async () => {
    const f = await flood();
    await untilStalled(f);
    const pulled = f.pulled();
    const sa = f.a.peer.sessions[0];
    const sb = f.b.peer.sessions[0];
    assert.ok(sa !== undefined && sb !== undefined);
    // B consumed one UPDATE and stopped; A stopped pulling long before the end of its source
    assert.equal(f.received.length, 1);
    assert.ok(pulled < TOTAL / 2, `A pulled ${pulled} of ${TOTAL}`);
    // our userland buffers: A's socket queue is at most a high-water mark plus one message; B holds at most about a chunk
    assert.equal(sa.tx.highWaterMark, 16 * 1024);
    assert.ok(sa.tx.queuedBytes <= sa.tx.highWaterMark + f.size(), `A queued ${sa.tx.queuedBytes} bytes`);
    assert.ok(sb.backlog > 0 && sb.backlog <= 256 * 1024, `B backlog ${sb.backlog} bytes`);
    assert.ok(sa.tx.stats.drainWaits >= 1);

    // B's hold time (9 s) passes without any message processed: queued input counts as liveness
    await f.b.clock.advance(20_000);
    assert.equal(f.b.peer.state, 'Established');
    assert.ok(sb.stats.holdDeferred >= 1, `hold deferred ${sb.stats.holdDeferred} times`);

    f.release();
    await waitFor(() => f.received.length === TOTAL, `all ${TOTAL} UPDATEs at B`, 15_000);
    for (let m = 0; m < TOTAL; m++) if (f.received[m] !== prefixOf(m * PER_MESSAGE)) assert.fail(`UPDATE ${m} out of order: ${f.received[m]}`);
    assert.equal(f.pulled(), TOTAL);

    // now nothing is queued and A (whose clock stands still) sends nothing: B's hold timer expires
    assert.equal(sb.backlog, 0);
    await f.b.clock.advance(9_000);
    await waitFor(() => f.b.downs.length === 1, 'B down on hold timer');
    assert.deepEqual([f.b.downs[0]?.sent?.code, f.b.downs[0]?.sent?.subcode], [4, 0]);
  });

  it('a KEEPALIVE goes out while the UPDATE backlog is pending, ahead of every UPDATE not yet pulled', async () => {
    const f = await flood();
    await untilStalled(f);
    const sa = f.a.peer.sessions[0];
    assert.ok(sa !== undefined);
    const pulledAtKeepalive = f.pulled();
    const priorityBefore = sa.tx.stats.priorityMessages;
    const queuedBefore = sa.tx.queuedBytes;
    await f.a.clock.advance(3_000);
    // written at once, without pulling more UPDATEs first, behind at most one high-water mark of UPDATE bytes
    assert.equal(sa.tx.stats.priorityMessages, priorityBefore + 1);
    assert.equal(f.pulled(), pulledAtKeepalive);
    assert.ok(queuedBefore <= sa.tx.highWaterMark + f.size(), `A queued ${queuedBefore} bytes`);
    assert.ok(pulledAtKeepalive < TOTAL / 2);

    f.release();
    await waitFor(() => f.keepaliveAfter.length >= 1, 'the KEEPALIVE at B');
    // B read exactly the UPDATEs pulled before the KEEPALIVE, then the KEEPALIVE: not the whole backlog
    assert.equal(f.keepaliveAfter[0], pulledAtKeepalive);
    await waitFor(() => f.received.length === TOTAL, `all ${TOTAL} UPDATEs at B`, 15_000);
  });

  it('a peer that stops reading is dropped after the send hold time (RFC 9687), its KEEPALIVEs notwithstanding', async () => {
    const f = await flood({ sendHoldTimeS: 30 });
    await untilStalled(f);
    // B keeps sending KEEPALIVEs (A reads them, so A's hold timer never expires) but never reads
    for (let t = 3_000; t < 30_000; t += 3_000) {
      await f.b.clock.advance(3_000);
      await f.a.clock.advance(3_000);
      assert.equal(f.a.peer.state, 'Established', `A at ${t} ms`);
    }
    await f.b.clock.advance(3_000);
    await f.a.clock.advance(3_000);
    await waitFor(() => f.a.downs.length === 1, 'A down on the send hold timer');
    assert.match(f.a.downs[0]?.reason ?? '', /send hold timer expired/);
    assert.equal(f.a.downs[0]?.sent?.code, 8);
    // the connection was reset (RST), not left to flush: B's next write (a KEEPALIVE) finds it gone
    await f.b.clock.advance(3_000);
    await waitFor(() => f.b.downs.length === 1, 'B down');
    assert.match(f.b.downs[0]?.reason ?? '', /TCP connection failed: .*(ECONNRESET|EPIPE)/);
    assert.equal(f.b.peer.state, 'Idle');
  });
});
