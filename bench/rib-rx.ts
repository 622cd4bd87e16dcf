// Receiver path alone (not a test): N IPv4 /32s encoded up front as UPDATE
// frames of 800 NLRI (one attribute set, as a real peer packs them), then
// decoded and applied to a Rib frame by frame: the work a receiving speaker
// does per message, without sockets or the sender sharing the thread. For
// scale it then decodes the same frames again and only inserts each prefix
// string into a bare Map: the floor any string-keyed table pays.
//
// Usage: node --expose-gc bench/rib-rx.ts [count=1000000]
import { Rib } from '../bgp/rib/index.ts';
import { numberToIpv4, parseAsn, parseRouterId, type Prefix } from '../bgp/types.ts';
import { decodeUpdate, DEFAULT_WIRE_CONTEXT, encodeUpdate, Origin } from '../bgp/wire/index.ts';

const count = Number(process.argv[2] ?? 1_000_000);
const PER_UPDATE = 800;
const gc = (globalThis as { gc?: () => void }).gc;
const ctx = DEFAULT_WIRE_CONTEXT;

const frames: Uint8Array[] = [];
const base = ((100 << 24) | (64 << 16)) >>> 0;
const attributes = { origin: Origin.igp, asPath: [{ type: 'sequence' as const, asns: [parseAsn(65001)] }], nextHop: '198.18.0.1' as never };
for (let i = 0; i < count; i += PER_UPDATE) {
  const prefixes: Prefix[] = [];
  for (let k = i; k < Math.min(count, i + PER_UPDATE); k++) prefixes.push(`${numberToIpv4((base + k) >>> 0)}/32` as Prefix);
  frames.push(encodeUpdate({ type: 'update', withdrawn: { prefixes: [], pathIds: null }, attributes, nlri: { prefixes, pathIds: null } }, ctx));
}

const rib = new Rib({ localAsn: parseAsn(65002), routerId: parseRouterId('198.18.0.2') });
rib.addPeer({ id: '198.18.0.1', asn: parseAsn(65001) });
rib.peerUp('198.18.0.1', {
  negotiated: { peerId: parseRouterId('198.18.0.1') },
  capabilities: { context: ctx, families: new Set(['ipv4-unicast'] as const) },
  localAddress: '198.18.0.2',
});
gc?.();

let decodeMs = 0;
const t0 = performance.now();
for (const f of frames) {
  const a = performance.now();
  const m = decodeUpdate(f, ctx);
  decodeMs += performance.now() - a;
  rib.receiveUpdate('198.18.0.1', m);
}
const t1 = performance.now();
const rss = process.memoryUsage().rss;

// the floor: the same fresh prefix strings, each only inserted into a Map
const bare = new Map<Prefix, object>();
const value = {};
const t2 = performance.now();
for (const f of frames) for (const p of decodeUpdate(f, ctx).nlri.prefixes) if (bare.get(p) === undefined) bare.set(p, value);
const t3 = performance.now();

console.log(`rib-rx: ${rib.size('ipv4-unicast')} of ${count} prefixes in ${frames.length} UPDATEs`);
console.log(`  decode + RIB: ${(t1 - t0).toFixed(0)} ms (decode ${decodeMs.toFixed(0)} ms, RIB ${(t1 - t0 - decodeMs).toFixed(0)} ms), RSS ${(rss / 1048576).toFixed(0)} MiB`);
console.log(`  floor, decode + bare Map insert of the same keys: ${(t3 - t2).toFixed(0)} ms (${bare.size} keys)`);
