// Builds the lab's network and files from its plan: the ToR namespace with one
// bridge per underlay subnet, one namespace per node joined to its subnet's
// bridge by a veth pair created between the two namespaces (nothing in the
// root namespace), underlay addresses and a default route via the ToR, and
// per node the kubeconfig (127.0.0.1:6443 inside the node, the forwarder), the
// CNI conflist and host-local's lease directory. Every namespace is recorded
// in the state before anything goes into it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubeconfigText } from './apiserver/kubeconfig.ts';
import { podNetworkConfList } from './cni.ts';
import { addAddress, addNamespace, run, vethBetween } from './netns.ts';
import { saveState } from './state.ts';
import type { LabState, NodeRecord } from './state.ts';
import { NODE_API_PORT } from './topology.ts';
import type { LabPlan, NodePlan } from './topology.ts';

export function nodeFiles(n: NodePlan): { kubeconfig: string; cniConfig: string; ipamDir: string; agentSocket: string; agentLog: string; forwarderLog: string } {
  return {
    kubeconfig: join(n.dir, 'kubeconfig'),
    cniConfig: join(n.dir, 'cni', '10-podnet.conflist'),
    ipamDir: join(n.dir, 'ipam'),
    agentSocket: join(n.dir, 'podnetd.sock'),
    agentLog: join(n.dir, 'podnetd.log'),
    forwarderLog: join(n.dir, 'apiserver-forward.log'),
  };
}

async function createNamespace(st: LabState, name: string): Promise<void> {
  st.namespaces.push(name);
  saveState(st);
  await addNamespace(name, { forwarding: true });
}

export async function buildNetwork(plan: LabPlan, st: LabState): Promise<void> {
  const tor = plan.torNetns;
  await createNamespace(st, tor);
  for (const s of plan.subnets) {
    await run('ip', ['-n', tor, 'link', 'add', s.bridge, 'type', 'bridge']);
    await run('ip', ['-n', tor, 'link', 'set', s.bridge, 'up']);
    await addAddress(tor, s.bridge, `${s.torIpv4}/24`);
    if (s.torIpv6 !== undefined) await addAddress(tor, s.bridge, `${s.torIpv6}/64`);
  }
  for (const n of plan.nodes) await buildNode(plan, st, n);
}

/** One node: its namespace, its link to its subnet's bridge in the ToR, addresses, default routes, files, record. */
export async function buildNode(plan: LabPlan, st: LabState, n: NodePlan): Promise<void> {
  const tor = plan.torNetns;
  {
    await createNamespace(st, n.netns);
    const sub = plan.subnets[n.subnet];
    if (sub === undefined) throw new Error(`no subnet ${n.subnet}`);
    await vethBetween(n.netns, n.ifname, tor, n.torIfname);
    await run('ip', ['-n', tor, 'link', 'set', n.torIfname, 'master', sub.bridge]);
    await addAddress(n.netns, n.ifname, `${n.ipv4}/${n.prefixLen}`);
    await run('ip', ['-n', n.netns, 'route', 'add', 'default', 'via', n.gateway4]);
    if (n.ipv6 !== undefined && n.gateway6 !== undefined) {
      await addAddress(n.netns, n.ifname, `${n.ipv6}/${n.prefixLen6}`);
      await run('ip', ['-n', n.netns, '-6', 'route', 'add', 'default', 'via', n.gateway6]);
    }
    const f = nodeFiles(n);
    mkdirSync(join(n.dir, 'cni'), { recursive: true });
    mkdirSync(f.ipamDir, { recursive: true });
    writeFileSync(f.kubeconfig, kubeconfigText(`http://127.0.0.1:${NODE_API_PORT}`), { mode: 0o600 });
    writeFileSync(f.cniConfig, `${JSON.stringify(podNetworkConfList(n.podCidrs, { ipamDataDir: f.ipamDir }), null, 2)}\n`);
    const rec: NodeRecord = {
      name: n.name,
      netns: n.netns,
      ipv4: n.ipv4,
      ...(n.ipv6 !== undefined ? { ipv6: n.ipv6 } : {}),
      podCidrs: n.podCidrs,
      kubeconfig: f.kubeconfig,
      cniConfig: f.cniConfig,
      agentSocket: f.agentSocket,
    };
    st.nodes.push(rec);
    saveState(st);
  }
}

/** The Node object of a lab node: podCIDRs assigned, InternalIP, Ready. */
export function nodeObject(n: NodePlan, labName: string): object {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'podnet.io/lab': labName },
    },
    spec: { podCIDR: n.podCidrs[0] ?? '', podCIDRs: n.podCidrs },
    status: {
      addresses: [
        { type: 'InternalIP', address: n.ipv4 },
        ...(n.ipv6 !== undefined ? [{ type: 'InternalIP', address: n.ipv6 }] : []),
        { type: 'Hostname', address: n.name },
      ],
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'podnet lab node', lastHeartbeatTime: now, lastTransitionTime: now }],
      nodeInfo: { kubeletVersion: 'podnet-lab', containerRuntimeVersion: 'podnet-lab://cni', operatingSystem: 'linux', architecture: 'amd64' },
    },
  };
}

/** The pods `lab up` starts on each node: TCP 80 and UDP 53 answer with the pod's name. */
export function initialPod(n: NodePlan, k: number): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `web-${n.name}-${k}`, namespace: 'default', labels: { app: 'web' } },
    spec: {
      nodeName: n.name,
      containers: [{ name: 'web', image: 'podnet-lab/podserver', ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 53, protocol: 'UDP', name: 'dns' }] }],
    },
  };
}
