// e2e: `podnet lab` end to end, as root: a 2-node lab with a BIRD ToR comes
// up; pods created with kubectl are bound, wired by the CNI bridge plugin and
// reported Running with an IP of their node's podCIDR; a pod's declared TCP
// and UDP ports answer with its name from another pod on the same node; pods
// on different nodes reach each other once podnetd's routes controller has
// programmed what it learned over BGP; a deleted pod loses its namespace and
// IPAM lease; `lab status -j` has its shape; `lab down` leaves no namespace,
// process or file, also after the supervisor was killed with SIGKILL, and
// stops a running lab with an FRR ToR.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { defaultOptions, labDown, labUp, listLabs, listNamespaces, loadState, procAlive, run, runIn, sweepPrefix, waitFor } from '../../../src/lab/index.ts';
import type { LabState, LabStatus, ProcRecord } from '../../../src/lab/index.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const stateRoot = join(tmpdir(), 'podnet-lab-e2e');
const podnet = join(root, 'src', 'bin', 'podnet.ts');

function lab(args: readonly string[], opts: { allowFail?: boolean; timeoutMs?: number } = {}): ReturnType<typeof run> {
  return run(process.execPath, [podnet, 'lab', '--state-dir', stateRoot, ...args], { timeoutMs: opts.timeoutMs ?? 120_000, ...(opts.allowFail === true ? { allowFail: true } : {}) });
}

/** Leftovers of earlier runs: labs in the test state root whose supervisor is dead, and `pl-e<hex>-` namespaces without a lab. */
async function sweepEarlierRuns(): Promise<void> {
  for (const name of listLabs(stateRoot)) {
    const st = loadState(join(stateRoot, name));
    if (st?.supervisor === undefined || !procAlive(st.supervisor)) await labDown(stateRoot, name);
  }
  const live = new Set(listLabs(stateRoot));
  for (const ns of await listNamespaces()) {
    const m = /^pl-(e[0-9a-f]{4})-/.exec(ns);
    if (m?.[1] !== undefined && !live.has(m[1])) await sweepPrefix(`pl-${m[1]}-`);
  }
}

function allProcs(st: LabState): ProcRecord[] {
  return [...(st.supervisor !== undefined ? [st.supervisor] : []), ...st.procs, ...st.pods.flatMap((p) => (p.server !== undefined ? [p.server] : []))];
}

async function assertGone(name: string, procs: readonly ProcRecord[]): Promise<void> {
  const left = (await listNamespaces()).filter((n) => n.startsWith(`pl-${name}-`));
  assert.deepEqual(left, [], 'no namespace of the lab is left');
  for (const p of procs) assert.equal(procAlive(p), false, `${p.name} (pid ${p.pid}) is stopped`);
  assert.equal(existsSync(join(stateRoot, name)), false, 'the state directory is removed');
}

describe('podnet lab (e2e)', function () {
  const name = `e${randomBytes(2).toString('hex')}`;
  const dir = join(stateRoot, name);
  let kubeconfig = '';
  const kubectl = (args: readonly string[], input?: string): ReturnType<typeof run> =>
    run('kubectl', [...args], { env: { ...process.env, KUBECONFIG: kubeconfig }, ...(input !== undefined ? { input } : {}) });
  const podJson = async (pod: string): Promise<{ spec: { nodeName?: string }; status: { phase?: string; podIP?: string; podIPs?: { ip: string }[] } }> =>
    JSON.parse((await kubectl(['get', 'pod', pod, '-o', 'json'])).stdout) as never;
  const podRecord = (pod: string) => loadState(dir)?.pods.find((p) => p.name === pod);

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    await sweepEarlierRuns();
    const up = await lab(['up', '--name', name, '--nodes', '2', '--tor', 'bird', '--pods', '1', '--no-check']);
    assert.match(up.stdout, /lab e[0-9a-f]{4}: ready/);
    kubeconfig = loadState(dir)?.apiServer?.kubeconfig ?? '';
    assert.ok(existsSync(kubeconfig));
  });

  after(async function () {
    await labDown(stateRoot, name).catch(() => undefined);
    await sweepPrefix(`pl-${name}-`);
  });

  it('builds the ToR, the nodes and one pod per node, with BIRD peered with every node', async function () {
    const ns = await listNamespaces();
    for (const n of ['tor', 'node1', 'node2']) assert.ok(ns.includes(`pl-${name}-${n}`), `namespace ${n}`);
    const st = loadState(dir);
    assert.equal(st?.phase, 'ready');
    assert.equal(st?.pods.length, 2);
    // node1's underlay address reaches the ToR's bridge
    await runIn(`pl-${name}-node1`, 'ping', ['-c', '1', '-W', '2', '198.18.1.1']);
    const protos = await run('birdc', ['-s', st?.tor.controlSocket ?? '', 'show', 'protocols']);
    assert.match(protos.stdout, /node1\s+BGP/);
    assert.match(protos.stdout, /node2\s+BGP/);
    const nodes = JSON.parse((await kubectl(['get', 'nodes', '-o', 'json'])).stdout) as { items: { metadata: { name: string }; spec: { podCIDRs: string[] } }[] };
    assert.deepEqual(nodes.items.map((n) => [n.metadata.name, n.spec.podCIDRs]), [['node1', ['10.244.1.0/24']], ['node2', ['10.244.2.0/24']]]);
  });

  it('runs pods created with kubectl: bound, wired by CNI, Running with an IP of their node', async function () {
    const pods = ['echo', 'sched'].map((p) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: p, labels: { app: p } },
      spec: { ...(p === 'echo' ? { nodeName: 'node1' } : {}), containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 7000 }, { containerPort: 7001, protocol: 'UDP' }] }] },
    }));
    for (const p of pods) await kubectl(['apply', '-f', '-'], JSON.stringify(p));
    for (const p of ['echo', 'sched']) {
      const o = await waitFor(`${p} Running`, async () => {
        const j = await podJson(p);
        return j.status.phase === 'Running' ? j : undefined;
      }, { timeoutMs: 20_000, intervalMs: 100 });
      const node = o.spec.nodeName ?? '';
      assert.match(node, /^node[12]$/, `${p} is bound to a lab node`);
      const ip = o.status.podIP ?? '';
      assert.match(ip, new RegExp(`^10\\.244\\.${node.slice(4)}\\.\\d+$`), `${p}'s IP is from ${node}'s podCIDR`);
      assert.deepEqual(o.status.podIPs, [{ ip }]);
      // the kernel agrees: the pod namespace's eth0 holds that address
      const rec = podRecord(p);
      assert.ok(rec !== undefined);
      const addr = await run('ip', ['-n', rec.netns, '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
      assert.ok(addr.stdout.includes(`${ip}/24`), addr.stdout);
    }
    // the scheduler balances: node2 had one pod fewer than node1 once echo was bound there
    assert.equal((await podJson('sched')).spec.nodeName, 'node2');
  });

  it("answers on a pod's declared TCP and UDP ports with its name, from another pod on the same node", async function () {
    const echo = podRecord('echo');
    const client = loadState(dir)?.pods.find((p) => p.node === 'node1' && p.name !== 'echo');
    assert.ok(echo !== undefined && client !== undefined);
    const ip = echo.ips[0] ?? '';
    const tcp = await runIn(client.netns, 'bash', ['-c', `exec 3<>/dev/tcp/${ip}/7000; cat <&3`], { timeoutMs: 5_000 });
    assert.equal(tcp.stdout, 'echo\n');
    const udpScript = `const s=require('dgram').createSocket('udp4');s.on('message',m=>{process.stdout.write(m);s.close()});s.send('hi',7001,${JSON.stringify(ip)});setTimeout(()=>process.exit(1),3000).unref()`;
    const udp = await runIn(client.netns, process.execPath, ['-e', udpScript], { timeoutMs: 5_000 });
    assert.equal(udp.stdout, 'echo\n');
    // and `lab check` sees the same-node pairs both ways
    const check = JSON.parse((await lab(['check', '--name', name, '-j'], { allowFail: true })).stdout) as { from: string; to: string; ping: boolean; tcp: boolean | null }[];
    const pair = check.filter((r) => (r.from === 'echo' && r.to === client.name) || (r.from === client.name && r.to === 'echo'));
    assert.equal(pair.length, 2);
    for (const r of pair) assert.ok(r.ping && r.tcp === true, JSON.stringify(r));
  });

  it('carries pod traffic across nodes over the routes podnetd learned over BGP (ToR sessions Established)', async function () {
    const st = loadState(dir);
    const a = st?.pods.find((p) => p.name === 'web-node1-1');
    const b = st?.pods.find((p) => p.name === 'web-node2-1');
    assert.ok(a !== undefined && b !== undefined);
    await waitFor('ToR sessions Established', async () => {
      const s = JSON.parse((await lab(['status', '--name', name, '-j'])).stdout) as LabStatus;
      return s.tor.sessions.length === 2 && s.tor.sessions.every((x) => x.info === 'Established');
    }, { timeoutMs: 20_000, intervalMs: 250 });
    // node1 holds a route to node2's podCIDR, and packets follow it both ways
    await waitFor('node1 route to 10.244.2.0/24', async () => (await run('ip', ['-n', `pl-${name}-node1`, 'route', 'show', '10.244.2.0/24'])).stdout.includes('198.18.1.3'), { timeoutMs: 20_000 });
    await waitFor('cross-node ping', async () => (await runIn(a.netns, 'ping', ['-c', '1', '-W', '1', b.ips[0] ?? ''], { allowFail: true })).code === 0, { timeoutMs: 10_000 });
    const tcp = await runIn(b.netns, 'bash', ['-c', `exec 3<>/dev/tcp/${a.ips[0] ?? ''}/80; cat <&3`], { timeoutMs: 5_000 });
    assert.equal(tcp.stdout, 'web-node1-1\n');
  });

  it('reports a pod it cannot start as Pending (NetworkSetupFailed) and undoes its wiring', async function () {
    const leases = join(dir, 'nodes', 'node1', 'ipam', 'podnet');
    const before = readdirSync(leases).sort();
    // two containers declaring the same TCP port: the port server cannot bind the second
    const bad = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'clash' }, spec: { nodeName: 'node1', containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 7100 }] }, { name: 'b', image: 'x', ports: [{ containerPort: 7100 }] }] } };
    await kubectl(['apply', '-f', '-'], JSON.stringify(bad));
    try {
      const st = await waitFor('clash NetworkSetupFailed', async () => {
        const j = JSON.parse((await kubectl(['get', 'pod', 'clash', '-o', 'json'])).stdout) as { status: { phase?: string; reason?: string; message?: string } };
        return j.status.reason === 'NetworkSetupFailed' ? j.status : undefined;
      }, { timeoutMs: 15_000 });
      assert.equal(st.phase, 'Pending');
      assert.match(st.message ?? '', /port server exited.*EADDRINUSE/);
      assert.equal(podRecord('clash'), undefined);
    } finally {
      await kubectl(['delete', 'pod', 'clash']);
    }
    // A deleted pod the kubelet never ran gets no teardown: only the undo after
    // each failed attempt can have removed its namespace and lease.
    await waitFor('clash leaves nothing behind', async () => {
      const ns = (await listNamespaces()).some((n) => n.startsWith(`pl-${name}-p-clash-`));
      return !ns && JSON.stringify(readdirSync(leases).sort()) === JSON.stringify(before);
    }, { timeoutMs: 10_000 });
  });

  it('prints `lab status -j` with nodes, podnetd, ToR sessions and pods', async function () {
    const s = JSON.parse((await lab(['status', '--name', name, '-j'])).stdout) as LabStatus;
    assert.equal(s.phase, 'ready');
    assert.equal(s.supervisor?.alive, true);
    assert.equal(s.apiServer?.reachable, true);
    assert.deepEqual(s.nodes.map((n) => [n.name, n.ipv4, n.podCidrs]), [['node1', '198.18.1.2', ['10.244.1.0/24']], ['node2', '198.18.1.3', ['10.244.2.0/24']]]);
    for (const n of s.nodes) assert.equal(n.agent.alive, true, `podnetd on ${n.name} runs`);
    assert.equal(s.tor.kind, 'bird');
    assert.deepEqual(s.tor.sessions.map((x) => [x.name, x.neighbor]), [['node1', '198.18.1.2'], ['node2', '198.18.1.3']]);
    for (const x of s.tor.sessions) assert.ok(x.state.length > 0);
    // routes to the other node's podCIDR, in each node and in the ToR (learned over BGP)
    assert.deepEqual(s.nodes.map((n) => n.routes.map((r) => r.dst)), [['10.244.2.0/24'], ['10.244.1.0/24']]);
    assert.deepEqual(s.tor.routes.map((r) => [r.dst, r.via]), [['10.244.1.0/24', '198.18.1.2'], ['10.244.2.0/24', '198.18.1.3']]);
    assert.deepEqual(s.pods.map((p) => p.name).sort(), ['echo', 'sched', 'web-node1-1', 'web-node2-1']);
    assert.deepEqual(s.pods.find((p) => p.name === 'echo')?.ports, ['7000/TCP', '7001/UDP']);
  });

  it('removes a deleted pod: CNI DEL frees its lease and veth, its namespace goes', async function () {
    const echo = podRecord('echo');
    assert.ok(echo !== undefined);
    const leases = join(dir, 'nodes', 'node1', 'ipam', 'podnet');
    const ip = echo.ips[0] ?? '';
    assert.ok(readdirSync(leases).includes(ip));
    const vethsBefore = (await run('ip', ['-n', `pl-${name}-node1`, '-o', 'link', 'show', 'master', 'kube-bridge'])).stdout.trim().split('\n').length;
    await kubectl(['delete', 'pod', 'echo']);
    await waitFor('echo namespace removed', async () => !(await listNamespaces()).includes(echo.netns), { timeoutMs: 15_000 });
    assert.equal(readdirSync(leases).includes(ip), false, 'IPAM lease released');
    const vethsAfter = (await run('ip', ['-n', `pl-${name}-node1`, '-o', 'link', 'show', 'master', 'kube-bridge'])).stdout.trim().split('\n').length;
    assert.equal(vethsAfter, vethsBefore - 1);
    assert.equal(echo.server !== undefined && procAlive(echo.server), false, 'its port server stopped');
    assert.equal(podRecord('echo'), undefined);
  });

  it('`lab down` after a SIGKILLed supervisor leaves no namespace, process or file', async function () {
    const st = loadState(dir);
    assert.ok(st?.supervisor !== undefined);
    const procs = allProcs(st);
    assert.ok(procs.length >= 7, 'supervisor, 2 forwarders, bird, 2 podnetd, pod servers');
    process.kill(st.supervisor.pid, 'SIGKILL');
    await waitFor('supervisor dead', () => st.supervisor !== undefined && !procAlive(st.supervisor));
    const crashed = await lab(['status', '--name', name, '-j'], { allowFail: true });
    assert.equal(crashed.code, 1);
    assert.equal((JSON.parse(crashed.stdout) as LabStatus).phase, 'crashed');
    const down = await lab(['down', '--name', name]);
    assert.match(down.stdout, /deleted \d+ namespaces/);
    await assertGone(name, procs);
  });

  it('labUp() with an FRR ToR and two subnets, then `lab down` of the running lab stops it cleanly', async function () {
    const small = `e${randomBytes(2).toString('hex')}`;
    try {
      const up = await labUp({ ...defaultOptions, name: small, nodes: 2, subnets: 2, tor: 'frr', podsPerNode: 1, stateRoot });
      assert.equal(up.phase, 'ready');
      const st = loadState(join(stateRoot, small));
      assert.equal(st?.phase, 'ready');
      const s = JSON.parse((await lab(['status', '--name', small, '-j'])).stdout) as LabStatus;
      assert.equal(s.tor.kind, 'frr');
      assert.deepEqual(s.tor.sessions.map((x) => [x.name, x.neighbor]), [['node1', '198.18.1.2'], ['node2', '198.18.2.3']]);
      // the subnets meet only in the ToR: node1 reaches node2's underlay address through it
      const via = await runIn(`pl-${small}-node1`, 'ip', ['route', 'get', '198.18.2.3']);
      assert.match(via.stdout, /via 198\.18\.1\.1 dev eth0/);
      await runIn(`pl-${small}-node1`, 'ping', ['-c', '1', '-W', '2', '198.18.2.3']);
      const procs = allProcs(st);
      assert.deepEqual(procs.map((p) => p.name).filter((n) => n.startsWith('tor:')), ['tor:zebra', 'tor:bgpd']);
      await lab(['down', '--name', small]);
      await assertGone(small, procs);
    } finally {
      await labDown(stateRoot, small).catch(() => undefined);
    }
  });
});
