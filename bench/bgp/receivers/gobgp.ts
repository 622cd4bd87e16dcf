// gobgpd (GoBGP 3.10) as a benchmark receiver: one passive eBGP neighbour,
// no zebra (Loc-RIB only), gRPC API on a unix socket in its directory. State
// and the accepted-prefix count come from ListPeer (apipb.GobgpApi/ListPeer:
// Peer.state.session_state and, for ipv4-unicast, AfiSafi.state.accepted),
// which walks the Adj-RIB-In: a linear-cost probe. RFC 4271 (eBGP).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../../test/helpers/netns.ts';
import { GrpcUnixClient, pbFields, pbString } from './grpc.ts';
import type { Probe, ReceiverContext, ReceiverKind, RunningReceiver } from './types.ts';

/** apipb.PeerState.SessionState */
const SESSION_STATES = ['UNKNOWN', 'IDLE', 'CONNECT', 'ACTIVE', 'OPENSENT', 'OPENCONFIRM', 'ESTABLISHED'] as const;

export function gobgpReceiverConfig(ctx: ReceiverContext): string {
  return [
    '[global.config]',
    `  as = ${ctx.asn}`,
    `  router-id = "${ctx.address}"`,
    `  local-address-list = ["${ctx.address}"]`,
    '[[neighbors]]',
    '  [neighbors.config]',
    `    neighbor-address = "${ctx.peerAddress}"`,
    `    peer-as = ${ctx.peerAsn}`,
    '  [neighbors.timers.config]',
    '    hold-time = 90',
    '    keepalive-interval = 30',
    '  [neighbors.transport.config]',
    '    passive-mode = true',
    `    local-address = "${ctx.address}"`,
    '  [[neighbors.afi-safis]]',
    '    [neighbors.afi-safis.config]',
    '      afi-safi-name = "ipv4-unicast"',
    '',
  ].join('\n');
}

/** Decodes a ListPeerResponse stream into state + ipv4-unicast accepted count. */
export function decodeListPeer(msgs: readonly Buffer[]): Probe {
  let st = 0;
  let count = 0;
  for (const m of msgs) {
    for (const [f, v] of pbFields(m)) {
      if (f !== 1 || typeof v === 'number') continue; // ListPeerResponse.peer
      for (const [pf, pv] of pbFields(v)) {
        if (typeof pv === 'number') continue;
        if (pf === 5) {
          // Peer.state -> PeerState.session_state (13)
          for (const [sf, sv] of pbFields(pv)) if (sf === 13 && typeof sv === 'number') st = sv;
        }
        if (pf === 10) {
          // Peer.afi_safis -> AfiSafi.state (3) -> {family (1): {afi 1, safi 2}, accepted (4)}
          for (const [af, av] of pbFields(pv)) {
            if (af !== 3 || typeof av === 'number') continue;
            let v4uc = false;
            let accepted = 0;
            for (const [xf, xv] of pbFields(av)) {
              if (xf === 1 && typeof xv !== 'number') {
                const fam = new Map(pbFields(xv));
                v4uc = fam.get(1) === 1 && fam.get(2) === 1;
              }
              if (xf === 4 && typeof xv === 'number') accepted = xv;
            }
            if (v4uc) count = accepted;
          }
        }
      }
    }
  }
  const state = SESSION_STATES[st] ?? String(st);
  return { state, established: state === 'ESTABLISHED', count };
}

export const gobgpReceiver: ReceiverKind = {
  name: 'gobgp',
  label: 'gobgpd',
  probeCost: 'linear',
  unavailable: () => null,
  async version() {
    const r = await run('gobgpd', ['--version'], { allowFail: true });
    return /(\d+\.\d+[.\d]*)/.exec(r.stdout + r.stderr)?.[1] ?? 'unknown';
  },
  async start(ctx: ReceiverContext): Promise<RunningReceiver> {
    const conf = join(ctx.dir, 'gobgpd.toml');
    const sock = join(ctx.dir, 'gobgp.sock');
    writeFileSync(conf, gobgpReceiverConfig(ctx));
    const proc = ctx.ns.spawn(`${ctx.ns.name}-gobgpd`, 'gobgpd', ['-f', conf, '-t', 'toml', '--api-hosts', `unix://${sock}`, '--pprof-disable', '-l', 'warn'], {
      logPath: join(ctx.dir, 'gobgpd.log'),
    });
    const api = new GrpcUnixClient(sock);
    const request = pbString(1, ctx.peerAddress); // ListPeerRequest.address
    const probe = async (): Promise<Probe> => decodeListPeer(await api.call('/apipb.GobgpApi/ListPeer', request));
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await api.connect();
        const p = await probe();
        if (p.state !== 'UNKNOWN') break;
      } catch {
        // not listening yet
      }
      api.close();
      if (!proc.running) throw new Error(`gobgpd exited:\n${proc.log().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`gobgpd API not up:\n${proc.log().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      pid: proc.pid,
      get running() {
        return proc.running;
      },
      probe,
      log: () => proc.log(),
      async stop() {
        api.close();
        await proc.stop();
      },
    };
  },
};
