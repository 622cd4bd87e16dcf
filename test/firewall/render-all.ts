// Renders a whole desired firewall the way a cold-start apply would send it:
// one iptables-restore text per family and one ipset restore text.
import { renderRestore } from '../../src/kernel/iptables/render.ts';
import { renderIpsetRestore } from '../../src/kernel/ipset.ts';
import type { DesiredFirewall } from '../../firewall/compile.ts';
import { planFirewall } from '../../firewall/plan.ts';

export function renderAll(d: DesiredFirewall): { iptables: string; ipset: string } {
  const plan = planFirewall(d, undefined);
  const iptables = plan.iptables.map((b) => `# family ${b.family}\n${renderRestore(b)}`).join('');
  return { iptables, ipset: renderIpsetRestore(plan.ipsetWrite) };
}
