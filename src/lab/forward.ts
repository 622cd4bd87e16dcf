// A byte-for-byte stream forwarder between a TCP address and a unix socket.
// The lab's API server is reachable from inside node namespaces this way:
// unix sockets are filesystem objects, visible across network namespaces, so
// the supervisor serves the API server on a unix socket in the state dir and
// each node namespace runs this forwarder on 127.0.0.1:6443 towards it.
//   node src/lab/forward.ts --listen tcp:127.0.0.1:6443 --to unix:/run/podnet-lab/lab/apiserver.sock
import { rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { parseArgs } from 'node:util';

export type Endpoint = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

/** Parses `tcp:HOST:PORT` or `unix:PATH`. */
export function parseEndpoint(s: string): Endpoint {
  if (s.startsWith('unix:') && s.length > 5) return { kind: 'unix', path: s.slice(5) };
  const m = /^tcp:(.+):(\d+)$/.exec(s);
  if (m !== null && Number(m[2]) < 65536) return { kind: 'tcp', host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  throw new Error(`bad endpoint "${s}": expected tcp:HOST:PORT or unix:PATH`);
}

function dial(to: Endpoint): Socket {
  return to.kind === 'unix' ? connect({ path: to.path }) : connect({ host: to.host, port: to.port });
}

export interface Forwarder {
  readonly server: Server;
  /** Stops listening and drops every open connection (both directions). */
  close(): void;
}

/** Listens on `listen` and pipes each connection to a new connection to `to`; resolves once listening. */
export async function startForwarder(listen: Endpoint, to: Endpoint): Promise<Forwarder> {
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = dial(to);
    open.add(client);
    client.once('close', () => open.delete(client));
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    // either side gone (closed, destroyed): the other goes too
    client.once('close', drop);
    upstream.once('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  if (listen.kind === 'unix') rmSync(listen.path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const onListening = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (listen.kind === 'unix') server.listen(listen.path, onListening);
    else server.listen(listen.port, listen.host, onListening);
  });
  return {
    server,
    close: () => {
      server.close();
      for (const c of open) c.destroy();
    },
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { listen: { type: 'string' }, to: { type: 'string' } } });
  const fwd = await startForwarder(parseEndpoint(values.listen ?? ''), parseEndpoint(values.to ?? ''));
  process.stdout.write(`forwarding ${values.listen ?? ''} -> ${values.to ?? ''}\n`);
  const stop = (): void => fwd.close();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
