// Kernel routes reconcile in a network namespace, real kernel: routes podnet
// did not create survive its sync and its cleanup; ECMP; replace in place; a
// route deleted behind its back is restored within one sync; run twice, the
// second changes nothing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./route-child.ts', import.meta.url));
const ns = `pnrt${process.pid.toString(36)}`;
const ip = (...args: string[]): string => execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
const run = (arg: unknown): { replaced: string[]; deleted: string[]; unchanged: number; failed: unknown[] } =>
  JSON.parse(execFileSync('ip', ['netns', 'exec', ns, process.execPath, child, typeof arg === 'string' ? arg : JSON.stringify(arg)], { encoding: 'utf8' }));
const routes = (): { dst: string; protocol: string; gateway?: string; nexthops?: { gateway: string }[] }[] =>
  JSON.parse(ip('-j', 'route', 'show', 'table', 'main'));

const r = (dst: string, ...gws: string[]) => ({ dst, table: 254, protocol: 87, nexthops: gws.map((gateway) => ({ gateway })) });

describe('routes apply (kernel, network namespace)', function () {
  this.timeout(30_000);
  before(() => {
    for (const n of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n')) {
      const name = n.split(' ')[0] ?? '';
      if (/^pnrt[0-9a-z]+$/.test(name)) execFileSync('ip', ['netns', 'del', name]);
    }
    execFileSync('ip', ['netns', 'add', ns]);
    ip('link', 'set', 'lo', 'up');
    ip('link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u1');
    ip('link', 'set', 'u0', 'up');
    ip('link', 'set', 'u1', 'up');
    ip('addr', 'add', '198.18.0.1/24', 'dev', 'u0');
    ip('-6', 'addr', 'add', 'fd00:18::1/64', 'dev', 'u0', 'nodad');
    // Routes that belong to someone else: static, BIRD's protocol number, and a kernel-default.
    ip('route', 'add', '10.244.50.0/24', 'via', '198.18.0.50', 'proto', 'static');
    ip('route', 'add', '10.244.51.0/24', 'via', '198.18.0.51', 'proto', 'bird');
  });
  after(() => {
    execFileSync('ip', ['netns', 'del', ns]);
  });

  it('programs single and ECMP routes, IPv4 and IPv6, and a second run changes nothing', () => {
    const desired = [r('10.244.1.0/24', '198.18.0.11'), r('10.244.2.0/24', '198.18.0.12', '198.18.0.13'), r('fd00:244:3::/64', 'fd00:18::13')];
    const first = run(desired);
    assert.deepEqual(first, { replaced: ['10.244.1.0/24', '10.244.2.0/24', 'fd00:244:3::/64'], deleted: [], unchanged: 0, failed: [] });
    const v4 = routes();
    assert.equal(v4.find((x) => x.dst === '10.244.1.0/24')?.gateway, '198.18.0.11');
    assert.deepEqual(v4.find((x) => x.dst === '10.244.2.0/24')?.nexthops?.map((n) => n.gateway), ['198.18.0.12', '198.18.0.13']);
    assert.match(ip('-6', 'route', 'show', 'fd00:244:3::/64'), /via fd00:18::13 dev u0 proto 87/);
    assert.deepEqual(run(desired), { replaced: [], deleted: [], unchanged: 3, failed: [] });
  });

  it('replaces a changed next hop in place and deletes what it no longer wants', () => {
    const out = run([r('10.244.1.0/24', '198.18.0.21'), r('fd00:244:3::/64', 'fd00:18::13')]);
    assert.deepEqual(out, { replaced: ['10.244.1.0/24'], deleted: ['10.244.2.0/24'], unchanged: 1, failed: [] });
    assert.match(ip('route', 'show', '10.244.1.0/24'), /via 198\.18\.0\.21 dev u0 proto 87/);
    assert.equal(ip('route', 'show', '10.244.2.0/24').trim(), '');
  });

  it('restores a route deleted behind its back within one sync', () => {
    ip('route', 'del', '10.244.1.0/24');
    const out = run([r('10.244.1.0/24', '198.18.0.21'), r('fd00:244:3::/64', 'fd00:18::13')]);
    assert.deepEqual(out.replaced, ['10.244.1.0/24']);
    assert.match(ip('route', 'show', '10.244.1.0/24'), /via 198\.18\.0\.21/);
  });

  it('never touches routes of other protocols, in sync or in cleanup', () => {
    run([]);
    assert.match(ip('route', 'show', '10.244.50.0/24'), /proto static/);
    assert.match(ip('route', 'show', '10.244.51.0/24'), /proto bird/);
    run([r('10.244.1.0/24', '198.18.0.21')]);
    const out = run('cleanup');
    assert.deepEqual(out.deleted, ['10.244.1.0/24']);
    assert.deepEqual(run('list'), []);
    assert.match(ip('route', 'show', '10.244.50.0/24'), /proto static/);
    assert.match(ip('route', 'show', '10.244.51.0/24'), /proto bird/);
    assert.match(ip('route', 'show', '198.18.0.0/24'), /proto kernel/);
  });

  it('records a kernel error per route and goes on with the others', () => {
    const out = run([r('10.244.7.0/24', '198.19.99.1'), r('10.244.8.0/24', '198.18.0.8')]);
    assert.deepEqual(out.replaced, ['10.244.8.0/24']);
    assert.equal(out.failed.length, 1);
    assert.match(JSON.stringify(out.failed[0]), /10\.244\.7\.0\/24.*ENETUNREACH/);
    run('cleanup');
  });
});
