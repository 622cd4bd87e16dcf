// Kernel tier: podnetd itself (src/main.ts wiring) with only --run-firewall,
// inside a node namespace, against the embedded API server (reached over a
// unix socket through src/lab/forward.ts, as lab nodes do). NetworkPolicy
// objects created in the API server are enforced on real TCP between pods on
// a bridge; a label change reaches the kernel through the watch; with
// --netpol-default-deny a pod the API server does not know yet is rejected
// until its Pod object appears; --netpol-nflog-group reaches the rules; the
// metrics endpoint shows the firewall gauges; --cleanup-config removes it all.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { startApiServer } from '../../src/lab/apiserver/index.ts';
import { kubeconfigText } from '../../src/lab/apiserver/kubeconfig.ts';
import type { ApiServer } from '../../src/lab/apiserver/index.ts';
import { Lab, waitFor } from '../helpers/netns.ts';
import type { Netns } from '../helpers/netns.ts';
import { pod, policy } from './objects.ts';

const probe = fileURLToPath(new URL('./probe.ts', import.meta.url));
const podnetd = fileURLToPath(new URL('../../src/bin/podnetd.ts', import.meta.url));
const forward = fileURLToPath(new URL('../../src/lab/forward.ts', import.meta.url));

const A = '10.244.1.10';
const B = '10.244.1.11';
const C = '10.244.1.12';
const D = '10.244.1.13';

/** A Pod as the API server validates it (a container needs an image). */
function apiPod(p: ReturnType<typeof pod>): Record<string, unknown> {
  return { ...p, spec: { ...p.spec, containers: (p.spec?.containers ?? []).map((c) => ({ ...c, image: 'registry.k8s.io/pause:3.9' })) } };
}

async function connect(from: Netns, host: string, port: number): Promise<string> {
  return (await from.exec(process.execPath, [probe, 'connect', 'tcp', host, String(port)], { timeoutMs: 10_000 })).stdout.trim();
}

/** Polls a probe until it gives `want` (the agent programs asynchronously). */
async function until(from: Netns, host: string, want: string, what: string): Promise<void> {
  await waitFor(what, async () => (await connect(from, host, 8080)) === want, { timeoutMs: 20_000, intervalMs: 100 });
}

describe('podnetd --run-firewall in a node namespace (real kernel, embedded API server)', function () {
  this.timeout(60_000);
  let lab: Lab | undefined;
  let server: ApiServer | undefined;
  let node: Netns;
  let pa: Netns;
  let pb: Netns;
  let pc: Netns;
  let pd: Netns;

  before(async () => {
    lab = await Lab.create();
    server = await startApiServer({ socketPath: `${lab.dir}/api.sock` });
    node = await lab.addNamespace('agn', { forwarding: true });
    pa = await lab.addNamespace('aga');
    pb = await lab.addNamespace('agb');
    pc = await lab.addNamespace('agc');
    pd = await lab.addNamespace('agd');
    await node.ip(['link', 'add', 'br0', 'type', 'bridge']);
    await node.addAddress('br0', '10.244.1.1/24');
    await node.linkUp('br0');
    const brnf = await node.exec('sh', ['-c', 'test -e /proc/sys/net/bridge/bridge-nf-call-iptables && echo yes'], { allowFail: true });
    if (!brnf.stdout.includes('yes')) throw new Error('br_netfilter is not loaded on this host (modprobe br_netfilter): bridged traffic would bypass iptables');
    await node.sysctl('net.bridge.bridge-nf-call-iptables', '1');
    for (const [ns, ip, ifname] of [[pa, A, 'vpa'], [pb, B, 'vpb'], [pc, C, 'vpc'], [pd, D, 'vpd']] as const) {
      await lab.veth({ ns, ifname: 'eth0', addresses: [`${ip}/24`] }, { ns: node, ifname });
      await node.ip(['link', 'set', ifname, 'master', 'br0']);
      await ns.ip(['route', 'add', 'default', 'via', '10.244.1.1']);
      const s = ns.spawnNode(`srv-${ifname}`, probe, ['serve', '8080']);
      await waitFor(`${s.name} ready`, () => s.log().includes('ready'), { timeoutMs: 10_000 });
    }
    const fwd = node.spawnNode('apiforward', forward, ['--listen', 'tcp:127.0.0.1:6443', '--to', `unix:${lab.dir}/api.sock`]);
    await waitFor('forwarder', async () => (await connect(node, '127.0.0.1', 6443)) !== 'refused' || !fwd.running);
    server.create('Node', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' }, spec: { podCIDRs: ['10.244.1.0/24'] } });
    for (const p of [pod('a', { ip: A, labels: { role: 'client' } }), pod('b', { ip: B, labels: { app: 'web' } }), pod('c', { ip: C, labels: { role: 'other' } })]) {
      server.create('Pod', apiPod(p), { keepStatus: true });
    }
  });

  after(async () => {
    await lab?.teardown();
    await server?.close();
  });

  it('enforces a policy created in the API server, follows a label change, and default-denies an unknown pod', async () => {
    assert.equal(await connect(pc, B, 8080), 'ok', 'open before podnetd');
    const kubeconfig = `${lab!.dir}/kubeconfig`;
    writeFileSync(kubeconfig, kubeconfigText('http://127.0.0.1:6443'), { mode: 0o600 });
    const agent = node.spawnNode('podnetd', podnetd, [
      `--kubeconfig=${kubeconfig}`,
      '--hostname-override=node-a',
      '--run-router=false',
      '--run-service-proxy=false',
      '--netpol-default-deny',
      '--netpol-nflog-group=42',
      '--health-port=0',
      '--metrics-addr=127.0.0.1',
      '--metrics-port=20245',
      `--api-socket=${lab!.dir}/podnetd.sock`,
    ]);
    await until(pd, C, 'refused', 'default deny: d has no Pod object, so it is rejected').catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\npodnetd: ${agent.log().slice(-3000)}`);
    });
    assert.equal(await connect(pc, B, 8080), 'ok', 'no policy yet: programmed pods talk');
    server!.create('NetworkPolicy', {
      ...policy('web-in', 'default', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }] }),
    });
    await until(pc, B, 'refused', 'the policy is enforced');
    assert.equal(await connect(pa, B, 8080), 'ok', 'the client is allowed');
    server!.patch('Pod', 'c', 'default', 'merge', { metadata: { labels: { role: 'client' } } });
    await until(pc, B, 'ok', 'c relabelled as a client');
    server!.create('Pod', apiPod(pod('d', { ip: D })), { keepStatus: true });
    await until(pd, C, 'ok', 'd programmed once its Pod exists');
    const save = (await node.exec('iptables-save', ['-t', 'filter'])).stdout;
    assert.match(save, /-j NFLOG --nflog-prefix "PODNET DROP IN default\/b" --nflog-group 42/);
    const metrics = await node.exec(process.execPath, ['-e', "fetch('http://127.0.0.1:20245/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))"]);
    assert.match(metrics.stdout, /^podnet_firewall_chains\{family="inet"\} [1-9]\d*$/m);
    assert.match(metrics.stdout, /^podnet_firewall_ipsets\{family="inet"\} 2$/m, 'the peer set and the local-pods set');
    assert.match(metrics.stdout, /^podnet_firewall_pod_dropped_packets\{family="inet",namespace="default",pod="b",direction="ingress"\} \d+$/m);
    await agent.stop();
    assert.match(agent.log(), /iptables flavour/);

    const clean = await node.exec(process.execPath, [podnetd, '--cleanup-config', '--enable-cni=false', '--master=http://127.0.0.1:1', `--api-socket=${lab!.dir}/podnetd2.sock`]);
    assert.match(clean.stderr + clean.stdout, /"controller":"firewall".*removed its chains, jumps and ipsets/);
    assert.doesNotMatch((await node.exec('iptables-save', ['-t', 'filter'])).stdout, /PODNET-/);
    assert.equal((await node.exec('ipset', ['list', '-n'])).stdout.trim(), '');
  });
});
