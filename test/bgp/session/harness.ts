// Test harness for session tests over real TCP on 127.0.0.0/8 (root
// namespace loopback, random ports): a "side" is one of our Peers with its
// own FakeClock, optional Listener, and arrays recording what its hooks saw.
import { Listener } from '../../../bgp/session/listener.ts';
import { Peer, type PeerConfig, type PeerDown, type PeerHooks, type PeerStateChange } from '../../../bgp/session/peer.ts';
import type { SessionInfo } from '../../../bgp/session/session.ts';
import type { Asn, Ipv4, Prefix, RouterId } from '../../../bgp/types.ts';
import { buildUpdates, type UpdateMessage, type WireContext } from '../../../bgp/wire/index.ts';
import { FakeClock } from '../../../src/runtime/clock.ts';

export interface Side {
  readonly peer: Peer;
  readonly clock: FakeClock;
  listener: Listener | null;
  readonly changes: PeerStateChange[];
  readonly events: PeerStateChange[];
  readonly ups: SessionInfo[];
  readonly downs: PeerDown[];
  readonly updates: UpdateMessage[];
}

export interface SideOptions extends Partial<PeerConfig> {
  readonly remoteAddress: string;
  readonly localAsn: Asn;
  readonly peerAsn: Asn;
  readonly routerId: RouterId;
  /** Listen on this address (port 0) for the peer's connections. */
  readonly listenOn?: string;
}

const sides: Side[] = [];

export async function makeSide(opts: SideOptions, hooks: PeerHooks = {}): Promise<Side> {
  const clock = new FakeClock();
  const { listenOn, ...config } = opts;
  const side: Side = { peer: undefined as unknown as Peer, clock, listener: null, changes: [], events: [], ups: [], downs: [], updates: [] };
  const peer = new Peer(
    { holdTimeS: 9, idleHoldMs: 1_000, connectRetryMs: 5_000, jitter: null, ...config, clock },
    {
      onStateChange: (c) => side.changes.push(c),
      onEvent: (c) => side.events.push(c),
      onEstablished: (i) => side.ups.push(i),
      onDown: (d) => side.downs.push(d),
      onUpdate: (m) => {
        side.updates.push(m);
      },
      ...hooks,
    },
  );
  (side as { peer: Peer }).peer = peer;
  if (listenOn !== undefined) {
    side.listener = new Listener({ addresses: [listenOn], port: 0 });
    side.listener.addPeer(peer);
    await side.listener.listen();
  }
  sides.push(side);
  return side;
}

/** The port a side's listener got. */
export function portOf(side: Side): number {
  const b = side.listener?.bound[0];
  if (b === undefined) throw new Error('side has no listener');
  return b.port;
}

/** Stops every side made so far (ManualStop, close listeners). */
export async function cleanup(): Promise<void> {
  for (const s of sides.splice(0)) {
    for (const x of s.peer.sessions) x.dispose();
    await s.listener?.close();
  }
}

/** Polls `cond` until true or the deadline (real time). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Lets pending I/O callbacks run for a while (for "nothing more happens" checks). */
export async function settle(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

export function prefixOf(k: number): Prefix {
  return `10.${(k >>> 16) & 255}.${(k >>> 8) & 255}.${k & 255}/32` as Prefix;
}

/** An UPDATE source of `total` messages of `perMessage` /32s each, built on demand; counts pulls. */
export function updateSource(ctx: WireContext, total: number, perMessage = 400): { next: () => Uint8Array | null; pulled: () => number; size: number } {
  let n = 0;
  const build = (m: number): Uint8Array => {
    const prefixes = Array.from({ length: perMessage }, (_, k) => prefixOf(m * perMessage + k));
    const msgs = buildUpdates({ family: 'ipv4-unicast', attributes: { origin: 0, asPath: [{ type: 'sequence', asns: [65001 as Asn] }] }, nextHop: '127.0.0.1' as Ipv4, prefixes }, ctx);
    if (msgs.length !== 1) throw new Error(`expected one UPDATE, got ${msgs.length}`);
    return msgs[0] as Uint8Array;
  };
  const size = build(0).length;
  return {
    next: () => (n < total ? build(n++) : null),
    pulled: () => n,
    size,
  };
}

export const AS_A = 65001 as Asn;
export const AS_B = 65002 as Asn;
export const ID_A = '10.0.0.1' as RouterId;
export const ID_B = '10.0.0.2' as RouterId;
