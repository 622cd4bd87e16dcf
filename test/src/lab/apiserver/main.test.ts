// The CLI entry (src/lab/apiserver/main.ts): prints the kubeconfig path,
// serves kubectl through it, and exits cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Kubectl, eventually } from './kubectl-harness.ts';

const MAIN = fileURLToPath(new URL('../../../../src/lab/apiserver/main.ts', import.meta.url));

describe('lab/apiserver: main.ts CLI', () => {
  it('prints the kubeconfig path, serves kubectl, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-apiserver-main-'));
    const path = join(dir, 'kubeconfig');
    const child = spawn(process.execPath, [MAIN, '--kubeconfig', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const kubectl = new Kubectl(path);
    try {
      const printed = await eventually(() => (out.includes('\n') ? out.split('\n')[0] : undefined), 10_000, 'kubeconfig path');
      assert.equal(printed, path);
      const cfg = parse(readFileSync(path, 'utf8')) as { clusters: { cluster: { server: string } }[] };
      assert.match(cfg.clusters[0]?.cluster.server ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(await kubectl.ok(['get', 'namespaces', '-o', 'name']), /namespace\/default\nnamespace\/kube-node-lease\nnamespace\/kube-public\nnamespace\/kube-system/);
      if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      kubectl.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
