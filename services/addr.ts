// Addresses as the services controller needs them: IP family of an address
// or CIDR, CIDR membership (node:net's in-memory BlockList), and the protocol
// names of Service ports. Pure. No RFCs.
import { BlockList, isIP } from 'node:net';

export type Family = 4 | 6;
export type Protocol = 'tcp' | 'udp' | 'sctp';

export function familyOf(addr: string): Family | undefined {
  const v = isIP(addr);
  return v === 4 ? 4 : v === 6 ? 6 : undefined;
}

/** Family of a CIDR `addr/len` (a bare address counts as a host route), or undefined when invalid. */
export function cidrFamily(cidr: string): Family | undefined {
  const [addr = '', len, extra] = cidr.split('/');
  if (extra !== undefined) return undefined;
  const fam = familyOf(addr);
  if (fam === undefined) return undefined;
  if (len === undefined) return fam;
  if (!/^[0-9]{1,3}$/.test(len) || Number(len) > (fam === 4 ? 32 : 128)) return undefined;
  return fam;
}

/** A matcher for a list of CIDRs (invalid ones ignored). */
export function cidrMatcher(cidrs: readonly string[]): (ip: string) => boolean {
  const bl = new BlockList();
  let any = false;
  for (const c of cidrs) {
    const fam = cidrFamily(c);
    if (fam === undefined) continue;
    const [addr = '', len] = c.split('/');
    const type = fam === 4 ? 'ipv4' : 'ipv6';
    bl.addSubnet(addr, len === undefined ? (fam === 4 ? 32 : 128) : Number(len), type);
    any = true;
  }
  return (ip) => {
    const fam = familyOf(ip);
    return any && fam !== undefined && bl.check(ip, fam === 4 ? 'ipv4' : 'ipv6');
  };
}

/** Service port protocol (TCP when unset), or undefined for anything else. */
export function protocolOf(p: string | undefined): Protocol | undefined {
  const v = (p ?? 'TCP').toLowerCase();
  return v === 'tcp' || v === 'udp' || v === 'sctp' ? v : undefined;
}
