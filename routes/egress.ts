// Pod egress masquerade (kube-router's --enable-pod-egress, on by default):
// traffic from this node's pod CIDRs to anything that is neither a pod CIDR
// of the cluster nor a node address leaves with the node's address
// (MASQUERADE, fully random ports), so pods reach networks that have no route
// back to pod CIDRs. Pod-to-pod and pod-to-node traffic keeps its source, as
// NetworkPolicy and the BGP-routed design need. One nftables table owned by
// podnet (`inet podnet_egress`), replaced whole in one transaction; cleanup
// deletes exactly it. Pure rendering here; routes/controller.ts applies it.
import { isIP } from 'node:net';

export const EGRESS_TABLE = 'podnet_egress';

export interface EgressInput {
  /** This node's pod CIDRs (sources to masquerade). */
  readonly ownPodCidrs: readonly string[];
  /** Every node's pod CIDRs (destinations kept as they are). */
  readonly allPodCidrs: readonly string[];
  /** Every node's addresses (destinations kept as they are). */
  readonly nodeIps: readonly string[];
}

const v4 = (c: string): boolean => isIP(c.split('/')[0] ?? '') === 4;
const v6 = (c: string): boolean => isIP(c.split('/')[0] ?? '') === 6;
const set = (items: readonly string[]): string => [...new Set(items)].sort().join(', ');

/** The table as one `nft -f` transaction (create, flush by delete, define), or only its removal when there is nothing to masquerade. */
export function egressRuleset(i: EgressInput): string {
  const lines = [`table inet ${EGRESS_TABLE}`, `delete table inet ${EGRESS_TABLE}`];
  if (i.ownPodCidrs.length === 0) return `${lines.join('\n')}\n`;
  lines.push(`table inet ${EGRESS_TABLE} {`);
  const rules: string[] = [];
  for (const [fam, is, addr, type] of [['ip', v4, 'ipv4_addr', 'ipv4_addr'], ['ip6', v6, 'ipv6_addr', 'ipv6_addr']] as const) {
    const own = i.ownPodCidrs.filter(is);
    if (own.length === 0) continue;
    const pods = i.allPodCidrs.filter(is);
    const nodes = i.nodeIps.filter((a) => isIP(a) === (fam === 'ip' ? 4 : 6));
    const tag = fam === 'ip' ? 'v4' : 'v6';
    lines.push(`  set own_${tag} { type ${type}; flags interval; elements = { ${set(own)} } }`);
    lines.push(`  set pods_${tag} { type ${type}; flags interval; auto-merge; elements = { ${set([...pods, ...own])} } }`);
    if (nodes.length > 0) lines.push(`  set nodes_${tag} { type ${addr}; elements = { ${set(nodes)} } }`);
    rules.push(`    ${fam} saddr @own_${tag} ${fam} daddr != @pods_${tag}${nodes.length > 0 ? ` ${fam} daddr != @nodes_${tag}` : ''} counter masquerade fully-random comment "pod egress"`);
  }
  lines.push('  chain postrouting {', '    type nat hook postrouting priority srcnat + 10; policy accept;', ...rules, '  }', '}');
  return `${lines.join('\n')}\n`;
}
