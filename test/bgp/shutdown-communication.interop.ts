// Interop (root): RFC 9003 shutdown communication with BIRD. Our
// administrative reset and shutdown send Cease subcode 4 / 2 carrying the
// operator's message, which BIRD shows in `show protocols all`; BIRD's
// `disable NAME "msg"` reaches us as Cease/2 and our neighbour view shows the
// message as the last error's received NOTIFICATION.
import assert from 'node:assert/strict';
import type { NeighborView } from '../../bgp/index.ts';
import { apiRequest } from '../../src/api/client.ts';
import { Lab, waitFor } from '../helpers/netns.ts';
import { Bird } from '../helpers/peers/bird.ts';
import { Bgpd } from './bgpd-harness.ts';

const US = '198.18.77.1';
const BIRD = '198.18.77.2';

describe('interop: RFC 9003 shutdown communication with BIRD', function () {
  this.timeout(60_000);
  let lab: Lab | undefined;
  let b: Bgpd | undefined;
  let bird: Bird | undefined;
  const proto = Bird.protocolName(0);

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    const l = await Lab.create();
    lab = l;
    const us = await l.addNamespace('us');
    const peer = await l.addNamespace('bird');
    await l.veth({ ns: us, ifname: 'eth0', addresses: [`${US}/24`] }, { ns: peer, ifname: 'eth0', addresses: [`${BIRD}/24`] });
    b = Bgpd.start(us, l.dir, { name: 'us', routerId: US, asn: 65077, listen: [US], nextHop: { ipv4: US }, peers: [{ address: BIRD, asn: 65078, families: ['ipv4'], holdTime: 30, connectRetry: 1 }], routes: [] });
    bird = await Bird.start({ ns: peer, routerId: BIRD, asn: 65078, listenAddress: BIRD, neighbors: [{ address: US, asn: 65077, families: ['ipv4'], holdTime: 30 }], routes: [] });
    await bird.waitEstablished(US, 30_000);
  });

  after(async function () {
    await b?.proc.stop().catch(() => undefined);
    await bird?.stop().catch(() => undefined);
    await lab?.teardown();
  });

  const action = async (act: 'reset' | 'shutdown' | 'enable', message?: string): Promise<void> => {
    await apiRequest((b as Bgpd).socket, 'POST', '/v1/bgp/neighbor/action', { address: BIRD, action: act, ...(message !== undefined ? { message } : {}) });
  };
  const birdSays = (text: string): Promise<string> =>
    waitFor(`BIRD shows "${text}"`, async () => {
      const out = await (bird as Bird).birdc(['show', 'protocols', 'all', proto]);
      return out.includes(text) ? out : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200 });

  it('reset and shutdown carry the message to BIRD (Cease 4 and 2); enable brings the session back', async function () {
    await action('reset', 'podnet reset test');
    // BIRD shows the communication as the protocol's "Message:" line (it
    // reconnects at once after a reset, so no error state stays to look at)
    await birdSays('Message:        podnet reset test');
    await (bird as Bird).waitEstablished(US, 30_000);

    await action('shutdown', 'maintenance window 42');
    const s = await birdSays('Message:        maintenance window 42');
    assert.match(s, /Received: Administrative shutdown/i, s);
    const v = await (b as Bgpd).neighbor(BIRD);
    assert.notEqual(v.state, 'established');
    assert.deepEqual(
      { dir: v.lastError?.notification?.direction, code: v.lastError?.notification?.code, sub: v.lastError?.notification?.subcode, msg: v.lastError?.notification?.communication },
      { dir: 'sent', code: 6, sub: 2, msg: 'maintenance window 42' },
    );
    // shut down means down: BIRD keeps trying, we keep refusing
    await new Promise((r2) => setTimeout(r2, 3_000));
    assert.notEqual((await (b as Bgpd).neighbor(BIRD)).state, 'established');

    await action('enable');
    await (bird as Bird).waitEstablished(US, 30_000);
  });

  it('a Cease/2 from BIRD shows its message in our neighbour view', async function () {
    await (bird as Bird).birdc(['disable', proto, '"bird going away"']);
    const v = await waitFor('our view shows BIRD\'s shutdown communication', async () => {
      const n: NeighborView = await (b as Bgpd).neighbor(BIRD);
      return n.lastError?.notification?.direction === 'received' ? n : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200 });
    const n = v.lastError?.notification;
    assert.deepEqual({ code: n?.code, sub: n?.subcode, msg: n?.communication }, { code: 6, sub: 2, msg: 'bird going away' }, JSON.stringify(v.lastError));
  });
});
