// Pod egress masquerade in namespaces (routes/egress.ts through nft): a pod
// behind a node talks to an outside host, to another node's address and to a
// pod CIDR of another node. The outside host sees the node's address (IPv4 and
// IPv6); the node address and the pod CIDR see the pod's own address. The
// table is replaced whole by a second load and removed by the delete-only
// ruleset, leaving the node's other nftables tables alone.
import assert from 'node:assert/strict';
import { egressRuleset, EGRESS_TABLE } from '../../routes/egress.ts';
import { nftApply, nftListTable } from '../../src/kernel/nft.ts';
import { Lab, type Netns, type NsProcess } from '../helpers/netns.ts';

const server = `
const net = require('net');
for (const host of process.argv.slice(1)) net.createServer((s) => s.end(s.remoteAddress.replace(/^::ffff:/, '') + '\\n')).listen(7000, host);
`;

describe('routes/egress: pod egress masquerade (nftables, namespaces)', function () {
  this.timeout(60_000);
  let lab: Lab | undefined;
  let pod: Netns;
  let node: Netns;
  let ext: Netns;
  let srv: NsProcess | undefined;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    lab = await Lab.create();
    pod = await lab.addNamespace('pod');
    node = await lab.addNamespace('node', { forwarding: true });
    ext = await lab.addNamespace('ext');
    await lab.veth({ ns: pod, ifname: 'eth0', addresses: ['10.244.90.2/24', 'fd00:90::2/64'] }, { ns: node, ifname: 'pod0', addresses: ['10.244.90.1/24', 'fd00:90::1/64'] });
    await lab.veth({ ns: node, ifname: 'eth0', addresses: ['198.18.92.1/24', 'fd00:92::1/64'] }, { ns: ext, ifname: 'eth0', addresses: ['198.18.92.2/24', 'fd00:92::2/64'] });
    await pod.ip(['route', 'add', 'default', 'via', '10.244.90.1']);
    await pod.ip(['-6', 'route', 'add', 'default', 'via', 'fd00:90::1']);
    // ext also plays another node (198.18.92.3) and another node's pod (10.244.91.5): those have routes back
    await ext.ip(['addr', 'add', '198.18.92.3/32', 'dev', 'lo']);
    await ext.ip(['addr', 'add', '10.244.91.5/32', 'dev', 'lo']);
    await ext.ip(['route', 'add', '10.244.90.0/24', 'via', '198.18.92.1']);
    await node.ip(['route', 'add', '10.244.91.0/24', 'via', '198.18.92.2']);
    srv = ext.spawn('srv', process.execPath, ['-e', server, '198.18.92.2', 'fd00:92::2', '198.18.92.3', '10.244.91.5']);
    await new Promise((r) => setTimeout(r, 500));
  });

  after(async function () {
    await srv?.stop().catch(() => undefined);
    await lab?.teardown();
  });

  const seen = async (dst: string): Promise<string> => {
    const host = dst.includes(':') ? `[${dst}]` : dst;
    const r = await pod.exec('bash', ['-c', `exec 3<>/dev/tcp/${host.replace(/[[\]]/g, '')}/7000; cat <&3`], { timeoutMs: 5_000, allowFail: true });
    return r.stdout.trim();
  };

  it('masquerades only traffic leaving the pod and node networks', async function () {
    // without the table the outside host sees the pod (and could not answer: no route back)
    assert.equal(await seen('198.18.92.3'), '10.244.90.2');
    await node.exec('nft', ['add', 'table', 'inet', 'someone_else']);
    const input = { ownPodCidrs: ['10.244.90.0/24', 'fd00:90::/64'], allPodCidrs: ['10.244.90.0/24', '10.244.91.0/24', 'fd00:90::/64'], nodeIps: ['198.18.92.1', '198.18.92.3', 'fd00:92::1'] };
    await nftApply(egressRuleset(input), { netns: node.name });
    assert.equal(await seen('198.18.92.2'), '198.18.92.1', 'outside host: the node address');
    assert.equal(await seen('fd00:92::2'), 'fd00:92::1', 'IPv6 outside host: the node address');
    assert.equal(await seen('198.18.92.3'), '10.244.90.2', 'another node: the pod keeps its address');
    assert.equal(await seen('10.244.91.5'), '10.244.90.2', 'another pod CIDR: the pod keeps its address');

    // a second load replaces the table whole (no duplicate rules); the delete-only ruleset removes it
    await nftApply(egressRuleset(input), { netns: node.name });
    const t = await nftListTable('inet', EGRESS_TABLE, { netns: node.name });
    assert.equal((t?.match(/masquerade/g) ?? []).length, 2, 'one rule per family');
    await nftApply(egressRuleset({ ...input, ownPodCidrs: [] }), { netns: node.name });
    assert.equal(await nftListTable('inet', EGRESS_TABLE, { netns: node.name }), null);
    assert.notEqual(await nftListTable('inet', 'someone_else', { netns: node.name }), null, 'a table not ours stays');
  });
});
