// fast-check arbitraries for the wire codec fuzz tier: canonical prefixes,
// NLRI lists, path attributes, capabilities and whole messages that must
// round-trip, plus the named WireContexts fuzzing runs under (also used to
// replay the saved crash corpus).
import * as fc from 'fast-check';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { numberToIpv4, numberToRouterId, parseIpAddress, parsePrefix, prefixFromBytes, bytesToIpv6, type Asn, type Prefix } from '../../../bgp/types.ts';
import {
  BgpError,
  DEFAULT_WIRE_CONTEXT,
  decodeMessage,
  updateRoutes,
  type UpdateMessage,
  type AsPathSegment,
  type BgpMessage,
  type Capability,
  type NlriList,
  type PathAttributes,
  type WireContext,
} from '../../../bgp/wire/index.ts';

const both = new Set(['ipv4-unicast', 'ipv6-unicast'] as const);

/** Contexts by name; crash files are named "<context>-<hash>.bin". */
export const CONTEXTS: Readonly<Record<string, WireContext>> = {
  plain: DEFAULT_WIRE_CONTEXT,
  as4: { ...DEFAULT_WIRE_CONTEXT, fourOctetAs: true },
  addpath: { ...DEFAULT_WIRE_CONTEXT, fourOctetAs: true, addPathRx: both, addPathTx: both },
  ext: { ...DEFAULT_WIRE_CONTEXT, fourOctetAs: true, extendedMessageRx: true, extendedMessageTx: true, extendedNextHop: both },
};

export const crashDir = fileURLToPath(new URL('../../fixtures/bgp/crashes/', import.meta.url));

/** Saves an input that made a decoder throw something other than BgpError. */
export function saveCrash(context: string, bytes: Uint8Array): string {
  mkdirSync(crashDir, { recursive: true });
  const name = `${context}-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.bin`;
  writeFileSync(`${crashDir}${name}`, bytes);
  return name;
}

export const ipv4 = fc.integer({ min: 0, max: 0xffffffff }).map((n) => numberToIpv4(n));
export const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => bytesToIpv6(b));
export const anyAsn = fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 0xffffffff })).map((n) => n as Asn);

export function prefix(v6: boolean): fc.Arbitrary<Prefix> {
  return fc
    .tuple(fc.uint8Array({ minLength: v6 ? 16 : 4, maxLength: v6 ? 16 : 4 }), fc.integer({ min: 0, max: v6 ? 128 : 32 }))
    .map(([b, len]) => prefixFromBytes(v6, b, len));
}

export function nlriList(v6: boolean, addPath: boolean, max = 40): fc.Arbitrary<NlriList> {
  if (!addPath) return fc.array(prefix(v6), { maxLength: max }).map((prefixes) => ({ prefixes, pathIds: null }));
  return fc
    .array(fc.tuple(prefix(v6), fc.integer({ min: 0, max: 0xffffffff })), { maxLength: max })
    .map((xs) => ({ prefixes: xs.map((x) => x[0]), pathIds: xs.map((x) => x[1]) }));
}

function segment(maxAsn: number, confed: boolean): fc.Arbitrary<AsPathSegment> {
  const types = confed ? (['set', 'sequence', 'confed-sequence', 'confed-set'] as const) : (['set', 'sequence'] as const);
  return fc.record({
    type: fc.constantFrom(...types),
    asns: fc.array(fc.integer({ min: 0, max: maxAsn }).map((n) => n as Asn), { minLength: 1, maxLength: 255 }),
  });
}

/** Path attributes that survive encode -> decode unchanged in `ctx` (needs fourOctetAs or 2-octet ASNs). */
export function pathAttributes(ctx: WireContext, reach: 'none' | 'classic' | 'mp'): fc.Arbitrary<PathAttributes> {
  const maxAsn = ctx.fourOctetAs ? 0xffffffff : 0xffff;
  const addPath4 = ctx.addPathTx.has('ipv4-unicast');
  const addPath6 = ctx.addPathTx.has('ipv6-unicast');
  const mpReach = fc.oneof(
    fc.record({ family: fc.constant('ipv6-unicast' as const), nextHop: ipv6, linkLocalNextHop: fc.option(ipv6, { nil: null }), nlri: nlriList(true, addPath6) }),
    fc.record({ family: fc.constant('ipv4-unicast' as const), nextHop: fc.oneof(ipv4, ipv6), linkLocalNextHop: fc.constant(null), nlri: nlriList(false, addPath4) }),
  );
  const mpUnreach = fc.oneof(
    fc.record({ family: fc.constant('ipv6-unicast' as const), withdrawn: nlriList(true, addPath6) }),
    fc.record({ family: fc.constant('ipv4-unicast' as const), withdrawn: nlriList(false, addPath4) }),
  );
  const unknownCodes = fc.uniqueArray(fc.integer({ min: 33, max: 255 }).filter((c) => c !== 128), { minLength: 1, maxLength: 3 }).map((cs) => cs.sort((a, b) => a - b));
  const optional = {
    med: fc.integer({ min: 0, max: 0xffffffff }),
    localPref: fc.integer({ min: 0, max: 0xffffffff }),
    atomicAggregate: fc.constant(true as const),
    aggregator: fc.record({ asn: fc.integer({ min: 0, max: maxAsn }).map((n) => n as Asn), address: ipv4 }),
    communities: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 80 }),
    originatorId: fc.integer({ min: 0, max: 0xffffffff }).map(numberToRouterId),
    clusterList: fc.array(fc.integer({ min: 0, max: 0xffffffff }).map(numberToRouterId), { minLength: 1, maxLength: 8 }),
    extendedCommunities: fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 1, maxLength: 8 }),
    largeCommunities: fc.array(
      fc.record({ globalAdmin: fc.integer({ min: 0, max: 0xffffffff }), localData1: fc.integer({ min: 0, max: 0xffffffff }), localData2: fc.integer({ min: 0, max: 0xffffffff }) }),
      { minLength: 1, maxLength: 8 },
    ),
    mpUnreach,
    unknown: unknownCodes.chain((codes) =>
      fc.tuple(...codes.map((code) => fc.uint8Array({ maxLength: 300 }).map((value) => ({ flags: 0xe0, code, value })))),
    ),
  };
  const rest = fc.record(optional, { requiredKeys: [] });
  const asPath = fc.array(segment(maxAsn, true), { maxLength: 4 });
  const origin = fc.constantFrom(0 as const, 1 as const, 2 as const);
  if (reach === 'none') {
    return fc.tuple(rest, fc.record({ origin, asPath, nextHop: ipv4 }, { requiredKeys: [] })).map(([a, b]) => ({ ...a, ...b }));
  }
  if (reach === 'classic') return fc.tuple(rest, origin, asPath, ipv4).map(([a, o, p, nh]) => ({ ...a, origin: o, asPath: p, nextHop: nh }));
  return fc.tuple(rest, origin, asPath, mpReach).map(([a, o, p, r]) => ({ ...a, origin: o, asPath: p, mpReach: r }));
}

export function updateMessage(ctx: WireContext): fc.Arbitrary<BgpMessage> {
  const addPath4 = ctx.addPathTx.has('ipv4-unicast');
  return fc.constantFrom('none' as const, 'classic' as const, 'mp' as const).chain((reach) =>
    fc.record({
      type: fc.constant('update' as const),
      withdrawn: nlriList(false, addPath4),
      attributes: pathAttributes(ctx, reach),
      nlri: reach === 'classic' ? nlriList(false, addPath4).filter((l) => l.prefixes.length > 0) : fc.constant(addPath4 ? { prefixes: [], pathIds: [] } : { prefixes: [], pathIds: null }),
    }),
  );
}

const afiSafi = { afi: fc.integer({ min: 0, max: 65535 }), safi: fc.integer({ min: 0, max: 255 }) };

export const capability: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({ kind: fc.constant('multiprotocol' as const), ...afiSafi }),
  fc.constantFrom<Capability>({ kind: 'route-refresh' }, { kind: 'route-refresh-cisco' }, { kind: 'enhanced-route-refresh' }, { kind: 'extended-message' }),
  fc.record({ kind: fc.constant('extended-next-hop' as const), entries: fc.array(fc.record({ afi: afiSafi.afi, safi: fc.integer({ min: 0, max: 65535 }), nextHopAfi: afiSafi.afi }), { maxLength: 5 }) }),
  fc.record({ kind: fc.constant('four-octet-as' as const), asn: anyAsn }),
  fc.record({
    kind: fc.constant('graceful-restart' as const),
    restarting: fc.boolean(),
    notification: fc.boolean(),
    time: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(fc.record({ ...afiSafi, forwarding: fc.boolean() }), { maxLength: 5 }),
  }),
  fc.record({ kind: fc.constant('add-path' as const), families: fc.array(fc.record({ ...afiSafi, mode: fc.constantFrom('receive' as const, 'send' as const, 'both' as const) }), { maxLength: 5 }) }),
  fc.record({
    kind: fc.constant('long-lived-graceful-restart' as const),
    families: fc.array(fc.record({ ...afiSafi, forwarding: fc.boolean(), staleTime: fc.integer({ min: 0, max: 0xffffff }) }), { maxLength: 5 }),
  }),
  fc.record({ kind: fc.constant('fqdn' as const), hostname: fc.string({ maxLength: 40 }), domain: fc.string({ maxLength: 40 }) }),
  fc.record({
    kind: fc.constant('unknown' as const),
    code: fc.integer({ min: 0, max: 255 }).filter((c) => ![1, 2, 5, 6, 64, 65, 69, 70, 71, 73, 128].includes(c)),
    data: fc.uint8Array({ maxLength: 40 }),
  }),
);

export const message = (ctx: WireContext): fc.Arbitrary<BgpMessage> =>
  fc.oneof(
    fc.record({
      type: fc.constant('open' as const),
      version: fc.constant(4),
      myAs: fc.integer({ min: 0, max: 65535 }),
      holdTime: fc.integer({ min: 0, max: 65535 }),
      routerId: fc.integer({ min: 0, max: 0xffffffff }).map(numberToRouterId),
      capabilities: fc.array(capability, { maxLength: 12 }),
    }),
    updateMessage(ctx),
    fc.record({
      type: fc.constant('notification' as const),
      code: fc.integer({ min: 0, max: 255 }),
      subcode: fc.integer({ min: 0, max: 255 }),
      data: fc.uint8Array({ maxLength: 64 }),
    }).filter((n) => !(n.code === 6 && (n.subcode === 2 || n.subcode === 4) && n.data.length > 0)),
    fc.constant({ type: 'keepalive' as const }),
    fc.record({ type: fc.constant('route-refresh' as const), ...afiSafi, subtype: fc.constantFrom('normal' as const, 'borr' as const, 'eorr' as const) }),
  );


const MAX_MS = 250;

/** Decodes and checks that only a BgpError can escape, quickly. */
export function decodeSafely(name: string, frame: Uint8Array): void {
  const ctx = CONTEXTS[name] ?? CONTEXTS.plain;
  const t0 = performance.now();
  try {
    const m = decodeMessage(frame, ctx as NonNullable<typeof ctx>);
    if (m.type === 'update') checkWellFormed(m);
  } catch (e) {
    if (!BgpError.is(e)) {
      const file = saveCrash(name, frame);
      throw new Error(`non-BgpError escaped (saved as ${file}): ${String(e)}`, { cause: e });
    }
  }
  const ms = performance.now() - t0;
  assert.ok(ms < MAX_MS, `decode took ${ms.toFixed(1)} ms`);
}

/** A decoded UPDATE holds only canonical values (an out-of-bounds read would show up as "undefined" or NaN). */
export function checkWellFormed(m: UpdateMessage): void {
  const r = updateRoutes(m);
  for (const map of [r.announced, r.withdrawn]) {
    for (const l of map.values()) {
      for (const p of l.prefixes) assert.equal(parsePrefix(p), p);
      if (l.pathIds !== null) {
        assert.equal(l.pathIds.length, l.prefixes.length);
        for (const id of l.pathIds) assert.ok(Number.isInteger(id) && id >= 0 && id <= 0xffffffff);
      }
    }
  }
  const a = m.attributes;
  if (a.nextHop !== undefined) assert.equal(parseIpAddress(a.nextHop), a.nextHop);
  if (a.mpReach !== undefined && a.mpReach.family !== null) assert.equal(parseIpAddress(a.mpReach.nextHop), a.mpReach.nextHop);
  for (const s of a.asPath ?? []) for (const asn of s.asns) assert.ok(Number.isInteger(asn) && asn >= 0 && asn <= 0xffffffff);
  for (const c of a.communities ?? []) assert.ok(Number.isInteger(c) && c >= 0);
}

