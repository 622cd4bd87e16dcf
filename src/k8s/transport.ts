// How the caches reach the API server: a KubeConfig (client-node) from
// --kubeconfig, --master or the in-cluster service account, whose credentials
// and TLS settings sign every request; JSON lists and streamed watches over
// http(s). The watch stream is ours rather than client-node's Watch because
// the caches need to know when a watch is open (a silent but open watch is
// the API server being alive) and to set the idle limit themselves; client-node's
// Watch cuts any watch after 30 s without a line and cannot say it connected.
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { KubeConfig } from '@kubernetes/client-node';

export interface ApiError extends Error {
  readonly statusCode: number;
  readonly reason: string;
}

export function apiError(statusCode: number, reason: string, message: string): ApiError {
  return Object.assign(new Error(message), { statusCode, reason });
}

export function statusCodeOf(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'statusCode' in err && typeof err.statusCode === 'number') return err.statusCode;
  return undefined;
}

export function loadKubeConfig(opts: { kubeconfig: string; master: string }): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig !== '') kc.loadFromFile(opts.kubeconfig);
  else if (opts.master !== '') kc.loadFromClusterAndUser({ name: 'master', server: opts.master, skipTLSVerify: false }, { name: 'anonymous' });
  else kc.loadFromCluster();
  if (opts.master !== '' && opts.kubeconfig !== '') {
    const cluster = kc.getCurrentCluster();
    const user = kc.getCurrentUser();
    if (cluster !== null && user !== null) kc.loadFromClusterAndUser({ ...cluster, server: opts.master }, user);
  }
  return kc;
}

export interface WatchEvent {
  readonly type: string;
  readonly object: unknown;
}

export interface WatchHandlers {
  /** The server accepted the watch (HTTP 200). */
  onOpen(): void;
  onEvent(e: WatchEvent): void;
  /** The watch ended: null when the server closed it normally. Called once. */
  onDone(err: unknown): void;
}

export interface Transport {
  /** GET a JSON document; rejects with an ApiError on a non-2xx answer. */
  getJson(path: string, query: Record<string, string>, signal?: AbortSignal): Promise<unknown>;
  /** Opens a watch; ends by itself after `idleMs` without a byte. Returns its abort. */
  watch(path: string, query: Record<string, string>, idleMs: number, h: WatchHandlers): () => void;
}

export class KubeTransport implements Transport {
  private readonly kc: KubeConfig;

  constructor(kc: KubeConfig) {
    this.kc = kc;
  }

  private async request(path: string, query: Record<string, string>): Promise<{ url: URL; opts: https.RequestOptions; mod: typeof http | typeof https }> {
    const cluster = this.kc.getCurrentCluster();
    if (cluster === null) throw new Error('kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const opts: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
    await this.kc.applyToHTTPSOptions(opts);
    return { url, opts, mod: url.protocol === 'https:' ? https : http };
  }

  async getJson(path: string, query: Record<string, string>, signal?: AbortSignal): Promise<unknown> {
    const { url, opts, mod } = await this.request(path, query);
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { ...opts, ...(signal ? { signal } : {}), timeout: 60_000 }, (res) => {
        res.on('error', reject);
        readBody(res, (text, body) => {
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300 && body !== undefined) resolve(body);
          else reject(errorFromBody(code, body, `GET ${path}`, text));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
      req.on('error', reject);
      req.end();
    });
  }

  watch(path: string, query: Record<string, string>, idleMs: number, h: WatchHandlers): () => void {
    let finished = false;
    let req: http.ClientRequest | null = null;
    let aborted = false;
    const finish = (err: unknown): void => {
      if (finished) return;
      finished = true;
      req?.destroy();
      h.onDone(err);
    };
    void this.request(path, { ...query, watch: 'true' }).then(
      ({ url, opts, mod }) => {
        if (aborted) return finish(null);
        req = mod.request(url, { ...opts, timeout: idleMs }, (res) => {
          const code = res.statusCode ?? 0;
          if (code !== 200) {
            readBody(res, (text, body) => finish(errorFromBody(code, body, `watch ${path}`, text)));
            return;
          }
          h.onOpen();
          const lines = createInterface({ input: res, crlfDelay: Infinity });
          // readline re-emits the stream's errors (e.g. 'aborted' when we cut the watch).
          lines.on('error', (err) => finish(aborted ? null : err));
          lines.on('line', (line) => {
            if (finished || line.trim() === '') return;
            let e: WatchEvent;
            try {
              e = JSON.parse(line) as WatchEvent;
            } catch {
              return finish(new Error(`watch ${path}: undecodable event ${line.slice(0, 100)}`));
            }
            h.onEvent(e);
          });
          res.on('error', (err) => finish(aborted ? null : err));
          res.on('end', () => finish(null));
          res.on('close', () => finish(null));
        });
        req.on('timeout', () => req?.destroy(new Error(`watch ${path}: no data for ${idleMs} ms`)));
        req.on('error', (err) => finish(aborted ? null : err));
        req.end();
      },
      (err: unknown) => finish(err),
    );
    return () => {
      aborted = true;
      finish(null);
    };
  }
}

/** Collects a response body; `body` is its JSON, or undefined when it is not JSON. */
function readBody(res: http.IncomingMessage, done: (text: string, body: unknown) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    done(text, body);
  });
}

function errorFromBody(code: number, body: unknown, what: string, text: string): ApiError {
  const st = (typeof body === 'object' && body !== null ? body : {}) as { reason?: string; message?: string };
  return apiError(code, st.reason ?? 'Unknown', `${what}: ${code} ${st.message ?? text.slice(0, 200)}`);
}
