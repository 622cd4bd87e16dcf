// healthCheckNodePort servers for externalTrafficPolicy Local services, the
// way kube-proxy answers them (pkg/proxy/healthcheck/service_health.go): any
// GET gets JSON {service: {namespace, name}, localEndpoints, serviceProxyHealthy}
// with 200 when this node has a local endpoint, else 503, so an external load
// balancer sends traffic only to nodes that can serve it locally. One HTTP
// server per port; `sync` opens, updates and closes them to match the model.
// No RFCs beyond HTTP/1.1 (RFC 9110 status codes 200 and 503).
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { ServicesModel } from './model.ts';

export interface HealthTarget {
  readonly namespace: string;
  readonly name: string;
  readonly localEndpoints: number;
}

/** Desired servers by port, from the model (one per service, counting local ready endpoints of all its ports). */
export function healthTargets(model: ServicesModel): Map<number, HealthTarget> {
  const out = new Map<number, HealthTarget>();
  const counted = new Map<number, Set<string>>();
  for (const p of model.ports) {
    if (p.healthCheckNodePort === null) continue;
    const seen = counted.get(p.healthCheckNodePort) ?? new Set<string>();
    counted.set(p.healthCheckNodePort, seen);
    // kube-proxy counts ready local endpoints, not terminating ones
    for (const b of p.localBackends) if (!b.terminating) seen.add(b.ip);
    out.set(p.healthCheckNodePort, { namespace: p.namespace, name: p.name, localEndpoints: seen.size });
  }
  return out;
}

export class HealthServers {
  private readonly servers = new Map<number, { server: Server; target: HealthTarget }>();
  private readonly host: string | undefined;
  private healthy = true;

  /** `host`: listen address (default: every address, as kube-proxy). */
  constructor(opts: { host?: string } = {}) {
    this.host = opts.host;
  }

  /** Whether the proxy itself is healthy (reported as serviceProxyHealthy; unhealthy answers 503). */
  setProxyHealthy(ok: boolean): void {
    this.healthy = ok;
  }

  ports(): number[] {
    return [...this.servers.keys()].sort((a, b) => a - b);
  }

  /** Opens, updates and closes servers to match `targets`. Returns ports that failed to listen. */
  async sync(targets: ReadonlyMap<number, HealthTarget>): Promise<{ port: number; error: string }[]> {
    const failed: { port: number; error: string }[] = [];
    for (const [port, entry] of this.servers) {
      if (!targets.has(port)) {
        this.servers.delete(port);
        await new Promise<void>((resolve) => entry.server.close(() => resolve()));
      }
    }
    for (const [port, target] of targets) {
      const entry = this.servers.get(port);
      if (entry !== undefined) {
        entry.target = target;
        continue;
      }
      const slot = { server: createServer(), target };
      slot.server.on('request', (req, res) => {
        const t = slot.target;
        const ok = t.localEndpoints > 0 && this.healthy;
        const body = JSON.stringify({ service: { namespace: t.namespace, name: t.name }, localEndpoints: t.localEndpoints, serviceProxyHealthy: this.healthy });
        res.writeHead(ok ? 200 : 503, {
          'Content-Type': 'application/json',
          'X-Content-Type-Options': 'nosniff',
          'X-Load-Balancing-Endpoint-Weight': String(t.localEndpoints),
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      });
      try {
        await new Promise<void>((resolve, reject) => {
          slot.server.once('error', reject);
          slot.server.listen(port, this.host, () => {
            slot.server.off('error', reject);
            resolve();
          });
        });
        this.servers.set(port, slot);
      } catch (e: unknown) {
        failed.push({ port, error: e instanceof Error ? e.message : String(e) });
      }
    }
    return failed;
  }

  async close(): Promise<void> {
    await this.sync(new Map());
  }
}
