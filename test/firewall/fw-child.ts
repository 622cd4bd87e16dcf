// Runs inside a test's node namespace (ip netns exec NS node fw-child.ts): the
// real firewall controller (real kernel writer, flavour detection, ipset and
// iptables) over in-memory readers. One JSON request per stdin line, one JSON
// answer per stdout line:
//   {"op":"sync","kind":"full"|"incremental","state":{pods,namespaces,policies,nodes},"options":{...}}
//     -> {"ok":true,"result":ApplyResult} | {"ok":false,"error":"...","result":...}
//   {"op":"cleanup"} -> {"ok":true}      {"op":"metrics"} -> {"ok":true,"text":"..."}
import { createInterface } from 'node:readline';
import type { V1Namespace, V1NetworkPolicy, V1Node, V1Pod } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { createFirewallController } from '../../firewall/controller.ts';
import type { CompileOptions } from '../../firewall/compile.ts';
import type { Reader } from '../../src/k8s/store.ts';
import { silentLogger } from '../../src/obs/log.ts';

interface State {
  pods: V1Pod[];
  namespaces: V1Namespace[];
  policies: V1NetworkPolicy[];
  nodes: V1Node[];
}

let state: State = { pods: [], namespaces: [], policies: [], nodes: [] };
let options: Partial<CompileOptions> = {};

function reader<T extends { metadata?: { name?: string; namespace?: string } }>(items: () => T[]): Reader<T> {
  const key = (t: T): string => (t.metadata?.namespace !== undefined ? `${t.metadata.namespace}/${t.metadata.name ?? ''}` : (t.metadata?.name ?? ''));
  return { get: (k) => items().find((t) => key(t) === k), list: () => [...items()], size: () => items().length, revision: () => 0 };
}

const registry = new Registry();
const controller = createFirewallController({
  syncPeriodMs: 60_000,
  registry,
  source: {
    nodeName: 'node-a',
    readers: { pods: reader(() => state.pods), namespaces: reader(() => state.namespaces), networkpolicies: reader(() => state.policies), nodes: reader(() => state.nodes) },
    get options() {
      return options;
    },
  },
});
const ctx = { log: silentLogger(), signal: new AbortController().signal };

const reply = (v: unknown): void => {
  process.stdout.write(`${JSON.stringify(v)}\n`);
};

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const req = JSON.parse(line) as { op: string; kind?: 'full' | 'incremental'; state?: State; options?: Partial<CompileOptions> };
  try {
    if (req.op === 'sync') {
      if (req.state !== undefined) state = req.state;
      options = req.options ?? {};
      await controller.sync(req.kind ?? 'incremental', ctx);
      reply({ ok: true, result: controller.lastResult() });
    } else if (req.op === 'cleanup') {
      await controller.cleanup(silentLogger());
      reply({ ok: true });
    } else if (req.op === 'metrics') {
      reply({ ok: true, text: await registry.metrics() });
    } else reply({ ok: false, error: `unknown op ${req.op}` });
  } catch (e: unknown) {
    reply({ ok: false, error: e instanceof Error ? e.message : String(e), result: controller.lastResult() });
  }
}
