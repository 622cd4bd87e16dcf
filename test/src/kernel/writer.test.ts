// The one kernel writer: exclusive sections never interleave (two controllers
// writing at once queue in order, a failure releases the writer, a leaked
// transaction is refused), and the iptables flavour rule of kube-proxy's
// wrapper (rule counts, then `iptables -V`), all over a fake exec seam.
import assert from 'node:assert/strict';
import { ExecError } from '../../../src/kernel/exec.ts';
import { KernelWriter, chooseFlavour } from '../../../src/kernel/writer.ts';
import type { ExecFn, FlavourInfo, KernelTx } from '../../../src/kernel/writer.ts';

const nft: FlavourInfo = { flavour: 'nft', binaries: { inet: 'iptables-nft', inet6: 'ip6tables-nft' }, why: 'test' };

/** An exec whose every call stays pending until the test releases it, so overlap would show. */
function slowExec(log: string[]): ExecFn {
  return async (cmd, args, opts) => {
    log.push(`start ${cmd} ${opts.input ?? args.join(' ')}`.trim());
    await new Promise((r) => setTimeout(r, 5));
    log.push(`end ${cmd} ${opts.input ?? args.join(' ')}`.trim());
    return { stdout: '', stderr: '' };
  };
}

describe('src/kernel/writer', () => {
  it('two concurrent writers never interleave: each sequence runs whole, in call order', async () => {
    const log: string[] = [];
    const w = new KernelWriter({ exec: slowExec(log), flavour: nft });
    const seq = (who: string) => async (tx: KernelTx) => {
      await tx.ipsetRestore(`${who}-sets`);
      await tx.iptablesRestore('inet', `${who}-v4`);
      await tx.iptablesRestore('inet6', `${who}-v6`);
      return who;
    };
    const results = await Promise.all([w.exclusive(seq('A')), w.exclusive(seq('B')), w.exclusive(seq('C'))]);
    assert.deepEqual(results, ['A', 'B', 'C']);
    const expected: string[] = [];
    for (const who of ['A', 'B', 'C']) {
      for (const [cmd, text] of [['ipset', 'sets'], ['iptables-nft-restore', 'v4'], ['ip6tables-nft-restore', 'v6']]) {
        expected.push(`start ${cmd} ${who}-${text}`, `end ${cmd} ${who}-${text}`);
      }
    }
    assert.deepEqual(log, expected);
  });

  it('a failing writer releases the lock; the next one runs; its error reaches only its caller', async () => {
    const log: string[] = [];
    const w = new KernelWriter({ exec: slowExec(log), flavour: nft });
    const failing = w.exclusive(async (tx) => {
      await tx.ipsetRestore('x');
      throw new Error('boom');
    });
    const next = w.exclusive(async (tx) => {
      await tx.ipsetRestore('y');
      return 'ok';
    });
    await assert.rejects(failing, /boom/);
    assert.equal(await next, 'ok');
    assert.deepEqual(log, ['start ipset x', 'end ipset x', 'start ipset y', 'end ipset y']);
  });

  it('refuses a transaction used after its section ended', async () => {
    const w = new KernelWriter({ exec: slowExec([]), flavour: nft });
    let leaked: KernelTx | undefined;
    await w.exclusive(async (tx) => {
      leaked = tx;
    });
    assert.ok(leaked !== undefined);
    await assert.rejects(leaked.ipsetRestore('late'), /used after it ended/);
  });

  it('passes restores on stdin with --noflush --wait, saves with -t (and -c), skips empty ipset input', async () => {
    const calls: { cmd: string; args: readonly string[]; input?: string }[] = [];
    const exec: ExecFn = async (cmd, args, opts) => {
      calls.push({ cmd, args, ...(opts.input !== undefined ? { input: opts.input } : {}) });
      return { stdout: cmd === 'ipset' ? 'A\nB\n' : '*filter\n', stderr: '' };
    };
    const w = new KernelWriter({ exec, flavour: { flavour: 'legacy', binaries: { inet: 'iptables-legacy', inet6: 'ip6tables-legacy' }, why: 't' } });
    await w.exclusive(async (tx) => {
      await tx.ipsetRestore('');
      assert.deepEqual(await tx.ipsetNames(), ['A', 'B']);
      await tx.iptablesSave('inet6', 'filter', { counters: true });
      await tx.iptablesRestore('inet', '*filter\nCOMMIT\n');
    });
    assert.deepEqual(calls, [
      { cmd: 'ipset', args: ['list', '-n'] },
      { cmd: 'ip6tables-legacy-save', args: ['-c', '-t', 'filter'] },
      { cmd: 'iptables-legacy-restore', args: ['--noflush', '--wait'], input: '*filter\nCOMMIT\n' },
    ]);
  });

  it('flavour: the back end holding more rules wins; a tie goes to iptables -V', () => {
    assert.equal(chooseFlavour(10, 2, 'iptables v1.8.9 (nf_tables)').flavour, 'legacy');
    assert.equal(chooseFlavour(0, 2, 'iptables v1.8.9 (legacy)').flavour, 'nft');
    assert.equal(chooseFlavour(0, 0, 'iptables v1.8.9 (legacy)').flavour, 'legacy');
    assert.equal(chooseFlavour(0, 0, 'iptables v1.8.9 (nf_tables)').flavour, 'nft');
    assert.equal(chooseFlavour(0, 0, '').flavour, 'nft');
  });

  it('detects the flavour from the saves (counting -A lines of both families), once', async () => {
    let calls = 0;
    const exec: ExecFn = async (cmd) => {
      calls++;
      if (cmd === 'iptables-legacy-save') return { stdout: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n-A INPUT -j DROP\nCOMMIT\n', stderr: '' };
      if (cmd === 'ip6tables-nft-save') return { stdout: '*filter\n-A INPUT -j ACCEPT\n', stderr: '' };
      if (cmd === 'iptables') return { stdout: 'iptables v1.8.9 (nf_tables)\n', stderr: '' };
      return { stdout: '', stderr: '' };
    };
    const w = new KernelWriter({ exec });
    const f = await w.flavour();
    assert.equal(f.flavour, 'legacy');
    assert.deepEqual(f.binaries, { inet: 'iptables-legacy', inet6: 'ip6tables-legacy' });
    assert.match(f.why, /legacy holds 2 rules, nf_tables 1/);
    await w.flavour();
    assert.equal(calls, 5, 'detected once');
  });

  it('without the flavoured binaries uses plain iptables and what iptables -V says', async () => {
    const exec: ExecFn = async (cmd) => {
      if (cmd === 'iptables') return { stdout: 'iptables v1.6.1 (legacy)\n', stderr: '' };
      throw new ExecError(cmd, null, `spawn ${cmd} ENOENT`);
    };
    const f = await new KernelWriter({ exec }).flavour();
    assert.deepEqual(f.binaries, { inet: 'iptables', inet6: 'ip6tables' });
    assert.equal(f.flavour, 'legacy');
    const none: ExecFn = async (cmd) => {
      throw new ExecError(cmd, null, `spawn ${cmd} ENOENT`);
    };
    await assert.rejects(new KernelWriter({ exec: none }).flavour(), /iptables is not installed/);
  });
});
