// The health and metrics HTTP endpoints (kube-router's --health-* and
// --metrics-* flags): GET /healthz answers 200 "OK" or 500 "Unhealthy" with
// the failing controllers named; /healthz?verbose (or Accept: application/json)
// gives per-controller status as JSON; the metrics path serves Prometheus text.
// When both ports are the same, one server serves both.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthSource {
  health(): { healthy: boolean; controllers: readonly { name: string; healthy: boolean; reason: string; status?: unknown }[] };
  caches?(): unknown;
}

export interface ObsServerOptions {
  readonly healthAddr: string;
  readonly healthPort: number;
  readonly metricsAddr: string;
  readonly metricsPort: number;
  readonly metricsPath: string;
}

export interface ObsServers {
  readonly healthUrl: string | null;
  readonly metricsUrl: string | null;
  close(): Promise<void>;
}

function handler(source: HealthSource, registry: Registry, serveHealth: boolean, metricsPath: string | null): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    void (async () => {
      try {
        if (serveHealth && (url.pathname === '/healthz' || url.pathname === '/livez' || url.pathname === '/readyz')) {
          const h = source.health();
          const json = url.searchParams.has('verbose') || (req.headers.accept ?? '').includes('application/json');
          res.statusCode = h.healthy ? 200 : 500;
          if (json) {
            res.setHeader('Content-Type', 'application/json');
            res.end(JSON.stringify({ healthy: h.healthy, controllers: h.controllers, caches: source.caches?.() ?? [] }, null, 2));
          } else {
            res.setHeader('Content-Type', 'text/plain');
            const bad = h.controllers.filter((c) => !c.healthy).map((c) => `${c.name}: ${c.reason}`);
            res.end(h.healthy ? 'OK\n' : `Unhealthy\n${bad.join('\n')}\n`);
          }
          return;
        }
        if (metricsPath !== null && url.pathname === metricsPath) {
          res.setHeader('Content-Type', registry.contentType);
          res.end(await registry.metrics());
          return;
        }
        res.statusCode = 404;
        res.end('not found\n');
      } catch (err) {
        res.statusCode = 500;
        res.end(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    })();
  };
}

function listen(server: http.Server, addr: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, addr === '' ? undefined : addr, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      resolve(`http://${host}:${a.port}`);
    });
  });
}

/** Starts the health and metrics listeners the flags ask for. */
export async function startObsServers(opts: ObsServerOptions, source: HealthSource, registry: Registry): Promise<ObsServers> {
  const servers: http.Server[] = [];
  const metricsOn = opts.metricsPort >= 1 && opts.metricsPort <= 65534;
  const shared = metricsOn && opts.healthPort !== 0 && opts.metricsPort === opts.healthPort && opts.metricsAddr === opts.healthAddr;
  let healthUrl: string | null = null;
  let metricsUrl: string | null = null;
  if (opts.healthPort !== 0) {
    const s = http.createServer(handler(source, registry, true, shared ? opts.metricsPath : null));
    servers.push(s);
    healthUrl = `${await listen(s, opts.healthAddr, opts.healthPort)}/healthz`;
    if (shared) metricsUrl = healthUrl.replace(/\/healthz$/, opts.metricsPath);
  }
  if (metricsOn && !shared) {
    const s = http.createServer(handler(source, registry, false, opts.metricsPath));
    servers.push(s);
    metricsUrl = `${await listen(s, opts.metricsAddr, opts.metricsPort)}${opts.metricsPath}`;
  }
  return {
    healthUrl,
    metricsUrl,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((r) => {
        s.closeAllConnections();
        s.close(() => r());
      })));
    },
  };
}
