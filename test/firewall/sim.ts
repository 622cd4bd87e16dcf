// A small interpreter of the typed iptables model, for tests: walks one packet
// through a family's desired chains and sets the way the kernel's filter
// table would, and says whether our chains accept it, deny it, or let it go
// on to the rest of the built-in chain. It lets unit tests assert behaviour
// (who may talk to whom) rather than only text.
import { BlockList } from 'node:net';
import type { Chain, Match, Rule } from '../../src/kernel/iptables/model.ts';
import type { IpSet } from '../../src/kernel/ipset.ts';
import type { FamilyFirewall } from '../../firewall/compile.ts';

export interface Packet {
  readonly hook: 'INPUT' | 'FORWARD' | 'OUTPUT';
  readonly src: string;
  readonly dst: string;
  readonly proto: 'tcp' | 'udp' | 'sctp';
  readonly dport: number;
  readonly ct?: 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID';
  /** Addresses the node owns (addrtype LOCAL). */
  readonly local?: readonly string[];
}

export type Verdict = { readonly verdict: 'accept' | 'deny' | 'continue'; readonly logs: readonly string[] };

function inCidr(ip: string, cidr: string): boolean {
  const [net, len] = cidr.split('/');
  const type = ip.includes(':') ? 'ipv6' : 'ipv4';
  if ((net ?? '').includes(':') !== (type === 'ipv6')) return false;
  const bl = new BlockList();
  if (len === undefined) bl.addAddress(net ?? '', type);
  else bl.addSubnet(net ?? '', Number(len), type);
  return bl.check(ip, type);
}

function setHas(set: IpSet, ip: string, p: Packet): boolean {
  if (set.type === 'hash:ip') return set.entries.some((e) => e.kind === 'ip' && e.ip === ip);
  if (set.type === 'hash:ip,port') {
    return set.entries.some((e) => e.kind === 'ip,port' && e.ip === ip && e.proto === p.proto && e.port === p.dport);
  }
  // hash:net: the most specific matching entry decides; `nomatch` entries do not match.
  let best: { len: number; nomatch: boolean } | undefined;
  for (const e of set.entries) {
    if (e.kind !== 'net' || !inCidr(ip, e.cidr)) continue;
    const len = Number(e.cidr.split('/')[1]);
    if (best === undefined || len > best.len) best = { len, nomatch: e.nomatch === true };
  }
  return best !== undefined && !best.nomatch;
}

interface State {
  mark: number;
  readonly logs: string[];
}

function matches(m: Match, p: Packet, fw: FamilyFirewall, st: State): boolean {
  switch (m.kind) {
    case 'addr': {
      const r = inCidr(m.dir === 'src' ? p.src : p.dst, m.cidr);
      return m.negate === true ? !r : r;
    }
    case 'addrtype':
      return (p.local ?? []).includes(m.dir === 'src' ? p.src : p.dst);
    case 'proto':
      if (m.proto !== p.proto) return false;
      return m.dport === undefined || (p.dport >= m.dport.from && p.dport <= (m.dport.to ?? m.dport.from));
    case 'icmp6':
      return false; // the interpreter walks TCP, UDP and SCTP packets only
    case 'set': {
      const set = fw.sets.get(m.name)?.set;
      if (set === undefined) throw new Error(`rule references missing set ${m.name}`);
      const addr = m.dirs[0] === 'src' ? p.src : p.dst;
      const r = setHas(set, addr, p);
      return m.negate === true ? !r : r;
    }
    case 'ctstate':
      return m.states.includes(p.ct ?? 'NEW');
    case 'mark': {
      const r = (st.mark & m.mask) === m.value;
      return m.negate === true ? !r : r;
    }
    case 'limit':
      return true;
  }
}

type Outcome = 'accept' | 'deny' | 'return';

function walk(chain: Chain, p: Packet, fw: FamilyFirewall, st: State, depth: number): Outcome {
  if (depth > 16) throw new Error('chain loop');
  for (const r of chain.rules as Rule[]) {
    if (!r.matches.every((m) => matches(m, p, fw, st))) continue;
    const t = r.target;
    switch (t.kind) {
      case 'ACCEPT':
        return 'accept';
      case 'DROP':
      case 'REJECT':
        return 'deny';
      case 'RETURN':
        return 'return';
      case 'mark':
        st.mark = (st.mark & ~t.mask) | t.value;
        break;
      case 'nflog':
        st.logs.push(t.prefix);
        break;
      case 'jump': {
        const next = fw.chains.get(t.chain)?.chain;
        if (next === undefined) throw new Error(`jump to missing chain ${t.chain}`);
        const o = walk(next, p, fw, st, depth + 1);
        if (o !== 'return') return o;
        break;
      }
    }
  }
  return 'return';
}

/** Walks `p` from its built-in hook through the jump podnet owns there. */
export function evaluate(fw: FamilyFirewall, p: Packet): Verdict {
  const st: State = { mark: 0, logs: [] };
  for (const j of fw.jumps.filter((x) => x.from === p.hook)) {
    const chain = fw.chains.get(j.to)?.chain;
    if (chain === undefined) throw new Error(`builtin jump to missing chain ${j.to}`);
    const o = walk(chain, p, fw, st, 0);
    if (o !== 'return') return { verdict: o, logs: st.logs };
  }
  return { verdict: 'continue', logs: st.logs };
}
