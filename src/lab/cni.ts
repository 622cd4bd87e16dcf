// The kubelet side of CNI for the lab (the conflist comes from
// src/kernel/cni-conf.ts, the one producer): a runner that calls Debian's reference plugins exactly
// as a kubelet/containerd does (libcni): CNI_COMMAND, CNI_CONTAINERID,
// CNI_NETNS, CNI_IFNAME, CNI_PATH in the environment, the network config on
// stdin with prevResult chained between plugins. CNI spec 1.0.0 ("Execution
// Protocol", "Section 4: Plugin Delegation"); Debian's plugins 1.1.1 accept
// cniVersion up to 1.0.0.
import { run } from './netns.ts';

export const CNI_PATH = '/usr/lib/cni';
// The conflist itself is the platform's (src/kernel/cni-conf.ts): the agent writes it with --enable-cni.
export { CNI_NETWORK, CNI_VERSION, podNetworkConfList, type ConfList, type PluginConf } from '../kernel/cni-conf.ts';
import { CNI_VERSION, type ConfList } from '../kernel/cni-conf.ts';

/** The loopback network every pod also gets (containerd configures it outside the conflist). */
export const loopbackConf: ConfList = { cniVersion: CNI_VERSION, name: 'cni-loopback', plugins: [{ type: 'loopback' }] };

export interface CniResult {
  readonly cniVersion?: string;
  readonly interfaces?: readonly { name: string; mac?: string; sandbox?: string }[];
  readonly ips?: readonly { address: string; gateway?: string; interface?: number }[];
  readonly routes?: readonly unknown[];
}

export class CniError extends Error {
  override readonly name = 'CniError';
  readonly code: number | undefined;
  constructor(message: string, code?: number) {
    super(message);
    this.code = code;
  }
}

export interface CniCall {
  /** Namespace the plugin runs in (the node's); its kernel is the node's. */
  readonly nodeNetns: string;
  readonly containerId: string;
  /** Path of the pod's namespace, e.g. /var/run/netns/<name>. */
  readonly podNetnsPath: string;
  readonly ifname: string;
  readonly cniPath?: string;
}

async function invoke(command: 'ADD' | 'DEL' | 'CHECK', call: CniCall, conf: object): Promise<CniResult | undefined> {
  const type = (conf as { type?: unknown }).type;
  if (typeof type !== 'string' || !/^[a-z0-9-]+$/.test(type)) throw new CniError(`bad plugin type ${String(type)}`);
  const cniPath = call.cniPath ?? CNI_PATH;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: command,
    CNI_CONTAINERID: call.containerId,
    CNI_NETNS: call.podNetnsPath,
    CNI_IFNAME: call.ifname,
    CNI_PATH: cniPath,
  };
  const r = await run('ip', ['netns', 'exec', call.nodeNetns, `${cniPath}/${type}`], { input: JSON.stringify(conf), env, allowFail: true, timeoutMs: 30_000 });
  if (r.code !== 0) {
    // CNI spec "Error": the plugin prints {code, msg, details} on stdout.
    let msg = r.stderr.trim() || r.stdout.trim();
    let code: number | undefined;
    try {
      const e = JSON.parse(r.stdout) as { code?: number; msg?: string; details?: string };
      code = e.code;
      msg = `${e.msg ?? ''}${e.details ? `: ${e.details}` : ''}`;
    } catch {
      // not JSON
    }
    throw new CniError(`CNI ${command} ${type} for ${call.containerId} failed: ${msg}`, code);
  }
  if (command !== 'ADD' || r.stdout.trim() === '') return undefined;
  return JSON.parse(r.stdout) as CniResult;
}

/** ADD: each plugin in order, prevResult chained (libcni AddNetworkList); returns the last result. */
export async function cniAdd(list: ConfList, call: CniCall): Promise<CniResult> {
  let prev: CniResult | undefined;
  for (const p of list.plugins) {
    const conf = { ...p, cniVersion: list.cniVersion, name: list.name, ...(prev !== undefined ? { prevResult: prev } : {}) };
    prev = (await invoke('ADD', call, conf)) ?? prev;
  }
  return prev ?? {};
}

/** DEL: each plugin in reverse order with the ADD result as prevResult (libcni DelNetworkList); idempotent. */
export async function cniDel(list: ConfList, call: CniCall, prevResult?: CniResult): Promise<void> {
  for (const p of list.plugins.toReversed()) {
    const conf = { ...p, cniVersion: list.cniVersion, name: list.name, ...(prevResult !== undefined ? { prevResult } : {}) };
    await invoke('DEL', call, conf);
  }
}

/** The pod's addresses (without prefix length) from an ADD result, IPv4 first. */
export function resultIps(r: CniResult): string[] {
  const ips = (r.ips ?? []).map((x) => x.address.split('/')[0] ?? '').filter((s) => s !== '');
  return [...ips.filter((s) => !s.includes(':')), ...ips.filter((s) => s.includes(':'))];
}
