// Fuzzing the RIB with what the codec can carry (fuzz tier): random UPDATEs
// from the wire arbitraries (every attribute, AS_SET/confederation segments,
// ADD-PATH, MP_REACH with IPv6 or extended next hops, unknown transitive
// attributes) are encoded, decoded as a session would, and fed from an eBGP
// and an iBGP peer. receiveUpdate never throws; every UPDATE pulled for
// targets with different negotiated contexts (2-octet AS, ADD-PATH, extended
// messages) decodes cleanly in the target's context; and what each target
// rebuilds from the wire equals the RIB's Adj-RIB-Out.
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import type { Rib } from '../../../bgp/rib/index.ts';
import { decodeMessage, encodeMessage, type UpdateMessage, type WireContext } from '../../../bgp/wire/index.ts';
import { CONTEXTS, updateMessage } from '../wire/arbitraries.ts';
import { addPeer, decodePulled, ip, newRib } from './helpers.ts';

const SOURCES = [
  { id: '198.18.5.1', asn: 65001, ctx: 'ext' },
  { id: '198.18.5.2', asn: 65000, ctx: 'addpath' },
] as const;
const TARGETS = [
  { id: '198.18.6.1', asn: 65002, ctx: 'plain' },
  { id: '198.18.6.2', asn: 65000, ctx: 'addpath' },
  { id: '198.18.6.3', asn: 65000, ctx: 'ext', role: 'rr-client' as const },
] as const;

const ctxOf = (name: string): WireContext => CONTEXTS[name] as WireContext;
/** The context the receiving side decodes with: its Rx is the sender's Tx. */
const mirror = (c: WireContext): WireContext => ({ ...c, addPathRx: c.addPathTx, addPathTx: c.addPathRx, extendedMessageRx: c.extendedMessageTx, extendedMessageTx: c.extendedMessageRx });

function viewOf(rib: Rib, id: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const f of ['ipv4-unicast', 'ipv6-unicast'] as const) for (const e of rib.adjOut(id, f)) out.set(e.prefix, e.nextHop);
  return out;
}

describe('bgp/rib fuzz: codec-generated UPDATEs through the RIB', function () {
  this.timeout(120_000);

  it('never throws, emits UPDATEs that decode cleanly in every target context, and keeps the wire view equal to Adj-RIB-Out', () => {
    const sourceMsg = fc.constantFrom(0, 1).chain((k) => updateMessage(mirror(ctxOf((SOURCES[k] as (typeof SOURCES)[number]).ctx))).map((m) => [k, m] as const));
    fc.assert(
      fc.property(fc.array(sourceMsg, { minLength: 1, maxLength: 8 }), (msgs) => {
        const rib = newRib({ maxPaths: 4 });
        for (const s of SOURCES) addPeer(rib, { id: s.id, asn: s.asn, wire: ctxOf(s.ctx), config: { enforceFirstAs: false } });
        for (const t of TARGETS) addPeer(rib, { id: t.id, asn: t.asn, wire: ctxOf(t.ctx), ...('role' in t ? { role: t.role } : {}), config: { localNextHop6: ip('fd00::1') } });
        const views = new Map<string, Map<string, string | null>>(TARGETS.map((t) => [t.id, new Map()]));
        for (const [k, m] of msgs) {
          const s = SOURCES[k] as (typeof SOURCES)[number];
          // what the session hands over: the peer encoded it with its Tx context, we decode with ours
          let decoded: UpdateMessage;
          try {
            decoded = decodeMessage(encodeMessage(m, mirror(ctxOf(s.ctx))), ctxOf(s.ctx)) as UpdateMessage;
          } catch {
            return; // too large to encode: not something a peer can send
          }
          rib.receiveUpdate(s.id, decoded);
          for (const t of TARGETS) {
            const view = views.get(t.id) as Map<string, string | null>;
            for (let raw = rib.nextUpdate(t.id); raw !== null; raw = rib.nextUpdate(t.id)) {
              const u = decodePulled(raw, ctxOf(t.ctx));
              assert.equal(u.errors, undefined, `clean UPDATE for ${t.id}`);
              for (const p of u.withdrawn.prefixes) view.delete(p);
              const w = u.attributes.mpUnreach;
              if (w !== undefined && w.family !== null) for (const p of w.withdrawn.prefixes) view.delete(p);
              for (const p of u.nlri.prefixes) view.set(p, u.attributes.nextHop ?? null);
              const r = u.attributes.mpReach;
              if (r !== undefined && r.family !== null) for (const p of r.nlri.prefixes) view.set(p, r.nextHop);
            }
          }
        }
        for (const t of TARGETS) assert.deepEqual(views.get(t.id), viewOf(rib, t.id), `wire view of ${t.id}`);
      }),
      { numRuns: 150 },
    );
  });
});
