// podnetd against an unreachable API server: it stays up, reports unhealthy
// on /healthz naming the cache that never heard from the server, and starts
// no controller (so it programs nothing). The full agent runs in a namespace:
// test/src/agent.kernel.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApiServer } from '../../src/lab/apiserver/index.ts';
import type { ApiServer } from '../../src/lab/apiserver/index.ts';

const podnetd = fileURLToPath(new URL('../../src/bin/podnetd.ts', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('podnetd against the embedded API server', function () {
  this.timeout(60_000);
  let server: ApiServer;
  let dir: string;
  let agent: ChildProcess | null = null;
  let stderr = '';

  beforeEach(async () => {
    server = await startApiServer();
    dir = mkdtempSync(join(tmpdir(), 'podnet-agent-'));
  });
  afterEach(async () => {
    if (agent !== null && agent.exitCode === null) agent.kill('SIGKILL');
    agent = null;
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports unhealthy, not crashing, while the API server is unreachable', async () => {
    const hp = await freePort();
    const dead = await freePort();
    agent = spawn(process.execPath, [
      podnetd,
      `--master=http://127.0.0.1:${dead}`,
      '--hostname-override=node-b',
      '--health-addr=127.0.0.1',
      `--health-port=${hp}`,
      `--api-socket=${join(dir, 'podnetd.sock')}`,
      '--cache-sync-timeout=2s',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    agent.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const body = await until('healthz 500', async () => {
      const r = await fetch(`http://127.0.0.1:${hp}/healthz`);
      return r.status === 500 ? r.text() : undefined;
    });
    assert.match(body, /^Unhealthy\nroutes: cache nodes: never heard from the API server/);
    await until('the cache-sync timeout to be logged', async () => (/still waiting for the Kubernetes caches/.test(stderr) ? true : undefined));
    assert.equal(agent.exitCode, null, 'the agent keeps running');
    agent.kill('SIGTERM');
  });
});
