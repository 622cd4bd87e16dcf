// The Kubernetes objects that install podnet on a cluster (deploy/*.yaml), as
// pure data: ServiceAccount, ClusterRole, ClusterRoleBinding, the CNI
// ConfigMap (from src/lab/cni.ts, the one producer of the conflist) and the
// DaemonSet. Two variants, as kube-router's daemonset/ folder: every
// controller, or routes + firewall next to kube-proxy. The ClusterRole is
// written out by hand here (it is what a reviewer approves); the RBAC test
// checks it against what the code reads (src/k8s/resources.ts).
// Objects are typed with kubernetes-models' API types (type-only, erased at
// run time), so a misspelled field fails the typecheck; the unit tier also
// validates the rendered YAML against the API schemas.
import type { IDaemonSet } from 'kubernetes-models/apps/v1';
import type { IClusterRole, IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import type { IConfigMap, IServiceAccount } from 'kubernetes-models/v1';
import { podNetworkConfList } from '../lab/cni.ts';

export type Variant = 'all' | 'router-firewall';

export const variants: readonly { readonly variant: Variant; readonly file: string; readonly title: string }[] = [
  { variant: 'all', file: 'podnet-all.yaml', title: 'routes + NetworkPolicy + service proxy (replaces kube-proxy)' },
  { variant: 'router-firewall', file: 'podnet-router-firewall.yaml', title: 'routes + NetworkPolicy, next to kube-proxy' },
];

/** Placeholders replaced at install time (deploy/README.md). */
export const IMAGE_PLACEHOLDER = '${PODNET_IMAGE}';
export const API_HOST_PLACEHOLDER = '${KUBERNETES_API_HOST}';
export const API_PORT_PLACEHOLDER = '${KUBERNETES_API_PORT}';
export const NAMESPACE = 'kube-system';
export const NAME = 'podnet';
export const CNI_CONF_FILE = '10-podnet.conflist';
export const HEALTH_PORT = 20244;
export const METRICS_PORT = 20245;

export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

const readOnly = ['list', 'watch'] as const;

/**
 * What each variant may do: list+watch of the caches its controllers read
 * (the CNI installer's node lookup is a list too). podnetd never writes.
 */
export function clusterRoleRules(): PolicyRule[] {
  // Both variants: the routes controller reads services and endpointslices too
  // (routes/controller.ts routesWatches), so the role is the same without the proxy.
  return [
    { apiGroups: [''], resources: ['namespaces', 'nodes', 'pods', 'services'], verbs: [...readOnly] },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: [...readOnly] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: [...readOnly] },
  ];
}

/**
 * Flags the DaemonSet and the lab's podnetd (src/lab/supervisor.ts) share; the
 * lab adds its kubeconfig, node name, socket and ToR peers.
 */
export function sharedAgentArgs(clusterAsn = 64512): string[] {
  // Graceful restart: a rolling update restarts podnetd node by node; peers
  // keep the node's routes and the kernel keeps its own until the new
  // podnetd has its peers' End-of-RIB, so pod traffic does not stop.
  return [`--health-port=${HEALTH_PORT}`, `--metrics-port=${METRICS_PORT}`, `--cluster-asn=${clusterAsn}`, '--bgp-graceful-restart=true'];
}

/** podnetd's flags in each variant; every one is parsed by src/config.ts in the tests. */
export function agentArgs(variant: Variant): string[] {
  return ['--run-router=true', '--run-firewall=true', `--run-service-proxy=${variant === 'all' ? 'true' : 'false'}`, ...sharedAgentArgs(), '--v=0'];
}

/** The ConfigMap's conflist: the lab's, with the ranges left to the installer (the node's podCIDRs). */
export function cniTemplate(): string {
  return `${JSON.stringify(podNetworkConfList([]), null, 2)}\n`;
}

// Measured in the lab (`podnet lab up --nodes 2 --tor bird`, 2 nodes, 4 pods,
// all three controllers), /proc/<pid>/status and /proc/<pid>/stat of a node's
// podnetd: VmRSS = VmHWM = 181-184 MB; about 0.9 CPU-seconds to start, then
// 0.14 CPU-seconds per 41 s idle (about 4 millicores). Requests cover the RSS
// with headroom; the memory limit leaves room for a larger cluster's caches and
// RIB; no CPU limit (throttling delays keepalives and the data plane sync).
export const measuredNote =
  'Requests from the lab (podnet lab up, 2 nodes, 4 pods, all controllers): podnetd VmRSS/VmHWM 181-184 MB, ~0.9 CPU-s to start, ~4 millicores idle.';

export const resources = {
  requests: { cpu: '50m', memory: '200Mi' },
  limits: { memory: '512Mi' },
} as const;

/**
 * The API server as the containers reach it. Next to kube-proxy, the in-cluster
 * `kubernetes` Service works. Without kube-proxy the ClusterIP only works once
 * podnetd's own service proxy runs, so the pod names the API server directly:
 * client-node's in-cluster config reads these two variables (and the service
 * account token), and a container's env wins over the kubelet's service links.
 */
function apiEnv(variant: Variant): { name: string; value: string }[] {
  return variant === 'all'
    ? [
        { name: 'KUBERNETES_SERVICE_HOST', value: API_HOST_PLACEHOLDER },
        { name: 'KUBERNETES_SERVICE_PORT', value: API_PORT_PLACEHOLDER },
      ]
    : [];
}

function labels(): Record<string, string> {
  return { 'app.kubernetes.io/name': NAME, 'k8s-app': NAME };
}

function meta(name: string, namespaced: boolean): { name: string; namespace?: string; labels: Record<string, string> } {
  return { name, ...(namespaced ? { namespace: NAMESPACE } : {}), labels: labels() };
}

function daemonSet(variant: Variant): IDaemonSet {
  // /healthz is 500 until the caches have synced and every controller has a
  // recent successful sync (docs/health.md). The startup probe allows 3 min
  // for the first sync (--cache-sync-timeout is 1 min); then liveness restarts
  // an agent unhealthy for 1 min, readiness reports it within 15 s.
  const probe = (periodSeconds: number, failureThreshold: number): { httpGet: { path: string; port: number }; periodSeconds: number; timeoutSeconds: number; failureThreshold: number } => ({
    httpGet: { path: '/healthz', port: HEALTH_PORT },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta(NAME, true),
    spec: {
      selector: { matchLabels: { 'k8s-app': NAME } },
      // One node at a time; podnetd leaves routes, rules and sets in place on
      // SIGTERM, so a node keeps forwarding while its agent restarts.
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: labels(), annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(METRICS_PORT) } },
        spec: {
          serviceAccountName: NAME,
          hostNetwork: true,
          // The node's resolver: cluster DNS needs the service proxy this pod may be.
          dnsPolicy: 'Default',
          priorityClassName: 'system-node-critical',
          terminationGracePeriodSeconds: 30,
          // Every node needs its pod network: control-plane nodes, not-ready
          // nodes (podnet is what makes them ready) and any other taint.
          tolerations: [
            { operator: 'Exists', effect: 'NoSchedule' },
            { operator: 'Exists', effect: 'NoExecute' },
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
          ],
          initContainers: [
            {
              name: 'install-cni',
              image: IMAGE_PLACEHOLDER,
              command: ['podnet-install-cni'],
              args: ['--template', `/etc/podnet/cni/${CNI_CONF_FILE}`, '--out', `/host/etc/cni/net.d/${CNI_CONF_FILE}`],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, ...apiEnv(variant)],
              // Root only to write the root-owned host directory; no capability.
              securityContext: { runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                { name: 'cni-template', mountPath: '/etc/podnet/cni', readOnly: true },
                { name: 'cni-conf-dir', mountPath: '/host/etc/cni/net.d' },
              ],
            },
          ],
          containers: [
            {
              name: 'podnetd',
              image: IMAGE_PLACEHOLDER,
              command: ['podnetd'],
              args: agentArgs(variant),
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, ...apiEnv(variant)],
              ports: [
                { name: 'health', containerPort: HEALTH_PORT, protocol: 'TCP' },
                { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
                { name: 'bgp', containerPort: 179, protocol: 'TCP' },
              ],
              startupProbe: probe(5, 36),
              livenessProbe: probe(10, 6),
              readinessProbe: probe(5, 3),
              resources,
              // netlink (routes, links, VXLAN), iptables/ipset/nft need
              // NET_ADMIN + NET_RAW; privileged also gives a writable /proc/sys.
              securityContext: { privileged: true, runAsUser: 0 },
              volumeMounts: [
                { name: 'xtables-lock', mountPath: '/run/xtables.lock' },
                { name: 'podnet-run', mountPath: '/run/podnet' },
                // --enable-cni keeps the conflist following the node's pod CIDRs
                { name: 'cni-conf-dir', mountPath: '/etc/cni/net.d' },
              ],
            },
          ],
          volumes: [
            { name: 'cni-template', configMap: { name: `${NAME}-cni` } },
            { name: 'cni-conf-dir', hostPath: { path: '/etc/cni/net.d', type: 'DirectoryOrCreate' } },
            { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
            { name: 'podnet-run', hostPath: { path: '/run/podnet', type: 'DirectoryOrCreate' } },
          ],
        },
      },
    },
  };
}

/** Every object of a variant's manifest, in apply order. */
export type ManifestObject = IServiceAccount | IClusterRole | IClusterRoleBinding | IConfigMap | IDaemonSet;

export function manifestObjects(variant: Variant): ManifestObject[] {
  const sa: IServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(NAME, true) };
  const role: IClusterRole = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(NAME, false), rules: clusterRoleRules().map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })) };
  const binding: IClusterRoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: meta(NAME, false),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NAME },
    subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: NAMESPACE }],
  };
  const cni: IConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${NAME}-cni`, true), data: { [CNI_CONF_FILE]: cniTemplate() } };
  return [sa, role, binding, cni, daemonSet(variant)];
}
