// Two `podnet bgpd` processes peering over loopback (127.0.0.1 and 127.0.0.2,
// free high ports, no root): sessions come up; each side's `podnet global rib
// -j` shows the other's IPv4 and IPv6 prefixes with the right AS_PATH,
// NEXT_HOP, MED and communities (NO_EXPORT kept inside the AS); a SIGHUP
// adding a third peer and a prefix leaves the existing session Established
// with its uptime running; removing a prefix withdraws it on the other side;
// an invalid file on reload is refused and the running config stays;
// `podnet neighbor ADDR shutdown -m MSG` brings the session down with an
// RFC 9003 message the other side shows as its last error; `enable` brings it
// back; SIGTERM sends Cease / Administrative Shutdown and exits 0.
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DestinationView, NeighborView } from '../../../bgp/index.ts';
import { apiRequest } from '../../../src/api/client.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const podnet = join(root, 'src/bin/podnet.ts');

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await f();
      if (v !== null && v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last !== null ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs the podnet CLI; resolves to stdout (rejects with stderr on a non-zero exit). */
function cli(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [podnet, ...args], { timeout: 10_000 }, (err, stdout, stderr) => (err === null ? resolve(stdout) : reject(new Error(`podnet ${args.join(' ')}: ${stderr || err.message}`))));
  });
}

interface Daemon {
  readonly name: string;
  readonly socket: string;
  readonly configFile: string;
  readonly logFile: string;
  proc: ChildProcess | null;
  exit: Promise<number | null>;
}

function yamlConfig(o: { id: string; asn: number; addr: string; port: number; socket: string; peers: string[]; prefixes: string[] }): string {
  return [
    `router-id: ${o.id}`,
    `asn: ${o.asn}`,
    `listen: { addresses: [${o.addr}], port: ${o.port} }`,
    `api-socket: ${o.socket}`,
    'peers:',
    ...o.peers.map((p) => `  - ${p}`),
    'prefixes:',
    ...o.prefixes.map((p) => `  - ${p}`),
    '',
  ].join('\n');
}

describe('podnet bgpd: two daemons over loopback', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'podnet-bgpd-'));
  const daemons: Daemon[] = [];

  function start(name: string, config: string): Daemon {
    const configFile = join(dir, `${name}.yaml`);
    const logFile = join(dir, `${name}.log`);
    writeFileSync(configFile, config);
    const log = openSync(logFile, 'a');
    const proc = spawn(process.execPath, [podnet, 'bgpd', '--config', configFile, '-v', '1'], { stdio: ['ignore', log, log] });
    const d: Daemon = { name, socket: join(dir, name, 'api.sock'), configFile, logFile, proc, exit: new Promise((resolve) => proc.once('exit', (code) => resolve(code))) };
    daemons.push(d);
    return d;
  }

  after(async () => {
    for (const d of daemons) if (d.proc !== null && d.proc.exitCode === null) d.proc.kill('SIGKILL');
    await Promise.all(daemons.map((d) => d.exit));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an invalid file at start with the field path, exit code 2', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'router-id: 192.0.2.1\nasn: 65001\npeers:\n  - { address: 127.0.0.2, remote-asn: 65002, hold-time: 1 }\n');
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [podnet, 'bgpd', '--config', file], { timeout: 10_000 }, (err, _out, stderr) => resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? null), stderr }));
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /peers\[0\]\.hold-time: must be 0 or at least 3 seconds/);
  });

  it('peers, exchanges routes, reloads without disturbing sessions, shuts down with a message', async () => {
    const portA = await freePort('127.0.0.1');
    const portB = await freePort('127.0.0.2');
    const portC = await freePort('127.0.0.3'); // nobody listens there: the third peer stays down
    const sockA = join(dir, 'a', 'api.sock');
    const sockB = join(dir, 'b', 'api.sock');
    const peersA = [`{ address: 127.0.0.2, remote-asn: 65002, port: ${portB}, local-address: 127.0.0.1, hold-time: 9, connect-retry: 1, next-hop-ipv6: "fd00::a" }`];
    const prefixesA = [
      '{ prefix: 10.244.1.0/24, med: 10, communities: ["65001:100"], large-communities: ["65001:1:2"] }',
      '{ prefix: "fd00:1::/64", med: 11, communities: ["65001:101"] }',
      '{ prefix: 10.244.9.0/24, communities: [no-export] }',
    ];
    const cfgA = (peers: string[], prefixes: string[]): string => yamlConfig({ id: '192.0.2.1', asn: 65001, addr: '127.0.0.1', port: portA, socket: sockA, peers, prefixes });
    const a = start('a', cfgA(peersA, prefixesA));
    const b = start(
      'b',
      yamlConfig({
        id: '192.0.2.2',
        asn: 65002,
        addr: '127.0.0.2',
        port: portB,
        socket: sockB,
        peers: [`{ address: 127.0.0.1, remote-asn: 65001, port: ${portA}, local-address: 127.0.0.2, hold-time: 9, connect-retry: 1, next-hop-ipv6: "fd00::b" }`],
        prefixes: ['{ prefix: 10.244.2.0/24, med: 20, communities: ["65002:200"], as-path-prepend: 1 }', '{ prefix: "fd00:2::/64", communities: ["65002:201"] }'],
      }),
    );
    const neighborOf = async (sock: string, addr: string): Promise<NeighborView> => (await apiRequest(sock, 'GET', `/v1/bgp/neighbor?address=${addr}`)) as NeighborView;
    await until('sessions established', async () => (await neighborOf(sockA, '127.0.0.2')).state === 'Established' && (await neighborOf(sockB, '127.0.0.1')).state === 'Established');
    const ribOf = async (sock: string): Promise<DestinationView[]> => JSON.parse(await cli('--socket', sock, 'global', 'rib', '-j')) as DestinationView[];
    const fromPeer = (rib: DestinationView[]): Map<string, DestinationView['paths'][number]> =>
      new Map(rib.flatMap((d) => d.paths.filter((p) => p.source !== 'local').map((p) => [d.prefix, p] as const)));

    // B learns A's routes over eBGP: AS_PATH 65001, next hop self (the configured IPv6 one for IPv6), MED, communities
    const atB = await until('A routes at B', async () => {
      const m = fromPeer(await ribOf(sockB));
      return m.size === 2 ? m : null;
    });
    const b1 = atB.get('10.244.1.0/24');
    assert.deepEqual(b1?.asPath, [{ type: 'sequence', asns: [65001] }]);
    assert.equal(b1?.nextHop, '127.0.0.1');
    assert.equal(b1?.med, 10);
    assert.deepEqual(b1?.communities, ['65001:100']);
    assert.deepEqual(b1?.largeCommunities, ['65001:1:2']);
    assert.equal(b1?.best, true);
    assert.equal(b1?.reason, 'only-path');
    const b6 = atB.get('fd00:1::/64');
    assert.equal(b6?.family, 'ipv6-unicast');
    assert.equal(b6?.nextHop, 'fd00::a');
    assert.equal(b6?.med, 11);
    assert.deepEqual(b6?.communities, ['65001:101']);
    assert.equal(atB.has('10.244.9.0/24'), false, 'NO_EXPORT stays inside the AS (RFC 1997)');
    // and A learns B's, with B's prepend
    const atA = await until('B routes at A', async () => {
      const m = fromPeer(await ribOf(sockA));
      return m.size === 2 ? m : null;
    });
    assert.deepEqual(atA.get('10.244.2.0/24')?.asPath, [{ type: 'sequence', asns: [65002, 65002] }]);
    assert.equal(atA.get('10.244.2.0/24')?.nextHop, '127.0.0.2');
    assert.equal(atA.get('10.244.2.0/24')?.med, 20);
    assert.deepEqual(atA.get('10.244.2.0/24')?.communities, ['65002:200']);
    assert.equal(atA.get('fd00:2::/64')?.nextHop, 'fd00::b');
    assert.deepEqual(atA.get('fd00:2::/64')?.communities, ['65002:201']);
    // the human table is there too
    assert.match(await cli('--socket', sockA, 'neighbor'), /^127\.0\.0\.2\s+65002\s+\d\d:\d\d:\d\d\s+Establ\s+2\s+2$/m);

    // SIGHUP: a third peer and a prefix more; the A-B session is not touched
    const before = await neighborOf(sockA, '127.0.0.2');
    const bBefore = await neighborOf(sockB, '127.0.0.1');
    const peersA2 = [...peersA, `{ address: 127.0.0.3, remote-asn: 65003, port: ${portC}, local-address: 127.0.0.1, connect-retry: 1 }`];
    const prefixesA2 = [...prefixesA, '{ prefix: 10.244.3.0/24, med: 30 }'];
    writeFileSync(a.configFile, cfgA(peersA2, prefixesA2));
    a.proc?.kill('SIGHUP');
    await until('new prefix at B', async () => fromPeer(await ribOf(sockB)).get('10.244.3.0/24')?.med === 30);
    const ns = JSON.parse(await cli('--socket', sockA, 'neighbor', '-j')) as NeighborView[];
    assert.deepEqual(
      ns.map((n) => n.address),
      ['127.0.0.2', '127.0.0.3'],
    );
    const after = ns[0] as NeighborView;
    assert.equal(after.state, 'Established');
    assert.equal(after.establishedAt, before.establishedAt, 'the session was not restarted');
    assert.equal(after.messages.established, 1);
    assert.equal((await neighborOf(sockB, '127.0.0.1')).establishedAt, bBefore.establishedAt);
    assert.notEqual(ns[1]?.state, 'Established');

    // removing a prefix withdraws it at B
    writeFileSync(a.configFile, cfgA(peersA2, prefixesA2.filter((p) => !p.includes('10.244.1.0/24'))));
    a.proc?.kill('SIGHUP');
    await until('withdrawn at B', async () => !fromPeer(await ribOf(sockB)).has('10.244.1.0/24'));
    assert.equal(fromPeer(await ribOf(sockB)).has('10.244.3.0/24'), true);

    // an invalid file is refused on reload; everything keeps running
    writeFileSync(a.configFile, 'router-id: 192.0.2.1\nasn: banana\n');
    a.proc?.kill('SIGHUP');
    await until('reload rejected in the log', () => Promise.resolve(readFileSync(a.logFile, 'utf8').includes('reload rejected')));
    assert.match(readFileSync(a.logFile, 'utf8'), /"problems":\["asn: invalid ASN \\"banana\\""\]/);
    assert.equal((await neighborOf(sockA, '127.0.0.2')).establishedAt, before.establishedAt);
    assert.equal((await apiRequest(sockA, 'GET', '/v1/bgp/neighbors') as NeighborView[]).length, 2);

    // shutdown with an RFC 9003 message: B shows it as its last error
    assert.match(await cli('--socket', sockA, 'neighbor', '127.0.0.2', 'shutdown', '-m', 'maintenance window 42'), /shutdown: done/);
    const err = await until('B sees the shutdown', async () => (await neighborOf(sockB, '127.0.0.1')).lastError);
    assert.equal(err.notification?.direction, 'received');
    assert.equal(err.notification?.code, 6);
    assert.equal(err.notification?.subcode, 2);
    assert.equal(err.notification?.communication, 'maintenance window 42');
    assert.match(await cli('--socket', sockB, 'neighbor', '127.0.0.1'), /Cease\/Administrative Shutdown \(6\/2\) received: "maintenance window 42"/);
    assert.equal((await neighborOf(sockA, '127.0.0.2')).enabled, false);
    await until('A routes gone at B', async () => fromPeer(await ribOf(sockB)).size === 0);

    // enable brings it back; SIGTERM then says goodbye with Cease / Administrative Shutdown and exits 0
    assert.match(await cli('--socket', sockA, 'neighbor', '127.0.0.2', 'enable', '-j'), /"ok": true/);
    await until('re-established', async () => (await neighborOf(sockB, '127.0.0.1')).state === 'Established');
    a.proc?.kill('SIGTERM');
    assert.equal(await a.exit, 0);
    const bye = await until('B sees the stop', async () => {
      const e = (await neighborOf(sockB, '127.0.0.1')).lastError;
      return e?.notification?.communication === 'maintenance window 42' ? null : e;
    });
    assert.deepEqual([bye.notification?.code, bye.notification?.subcode, bye.notification?.communication], [6, 2, 'podnet bgpd stopped (SIGTERM)']);
    b.proc?.kill('SIGTERM');
    assert.equal(await b.exit, 0);
  });
});
