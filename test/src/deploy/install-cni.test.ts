// podnet-install-cni: the conflist it writes is the lab's (podNetworkConfList)
// for the node's podCIDRs, found through a list of nodes with a field selector.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InstallError, fetchPodCidrs, fillConfList, installCni, podCidrsOf } from '../../../src/deploy/install-cni.ts';
import { cniTemplate } from '../../../src/deploy/manifests.ts';
import type { Transport } from '../../../src/k8s/transport.ts';
import { startApiServer } from '../../../src/lab/apiserver/index.ts';
import type { ApiServer } from '../../../src/lab/apiserver/index.ts';
import { podNetworkConfList } from '../../../src/lab/cni.ts';
import { repoRoot } from './load.ts';

function fakeApi(nodes: Record<string, { podCIDR?: string; podCIDRs?: string[] }>): { transport: Transport; calls: string[] } {
  const calls: string[] = [];
  const transport: Transport = {
    getJson(path, query) {
      calls.push(`${path}?${new URLSearchParams(query).toString()}`);
      const name = /^metadata\.name=(.*)$/.exec(query['fieldSelector'] ?? '')?.[1];
      const items = Object.entries(nodes).filter(([n]) => n === name).map(([n, spec]) => ({ metadata: { name: n }, spec }));
      return Promise.resolve({ metadata: { resourceVersion: '7' }, items });
    },
    watch() {
      throw new Error('the installer does not watch');
    },
  };
  return { transport, calls };
}

describe('podnet-install-cni', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'podnet-cni-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers spec.podCIDRs (dual stack) and falls back to spec.podCIDR', () => {
    assert.deepEqual(podCidrsOf({ spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'] } }), ['10.244.1.0/24', 'fd00:10:244:1::/64']);
    assert.deepEqual(podCidrsOf({ spec: { podCIDR: '10.244.2.0/24' } }), ['10.244.2.0/24']);
    assert.deepEqual(podCidrsOf({ spec: {} }), []);
  });

  it('fills host-local ranges, one range set per family, keeping the rest of the template (e.g. an edited MTU)', () => {
    const edited = cniTemplate().replace('"mtu": 1450', '"mtu": 8950');
    const out = JSON.parse(fillConfList(edited, ['10.244.1.0/24', 'fd00:10:244:1::/64'])) as unknown;
    assert.deepEqual(out, podNetworkConfList(['10.244.1.0/24', 'fd00:10:244:1::/64'], { mtu: 8950 }));
  });

  it('refuses a node without podCIDRs, a template without host-local and one that is not JSON', () => {
    assert.throws(() => fillConfList(cniTemplate(), []), (e: unknown) => e instanceof InstallError && /podCIDR/.test(e.message));
    assert.throws(() => fillConfList('{"plugins":[{"type":"bridge"}]}', ['10.244.1.0/24']), /no plugin with host-local/);
    assert.throws(() => fillConfList('{', ['10.244.1.0/24']), /not JSON/);
  });

  it('looks the node up with a list + field selector and writes the file atomically', async () => {
    const template = join(dir, 'template.conflist');
    const out = join(dir, '10-podnet.conflist');
    writeFileSync(template, cniTemplate());
    writeFileSync(out, 'old');
    const { transport, calls } = fakeApi({ n1: { podCIDR: '10.244.1.0/24' }, n2: { podCIDR: '10.244.2.0/24' } });
    await installCni({ transport, nodeName: 'n2', template, out });
    assert.deepEqual(calls, ['/api/v1/nodes?fieldSelector=metadata.name%3Dn2']);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), podNetworkConfList(['10.244.2.0/24']));
    assert.deepEqual(readdirSync(dir).sort(), ['10-podnet.conflist', 'template.conflist'], 'no temporary file left');
  });

  it('takes the named node even from a server that ignores the field selector', async () => {
    const transport: Transport = {
      getJson: () => Promise.resolve({ items: [{ metadata: { name: 'n1' }, spec: { podCIDR: '10.244.1.0/24' } }, { metadata: { name: 'n2' }, spec: { podCIDR: '10.244.2.0/24' } }] }),
      watch: () => () => undefined,
    };
    assert.deepEqual(await fetchPodCidrs(transport, 'n2'), ['10.244.2.0/24']);
    await assert.rejects(fetchPodCidrs(transport, 'n3'), /node n3 not found/);
  });

  it('fails naming the node when it does not exist, and when NODE_NAME is empty, leaving the old file', async () => {
    const template = join(dir, 'template.conflist');
    const out = join(dir, '10-podnet.conflist');
    writeFileSync(template, cniTemplate());
    writeFileSync(out, 'old');
    const { transport } = fakeApi({});
    await assert.rejects(installCni({ transport, nodeName: 'ghost', template, out }), /node ghost not found/);
    await assert.rejects(installCni({ transport, nodeName: '', template, out }), /NODE_NAME/);
    assert.equal(readFileSync(out, 'utf8'), 'old');
  });
});

describe('podnet-install-cni against the embedded API server', () => {
  let server: ApiServer | undefined;
  let dir = '';
  beforeEach(async () => {
    server = await startApiServer();
    dir = mkdtempSync(join(tmpdir(), 'podnet-cni-'));
  });
  afterEach(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // The binary runs as a child (async: the API server answers from this process).
  function run(node: string, args: string[]): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [join(repoRoot, 'src/bin/podnet-install-cni.ts'), ...args], { env: { ...process.env, NODE_NAME: node }, timeout: 30_000 }, (err, _stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stderr });
      });
    });
  }

  it('the binary writes this node\'s dual-stack conflist through a real kubeconfig, and exits 1 for an unknown node', async () => {
    assert.ok(server);
    server.create('Node', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'a' }, spec: { podCIDR: '10.244.1.0/24' } });
    server.create('Node', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'b' }, spec: { podCIDR: '10.244.2.0/24', podCIDRs: ['10.244.2.0/24', 'fd00:10:244:2::/64'] } });
    const template = join(dir, 'template.conflist');
    const out = join(dir, '10-podnet.conflist');
    writeFileSync(template, cniTemplate());
    const args = ['--template', template, '--out', out, '--kubeconfig', server.kubeconfigPath];
    const ok = await run('b', args);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), podNetworkConfList(['10.244.2.0/24', 'fd00:10:244:2::/64']));
    const bad = await run('ghost', args);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /node ghost not found/);
  });
});
