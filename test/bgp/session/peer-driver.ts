// A one-peer BGP process for interop tests: runs one of our Peers inside a
// test namespace, with a Listener on port 179 when `listen` is given, and
// prints one JSON line per hook call (state, up, update, down). SIGTERM stops
// the peer with an RFC 9003 shutdown message, then the process exits. Not a
// test file itself.
// Usage: node peer-driver.ts '<PeerConfig JSON + listen?>' '<shutdown message>'
import { Listener, Peer, type PeerConfig } from '../../../bgp/session/index.ts';
import { updateRoutes } from '../../../bgp/wire/index.ts';

const { listen, ...config } = JSON.parse(process.argv[2] ?? '{}') as PeerConfig & { listen?: string };
const shutdownMessage = process.argv[3] ?? 'podnet shutting down';

function out(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const peer = new Peer(config, {
  onStateChange: (c) => out({ type: 'state', from: c.from, to: c.to, event: c.event, reason: c.reason }),
  onEstablished: (i) =>
    out({ type: 'up', holdTimeS: i.negotiated.holdTimeS, keepaliveMs: i.negotiated.keepaliveMs, families: [...i.capabilities.families], fourOctetAs: i.capabilities.context.fourOctetAs, peerId: i.negotiated.peerId }),
  onDown: (d) => out({ type: 'down', reason: d.reason, sent: d.sent && [d.sent.code, d.sent.subcode], received: d.received && [d.received.code, d.received.subcode] }),
  onUpdate: (m) => {
    const { announced, withdrawn } = updateRoutes(m);
    const list = (x: typeof announced): string[] => [...x.values()].flatMap((l) => [...l.prefixes]);
    out({ type: 'update', announced: list(announced), withdrawn: list(withdrawn) });
  },
});

const listener = listen !== undefined ? new Listener({ addresses: [listen], port: 179 }) : null;
listener?.addPeer(peer);
if (listener !== null) listener.onRejected = (r) => out({ type: 'rejected', ...r });

process.on('SIGTERM', () => {
  void peer.stop({ message: shutdownMessage }).then(async () => {
    await listener?.close();
    out({ type: 'stopped' });
    process.exit(0);
  });
});

await listener?.listen();
peer.start();
