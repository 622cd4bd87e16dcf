// Our Peer against real BGP daemons (BIRD 2, FRR, GoBGP, ExaBGP) over a veth between
// two test namespaces: the session establishes (our OPEN accepted, theirs
// checked), hold time 3 s is negotiated and survives several hold periods
// (our KEEPALIVEs arrive in time, theirs reset our hold timer), their UPDATE
// reaches onUpdate decoded, and a stop sends Cease / Administrative Shutdown
// with an RFC 9003 message that the daemon logs (BIRD, FRR, GoBGP).
// RFCs: 4271 §4.2, §4.4, §8; 4486; 9003.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, waitFor, type NsProcess } from '../../helpers/netns.ts';
import { Bird } from '../../helpers/peers/bird.ts';
import { Exabgp } from '../../helpers/peers/exabgp.ts';
import { Frr } from '../../helpers/peers/frr.ts';
import { Gobgp } from '../../helpers/peers/gobgp.ts';
import type { BgpDaemon, DaemonKind, DaemonSpec } from '../../helpers/peers/types.ts';

const DRIVER = fileURLToPath(new URL('./peer-driver.ts', import.meta.url));
const SHUTDOWN = 'podnet interop: node drained';

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

function start(kind: DaemonKind, spec: DaemonSpec): Promise<BgpDaemon> {
  if (kind === 'bird') return Bird.start(spec);
  if (kind === 'frr') return Frr.start(spec);
  if (kind === 'exabgp') return Exabgp.start(spec);
  return Gobgp.start(spec);
}

/** Where each daemon writes the shutdown communication it received. */
function daemonLog(kind: DaemonKind, d: BgpDaemon): string {
  const file = kind === 'bird' ? 'bird.log' : kind === 'frr' ? 'frr.log' : kind === 'gobgp' ? 'gobgpd.log' : 'exabgp.log';
  try {
    return readFileSync(join(d.dir, file), 'utf8');
  } catch {
    return d.log();
  }
}

describe('bgp/session against real BGP daemons', function () {
  this.timeout(60_000);

  const cases: { kind: DaemonKind; ours: 'active' | 'passive' | 'both' }[] = [
    { kind: 'bird', ours: 'active' },
    { kind: 'frr', ours: 'active' },
    { kind: 'gobgp', ours: 'active' },
    { kind: 'exabgp', ours: 'active' },
    // the daemon dials our Listener
    { kind: 'frr', ours: 'passive' },
    // both dial: at most one connection survives (RFC 4271 §6.8)
    { kind: 'bird', ours: 'both' },
  ];
  for (const { kind, ours: mode } of cases) {
    it(`${kind}, ours ${mode}: establishes, keeps a 3 s hold time, receives UPDATEs, stops with an RFC 9003 message`, async () => {
      const lab = await Lab.create();
      let daemon: BgpDaemon | undefined;
      try {
        const us = await lab.addNamespace('us');
        const them = await lab.addNamespace('th');
        await lab.veth({ ns: us, ifname: 'pn-us', addresses: ['198.18.0.1/30'] }, { ns: them, ifname: 'pn-th', addresses: ['198.18.0.2/30'] });
        daemon = await start(kind, {
          ns: them,
          routerId: '198.18.0.2',
          asn: 65002,
          listenAddress: '198.18.0.2',
          nextHop: { ipv4: '198.18.0.2' },
          neighbors: [{ address: '198.18.0.1', asn: 65001, holdTime: 3, passive: mode === 'active', families: ['ipv4'] }],
          routes: [{ prefix: '10.244.7.0/24' }],
        });
        const config = {
          remoteAddress: '198.18.0.2',
          localAddress: '198.18.0.1',
          localAsn: 65001,
          peerAsn: 65002,
          routerId: '198.18.0.1',
          holdTimeS: 9,
          families: ['ipv4-unicast'],
          passive: mode === 'passive',
          ...(mode === 'active' ? {} : { listen: '198.18.0.1' }),
        };
        const ours = us.spawn('podnet-peer', process.execPath, [DRIVER, JSON.stringify(config), SHUTDOWN]);
        await daemon.waitEstablished('198.18.0.1', 20_000);
        const up = await waitFor('our session up', () => lines(ours).find((l) => l.type === 'up'), { timeoutMs: 10_000 });
        // RFC 4271 §4.2: min(9, 3)
        assert.equal(up['holdTimeS'], 3);
        assert.equal(up['keepaliveMs'], 1_000);
        assert.deepEqual(up['families'], ['ipv4-unicast']);
        assert.equal(up['fourOctetAs'], true);
        assert.equal(up['peerId'], '198.18.0.2');
        await waitFor('their UPDATE', () => lines(ours).some((l) => l.type === 'update' && (l['announced'] as string[]).includes('10.244.7.0/24')), { timeoutMs: 15_000 });
        // several hold periods: both directions' KEEPALIVEs keep the session
        const t0 = Date.now();
        await waitFor('4 s of Established', () => Date.now() - t0 >= 4_000, { timeoutMs: 6_000 });
        assert.deepEqual(lines(ours).filter((l) => l.type === 'down'), [], ours.log());
        await daemon.waitEstablished('198.18.0.1', 1_000);
        // exactly one BGP connection between the two
        const ss = await us.exec('ss', ['-Htn', 'state', 'established']);
        assert.equal(ss.stdout.split('\n').filter((l) => l.includes(':179')).length, 1, ss.stdout);

        await ours.stop();
        const tail = lines(ours);
        assert.deepEqual(tail.find((l) => l.type === 'down')?.['sent'], [6, 2]);
        assert.ok(tail.some((l) => l.type === 'stopped'), ours.log());
        // ExaBGP at the harness's log level does not log received NOTIFICATIONs
        if (kind !== 'exabgp') await waitFor(`${kind} to log the shutdown communication`, () => daemonLog(kind, daemon as BgpDaemon).includes(SHUTDOWN), { timeoutMs: 10_000 });
      } catch (e) {
        if (daemon !== undefined && e instanceof Error) e.message += `\n--- ${kind} log ---\n${daemonLog(kind, daemon).slice(-3000)}`;
        throw e;
      } finally {
        await daemon?.stop();
        await lab.teardown();
      }
    });
  }
});
