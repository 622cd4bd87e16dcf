// The `podnet bgpd` configuration file: YAML or JSON (YAML is a superset),
// validated with zod into typed Speaker inputs (branded ASNs, addresses,
// prefixes, communities). Every error names the field path and what is
// wrong ("peers[1].remote-asn: ..."). Unknown keys are errors, so a typo
// never silently falls back to a default.
//
// Example:
//   router-id: 192.0.2.1
//   asn: 65001
//   listen: { addresses: [127.0.0.1], port: 1790 }
//   api-socket: /run/podnet/bgpd.sock
//   peers:
//     - { address: 127.0.0.2, remote-asn: 65002, port: 1791, hold-time: 9, next-hop-ipv6: "fd00::1" }
//   prefixes:
//     - { prefix: 10.244.1.0/24, med: 10, communities: ["65001:100", no-export] }
// Peer keys: address, remote-asn, local-asn, port, local-address, passive,
// hold-time, keepalive, connect-retry, families, next-hop-ipv4/-ipv6 (our next
// hop toward the peer; an IPv6 route over an IPv4 session needs next-hop-ipv6),
// route-reflector-client, password (TCP-MD5, RFC 2385), ttl-security (GTSM,
// RFC 5082), multihop-ttl (eBGP multihop; eBGP defaults to TTL 1), enabled.
// policies: [{ name, terms: [{ match: {...}, set: {...}, action: accept|reject|next }], default }]
// (bgp/policy; docs/bgp-policy.md), peer keys import-policy / export-policy
// (lists of names), ebgp-require-policy: true (RFC 8212).
// Peer key bfd: { min-tx: 100, min-rx: 100, multiplier: 3 } (RFC 5880/5881, ms; {} for 300 ms x 3).
// Peer key max-prefixes: { limit: 1000, restart: 60, warning: 75 } (RFC 4486 §4).
// graceful-restart: { restart-time: 120, restarting: true, stale-path-time: 360 }
// (RFC 4724: advertised to every peer; helper for peers that advertise it;
// SIGTERM then drops sessions without NOTIFICATION so peers keep our routes).
// Prefix keys: prefix, next-hop (toward iBGP
// peers; eBGP peers always get ours), origin, med, local-pref, communities,
// large-communities, as-path-prepend (eBGP only).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  FAMILIES,
  parseAsn,
  parseIpAddress,
  parsePrefix,
  parseRouterId,
  type Asn,
  type Family,
  type GracefulRestartOptions,
  type PolicyDefinition,
  communityValue,
  largeCommunityValue,
  policySchema,
  type IpAddress,
  type NeighborConfig,
  type OriginateRequest,
  type Prefix,
  type RouterId,
} from '../../bgp/index.ts';

export interface BgpdConfig {
  readonly routerId: RouterId;
  readonly asn: Asn;
  readonly listen: { readonly addresses: readonly string[]; readonly port: number } | false;
  readonly apiSocket: string;
  readonly peers: readonly NeighborConfig[];
  readonly prefixes: readonly OriginateRequest[];
  /** Named routing policies (bgp/policy) for the peers' import-policy / export-policy chains. */
  readonly policies: readonly PolicyDefinition[];
  /** RFC 8212: eBGP peers without a chain exchange nothing. */
  readonly ebgpRequirePolicy: boolean;
  /** Graceful restart (RFC 4724): advertised, helper role, and a stop without NOTIFICATION. */
  readonly gracefulRestart?: GracefulRestartOptions;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** One line per problem: "path: message". */
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super(`${file}: invalid configuration:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** A zod schema from a parser that throws RangeError. */
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

const int = (min: number, max: number, what = 'an integer'): z.ZodNumber =>
  z.number({ error: `must be ${what} from ${min} to ${max}` }).int(`must be ${what} from ${min} to ${max}`).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

const asn = z.union([z.number(), z.string()], { error: 'must be an AS number (integer or asdot "1.10")' }).transform((v, ctx) => {
  try {
    const a = parseAsn(v);
    // RFC 7607: AS 0 is reserved
    if (a === 0) throw new RangeError('AS 0 is reserved (RFC 7607)');
    return a;
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : 'invalid AS number' });
    return z.NEVER;
  }
});

const address = parsed<IpAddress>(parseIpAddress, 'an IPv4 or IPv6 address');
const prefix = parsed<Prefix>((s) => parsePrefix(s), 'a prefix "address/length" without host bits');
const routerId = parsed<RouterId>((s) => {
  const id = parseRouterId(s);
  // RFC 6286 §2.1: a non-zero 32-bit identifier
  if (id === '0.0.0.0') throw new RangeError('0.0.0.0 is not a valid BGP identifier (RFC 6286)');
  return id;
}, 'a BGP identifier in dotted-quad form');

const familyNames: Readonly<Record<string, Family>> = { ipv4: 'ipv4-unicast', 'ipv4-unicast': 'ipv4-unicast', ipv6: 'ipv6-unicast', 'ipv6-unicast': 'ipv6-unicast' };
const family = z.string({ error: 'must be a family name' }).transform((s, ctx) => {
  const f = familyNames[s];
  if (f === undefined) {
    ctx.addIssue({ code: 'custom', message: `unknown family ${JSON.stringify(s)}: expected ${FAMILIES.join(' or ')} (or ipv4, ipv6)` });
    return z.NEVER;
  }
  return f;
});

const holdTime = int(0, 65535, 'a hold time in seconds').refine((h) => h === 0 || h >= 3, 'must be 0 or at least 3 seconds (RFC 4271 §4.2)');

const peerSchema = z
  .strictObject({
    address,
    'remote-asn': asn,
    'local-asn': asn.optional(),
    port: int(1, 65535, 'a TCP port').optional(),
    'local-address': address.optional(),
    passive: z.boolean({ error: 'must be true or false' }).optional(),
    'hold-time': holdTime.optional(),
    keepalive: int(1, 21845, 'a keepalive interval in seconds').optional(),
    'connect-retry': int(1, 65535, 'a connect retry time in seconds').optional(),
    families: z.array(family, { error: 'must be a list of families' }).min(1, 'must name at least one family').optional(),
    'next-hop-ipv4': address.optional(),
    'next-hop-ipv6': address.optional(),
    'route-reflector-client': z.boolean({ error: 'must be true or false' }).optional(),
    password: z
      .string({ error: 'must be a string' })
      .refine((s) => s.length > 0 && Buffer.byteLength(s) <= 80, 'TCP-MD5 (RFC 2385) keys are 1 to 80 octets')
      .optional(),
    'ttl-security': z.boolean({ error: 'must be true or false' }).optional(),
    'multihop-ttl': int(1, 255, 'a TTL').optional(),
    enabled: z.boolean({ error: 'must be true or false' }).optional(),
    bfd: z
      .strictObject({
        'min-tx': int(10, 60_000, 'an interval in ms').optional(),
        'min-rx': int(10, 60_000, 'an interval in ms').optional(),
        multiplier: int(1, 255, 'a multiplier').optional(),
      })
      .optional(),
    'import-policy': z.array(z.string(), { error: 'must be a list of policy names' }).optional(),
    'export-policy': z.array(z.string(), { error: 'must be a list of policy names' }).optional(),
    'max-prefixes': z
      .strictObject({
        limit: int(1, 4294967295, 'a prefix count'),
        restart: int(0, 86400, 'a restart time in seconds').optional(),
        warning: int(1, 100, 'a percentage').optional(),
      })
      .optional(),
  })
  .superRefine((p, ctx) => {
    if (p['next-hop-ipv4'] !== undefined && p['next-hop-ipv4'].includes(':')) ctx.addIssue({ code: 'custom', path: ['next-hop-ipv4'], message: 'must be an IPv4 address' });
    if (p['next-hop-ipv6'] !== undefined && !p['next-hop-ipv6'].includes(':')) ctx.addIssue({ code: 'custom', path: ['next-hop-ipv6'], message: 'must be an IPv6 address' });
    if (p.keepalive !== undefined && p['hold-time'] !== undefined && p['hold-time'] !== 0 && p.keepalive * 3 > p['hold-time']) {
      ctx.addIssue({ code: 'custom', path: ['keepalive'], message: `must be at most a third of hold-time (${p['hold-time']}s)` });
    }
  });

const prefixSchema = z.strictObject({
  prefix,
  'next-hop': address.optional(),
  origin: z.enum(['igp', 'egp', 'incomplete'], { error: 'must be igp, egp or incomplete' }).optional(),
  med: int(0, 0xffffffff, 'a MED').optional(),
  'local-pref': int(0, 0xffffffff, 'a LOCAL_PREF').optional(),
  communities: z.array(parsed(communityValue, 'a community'), { error: 'must be a list of communities' }).optional(),
  'large-communities': z.array(parsed(largeCommunityValue, 'a large community'), { error: 'must be a list of large communities' }).optional(),
  'as-path-prepend': int(0, 32, 'a prepend count').optional(),
});

const fileSchema = z
  .strictObject({
    'router-id': routerId,
    asn,
    listen: z
      .union([
        z.literal(false),
        z.strictObject({
          addresses: z.array(address, { error: 'must be a list of addresses' }).min(1, 'must list at least one address').optional(),
          port: int(0, 65535, 'a TCP port').optional(),
        }),
      ], { error: 'must be false or { addresses, port }' })
      .optional(),
    'api-socket': z.string({ error: 'must be a path' }).min(1, 'must not be empty').optional(),
    peers: z.array(peerSchema, { error: 'must be a list of peers' }).optional(),
    prefixes: z.array(prefixSchema, { error: 'must be a list of prefixes' }).optional(),
    policies: z.array(policySchema, { error: 'must be a list of policies' }).optional(),
    'ebgp-require-policy': z.boolean({ error: 'must be true or false' }).optional(),
    'graceful-restart': z
      .strictObject({
        'restart-time': int(1, 4095, 'a restart time in seconds'),
        restarting: z.boolean({ error: 'must be true or false' }).optional(),
        'stale-path-time': int(1, 86400, 'a time in seconds').optional(),
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    const names = new Set((c.policies ?? []).map((p) => p.name));
    (c.peers ?? []).forEach((p, i) => {
      for (const key of ['import-policy', 'export-policy'] as const) {
        (p[key] ?? []).forEach((name, k) => {
          if (!names.has(name)) ctx.addIssue({ code: 'custom', path: ['peers', i, key, k], message: `no policy named ${JSON.stringify(name)} under policies` });
        });
      }
    });
    const seen = new Map<string, number>();
    (c.peers ?? []).forEach((p, i) => {
      const prev = seen.get(p.address);
      if (prev !== undefined) ctx.addIssue({ code: 'custom', path: ['peers', i, 'address'], message: `duplicate of peers[${prev}].address` });
      seen.set(p.address, i);
    });
    const prefixes = new Map<string, number>();
    (c.prefixes ?? []).forEach((p, i) => {
      const prev = prefixes.get(p.prefix);
      if (prev !== undefined) ctx.addIssue({ code: 'custom', path: ['prefixes', i, 'prefix'], message: `duplicate of prefixes[${prev}].prefix` });
      prefixes.set(p.prefix, i);
      const nh = p['next-hop'];
      if (nh !== undefined && nh.includes(':') !== p.prefix.includes(':')) ctx.addIssue({ code: 'custom', path: ['prefixes', i, 'next-hop'], message: 'must be of the same family as the prefix' });
    });
  });

/** "peers[1].remote-asn" from a zod issue path. */
export function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out === '' ? String(k) : `.${String(k)}`;
  return out === '' ? '(top level)' : out;
}

const ORIGIN_CODE = { igp: 0, egp: 1, incomplete: 2 } as const;
export const DEFAULT_API_SOCKET = '/run/podnet/podnetd.sock';

/** Validates already-parsed data (from YAML or JSON). Throws ConfigError. */
export function validateConfig(data: unknown, file = 'config'): BgpdConfig {
  const r = fileSchema.safeParse(data);
  if (!r.success) throw new ConfigError(file, r.error.issues.map((i) => `${pathText(i.path)}: ${i.message}`));
  const c = r.data;
  return {
    routerId: c['router-id'],
    asn: c.asn,
    listen: c.listen === false ? false : { addresses: c.listen?.addresses ?? ['0.0.0.0', '::'], port: c.listen?.port ?? 179 },
    apiSocket: c['api-socket'] ?? DEFAULT_API_SOCKET,
    policies: c.policies ?? [],
    ebgpRequirePolicy: c['ebgp-require-policy'] ?? false,
    ...(c['graceful-restart'] !== undefined
      ? {
          gracefulRestart: {
            restartTimeS: c['graceful-restart']['restart-time'],
            ...(c['graceful-restart'].restarting !== undefined ? { restarting: c['graceful-restart'].restarting } : {}),
            ...(c['graceful-restart']['stale-path-time'] !== undefined ? { stalePathTimeS: c['graceful-restart']['stale-path-time'] } : {}),
          },
        }
      : {}),
    peers: (c.peers ?? []).map((p) => ({
      address: p.address,
      remoteAsn: p['remote-asn'],
      ...(p['local-asn'] !== undefined ? { localAsn: p['local-asn'] } : {}),
      ...(p.port !== undefined ? { port: p.port } : {}),
      ...(p['local-address'] !== undefined ? { localAddress: p['local-address'] } : {}),
      ...(p.passive !== undefined ? { passive: p.passive } : {}),
      ...(p['hold-time'] !== undefined ? { holdTimeS: p['hold-time'] } : {}),
      ...(p.keepalive !== undefined ? { keepaliveS: p.keepalive } : {}),
      ...(p['connect-retry'] !== undefined ? { connectRetryS: p['connect-retry'] } : {}),
      ...(p.families !== undefined ? { families: [...new Set(p.families)] } : {}),
      ...(p['next-hop-ipv4'] !== undefined ? { nextHopIpv4: p['next-hop-ipv4'] } : {}),
      ...(p['next-hop-ipv6'] !== undefined ? { nextHopIpv6: p['next-hop-ipv6'] } : {}),
      ...(p['route-reflector-client'] !== undefined ? { routeReflectorClient: p['route-reflector-client'] } : {}),
      ...(p.password !== undefined ? { password: p.password } : {}),
      ...(p['ttl-security'] !== undefined ? { ttlSecurity: p['ttl-security'] } : {}),
      ...(p.bfd !== undefined
        ? {
            bfd: {
              ...(p.bfd['min-tx'] !== undefined ? { minTxMs: p.bfd['min-tx'] } : {}),
              ...(p.bfd['min-rx'] !== undefined ? { minRxMs: p.bfd['min-rx'] } : {}),
              ...(p.bfd.multiplier !== undefined ? { multiplier: p.bfd.multiplier } : {}),
            },
          }
        : {}),
      ...(p['import-policy'] !== undefined ? { importPolicies: p['import-policy'] } : {}),
      ...(p['export-policy'] !== undefined ? { exportPolicies: p['export-policy'] } : {}),
      ...(p['max-prefixes'] !== undefined
        ? {
            maxPrefixes: {
              limit: p['max-prefixes'].limit,
              ...(p['max-prefixes'].restart !== undefined ? { restartS: p['max-prefixes'].restart } : {}),
              ...(p['max-prefixes'].warning !== undefined ? { warningPercent: p['max-prefixes'].warning } : {}),
            },
          }
        : {}),
      ...(p['multihop-ttl'] !== undefined ? { multihopTtl: p['multihop-ttl'] } : {}),
      ...(p.enabled !== undefined ? { enabled: p.enabled } : {}),
    })),
    prefixes: (c.prefixes ?? []).map((p) => ({
      prefix: p.prefix,
      ...(p['next-hop'] !== undefined ? { nextHop: p['next-hop'] } : {}),
      ...(p.origin !== undefined ? { origin: ORIGIN_CODE[p.origin] } : {}),
      ...(p.med !== undefined ? { med: p.med } : {}),
      ...(p['local-pref'] !== undefined ? { localPref: p['local-pref'] } : {}),
      ...(p.communities !== undefined ? { communities: p.communities } : {}),
      ...(p['large-communities'] !== undefined ? { largeCommunities: p['large-communities'] } : {}),
      ...(p['as-path-prepend'] !== undefined ? { asPathPrepend: p['as-path-prepend'] } : {}),
    })),
  };
}

/** Parses YAML or JSON text. Throws ConfigError (syntax errors name the line). */
export function parseConfig(text: string, file = 'config'): BgpdConfig {
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    throw new ConfigError(file, [`not valid YAML/JSON: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`]);
  }
  return validateConfig(data, file);
}

/** Reads and validates a configuration file. Throws ConfigError. */
export function loadConfig(file: string): BgpdConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [`cannot read: ${e instanceof Error ? e.message : String(e)}`]);
  }
  return parseConfig(text, file);
}
