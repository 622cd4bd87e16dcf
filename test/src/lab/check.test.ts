// Unit: the reachability matrix `lab check` prints, and the lab CLI's usage errors.
import assert from 'node:assert/strict';
import { renderMatrix } from '../../../src/lab/check.ts';
import type { Reach } from '../../../src/lab/check.ts';
import { labMain } from '../../../src/lab/cli.ts';
import type { PodRecord } from '../../../src/lab/state.ts';

const pod = (name: string, node: string, ips: string[]): PodRecord => ({ namespace: 'default', name, node, netns: `pl-x-p-${name}`, containerId: name, ips, ports: [{ port: 80, protocol: 'TCP' }] });

describe('lab check matrix', function () {
  it('shows each pair per family and counts same-node and cross-node probes', function () {
    const pods = [pod('a', 'node1', ['10.244.1.2']), pod('b', 'node1', ['10.244.1.3']), pod('c', 'node2', ['10.244.2.2', 'fd00:10:244:2::2'])];
    const reach: Reach[] = [
      { from: 'a', to: 'b', ip: '10.244.1.3', sameNode: true, ping: true, tcp: true },
      { from: 'b', to: 'a', ip: '10.244.1.2', sameNode: true, ping: true, tcp: true },
      { from: 'a', to: 'c', ip: '10.244.2.2', sameNode: false, ping: true, tcp: true },
      { from: 'a', to: 'c', ip: 'fd00:10:244:2::2', sameNode: false, ping: false, tcp: false },
      { from: 'c', to: 'a', ip: '10.244.1.2', sameNode: false, ping: false, tcp: null },
    ];
    const text = renderMatrix(pods, reach);
    const lines = text.split('\n');
    assert.match(lines[0] ?? '', /^FROM \\ TO\s+a\s+b\s+c$/);
    assert.match(lines[1] ?? '', /^a\s+-\s+ping\+tcp\s+v4:ping\+tcp v6:PING-FAIL\+TCP-FAIL$/);
    assert.match(lines[3] ?? '', /^c\s+PING-FAIL\s+\?\s+-$/);
    assert.ok(text.includes('same node:  2/2 probes answered'));
    assert.ok(text.includes('cross node: 1/3 probes answered'));
  });
});

describe('podnet lab CLI usage', function () {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) } };
  };

  it('prints help with -h and exits 2 without a command', async function () {
    const a = io();
    assert.equal(await labMain(['-h'], a.io), 0);
    assert.match(a.out.join(''), /podnet lab COMMAND/);
    const b = io();
    assert.equal(await labMain([], b.io), 2);
  });

  it('names the bad option', async function () {
    const a = io();
    assert.equal(await labMain(['up', '--bogus'], a.io), 2);
    assert.match(a.err.join(''), /bogus/);
    if (process.getuid?.() !== 0) return; // the option checks below run after the root check
    const b = io();
    assert.equal(await labMain(['up', '--nodes', 'x', '--state-dir', '/nonexistent-podnet'], b.io), 2);
    assert.match(b.err.join(''), /--nodes must be a number/);
    const c = io();
    assert.equal(await labMain(['up', '--tor', 'quagga', '--state-dir', '/nonexistent-podnet'], c.io), 2);
    assert.match(c.err.join(''), /--tor must be bird, frr or none/);
  });
});
