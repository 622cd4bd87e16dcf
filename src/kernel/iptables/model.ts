// iptables as typed data: matches, targets, rules, chains and the jump rules
// podnet owns in the built-in chains. Controllers build these values; the one
// renderer (render.ts) turns them into `iptables-restore --noflush` text.
// No RFCs. Names and limits follow iptables(8) and iptables-extensions(8).

/** Address family of one iptables binary: iptables (inet) or ip6tables (inet6). */
export type IpFamily = 'inet' | 'inet6';

export const ipFamilies: readonly IpFamily[] = ['inet', 'inet6'];

export type Table = 'filter';

export type BuiltinChain = 'INPUT' | 'FORWARD' | 'OUTPUT';

export type L4Protocol = 'tcp' | 'udp' | 'sctp';

/** Kernel limit on chain names (XT_EXTENSION_MAXNAMELEN - 1). */
export const MAX_CHAIN_NAME = 28;

/** A destination port or an inclusive range, `--dport from[:to]`. */
export interface PortRange {
  readonly from: number;
  readonly to?: number;
}

export type AddrDir = 'src' | 'dst';

/**
 * One match. The renderer prints matches in the order of `matchOrder`, not in
 * the order they are listed, so equal rules always render to equal text.
 */
export type Match =
  | { readonly kind: 'addr'; readonly dir: AddrDir; readonly cidr: string; readonly negate?: boolean }
  | { readonly kind: 'proto'; readonly proto: L4Protocol; readonly dport?: PortRange }
  /** ICMPv6 by type number (ip6tables only), e.g. 135/136 neighbour solicitation/advertisement. */
  | { readonly kind: 'icmp6'; readonly type: number }
  | { readonly kind: 'set'; readonly name: string; readonly dirs: readonly AddrDir[]; readonly negate?: boolean }
  | { readonly kind: 'ctstate'; readonly states: readonly CtState[] }
  | { readonly kind: 'mark'; readonly value: number; readonly mask: number; readonly negate?: boolean }
  | { readonly kind: 'addrtype'; readonly dir: AddrDir; readonly type: 'LOCAL' }
  | { readonly kind: 'limit'; readonly perMinute: number; readonly burst: number };

export type CtState = 'INVALID' | 'NEW' | 'ESTABLISHED' | 'RELATED';

/** Canonical print order of match kinds. */
export const matchOrder: readonly Match['kind'][] = ['addr', 'addrtype', 'proto', 'icmp6', 'set', 'ctstate', 'mark', 'limit'];

export type Target =
  | { readonly kind: 'ACCEPT' }
  | { readonly kind: 'DROP' }
  | { readonly kind: 'RETURN' }
  | { readonly kind: 'REJECT'; readonly with?: 'icmp-port-unreachable' | 'icmp6-port-unreachable' | 'icmp-admin-prohibited' | 'icmp6-adm-prohibited' }
  | { readonly kind: 'jump'; readonly chain: string }
  | { readonly kind: 'mark'; readonly value: number; readonly mask: number }
  | { readonly kind: 'nflog'; readonly group: number; readonly prefix: string };

export interface Rule {
  readonly matches: readonly Match[];
  readonly target: Target;
  /** Human note rendered as `-m comment --comment`; at most 256 bytes, sanitised. */
  readonly comment?: string;
}

export interface Chain {
  readonly name: string;
  /** Order matters: rules are evaluated top to bottom. */
  readonly rules: readonly Rule[];
}

/** A rule in a built-in chain that enters one of our chains, kept at `position`. */
export interface BuiltinJump {
  readonly from: BuiltinChain;
  readonly to: string;
  /** 1-based position to insert at (1 = first). */
  readonly position: number;
  readonly comment: string;
}

/**
 * One `iptables-restore --noflush` transaction for one family and table.
 * Chains in `write` are declared (which creates or flushes them) and filled;
 * chains in `remove` are declared, then deleted after every reference to them
 * has been rewritten. Built-in chains are only touched through `jumps`.
 */
export interface RestoreBatch {
  readonly family: IpFamily;
  readonly table: Table;
  readonly write: readonly Chain[];
  readonly remove: readonly string[];
  readonly jumps: { readonly insert: readonly BuiltinJump[]; readonly delete: readonly BuiltinJump[] };
}

// --- small builders, so callers read like the rules they make ---------------

export const accept: Target = { kind: 'ACCEPT' };
export const drop: Target = { kind: 'DROP' };
export const ret: Target = { kind: 'RETURN' };

export function jump(chain: string): Target {
  return { kind: 'jump', chain };
}

export function rule(matches: readonly Match[], target: Target, comment?: string): Rule {
  return comment === undefined ? { matches, target } : { matches, target, comment };
}

export function isBuiltin(name: string): name is BuiltinChain {
  return name === 'INPUT' || name === 'FORWARD' || name === 'OUTPUT';
}
