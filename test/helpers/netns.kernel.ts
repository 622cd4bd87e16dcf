// Harness self-test (kernel tier, root): namespaces carry the run prefix,
// veth pairs join two namespaces with IPv4 and IPv6 addresses usable at once
// (DAD off, RFC 4862 §5.4), processes run inside the namespace and are
// stopped by PID, teardown removes stray processes and namespaces, the sweep
// removes only namespaces of dead runs, and the root namespace is untouched.
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Lab, NETNS_PREFIX_RE, run, sweepLeftovers, waitFor } from './netns.ts';

async function rootState(): Promise<string> {
  const links = (await run('ip', ['-o', 'link', 'show'])).stdout.replace(/\s+link\/.*$/gm, '');
  const addrs = (await run('ip', ['-o', 'addr', 'show'])).stdout.replace(/valid_lft.*$/gm, '');
  return `${links}\n${addrs}`;
}

async function netnsList(): Promise<string[]> {
  return (await run('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '');
}

describe('harness: network namespaces', function () {
  this.timeout(30_000);
  before(function () {
    if (process.getuid?.() !== 0) this.skip();
  });

  it('builds prefixed namespaces joined by a veth, IPv4 and IPv6 usable at once, root namespace untouched', async function () {
    const before = await rootState();
    const lab = await Lab.create();
    try {
      assert.match(lab.prefix, NETNS_PREFIX_RE);
      const a = await lab.addNamespace('a');
      const b = await lab.addNamespace('b');
      assert.ok(a.name.startsWith(lab.prefix) && b.name.startsWith(lab.prefix));
      await lab.veth({ ns: a, ifname: 'eth0', addresses: ['198.18.0.1/30', 'fd00::1/64'] }, { ns: b, ifname: 'eth0', addresses: ['198.18.0.2/30', 'fd00::2/64'] });
      // No wait: without DAD the IPv6 address is not tentative and answers immediately.
      const v6 = (await b.ip(['-6', 'addr', 'show', 'dev', 'eth0'])).stdout;
      assert.match(v6, /fd00::2\/64/);
      assert.doesNotMatch(v6, /tentative/);
      await a.exec('ping', ['-c', '1', '-W', '2', '198.18.0.2']);
      await a.exec('ping', ['-6', '-c', '1', '-W', '2', 'fd00::2']);
      assert.ok((await netnsList()).includes(a.name));
      assert.equal(await rootState(), before, 'the root namespace gained or lost a link or address');
    } finally {
      await lab.teardown();
    }
    const left = await netnsList();
    assert.ok(!left.some((n) => n.startsWith(lab.prefix)), `namespaces left: ${left.join(' ')}`);
  });

  it('spawns a process inside the namespace (stdin, output), stops it by PID; teardown kills strays', async function () {
    const lab = await Lab.create();
    let strayPid = 0;
    try {
      const ns = await lab.addNamespace('p');
      const proc = ns.spawn('sleeper', 'sleep', ['60']);
      const nsInode = (await ns.exec('readlink', ['/proc/self/ns/net'])).stdout.trim();
      await waitFor('sleep to enter the namespace', () => {
        try {
          return readlinkSync(`/proc/${proc.pid}/ns/net`) === nsInode;
        } catch {
          return false;
        }
      }, { timeoutMs: 5_000, intervalMs: 20 });
      assert.notEqual(readlinkSync('/proc/self/ns/net'), nsInode);
      await proc.stop();
      assert.equal(proc.running, false);
      // stdin pipe and captured output
      const cat = ns.spawn('cat', 'cat', [], { stdinPipe: true });
      cat.stdin?.write('hello from the root namespace\n');
      await waitFor('cat to echo', () => cat.log().includes('hello from the root namespace'), { timeoutMs: 5_000, intervalMs: 20 });
      cat.stdin?.end();
      assert.equal(await cat.exited, 0);
      // A process the harness did not start (a daemon's child) is found by namespace at teardown.
      await ns.exec('sh', ['-c', 'sleep 60 >/dev/null 2>&1 & echo $! > /dev/null']);
      const pids = (await run('ip', ['netns', 'pids', ns.name])).stdout.trim().split('\n').filter((x) => x !== '');
      assert.equal(pids.length, 1);
      strayPid = Number(pids[0]);
    } finally {
      await lab.teardown();
    }
    // Gone, or a zombie waiting for init to reap it: either way no longer running.
    const state = (): string => {
      try {
        const st = readFileSync(`/proc/${strayPid}/stat`, 'utf8');
        return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3);
      } catch {
        return 'gone';
      }
    };
    assert.ok(state() === 'gone' || state() === 'Z', `stray process ${strayPid} still ${state()}`);
  });

  it('sweeps namespaces of dead runs and keeps those of live runs', async function () {
    const stale = `pn${randomBytes(2).toString('hex')}-stale`;
    await run('ip', ['netns', 'add', stale]);
    const lab = await Lab.create(); // sweeps on create
    try {
      const live = await lab.addNamespace('live');
      assert.ok(!(await netnsList()).includes(stale), 'stale namespace was not swept');
      const swept = await sweepLeftovers();
      assert.ok(!swept.includes(live.name));
      assert.ok((await netnsList()).includes(live.name), 'a live run lost its namespace');
    } finally {
      await lab.teardown();
      await run('ip', ['netns', 'del', stale], { allowFail: true });
    }
  });

  it('waitFor returns the first truthy value and times out with what it waited for', async function () {
    let n = 0;
    assert.equal(await waitFor('n to reach 3', () => (++n >= 3 ? n : undefined), { intervalMs: 1 }), 3);
    await assert.rejects(waitFor('never', () => false, { timeoutMs: 50, intervalMs: 10 }), /timed out after 50 ms waiting for never/);
  });
});
