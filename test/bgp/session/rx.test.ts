// The receive side stays responsive under a big backlog: a peer floods a
// loopback TCP connection with messages whose processing takes ~0.5 ms each
// (like a 4096-octet UPDATE of ~800 prefixes into the RIB); while the backlog
// is worked through, timers fire and an HTTP request on another socket is
// answered promptly, the socket is paused (TCP backpressure) while over a
// MiB of messages waits, every message is delivered in order, and the end of
// stream comes only after the last one.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, get, type Server as HttpServer } from 'node:http';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { INBOX_HIGH_WATER, Receiver, TURN_BUDGET_MS } from '../../../bgp/session/rx.ts';

const MESSAGES = 2_000;
const WORK_MS = 0.5;

/** An UPDATE-typed frame of FRAME octets numbered in octets 21-22 (the Framer checks only the header). */
const FRAME = 1500;
function frame(i: number): Uint8Array {
  const f = new Uint8Array(FRAME);
  f.fill(0xff, 0, 16);
  f[16] = FRAME >> 8;
  f[17] = FRAME & 0xff;
  f[18] = 2;
  f[21] = i >> 8;
  f[22] = i & 0xff;
  return f;
}

const numberOf = (f: Uint8Array): number => ((f[21] ?? 0) << 8) | (f[22] ?? 0);

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

function listen<S extends Server | HttpServer>(s: S): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

describe('bgp/session/rx', function () {
  this.timeout(30_000);

  it('works a big backlog in bounded turns: timers and HTTP are served, the socket is paused above the high-water mark, order kept', async () => {
    const seen: number[] = [];
    let endedAt = -1;
    let doneAt = 0;
    let pausedWithBacklog = 0;
    let rx: Receiver | null = null;
    const finished = new Promise<void>((resolve) => {
      rx = new Receiver({
        frame: (f) => {
          seen.push(numberOf(f));
          busy(WORK_MS);
          if (seen.length === MESSAGES) doneAt = performance.now();
        },
        headerError: (e) => assert.fail(e.message),
        ended: () => {
          endedAt = seen.length;
          resolve();
        },
      });
    });
    const receiver = rx as unknown as Receiver;
    // the receiving end: our Receiver on an accepted socket, wired like session.ts does
    const server = createServer((s: Socket) => {
      receiver.attach(s);
      const pause = s.pause.bind(s);
      s.pause = () => {
        if (receiver.queued > 0) pausedWithBacklog++;
        return pause();
      };
      s.on('data', (c: Buffer) => receiver.push(c));
      s.on('end', () => receiver.end('peer closed'));
    });
    const http = createHttpServer((_req, res) => res.end(`served at ${seen.length}`));
    try {
      const port = await listen(server);
      const httpPort = await listen(http);
      // the flooding peer: everything written at once, then FIN
      const all = Buffer.concat(Array.from({ length: MESSAGES }, (_, i) => frame(i)));
      const client = connect(port, '127.0.0.1', () => client.end(all));
      // a 5 ms timer keeps firing while the backlog is processed: the longest gap between two ticks is the event loop's stall
      let last = performance.now();
      let worstGap = 0;
      let ticksDuring = 0;
      const ticker = setInterval(() => {
        const now = performance.now();
        worstGap = Math.max(worstGap, now - last);
        last = now;
        if (seen.length > 0 && seen.length < MESSAGES) ticksDuring++;
      }, 5);
      // once processing is under way, an HTTP request on another socket gets its answer before the backlog is done
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (seen.length > 100) {
            clearInterval(poll);
            resolve();
          }
        }, 1);
      });
      const t0 = performance.now();
      const { body, at } = await new Promise<{ body: string; at: number }>((resolve, reject) => {
        get({ host: '127.0.0.1', port: httpPort, path: '/', agent: false }, (res) => {
          let b = '';
          res.on('data', (c: Buffer) => (b += c.toString()));
          res.on('end', () => resolve({ body: b, at: performance.now() }));
        }).on('error', reject);
      });
      await finished;
      clearInterval(ticker);
      client.destroy();
      const servedAt = Number(/served at (\d+)/.exec(body)?.[1]);
      assert.ok(servedAt < MESSAGES, `HTTP answered while ${MESSAGES - servedAt} messages still waited (served at ${servedAt})`);
      assert.ok(at < doneAt, 'the HTTP answer arrived before the backlog was processed');
      assert.ok(at - t0 < 250, `HTTP answered in ${(at - t0).toFixed(0)} ms (the backlog takes ~${MESSAGES * WORK_MS} ms)`);
      assert.ok(ticksDuring >= 10, `timers fired ${ticksDuring} times during processing`);
      assert.ok(worstGap < TURN_BUDGET_MS + 60, `longest event-loop stall ${worstGap.toFixed(0)} ms`);
      assert.ok(MESSAGES * FRAME > 2 * INBOX_HIGH_WATER);
      assert.ok(pausedWithBacklog > 0, 'the socket was paused while more than the inbox high-water mark waited');
      assert.deepEqual(seen, Array.from({ length: MESSAGES }, (_, i) => i), 'every message, in order');
      assert.equal(endedAt, MESSAGES, 'the end of stream was reported after the last message');
    } finally {
      server.close();
      http.close();
    }
  });

  it('a busy consumer (promise) still holds input until it settles, across yields', async () => {
    const seen: number[] = [];
    let release: () => void = () => {};
    const rx = new Receiver({
      frame: (f) => {
        const i = numberOf(f);
        seen.push(i);
        busy(1);
        if (i === 50) return new Promise<void>((r) => (release = r));
        return undefined;
      },
      headerError: (e) => assert.fail(e.message),
      ended: () => {},
    });
    rx.push(Buffer.concat(Array.from({ length: 100 }, (_, i) => frame(i))));
    // at most one turn's worth ran synchronously
    assert.ok(seen.length <= TURN_BUDGET_MS + 2, `${seen.length} handled in the first turn`);
    const until = async (f: () => boolean): Promise<void> => {
      const end = Date.now() + 5_000;
      while (!f()) {
        assert.ok(Date.now() < end, 'timed out');
        await new Promise((r) => setImmediate(r));
      }
    };
    await until(() => seen.length === 51);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(seen.length, 51, 'nothing past the busy message');
    assert.ok(rx.backlog > 0);
    release();
    await until(() => seen.length === 100);
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i));
    assert.equal(rx.backlog, 0);
  });
});
