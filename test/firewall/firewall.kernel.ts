// Kernel tier: the compiled firewall loaded into a real kernel. A node
// namespace bridges three pod namespaces (br_netfilter on, so bridged
// pod-to-pod traffic crosses FORWARD) and routes to a fourth namespace that
// plays a pod on another node. Rendered text goes through the real
// `ipset restore` and `iptables-restore --noflush` (Debian's iptables-nft),
// then real TCP and UDP probes (replies needed, so both directions) check
// what passes and what is rejected; then an incremental change, a no-op
// re-plan, and a full removal of everything podnet owns.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { compileFirewall } from '../../firewall/compile.ts';
import type { DesiredFirewall, FirewallInput } from '../../firewall/compile.ts';
import { planFamilyFromKernel, planFirewall } from '../../firewall/plan.ts';
import { ownsChain } from '../../firewall/names.ts';
import { parseSave } from '../../src/kernel/iptables/saved.ts';
import type { FirewallPlan } from '../../firewall/plan.ts';
import { renderRestore } from '../../src/kernel/iptables/render.ts';
import { renderIpsetRestore } from '../../src/kernel/ipset.ts';
import { Lab, waitFor } from '../helpers/netns.ts';
import type { Netns } from '../helpers/netns.ts';
import { namespace, pod, policy } from './objects.ts';

const probe = fileURLToPath(new URL('./probe.ts', import.meta.url));

const A = '10.244.1.10';
const B = '10.244.1.11';
const C = '10.244.1.12';
const REMOTE = '10.244.2.20';

async function apply(node: Netns, plan: FirewallPlan): Promise<void> {
  const sets = renderIpsetRestore(plan.ipsetWrite);
  if (sets !== '') await node.exec('ipset', ['restore'], { input: sets });
  for (const b of plan.iptables) {
    await node.exec(b.family === 'inet' ? 'iptables-restore' : 'ip6tables-restore', ['--noflush', '--wait'], { input: renderRestore(b) });
  }
  const destroy = renderIpsetRestore(plan.ipsetDestroy);
  if (destroy !== '') await node.exec('ipset', ['restore'], { input: destroy });
}

async function connect(from: Netns, proto: 'tcp' | 'udp', host: string, port: number): Promise<string> {
  const r = await from.exec(process.execPath, [probe, 'connect', proto, host, String(port)], { timeoutMs: 10_000 });
  return r.stdout.trim();
}

const D = '10.244.1.13';
const v6 = (ip: string): string => `fd00:244:1::${ip.split('.')[3] ?? '0'}`;

function cluster(otherAllowed: boolean, opts: { defaultDeny?: boolean; withD?: boolean } = {}): FirewallInput {
  const peers: unknown[] = [{ podSelector: { matchLabels: { role: 'client' } } }];
  if (otherAllowed) peers.push({ podSelector: { matchLabels: { role: 'other' } } });
  return {
    nodeName: 'node-a',
    podCidrs: ['10.244.1.0/24'],
    namespaces: [namespace('default')],
    pods: [
      pod('a', { ips: [A, v6(A)], labels: { role: 'client' } }),
      pod('b', { ips: [B, v6(B)], labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }] }),
      pod('c', { ips: [C, v6(C)], labels: { role: 'other' } }),
      pod('remote', { ip: REMOTE, node: 'node-b', labels: { role: 'client' } }),
      ...(opts.withD === true ? [pod('d', { ip: D })] : []),
    ],
    ...(opts.defaultDeny === true ? { options: { defaultDeny: true } } : {}),
    policies: [
      policy('web-in', 'default', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: peers, ports: [{ port: 'http' }, { protocol: 'UDP', port: 5353 }] }],
      }),
      policy('client-out', 'default', {
        podSelector: { matchLabels: { role: 'client' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }] }],
      }),
    ],
  };
}

async function ownedState(node: Netns): Promise<string> {
  const ipt = (await node.exec('iptables-save', ['-t', 'filter'])).stdout;
  const ours = ipt.split('\n').filter((l) => l.includes('PODNET-')).join('\n');
  const sets = (await node.exec('ipset', ['save'])).stdout.replace(/ initval 0x[0-9a-f]+/g, '');
  return `${ours}\n${sets}`;
}

describe('firewall: compiled rules in a kernel (netns, iptables-nft, ipset)', function () {
  this.timeout(60_000);
  let lab: Lab | undefined;
  let node: Netns;
  let pa: Netns;
  let pb: Netns;
  let pc: Netns;
  let ext: Netns;
  let pd: Netns;

  before(async () => {
    lab = await Lab.create();
    node = await lab.addNamespace('node', { forwarding: true });
    pa = await lab.addNamespace('pa');
    pb = await lab.addNamespace('pb');
    pc = await lab.addNamespace('pc');
    ext = await lab.addNamespace('ext', { forwarding: true });
    pd = await lab.addNamespace('pd');
    await node.ip(['link', 'add', 'br0', 'type', 'bridge']);
    await node.addAddress('br0', '10.244.1.1/24');
    await node.addAddress('br0', 'fd00:244:1::1/64');
    await node.linkUp('br0');
    // Bridged pod-to-pod traffic reaches iptables only through br_netfilter (per-netns sysctls).
    const brnf = await node.exec('sh', ['-c', 'test -e /proc/sys/net/bridge/bridge-nf-call-iptables && echo yes'], { allowFail: true });
    if (!brnf.stdout.includes('yes')) throw new Error('br_netfilter is not loaded on this host (modprobe br_netfilter): bridged traffic would bypass iptables');
    await node.sysctl('net.bridge.bridge-nf-call-iptables', '1');
    await node.sysctl('net.bridge.bridge-nf-call-ip6tables', '1');
    for (const [ns, ip, ifname] of [[pa, A, 'vpa'], [pb, B, 'vpb'], [pc, C, 'vpc'], [pd, D, 'vpd']] as const) {
      await lab.veth({ ns, ifname: 'eth0', addresses: [`${ip}/24`, `${v6(ip)}/64`] }, { ns: node, ifname });
      await node.ip(['link', 'set', ifname, 'master', 'br0']);
      await ns.ip(['route', 'add', 'default', 'via', '10.244.1.1']);
    }
    await lab.veth({ ns: node, ifname: 'ext0', addresses: ['198.18.0.1/30'] }, { ns: ext, ifname: 'eth0', addresses: ['198.18.0.2/30'] });
    await ext.addAddress('lo', `${REMOTE}/32`);
    await ext.ip(['route', 'add', '10.244.1.0/24', 'via', '198.18.0.1', 'src', REMOTE]);
    await node.ip(['route', 'add', `${REMOTE}/32`, 'via', '198.18.0.2']);
    const servers = [
      pa.spawnNode('srv-a', probe, ['serve', '8080']), pb.spawnNode('srv-b', probe, ['serve', '8080,9090,5353']), pc.spawnNode('srv-c', probe, ['serve', '8080']),
      node.spawnNode('srv-node', probe, ['serve', '8081']),
      pd.spawnNode('srv-d', probe, ['serve', '8080']),
    ];
    for (const s of servers) await waitFor(`${s.name} ready`, () => s.log().includes('ready'), { timeoutMs: 10_000 });
  });

  after(async () => {
    await lab?.teardown();
  });

  let applied: DesiredFirewall;

  it('without rules every probe passes (the probes work)', async () => {
    assert.equal(await connect(pc, 'tcp', B, 8080), 'ok');
    assert.equal(await connect(pa, 'tcp', C, 8080), 'ok');
    assert.equal(await connect(ext, 'tcp', B, 9090), 'ok');
    assert.equal(await connect(pa, 'tcp', v6(B), 8080), 'ok', 'IPv6');
    assert.equal(await connect(pa, 'udp', v6(B), 5353), 'ok', 'IPv6 UDP');
  });

  it('loads through the real ipset restore and iptables-restore --noflush (both families)', async () => {
    applied = compileFirewall(cluster(false));
    const plan = planFirewall(applied, undefined);
    assert.deepEqual(plan.iptables.map((b) => b.family), ['inet', 'inet6']);
    await apply(node, plan);
    const save = (await node.exec('iptables-save', ['-t', 'filter'])).stdout;
    assert.match(save, /-A FORWARD -m comment --comment "podnet network policy" -j PODNET-FORWARD/);
    const save6 = (await node.exec('ip6tables-save', ['-t', 'filter'])).stdout;
    assert.match(save6, /-A INPUT -m comment --comment "podnet network policy" -j PODNET-INPUT/);
  });

  it('allows what the policies allow, both ways (bridged and routed)', async () => {
    assert.equal(await connect(pa, 'tcp', B, 8080), 'ok', 'client -> web on the named port (bridged)');
    assert.equal(await connect(pa, 'tcp', v6(B), 8080), 'ok', 'the same over IPv6');
    assert.equal(await connect(pa, 'udp', v6(B), 5353), 'ok', 'UDP over IPv6');
    assert.equal(await connect(ext, 'tcp', B, 8080), 'ok', 'remote client -> web (routed)');
    assert.equal(await connect(pa, 'udp', B, 5353), 'ok', 'client -> web UDP');
    assert.equal(await connect(pc, 'tcp', A, 8080), 'ok', 'egress-only policy leaves ingress open');
    assert.equal(await connect(node, 'tcp', B, 9090), 'ok', 'the node reaches its pods');
    assert.equal(await connect(pa, 'tcp', '10.244.1.1', 8081), 'ok', 'a pod with an egress policy still reaches its node');
    assert.equal(await connect(pa, 'tcp', '198.18.0.1', 8081), 'ok', '... on any of its addresses');
  });

  it('rejects what they do not allow, and counts it per pod', async () => {
    assert.equal(await connect(pc, 'tcp', B, 8080), 'refused', 'other -> web: not a selected peer');
    assert.equal(await connect(pc, 'tcp', v6(B), 8080), 'refused', 'the same over IPv6');
    assert.equal(await connect(pa, 'tcp', v6(C), 8080), 'refused', "client's egress over IPv6");
    assert.equal(await connect(pa, 'tcp', B, 9090), 'refused', 'client -> web: 9090 is not the named port');
    assert.notEqual(await connect(pc, 'udp', B, 5353), 'ok', 'other -> web UDP');
    assert.equal(await connect(pa, 'tcp', C, 8080), 'refused', "client's egress allows only web");
    const save = (await node.exec('iptables-save', ['-c', '-t', 'filter'])).stdout;
    const web = applied.families[0]?.chains.get('PODNET-FORWARD')?.chain.rules.find((r) => r.comment === 'default/b ingress');
    const target = web?.target;
    assert.ok(target?.kind === 'jump');
    const reject = save.split('\n').find((l) => l.includes(`-A ${target.chain} `) && l.includes('-j REJECT'));
    const packets = Number(/^\[(\d+):/.exec(reject ?? '')?.[1] ?? '0');
    assert.ok(packets >= 3, `REJECT counter of web's ingress chain: ${reject}`);
  });

  it('an incremental change rewrites only what changed, and a re-plan does nothing', async () => {
    const next = compileFirewall(cluster(true));
    const plan = planFirewall(next, applied);
    const v4 = plan.iptables.find((b) => b.family === 'inet');
    assert.ok(v4 !== undefined);
    assert.deepEqual(v4.jumps, { insert: [], delete: [] });
    assert.ok(v4.write.length <= 2, `rewrites ${v4.write.map((c) => c.name).join(' ')}`);
    await apply(node, plan);
    applied = next;
    assert.equal(await connect(pc, 'tcp', B, 8080), 'ok', 'other is now allowed');
    assert.equal(await connect(pa, 'tcp', B, 9090), 'refused', 'the rest is unchanged');
    const before = await ownedState(node);
    const again = planFirewall(compileFirewall(cluster(true)), applied);
    assert.deepEqual(again.iptables, []);
    assert.deepEqual(again.ipsetWrite.write, []);
    await apply(node, again);
    assert.equal(await ownedState(node), before);
  });

  it('drift: a plan from iptables-save repairs a lost rule, a stray chain and a displaced jump, then plans nothing', async () => {
    const want = applied.families.find((f) => f.family === 'inet');
    assert.ok(want !== undefined);
    const fromKernel = async () => planFamilyFromKernel(want, parseSave((await node.exec('iptables-save', ['-t', 'filter'])).stdout, 'filter', ownsChain));
    assert.deepEqual(await fromKernel(), { family: 'inet', table: 'filter', write: [], remove: [], jumps: { insert: [], delete: [] } });
    const webChain = [...want.chains.keys()].find((n) => n.startsWith('PODNET-FWI-'));
    assert.ok(webChain !== undefined);
    await node.exec('iptables', ['-D', webChain, '6']); // the REJECT rule
    await node.exec('iptables', ['-N', 'PODNET-NPI-0000000000000000']);
    await node.exec('iptables', ['-I', 'FORWARD', '1', '-m', 'comment', '--comment', 'foreign', '-j', 'ACCEPT']);
    const plan = await fromKernel();
    assert.deepEqual(plan.write.map((c) => c.name), [webChain]);
    assert.deepEqual(plan.remove, ['PODNET-NPI-0000000000000000']);
    assert.deepEqual(plan.jumps.insert.map((j) => j.from), ['FORWARD']);
    assert.deepEqual(plan.jumps.delete.map((j) => j.from), ['FORWARD']);
    await node.exec('iptables-restore', ['--noflush'], { input: renderRestore(plan) });
    assert.deepEqual(await fromKernel(), { family: 'inet', table: 'filter', write: [], remove: [], jumps: { insert: [], delete: [] } });
    const forward = (await node.exec('iptables', ['-S', 'FORWARD'])).stdout.split('\n');
    assert.match(forward[1] ?? '', /-j PODNET-FORWARD$/);
    assert.match(forward[2] ?? '', /foreign/);
    assert.equal(await connect(pa, 'tcp', B, 9090), 'refused', 'the REJECT is back');
    await node.exec('iptables', ['-D', 'FORWARD', '-m', 'comment', '--comment', 'foreign', '-j', 'ACCEPT']);
  });

  it('default deny: a local pod whose chain is not programmed yet is rejected both ways, until it is', async () => {
    assert.equal(await connect(pd, 'tcp', C, 8080), 'ok', 'd is unrestricted before default deny');
    let next = compileFirewall(cluster(true, { defaultDeny: true }));
    await apply(node, planFirewall(next, applied));
    applied = next;
    assert.equal(await connect(pd, 'tcp', C, 8080), 'refused', 'from an unprogrammed pod');
    assert.equal(await connect(pc, 'tcp', D, 8080), 'refused', 'to an unprogrammed pod');
    assert.equal(await connect(ext, 'tcp', D, 8080), 'refused', 'routed to an unprogrammed pod');
    assert.equal(await connect(pc, 'tcp', A, 8080), 'ok', 'programmed pods are unaffected');
    assert.equal(await connect(node, 'tcp', D, 8080), 'ok', 'the node still reaches it');
    next = compileFirewall(cluster(true, { defaultDeny: true, withD: true }));
    const plan = planFirewall(next, applied);
    assert.deepEqual(plan.iptables, [], 'programming a pod no policy selects only adds it to the local-pods set');
    assert.deepEqual(plan.ipsetWrite.write.map((s) => s.name), ['PODNET-LOCAL-PODS4']);
    await apply(node, plan);
    applied = next;
    assert.equal(await connect(pd, 'tcp', C, 8080), 'ok');
    assert.equal(await connect(pc, 'tcp', D, 8080), 'ok');
  });

  it('removing everything leaves no chain, jump or set behind', async () => {
    const empty: DesiredFirewall = { families: [], contributions: new Map() };
    await apply(node, planFirewall(empty, applied));
    assert.doesNotMatch((await node.exec('iptables-save', ['-t', 'filter'])).stdout, /PODNET/);
    assert.doesNotMatch((await node.exec('ip6tables-save', ['-t', 'filter'])).stdout, /PODNET/);
    assert.equal((await node.exec('ipset', ['list', '-n'])).stdout.trim(), '');
    assert.equal(await connect(pc, 'tcp', A, 8080), 'ok');
    assert.equal(await connect(pa, 'tcp', C, 8080), 'ok');
  });
});
