// The routes controller's contract stub. It takes part in the runtime (runs,
// is supervised, syncs on events and periodically, reports health) but
// programs nothing yet: its desired/apply parts land with issue #5.
import type { Controller, ControllerContext, SyncKind, SyncReport } from '../src/runtime/controller.ts';
import type { Logger } from '../src/obs/log.ts';
import type { ResourceName } from '../src/k8s/resources.ts';

export interface RoutesControllerOptions {
  readonly syncPeriodMs: number;
}

export const routesWatches: readonly ResourceName[] = ['nodes', 'services', 'endpointslices'];

export function createRoutesController(opts: RoutesControllerOptions): Controller {
  return {
    name: 'routes',
    syncPeriodMs: opts.syncPeriodMs,
    watches: routesWatches,
    async run(ctx: ControllerContext): Promise<void> {
      ctx.log.warn('the routes controller is a contract stub until issue #5 lands: it syncs but programs nothing');
    },
    onUpdate(): SyncKind {
      return 'incremental';
    },
    async sync(): Promise<SyncReport> {
      return { programmed: 0, changed: 0 };
    },
    async stop(): Promise<void> {},
    async cleanup(log: Logger): Promise<void> {
      log.info('routes: nothing to clean up (the controller programs nothing yet)');
    },
  };
}
