// The pod network's CNI configuration: the one place that produces the
// conflist (kube-router's shape: bridge plugin on `kube-bridge`, gateway on the
// bridge, hairpin, MTU, host-local IPAM over the node's podCIDRs), and its
// atomic write into the node's CNI directory (temporary file + rename in the
// same directory, only when the content changes: the kubelet never reads half
// a file). Used by the routes controller (--enable-cni), the DaemonSet's init
// container and the lab. CNI spec 1.0.0 "Network configuration lists".
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const CNI_VERSION = '1.0.0';
export const CNI_NETWORK = 'podnet';
/** The bridge the CNI bridge plugin creates on each node (kube-router's name). */
export const POD_BRIDGE = 'kube-bridge';
/** Pod MTU: the underlay's 1500 minus VXLAN's 50 so the overlay never fragments. */
export const POD_MTU = 1450;

export interface PluginConf {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface ConfList {
  readonly cniVersion: string;
  readonly name: string;
  readonly plugins: readonly PluginConf[];
}

/**
 * The node's conflist. `ipamDataDir` keeps host-local's leases out of
 * /var/lib/cni (the lab keeps them in its state directory); undefined means the
 * plugin's default, as on a real node.
 */
export function podNetworkConfList(podCidrs: readonly string[], opts: { ipamDataDir?: string; mtu?: number } = {}): ConfList {
  return {
    cniVersion: CNI_VERSION,
    name: CNI_NETWORK,
    plugins: [
      {
        type: 'bridge',
        bridge: POD_BRIDGE,
        isGateway: true,
        isDefaultGateway: true,
        hairpinMode: true,
        mtu: opts.mtu ?? POD_MTU,
        ipam: {
          type: 'host-local',
          ranges: podCidrs.map((subnet) => [{ subnet }]),
          ...(opts.ipamDataDir !== undefined ? { dataDir: opts.ipamDataDir } : {}),
        },
      },
    ],
  };
}

/** The conflist as written to disk. */
export function confListText(list: ConfList): string {
  return `${JSON.stringify(list, null, 2)}\n`;
}

/** Writes `text` at `path` atomically, only if it differs; true when it wrote. */
export async function writeFileAtomic(path: string, text: string, mode = 0o644): Promise<boolean> {
  const cur = await readFile(path, 'utf8').catch(() => null);
  if (cur === text) return false;
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  await writeFile(tmp, text, { mode });
  await rename(tmp, path);
  return true;
}

/** Removes the conflist at `path` only if it is podnet's (network name "podnet"); true when removed. */
export async function removeOwnConfList(path: string): Promise<boolean> {
  const cur = await readFile(path, 'utf8').catch(() => null);
  if (cur === null) return false;
  try {
    if ((JSON.parse(cur) as { name?: unknown }).name !== CNI_NETWORK) return false;
  } catch {
    return false;
  }
  await unlink(path);
  return true;
}
