// RIB over real sessions (not a test): two of our speakers' halves in one
// process, Peer + Rib each, over loopback TCP. A originates N /32s; the time
// until B's RIB holds them all (End-of-RIB received) covers A's Adj-RIB-Out
// and encoding, TCP, B's framing/decoding and B's RIB. Both ends share one
// thread, so this is a pessimistic figure for a receiver alone.
//
// Usage: node --expose-gc bench/rib-loopback.ts [count=1000000]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Rib } from '../bgp/rib/index.ts';
import { Listener, Peer, type PeerHooks } from '../bgp/session/index.ts';
import { numberToIpv4, parseAsn, parseRouterId, type Prefix } from '../bgp/types.ts';
import { endOfRibFamily } from '../bgp/wire/index.ts';

const count = Number(process.argv[2] ?? 1_000_000);
// the longest event-loop turn while the table moves: how long a timer or an API request could wait
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
const gc = (globalThis as { gc?: () => void }).gc;
const AS_A = parseAsn(65001);
const AS_B = parseAsn(65002);

function bind(rib: Rib, id: string, onEor: () => void): { hooks: PeerHooks; set: (p: Peer) => void } {
  let peer: Peer | null = null;
  rib.onUpdatesPending((p) => {
    if (p === id) peer?.updatesPending();
  });
  return {
    set: (p) => (peer = p),
    hooks: {
      onEstablished: (info) => rib.peerUp(id, info),
      onDown: () => rib.peerDown(id),
      onUpdate: (m) => {
        if (endOfRibFamily(m) !== null) onEor();
        rib.receiveUpdate(id, m);
      },
      nextUpdate: () => rib.nextUpdate(id),
    },
  };
}

const ribA = new Rib({ localAsn: AS_A, routerId: parseRouterId('127.0.0.1') });
const ribB = new Rib({ localAsn: AS_B, routerId: parseRouterId('127.0.0.2') });
ribA.addPeer({ id: '127.0.0.2', asn: AS_B });
ribB.addPeer({ id: '127.0.0.1', asn: AS_A });
const base = (100 << 24) | (64 << 16);
for (let k = 0; k < count; k++) ribA.originate({ prefix: `${numberToIpv4((base + k) >>> 0)}/32` as Prefix });
gc?.();
const heap0 = process.memoryUsage().heapUsed;

let t0 = 0;
let done: () => void = () => {};
const finished = new Promise<void>((r) => (done = r));
const wa = bind(ribA, '127.0.0.2', () => {});
const wb = bind(ribB, '127.0.0.1', () => done());
const listener = new Listener({ addresses: ['127.0.0.2'], port: 0 });
const b = new Peer({ remoteAddress: '127.0.0.1', localAsn: AS_B, peerAsn: AS_A, routerId: parseRouterId('127.0.0.2'), passive: true, families: ['ipv4-unicast'] }, wb.hooks);
wb.set(b);
listener.addPeer(b);
await listener.listen();
const port = listener.bound[0]?.port ?? 0;
const a = new Peer({ remoteAddress: '127.0.0.2', remotePort: port, localAddress: '127.0.0.1', localAsn: AS_A, peerAsn: AS_B, routerId: parseRouterId('127.0.0.1'), families: ['ipv4-unicast'] }, {
  ...wa.hooks,
  onEstablished: (info) => {
    t0 = performance.now();
    loopDelay.enable();
    ribA.peerUp('127.0.0.2', info);
  },
});
wa.set(a);
b.start();
a.start();
await finished;
const t1 = performance.now();
loopDelay.disable();
gc?.();
console.log(`rib-loopback: ${ribB.size('ipv4-unicast')} of ${count} prefixes in B's RIB ${(t1 - t0).toFixed(0)} ms after Established`);
console.log(`  heap: ${((process.memoryUsage().heapUsed - heap0) / 1048576).toFixed(1)} MiB more than with A's table alone; RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
console.log(`  event-loop delay: max ${(loopDelay.max / 1e6).toFixed(0)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms`);
await a.stop();
await b.stop();
a.dispose();
b.dispose();
await listener.close();
