// BIRD 2 as a benchmark receiver: one passive eBGP protocol importing
// everything into master4, no kernel protocol (Loc-RIB only). State and the
// imported-route count come from `show protocols all` over a kept-open
// control socket: O(1) for BIRD (it keeps per-channel counters).
// RFC 4271 (eBGP), RFC 4724 (BIRD advertises Graceful Restart, so the
// injector's End-of-RIB reaches it).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../../test/helpers/netns.ts';
import { connectBirdCtl } from '../birdctl.ts';
import type { ReceiverContext, ReceiverKind, RunningReceiver } from './types.ts';

const PROTOCOL = 'inj';

export function birdReceiverConfig(ctx: ReceiverContext): string {
  return [
    `log "${join(ctx.dir, 'bird.log')}" { info, warning, error, auth, fatal, bug };`,
    `router id ${ctx.address};`,
    'protocol device { scan time 60; }',
    `protocol bgp ${PROTOCOL} {`,
    `  local ${ctx.address} as ${ctx.asn};`,
    `  neighbor ${ctx.peerAddress} as ${ctx.peerAsn};`,
    '  passive on;',
    '  hold time 90; keepalive time 30;',
    '  ipv4 { import all; export none; };',
    '}',
    '',
  ].join('\n');
}

export const birdReceiver: ReceiverKind = {
  name: 'bird',
  label: 'BIRD',
  probeCost: 'constant',
  unavailable: () => null,
  async version() {
    const r = await run('bird', ['--version'], { allowFail: true });
    return /(\d+\.\d+[.\d]*)/.exec(r.stdout + r.stderr)?.[1] ?? 'unknown';
  },
  async start(ctx: ReceiverContext): Promise<RunningReceiver> {
    const conf = join(ctx.dir, 'bird.conf');
    const ctlPath = join(ctx.dir, 'bird.ctl');
    writeFileSync(conf, birdReceiverConfig(ctx));
    const proc = ctx.ns.spawn(`${ctx.ns.name}-bird`, 'bird', ['-f', '-c', conf, '-s', ctlPath, '-P', join(ctx.dir, 'bird.pid')], {
      logPath: join(ctx.dir, 'bird.stderr'),
    });
    const ctl = await connectBirdCtl(ctlPath, 10_000, () => proc.running);
    return {
      pid: proc.pid,
      get running() {
        return proc.running;
      },
      async probe() {
        const p = await ctl.protocol(PROTOCOL);
        return { state: p.state, established: p.state === 'Established', count: p.imported };
      },
      log: () => proc.log(),
      async stop() {
        ctl.close();
        await proc.stop();
      },
    };
  },
};
