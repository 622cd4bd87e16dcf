// Client side of the management API: one JSON request over the unix socket.
import http from 'node:http';

export const defaultSocket = '/run/podnet/podnetd.sock';

export class ApiClientError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function apiRequest(socketPath: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, headers: { 'Content-Type': 'application/json' }, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let value: unknown;
        try {
          value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return reject(new ApiClientError(res.statusCode ?? 0, 'the agent answered with something that is not JSON'));
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(value);
        else reject(new ApiClientError(status, (value as { error?: string }).error ?? `HTTP ${status}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${socketPath} in 30 s`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        reject(new ApiClientError(0, `cannot reach podnetd at ${socketPath} (${err.code}): is it running? (--socket sets the path)`));
      } else if (err.code === 'EACCES') {
        reject(new ApiClientError(0, `permission denied on ${socketPath}: the management API is root only`));
      } else reject(err);
    });
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}
