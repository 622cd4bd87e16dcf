// BGP routing policy as data: named policies of ordered terms, each a match
// (prefix with length range, family, neighbour address or AS, AS path,
// communities, large communities, next hop) and what to do (accept, reject,
// or go on to the next term) with attribute changes (communities and large
// communities add / remove / set, LOCAL_PREF, MED, AS-path prepend).
// Validated with zod (errors name the field path), compiled once into plain
// closures; never code strings. A neighbour's import or export chain runs its
// policies in order: the first accept or reject decides; a chain that ends
// accepts. RFC 8212: with `ebgpRequirePolicy`, an eBGP neighbour with an empty
// chain gets nothing and gives nothing.
// RFCs: 8212 (default deny for eBGP), 1997 (communities), 8092 (large
// communities), 4271 §5.1 (LOCAL_PREF, MED, AS_PATH).
import { z } from 'zod';
import type { Asn, Family, Prefix } from '../types.ts';
import { parseAsn, parsePrefix, prefixFamily } from '../types.ts';
import { WellKnownCommunity, type LargeCommunity, type PathAttributes } from '../wire/index.ts';

const WELL_KNOWN: Readonly<Record<string, number>> = {
  'no-export': WellKnownCommunity.noExport,
  'no-advertise': WellKnownCommunity.noAdvertise,
  'no-export-subconfed': WellKnownCommunity.noExportSubconfed,
  'no-peer': WellKnownCommunity.noPeer,
  blackhole: 0xffff029a, // RFC 7999
  'graceful-shutdown': 0xffff0000, // RFC 8326
};

/** "asn:value" (0..65535 each) or a well-known name (RFC 1997, 7999, 8326): the one community parser (policies, podnet bgpd). */
export function communityValue(s: string): number {
  const w = WELL_KNOWN[s];
  if (w !== undefined) return w;
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(s);
  const hi = Number(m?.[1]);
  const lo = Number(m?.[2]);
  if (m === null || hi > 0xffff || lo > 0xffff) throw new RangeError(`invalid community ${JSON.stringify(s)}: expected "asn:value" (0..65535 each) or ${Object.keys(WELL_KNOWN).join(', ')}`);
  return hi * 65536 + lo;
}

/** "global:local1:local2", each 0..4294967295 (RFC 8092 §3). */
export function largeCommunityValue(s: string): LargeCommunity {
  const m = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/.exec(s);
  const parts = m === null ? [] : [Number(m[1]), Number(m[2]), Number(m[3])];
  if (parts.length !== 3 || parts.some((x) => x > 0xffffffff)) throw new RangeError(`invalid large community ${JSON.stringify(s)}: expected "global:local1:local2" (0..4294967295 each)`);
  return { globalAdmin: parts[0] as number, localData1: parts[1] as number, localData2: parts[2] as number };
}

function parsed<T>(parse: (s: string) => T, what: string): z.ZodType<T> {
  return z.string({ error: `must be ${what} (a string)` }).transform((s, ctx) => {
    try {
      return parse(s);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : `invalid ${what}` });
      return z.NEVER;
    }
  }) as unknown as z.ZodType<T>;
}

const uint = (max: number, what: string): z.ZodNumber => z.number({ error: `must be ${what}` }).int(`must be ${what}`).min(0, `must be ${what}`).max(max, `must be ${what}`);
const asn = z.union([z.number(), z.string()], { error: 'must be an AS number' }).transform((v, ctx) => {
  try {
    return parseAsn(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : 'invalid AS number' });
    return z.NEVER;
  }
});
const prefixField = parsed((s) => parsePrefix(s), 'a prefix like 10.0.0.0/8');
const community = parsed(communityValue, 'a community');
const largeCommunity = parsed(largeCommunityValue, 'a large community');

const prefixMatch = z
  .strictObject({ prefix: prefixField, ge: uint(128, 'a prefix length').optional(), le: uint(128, 'a prefix length').optional() })
  .superRefine((p, ctx) => {
    const len = Number(p.prefix.split('/')[1]);
    if (p.ge !== undefined && p.ge < len) ctx.addIssue({ code: 'custom', path: ['ge'], message: `must be at least the prefix length ${len}` });
    if (p.le !== undefined && p.le < (p.ge ?? len)) ctx.addIssue({ code: 'custom', path: ['le'], message: 'must be at least ge (or the prefix length)' });
  });

const listEdit = <T extends z.ZodType>(item: T) =>
  z.strictObject({ add: z.array(item).optional(), remove: z.array(item).optional(), set: z.array(item).optional() });

export const policySchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . -'),
  terms: z.array(
    z.strictObject({
      name: z.string().optional(),
      match: z
        .strictObject({
          prefixes: z.array(prefixMatch).min(1).optional(),
          family: z.enum(['ipv4-unicast', 'ipv6-unicast']).optional(),
          neighbors: z.array(z.string().min(1)).min(1).optional(),
          neighborAsns: z.array(asn).min(1).optional(),
          asPathContains: z.array(asn).min(1).optional(),
          originAsns: z.array(asn).min(1).optional(),
          asPathLength: z.strictObject({ min: uint(255, 'a length').optional(), max: uint(255, 'a length').optional() }).optional(),
          communities: z.array(community).min(1).optional(),
          largeCommunities: z.array(largeCommunity).min(1).optional(),
          nextHops: z.array(prefixField).min(1).optional(),
        })
        .optional(),
      set: z
        .strictObject({
          communities: listEdit(community).optional(),
          largeCommunities: listEdit(largeCommunity).optional(),
          localPref: uint(0xffffffff, 'a LOCAL_PREF (0..4294967295)').optional(),
          med: uint(0xffffffff, 'a MED (0..4294967295)').optional(),
          prepend: z.strictObject({ asn: asn.optional(), count: z.number().int().min(1).max(32) }).optional(),
        })
        .optional(),
      action: z.enum(['accept', 'reject', 'next'], { error: 'must be accept, reject or next' }),
    }),
  ),
  /** What happens when no term decided: go on with the chain's next policy (default), accept or reject. */
  default: z.enum(['accept', 'reject', 'next']).optional(),
});

export const policySetSchema = z.strictObject({ policies: z.array(policySchema) }).superRefine((s, ctx) => {
  const seen = new Map<string, number>();
  s.policies.forEach((p, i) => {
    const prev = seen.get(p.name);
    if (prev !== undefined) ctx.addIssue({ code: 'custom', path: ['policies', i, 'name'], message: `duplicate of policies[${prev}].name` });
    seen.set(p.name, i);
  });
});

export type PolicyDefinition = z.infer<typeof policySchema>;

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid policy: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

const pathText = (path: readonly PropertyKey[]): string => path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '');

/** Validates data (from YAML or JSON) into policy definitions; throws PolicyError naming each bad field. */
export function parsePolicies(data: unknown): PolicyDefinition[] {
  const r = policySetSchema.safeParse(data);
  if (!r.success) throw new PolicyError(r.error.issues.map((i) => `${pathText(i.path) || '(top level)'}: ${i.message}`));
  return r.data.policies;
}

/** Who a route is exchanged with. */
export interface PolicyContext {
  readonly neighbor: string;
  readonly neighborAsn: Asn;
  /** Our AS toward this neighbour (prepend default). */
  readonly localAsn: Asn;
}

type Verdict = 'accept' | 'reject' | 'next';
type Compiled = (prefix: Prefix, a: PathAttributes, ctx: PolicyContext) => { verdict: Verdict; attrs: PathAttributes };

function inPrefix(p: Prefix, m: { prefix: Prefix; ge?: number | undefined; le?: number | undefined }): boolean {
  if (prefixFamily(p) !== prefixFamily(m.prefix)) return false;
  const len = Number(p.split('/')[1]);
  const mlen = Number(m.prefix.split('/')[1]);
  const ge = m.ge ?? mlen;
  const le = m.le ?? (m.ge !== undefined ? (prefixFamily(p) === 'ipv4-unicast' ? 32 : 128) : mlen);
  if (len < ge || len > le) return false;
  return covers(m.prefix, p.split('/')[0] ?? '');
}

function bytesOf(addr: string): number[] {
  if (!addr.includes(':')) return addr.split('.').map(Number);
  const [h = '', t = ''] = addr.split('::');
  const hs = h === '' ? [] : h.split(':');
  const ts = addr.includes('::') ? (t === '' ? [] : t.split(':')) : [];
  const groups = addr.includes('::') ? [...hs, ...Array.from({ length: 8 - hs.length - ts.length }, () => '0'), ...ts] : hs;
  return groups.flatMap((g) => {
    const v = parseInt(g, 16);
    return [v >> 8, v & 255];
  });
}

/** Whether `addr` is inside `cidr` (same family). */
function covers(cidr: string, addr: string): boolean {
  const [net = '', lenText = '0'] = cidr.split('/');
  if (net.includes(':') !== addr.includes(':')) return false;
  const a = bytesOf(addr);
  const n = bytesOf(net);
  let bits = Number(lenText);
  for (let i = 0; i < a.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a[i] ?? 0) & mask) !== ((n[i] ?? 0) & mask)) return false;
  }
  return true;
}

const asns = (a: PathAttributes): number[] => (a.asPath ?? []).flatMap((s) => [...s.asns]);
const lcKey = (l: LargeCommunity): string => `${l.globalAdmin}:${l.localData1}:${l.localData2}`;

function compileTerm(t: PolicyDefinition['terms'][number]): Compiled {
  const m = t.match ?? {};
  const set = t.set;
  const matches = (prefix: Prefix, a: PathAttributes, ctx: PolicyContext): boolean => {
    if (m.family !== undefined && prefixFamily(prefix) !== (m.family as Family)) return false;
    if (m.prefixes !== undefined && !m.prefixes.some((pm) => inPrefix(prefix, pm))) return false;
    if (m.neighbors !== undefined && !m.neighbors.includes(ctx.neighbor)) return false;
    if (m.neighborAsns !== undefined && !m.neighborAsns.includes(ctx.neighborAsn)) return false;
    if (m.asPathContains !== undefined && !asns(a).some((x) => m.asPathContains?.includes(x as Asn))) return false;
    if (m.originAsns !== undefined) {
      const path = asns(a);
      const origin = path[path.length - 1];
      if (origin === undefined || !m.originAsns.includes(origin as Asn)) return false;
    }
    if (m.asPathLength !== undefined) {
      const n = asns(a).length;
      if ((m.asPathLength.min !== undefined && n < m.asPathLength.min) || (m.asPathLength.max !== undefined && n > m.asPathLength.max)) return false;
    }
    if (m.communities !== undefined && !(a.communities ?? []).some((c) => m.communities?.includes(c))) return false;
    if (m.largeCommunities !== undefined) {
      const want = new Set(m.largeCommunities.map(lcKey));
      if (!(a.largeCommunities ?? []).some((l) => want.has(lcKey(l)))) return false;
    }
    if (m.nextHops !== undefined) {
      const nh = a.nextHop ?? (a.mpReach !== undefined && 'nextHop' in a.mpReach ? (a.mpReach as { nextHop: string }).nextHop : undefined);
      if (nh === undefined || !m.nextHops.some((c) => covers(c, nh))) return false;
    }
    return true;
  };
  const apply = (a: PathAttributes, ctx: PolicyContext): PathAttributes => {
    if (set === undefined) return a;
    let out = a;
    if (set.communities !== undefined) {
      const e = set.communities;
      let cs = e.set !== undefined ? [...e.set] : [...(out.communities ?? [])];
      if (e.remove !== undefined) cs = cs.filter((c) => !e.remove?.includes(c));
      for (const c of e.add ?? []) if (!cs.includes(c)) cs.push(c);
      const { communities: _c, ...rest } = out;
      out = cs.length > 0 ? { ...rest, communities: cs } : rest;
    }
    if (set.largeCommunities !== undefined) {
      const e = set.largeCommunities;
      let ls = e.set !== undefined ? [...e.set] : [...(out.largeCommunities ?? [])];
      if (e.remove !== undefined) {
        const drop = new Set(e.remove.map(lcKey));
        ls = ls.filter((l) => !drop.has(lcKey(l)));
      }
      for (const l of e.add ?? []) if (!ls.some((x) => lcKey(x) === lcKey(l))) ls.push(l);
      const { largeCommunities: _l, ...rest } = out;
      out = ls.length > 0 ? { ...rest, largeCommunities: ls } : rest;
    }
    if (set.localPref !== undefined) out = { ...out, localPref: set.localPref };
    if (set.med !== undefined) out = { ...out, med: set.med };
    if (set.prepend !== undefined) {
      const who = set.prepend.asn ?? ctx.localAsn;
      const extra = Array.from({ length: set.prepend.count }, () => who);
      const [head, ...rest] = out.asPath ?? [];
      out = head !== undefined && head.type === 'sequence' ? { ...out, asPath: [{ type: 'sequence', asns: [...extra, ...head.asns] }, ...rest] } : { ...out, asPath: [{ type: 'sequence', asns: extra }, ...(out.asPath ?? [])] };
    }
    return out;
  };
  return (prefix, a, ctx) => (matches(prefix, a, ctx) ? { verdict: t.action, attrs: apply(a, ctx) } : { verdict: 'next', attrs: a });
}

/** A compiled policy: evaluates its terms in order; the first accept/reject decides, 'next' goes on with changed attributes. */
export function compilePolicy(p: PolicyDefinition): Compiled {
  const terms = p.terms.map(compileTerm);
  const dflt: Verdict = p.default ?? 'next';
  return (prefix, a, ctx) => {
    let attrs = a;
    for (const t of terms) {
      const r = t(prefix, attrs, ctx);
      attrs = r.attrs;
      if (r.verdict !== 'next') return { verdict: r.verdict, attrs };
    }
    return { verdict: dflt, attrs };
  };
}

/** Compiled policies by name. */
export type PolicyTable = ReadonlyMap<string, Compiled>;

export function compilePolicies(defs: readonly PolicyDefinition[]): PolicyTable {
  return new Map(defs.map((d) => [d.name, compilePolicy(d)]));
}

/**
 * Runs a chain of named policies: the first accept or reject decides; a chain
 * that runs out accepts (with what the policies changed). Unknown names are
 * the caller's error (checked when the neighbour is configured).
 */
export function runChain(table: PolicyTable, chain: readonly string[], prefix: Prefix, a: PathAttributes, ctx: PolicyContext): PathAttributes | null {
  let attrs = a;
  for (const name of chain) {
    const p = table.get(name);
    if (p === undefined) return null;
    const r = p(prefix, attrs, ctx);
    attrs = r.attrs;
    if (r.verdict === 'reject') return null;
    if (r.verdict === 'accept') return attrs;
  }
  return attrs;
}
