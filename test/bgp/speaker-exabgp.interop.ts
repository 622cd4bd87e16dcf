// Interop (root): our `podnet bgpd` against ExaBGP 4.2, two pairs of
// namespaces started in parallel.
// 1. eBGP both ways over an IPv4 session (IPv4 unicast) and an IPv6 session
//    (IPv6 unicast): ExaBGP's routes reach `podnet -j global rib` with
//    AS_PATH, NEXT_HOP, MED, communities, large communities (RFC 4271 §5.1,
//    RFC 4760, RFC 1997, RFC 8092); ours reach ExaBGP's parsed UPDATEs;
//    withdrawals propagate both ways.
// 2. RFC 7606 with raw attributes from ExaBGP (announceRaw) and a raw peer
//    (the capture tool dialing in) on the same bgpd:
//    (a) COMMUNITIES of 5 octets -> treat-as-withdraw (§7.8): that prefix
//        leaves our RIB, the others stay, the session stays up;
//    (b) ATOMIC_AGGREGATE of 1 octet (§7.6) and AGGREGATOR of 3 octets
//        (§7.7) -> attribute-discard: the route is kept, and what we
//        re-advertise carries no such attribute (a well-formed
//        ATOMIC_AGGREGATE, the control, is passed on);
//    (c) NLRI whose prefix length overruns the message (§5.3) -> session
//        reset: we send NOTIFICATION 3/10 (RFC 4271 §6.3, Invalid Network
//        Field), our neighbour view shows it, and the peer's next connection
//        is Established again.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { startCapture, splitMessages, type CaptureRun } from '../helpers/capture.ts';
import { Lab, waitFor, type Netns } from '../helpers/netns.ts';
import { Exabgp } from '../helpers/peers/exabgp.ts';
import type { OriginRoute, RibRoute } from '../helpers/peers/types.ts';
import { Bgpd, comparable, fromOurRib, type BgpdSpec } from './bgpd-harness.ts';

const US = 65001;
const EXA = 65052;
const EXA2 = 65053;
const RAW = 65054;

const u = { v4: '198.18.51.1', v6: 'fd00:0:0:51::1' };
const x = { v4: '198.18.51.2', v6: 'fd00:0:0:51::2' };
// pair 2: one /29 for bgpd, ExaBGP and the raw peer
const u2 = '198.18.52.1';
const x2 = '198.18.52.2';
const raw = '198.18.52.3';

const OURS: OriginRoute[] = [
  { prefix: '10.244.51.0/24', med: 11, communities: [`${US}:51`], largeCommunities: [`${US}:1:51`] },
  { prefix: 'fd00:244:51::/64', med: 12, communities: [`${US}:151`], largeCommunities: [`${US}:2:51`] },
  { prefix: '10.245.51.0/24', communities: [`${US}:7`] },
];
const THEIRS: OriginRoute[] = [
  { prefix: '10.246.51.0/24', med: 31, communities: [`${EXA}:51`, `${EXA}:52`], largeCommunities: [`${EXA}:3:51`] },
  { prefix: 'fd00:246:51::/64', med: 41, communities: [`${EXA}:251`], largeCommunities: [`${EXA}:4:51`] },
  { prefix: '10.247.51.0/24', med: 5 },
];

const bgpd1: BgpdSpec = {
  name: 'exa',
  routerId: u.v4,
  asn: US,
  listen: [u.v4, u.v6],
  nextHop: { ipv4: u.v4, ipv6: u.v6 },
  peers: [
    { address: x.v4, asn: EXA, families: ['ipv4'] },
    { address: x.v6, asn: EXA, families: ['ipv6'] },
  ],
  routes: OURS,
};

const bgpd2: BgpdSpec = {
  name: 'raw',
  routerId: u2,
  asn: US,
  listen: [u2],
  nextHop: { ipv4: u2 },
  peers: [
    { address: x2, asn: EXA2, families: ['ipv4'] },
    { address: raw, asn: RAW, families: ['ipv4'], passive: true },
  ],
  routes: [],
};

const isV6 = (p: string): boolean => p.includes(':');

/** Attribute type codes and the IPv4 NLRI prefixes (each as its hex octets) of one raw UPDATE (RFC 4271 §4.3). */
function updateParts(m: Buffer): { codes: number[]; nlri: string[] } {
  let o = 19;
  const wlen = m.readUInt16BE(o);
  o += 2 + wlen;
  const alen = m.readUInt16BE(o);
  o += 2;
  const end = o + alen;
  const codes: number[] = [];
  while (o < end) {
    const flags = m.readUInt8(o);
    codes.push(m.readUInt8(o + 1));
    const ext = (flags & 0x10) !== 0;
    const len = ext ? m.readUInt16BE(o + 2) : m.readUInt8(o + 2);
    o += (ext ? 4 : 3) + len;
  }
  const nlri: string[] = [];
  for (let i = end; i < m.length; ) {
    const n = 1 + Math.ceil(m.readUInt8(i) / 8);
    nlri.push(m.subarray(i, i + n).toString('hex'));
    i += n;
  }
  return { codes, nlri };
}

describe('interop: podnet bgpd with ExaBGP (routes both ways, RFC 7606)', function () {
  this.timeout(60_000);
  let lab: Lab | undefined;
  /** ExaBGP needs one local address per instance: one instance per session (family). */
  let exa4: Exabgp | undefined;
  let exa6: Exabgp | undefined;
  let exa2: Exabgp | undefined;
  let ours1: Bgpd | undefined;
  let ours2: Bgpd | undefined;
  let capture: CaptureRun | undefined;
  let rawNs: Netns | undefined;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    const l = await Lab.create();
    lab = l;
    await Promise.all([
      (async () => {
        const us = await l.addNamespace('u51');
        const them = await l.addNamespace('x51');
        await l.veth({ ns: us, ifname: 'eth0', addresses: [`${u.v4}/30`, `${u.v6}/64`] }, { ns: them, ifname: 'eth0', addresses: [`${x.v4}/30`, `${x.v6}/64`] });
        ours1 = Bgpd.start(us, l.dir, bgpd1);
        [exa4, exa6] = await Promise.all(
          (['ipv4', 'ipv6'] as const).map((f) =>
            Exabgp.start({
              ns: them,
              name: `exabgp-${f}`,
              routerId: x.v4,
              asn: EXA,
              listenAddress: f === 'ipv4' ? x.v4 : x.v6,
              nextHop: { ipv4: x.v4, ipv6: x.v6 },
              neighbors: [{ address: f === 'ipv4' ? u.v4 : u.v6, asn: US, families: [f], holdTime: 30 }],
              routes: THEIRS.filter((r) => isV6(r.prefix) === (f === 'ipv6')),
            }),
          ),
        );
      })(),
      (async () => {
        const us = await l.addNamespace('u52');
        const them = await l.addNamespace('x52');
        rawNs = them;
        await l.veth({ ns: us, ifname: 'eth0', addresses: [`${u2}/29`] }, { ns: them, ifname: 'eth0', addresses: [`${x2}/29`, `${raw}/29`] });
        ours2 = Bgpd.start(us, l.dir, bgpd2);
        exa2 = await Exabgp.start({ ns: them, routerId: x2, asn: EXA2, listenAddress: x2, nextHop: { ipv4: x2 }, neighbors: [{ address: u2, asn: US, families: ['ipv4'], holdTime: 30 }] });
        await ours2.ready();
        // the raw peer dials in and records everything we send it (our re-advertisements of ExaBGP's routes)
        capture = await startCapture(them, { listen: raw, connect: u2, asn: RAW, routerId: raw, families: ['ipv4'], out: join(l.dir, 'raw-1.bin') });
      })(),
    ]);
  });

  after(async function () {
    await capture?.stop().catch(() => undefined);
    await ours1?.proc.stop().catch(() => undefined);
    await ours2?.proc.stop().catch(() => undefined);
    await exa4?.stop().catch(() => undefined);
    await exa6?.stop().catch(() => undefined);
    await exa2?.stop().catch(() => undefined);
    await lab?.teardown();
  });

  it('IPv4 and IPv6 eBGP: routes with MED, communities, large communities both ways; withdrawals both ways', async function () {
    const d4 = exa4;
    const d6 = exa6;
    const b = ours1;
    assert.ok(d4 !== undefined && d6 !== undefined && b !== undefined);
    const diag = (): string => `\n--- exabgp ---\n${d4.log().slice(-2000)}\n${d6.log().slice(-2000)}\n--- bgpd ---\n${b.log()}`;
    const exaRib = async (): Promise<RibRoute[]> => [...(await d4.rib()), ...(await d6.rib())].filter((r) => r.peer !== undefined);
    for (const [ourPeer, theirPeer, d] of [[x.v4, u.v4, d4], [x.v6, u.v6, d6]] as const) {
      await d.waitEstablished(theirPeer, 30_000).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
      await waitFor(`our session to ${ourPeer}`, async () => (await b.neighbor(ourPeer)).state === 'Established', { timeoutMs: 20_000 });
    }
    // ExaBGP's routes in `podnet -j global rib`
    const wantHere: RibRoute[] = THEIRS.map((r) => ({
      prefix: r.prefix,
      nextHop: isV6(r.prefix) ? x.v6 : x.v4,
      asPath: [EXA],
      ...(r.med !== undefined ? { med: r.med } : {}),
      communities: [...(r.communities ?? [])].sort(),
      largeCommunities: [...(r.largeCommunities ?? [])].sort(),
      peer: isV6(r.prefix) ? x.v6 : x.v4,
    }));
    let gotHere: RibRoute[] = [];
    await waitFor('our rib to hold ExaBGP routes', async () => {
      const rib = await b.cliRib();
      gotHere = wantHere.flatMap((w) => {
        const p = rib.get(w.prefix);
        return p === undefined ? [] : [fromOurRib(p)];
      });
      return isDeepStrictEqual(gotHere, wantHere);
    }, { timeoutMs: 20_000, intervalMs: 300 }).catch(() => undefined);
    assert.deepEqual(gotHere, wantHere, `podnet global rib${diag()}`);
    // ours in ExaBGP's parsed UPDATEs: next hop self, AS_PATH [us] (RFC 4271 §5.1.2, §5.1.3)
    const wantThere: RibRoute[] = OURS.map((r) => ({
      prefix: r.prefix,
      nextHop: isV6(r.prefix) ? u.v6 : u.v4,
      asPath: [US],
      ...(r.med !== undefined ? { med: r.med } : {}),
      communities: [...(r.communities ?? [])].sort(),
      largeCommunities: [...(r.largeCommunities ?? [])].sort(),
      peer: isV6(r.prefix) ? u.v6 : u.v4,
    }));
    let gotThere: RibRoute[] = [];
    await waitFor('ExaBGP to learn our routes', async () => {
      const rib = await exaRib();
      gotThere = wantThere.flatMap((w) => rib.filter((r) => r.prefix === w.prefix).map(comparable));
      return isDeepStrictEqual(gotThere, wantThere);
    }, { timeoutMs: 20_000, intervalMs: 200 }).catch(() => undefined);
    assert.deepEqual(gotThere, wantThere, `ExaBGP's view of our routes${diag()}`);

    // our withdrawals (a reload without two prefixes, one per family) reach ExaBGP
    const keep = OURS[0] as OriginRoute;
    b.reload({ ...bgpd1, routes: [keep] });
    await waitFor('ExaBGP to drop our withdrawn prefixes', async () => {
      const mine = (await exaRib()).map((r) => r.prefix);
      return mine.length === 1 && mine[0] === keep.prefix;
    }, { timeoutMs: 20_000, intervalMs: 200 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    // theirs (one per family) reach us
    await d6.withdraw('fd00:246:51::/64');
    await d4.withdraw('10.247.51.0/24');
    const left = await waitFor('our rib to drop the withdrawn prefixes', async () => {
      const rib = await b.learned();
      return rib.has('fd00:246:51::/64') || rib.has('10.247.51.0/24') ? undefined : rib;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    assert.deepEqual([...left.keys()], ['10.246.51.0/24']);
    for (const a of [x.v4, x.v6]) {
      const n = await b.neighbor(a);
      assert.equal(n.state, 'Established');
      assert.equal(n.messages.established, 1, `one session to ${a} all along`);
    }
  });

  it('RFC 7606: treat-as-withdraw and attribute-discard keep the session; an NLRI overrun resets it and it comes back', async function () {
    const d = exa2;
    const b = ours2;
    const cap = capture;
    assert.ok(d !== undefined && b !== undefined && cap !== undefined && lab !== undefined && rawNs !== undefined);
    const diag = (): string => `\n--- exabgp ---\n${d.log().slice(-3000)}\n--- bgpd ---\n${b.log()}`;
    await d.waitEstablished(u2, 30_000).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    await waitFor('both sessions up', async () => (await b.neighbor(x2)).state === 'Established' && (await b.neighbor(raw)).state === 'Established', { timeoutMs: 20_000 });

    // (a) a good P1 and P2, then P2 again with a 5-octet COMMUNITIES (RFC 7606 §7.8: treat-as-withdraw)
    d.announceRaw('10.248.1.0/24', [{ code: 8, flags: 0xc0, hex: 'fe1d0001' }]);
    d.announceRaw('10.248.2.0/24', [{ code: 8, flags: 0xc0, hex: 'fe1d0002' }]);
    await waitFor('P1 and P2 in our rib', async () => {
      const rib = await b.learned();
      return rib.get('10.248.1.0/24')?.communities[0] === `${EXA2}:1` && rib.get('10.248.2.0/24')?.communities[0] === `${EXA2}:2`;
    }, { timeoutMs: 15_000, intervalMs: 200 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    d.announceRaw('10.248.2.0/24', [{ code: 8, flags: 0xc0, hex: 'fe1d0002ff' }]);
    // (b) attribute-discard: ATOMIC_AGGREGATE of 1 octet (§7.6), AGGREGATOR of 3 octets (§7.7); the control carries a well-formed ATOMIC_AGGREGATE
    d.announceRaw('10.248.3.0/24', [{ code: 6, flags: 0x40, hex: '00' }]);
    d.announceRaw('10.248.4.0/24', [{ code: 7, flags: 0xc0, hex: 'fe6d01' }]);
    d.announceRaw('10.248.5.0/24', [{ code: 6, flags: 0x40, hex: '' }]);
    const rib = await waitFor('P2 withdrawn, P3-P5 installed', async () => {
      const r = await b.learned();
      return !r.has('10.248.2.0/24') && ['10.248.1.0/24', '10.248.3.0/24', '10.248.4.0/24', '10.248.5.0/24'].every((p) => r.has(p)) ? r : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    assert.deepEqual([...rib.keys()].sort(), ['10.248.1.0/24', '10.248.3.0/24', '10.248.4.0/24', '10.248.5.0/24']);
    const n = await b.neighbor(x2);
    assert.equal(n.state, 'Established');
    assert.equal(n.messages.established, 1, 'the malformed attributes did not reset the session');
    assert.equal(n.lastError, null);
    // what we re-advertise to the raw peer: P3/P4 without the discarded attribute, P5 with ATOMIC_AGGREGATE
    const nlri = (p: number): string => `180af8${p.toString(16).padStart(2, '0')}`;
    const sent = async (): Promise<Map<string, number[]>> => {
      const out = new Map<string, number[]>();
      for (const m of splitMessages(readFileSync(cap.out))) if (m.readUInt8(18) === 2) {
        const parts = updateParts(m);
        for (const p of parts.nlri) out.set(p, parts.codes);
      }
      return Promise.resolve(out);
    };
    const got = await waitFor('our UPDATEs for P3-P5 at the raw peer', async () => {
      const s = await sent();
      return [3, 4, 5].every((p) => s.has(nlri(p))) ? s : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200 });
    assert.ok(!(got.get(nlri(3)) ?? []).includes(6), `P3 re-advertised without ATOMIC_AGGREGATE: ${String(got.get(nlri(3)))}`);
    assert.ok(!(got.get(nlri(4)) ?? []).includes(7), `P4 re-advertised without AGGREGATOR: ${String(got.get(nlri(4)))}`);
    assert.ok((got.get(nlri(5)) ?? []).includes(6), `P5 keeps its well-formed ATOMIC_AGGREGATE: ${String(got.get(nlri(5)))}`);
    assert.ok(!got.has(nlri(2)) || !(await b.learned()).has('10.248.2.0/24'));

    // (c) the raw peer sends an UPDATE whose NLRI says /24 but carries one octet: session reset (RFC 7606 §5.3, RFC 4271 §6.3)
    // ORIGIN IGP, AS_PATH empty (the raw peer is eBGP but §6.3's first-AS check never runs: the NLRI fails first), NEXT_HOP 198.18.52.3
    const attrs = '40010100400200400304c6123403';
    const body = `0000${(attrs.length / 2).toString(16).padStart(4, '0')}${attrs}180a`;
    cap.send(Buffer.from(`${'ff'.repeat(16)}${(19 + body.length / 2).toString(16).padStart(4, '0')}02${body}`, 'hex'));
    const bytes = await cap.waitClosed();
    const notif = splitMessages(bytes).find((m) => m.readUInt8(18) === 3);
    assert.ok(notif !== undefined, 'we sent no NOTIFICATION');
    assert.deepEqual([notif.readUInt8(19), notif.readUInt8(20)], [3, 10], `NOTIFICATION ${notif.toString('hex')}`);
    const err = await waitFor('our neighbour view of the reset', async () => (await b.neighbor(raw)).lastError ?? undefined, { timeoutMs: 10_000 });
    assert.deepEqual([err.notification?.direction, err.notification?.code, err.notification?.subcode], ['sent', 3, 10]);
    // the peer's next connection comes up again; ExaBGP's session was not touched
    const again = await startCapture(rawNs, { listen: raw, connect: u2, asn: RAW, routerId: raw, families: ['ipv4'], out: join(lab.dir, 'raw-2.bin') });
    capture = again;
    await waitFor('the raw peer Established again', async () => {
      const v = await b.neighbor(raw);
      return v.state === 'Established' && v.messages.established === 2;
    }, { timeoutMs: 20_000, intervalMs: 200 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    assert.equal((await b.neighbor(x2)).messages.established, 1);
    assert.ok((await b.learned()).has('10.248.1.0/24'), "ExaBGP's routes stayed");
  });
});
