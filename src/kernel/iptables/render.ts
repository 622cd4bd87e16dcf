// The one place iptables text is made: typed rules -> `iptables-restore
// --noflush` input for podnet's own chains plus its jump rules in the built-in
// chains (never a whole-table restore). Output is deterministic: chains sorted
// by name, matches in a canonical order, rules in their given (semantic) order.
// Each rule is printed in the exact form `iptables-save` prints it back
// (host /32 and /128, default REJECT type, ctstate order, limit units), so a
// later apply can compare what the kernel holds with what it wants, textually.
// No RFCs; syntax per iptables-restore(8) and iptables-extensions(8).
import { MAX_CHAIN_NAME, isBuiltin, matchOrder } from './model.ts';
import type { BuiltinJump, Chain, CtState, IpFamily, Match, RestoreBatch, Rule, Target } from './model.ts';

export class IptablesModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IptablesModelError';
  }
}

const NAME_RE = /^[A-Za-z0-9_.:-]+$/;

function checkChainName(name: string): string {
  if (name.length === 0 || name.length > MAX_CHAIN_NAME || !NAME_RE.test(name)) {
    throw new IptablesModelError(`invalid chain name ${JSON.stringify(name)} (1..${MAX_CHAIN_NAME} of [A-Za-z0-9_.:-])`);
  }
  return name;
}

/**
 * Quotes free text for iptables-restore the way iptables-save prints it back
 * (xtables_save_string): bare when it is only [A-Za-z0-9_-], else in double
 * quotes. Quote characters and backslashes (which save would escape) become
 * `_`, control characters a space; clamped to `maxBytes` of UTF-8.
 */
export function quote(text: string, maxBytes: number): string {
  let clean = [...text]
    .map((ch) => (ch === '"' || ch === "'" || ch === '\\' ? '_' : ch.charCodeAt(0) < 0x20 || ch === '\u007f' ? ' ' : ch))
    .join('');
  while (Buffer.byteLength(clean, 'utf8') > maxBytes) clean = clean.slice(0, -1);
  return /^[A-Za-z0-9_-]+$/.test(clean) ? clean : `"${clean}"`;
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** Kernel order of conntrack states, as iptables-save prints them. */
const ctOrder: readonly CtState[] = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED'];

/** A host address gets its full prefix length, as iptables-save prints it. */
function cidrOf(addr: string, family: IpFamily): string {
  return addr.includes('/') ? addr : `${addr}/${family === 'inet' ? 32 : 128}`;
}

function renderMatch(m: Match, family: IpFamily): string {
  switch (m.kind) {
    case 'addr': {
      const flag = m.dir === 'src' ? '-s' : '-d';
      const cidr = cidrOf(m.cidr, family);
      return m.negate === true ? `! ${flag} ${cidr}` : `${flag} ${cidr}`;
    }
    case 'addrtype':
      return `-m addrtype --${m.dir}-type ${m.type}`;
    case 'proto': {
      // `-p` itself is printed with the core fields (renderRule); here only the port module.
      if (m.dport === undefined) return '';
      const to = m.dport.to !== undefined && m.dport.to !== m.dport.from ? `:${m.dport.to}` : '';
      return `-m ${m.proto} --dport ${m.dport.from}${to}`;
    }
    case 'icmp6':
      return `-m icmp6 --icmpv6-type ${m.type}`;
    case 'set':
      return `-m set ${m.negate === true ? '! ' : ''}--match-set ${m.name} ${m.dirs.join(',')}`;
    case 'ctstate':
      return `-m conntrack --ctstate ${ctOrder.filter((s) => m.states.includes(s)).join(',')}`;
    case 'mark':
      return `-m mark ${m.negate === true ? '! ' : ''}--mark ${hex(m.value)}/${hex(m.mask)}`;
    case 'limit': {
      // iptables-save prints whole per-second rates per second, and omits the default burst (5).
      const rate = m.perMinute % 60 === 0 ? `${m.perMinute / 60}/sec` : `${m.perMinute}/min`;
      return `-m limit --limit ${rate}${m.burst === 5 ? '' : ` --limit-burst ${m.burst}`}`;
    }
  }
}

function renderTarget(t: Target, family: IpFamily): string {
  switch (t.kind) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
      return `-j ${t.kind}`;
    case 'REJECT':
      return `-j REJECT --reject-with ${t.with ?? (family === 'inet' ? 'icmp-port-unreachable' : 'icmp6-port-unreachable')}`;
    case 'jump':
      return `-j ${checkChainName(t.chain)}`;
    case 'mark':
      return `-j MARK --set-xmark ${hex(t.value)}/${hex(t.mask)}`;
    case 'nflog':
      // --nflog-prefix is at most 64 bytes including the NUL (xt_NFLOG).
      return `-j NFLOG --nflog-prefix ${quote(t.prefix, 63)}${t.group === 0 ? '' : ` --nflog-group ${t.group}`}`;
  }
}

/** The rule body after `-A CHAIN`: matches in canonical order, comment, target. */
export function renderRule(r: Rule, family: IpFamily): string {
  const parts: string[] = [];
  // Core fields first, in iptables-save's order: -s, -d, -p; then match modules.
  for (const dir of ['src', 'dst'] as const) {
    for (const m of r.matches) if (m.kind === 'addr' && m.dir === dir) parts.push(renderMatch(m, family));
  }
  for (const m of r.matches) {
    if (m.kind === 'proto') parts.push(`-p ${m.proto}`);
    else if (m.kind === 'icmp6') parts.push('-p ipv6-icmp');
  }
  for (const kind of matchOrder) {
    if (kind === 'addr') continue;
    for (const m of r.matches) {
      if (m.kind !== kind) continue;
      const text = renderMatch(m, family);
      if (text !== '') parts.push(text);
    }
  }
  // The comment goes last among matches so it never changes match identity.
  if (r.comment !== undefined) parts.push(`-m comment --comment ${quote(r.comment, 255)}`);
  parts.push(renderTarget(r.target, family));
  return parts.join(' ');
}

/** Renders one chain's rules as `-A` lines (no declaration). */
export function renderChainRules(c: Chain, family: IpFamily): string[] {
  const name = checkChainName(c.name);
  return c.rules.map((r) => `-A ${name} ${renderRule(r, family)}`);
}

function jumpBody(j: BuiltinJump, family: IpFamily): string {
  return renderRule({ matches: [], target: { kind: 'jump', chain: j.to }, comment: j.comment }, family);
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function jumpKey(j: BuiltinJump): string {
  return `${j.from} ${String(j.position).padStart(4, '0')} ${j.to}`;
}

/**
 * Renders one `iptables-restore --noflush` transaction. Sections, each sorted:
 * declarations (create or flush), rules of written chains, jump deletions,
 * jump insertions, deletions of removed chains, COMMIT.
 */
export function renderRestore(batch: RestoreBatch): string {
  const written = [...batch.write].sort((a, b) => byName(a.name, b.name));
  const removed = [...new Set(batch.remove)].sort(byName);
  const seen = new Set<string>();
  for (const c of written) {
    if (isBuiltin(c.name)) throw new IptablesModelError(`refusing to flush built-in chain ${c.name}`);
    if (seen.has(c.name)) throw new IptablesModelError(`chain ${c.name} written twice`);
    seen.add(c.name);
  }
  for (const name of removed) {
    if (isBuiltin(name)) throw new IptablesModelError(`refusing to delete built-in chain ${name}`);
    if (seen.has(name)) throw new IptablesModelError(`chain ${name} both written and removed`);
  }
  const lines: string[] = [`*${batch.table}`];
  for (const name of [...written.map((c) => c.name), ...removed].sort(byName)) lines.push(`:${checkChainName(name)} - [0:0]`);
  for (const c of written) lines.push(...renderChainRules(c, batch.family));
  for (const j of [...batch.jumps.delete].sort((a, b) => byName(jumpKey(a), jumpKey(b)))) {
    lines.push(`-D ${j.from} ${jumpBody(j, batch.family)}`);
  }
  for (const j of [...batch.jumps.insert].sort((a, b) => byName(jumpKey(a), jumpKey(b)))) {
    lines.push(`-I ${j.from} ${j.position} ${jumpBody(j, batch.family)}`);
  }
  for (const name of removed) lines.push(`-X ${name}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}
