// e2e: a 3-node dual-stack lab over two subnets behind a BIRD ToR, as issue
// #5 asks: every pod reaches every other pod by ping and TCP in IPv4 and
// IPv6; the ToR's RIB holds every pod CIDR of both families with the owning
// node's address as next hop; a node on the other subnet is reached through
// the VXLAN tunnel (podnet.vx4 / podnet.vx6) while same-subnet nodes are
// routed directly; a node added at run time (`podnet lab node add`) gets its
// routes to every node and the ToR and is reached by every pod.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { labDown, loadState, run, runIn, sweepPrefix, waitFor } from '../../../src/lab/index.ts';
import type { LabState, Reach } from '../../../src/lab/index.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const stateRoot = join(tmpdir(), 'podnet-lab-e2e');
const podnet = join(root, 'src', 'bin', 'podnet.ts');

describe('podnet lab: 3 dual-stack nodes on two subnets, and a node added at run time (e2e)', function () {
  this.timeout(240_000);
  const name = `e${randomBytes(2).toString('hex')}`;
  const lab = (args: readonly string[]) => run(process.execPath, [podnet, 'lab', '--state-dir', stateRoot, ...args, '--name', name], { timeoutMs: 120_000 });
  const state = (): LabState => {
    const st = loadState(join(stateRoot, name));
    assert.ok(st !== undefined);
    return st;
  };

  /** Every cross-node probe of `lab check` answered, ping and TCP, both families; returns how many. */
  async function allReach(): Promise<number> {
    const probes = await waitFor('every pod reaching every pod', async () => {
      const r = await run(process.execPath, [podnet, 'lab', '--state-dir', stateRoot, 'check', '--name', name, '-j'], { allowFail: true, timeoutMs: 60_000 });
      const ps = JSON.parse(r.stdout) as Reach[];
      return ps.every((p) => p.ping && p.tcp === true) ? ps : undefined;
    }, { timeoutMs: 40_000, intervalMs: 1_000 });
    const st = state();
    const cross = st.pods.length * (st.pods.length - 1) * 2;
    assert.equal(probes.filter((p) => !p.sameNode).length, cross, 'one probe per pod pair and family');
    assert.equal(probes.filter((p) => p.ip.includes(':')).length, probes.length / 2, 'half of them IPv6');
    return probes.length;
  }

  /** The ToR's routes: prefix -> next hop (birdc show route). */
  async function torRib(): Promise<Map<string, string>> {
    const st = state();
    const out = (await runIn(st.tor.netns, 'birdc', ['-s', st.tor.controlSocket ?? '', 'show', 'route'])).stdout;
    const rib = new Map<string, string>();
    let prefix = '';
    for (const line of out.split('\n')) {
      const m = /^(\S+\/\d+)\s+unicast/.exec(line);
      if (m?.[1] !== undefined) prefix = m[1];
      const via = /^\s+via (\S+) on/.exec(line);
      if (via?.[1] !== undefined && prefix !== '') rib.set(prefix, via[1]);
    }
    return rib;
  }

  async function routesEverywhere(): Promise<void> {
    const st = state();
    await waitFor('every pod CIDR at the ToR with its node as next hop, and on every other node', async () => {
      const rib = await torRib();
      for (const n of st.nodes) {
        const [v4, v6] = n.podCidrs;
        if (rib.get(v4 ?? '') !== n.ipv4 || rib.get(v6 ?? '') !== n.ipv6) return false;
        for (const other of st.nodes) {
          if (other === n) continue;
          for (const cidr of n.podCidrs) {
            const r = await run('ip', ['-n', other.netns, ...(cidr.includes(':') ? ['-6'] : []), 'route', 'show', cidr]);
            if (!r.stdout.includes('proto 87')) return false;
          }
        }
      }
      return true;
    }, { timeoutMs: 40_000, intervalMs: 250 });
  }

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    await lab(['up', '--nodes', '3', '--tor', 'bird', '--ipv6', '--subnets', '2', '--pods', '1', '--no-check']);
  });

  after(async function () {
    await labDown(stateRoot, name).catch(() => undefined);
    await sweepPrefix(`pl-${name}-`);
  });

  it('every pod reaches every pod (ping and TCP, IPv4 and IPv6); the ToR holds every pod CIDR with the right next hop', async function () {
    const st = state();
    assert.equal(st.nodes.length, 3);
    assert.ok(st.nodes.every((n) => n.podCidrs.length === 2 && n.ipv6 !== undefined), 'dual-stack nodes');
    await routesEverywhere();
    assert.equal(await allReach(), 3 * 2 * 2);
  });

  it('reaches the node on the other subnet through the tunnel, and same-subnet nodes directly', async function () {
    const st = state();
    // subnets round-robin: node1 and node3 on the first, node2 on the second
    const [n1, n2, n3] = st.nodes;
    assert.ok(n1 !== undefined && n2 !== undefined && n3 !== undefined);
    const via = async (from: string, cidr: string): Promise<string> => (await run('ip', ['-n', from, ...(cidr.includes(':') ? ['-6'] : []), 'route', 'show', cidr])).stdout;
    for (const cidr of n2.podCidrs) assert.match(await via(n1.netns, cidr), cidr.includes(':') ? /dev podnet\.vx6 proto 87/ : /dev podnet\.vx4 proto 87/, `node1 -> ${cidr} (other subnet)`);
    for (const cidr of n3.podCidrs) assert.match(await via(n1.netns, cidr), /dev eth0 proto 87/, `node1 -> ${cidr} (same subnet)`);
    // traffic really goes through the VXLAN device: its TX counter grows with a ping to node2's pod
    const pod1 = st.pods.find((p) => p.node === n1.name);
    const pod2 = st.pods.find((p) => p.node === n2.name);
    assert.ok(pod1 !== undefined && pod2 !== undefined);
    const tx = async (): Promise<number> => Number((await runIn(n1.netns, 'cat', ['/sys/class/net/podnet.vx4/statistics/tx_packets'])).stdout.trim());
    const before = await tx();
    await runIn(pod1.netns, 'ping', ['-c', '3', '-i', '0.2', '-W', '1', pod2.ips[0] ?? '']);
    assert.ok((await tx()) >= before + 3, 'the pings left through podnet.vx4');
  });

  it('a node added at run time gets routes everywhere and is reached by every pod', async function () {
    const out = await lab(['node', 'add']);
    assert.match(out.stdout, /^node4 added: 198\.18\.2\.\d+ fd00:198:18:2::\S+, pod CIDRs 10\.244\.4\.0\/24 fd00:10:244:4::\/64/);
    const st = state();
    assert.equal(st.nodes.length, 4);
    await routesEverywhere();
    assert.equal(await allReach(), 4 * 3 * 2);
  });
});
