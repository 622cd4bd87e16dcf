// Public surface of the lab for tests and tools: bring a lab up and down,
// read its state and status, probe pod reachability, and the helpers to run
// commands inside its namespaces. The CLI (`podnet lab`) is cli.ts.
export { labUp, LabUpError } from './up.ts';
export { labDown, listLabs, sweepPrefix } from './down.ts';
export { labStatus, renderStatus, type LabStatus, type PodRoute } from './status.ts';
export { reachability, renderMatrix, ping, tcpAnswer, type Reach } from './check.ts';
export { loadState, type LabState, type NodeRecord, type PodRecord } from './state.ts';
export { defaultOptions, defaultStateRoot, labPrefix, planLab, type LabOptions, type TorKind } from './topology.ts';
export { podNetworkConfList, CNI_VERSION } from './cni.ts';
export { listNamespaces, procAlive, run, runIn, waitFor, type ExecResult, type ProcRecord } from './netns.ts';
