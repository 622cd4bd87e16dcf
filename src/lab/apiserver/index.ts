// Public surface of the embedded Kubernetes-compatible API server used by the
// lab and the e2e tests: startApiServer() and its types. Serves core/v1 Nodes,
// Pods, Namespaces, Services, Endpoints, discovery.k8s.io/v1 EndpointSlices and
// networking.k8s.io/v1 NetworkPolicies to kubectl and @kubernetes/client-node.
// Semantics and known differences from a real API server: README.md here.
export { startApiServer, type ApiServer, type ApiServerOptions, type KubeObject, type KubeObjectInput, type WatchOptions } from './server.ts';
export type { WatchEvent, WatchEventType } from './store.ts';
export { ApiError, type StatusReason } from './errors.ts';
export type { KindName } from './kinds.ts';
export type { ListOptions, ListResult, PatchType } from './resources.ts';
