// Interop (root): our bgpd as a route reflector (RFC 4456) for four BIRD
// iBGP speakers on one LAN (a bridge in a "switch" namespace): two clients
// (c1, c2) and two non-clients (n3, n4). What the BIRDs' RIBs show:
// - a client's route reaches the other client and both non-clients, with
//   ORIGINATOR_ID = the client's router id and CLUSTER_LIST = our cluster id
//   (§8), the next hop unchanged;
// - a non-client's route reaches the clients but not the other non-client
//   (§6: non-client to non-client is not reflected);
// - nothing comes back to its originator.
import assert from 'node:assert/strict';
import { Lab, waitFor, type Netns } from '../helpers/netns.ts';
import { Bird } from '../helpers/peers/bird.ts';
import { Bgpd } from './bgpd-harness.ts';

const ASN = 65076;
const RR = '198.18.76.1';
const PEERS = [
  { name: 'c1', ip: '198.18.76.2', client: true, prefix: '10.76.2.0/24' },
  { name: 'c2', ip: '198.18.76.3', client: true, prefix: '10.76.3.0/24' },
  { name: 'n3', ip: '198.18.76.4', client: false, prefix: '10.76.4.0/24' },
  { name: 'n4', ip: '198.18.76.5', client: false, prefix: '10.76.5.0/24' },
] as const;

interface Seen {
  readonly nextHop: string;
  readonly originatorId: string | null;
  readonly clusterList: string | null;
}

/** `birdc show route all` of master4: prefix -> next hop, ORIGINATOR_ID, CLUSTER_LIST. */
async function ribOf(b: Bird): Promise<Map<string, Seen>> {
  const out = await b.birdc(['show', 'route', 'table', 'master4', 'all']);
  const rib = new Map<string, Seen>();
  let cur: { prefix: string; nextHop: string; originatorId: string | null; clusterList: string | null } | null = null;
  const flush = (): void => {
    if (cur !== null) rib.set(cur.prefix, { nextHop: cur.nextHop, originatorId: cur.originatorId, clusterList: cur.clusterList });
  };
  for (const line of out.split('\n')) {
    const m = /^(\d+\.\d+\.\d+\.\d+\/\d+)\s/.exec(line);
    if (m?.[1] !== undefined) {
      flush();
      cur = { prefix: m[1], nextHop: '', originatorId: null, clusterList: null };
      continue;
    }
    if (cur === null) continue;
    const via = /^\s+via (\S+)/.exec(line);
    if (via?.[1] !== undefined) cur.nextHop = via[1];
    const nh = /BGP\.next_hop: (\S+)/.exec(line);
    if (nh?.[1] !== undefined && cur.nextHop === '') cur.nextHop = nh[1];
    const o = /BGP\.originator_id: (\S+)/.exec(line);
    if (o?.[1] !== undefined) cur.originatorId = o[1];
    const c = /BGP\.cluster_list: (.+)$/.exec(line);
    if (c?.[1] !== undefined) cur.clusterList = c[1].trim();
  }
  flush();
  return rib;
}

describe('interop: route reflection (RFC 4456), our bgpd reflecting for BIRD clients and non-clients', function () {
  this.timeout(90_000);
  let lab: Lab | undefined;
  let b: Bgpd | undefined;
  const birds = new Map<string, Bird>();

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    const l = await Lab.create();
    lab = l;
    const sw: Netns = await l.addNamespace('sw');
    await sw.ip(['link', 'add', 'br0', 'type', 'bridge']);
    await sw.ip(['link', 'set', 'br0', 'up']);
    const attach = async (ns: Netns, ip: string, port: string): Promise<void> => {
      await l.veth({ ns, ifname: 'eth0', addresses: [`${ip}/24`] }, { ns: sw, ifname: port });
      await sw.ip(['link', 'set', port, 'master', 'br0']);
    };
    const us = await l.addNamespace('rr');
    await attach(us, RR, 'p0');
    b = Bgpd.start(us, l.dir, {
      name: 'rr',
      routerId: RR,
      asn: ASN,
      listen: [RR],
      nextHop: { ipv4: RR },
      peers: PEERS.map((p) => ({ address: p.ip, asn: ASN, families: ['ipv4'], holdTime: 30, connectRetry: 1, ...(p.client ? { routeReflectorClient: true } : {}) })),
      routes: [],
    });
    await Promise.all(
      PEERS.map(async (p, i) => {
        const ns = await l.addNamespace(p.name);
        await attach(ns, p.ip, `p${i + 1}`);
        birds.set(p.name, await Bird.start({ ns, routerId: p.ip, asn: ASN, listenAddress: p.ip, neighbors: [{ address: RR, asn: ASN, families: ['ipv4'], holdTime: 30 }], routes: [{ prefix: p.prefix }] }));
      }),
    );
    for (const p of PEERS) await (birds.get(p.name) as Bird).waitEstablished(RR, 30_000);
  });

  after(async function () {
    await b?.proc.stop().catch(() => undefined);
    for (const d of birds.values()) await d.stop().catch(() => undefined);
    await lab?.teardown();
  });

  it('reflects client routes to everyone and non-client routes to clients only, with ORIGINATOR_ID and CLUSTER_LIST', async function () {
    const [c1, c2, n3, n4] = PEERS;
    const expect: [string, string, boolean][] = [];
    for (const from of PEERS) {
      for (const to of PEERS) {
        if (from === to) continue;
        // RFC 4456 §6: a client's route to all peers; a non-client's only to clients
        expect.push([from.name, to.name, from.client || to.client]);
      }
    }
    const ribs = await waitFor('every reflected route at its receivers', async () => {
      const got = new Map<string, Map<string, Seen>>();
      for (const p of PEERS) got.set(p.name, await ribOf(birds.get(p.name) as Bird));
      for (const [from, to, yes] of expect) {
        const prefix = PEERS.find((p) => p.name === from)?.prefix ?? '';
        if (yes && !got.get(to)?.has(prefix)) return undefined;
      }
      return got;
    }, { timeoutMs: 30_000, intervalMs: 250 }).catch((e: unknown) => assert.fail(`${String(e)}\n${b?.log() ?? ''}`));
    await new Promise((r) => setTimeout(r, 1_000));
    for (const [from, to, yes] of expect) {
      const src = PEERS.find((p) => p.name === from);
      assert.ok(src !== undefined);
      const seen = (await ribOf(birds.get(to) as Bird)).get(src.prefix);
      if (!yes) {
        assert.equal(seen, undefined, `${from} -> ${to}: a non-client's route is not reflected to a non-client`);
        continue;
      }
      assert.ok(seen !== undefined, `${from} -> ${to}`);
      assert.equal(seen.originatorId, src.ip, `${from} -> ${to}: ORIGINATOR_ID is the originator's router id`);
      assert.equal(seen.clusterList, RR, `${from} -> ${to}: CLUSTER_LIST is our cluster id`);
      assert.equal(seen.nextHop, src.ip, `${from} -> ${to}: next hop unchanged`);
    }
    assert.ok(ribs.get('c1')?.has(c2.prefix) && ribs.get('n3')?.has(c1.prefix) && !ribs.get('n4')?.has(n3.prefix));
    // nothing reflected back to its originator: each BIRD's own prefix is only its static route
    for (const p of [c1, c2, n3, n4]) assert.equal((await ribOf(birds.get(p.name) as Bird)).get(p.prefix)?.originatorId ?? null, null, `${p.name} gets no copy of its own route`);
  });
});
