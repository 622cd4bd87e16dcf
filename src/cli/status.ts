// `podnet status` as a table for humans.
import { table } from './table.ts';

export interface AgentStatus {
  readonly node: string;
  readonly version: string;
  readonly started: boolean;
  readonly health: {
    readonly healthy: boolean;
    readonly controllers: readonly {
      name: string;
      healthy: boolean;
      reason: string;
      status: { state: string; syncs: number; failures: number; restarts: number; lastSyncMs: number | null; lastSuccessWall: number | null };
    }[];
  };
  readonly caches: readonly { resource: string; synced: boolean; objects: number; resourceVersion: string; lastHeardAgoMs: number | null }[];
}

function ago(wall: number | null): string {
  if (wall === null) return 'never';
  const s = Math.max(0, Math.round((Date.now() - wall) / 1000));
  return s < 120 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
}

export function renderStatus(st: AgentStatus): string {
  const head = `podnetd ${st.version} on node ${st.node}: ${st.health.healthy ? 'healthy' : 'UNHEALTHY'}${st.started ? '' : ' (waiting for caches)'}\n\n`;
  const ctl = table(
    ['CONTROLLER', 'HEALTHY', 'STATE', 'SYNCS', 'FAILURES', 'RESTARTS', 'LAST SYNC', 'LAST OK', 'REASON'],
    st.health.controllers.map((c) => [
      c.name,
      c.healthy ? 'yes' : 'no',
      c.status.state,
      String(c.status.syncs),
      String(c.status.failures),
      String(c.status.restarts),
      c.status.lastSyncMs === null ? '-' : `${c.status.lastSyncMs.toFixed(1)}ms`,
      ago(c.status.lastSuccessWall),
      c.reason,
    ]),
  );
  const caches = table(
    ['CACHE', 'SYNCED', 'OBJECTS', 'RESOURCE VERSION', 'LAST HEARD'],
    st.caches.map((c) => [c.resource, c.synced ? 'yes' : 'no', String(c.objects), c.resourceVersion, c.lastHeardAgoMs === null ? 'never' : `${Math.round(c.lastHeardAgoMs / 1000)}s ago`]),
  );
  return `${head}${ctl}\n${caches}`;
}
