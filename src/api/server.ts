// The local management API: HTTP with JSON bodies on a unix socket that only
// root can open (socket 0600 in a 0700 directory). The podnet CLI is its
// client. Handlers are registered by path; the agent serves controller and
// cache status, and the BGP speaker registers its views here.
import { chmodSync, mkdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { dirname } from 'node:path';

export type ApiHandler = (query: URLSearchParams, body: unknown) => unknown;

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface MgmtApi {
  readonly socketPath: string;
  handle(method: 'GET' | 'POST', path: string, h: ApiHandler): void;
  close(): Promise<void>;
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1 << 20) reject(new ApiError(413, 'request body over 1 MiB'));
      else chunks.push(c);
    });
    req.on('end', () => {
      if (chunks.length === 0) return resolve(undefined);
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new ApiError(400, 'request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

/** Listens on `socketPath` (replacing a stale socket) with root-only permissions. */
export async function startMgmtApi(socketPath: string): Promise<MgmtApi> {
  const routes = new Map<string, ApiHandler>();
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
  try {
    if (statSync(socketPath).isSocket()) rmSync(socketPath);
  } catch {
    // no stale socket
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://podnetd');
    const h = routes.get(`${req.method ?? 'GET'} ${url.pathname}`);
    const reply = (status: number, value: unknown): void => {
      res.statusCode = status;
      res.setHeader('Content-Type', 'application/json');
      res.end(`${JSON.stringify(value)}\n`);
    };
    if (h === undefined) return reply(404, { error: `no such endpoint: ${req.method ?? ''} ${url.pathname}` });
    readBody(req)
      .then((body) => h(url.searchParams, body))
      .then(
        (v) => reply(200, v),
        (err: unknown) => reply(err instanceof ApiError ? err.status : 500, { error: err instanceof Error ? err.message : String(err) }),
      );
  });
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(socketPath, 0o600);
  return {
    socketPath,
    handle: (method, path, h) => void routes.set(`${method} ${path}`, h),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(socketPath, { force: true });
          resolve();
        });
      }),
  };
}
