// RIB micro-benchmark (not a test): feeds N IPv4 /32s from one eBGP peer,
// all with one attribute set, in UPDATEs of ~800 NLRI as a real peer packs
// them, straight into Rib.receiveUpdate (no socket, no decode), and prints
// the time and the heap the RIB holds. Optionally a second, Established
// eBGP peer receives everything (Adj-RIB-Out + UPDATE encoding, pulled).
//
// Usage: node --expose-gc bench/rib-micro.ts [count=1000000] [--out] [--subscribe]
import { Rib } from '../bgp/rib/index.ts';
import { numberToIpv4, parseAsn, parseRouterId, type Prefix } from '../bgp/types.ts';
import { DEFAULT_WIRE_CONTEXT, Origin, type UpdateMessage } from '../bgp/wire/index.ts';

const args = process.argv.slice(2);
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const withOut = args.includes('--out');
const subscribe = args.includes('--subscribe');
const PER_UPDATE = 800;
const gc = (globalThis as { gc?: () => void }).gc;

function heapMb(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 1048576;
}

// the UPDATEs a decoder would hand over: prefix strings built up front (their cost is the decoder's, not the RIB's)
const updates: UpdateMessage[] = [];
const base = (10 << 24) >>> 0;
const attributes = { origin: Origin.igp, asPath: [{ type: 'sequence' as const, asns: [parseAsn(65002)] }], nextHop: '198.18.0.2' as never };
for (let i = 0; i < count; i += PER_UPDATE) {
  const prefixes: Prefix[] = [];
  for (let k = i; k < Math.min(count, i + PER_UPDATE); k++) prefixes.push(`${numberToIpv4(base + k)}/32` as Prefix);
  updates.push({ type: 'update', withdrawn: { prefixes: [], pathIds: null }, attributes, nlri: { prefixes, pathIds: null } });
}
const heapBefore = heapMb();

const rib = new Rib({ localAsn: parseAsn(65001), routerId: parseRouterId('198.18.0.1') });
const info = (peerId: string) => ({
  negotiated: { peerId: parseRouterId(peerId) },
  capabilities: { context: DEFAULT_WIRE_CONTEXT, families: new Set(['ipv4-unicast'] as const) },
  localAddress: '198.18.0.1',
});
rib.addPeer({ id: '198.18.0.2', asn: parseAsn(65002) });
rib.peerUp('198.18.0.2', info('198.18.0.2'));
if (withOut) {
  rib.addPeer({ id: '198.18.0.3', asn: parseAsn(65003) });
  rib.peerUp('198.18.0.3', info('198.18.0.3'));
}
let events = 0;
if (subscribe) rib.subscribe((c) => (events += c.length));

const t0 = performance.now();
for (const u of updates) rib.receiveUpdate('198.18.0.2', u);
const t1 = performance.now();
let msgs = 0;
let bytes = 0;
if (withOut) {
  for (let m = rib.nextUpdate('198.18.0.3'); m !== null; m = rib.nextUpdate('198.18.0.3')) {
    msgs++;
    bytes += m.length;
  }
}
const t2 = performance.now();
const heapAfter = heapMb();
const locSize = rib.size('ipv4-unicast');
// the session drops: every path leaves the RIB
const t3 = performance.now();
rib.peerDown('198.18.0.2');
const t4 = performance.now();

console.log(`rib-micro: ${count} prefixes in ${updates.length} UPDATEs`);
console.log(`  receive + decide: ${(t1 - t0).toFixed(0)} ms (${((count / (t1 - t0)) * 1000).toFixed(0)} prefixes/s)`);
if (withOut) console.log(`  adj-out pull: ${(t2 - t1).toFixed(0)} ms, ${msgs} UPDATEs, ${(bytes / 1048576).toFixed(1)} MiB`);
if (subscribe) console.log(`  events: ${events}`);
console.log(`  Loc-RIB size: ${locSize}, heap held by the RIB: ${(heapAfter - heapBefore).toFixed(1)} MiB${gc === undefined ? ' (run with --expose-gc for exact numbers)' : ''}`);
console.log(`  peer down (all ${count} paths removed${withOut ? ', withdrawals queued' : ''}): ${(t4 - t3).toFixed(0)} ms, Loc-RIB size after: ${rib.size('ipv4-unicast')}`);
console.log(`  process RSS: ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
