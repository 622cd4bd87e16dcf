// The DaemonSet's init container (`podnet-install-cni`): reads the CNI
// conflist template from the ConfigMap (src/lab/cni.ts's conflist without
// ranges), fills host-local's ranges with this node's spec.podCIDRs (found by a
// list of nodes with a field selector: the same list verb the agent's caches
// use, so RBAC needs nothing more) and writes it atomically into the host's
// /etc/cni/net.d. CNI spec 1.0.0 "Network configuration lists"; host-local
// "ranges" is one range set per address family.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../kernel/cni-conf.ts';
import type { Transport } from '../k8s/transport.ts';

export class InstallError extends Error {
  override readonly name = 'InstallError';
}

interface PodCidrNode {
  readonly metadata?: { readonly name?: string };
  readonly spec?: { readonly podCIDR?: string; readonly podCIDRs?: readonly string[] };
}

/** The node's pod CIDRs (spec.podCIDRs, else spec.podCIDR). */
export function podCidrsOf(node: PodCidrNode): string[] {
  const many = node.spec?.podCIDRs ?? [];
  if (many.length > 0) return [...many];
  const one = node.spec?.podCIDR ?? '';
  return one !== '' ? [one] : [];
}

/**
 * The template with every host-local IPAM's ranges set to the pod CIDRs, one
 * range set per CIDR (per family). Throws when the template has no host-local
 * plugin or there is no CIDR: a conflist without ranges would hand out nothing.
 */
export function fillConfList(templateJson: string, podCidrs: readonly string[]): string {
  if (podCidrs.length === 0) throw new InstallError('the node has no spec.podCIDR(s) yet (is the controller-manager allocating node CIDRs?)');
  let conf: { plugins?: { ipam?: { type?: string; ranges?: unknown } }[] };
  try {
    conf = JSON.parse(templateJson) as typeof conf;
  } catch (err) {
    throw new InstallError(`the CNI template is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  let filled = 0;
  for (const p of conf.plugins ?? []) {
    if (p.ipam?.type !== 'host-local') continue;
    p.ipam.ranges = podCidrs.map((subnet) => [{ subnet }]);
    filled++;
  }
  if (filled === 0) throw new InstallError('the CNI template has no plugin with host-local IPAM');
  return `${JSON.stringify(conf, null, 2)}\n`;
}

/** GETs this node through a list with a field selector (verb list, as the caches). */
export async function fetchPodCidrs(transport: Transport, nodeName: string): Promise<string[]> {
  const body = (await transport.getJson('/api/v1/nodes', { fieldSelector: `metadata.name=${nodeName}` })) as { items?: PodCidrNode[] };
  // Match the name too: a server that ignores the selector must not hand us another node's CIDR.
  const node = body.items?.find((n) => n.metadata?.name === nodeName);
  if (node === undefined) throw new InstallError(`node ${nodeName} not found`);
  return podCidrsOf(node);
}

/** Writes the filled conflist at `out` (temporary file + rename, so the kubelet never reads half of it). */
export async function installCni(opts: { transport: Transport; nodeName: string; template: string; out: string }): Promise<string> {
  if (opts.nodeName === '') throw new InstallError('NODE_NAME is empty: set it from the downward API (spec.nodeName)');
  const text = fillConfList(await readFile(opts.template, 'utf8'), await fetchPodCidrs(opts.transport, opts.nodeName));
  await writeFileAtomic(opts.out, text);
  return text;
}
