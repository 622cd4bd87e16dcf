// podnet-install-cni: the conflist it writes is the lab's (podNetworkConfList)
// for the node's podCIDRs, found through a list of nodes with a field selector.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InstallError, fillConfList, installCni, podCidrsOf } from '../../../src/deploy/install-cni.ts';
import { cniTemplate } from '../../../src/deploy/manifests.ts';
import type { Transport } from '../../../src/k8s/transport.ts';
import { podNetworkConfList } from '../../../src/lab/cni.ts';

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
