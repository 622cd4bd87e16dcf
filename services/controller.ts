// The services controller (--run-service-proxy): each sync reads Services,
// EndpointSlices and Nodes from the caches, builds the model (model.ts),
// renders the nftables table (nft.ts) and applies it (apply.ts: a delta
// against the last applied table; a full sync also checks the kernel for
// drift), then flushes UDP conntrack entries the change left stale
// (conntrack.ts) and serves healthCheckNodePorts (health.ts).
// --service-proxy-mode: nftables; auto picks nftables (the IPVS backend is
// not implemented yet, and this kernel has no IP_VS); ipvs is refused with a
// clear error. Without a source it is the contract stub
// that syncs but programs nothing. No RFCs.
import type { V1Node } from '@kubernetes/client-node';
import type { Controller, ControllerContext, SyncKind, SyncReport } from '../src/runtime/controller.ts';
import type { Logger } from '../src/obs/log.ts';
import type { Readers } from '../src/k8s/caches.ts';
import type { ResourceName } from '../src/k8s/resources.ts';
import { nftUsable } from '../src/kernel/nft.ts';
import type { NftOptions } from '../src/kernel/nft.ts';
import { familyOf } from './addr.ts';
import { NftApplier } from './apply.ts';
import { flushStaleUdp, staleUdp } from './conntrack.ts';
import { HealthServers, healthTargets } from './health.ts';
import { buildModel } from './model.ts';
import type { ModelOptions, ServicesModel } from './model.ts';
import { renderRuleset } from './nft.ts';

export type ServiceProxyMode = 'ipvs' | 'nftables' | 'auto';

/** Where the controller reads cluster state from (the agent's caches). */
export interface ServicesSource {
  readonly nodeName: string;
  readonly readers: Pick<Readers, 'services' | 'endpointslices' | 'nodes'>;
  readonly options?: Partial<ModelOptions>;
  /** The cluster's pod network; default: every node's spec.podCIDRs. */
  readonly podNetwork?: readonly string[];
  /** Where nft and conntrack run (a network namespace in tests). */
  readonly nft?: NftOptions;
  /** Listen address of the healthCheckNodePort servers (default: every address). */
  readonly healthHost?: string;
}

export interface ServicesControllerOptions {
  readonly syncPeriodMs: number;
  readonly mode?: ServiceProxyMode;
  /** Without a source the controller syncs but programs nothing (contract stub). */
  readonly source?: ServicesSource;
}

export interface ServicesController extends Controller {
  /** The model of the last successful sync, for status and tests. */
  lastModel(): ServicesModel | undefined;
}

export class ServiceProxyModeError extends Error {
  override readonly name = 'ServiceProxyModeError';
}

export const servicesWatches: readonly ResourceName[] = ['services', 'endpointslices', 'nodes'];

/** The backend a mode runs on this build. */
export function resolveProxyMode(mode: ServiceProxyMode): 'nftables' {
  if (mode === 'ipvs') {
    throw new ServiceProxyModeError('--service-proxy-mode=ipvs: the IPVS backend is not implemented yet; use nftables (or auto)');
  }
  return 'nftables';
}

/** The node's primary address per family: InternalIP first, then ExternalIP. */
export function nodeAddresses(node: V1Node | undefined): string[] {
  const addrs = node?.status?.addresses ?? [];
  const out: string[] = [];
  for (const fam of [4, 6] as const) {
    for (const type of ['InternalIP', 'ExternalIP']) {
      const a = addrs.find((x) => x.type === type && familyOf(x.address) === fam);
      if (a !== undefined) {
        out.push(a.address);
        break;
      }
    }
  }
  return out;
}

export function createServicesController(opts: ServicesControllerOptions): ServicesController {
  const src = opts.source;
  const applier = new NftApplier(src?.nft ?? {});
  const health = new HealthServers(src?.healthHost !== undefined ? { host: src.healthHost } : {});
  let model: ServicesModel | undefined;
  return {
    name: 'services',
    syncPeriodMs: opts.syncPeriodMs,
    watches: servicesWatches,
    async run(ctx: ControllerContext): Promise<void> {
      resolveProxyMode(opts.mode ?? 'auto');
      if (src === undefined) {
        ctx.log.warn('the services controller has no cluster source: it syncs but programs nothing');
        return;
      }
      const usable = await nftUsable(src.nft ?? {});
      if (!usable.ok) throw new Error(`services: nftables mode needs nft >= 1.0.0: ${usable.why}`);
      ctx.log.info({ nft: usable.why }, 'services: nftables proxy (table inet podnet)');
    },
    onUpdate(): SyncKind {
      return 'incremental';
    },
    async sync(kind, ctx): Promise<SyncReport> {
      if (src === undefined) return { programmed: 0, changed: 0 };
      const nodes = src.readers.nodes.list();
      const self = src.readers.nodes.get(src.nodeName);
      const zone = self?.metadata?.labels?.['topology.kubernetes.io/zone'];
      const next = buildModel({
        nodeName: src.nodeName,
        nodeIps: nodeAddresses(self),
        ...(zone !== undefined ? { zone } : {}),
        podNetwork: src.podNetwork ?? nodes.flatMap((n) => n.spec?.podCIDRs ?? (n.spec?.podCIDR !== undefined ? [n.spec.podCIDR] : [])),
        services: src.readers.services.list(),
        endpointSlices: src.readers.endpointslices.list(),
        ...(src.options !== undefined ? { options: src.options } : {}),
      });
      // A node with no Services and nothing programmed yet gets no table at all.
      if (next.ports.length === 0 && applier.current() === undefined) {
        model = next;
        return { programmed: 0, changed: 0 };
      }
      const result = await applier.apply(renderRuleset(next), kind === 'full');
      const flushes = staleUdp(model, next);
      model = next;
      for (const f of await health.sync(healthTargets(next))) ctx.log.warn(f, 'services: healthCheckNodePort server could not listen');
      if (flushes.length > 0) {
        const { failed } = await flushStaleUdp(flushes, src.nft?.netns !== undefined ? { netns: src.nft.netns } : {});
        for (const f of failed) ctx.log.warn({ err: f }, 'services: UDP conntrack flush failed');
      }
      if (result.how === 'full') ctx.log.info({ reason: result.reason, ports: next.ports.length }, 'services: full nftables load');
      else ctx.log.debug({ how: result.how, changes: result.changes, udpFlushes: flushes.length }, 'services: synced');
      return { programmed: next.ports.length, changed: result.changes };
    },
    async stop(): Promise<void> {
      await health.close();
    },
    async cleanup(log: Logger): Promise<void> {
      await applier.cleanup();
      log.info('services: deleted table inet podnet');
    },
    lastModel: () => model,
  };
}
