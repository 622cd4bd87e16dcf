// The VXLAN overlay in network namespaces, real kernel: two nodes on different
// subnets behind a router that knows nothing of pod CIDRs; pods reach each
// other only once the tunnel, its FDB/neighbour entries and the onlink routes
// are in place; a second sync changes nothing; removing a peer and cleanup
// take exactly what podnet added.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureTunnel, removeTunnels, syncTunnelPeers, tunnelName, vtepMac } from '../../../src/kernel/tunnel.ts';

const child = fileURLToPath(new URL('../../routes/route-child.ts', import.meta.url));
const prefix = `pnvx${process.pid.toString(36)}`;
const R = `${prefix}r`;
const A = `${prefix}a`;
const B = `${prefix}b`;
const PA = `${prefix}pa`;
const PB = `${prefix}pb`;
const all = [R, A, B, PA, PB];

const sh = (ns: string, cmd: string): string => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-ec', cmd], { encoding: 'utf8' });
const ping = (ns: string, to: string): boolean => spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', to]).status === 0;
const routes = (ns: string, desired: unknown): { replaced: string[]; failed: unknown[] } =>
  JSON.parse(execFileSync('ip', ['netns', 'exec', ns, process.execPath, child, JSON.stringify(desired)], { encoding: 'utf8' }));

function sweep(): void {
  for (const line of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (/^pnvx[0-9a-z]+$/.test(name)) execFileSync('ip', ['netns', 'del', name]);
  }
}

describe('VXLAN overlay tunnel (kernel, network namespaces)', function () {
  this.timeout(60_000);
  before(() => {
    sweep();
    for (const n of all) {
      execFileSync('ip', ['netns', 'add', n]);
      sh(n, 'ip link set lo up');
    }
    // Underlay: A 198.18.0.1/24 -- R -- 198.18.1.2/24 B, R forwards.
    execFileSync('ip', ['link', 'add', 'ra', 'netns', R, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', A]);
    execFileSync('ip', ['link', 'add', 'rb', 'netns', R, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', B]);
    sh(R, 'ip addr add 198.18.0.254/24 dev ra; ip addr add 198.18.1.254/24 dev rb; ip link set ra up; ip link set rb up; sysctl -qw net.ipv4.ip_forward=1');
    sh(A, 'ip addr add 198.18.0.1/24 dev eth0; ip link set eth0 up; ip route add 198.18.1.0/24 via 198.18.0.254; sysctl -qw net.ipv4.ip_forward=1');
    sh(B, 'ip addr add 198.18.1.2/24 dev eth0; ip link set eth0 up; ip route add 198.18.0.0/24 via 198.18.1.254; sysctl -qw net.ipv4.ip_forward=1');
    // Pods: one per node, on the node's bridge, default route via the bridge.
    for (const [node, pod, net] of [[A, PA, '10.244.0'], [B, PB, '10.244.1']] as const) {
      execFileSync('ip', ['link', 'add', 'vp', 'netns', node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod]);
      sh(node, `ip link add kube-bridge type bridge; ip addr add ${net}.1/24 dev kube-bridge; ip link set kube-bridge up; ip link set vp master kube-bridge; ip link set vp up`);
      sh(pod, `ip addr add ${net}.2/24 dev eth0; ip link set eth0 up; ip route add default via ${net}.1`);
    }
  });
  after(() => {
    for (const n of all) spawnSync('ip', ['netns', 'del', n]);
  });

  it('pods on different subnets reach each other only through the tunnel', async () => {
    assert.equal(ping(A, '198.18.1.2'), true, 'the underlay works');
    assert.equal(ping(PA, '10.244.1.2'), false, 'no pod route yet');
    const ifA = await ensureTunnel({ netns: A }, { family: 4, local: '198.18.0.1', underlayMtu: 1500 });
    const ifB = await ensureTunnel({ netns: B }, { family: 4, local: '198.18.1.2', underlayMtu: 1500 });
    assert.deepEqual(await syncTunnelPeers({ netns: A }, 4, ['198.18.1.2']), { added: ['198.18.1.2'], removed: [] });
    assert.deepEqual(await syncTunnelPeers({ netns: B }, 4, ['198.18.0.1']), { added: ['198.18.0.1'], removed: [] });
    assert.deepEqual(routes(A, [{ dst: '10.244.1.0/24', table: 254, protocol: 87, nexthops: [{ gateway: '198.18.1.2', ifindex: ifA, onlink: true }] }]).failed, []);
    assert.deepEqual(routes(B, [{ dst: '10.244.0.0/24', table: 254, protocol: 87, nexthops: [{ gateway: '198.18.0.1', ifindex: ifB, onlink: true }] }]).failed, []);
    assert.equal(ping(PA, '10.244.1.2'), true, 'pod A reaches pod B through the tunnel');
    assert.equal(ping(PB, '10.244.0.2'), true, 'and back');
    const link = JSON.parse(sh(A, `ip -j -d link show ${tunnelName(4)}`))[0] as { address: string; mtu: number; linkinfo: { info_data: { id: number; port: number } } };
    assert.equal(link.address, vtepMac('198.18.0.1'));
    assert.equal(link.mtu, 1450);
    assert.deepEqual([link.linkinfo.info_data.id, link.linkinfo.info_data.port], [4242, 4789]);
  });

  it('a second sync changes nothing; a broken device is repaired', async () => {
    const ifA = await ensureTunnel({ netns: A }, { family: 4, local: '198.18.0.1', underlayMtu: 1500 });
    assert.deepEqual(await syncTunnelPeers({ netns: A }, 4, ['198.18.1.2']), { added: [], removed: [] });
    sh(A, `ip link set ${tunnelName(4)} mtu 1300`);
    const again = await ensureTunnel({ netns: A }, { family: 4, local: '198.18.0.1', underlayMtu: 1500 });
    assert.equal(again, ifA, 'repaired in place, not recreated');
    assert.match(sh(A, `ip link show ${tunnelName(4)}`), /mtu 1450/);
  });

  it('removing a peer removes exactly its entries, and cleanup removes the device', async () => {
    sh(A, `ip neigh replace 198.18.9.9 lladdr ${vtepMac('198.18.9.9')} dev ${tunnelName(4)} nud permanent`);
    const r = await syncTunnelPeers({ netns: A }, 4, ['198.18.1.2']);
    assert.deepEqual(r, { added: [], removed: ['198.18.9.9'] });
    assert.deepEqual(await syncTunnelPeers({ netns: A }, 4, []), { added: [], removed: ['198.18.1.2'] });
    assert.equal(ping(PA, '10.244.1.2'), false, 'no FDB entry, no tunnel traffic');
    assert.deepEqual(await removeTunnels({ netns: A }), [tunnelName(4)]);
    assert.match(sh(A, 'ip -o link show'), /kube-bridge/);
    assert.doesNotMatch(sh(A, 'ip -o link show'), /podnet\.vx4/);
    assert.deepEqual(await removeTunnels({ netns: A }), []);
  });
});
