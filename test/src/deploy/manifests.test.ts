// deploy/*.yaml: committed files equal the generator's output; every object
// validates against the Kubernetes API schemas (kubernetes-models); the
// DaemonSet has the properties issue 8 asks for; its flags parse.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, ServiceAccount } from 'kubernetes-models/v1';
import { parseArgs } from '../../../src/config.ts';
import { generatedFiles } from '../../../src/deploy/generated.ts';
import { fillConfList } from '../../../src/deploy/install-cni.ts';
import { API_HOST_PLACEHOLDER, API_PORT_PLACEHOLDER, CNI_CONF_FILE, HEALTH_PORT, IMAGE_PLACEHOLDER, METRICS_PORT, sharedAgentArgs, variants } from '../../../src/deploy/manifests.ts';
import { agentArgv } from '../../../src/lab/agent.ts';
import { NODE_HEALTH_PORT, defaultOptions, planLab } from '../../../src/lab/topology.ts';
import { podNetworkConfList } from '../../../src/lab/cni.ts';
import { parseAllDocuments } from 'yaml';
import { loadManifest, repoRoot as root } from './load.ts';
import type { Obj } from './load.ts';

const models: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'apps/v1/DaemonSet': DaemonSet,
};

function validate(o: Obj): void {
  const M = models[`${o.apiVersion}/${o.kind}`];
  if (M === undefined) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  new M(o as never).validate();
}

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  securityContext?: { privileged?: boolean };
  livenessProbe?: { httpGet?: { path: string; port: number } };
  readinessProbe?: { httpGet?: { path: string; port: number } };
  startupProbe?: { httpGet?: { path: string; port: number } };
  resources?: { requests?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface DsSpec {
  updateStrategy: { type: string; rollingUpdate?: { maxUnavailable: number } };
  template: {
    spec: {
      hostNetwork: boolean;
      serviceAccountName: string;
      tolerations: { key?: string; operator: string; effect?: string }[];
      initContainers: Container[];
      containers: Container[];
      volumes: { name: string; hostPath?: { path: string }; configMap?: { name: string } }[];
    };
  };
}

function manifestDaemonSetArgs(variant: string): string[] {
  const file = variants.find((v) => v.variant === variant)?.file ?? '';
  const ds = loadManifest(file).find((o) => o.kind === 'DaemonSet')?.['spec'] as DsSpec | undefined;
  return ds?.template.spec.containers.find((c) => c.name === 'podnetd')?.args ?? [];
}

describe('deploy manifests', () => {
  it('the committed deploy/ and docs/ files are what `npm run deploy:generate` / `docs:generate` produce', async () => {
    const files = await generatedFiles();
    assert.ok(files.size >= 5);
    const stale = [...files].filter(([rel, text]) => {
      try {
        return readFileSync(join(root, rel), 'utf8') !== text;
      } catch {
        return true;
      }
    });
    assert.deepEqual(stale.map(([rel]) => rel), [], 'run npm run deploy:generate && npm run docs:generate and commit the result');
  });

  for (const { variant, file } of variants) {
    describe(file, () => {
      const objs = loadManifest(file);
      const ds = objs.find((o) => o.kind === 'DaemonSet');
      const spec = ds?.['spec'] as DsSpec;
      const pod = spec.template.spec;
      const agent = pod.containers.find((c) => c.name === 'podnetd');

      it('holds a ServiceAccount, ClusterRole, ClusterRoleBinding, ConfigMap and DaemonSet, each valid against the API schema', () => {
        assert.deepEqual(objs.map((o) => o.kind), ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'DaemonSet']);
        for (const o of objs) validate(o);
      });

      it('binds the role to the DaemonSet\'s service account', () => {
        const sa = objs.find((o) => o.kind === 'ServiceAccount');
        const b = objs.find((o) => o.kind === 'ClusterRoleBinding') as Obj & { roleRef: { name: string }; subjects: { name: string; namespace: string }[] };
        const role = objs.find((o) => o.kind === 'ClusterRole');
        assert.equal(b.roleRef.name, role?.metadata.name);
        assert.deepEqual(b.subjects.map((s) => `${s.namespace}/${s.name}`), [`${sa?.metadata.namespace}/${sa?.metadata.name}`]);
        assert.equal(pod.serviceAccountName, sa?.metadata.name);
      });

      it('runs podnetd privileged on the host network, NODE_NAME from the downward API, probes on /healthz at --health-port', () => {
        assert.ok(agent);
        assert.equal(pod.hostNetwork, true);
        assert.equal(agent.securityContext?.privileged, true);
        for (const c of [agent, ...pod.initContainers]) {
          assert.equal(c.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath, 'spec.nodeName', c.name);
        }
        const cmd = parseArgs(agent.args ?? [], { NODE_NAME: 'n1' }, 'h');
        assert.equal(cmd.kind, 'run');
        if (cmd.kind !== 'run') return;
        assert.equal(cmd.config.nodeName, 'n1');
        assert.equal(cmd.config.healthPort, HEALTH_PORT);
        assert.equal(cmd.config.metricsPort, METRICS_PORT);
        assert.equal(cmd.config.runRouter && cmd.config.runFirewall, true);
        assert.equal(cmd.config.runServiceProxy, variant === 'all');
        for (const p of [agent.startupProbe, agent.livenessProbe, agent.readinessProbe]) assert.deepEqual(p?.httpGet, { path: '/healthz', port: cmd.config.healthPort });
        assert.ok(agent.resources?.requests?.['memory'] !== undefined && agent.resources.requests['cpu'] !== undefined);
        assert.equal(spec.updateStrategy.type, 'RollingUpdate');
        assert.equal(spec.updateStrategy.rollingUpdate?.maxUnavailable, 1);
        // Scheduling semantics of a toleration (key empty + Exists matches every key; effect empty matches every effect).
        const tolerates = (key: string, effect: string): boolean =>
          pod.tolerations.some((t) => (t.key === undefined || t.key === key) && t.operator === 'Exists' && (t.effect === undefined || t.effect === effect));
        assert.ok(tolerates('node-role.kubernetes.io/control-plane', 'NoSchedule'));
        assert.ok(tolerates('node.kubernetes.io/not-ready', 'NoSchedule') && tolerates('node.kubernetes.io/not-ready', 'NoExecute'));
        for (const c of [agent, ...pod.initContainers]) assert.equal((c as { image?: string }).image, IMAGE_PLACEHOLDER);
        // Without kube-proxy, both containers name the API server directly (the ClusterIP is not served yet).
        for (const c of [agent, ...pod.initContainers]) {
          const env = new Map((c.env ?? []).map((e) => [e.name, (e as { value?: string }).value]));
          if (variant === 'all') {
            assert.equal(env.get('KUBERNETES_SERVICE_HOST'), API_HOST_PLACEHOLDER, c.name);
            assert.equal(env.get('KUBERNETES_SERVICE_PORT'), API_PORT_PLACEHOLDER, c.name);
          } else assert.ok(!env.has('KUBERNETES_SERVICE_HOST'), c.name);
        }
      });

      it('mounts only the host paths it uses: the CNI conf dir (init container, and podnetd for --enable-cni), the xtables lock and /run/podnet', () => {
        const hostPaths = pod.volumes.filter((v) => v.hostPath !== undefined).map((v) => v.hostPath?.path).sort();
        assert.deepEqual(hostPaths, ['/etc/cni/net.d', '/run/podnet', '/run/xtables.lock']);
        const byName = new Map(pod.volumes.map((v) => [v.name, v]));
        const agentHost = (agent?.volumeMounts ?? []).map((m) => byName.get(m.name)?.hostPath?.path).filter((p) => p !== undefined);
        assert.ok(agentHost.includes('/etc/cni/net.d'), 'podnetd keeps the CNI conf following the pod CIDRs (--enable-cni)');
        assert.ok(agent?.args?.every((a) => !a.startsWith('--enable-cni=false')), '--enable-cni stays on (default)');
      });

      it('ships the lab\'s conflist: the init container fills it into exactly podNetworkConfList(podCIDRs)', () => {
        const cm = objs.find((o) => o.kind === 'ConfigMap') as Obj & { data: Record<string, string> };
        const template = cm.data[CNI_CONF_FILE] ?? '';
        assert.deepEqual(JSON.parse(template), podNetworkConfList([]));
        const cidrs = ['10.244.3.0/24', 'fd00:10:244:3::/64'];
        assert.deepEqual(JSON.parse(fillConfList(template, cidrs)), podNetworkConfList(cidrs));
        const init = pod.initContainers[0];
        assert.equal(init?.command?.[0], 'podnet-install-cni');
        assert.ok(init?.args?.includes(`/host/etc/cni/net.d/${CNI_CONF_FILE}`));
        const tpl = pod.volumes.find((v) => v.configMap?.name === cm.metadata.name);
        assert.ok(tpl !== undefined && init?.volumeMounts?.some((m) => m.name === tpl.name));
      });
    });
  }

  it('the lab runs podnetd with the DaemonSet\'s shared flags (health and metrics ports, cluster ASN, graceful restart)', () => {
    const plan = planLab(defaultOptions);
    for (const n of plan.nodes) {
      const argv = agentArgv(plan, n);
      for (const a of sharedAgentArgs()) assert.ok(argv.includes(a), `lab ${n.name}: ${a}`);
      // every lab flag is one podnetd accepts
      assert.equal(parseArgs(argv.slice(1), { NODE_NAME: n.name }, 'h').kind, 'run', `lab ${n.name}: ${argv.join(' ')}`);
    }
    assert.ok(sharedAgentArgs().includes('--bgp-graceful-restart=true'), 'rolling updates keep the data plane: graceful restart on');
    const off = planLab({ ...defaultOptions, gracefulRestart: false });
    assert.ok(agentArgv(off, off.nodes[0] as never).includes('--bgp-graceful-restart=false'), 'lab up --no-graceful-restart');
    assert.equal(NODE_HEALTH_PORT, HEALTH_PORT, 'lab status probes the health port the DaemonSet uses');
    for (const { variant } of variants) {
      const ds = manifestDaemonSetArgs(variant);
      for (const a of sharedAgentArgs()) assert.ok(ds.includes(a), `${variant}: ${a}`);
    }
  });

  it('after substituting the placeholders as deploy/README.md says, the manifest is still valid (a port stays a string)', () => {
    const text = readFileSync(join(root, 'deploy/podnet-all.yaml'), 'utf8')
      .replaceAll(IMAGE_PLACEHOLDER, 'registry.example.com/podnet:0.1.0')
      .replaceAll(API_HOST_PLACEHOLDER, '198.18.0.10')
      .replaceAll(API_PORT_PLACEHOLDER, '6443');
    const objs = parseAllDocuments(text).map((d) => d.toJS() as Obj | null).filter((o): o is Obj => o !== null);
    for (const o of objs) validate(o);
    const ds = objs.find((o) => o.kind === 'DaemonSet')?.['spec'] as DsSpec;
    const env = ds.template.spec.containers[0]?.env ?? [];
    assert.equal((env.find((e) => e.name === 'KUBERNETES_SERVICE_PORT') as { value?: unknown } | undefined)?.value, '6443');
  });

  it('schema validation rejects what the API server would (so the checks above can fail)', () => {
    const [ds] = loadManifest('podnet-all.yaml').filter((o) => o.kind === 'DaemonSet');
    assert.ok(ds);
    const broken = structuredClone(ds) as Obj & { spec: { selector?: unknown; template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } } };
    const port = broken.spec.template.spec.containers[0]?.ports[0];
    assert.ok(port);
    port.containerPort = 'twenty';
    assert.throws(() => validate(broken), /containerPort must be integer/);
    delete broken.spec.selector;
    assert.throws(() => validate(broken), /selector/);
  });
});
