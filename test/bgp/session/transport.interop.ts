// Transport security of our Peer against real daemons in test namespaces:
// TCP-MD5 on our active connection towards BIRD (right password:
// Established; wrong: BIRD's kernel drops our SYNs, counted, and we never
// reach OpenSent), TCP-MD5 on our Listener with FRR dialling (wrong:
// our kernel drops FRR's SYNs; FRR's password corrected at run time:
// Established), and GTSM against BIRD two hops away behind a router
// namespace, BIRD sending TTL 255 (it arrives with 254): refused in both
// directions with GTSM for a direct peer, accepted with GTSM allowing one
// router in between, accepted with GTSM off and an eBGP multihop TTL of 2.
// RFCs: 2385 (TCP MD5 signature), 5082 (GTSM), 4271 §8 (FSM states).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Lab, waitFor, type Netns, type NsProcess } from '../../helpers/netns.ts';
import { Bird } from '../../helpers/peers/bird.ts';
import { Frr } from '../../helpers/peers/frr.ts';

const DRIVER = fileURLToPath(new URL('./peer-driver.ts', import.meta.url));

interface Line {
  readonly type: string;
  readonly [k: string]: unknown;
}

function lines(p: NsProcess): Line[] {
  return p
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

/** The FSM states our peer went through. */
const states = (p: NsProcess): string[] => lines(p).filter((l) => l.type === 'state').map((l) => String(l['to']));

/** A TcpExt counter of a namespace (/proc/net/netstat is per namespace). */
async function tcpExt(ns: Netns, name: string): Promise<number> {
  const text = (await ns.exec('cat', ['/proc/net/netstat'])).stdout;
  const rows = text.split('\n').filter((l) => l.startsWith('TcpExt:'));
  const i = (rows[0] ?? '').split(/\s+/).indexOf(name);
  if (i < 0) throw new Error(`no TcpExt counter ${name}`);
  return Number((rows[1] ?? '').split(/\s+/)[i]);
}

/** Our peer (test/bgp/session/peer-driver.ts) with short retry timers. */
function ours(ns: Netns, name: string, config: Record<string, unknown>): NsProcess {
  const full = { localAsn: 65001, peerAsn: 65002, holdTimeS: 9, families: ['ipv4-unicast'], connectRetryMs: 2_000, idleHoldMs: 500, ...config };
  return ns.spawn(name, process.execPath, [DRIVER, JSON.stringify(full), 'podnet interop: transport']);
}

const up = (p: NsProcess): boolean => lines(p).some((l) => l.type === 'up');

describe('bgp/session transport security against real daemons', function () {
  this.timeout(60_000);

  it('TCP-MD5, ours active towards BIRD: a wrong password never gets past the handshake, the right one establishes', async () => {
    const lab = await Lab.create();
    let bird: Bird | undefined;
    try {
      const us = await lab.addNamespace('us');
      const th = await lab.addNamespace('bd');
      await lab.veth({ ns: us, ifname: 'pn-us', addresses: ['198.18.0.1/30'] }, { ns: th, ifname: 'pn-bd', addresses: ['198.18.0.2/30'] });
      bird = await Bird.start({
        ns: th, routerId: '198.18.0.2', asn: 65002, listenAddress: '198.18.0.2',
        neighbors: [{ address: '198.18.0.1', asn: 65001, passive: true, password: 'md5-right', holdTime: 9, families: ['ipv4'] }],
      });
      const base = { remoteAddress: '198.18.0.2', localAddress: '198.18.0.1', routerId: '198.18.0.1' };

      const failures = await tcpExt(th, 'TCPMD5Failure');
      const wrong = ours(us, 'ours-wrong', { ...base, password: 'md5-wrong' });
      // RFC 2385 §2: BIRD's kernel drops our signed-with-the-wrong-key SYNs (and their retransmissions)
      await waitFor('BIRD to drop two badly signed SYNs', async () => (await tcpExt(th, 'TCPMD5Failure')) >= failures + 2, { timeoutMs: 10_000 });
      const pending = (await us.exec('ss', ['-Htn', 'state', 'syn-sent', 'dst', '198.18.0.2'])).stdout;
      assert.match(pending, /198\.18\.0\.2:179/, 'our connection is still waiting for a SYN-ACK');
      assert.deepEqual(states(wrong), ['Connect'], wrong.log());
      await wrong.stop();

      const right = ours(us, 'ours-right', { ...base, password: 'md5-right' });
      await waitFor('our session up', () => up(right), { timeoutMs: 15_000 });
      await bird.waitEstablished('198.18.0.1', 5_000);
      assert.deepEqual(states(right).slice(0, 4), ['Connect', 'OpenSent', 'OpenConfirm', 'Established']);
      await right.stop();
    } catch (e) {
      if (bird !== undefined && e instanceof Error) e.message += `\n--- bird log ---\n${bird.log().slice(-3000)}`;
      throw e;
    } finally {
      await bird?.stop();
      await lab.teardown();
    }
  });

  it('TCP-MD5 on our Listener, FRR dialling: its wrong password is dropped by our kernel; corrected, it establishes', async () => {
    const lab = await Lab.create();
    let frr: Frr | undefined;
    try {
      const us = await lab.addNamespace('us');
      const th = await lab.addNamespace('fr');
      await lab.veth({ ns: us, ifname: 'pn-us', addresses: ['198.18.0.1/30'] }, { ns: th, ifname: 'pn-fr', addresses: ['198.18.0.2/30'] });
      const failures = await tcpExt(us, 'TCPMD5Failure');
      const passive = ours(us, 'ours-passive', { remoteAddress: '198.18.0.2', routerId: '198.18.0.1', passive: true, listen: '198.18.0.1', password: 'md5-right' });
      await waitFor('our listener', async () => (await us.exec('ss', ['-Htln', 'sport', '= :179'])).stdout.includes('198.18.0.1:179'), { timeoutMs: 10_000 });
      frr = await Frr.start({
        ns: th, routerId: '198.18.0.2', asn: 65002, listenAddress: '198.18.0.2',
        neighbors: [{ address: '198.18.0.1', asn: 65001, password: 'md5-wrong', holdTime: 9, families: ['ipv4'] }],
      }, { zebra: false });
      await waitFor('our kernel to drop two badly signed SYNs', async () => (await tcpExt(us, 'TCPMD5Failure')) >= failures + 2, { timeoutMs: 15_000 });
      // nothing reached our Listener: no connection, no refusal, the FSM still waits in Active
      assert.deepEqual(states(passive), ['Active'], passive.log());
      assert.deepEqual(lines(passive).filter((l) => l.type === 'rejected'), []);

      const out = await frr.vtysh(['configure terminal', 'router bgp 65002', 'neighbor 198.18.0.1 password md5-right']);
      assert.doesNotMatch(out, /% /);
      await waitFor('our session up', () => up(passive), { timeoutMs: 20_000 });
      await frr.waitEstablished('198.18.0.1', 5_000);
      assert.deepEqual(states(passive).slice(0, 4), ['Active', 'OpenSent', 'OpenConfirm', 'Established']);
      await passive.stop();
    } catch (e) {
      if (frr !== undefined && e instanceof Error) e.message += `\n--- frr log ---\n${frr.log().slice(-3000)}`;
      throw e;
    } finally {
      await frr?.stop();
      await lab.teardown();
    }
  });

  it('GTSM: BIRD two hops away (TTL 255 arrives as 254) is refused for a direct peer, accepted with one router allowed or GTSM off', async () => {
    const lab = await Lab.create();
    let bird: Bird | undefined;
    try {
      const us = await lab.addNamespace('us');
      const rt = await lab.addNamespace('rt', { forwarding: true });
      const far = await lab.addNamespace('far');
      await lab.veth({ ns: us, ifname: 'pn-us', addresses: ['198.18.0.1/30'] }, { ns: rt, ifname: 'pn-rt-us', addresses: ['198.18.0.2/30'] });
      await lab.veth({ ns: rt, ifname: 'pn-rt-far', addresses: ['198.18.0.5/30'] }, { ns: far, ifname: 'pn-far', addresses: ['198.18.0.6/30'] });
      await us.ip(['route', 'add', '198.18.0.4/30', 'via', '198.18.0.2']);
      await far.ip(['route', 'add', '198.18.0.0/30', 'via', '198.18.0.5']);
      // BIRD's multihop 255 sends TTL 255: one router later it is 254
      bird = await Bird.start({
        ns: far, routerId: '198.18.0.6', asn: 65002, listenAddress: '198.18.0.6',
        neighbors: [{ address: '198.18.0.1', asn: 65001, multihop: 255, holdTime: 9, families: ['ipv4'] }],
      });
      const base = { remoteAddress: '198.18.0.6', localAddress: '198.18.0.1', routerId: '198.18.0.1', listen: '198.18.0.1' };

      // RFC 5082 §3: a direct peer's packets arrive with 255; 254 is not processed, in either direction
      const drops = await tcpExt(us, 'TCPMinTTLDrop');
      const strict = ours(us, 'ours-gtsm-direct', { ...base, ttlSecurity: true });
      await waitFor('our kernel to drop low-TTL segments', async () => (await tcpExt(us, 'TCPMinTTLDrop')) >= drops + 3, { timeoutMs: 15_000 });
      assert.ok(!states(strict).some((s) => s === 'OpenSent' || s === 'OpenConfirm' || s === 'Established'), strict.log());
      assert.deepEqual(lines(strict).filter((l) => l.type === 'rejected'), [], 'the listener dropped them in the kernel, before accept');
      await strict.stop();

      // one router allowed: 256 - 2 = 254 is the lowest TTL accepted
      const radius = ours(us, 'ours-gtsm-2', { ...base, ttlSecurity: true, multihopTtl: 2 });
      await waitFor('our session up with GTSM allowing one router', () => up(radius), { timeoutMs: 20_000 });
      await bird.waitEstablished('198.18.0.1', 5_000);
      await radius.stop();

      // GTSM off: eBGP multihop TTL 2 reaches BIRD, anything BIRD sends is accepted
      const off = ours(us, 'ours-multihop', { ...base, multihopTtl: 2 });
      await waitFor('our session up with GTSM off', () => up(off), { timeoutMs: 20_000 });
      await off.stop();
    } catch (e) {
      if (bird !== undefined && e instanceof Error) e.message += `\n--- bird log ---\n${bird.log().slice(-3000)}`;
      throw e;
    } finally {
      await bird?.stop();
      await lab.teardown();
    }
  });
});
