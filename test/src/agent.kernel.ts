// podnetd as a process in a network namespace (its "node"), against the
// embedded API server reached through the lab's TCP->unix forwarder: it serves
// /healthz (per-controller JSON too) and /metrics, answers `podnet status` on
// its root-only socket, follows the API server, and stops cleanly on SIGTERM.
// All three controllers run for real, so this lives in a namespace: nothing
// they program can reach the root namespace.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApiServer } from '../../src/lab/apiserver/index.ts';
import type { ApiServer } from '../../src/lab/apiserver/index.ts';

const podnetd = fileURLToPath(new URL('../../src/bin/podnetd.ts', import.meta.url));
const podnet = fileURLToPath(new URL('../../src/bin/podnet.ts', import.meta.url));
const forward = fileURLToPath(new URL('../../src/lab/forward.ts', import.meta.url));
const ns = `pnag${process.pid.toString(36)}`;
const hp = 20244;
const mp = 20245;

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
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

/** GET inside the namespace: the agent listens on the namespace's loopback. */
function get(url: string): Promise<{ status: number; body: string }> {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'curl', '-s', '-o', '-', '-w', '\n%{http_code}', url], { encoding: 'utf8' });
  const out = r.stdout ?? '';
  const i = out.lastIndexOf('\n');
  return Promise.resolve({ status: Number(out.slice(i + 1)), body: out.slice(0, i) });
}

const fetch = async (url: string) => {
  const r = await get(url);
  return { status: r.status, text: async () => r.body, json: async () => JSON.parse(r.body) as unknown };
};

describe('podnetd in a node namespace against the embedded API server', function () {
  this.timeout(60_000);
  let server: ApiServer;
  let dir: string;
  let agent: ChildProcess | null = null;
  let forwarder: ChildProcess | null = null;
  let stderr = '';
  let kubeconfig = '';

  before(async () => {
    spawnSync('ip', ['netns', 'del', ns]);
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    dir = mkdtempSync(join(tmpdir(), 'podnet-agent-'));
    const sock = join(dir, 'apiserver.sock');
    server = await startApiServer({ socketPath: sock });
    forwarder = spawn('ip', ['netns', 'exec', ns, process.execPath, forward, '--listen', 'tcp:127.0.0.1:6443', '--to', `unix:${sock}`], { stdio: 'ignore' });
    kubeconfig = join(dir, 'node-kubeconfig');
    writeFileSync(kubeconfig, readFileSync(server.kubeconfigPath, 'utf8').replace(/server: \S+/, 'server: http://127.0.0.1:6443'));
  });
  after(async () => {
    if (agent !== null && agent.exitCode === null) agent.kill('SIGKILL');
    forwarder?.kill('SIGKILL');
    await server.close();
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /healthz, /metrics and the management socket, then stops on SIGTERM', async () => {
    const socket = join(dir, 'run', 'podnetd.sock');
    // The node this agent runs on, on loopback: the routes controller starts its speaker
    // there (no peers, so it programs no kernel route).
    server.create('Node', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' }, spec: { podCIDRs: ['10.244.0.0/24'] } });
    server.updateStatus('Node', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' }, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] } });
    agent = spawn('ip', ['netns', 'exec', ns, process.execPath,
      podnetd,
      `--kubeconfig=${kubeconfig}`,
      '--hostname-override=node-a',
      '--health-addr=127.0.0.1',
      `--health-port=${hp}`,
      '--metrics-addr=127.0.0.1',
      `--metrics-port=${mp}`,
      `--api-socket=${socket}`,
      // --enable-cni (on by default) writes into the test's directory, not the host's /etc/cni
      `--cni-conf-file=${join(dir, '10-podnet.conflist')}`,
      '-v=1',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    agent.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));

    const health = await until('healthz 200', async () => {
      const r = await fetch(`http://127.0.0.1:${hp}/healthz`);
      return r.status === 200 ? r.text() : undefined;
    });
    assert.equal(health, 'OK\n');
    type Verbose = {
      healthy: boolean;
      controllers: { name: string; healthy: boolean; reason: string; status: { syncs: number } }[];
      caches: { resource: string; synced: boolean }[];
    };
    let last: Verbose | undefined;
    const verbose = await until('every controller to sync once', async () => {
      last = (await (await fetch(`http://127.0.0.1:${hp}/healthz?verbose`)).json()) as Verbose;
      return last.controllers.every((c) => c.status.syncs >= 1) ? last : undefined;
    }).catch((e: unknown) => {
      throw new Error(`${String(e)}: ${JSON.stringify(last?.controllers)}\n${stderr}`);
    });
    assert.equal(verbose.healthy, true);
    assert.deepEqual(verbose.controllers.map((c) => c.name), ['routes', 'firewall', 'services']);
    assert.ok(verbose.controllers.every((c) => c.healthy && c.status.syncs >= 1));
    assert.deepEqual(verbose.caches.map((c) => c.resource).sort(), ['endpointslices', 'namespaces', 'networkpolicies', 'nodes', 'pods', 'services']);

    const metrics = await (await fetch(`http://127.0.0.1:${mp}/metrics`)).text();
    assert.match(metrics, /^podnet_controller_sync_duration_seconds_count\{controller="routes",kind="full",result="ok"\} [1-9]/m);
    assert.match(metrics, /^podnet_controller_healthy\{controller="firewall"\} 1$/m);
    assert.match(metrics, /^podnet_build_info\{version="\d+\.\d+\.\d+",node_version="v26\.[^"]+"\} 1$/m);
    assert.match(metrics, /^podnet_k8s_relists_total\{resource="pods",reason="initial"\} 1$/m);

    // The management socket is root-only and `podnet status` reads it.
    assert.equal(statSync(socket).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'run')).mode & 0o777, 0o700);
    server.create('Namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
    const st = await until('the namespace in the agent cache', async () => {
      const r = spawnSync(process.execPath, [podnet, '--socket', socket, 'status', '-j'], { encoding: 'utf8' });
      const j = JSON.parse(r.stdout) as { node: string; caches: { resource: string; objects: number }[] };
      return j.caches.find((c) => c.resource === 'namespaces')?.objects === server.list('Namespace').items.length ? j : undefined;
    });
    assert.equal(st.node, 'node-a');
    const table = spawnSync(process.execPath, [podnet, '--socket', socket, 'status'], { encoding: 'utf8' });
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /^podnetd \S+ on node node-a: healthy/);
    assert.match(table.stdout, /^routes\s+yes\s+running\s+\d+/m);

    // --enable-cni: the conflist follows the node's pod CIDRs, written atomically (no temporary file left)
    const conf = await until('the CNI conflist', async () => JSON.parse(readFileSync(join(dir, '10-podnet.conflist'), 'utf8')) as { name: string; plugins: { ipam: { ranges: unknown } }[] });
    assert.equal(conf.name, 'podnet');
    assert.deepEqual(conf.plugins[0]?.ipam.ranges, [[{ subnet: '10.244.0.0/24' }]]);
    server.patch('Node', 'node-a', undefined, 'merge', { spec: { podCIDRs: ['10.244.0.0/24', 'fd00:244::/64'] } });
    await until('the conflist with the IPv6 range', async () => {
      const c = JSON.parse(readFileSync(join(dir, '10-podnet.conflist'), 'utf8')) as { plugins: { ipam: { ranges: unknown[] } }[] };
      return c.plugins[0]?.ipam.ranges.length === 2 ? true : undefined;
    });
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temporary file left');

    const exited = new Promise<number | null>((r) => agent?.once('exit', (code) => r(code)));
    agent.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /shutting down; the data plane is left as it is/);

    // cleanup removes the conflist only when it is podnet's
    const confFile = join(dir, '10-podnet.conflist');
    const cleanup = (): void => void spawnSync('ip', ['netns', 'exec', ns, process.execPath, podnetd, '--cleanup-config', '--master=http://127.0.0.1:1', `--cni-conf-file=${confFile}`, `--api-socket=${join(dir, 'cleanup.sock')}`], { timeout: 20_000 });
    cleanup();
    assert.equal(readdirSync(dir).includes('10-podnet.conflist'), false, 'our conflist is removed');
    writeFileSync(confFile, JSON.stringify({ cniVersion: '1.0.0', name: 'another-cni', plugins: [] }));
    cleanup();
    assert.equal(readdirSync(dir).includes('10-podnet.conflist'), true, 'a conflist that is not ours stays');
  });

});
