// Interop (root): a maximum number of prefixes per neighbour (RFC 4486 §4)
// against BIRD. BIRD announces five prefixes to a bgpd that accepts three:
// bgpd closes the session with Cease / Maximum Number of Prefixes Reached
// carrying AFI 1, SAFI 1 and the limit, BIRD reports receiving exactly that,
// BIRD's routes leave our RIB, and the session stays down for the restart
// time (3 s) before it comes back by itself (and is closed again, BIRD still
// sending five).
import assert from 'node:assert/strict';
import { Lab, waitFor, type Netns } from '../helpers/netns.ts';
import { Bird } from '../helpers/peers/bird.ts';
import { Bgpd } from './bgpd-harness.ts';

const OURS = '198.18.75.1';
const THEIRS = '198.18.75.2';

describe('interop: maximum number of prefixes (RFC 4486) with BIRD', function () {
  this.timeout(60_000);
  let lab: Lab | undefined;
  let b: Bgpd | undefined;
  let bird: Bird | undefined;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    lab = await Lab.create();
    const us: Netns = await lab.addNamespace('u75');
    const them: Netns = await lab.addNamespace('b75');
    await lab.veth({ ns: us, ifname: 'eth0', addresses: [`${OURS}/30`] }, { ns: them, ifname: 'eth0', addresses: [`${THEIRS}/30`] });
    b = Bgpd.start(us, lab.dir, {
      name: 'mp',
      routerId: OURS,
      asn: 65001,
      listen: [OURS],
      nextHop: { ipv4: OURS },
      peers: [{ address: THEIRS, asn: 65075, families: ['ipv4'], holdTime: 30, connectRetry: 1, maxPrefixes: { limit: 3, restart: 3 } }],
      routes: [],
    });
    bird = await Bird.start({
      ns: them,
      routerId: THEIRS,
      asn: 65075,
      listenAddress: THEIRS,
      neighbors: [{ address: OURS, asn: 65001, families: ['ipv4'], holdTime: 30 }],
      routes: [1, 2, 3, 4, 5].map((k) => ({ prefix: `10.75.${k}.0/24` })),
    });
  });

  after(async function () {
    await b?.proc.stop().catch(() => undefined);
    await bird?.stop().catch(() => undefined);
    await lab?.teardown();
  });

  it('closes the session with Cease 6/1 (AFI, SAFI, limit), keeps it down for the restart time, then retries', async function () {
    const bgpd = b as Bgpd;
    const diag = (): string => `\n--- bgpd ---\n${bgpd.log()}\n--- bird ---\n${bird?.log().slice(-2000) ?? ''}`;
    const down = await waitFor('our max-prefix NOTIFICATION', async () => {
      const n = await bgpd.neighbor(THEIRS);
      return n.lastError?.notification?.direction === 'sent' && n.lastError.notification.code === 6 ? n : undefined;
    }, { timeoutMs: 30_000, intervalMs: 50 }).catch((e: unknown) => assert.fail(`${String(e)}${diag()}`));
    const downAt = Date.now();
    assert.equal(down.lastError?.notification?.subcode, 1, 'Maximum Number of Prefixes Reached');
    assert.equal(down.lastError?.notification?.dataHex, '00010100000003', 'AFI 1, SAFI 1, limit 3 (RFC 4486 §4)');
    assert.equal(down.maxPrefixes?.heldDown, true);
    const proto = await (bird as Bird).birdc(['show', 'protocols', 'all', 'peer0']);
    assert.match(proto, /Received: Maximum number of prefixes reached/, 'BIRD got our NOTIFICATION');
    await waitFor('BIRD routes gone from our RIB', async () => (await bgpd.learned()).size === 0, { timeoutMs: 5_000, intervalMs: 50 });

    // held down: not Established during the restart time
    while (Date.now() - downAt < 2_500) {
      assert.notEqual((await bgpd.neighbor(THEIRS)).state, 'Established', `still down ${Date.now() - downAt} ms after`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // then it comes back by itself and trips again
    await waitFor('the session re-established after the restart time', async () => (await bgpd.neighbor(THEIRS)).messages.established >= 2, { timeoutMs: 15_000, intervalMs: 50 }).catch((e: unknown) =>
      assert.fail(`${String(e)}${diag()}`),
    );
    assert.ok(Date.now() - downAt >= 2_900, 'not before the restart time');
    await waitFor('held down again', async () => (await bgpd.neighbor(THEIRS)).messages.notificationsOut >= 2, { timeoutMs: 15_000, intervalMs: 50 });
  });
});
