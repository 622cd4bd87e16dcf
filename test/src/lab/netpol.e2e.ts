// e2e: the upstream Kubernetes NetworkPolicy e2e model (kubernetes
// test/e2e/network/netpol: namespaces x, y, z; pods a, b, c in each; servers
// on 80 and 81 over TCP and UDP) in a dual-stack 2-node lab with a BIRD ToR
// (some cases are checked over IPv6 as well: both families' chains), with
// podnetd's firewall controller enforcing. Each case writes policies (and
// label changes) through the API server and checks the full 9x9 reachability
// matrix of the ports it concerns against a truth table built independently
// (test/helpers/netpol/truth.ts): the logic of upstream's cases, ported, not
// their code. Every case then removes what it wrote and waits for the matrix
// to be all-allowed again. On failure the expected and observed matrices are
// printed like upstream's.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultOptions, labDown, labUp, listLabs, listNamespaces, loadState, procAlive, sweepPrefix, waitFor } from '../../../src/lab/index.ts';
import { LabApi } from '../../helpers/netpol/api.ts';
import type { Meta, Obj } from '../../helpers/netpol/api.ts';
import { Prober } from '../../helpers/netpol/probe.ts';
import type { Expectation, ProbePod, Target } from '../../helpers/netpol/probe.ts';
import { Truth } from '../../helpers/netpol/truth.ts';
import type { ModelPod } from '../../helpers/netpol/truth.ts';

const stateRoot = join(tmpdir(), 'podnet-lab-e2e');
const NAMESPACES = ['x', 'y', 'z'] as const;
const PODS = ['a', 'b', 'c'] as const;
const TCP80: Target = { port: 80, proto: 'TCP' };
const TCP81: Target = { port: 81, proto: 'TCP' };
const UDP80: Target = { port: 80, proto: 'UDP' };
const UDP81: Target = { port: 81, proto: 'UDP' };
const ALL_TARGETS = [TCP80, TCP81, UDP80, UDP81];

/** Upstream's model pod: one container per port and protocol, ports named serve-<port>-<proto>. */
function modelPod(ns: string, pod: string, node: string): Obj & { metadata: Meta } {
  const containers = [80, 81].flatMap((port) =>
    (['TCP', 'UDP'] as const).map((protocol) => ({ name: `cont-${port}-${protocol.toLowerCase()}`, image: 'agnhost', ports: [{ containerPort: port, name: `serve-${port}-${protocol.toLowerCase()}`, protocol }] })),
  );
  return { metadata: { name: pod, namespace: ns, labels: { pod } }, spec: { nodeName: node, containers } };
}

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

describe('NetworkPolicy: the upstream e2e model in the lab (e2e)', function () {
  this.timeout(120_000);
  const name = `e${randomBytes(2).toString('hex')}`;
  let api: LabApi;
  let prober: Prober | undefined;
  /** The same pods probed on their IPv6 addresses (the lab is dual-stack). */
  let prober6: Prober | undefined;
  let pods: ProbePod[] = [];
  let pods6: ProbePod[] = [];
  const policies: [string, string][] = [];
  const undo: (() => Promise<unknown>)[] = [];
  let targets: Target[] = [];
  let targets6: Target[] = [];

  const model: ModelPod[] = NAMESPACES.flatMap((ns) => PODS.map((pod) => ({ ns, name: pod })));
  const allow = (): Truth => new Truth(model, true);
  const ip = (ns: string, pod: string): string => pods.find((p) => p.ns === ns && p.name === pod)?.ip ?? '';
  const ip6 = (ns: string, pod: string): string => pods6.find((p) => p.ns === ns && p.name === pod)?.ip ?? '';
  const probe = (): Prober => {
    if (prober === undefined) throw new Error('no prober');
    return prober;
  };
  const probe6 = (): Prober => {
    if (prober6 === undefined) throw new Error('no IPv6 prober');
    return prober6;
  };

  async function policy(ns: string, pname: string, spec: Obj): Promise<void> {
    await api.create('NetworkPolicy', { metadata: { name: pname, namespace: ns }, spec });
    policies.push([ns, pname]);
  }
  /** Sets labels (merge patch) and remembers how to take them off again. */
  async function label(kind: 'Pod' | 'Namespace', ns: string | undefined, objName: string, labels: Record<string, string>): Promise<void> {
    await api.patch(kind, ns, objName, { metadata: { labels } });
    undo.push(() => api.patch(kind, ns, objName, { metadata: { labels: Object.fromEntries(Object.keys(labels).map((k) => [k, null])) } }));
  }
  /** Checks the matrices over IPv4 and, with `v6`, the same truths over IPv6 (both families' chains). */
  async function expect(what: string, expected: readonly Expectation[], opts: { v6?: boolean } = {}): Promise<void> {
    for (const e of expected) if (!targets.some((t) => t.port === e.port && t.proto === e.proto)) targets.push(e);
    if (opts.v6 === true) for (const e of expected) if (!targets6.some((t) => t.port === e.port && t.proto === e.proto)) targets6.push(e);
    await Promise.all([probe().expectMatrix(`${what} (IPv4)`, expected, 30_000), ...(opts.v6 === true ? [probe6().expectMatrix(`${what} (IPv6)`, expected, 30_000)] : [])]);
  }

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    this.timeout(180_000);
    await sweepEarlierRuns();
    const st = await labUp({ ...defaultOptions, name, nodes: 2, tor: 'bird', ipv6: true, podsPerNode: 0, stateRoot });
    api = new LabApi(st.apiServer?.url ?? '');
    for (const ns of NAMESPACES) await api.create('Namespace', { metadata: { name: ns, labels: { ns } } });
    let k = 0;
    for (const ns of NAMESPACES) for (const pod of PODS) await api.create('Pod', modelPod(ns, pod, `node${(k++ % 2) + 1}`));
    pods = await waitFor('the 9 model pods Running with an IP and their port server', () => {
      const recs = loadState(join(stateRoot, name))?.pods ?? [];
      const found = model.map((m) => recs.find((r) => r.namespace === m.ns && r.name === m.name));
      if (found.some((r) => r === undefined || r.ips.length < 2 || r.server === undefined)) return undefined;
      return found.map((r) => ({ ns: r?.namespace ?? '', name: r?.name ?? '', netns: r?.netns ?? '', ip: r?.ips.find((a) => !a.includes(':')) ?? '' }));
    }, { timeoutMs: 60_000, intervalMs: 200 });
    const recs = loadState(join(stateRoot, name))?.pods ?? [];
    pods6 = pods.map((p) => ({ ...p, ip: recs.find((r) => r.namespace === p.ns && r.name === p.name)?.ips.find((a) => a.includes(':')) ?? '' }));
    for (const ns of NAMESPACES) {
      const o = (await api.get('Namespace', undefined, ns)) as { metadata: { labels: Record<string, string> } };
      assert.equal(o.metadata.labels['kubernetes.io/metadata.name'], ns, 'the API server sets kubernetes.io/metadata.name');
    }
    prober = new Prober(pods, { timeoutMs: 1_000 });
    prober6 = new Prober(pods6, { timeoutMs: 1_000 });
    // Cross-node cells need the routes podnetd learns over BGP: the first matrices wait for them.
    await prober.expectMatrix('no policy: everything reaches everything (IPv4)', ALL_TARGETS.map((t) => ({ ...t, truth: allow() })), 60_000);
    await prober6.expectMatrix('no policy: everything reaches everything (IPv6)', [TCP80, UDP80].map((t) => ({ ...t, truth: allow() })), 60_000);
  });

  afterEach(async function () {
    if (prober === undefined) return;
    this.timeout(60_000);
    for (const [ns, p] of policies.splice(0)) await api.delete('NetworkPolicy', ns, p);
    for (const u of undo.splice(0).toReversed()) await u();
    const back = targets.splice(0);
    const back6 = targets6.splice(0);
    await probe().expectMatrix('policies removed: back to all allowed (IPv4)', (back.length > 0 ? back : [TCP80]).map((t) => ({ ...t, truth: allow() })), 30_000);
    if (back6.length > 0) await probe6().expectMatrix('policies removed: back to all allowed (IPv6)', back6.map((t) => ({ ...t, truth: allow() })), 30_000);
  });

  after(async function () {
    this.timeout(60_000);
    prober?.stop();
    prober6?.stop();
    await labDown(stateRoot, name).catch(() => undefined);
    await sweepPrefix(`pl-${name}-`);
  });

  it('the model: 9 pods over both nodes, each answering its name on 80 and 81 over TCP and UDP', function () {
    const nodes = new Set(loadState(join(stateRoot, name))?.pods.map((p) => p.node));
    assert.deepEqual([...nodes].sort(), ['node1', 'node2']);
    assert.equal(pods.length, 9);
    for (const p of pods) assert.match(p.ip, /^10\.244\.[12]\.\d+$/);
    for (const p of pods6) assert.match(p.ip, /^fd00:10:244:[12]::[0-9a-f]+$/);
  });

  it('default-deny-ingress in x: nothing reaches x, x reaches y and z', async function () {
    await policy('x', 'deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
    const truth = allow().expectAllIngress({ ns: 'x' }, false).allowLoopback();
    await expect('deny all ingress in x', [{ ...TCP80, truth }, { ...UDP80, truth }], { v6: true });
  });

  it('allow-all ingress beside default-deny in x: policies are a union, everything is allowed again', async function () {
    await policy('x', 'deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
    await expect('deny all ingress in x', [{ ...TCP80, truth: allow().expectAllIngress({ ns: 'x' }, false).allowLoopback() }]);
    await policy('x', 'allow-all', { podSelector: {}, ingress: [{}] });
    await expect('deny + allow-all in x', [{ ...TCP80, truth: allow() }, { ...TCP81, truth: allow() }]);
  });

  it('allow from the same namespace: only x reaches x', async function () {
    await policy('x', 'same-ns', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] });
    await expect('allow from x into x', [{ ...TCP80, truth: allow().expectAllIngress({ ns: 'x' }, false).expect({ ns: 'x' }, { ns: 'x' }, true) }]);
  });

  it('namespaceSelector AND podSelector in one peer: only y/b reaches x/a', async function () {
    await policy('x', 'and', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }] }] });
    const truth = allow().expectAllIngress({ ns: 'x', pod: 'a' }, false).expect({ ns: 'y', pod: 'b' }, { ns: 'x', pod: 'a' }, true).allowLoopback();
    await expect('ns=y AND pod=b into x/a', [{ ...TCP80, truth }]);
  });

  it('namespaceSelector OR podSelector as two peers: all of y and x/b reach x/a', async function () {
    await policy('x', 'or', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: { matchLabels: { pod: 'b' } } }] }] });
    const truth = allow().expectAllIngress({ ns: 'x', pod: 'a' }, false).expect({ ns: 'y' }, { ns: 'x', pod: 'a' }, true).expect({ ns: 'x', pod: 'b' }, { ns: 'x', pod: 'a' }, true).allowLoopback();
    await expect('ns=y OR pod=b into x/a', [{ ...TCP80, truth }]);
  });

  it('matchExpressions In / NotIn / Exists / DoesNotExist, and a peer pod losing the match by a new label', async function () {
    await policy('x', 'exprs', {
      podSelector: { matchExpressions: [{ key: 'pod', operator: 'NotIn', values: ['c'] }] },
      ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'In', values: ['y'] }] }, podSelector: { matchExpressions: [{ key: 'pod', operator: 'Exists' }, { key: 'role', operator: 'DoesNotExist' }] } }] }],
    });
    const base = (): Truth => allow().expectAllIngress({ ns: 'x', pod: 'a' }, false).expectAllIngress({ ns: 'x', pod: 'b' }, false).expect({ ns: 'y' }, { ns: 'x', pod: 'a' }, true).expect({ ns: 'y' }, { ns: 'x', pod: 'b' }, true).allowLoopback();
    await expect('x/a and x/b (pod NotIn c) from ns In y, pods with pod and without role', [{ ...TCP80, truth: base() }]);
    await label('Pod', 'y', 'b', { role: 'client' });
    await expect('y/b now has role: DoesNotExist excludes it', [{ ...TCP80, truth: base().expect({ ns: 'y', pod: 'b' }, { ns: 'x' }, false).expect({ ns: 'y', pod: 'b' }, { ns: 'x', pod: 'c' }, true) }]);
  });

  it('named port serve-81-tcp: 81/TCP open to all, 80/TCP and 81/UDP closed on x/a', async function () {
    await policy('x', 'named', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 'serve-81-tcp' }] }] });
    const closed = (): Truth => allow().expectAllIngress({ ns: 'x', pod: 'a' }, false).allowLoopback();
    await expect('x/a ingress on serve-81-tcp only', [{ ...TCP81, truth: allow() }, { ...TCP80, truth: closed() }, { ...UDP81, truth: closed() }], { v6: true });
  });

  it('port range 75-80 (endPort): 80 open, 81 just outside', async function () {
    await policy('x', 'range', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: 75, endPort: 80 }] }] });
    await expect('x ingress on TCP 75-80', [{ ...TCP80, truth: allow() }, { ...TCP81, truth: allow().expectAllIngress({ ns: 'x' }, false).allowLoopback() }]);
  });

  it('ingress on one port only (from anywhere): TCP 80 open; TCP 81 and UDP 80 closed (protocol defaults to TCP)', async function () {
    await policy('x', 'port80', { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] });
    const closed = (): Truth => allow().expectAllIngress({ ns: 'x' }, false).allowLoopback();
    await expect('x ingress on TCP 80', [{ ...TCP80, truth: allow() }, { ...TCP81, truth: closed() }, { ...UDP80, truth: closed() }]);
  });

  it('default-deny-egress in x: x reaches nothing, the rest reaches x', async function () {
    await policy('x', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
    const truth = allow().expectAllEgress({ ns: 'x' }, false).allowLoopback();
    await expect('deny all egress from x', [{ ...TCP80, truth }, { ...UDP80, truth }], { v6: true });
  });

  it('egress allowed to one namespace: x reaches y only', async function () {
    await policy('x', 'egress-y', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] });
    await expect('x egress to y', [{ ...TCP80, truth: allow().expectAllEgress({ ns: 'x' }, false).expect({ ns: 'x' }, { ns: 'y' }, true).allowLoopback() }], { v6: true });
  });

  it('ipBlock with except (pod IPs): x/a egress to 10.244.0.0/16 except y/b; y/c ingress from it except z/a', async function () {
    await policy('x', 'cidr-egress', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.244.0.0/16', except: [`${ip('y', 'b')}/32`] } }] }] });
    await policy('y', 'cidr-ingress', { podSelector: { matchLabels: { pod: 'c' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.244.0.0/16', except: [`${ip('z', 'a')}/32`] } }] }] });
    const truth = allow().expect({ ns: 'x', pod: 'a' }, { ns: 'y', pod: 'b' }, false).expect({ ns: 'z', pod: 'a' }, { ns: 'y', pod: 'c' }, false);
    await expect('ipBlock except', [{ ...TCP80, truth }]);
  });

  it('ipBlock with except over IPv6 (pod IPs): x/a egress to fd00:10:244::/48 except y/b; y/c ingress from it except z/a; IPv4 untouched by the v6 blocks', async function () {
    await policy('x', 'cidr6-egress', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: 'fd00:10:244::/48', except: [`${ip6('y', 'b')}/128`] } }] }] });
    await policy('y', 'cidr6-ingress', { podSelector: { matchLabels: { pod: 'c' } }, ingress: [{ from: [{ ipBlock: { cidr: 'fd00:10:244::/48', except: [`${ip6('z', 'a')}/128`] } }] }] });
    const v6 = allow().expect({ ns: 'x', pod: 'a' }, { ns: 'y', pod: 'b' }, false).expect({ ns: 'z', pod: 'a' }, { ns: 'y', pod: 'c' }, false);
    // over IPv4 the blocks match nothing: x/a has no IPv4 egress and y/c no IPv4 ingress (but loopback)
    const v4 = allow().expectAllEgress({ ns: 'x', pod: 'a' }, false).expectAllIngress({ ns: 'y', pod: 'c' }, false).allowLoopback();
    targets6.push(TCP80);
    targets.push(TCP80);
    await Promise.all([probe6().expectMatrix('ipBlock except (IPv6)', [{ ...TCP80, truth: v6 }], 30_000), probe().expectMatrix('IPv6 ipBlocks over IPv4', [{ ...TCP80, truth: v4 }], 30_000)]);
  });

  it('policy update: the peer selector changes from pod=b to pod=c and enforcement follows', async function () {
    await policy('x', 'upd', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] });
    const only = (p: string): Truth => allow().expectAllIngress({ ns: 'x', pod: 'a' }, false).expect({ ns: 'x', pod: p }, { ns: 'x', pod: 'a' }, true).allowLoopback();
    await expect('x/b into x/a', [{ ...TCP80, truth: only('b') }]);
    await api.patch('NetworkPolicy', 'x', 'upd', { spec: { ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'c' } } }] }] } });
    await expect('updated: x/c into x/a', [{ ...TCP80, truth: only('c') }]);
  });

  it('pod label updates: a pod becomes selected (isolated) and a peer becomes allowed, then both revert', async function () {
    await policy('x', 'isolate', { podSelector: { matchLabels: { isolated: 'yes' } }, policyTypes: ['Ingress'] });
    await policy('x', 'clients', { podSelector: { matchLabels: { pod: 'c' } }, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { client: 'yes' } } }] }] });
    const cClosed = (): Truth => allow().expectAllIngress({ ns: 'x', pod: 'c' }, false).allowLoopback();
    await expect('x/c closed, no pod isolated yet', [{ ...TCP80, truth: cClosed() }]);
    await api.patch('Pod', 'x', 'b', { metadata: { labels: { isolated: 'yes' } } });
    await api.patch('Pod', 'z', 'a', { metadata: { labels: { client: 'yes' } } });
    await expect('x/b isolated, z/a a client of x/c', [{ ...TCP80, truth: cClosed().expectAllIngress({ ns: 'x', pod: 'b' }, false).expect({ ns: 'z', pod: 'a' }, { ns: 'x', pod: 'c' }, true).allowLoopback() }]);
    await api.patch('Pod', 'x', 'b', { metadata: { labels: { isolated: null } } });
    await api.patch('Pod', 'z', 'a', { metadata: { labels: { client: null } } });
    await expect('labels removed', [{ ...TCP80, truth: cClosed() }]);
  });

  it('namespace label update: z gains team=blue and reaches x/a, then loses it', async function () {
    await policy('x', 'team', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'blue' } } }] }] });
    const closed = (): Truth => allow().expectAllIngress({ ns: 'x', pod: 'a' }, false).allowLoopback();
    await expect('no namespace is team=blue', [{ ...TCP80, truth: closed() }]);
    await label('Namespace', undefined, 'z', { team: 'blue' });
    await expect('z is team=blue', [{ ...TCP80, truth: closed().expect({ ns: 'z' }, { ns: 'x', pod: 'a' }, true) }], { v6: true });
    await api.patch('Namespace', undefined, 'z', { metadata: { labels: { team: null } } });
    await expect('z is no longer team=blue', [{ ...TCP80, truth: closed() }]);
  });

  it('multiple policies on one pod are a union: from y, and from x/b on 80 only', async function () {
    await policy('x', 'from-y', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] });
    await policy('x', 'from-b-80', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 80 }] }] });
    const fromY = (): Truth => allow().expectAllIngress({ ns: 'x', pod: 'a' }, false).expect({ ns: 'y' }, { ns: 'x', pod: 'a' }, true).allowLoopback();
    await expect('union', [{ ...TCP80, truth: fromY().expect({ ns: 'x', pod: 'b' }, { ns: 'x', pod: 'a' }, true) }, { ...TCP81, truth: fromY() }]);
  });

  it('a protocol without a port: TCP open on every port, UDP closed', async function () {
    await policy('x', 'tcp-any', { podSelector: {}, ingress: [{ ports: [{ protocol: 'TCP' }] }] });
    const closed = (): Truth => allow().expectAllIngress({ ns: 'x' }, false).allowLoopback();
    await expect('x ingress on any TCP port', [{ ...TCP80, truth: allow() }, { ...TCP81, truth: allow() }, { ...UDP80, truth: closed() }, { ...UDP81, truth: closed() }]);
  });

  it('UDP 81 only: UDP 81 open, TCP 81 and UDP 80 closed', async function () {
    await policy('x', 'udp81', { podSelector: {}, ingress: [{ ports: [{ protocol: 'UDP', port: 81 }] }] });
    const closed = (): Truth => allow().expectAllIngress({ ns: 'x' }, false).allowLoopback();
    await expect('x ingress on UDP 81', [{ ...UDP81, truth: allow() }, { ...TCP81, truth: closed() }, { ...UDP80, truth: closed() }]);
  });

  it("'protocol: SCTP' is not taken for TCP or UDP: SCTP 80 allowed, TCP 80 and UDP 80 closed", async function () {
    await policy('x', 'sctp80', { podSelector: {}, ingress: [{ ports: [{ protocol: 'SCTP', port: 80 }] }] });
    const closed = (): Truth => allow().expectAllIngress({ ns: 'x' }, false).allowLoopback();
    await expect('x ingress on SCTP 80 only', [{ ...TCP80, truth: closed() }, { ...UDP80, truth: closed() }]);
  });

  it('ingress and egress in one policy: x/a only from y, only to z', async function () {
    await policy('x', 'both', {
      podSelector: { matchLabels: { pod: 'a' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }],
      egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'z' } } }] }],
    });
    const truth = allow().expectAllIngress({ ns: 'x', pod: 'a' }, false).expect({ ns: 'y' }, { ns: 'x', pod: 'a' }, true).expectAllEgress({ ns: 'x', pod: 'a' }, false).expect({ ns: 'x', pod: 'a' }, { ns: 'z' }, true).allowLoopback();
    await expect('x/a from y, to z', [{ ...TCP80, truth }]);
  });

  it('egress on a named port (resolved per destination pod) to ns=y AND pod=b', async function () {
    await policy('x', 'egress-named', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 'serve-80-udp', protocol: 'UDP' }] }] });
    const closed = (): Truth => allow().expectAllEgress({ ns: 'x' }, false).allowLoopback();
    await expect('x egress to y/b on serve-80-udp', [{ ...UDP80, truth: closed().expect({ ns: 'x' }, { ns: 'y', pod: 'b' }, true) }, { ...TCP80, truth: closed() }, { ...UDP81, truth: closed() }]);
  });

  it('default-deny ingress and egress (policyTypes both) in x: x is cut off both ways', async function () {
    await policy('x', 'deny-both', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const truth = allow().expectAllIngress({ ns: 'x' }, false).expectAllEgress({ ns: 'x' }, false).allowLoopback();
    await expect('deny all in x both ways', [{ ...TCP80, truth }, { ...UDP81, truth }], { v6: true });
  });
});
