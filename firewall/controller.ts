// The firewall controller (--run-firewall). Run detects the host's iptables
// flavour; each sync reads pods, namespaces, NetworkPolicies and this node's
// pod CIDRs from the caches, compiles the desired chains and ipsets
// (compile.ts) and applies them (apply.ts) through the agent's one kernel
// writer: incremental syncs against the state applied last, full syncs (the
// first, the periodic resync, after a crash) against the kernel. Cleanup
// removes every chain, jump and set that names.ts says is ours. Metrics:
// metrics.ts. Without a source it is the contract stub. No RFCs.
import type { V1Node } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { Controller, ControllerContext, ResourceEvent, SyncKind, SyncReport } from '../src/runtime/controller.ts';
import type { Logger } from '../src/obs/log.ts';
import type { Readers } from '../src/k8s/caches.ts';
import type { ResourceName } from '../src/k8s/resources.ts';
import { ipFamilies } from '../src/kernel/iptables/model.ts';
import { sharedKernelWriter } from '../src/kernel/writer.ts';
import type { KernelWriter } from '../src/kernel/writer.ts';
import { FirewallApplier, FirewallApplyError } from './apply.ts';
import type { ApplyResult } from './apply.ts';
import { compileFirewall } from './compile.ts';
import type { CompileOptions, DesiredFirewall } from './compile.ts';
import { parseDrops, podChains, registerFirewallMetrics } from './metrics.ts';
import type { FirewallMetrics, PodDrops } from './metrics.ts';

/** Where the controller reads cluster state from (the agent's caches). */
export interface FirewallSource {
  readonly nodeName: string;
  readonly readers: Pick<Readers, 'pods' | 'namespaces' | 'networkpolicies' | 'nodes'>;
  readonly options?: Partial<CompileOptions>;
}

export interface FirewallControllerOptions {
  readonly syncPeriodMs: number;
  /** Without a source the controller syncs but programs nothing (contract stub). */
  readonly source?: FirewallSource;
  /** Default: the process-wide writer shared with the other controllers. */
  readonly writer?: KernelWriter;
  /** Where the firewall's metrics go (the agent's registry). */
  readonly registry?: Registry;
}

export interface FirewallController extends Controller {
  /** The desired state of the last sync, for status and tests. */
  lastDesired(): DesiredFirewall | undefined;
  /** What the last apply did (also set when it failed part way). */
  lastResult(): ApplyResult | undefined;
}

export const firewallWatches: readonly ResourceName[] = ['pods', 'namespaces', 'networkpolicies', 'nodes'];

/** A node's spec.podCIDRs (or the older single spec.podCIDR). */
export function nodePodCidrs(node: V1Node | undefined): string[] {
  const many = node?.spec?.podCIDRs ?? [];
  if (many.length > 0) return [...many];
  return node?.spec?.podCIDR !== undefined && node.spec.podCIDR !== '' ? [node.spec.podCIDR] : [];
}

export function createFirewallController(opts: FirewallControllerOptions): FirewallController {
  const writer = opts.writer ?? sharedKernelWriter();
  const applier = new FirewallApplier(writer);
  const src = opts.source;
  let desired: DesiredFirewall | undefined;
  let result: ApplyResult | undefined;
  const readDrops = (): Promise<PodDrops[]> => {
    const chains = podChains(applier.applied());
    if (chains.size === 0) return Promise.resolve([]);
    return writer.exclusive(async (tx) => {
      const out: PodDrops[] = [];
      for (const f of ipFamilies) out.push(...parseDrops(f, await tx.iptablesSave(f, 'filter', { counters: true }), chains));
      return out;
    });
  };
  const metrics: FirewallMetrics | undefined = opts.registry !== undefined && src !== undefined ? registerFirewallMetrics(opts.registry, readDrops) : undefined;
  return {
    name: 'firewall',
    syncPeriodMs: opts.syncPeriodMs,
    watches: firewallWatches,
    async run(ctx: ControllerContext): Promise<void> {
      if (src === undefined) {
        ctx.log.warn('the firewall controller has no cluster source: it syncs but programs nothing');
        return;
      }
      const f = await writer.flavour();
      ctx.log.info({ flavour: f.flavour, binaries: f.binaries, why: f.why }, 'firewall: iptables flavour');
    },
    onUpdate(e: ResourceEvent): SyncKind | null {
      // Only this node's pod CIDRs matter among the nodes.
      if (e.kind === 'nodes' && e.type !== 'relisted' && src !== undefined && e.key !== src.nodeName) return null;
      return 'incremental';
    },
    async sync(kind, ctx): Promise<SyncReport> {
      if (src === undefined) return { programmed: 0, changed: 0 };
      const next = compileFirewall({
        nodeName: src.nodeName,
        podCidrs: nodePodCidrs(src.readers.nodes.get(src.nodeName)),
        pods: src.readers.pods.list(),
        namespaces: src.readers.namespaces.list(),
        policies: src.readers.networkpolicies.list(),
        ...(src.options !== undefined ? { options: src.options } : {}),
      });
      desired = next;
      try {
        result = await applier.apply(next, kind);
      } catch (e: unknown) {
        if (e instanceof FirewallApplyError) result = e.result;
        throw e;
      } finally {
        const applied = applier.applied();
        if (applied !== undefined) metrics?.programmed(applied);
      }
      const chains = next.families.reduce((n, f) => n + f.chains.size, 0);
      const sets = next.families.reduce((n, f) => n + f.sets.size, 0);
      const detail = { kind, changes: result.changes, setsWritten: result.setsWritten.length, iptables: result.iptables.map((b) => `${b.family}:${b.planned}:+${b.written.length}-${b.removed.length}`) };
      if (result.changes > 0) ctx.log.info(detail, 'firewall: applied');
      else ctx.log.debug(detail, 'firewall: in sync');
      return { programmed: chains + sets, changed: result.changes };
    },
    async stop(): Promise<void> {},
    async cleanup(log: Logger): Promise<void> {
      const r = await applier.cleanup();
      if (r.chains.length + r.jumps + r.sets.length === 0) log.info('firewall: nothing to clean up (no podnet chain, jump or ipset)');
      else log.info({ chains: r.chains.length, jumps: r.jumps, sets: r.sets.length }, 'firewall: removed its chains, jumps and ipsets');
    },
    lastDesired: () => desired,
    lastResult: () => result,
  };
}
