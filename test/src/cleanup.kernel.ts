// podnetd --cleanup-config inside a network namespace: it removes podnet's
// routes (its protocol number) and tunnel devices, and nothing else, without
// needing an API server.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const podnetd = fileURLToPath(new URL('../../src/bin/podnetd.ts', import.meta.url));
const ns = `pncl${process.pid.toString(36)}`;
const ip = (...a: string[]): string => execFileSync('ip', ['-n', ns, ...a], { encoding: 'utf8' });

describe('podnetd --cleanup-config (kernel, network namespace)', function () {
  this.timeout(30_000);
  before(() => {
    spawnSync('ip', ['netns', 'del', ns]);
    execFileSync('ip', ['netns', 'add', ns]);
    ip('link', 'set', 'lo', 'up');
    ip('link', 'add', 'e0', 'type', 'veth', 'peer', 'name', 'e1');
    ip('link', 'set', 'e0', 'up');
    ip('addr', 'add', '198.18.0.1/24', 'dev', 'e0');
    ip('route', 'add', '10.244.1.0/24', 'via', '198.18.0.2', 'proto', '87');
    ip('route', 'add', '10.244.2.0/24', 'via', '198.18.0.3', 'proto', 'static');
    ip('link', 'add', 'podnet.vx4', 'type', 'vxlan', 'id', '4242', 'local', '198.18.0.1', 'dstport', '4789', 'nolearning');
    execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: 'add table inet podnet\nadd chain inet podnet services\nadd table inet other\n' });
  });
  after(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });

  it('removes only what podnet created and exits 0', () => {
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, podnetd, '--cleanup-config', '--enable-cni=false', '--master=http://127.0.0.1:1'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /"controller":"routes".*"routesDeleted":1.*removed podnet routes and tunnels/);
    assert.match(r.stderr, /"controller":"firewall".*nothing to clean up/);
    assert.match(r.stderr, /"controller":"services".*deleted table inet podnet/);
    assert.equal(spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'inet', 'podnet']).status, 1, 'the services table is gone');
    assert.equal(spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'inet', 'other']).status, 0, 'a foreign table stays');
    assert.equal(ip('route', 'show', '10.244.1.0/24').trim(), '');
    assert.match(ip('route', 'show', '10.244.2.0/24'), /proto static/);
    assert.doesNotMatch(ip('-o', 'link', 'show'), /podnet\.vx4/);
    assert.match(ip('-o', 'link', 'show'), /e0@e1/);
  });
});
