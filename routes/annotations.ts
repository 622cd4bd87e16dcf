// kube-router's node annotations, parsed at the edge (../shared/reference/
// kube-router.md §2.1): same names, same meaning. A malformed annotation is
// reported with the annotation's name and what is wrong, and only that
// annotation is ignored: the node keeps its other settings and peers.
import { isIP } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const A = {
  nodeAsn: 'kube-router.io/node.asn',
  rrServer: 'kube-router.io/rr.server',
  rrClient: 'kube-router.io/rr.client',
  peers: 'kube-router.io/peers',
  peerIps: 'kube-router.io/peer.ips',
  peerAsns: 'kube-router.io/peer.asns',
  peerPasswords: 'kube-router.io/peer.passwords',
  peerLocalIps: 'kube-router.io/peer.localips',
  peerPorts: 'kube-router.io/peer.ports',
  prependAs: 'kube-router.io/path-prepend.as',
  prependRepeat: 'kube-router.io/path-prepend.repeat-n',
  communities: 'kube-router.io/node.bgp.communities',
  importReject: 'kube-router.io/node.bgp.customimportreject',
  localAddresses: 'kube-router.io/bgp-local-addresses',
  podCidr: 'kube-router.io/pod-cidr',
  podCidrs: 'kube-router.io/pod-cidrs',
} as const;

export interface AnnotatedPeer {
  readonly address: string;
  readonly asn: number;
  readonly port: number;
  readonly password: string;
  readonly localAddress: string | null;
  readonly bfd: boolean;
}

export interface NodeAnnotations {
  readonly asn: number | null;
  /** Route-reflector cluster ID when the node is an RR server / client. */
  readonly rrServer: string | null;
  readonly rrClient: string | null;
  readonly peers: readonly AnnotatedPeer[];
  readonly prepend: { readonly asn: number; readonly repeat: number } | null;
  readonly communities: readonly string[];
  readonly importReject: readonly string[];
  readonly localAddresses: readonly string[];
  readonly podCidrs: readonly string[] | null;
  /** One line per annotation that was ignored, naming it and why. */
  readonly errors: readonly string[];
}

const asnRe = /^\d+$/;
function asn(s: string): number | null {
  const n = asnRe.test(s.trim()) ? Number(s.trim()) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 1 && n <= 4294967295 ? n : null;
}

/** RR cluster ID: a uint32 or an IPv4 address, kept as dotted quad. */
function clusterId(s: string): string | null {
  const t = s.trim();
  if (isIP(t) === 4) return t;
  const n = asnRe.test(t) ? Number(t) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > 4294967295) return null;
  return [24, 16, 8, 0].map((sh) => (n >>> sh) & 255).join('.');
}

const wellKnown: Record<string, string> = {
  'no-export': '65535:65281',
  'no-advertise': '65535:65282',
  'no-export-subconfed': '65535:65283',
  'no-peer': '65535:65284',
  blackhole: '65535:666',
  'graceful-shutdown': '65535:0',
};

/** A community as "a:b": from a 32-bit integer, "a:b", or a well-known name. */
export function parseCommunity(s: string): string | null {
  const t = s.trim().toLowerCase();
  if (t in wellKnown) return wellKnown[t] ?? null;
  const m = /^(\d+):(\d+)$/.exec(t);
  if (m !== null) {
    const [a, b] = [Number(m[1]), Number(m[2])];
    return a <= 65535 && b <= 65535 ? `${a}:${b}` : null;
  }
  if (asnRe.test(t)) {
    const n = Number(t);
    return n <= 4294967295 ? `${Math.floor(n / 65536)}:${n % 65536}` : null;
  }
  return null;
}

export function isCidr(s: string): boolean {
  const [addr = '', len = '', extra] = s.split('/');
  const fam = isIP(addr);
  if (fam === 0 || extra !== undefined || !/^\d+$/.test(len)) return false;
  return Number(len) <= (fam === 4 ? 32 : 128);
}

function b64(s: string): string | null {
  if (s === '') return '';
  const b = Buffer.from(s, 'base64');
  return b.length > 0 && b.toString('base64').replace(/=+$/, '') === s.replace(/=+$/, '') ? b.toString('utf8') : null;
}

const yamlPeer = z.object({
  remoteip: z.string().refine((s) => isIP(s) !== 0, 'must be an IP address'),
  remoteasn: z.union([z.number(), z.string()]).transform((v, ctx) => {
    const n = asn(String(v));
    if (n === null) ctx.addIssue({ code: 'custom', message: 'must be an ASN (1-4294967295)' });
    return n ?? 0;
  }),
  localip: z.string().refine((s) => isIP(s) !== 0, 'must be an IP address').optional(),
  password: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  bfd: z.object({ enabled: z.boolean().optional() }).passthrough().optional(),
});

function list(s: string | undefined): string[] {
  return s === undefined || s.trim() === '' ? [] : s.split(',').map((x) => x.trim());
}

function parsePeersYaml(text: string, errors: string[]): AnnotatedPeer[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    errors.push(`${A.peers}: not valid YAML (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    return [];
  }
  const r = z.array(yamlPeer).safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0];
    errors.push(`${A.peers}: [${(i?.path ?? []).join('.')}] ${i?.message ?? 'invalid'}`);
    return [];
  }
  const out: AnnotatedPeer[] = [];
  for (const [i, p] of r.data.entries()) {
    const password = b64(p.password ?? '');
    if (password === null) {
      errors.push(`${A.peers}: [${i}.password] must be base64`);
      return [];
    }
    out.push({ address: p.remoteip, asn: p.remoteasn, port: p.port ?? 179, password, localAddress: p.localip ?? null, bfd: p.bfd?.enabled === true });
  }
  return out;
}

function parseLegacyPeers(a: Readonly<Record<string, string>>, errors: string[]): AnnotatedPeer[] {
  const ips = list(a[A.peerIps]);
  if (ips.length === 0) return [];
  const asns = list(a[A.peerAsns]);
  const pws = list(a[A.peerPasswords]);
  const locals = list(a[A.peerLocalIps]);
  const ports = list(a[A.peerPorts]);
  if (asns.length !== ips.length) {
    errors.push(`${A.peerIps}: ${ips.length} address(es) but ${A.peerAsns} has ${asns.length}: give one ASN per peer`);
    return [];
  }
  for (const [name, l] of [[A.peerPasswords, pws], [A.peerLocalIps, locals], [A.peerPorts, ports]] as const) {
    if (l.length !== 0 && l.length !== ips.length) {
      errors.push(`${name}: ${l.length} item(s) but ${A.peerIps} has ${ips.length}`);
      return [];
    }
  }
  const out: AnnotatedPeer[] = [];
  for (const [i, ip] of ips.entries()) {
    const n = asn(asns[i] ?? '');
    const pw = b64(pws[i] ?? '');
    const port = ports[i] === undefined ? 179 : Number(ports[i]);
    const local = locals[i] ?? '';
    if (isIP(ip) === 0 || n === null || pw === null || !Number.isInteger(port) || port < 1 || port > 65535 || (local !== '' && isIP(local) === 0)) {
      errors.push(`${A.peerIps}: peer ${i + 1} (${ip}) has an invalid address, ASN, password, port or local address`);
      return [];
    }
    out.push({ address: ip, asn: n, port, password: pw, localAddress: local === '' ? null : local, bfd: false });
  }
  return out;
}

/** Parses a node's kube-router annotations; never throws. */
export function parseNodeAnnotations(annotations: Readonly<Record<string, string>> | undefined): NodeAnnotations {
  const a = annotations ?? {};
  const errors: string[] = [];
  const get = (k: string): string | undefined => (a[k] !== undefined && a[k].trim() !== '' ? a[k].trim() : undefined);

  let nodeAsn: number | null = null;
  const asnText = get(A.nodeAsn);
  if (asnText !== undefined) {
    nodeAsn = asn(asnText);
    if (nodeAsn === null) errors.push(`${A.nodeAsn}: "${asnText}" is not an ASN (1-4294967295)`);
  }
  const rr = (k: string): string | null => {
    const v = get(k);
    if (v === undefined) return null;
    const id = clusterId(v);
    if (id === null) errors.push(`${k}: "${v}" is not a cluster ID (a 32-bit integer or an IPv4 address)`);
    return id;
  };
  const rrServer = rr(A.rrServer);
  const rrClient = rr(A.rrClient);

  const yamlText = get(A.peers);
  const peers = yamlText !== undefined ? parsePeersYaml(yamlText, errors) : parseLegacyPeers(a, errors);

  let prepend: NodeAnnotations['prepend'] = null;
  const pAs = get(A.prependAs);
  const pN = get(A.prependRepeat);
  if (pAs !== undefined || pN !== undefined) {
    const n = asn(pAs ?? '');
    const r = pN !== undefined && /^\d+$/.test(pN) ? Number(pN) : Number.NaN;
    if (n === null || !(r >= 1 && r <= 255)) {
      errors.push(`${A.prependAs}/${A.prependRepeat}: both must be set, an ASN and a repeat count of 1-255 (got "${pAs ?? ''}", "${pN ?? ''}")`);
    } else prepend = { asn: n, repeat: r };
  }

  const communities: string[] = [];
  for (const c of list(get(A.communities))) {
    const v = parseCommunity(c);
    if (v === null) errors.push(`${A.communities}: "${c}" is not a community (a 32-bit integer, a:b, or a well-known name)`);
    else communities.push(v);
  }
  const cidrs = (k: string): string[] => {
    const out: string[] = [];
    for (const c of list(get(k))) {
      if (isCidr(c)) out.push(c);
      else errors.push(`${k}: "${c}" is not a CIDR`);
    }
    return out;
  };
  const importReject = cidrs(A.importReject);
  const localAddresses: string[] = [];
  for (const l of list(get(A.localAddresses))) {
    if (isIP(l) !== 0) localAddresses.push(l);
    else errors.push(`${A.localAddresses}: "${l}" is not an IP address`);
  }
  // The single pod-cidr annotation takes priority, as in kube-router.
  const single = get(A.podCidr) !== undefined ? cidrs(A.podCidr) : [];
  const multi = cidrs(A.podCidrs);
  const podCidrs = single.length > 0 ? single : multi.length > 0 ? multi : null;
  return { asn: nodeAsn, rrServer, rrClient, peers, prepend, communities, importReject, localAddresses, podCidrs, errors };
}
