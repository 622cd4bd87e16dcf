// Kernel tier: the firewall controller itself (real kernel writer, flavour
// detection, ipset restore, iptables-restore --noflush) running in a child
// process inside a node namespace (fw-child.ts), pods on a bridge with
// br_netfilter. Proves: a policy added -> denied TCP/UDP refused, allowed
// passes; a second sync (incremental and full) changes nothing; a label change
// applied incrementally rewrites only the affected set and chains (an untouched
// pod chain keeps its packet counters in the kernel); the per-pod drop metric;
// default deny rejects a new pod until it is programmed; foreign chains, rules
// and sets (one named PODNET-… but not ours) survive sync and cleanup.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ApplyResult } from '../../firewall/apply.ts';
import { podChain } from '../../firewall/names.ts';
import { Lab, waitFor } from '../helpers/netns.ts';
import type { Netns } from '../helpers/netns.ts';
import { namespace, pod, policy } from './objects.ts';

const probe = fileURLToPath(new URL('./probe.ts', import.meta.url));
const childScript = fileURLToPath(new URL('./fw-child.ts', import.meta.url));

const A = '10.244.1.10';
const B = '10.244.1.11';
const C = '10.244.1.12';
const D = '10.244.1.13';
const v6 = (ip: string): string => `fd00:244:1::${ip.split('.')[3] ?? '0'}`;

function state(opts: { cRole?: string; withD?: boolean } = {}): unknown {
  return {
    nodes: [{ metadata: { name: 'node-a' }, spec: { podCIDRs: ['10.244.1.0/24', 'fd00:244:1::/64'] } }],
    namespaces: [namespace('default')],
    pods: [
      pod('a', { ips: [A, v6(A)], labels: { role: 'client' } }),
      pod('b', { ips: [B, v6(B)], labels: { app: 'web' } }),
      pod('c', { ips: [C, v6(C)], labels: { role: opts.cRole ?? 'other' } }),
      ...(opts.withD === true ? [pod('d', { ip: D })] : []),
    ],
    policies: [
      policy('web-in', 'default', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 8080 }, { protocol: 'UDP', port: 5353 }] }],
      }),
      policy('client-out', 'default', {
        podSelector: { matchLabels: { role: 'client' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }] }],
      }),
    ],
  };
}

interface Answer {
  ok: boolean;
  error?: string;
  result?: ApplyResult;
  text?: string;
}

/** The controller process inside the node namespace, one request at a time. */
class Child {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly #lines: string[] = [];
  stderr = '';
  constructor(ns: string) {
    this.proc = spawn('ip', ['netns', 'exec', ns, process.execPath, childScript], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout }).on('line', (l) => this.#lines.push(l));
    this.proc.stderr.on('data', (c: Buffer) => (this.stderr += c.toString()));
  }
  async ask(req: unknown): Promise<Answer> {
    this.proc.stdin.write(`${JSON.stringify(req)}\n`);
    const line = await waitFor(`fw-child answer (stderr: ${this.stderr.slice(-300)})`, () => this.#lines.shift(), { timeoutMs: 30_000, intervalMs: 20 });
    return JSON.parse(line) as Answer;
  }
  async sync(kind: 'full' | 'incremental', st: unknown, options: unknown = {}): Promise<ApplyResult> {
    const a = await this.ask({ op: 'sync', kind, state: st, options });
    assert.ok(a.ok && a.result !== undefined, `sync failed: ${a.error ?? ''} ${this.stderr}`);
    return a.result;
  }
  stop(): void {
    // `ip netns exec` execs node, so this PID is the child itself.
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

async function connect(from: Netns, proto: 'tcp' | 'udp', host: string, port: number): Promise<string> {
  return (await from.exec(process.execPath, [probe, 'connect', proto, host, String(port)], { timeoutMs: 10_000 })).stdout.trim();
}

/** Our chains' rules and our sets, as the kernel holds them (counters left out). */
async function ownedState(node: Netns): Promise<string> {
  const ipt = (await node.exec('iptables-save', ['-t', 'filter'])).stdout + (await node.exec('ip6tables-save', ['-t', 'filter'])).stdout;
  const ours = ipt.split('\n').filter((l) => /PODNET-(INPUT|FORWARD|OUTPUT|COMMON|UNPROGRAMMED|FW|NP)/.test(l)).join('\n');
  const sets = (await node.exec('ipset', ['save'])).stdout.replace(/ initval 0x[0-9a-f]+/g, '');
  return `${ours}\n${sets}`;
}

/** Everything foreign the test put there before podnet ran. */
async function foreignState(node: Netns): Promise<string> {
  const ipt = (await node.exec('iptables-save', ['-t', 'filter'])).stdout.split('\n').filter((l) => /FOREIGN|foreign|PODNET-SVC-TEST/.test(l));
  const ipt6 = (await node.exec('ip6tables-save', ['-t', 'filter'])).stdout.split('\n').filter((l) => /FOREIGN/.test(l));
  const sets = (await node.exec('ipset', ['save'])).stdout.split('\n').filter((l) => /foreign-set|PODNET-FOREIGN/.test(l)).map((l) => l.replace(/ initval 0x[0-9a-f]+/, ''));
  return [...ipt, ...ipt6, ...sets].join('\n');
}

async function rejectCount(node: Netns, chain: string): Promise<number> {
  const save = (await node.exec('iptables-save', ['-c', '-t', 'filter'])).stdout;
  const line = save.split('\n').find((l) => l.includes(`-A ${chain} `) && l.includes('-j REJECT'));
  assert.ok(line !== undefined, `no REJECT rule in ${chain}`);
  return Number(/^\[(\d+):/.exec(line)?.[1] ?? 'NaN');
}

describe('firewall controller in a node namespace (real kernel)', function () {
  this.timeout(60_000);
  let lab: Lab | undefined;
  let child: Child | undefined;
  let node: Netns;
  let pa: Netns;
  let pb: Netns;
  let pc: Netns;
  let pd: Netns;
  let foreign: string;

  before(async () => {
    lab = await Lab.create();
    node = await lab.addNamespace('fwn', { forwarding: true });
    pa = await lab.addNamespace('fwa');
    pb = await lab.addNamespace('fwb');
    pc = await lab.addNamespace('fwc');
    pd = await lab.addNamespace('fwd');
    await node.ip(['link', 'add', 'br0', 'type', 'bridge']);
    await node.addAddress('br0', '10.244.1.1/24');
    await node.addAddress('br0', 'fd00:244:1::1/64');
    await node.linkUp('br0');
    const brnf = await node.exec('sh', ['-c', 'test -e /proc/sys/net/bridge/bridge-nf-call-iptables && echo yes'], { allowFail: true });
    if (!brnf.stdout.includes('yes')) throw new Error('br_netfilter is not loaded on this host (modprobe br_netfilter): bridged traffic would bypass iptables');
    await node.sysctl('net.bridge.bridge-nf-call-iptables', '1');
    await node.sysctl('net.bridge.bridge-nf-call-ip6tables', '1');
    for (const [ns, ip, ifname] of [[pa, A, 'vpa'], [pb, B, 'vpb'], [pc, C, 'vpc'], [pd, D, 'vpd']] as const) {
      await lab.veth({ ns, ifname: 'eth0', addresses: [`${ip}/24`, `${v6(ip)}/64`] }, { ns: node, ifname });
      await node.ip(['link', 'set', ifname, 'master', 'br0']);
      await ns.ip(['route', 'add', 'default', 'via', '10.244.1.1']);
    }
    // Foreign state that podnet must leave alone (one set and one chain look like ours but are not).
    const sh = async (cmd: string): Promise<void> => {
      await node.exec('sh', ['-ec', cmd]);
    };
    await sh('iptables -N FOREIGN-CHAIN; iptables -A FOREIGN-CHAIN -s 192.0.2.1/32 -j DROP; iptables -A FORWARD -j FOREIGN-CHAIN');
    await sh('iptables -A INPUT -p tcp --dport 9 -m comment --comment foreign -j DROP; iptables -N PODNET-SVC-TEST; iptables -A PODNET-SVC-TEST -j RETURN');
    await sh('ip6tables -N FOREIGN6; ip6tables -A FOREIGN6 -j RETURN; ip6tables -A OUTPUT -j FOREIGN6');
    await sh('ipset create foreign-set hash:ip; ipset add foreign-set 192.0.2.7; ipset create PODNET-FOREIGN hash:net; ipset add PODNET-FOREIGN 192.0.2.0/24');
    foreign = await foreignState(node);
    assert.equal(foreign.split('\n').length, 13, foreign);
    const servers = [pa.spawnNode('srv-a', probe, ['serve', '8080']), pb.spawnNode('srv-b', probe, ['serve', '8080,9090,5353']), pc.spawnNode('srv-c', probe, ['serve', '8080']), pd.spawnNode('srv-d', probe, ['serve', '8080'])];
    for (const s of servers) await waitFor(`${s.name} ready`, () => s.log().includes('ready'), { timeoutMs: 10_000 });
    child = new Child(node.name);
  });

  after(async () => {
    child?.stop();
    await lab?.teardown();
  });

  it('a policy added: denied TCP/UDP is refused, allowed passes; foreign rules and sets untouched', async () => {
    assert.equal(await connect(pc, 'tcp', B, 8080), 'ok', 'open before any policy');
    const r = await child!.sync('full', state());
    assert.deepEqual(r.iptables.map((b) => `${b.family} ${b.planned} ${b.jumpsInserted}`), ['inet kernel 3', 'inet6 kernel 3']);
    assert.ok(r.changes > 0 && r.setsChanged.length === r.setsWritten.length);
    assert.equal(await connect(pa, 'tcp', B, 8080), 'ok', 'client -> web:8080');
    assert.equal(await connect(pa, 'udp', B, 5353), 'ok', 'client -> web UDP 5353');
    assert.equal(await connect(pa, 'tcp', v6(B), 8080), 'ok', 'IPv6 client -> web');
    assert.equal(await connect(pc, 'tcp', B, 8080), 'refused', 'other -> web');
    assert.notEqual(await connect(pc, 'udp', B, 5353), 'ok', 'other -> web UDP');
    assert.equal(await connect(pa, 'tcp', B, 9090), 'refused', 'client -> web on a port the policy does not allow');
    assert.equal(await connect(pa, 'tcp', C, 8080), 'refused', "client's egress allows only web");
    assert.equal(await connect(node, 'tcp', B, 9090), 'ok', 'the node reaches its pods');
    assert.equal(await foreignState(node), foreign);
  });

  it('a second sync changes nothing: incremental runs nothing, full re-plans from the kernel to an empty batch', async () => {
    const before = await ownedState(node);
    const inc = await child!.sync('incremental', state());
    assert.deepEqual({ changes: inc.changes, iptables: inc.iptables, sets: inc.setsWritten }, { changes: 0, iptables: [], sets: [] });
    const full = await child!.sync('full', state());
    assert.deepEqual({ changes: full.changes, iptables: full.iptables, changed: full.setsChanged, destroyed: full.setsDestroyed }, { changes: 0, iptables: [], changed: [], destroyed: [] });
    assert.equal(await ownedState(node), before);
  });

  it('drift: an incremental sync trusts its record; a full sync repairs a flushed chain, emptied sets, a stray chain and a leftover set', async () => {
    const before = await ownedState(node);
    const webIn = podChain('default', 'b', 'ingress', 'inet');
    const sets = (await node.exec('ipset', ['list', '-n'])).stdout.split('\n').filter((n) => n.startsWith('PODNET-P-'));
    await node.exec('sh', ['-ec', [`iptables -F ${webIn}`, ...sets.map((n) => `ipset flush ${n}`), 'iptables -N PODNET-NPI-0000000000000000', 'ipset create PODNET-TMP-0123456789ABCDEF hash:ip'].join('; ')]);
    assert.equal(await connect(pc, 'tcp', B, 8080), 'ok', 'the drift opened web');
    assert.equal((await child!.sync('incremental', state())).changes, 0, 'incremental syncs do not read the kernel');
    const r = await child!.sync('full', state());
    assert.deepEqual(r.iptables.map((b) => ({ family: b.family, written: b.written, removed: b.removed })), [{ family: 'inet', written: [webIn], removed: ['PODNET-NPI-0000000000000000'] }]);
    assert.deepEqual(r.setsDestroyed, ['PODNET-TMP-0123456789ABCDEF']);
    assert.equal(await ownedState(node), before);
    assert.equal(await connect(pc, 'tcp', B, 8080), 'refused', 'repaired');
  });

  it('a label change applied incrementally rewrites only the affected set and chains; untouched chains keep their counters', async () => {
    const webIn = podChain('default', 'b', 'ingress', 'inet');
    assert.equal(await connect(pc, 'tcp', B, 8080), 'refused');
    const rejected = await rejectCount(node, webIn);
    assert.ok(rejected >= 1, 'the REJECT counted the refused connection');
    const r = await child!.sync('incremental', state({ cRole: 'client' }));
    // c joins web-in's peer set (one per family) and client-out now selects c (an egress chain per family).
    assert.equal(r.setsChanged.length, 2, `sets: ${r.setsChanged.join(' ')}`);
    assert.ok(r.setsChanged.every((n) => n.startsWith('PODNET-P-')));
    assert.deepEqual(r.setsWritten, r.setsChanged);
    assert.deepEqual(
      r.iptables.map((b) => ({ family: b.family, planned: b.planned, written: b.written, removed: b.removed })),
      (['inet', 'inet6'] as const).map((family) => ({ family, planned: 'state', written: ['PODNET-FORWARD', podChain('default', 'c', 'egress', family), 'PODNET-OUTPUT'].sort(), removed: [] })),
    );
    assert.equal(await rejectCount(node, webIn), rejected, "web's ingress chain was not rewritten (counters kept)");
    assert.equal(await connect(pc, 'tcp', B, 8080), 'ok', 'c is a client now');
    assert.equal(await connect(pc, 'tcp', A, 8080), 'refused', "and client-out's egress applies to it");
    const again = await child!.sync('incremental', state({ cRole: 'client' }));
    assert.equal(again.changes, 0);
  });

  it('reports chains, sets and per-pod drops on the metrics registry', async () => {
    const a = await child!.ask({ op: 'metrics' });
    assert.ok(a.ok && a.text !== undefined);
    assert.match(a.text, /^podnet_firewall_chains\{family="inet"\} 9$/m);
    assert.match(a.text, /^podnet_firewall_ipsets\{family="inet"\} 2$/m);
    const drops = /^podnet_firewall_pod_dropped_packets\{family="inet",namespace="default",pod="b",direction="ingress"\} (\d+)$/m.exec(a.text);
    assert.ok(drops !== null && Number(drops[1]) >= 1, a.text);
  });

  it('default deny: a new pod is rejected both ways until it is programmed', async () => {
    assert.equal(await connect(pd, 'tcp', C, 8080), 'ok', 'd is unrestricted before default deny');
    const on = await child!.sync('incremental', state({ cRole: 'client' }), { defaultDeny: true });
    assert.ok(on.setsWritten.includes('PODNET-LOCAL-PODS4'));
    assert.equal(await connect(pd, 'tcp', C, 8080), 'refused', 'from the unprogrammed pod');
    assert.equal(await connect(pb, 'tcp', D, 8080), 'refused', 'to the unprogrammed pod');
    assert.equal(await connect(pa, 'tcp', B, 8080), 'ok', 'programmed pods are unaffected');
    const r = await child!.sync('incremental', state({ cRole: 'client', withD: true }), { defaultDeny: true });
    assert.deepEqual({ sets: r.setsChanged, iptables: r.iptables }, { sets: ['PODNET-LOCAL-PODS4'], iptables: [] });
    assert.equal(await connect(pd, 'tcp', C, 8080), 'ok');
    assert.equal(await connect(pb, 'tcp', D, 8080), 'ok');
  });

  it('cleanup removes every podnet chain, jump and set, and nothing foreign', async () => {
    assert.ok((await child!.ask({ op: 'cleanup' })).ok);
    const ipt = (await node.exec('iptables-save', ['-t', 'filter'])).stdout + (await node.exec('ip6tables-save', ['-t', 'filter'])).stdout;
    assert.doesNotMatch(ipt, /PODNET-(INPUT|FORWARD|OUTPUT|COMMON|UNPROGRAMMED|FW|NP)/);
    assert.deepEqual((await node.exec('ipset', ['list', '-n'])).stdout.split('\n').filter((l) => l !== '').sort(), ['PODNET-FOREIGN', 'foreign-set']);
    assert.equal(await foreignState(node), foreign);
    assert.equal(await connect(pc, 'tcp', A, 8080), 'ok', 'open again');
  });
});
