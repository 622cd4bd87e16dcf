// The firewall controller. It takes part in the runtime (runs, is supervised,
// syncs on events and periodically, reports health). Given a cluster source,
// each sync compiles the desired chains and ipsets (compile.ts) and keeps
// them with the plan from the previous sync; it does not write to the kernel
// yet: apply.ts (ipset restore, iptables-restore --noflush per family, stale
// set destroy, built-in jump checks) lands with the rest of issue #6.
import type { Controller, ControllerContext, SyncKind, SyncReport } from '../src/runtime/controller.ts';
import type { Logger } from '../src/obs/log.ts';
import type { Readers } from '../src/k8s/caches.ts';
import type { ResourceName } from '../src/k8s/resources.ts';
import { compileFirewall } from './compile.ts';
import type { CompileOptions, DesiredFirewall } from './compile.ts';
import { planFirewall } from './plan.ts';
import type { FirewallPlan } from './plan.ts';

/** Where the controller reads cluster state from (the agent's caches). */
export interface FirewallSource {
  readonly nodeName: string;
  readonly readers: Pick<Readers, 'pods' | 'namespaces' | 'networkpolicies'>;
  /** This node's spec.podCIDRs (default deny needs them). */
  podCidrs(): readonly string[];
  readonly options?: Partial<CompileOptions>;
}

export interface FirewallControllerOptions {
  readonly syncPeriodMs: number;
  /** Without a source the controller syncs but compiles nothing (contract stub). */
  readonly source?: FirewallSource;
}

export interface FirewallController extends Controller {
  /** The desired state of the last sync, for status and tests. */
  lastDesired(): DesiredFirewall | undefined;
  /** What the last sync would change against the sync before it. */
  lastPlan(): FirewallPlan | undefined;
}

export const firewallWatches: readonly ResourceName[] = ['pods', 'namespaces', 'networkpolicies'];

function planSize(p: FirewallPlan): number {
  let n = p.ipsetWrite.write.length + p.ipsetDestroy.destroy.length;
  for (const b of p.iptables) n += b.write.length + b.remove.length + b.jumps.insert.length + b.jumps.delete.length;
  return n;
}

export function createFirewallController(opts: FirewallControllerOptions): FirewallController {
  let desired: DesiredFirewall | undefined;
  let plan: FirewallPlan | undefined;
  return {
    name: 'firewall',
    syncPeriodMs: opts.syncPeriodMs,
    watches: firewallWatches,
    async run(ctx: ControllerContext): Promise<void> {
      ctx.log.warn('the firewall controller compiles policies but does not program the kernel yet (issue #6: apply pending)');
    },
    onUpdate(): SyncKind {
      return 'incremental';
    },
    async sync(_kind, ctx): Promise<SyncReport> {
      const src = opts.source;
      if (src === undefined) return { programmed: 0, changed: 0 };
      const next = compileFirewall({
        nodeName: src.nodeName,
        podCidrs: src.podCidrs(),
        pods: src.readers.pods.list(),
        namespaces: src.readers.namespaces.list(),
        policies: src.readers.networkpolicies.list(),
        ...(src.options !== undefined ? { options: src.options } : {}),
      });
      plan = planFirewall(next, desired);
      desired = next;
      const chains = next.families.reduce((n, f) => n + f.chains.size, 0);
      const sets = next.families.reduce((n, f) => n + f.sets.size, 0);
      ctx.log.debug({ chains, sets, pending: planSize(plan) }, 'firewall: compiled (not applied)');
      // Nothing reaches the kernel yet, so nothing is reported as programmed or changed.
      return { programmed: 0, changed: 0 };
    },
    async stop(): Promise<void> {},
    async cleanup(log: Logger): Promise<void> {
      log.info('firewall: nothing to clean up (the controller programs nothing yet)');
    },
    lastDesired: () => desired,
    lastPlan: () => plan,
  };
}
