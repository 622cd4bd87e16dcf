// Unit: the TCP <-> unix-socket forwarder carries bytes both ways (root
// namespace loopback and a temporary unix socket only).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEndpoint, startForwarder } from '../../../src/lab/forward.ts';

describe('lab forwarder', function () {
  it('parses endpoints', function () {
    assert.deepEqual(parseEndpoint('tcp:127.0.0.1:6443'), { kind: 'tcp', host: '127.0.0.1', port: 6443 });
    assert.deepEqual(parseEndpoint('tcp:[::1]:80'), { kind: 'tcp', host: '::1', port: 80 });
    assert.deepEqual(parseEndpoint('unix:/run/x.sock'), { kind: 'unix', path: '/run/x.sock' });
    assert.throws(() => parseEndpoint('udp:1.2.3.4:5'), /bad endpoint/);
    assert.throws(() => parseEndpoint('tcp:1.2.3.4:70000'), /bad endpoint/);
  });

  it('pipes a TCP client through a unix socket to a TCP server and back', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-fwd-'));
    const echo = createServer((s) => s.on('data', (d: Buffer) => s.end(Buffer.concat([Buffer.from('got:'), d]))));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const sock = join(dir, 'api.sock');
    const toServer = await startForwarder({ kind: 'unix', path: sock }, { kind: 'tcp', host: '127.0.0.1', port: (echo.address() as AddressInfo).port });
    const front = await startForwarder({ kind: 'tcp', host: '127.0.0.1', port: 0 }, { kind: 'unix', path: sock });
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const c = connect({ host: '127.0.0.1', port: (front.server.address() as AddressInfo).port }, () => c.write('hello'));
        let b = '';
        c.on('data', (d: Buffer) => (b += d.toString()));
        c.on('end', () => resolve(b));
        c.on('error', reject);
      });
      assert.equal(reply, 'got:hello');
    } finally {
      front.close();
      toServer.close();
      echo.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('close() drops open connections on both sides (a long watch does not keep it alive)', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-fwd-'));
    let serverSide: Socket | undefined;
    const upstreamClosed = new Promise<void>((resolve) => {
      const srv = createServer((s) => {
        serverSide = s;
        s.on('close', () => {
          srv.close();
          resolve();
        });
      });
      srv.listen(join(dir, 'up.sock'));
    });
    const front = await startForwarder({ kind: 'tcp', host: '127.0.0.1', port: 0 }, { kind: 'unix', path: join(dir, 'up.sock') });
    try {
      const c = connect({ host: '127.0.0.1', port: (front.server.address() as AddressInfo).port });
      const clientClosed = new Promise<void>((resolve) => c.on('close', () => resolve()));
      c.on('error', () => undefined);
      await new Promise<void>((resolve) => {
        const t = setInterval(() => {
          if (serverSide !== undefined) {
            clearInterval(t);
            resolve();
          }
        }, 5);
      });
      front.close();
      await Promise.all([clientClosed, upstreamClosed]);
    } finally {
      front.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
