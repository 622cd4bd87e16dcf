// The BGP management endpoints and the CLI commands over a real unix socket,
// against a Speaker with originated routes and an idle neighbour: views,
// exact and longest-prefix RIB lookups, neighbour actions, and errors as
// HTTP statuses / CLI exit codes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Speaker, parseAsn, parseIpAddress, parsePrefix, parseRouterId, type DestinationView, type GlobalView, type NeighborView } from '../../../bgp/index.ts';
import { registerBgpApi } from '../../../src/api/bgp.ts';
import { ApiClientError, apiRequest } from '../../../src/api/client.ts';
import { startMgmtApi, type MgmtApi } from '../../../src/api/server.ts';
import { cliMain } from '../../../src/cli/main.ts';

describe('api/bgp and the BGP CLI commands', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-bgpapi-'));
  const socket = join(dir, 'api.sock');
  let api: MgmtApi;
  let speaker: Speaker;

  before(async () => {
    speaker = new Speaker({ asn: parseAsn(65001), routerId: parseRouterId('192.0.2.1'), listen: false });
    await speaker.start();
    speaker.addNeighbor({ address: parseIpAddress('192.0.2.99'), remoteAsn: parseAsn(65099), passive: true });
    speaker.originate({ prefix: parsePrefix('10.244.0.0/16'), med: 1 });
    speaker.originate({ prefix: parsePrefix('10.244.1.0/24'), communities: [65001 * 65536 + 5] });
    speaker.originate({ prefix: parsePrefix('fd00:1::/48') });
    api = await startMgmtApi(socket);
    registerBgpApi(api, speaker);
  });

  after(async () => {
    await api.close();
    await speaker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function status(path: string, method: 'GET' | 'POST' = 'GET', body?: unknown): Promise<[number, string]> {
    try {
      await apiRequest(socket, method, path, body);
      return [200, ''];
    } catch (e) {
      assert.ok(e instanceof ApiClientError);
      return [e.status, e.message];
    }
  }

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await cliMain(['--socket', socket, ...args], { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  }

  it('serves the global view and the neighbours', async () => {
    const g = (await apiRequest(socket, 'GET', '/v1/bgp/global')) as GlobalView;
    assert.deepEqual(g, { asn: 65001, routerId: '192.0.2.1', listen: [], neighbors: 1, established: 0, destinations: { 'ipv4-unicast': 2, 'ipv6-unicast': 1 } });
    const ns = (await apiRequest(socket, 'GET', '/v1/bgp/neighbors')) as NeighborView[];
    assert.deepEqual(
      ns.map((n) => [n.address, n.remoteAsn, n.passive, n.session]),
      [['192.0.2.99', 65099, true, null]],
    );
    assert.equal(((await apiRequest(socket, 'GET', '/v1/bgp/neighbor?address=192.0.2.99')) as NeighborView).state, 'Active');
  });

  it('looks up prefixes exactly and addresses by longest match', async () => {
    const rib = async (q: string): Promise<string[]> => ((await apiRequest(socket, 'GET', `/v1/bgp/rib${q}`)) as DestinationView[]).map((d) => d.prefix);
    assert.deepEqual(await rib(''), ['10.244.0.0/16', '10.244.1.0/24', 'fd00:1::/48']);
    assert.deepEqual(await rib('?family=ipv6'), ['fd00:1::/48']);
    assert.deepEqual(await rib('?prefix=10.244.1.0/24'), ['10.244.1.0/24']);
    assert.deepEqual(await rib('?prefix=10.244.2.0/24'), []);
    assert.deepEqual(await rib('?address=10.244.1.77'), ['10.244.1.0/24']);
    assert.deepEqual(await rib('?address=10.244.200.1'), ['10.244.0.0/16']);
    assert.deepEqual(await rib('?address=fd00:1:0:5::1'), ['fd00:1::/48']);
    assert.deepEqual(await rib('?address=192.0.2.1'), []);
    const [d] = (await apiRequest(socket, 'GET', '/v1/bgp/rib?prefix=10.244.1.0/24')) as DestinationView[];
    assert.deepEqual(
      d?.paths.map((p) => [p.source, p.nextHop, p.best, p.reason, p.communities]),
      [['local', null, true, 'only-path', ['65001:5']]],
    );
  });

  it('maps errors to statuses', async () => {
    assert.deepEqual(await status('/v1/bgp/neighbor?address=192.0.2.50'), [404, 'no such neighbor: 192.0.2.50']);
    assert.deepEqual(await status('/v1/bgp/neighbor'), [400, 'missing ?address=']);
    assert.equal((await status('/v1/bgp/adj-in?address=not-an-ip'))[0], 400);
    assert.deepEqual(await status('/v1/bgp/rib?family=ipv5'), [400, 'unknown family "ipv5": use ipv4 or ipv6']);
    assert.equal((await status('/v1/bgp/rib?address=10.1'))[0], 400);
    assert.equal((await status('/v1/bgp/neighbor/action', 'POST', { address: '192.0.2.99', action: 'explode' }))[0], 400);
    assert.deepEqual(await status('/v1/bgp/neighbor/action', 'POST', { address: '192.0.2.99', action: 'softreset' }), [400, 'neighbor 192.0.2.99 is not established']);
    assert.deepEqual(await status('/v1/bgp/neighbor/action', 'POST', { address: '192.0.2.98', action: 'reset' }), [404, 'no such neighbor: 192.0.2.98']);
  });

  it('shutdown and enable through the API', async () => {
    await apiRequest(socket, 'POST', '/v1/bgp/neighbor/action', { address: '192.0.2.99', action: 'shutdown', message: 'bye' });
    let n = (await apiRequest(socket, 'GET', '/v1/bgp/neighbor?address=192.0.2.99')) as NeighborView;
    assert.deepEqual([n.enabled, n.state], [false, 'Idle']);
    await apiRequest(socket, 'POST', '/v1/bgp/neighbor/action', { address: '192.0.2.99', action: 'enable' });
    n = (await apiRequest(socket, 'GET', '/v1/bgp/neighbor?address=192.0.2.99')) as NeighborView;
    assert.deepEqual([n.enabled, n.state], [true, 'Active']);
  });

  it('answers 503 while a speaker getter has none (the agent before its routes controller runs)', async () => {
    const other = await startMgmtApi(join(dir, 'none.sock'));
    try {
      let current: Speaker | null = null;
      registerBgpApi(other, () => current);
      await assert.rejects(apiRequest(other.socketPath, 'GET', '/v1/bgp/neighbors'), (e: unknown) => e instanceof ApiClientError && e.status === 503 && /not running/.test(e.message));
      current = speaker;
      assert.equal(((await apiRequest(other.socketPath, 'GET', '/v1/bgp/neighbors')) as NeighborView[]).length, 1);
    } finally {
      await other.close();
    }
  });

  it('CLI: tables, -j, -a, lookups and usage errors', async () => {
    const nb = await cli('neighbor');
    assert.equal(nb.code, 0);
    assert.match(nb.out, /^Peer\s+AS\s+Up\/Down\s+State\s+#Received\s+#Accepted\n192\.0\.2\.99\s+65099\s+\S+\s+Active\s+0\s+0\n$/);
    const rib = await cli('global', 'rib', '-a', 'ipv4', '10.244.1.9');
    assert.equal(rib.code, 0);
    assert.match(rib.out, /^\*>\s+10\.244\.1\.0\/24\s+0\.0\.0\.0\s+\d\d:\d\d:\d\d\s+\[\{Origin: i\} \{Communities: 65001:5\}\]\s+only-path$/m);
    assert.equal(rib.out.split('\n').length, 3);
    const j = await cli('global', 'rib', '-j', '-a', 'ipv6');
    assert.deepEqual((JSON.parse(j.out) as DestinationView[]).map((d) => d.prefix), ['fd00:1::/48']);
    assert.match((await cli('global')).out, /^AS:\s+65001$/m);
    assert.match((await cli('neighbor', '192.0.2.99', 'adj-out')).out, /^Network not in table$/m);
    const bad = await cli('neighbor', '192.0.2.99', 'explode');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /unknown neighbor subcommand "explode"/);
    const missing = await cli('neighbor', '192.0.2.50');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no such neighbor: 192\.0\.2\.50/);
    assert.equal((await cli('global', 'routes')).code, 2);
  });
});
