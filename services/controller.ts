// The services controller's contract stub. It takes part in the runtime (runs,
// is supervised, syncs on events and periodically, reports health) but
// programs nothing yet: its desired/apply parts land with issue #7.
import type { Controller, ControllerContext, SyncKind, SyncReport } from '../src/runtime/controller.ts';
import type { Logger } from '../src/obs/log.ts';
import type { ResourceName } from '../src/k8s/resources.ts';

export interface ServicesControllerOptions {
  readonly syncPeriodMs: number;
}

export const servicesWatches: readonly ResourceName[] = ['services', 'endpointslices', 'nodes'];

export function createServicesController(opts: ServicesControllerOptions): Controller {
  return {
    name: 'services',
    syncPeriodMs: opts.syncPeriodMs,
    watches: servicesWatches,
    async run(ctx: ControllerContext): Promise<void> {
      ctx.log.warn('the services controller is a contract stub until issue #7 lands: it syncs but programs nothing');
    },
    onUpdate(): SyncKind {
      return 'incremental';
    },
    async sync(): Promise<SyncReport> {
      return { programmed: 0, changed: 0 };
    },
    async stop(): Promise<void> {},
    async cleanup(log: Logger): Promise<void> {
      log.info('services: nothing to clean up (the controller programs nothing yet)');
    },
  };
}
