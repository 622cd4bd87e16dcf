// Acceptance: the real kubectl (v1.32) drives the embedded API server for each
// kind it serves: create -f, get (server-side Table columns), apply -f (create,
// then a changed manifest -> configured, through kubectl's strategic merge
// patch), label, annotate, get -w (streamed ADDED/MODIFIED rows) and delete.
import assert from 'node:assert/strict';
import { startApiServer, type ApiServer } from '../../../../src/lab/apiserver/index.ts';
import { Kubectl } from './kubectl-harness.ts';

interface Case {
  readonly kind: string;
  readonly resource: string;
  readonly namespaced: boolean;
  readonly name: string;
  /** Table header words kubectl must print for this kind (from the server's Table). */
  readonly header: readonly string[];
  readonly manifest: (name: string, rev: 1 | 2) => string;
  /** A jsonpath whose value differs between rev 1 and rev 2. */
  readonly path: string;
  readonly values: readonly [string, string];
}

const cases: readonly Case[] = [
  {
    kind: 'Node', resource: 'nodes', namespaced: false, name: 'node-a',
    header: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
    manifest: (n, rev) => `apiVersion: v1
kind: Node
metadata: {name: ${n}, labels: {rev: "${rev}"}}
spec:
  podCIDR: 10.244.1.0/24
  podCIDRs: [10.244.1.0/24]
${rev === 2 ? '  taints: [{key: dedicated, value: bgp, effect: NoSchedule}]' : ''}
`,
    path: '{.spec.taints[*].key}', values: ['', 'dedicated'],
  },
  {
    kind: 'Pod', resource: 'pods', namespaced: true, name: 'web',
    header: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    manifest: (n, rev) => `apiVersion: v1
kind: Pod
metadata: {name: ${n}, labels: {app: web}}
spec:
  containers:
  - name: web
    image: registry.local/web:${rev}
    ports: [{containerPort: 8080, name: http}]
`,
    path: '{.spec.containers[*].image}', values: ['registry.local/web:1', 'registry.local/web:2'],
  },
  {
    kind: 'Namespace', resource: 'namespaces', namespaced: false, name: 'team-a',
    header: ['NAME', 'STATUS', 'AGE'],
    manifest: (n, rev) => `apiVersion: v1
kind: Namespace
metadata: {name: ${n}, labels: {team: t${rev}}}
`,
    path: '{.metadata.labels.team}', values: ['t1', 't2'],
  },
  {
    kind: 'Service', resource: 'services', namespaced: true, name: 'web',
    header: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    manifest: (n, rev) => `apiVersion: v1
kind: Service
metadata: {name: ${n}}
spec:
  selector: {app: web}
  ports: [{name: http, port: ${rev === 1 ? 80 : 81}, targetPort: 8080}]
`,
    path: '{.spec.ports[*].port}', values: ['80', '81'],
  },
  {
    kind: 'Endpoints', resource: 'endpoints', namespaced: true, name: 'web',
    header: ['NAME', 'ENDPOINTS', 'AGE'],
    manifest: (n, rev) => `apiVersion: v1
kind: Endpoints
metadata: {name: ${n}}
subsets:
- addresses: [{ip: 10.244.1.${4 + rev}}]
  ports: [{name: http, port: 8080}]
`,
    path: '{.subsets[0].addresses[*].ip}', values: ['10.244.1.5', '10.244.1.6'],
  },
  {
    kind: 'EndpointSlice', resource: 'endpointslices', namespaced: true, name: 'web-x1',
    header: ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'],
    manifest: (n, rev) => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${n}, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints:
- addresses: [10.244.1.${4 + rev}]
  conditions: {ready: true}
ports: [{name: http, port: 8080, protocol: TCP}]
`,
    path: '{.endpoints[*].addresses[*]}', values: ['10.244.1.5', '10.244.1.6'],
  },
  {
    kind: 'NetworkPolicy', resource: 'networkpolicies', namespaced: true, name: 'allow-web',
    header: ['NAME', 'POD-SELECTOR', 'AGE'],
    manifest: (n, rev) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${n}}
spec:
  podSelector: {matchLabels: {app: ${rev === 1 ? 'web' : 'api'}}}
  ingress: [{from: [{podSelector: {}}], ports: [{port: 8080, protocol: TCP}]}]
`,
    path: '{.spec.podSelector.matchLabels.app}', values: ['web', 'api'],
  },
];

/** Asserts every field of `want` (nulls and empty objects skipped) has the same value in `got`. */
function assertSubset(got: unknown, want: unknown, path = ''): void {
  if (want === null) return;
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(got), `${path}: not a list`);
    assert.equal(got.length, want.length, `${path}: length`);
    want.forEach((w, i) => assertSubset(got[i], w, `${path}[${i}]`));
  } else if (typeof want === 'object') {
    for (const [k, w] of Object.entries(want)) {
      if (w !== null && typeof w === 'object' && !Array.isArray(w) && Object.keys(w).length === 0) continue;
      assertSubset((got as Record<string, unknown> | undefined)?.[k], w, `${path}.${k}`);
    }
  } else assert.equal(got, want, path);
}

/** Rows of a `kubectl get` table whose first column is `name`. */
const rowsFor = (lines: readonly string[], name: string): string[] => lines.filter((l) => l.split(/\s+/)[0] === name);

describe('lab/apiserver: kubectl against the embedded API server', function () {
  this.timeout(30_000);
  let server: ApiServer;
  let kubectl: Kubectl;

  before(async () => {
    server = await startApiServer();
    kubectl = new Kubectl(server.kubeconfigPath);
  });
  after(async () => {
    await server.close();
    kubectl.dispose();
  });

  for (const c of cases) {
    it(`${c.kind}: create -f, get, apply -f twice, label, annotate, get -w, delete`, async () => {
      const ns = c.namespaced ? ['-n', 'default'] : [];
      const watch = kubectl.follow(['get', c.resource, '-w', ...ns]);
      try {
        // create -f: the server assigns uid/resourceVersion/creationTimestamp.
        assert.match(await kubectl.ok(['create', '-f', '-', ...ns], c.manifest(c.name, 1)), new RegExp(`${c.name} created`));
        const created = JSON.parse(await kubectl.ok(['get', c.resource, c.name, '-o', 'json', ...ns])) as { metadata: Record<string, string> };
        assert.equal(created.metadata['name'], c.name);
        assert.match(created.metadata['uid'] ?? '', /^[0-9a-f-]{36}$/);
        assert.match(created.metadata['resourceVersion'] ?? '', /^\d+$/);

        // get: a server-side Table with the kind's columns.
        const table = (await kubectl.ok(['get', c.resource, c.name, ...ns])).split('\n');
        assert.deepEqual(table[0]?.trim().split(/\s{2,}/), [...c.header]);
        assert.equal(rowsFor(table, c.name).length, 1);

        // get -w printed the ADDED row.
        await watch.waitFor((l) => rowsFor(l, c.name).length >= 1);

        // apply -f: create, change (-> configured, with the new value), re-apply (-> unchanged).
        const applied = `${c.name}-applied`;
        assert.match(await kubectl.ok(['apply', '-f', '-', ...ns], c.manifest(applied, 1)), /created/);
        assert.equal(await kubectl.ok(['get', c.resource, applied, '-o', `jsonpath=${c.path}`, ...ns]), c.values[0]);
        assert.match(await kubectl.ok(['apply', '-f', '-', ...ns], c.manifest(applied, 2)), /configured/);
        assert.equal(await kubectl.ok(['get', c.resource, applied, '-o', `jsonpath=${c.path}`, ...ns]), c.values[1]);
        // Re-applying the same manifest changes nothing on the server: the resourceVersion stays.
        // (kubectl may still send a patch for atomic lists the server defaulted, e.g. Endpoints port protocol.)
        const rvPath = ['-o', 'jsonpath={.metadata.resourceVersion}'];
        const rvBefore = await kubectl.ok(['get', c.resource, applied, ...rvPath, ...ns]);
        assert.match(await kubectl.ok(['apply', '-f', '-', ...ns], c.manifest(applied, 2)), /unchanged|configured/);
        assert.equal(await kubectl.ok(['get', c.resource, applied, ...rvPath, ...ns]), rvBefore);

        // label / annotate.
        assert.match(await kubectl.ok(['label', c.resource, c.name, 'tier=edge', ...ns]), /labeled/);
        assert.equal(await kubectl.ok(['get', c.resource, c.name, '-o', 'jsonpath={.metadata.labels.tier}', ...ns]), 'edge');
        assert.match(await kubectl.ok(['annotate', c.resource, c.name, 'podnet.io/note=hello', ...ns]), /annotated/);
        assert.equal(await kubectl.ok(['get', c.resource, c.name, '-o', 'jsonpath={.metadata.annotations.podnet\\.io/note}', ...ns]), 'hello');
        // label -l selects by the new label.
        assert.match(await kubectl.ok(['get', c.resource, '-l', 'tier=edge', '-o', 'name', ...ns]), new RegExp(`/${c.name}\\n?$`));

        // get -w printed MODIFIED rows for the label and the annotation.
        await watch.waitFor((l) => rowsFor(l, c.name).length >= 3);

        // delete: gone afterwards (404 NotFound through kubectl).
        assert.match(await kubectl.ok(['delete', c.resource, c.name, ...ns]), /deleted/);
        const gone = await kubectl.run(['get', c.resource, c.name, ...ns]);
        assert.equal(gone.code, 1);
        assert.match(gone.stderr, /NotFound|not found/);
        await kubectl.ok(['delete', c.resource, applied, ...ns]);
      } finally {
        await watch.stop();
      }
      assert.equal(watch.err.trim(), '', 'kubectl get -w wrote to stderr');
    });
  }

  it('imperative commands, including protobuf bodies: create namespace/service, run, expose', async () => {
    const commands: string[][] = [
      ['create', 'namespace', 'imperative', '--save-config'], // protobuf
      ['create', 'service', 'nodeport', 'imp', '--tcp=80:8080', '--node-port=30080', '-n', 'imperative'], // protobuf
      ['create', 'service', 'clusterip', 'imp3', '--clusterip=None', '--tcp=82:8082', '-n', 'imperative'], // protobuf
      ['create', 'service', 'externalname', 'imp4', '--external-name=db.example.internal', '-n', 'imperative'], // protobuf
      ['run', 'imp', '--image=registry.local/imp:1', '--port=8080', '--labels=app=imp,tier=x', '--env=A=1', '--restart=Never', '-n', 'imperative'],
      ['expose', 'pod', 'imp', '--port=81', '--target-port=http', '--name=imp2', '-n', 'imperative'],
    ];
    for (const cmd of commands) {
      // What kubectl renders client-side must be what the server stored.
      const want = JSON.parse(await kubectl.ok([...cmd, '--dry-run=client', '-o', 'json'])) as Record<string, unknown>;
      const got = JSON.parse(await kubectl.ok([...cmd, '-o', 'json'])) as Record<string, unknown>;
      assertSubset(got, want, cmd.slice(0, 3).join(' '));
    }
    const spec = (name: string): Record<string, unknown> => (server.get('Service', name, 'imperative')?.['spec'] ?? {}) as Record<string, unknown>;
    const nsMeta = (server.get('Namespace', 'imperative')?.['metadata'] ?? {}) as { annotations?: Record<string, string> };
    assert.match(nsMeta.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '', /"name":"imperative"/);
    assert.deepEqual(spec('imp')['ports'], [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }]);
    assert.equal(spec('imp3')['clusterIP'], 'None');
    assert.equal(spec('imp4')['externalName'], 'db.example.internal');
  });

  it('kubectl get nodes shows a Ready node with roles and version from its status', async () => {
    server.create('Node', {
      metadata: { name: 'node-r', labels: { 'node-role.kubernetes.io/control-plane': '' } },
      status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.32.0' }, addresses: [{ type: 'InternalIP', address: '198.18.0.10' }] },
    });
    const out = (await kubectl.ok(['get', 'nodes', 'node-r', '-o', 'wide'])).split('\n');
    const row = out[1]?.trim().split(/\s{2,}/) ?? [];
    assert.deepEqual(row.slice(0, 3), ['node-r', 'Ready', 'control-plane']);
    assert.equal(row[4], 'v1.32.0');
    assert.equal(row[5], '198.18.0.10');
  });

  it('kubectl api-resources lists every kind with scope and short names from discovery', async () => {
    const out = await kubectl.ok(['api-resources', '--no-headers']);
    const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
    const byName = new Map(rows.map((r) => [r[0], r]));
    assert.deepEqual(byName.get('pods'), ['pods', 'po', 'v1', 'true', 'Pod']);
    assert.deepEqual(byName.get('nodes'), ['nodes', 'no', 'v1', 'false', 'Node']);
    assert.deepEqual(byName.get('endpointslices'), ['endpointslices', 'discovery.k8s.io/v1', 'true', 'EndpointSlice']);
    assert.deepEqual(byName.get('networkpolicies'), ['networkpolicies', 'netpol', 'networking.k8s.io/v1', 'true', 'NetworkPolicy']);
    assert.equal(rows.length, 7);
  });
});
