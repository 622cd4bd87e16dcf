// A tiny traffic tool for the firewall kernel tier, run inside namespaces:
//   probe.ts serve <port,...>            TCP and UDP echo on every port (prints "ready")
//   probe.ts connect tcp|udp HOST PORT   prints ok | refused | timeout | <error code>
// Replies must come back for "ok", so a pass proves both directions.
import { createServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';

const [mode, ...rest] = process.argv.slice(2);
const TIMEOUT_MS = 1500;

function serve(ports: number[]): void {
  let pending = ports.length * 3;
  const up = (): void => {
    pending -= 1;
    if (pending === 0) console.log('ready');
  };
  for (const port of ports) {
    // '::' takes IPv4 and IPv6 connections (bindv6only is 0 by default).
    createServer((s) => {
      s.on('data', (d) => s.end(d));
      s.on('error', () => undefined);
    }).listen(port, '::', up);
    for (const [type, addr] of [['udp4', '0.0.0.0'], ['udp6', '::']] as const) {
      const u = createSocket({ type, ipv6Only: type === 'udp6' });
      u.on('message', (msg, from) => u.send(msg, from.port, from.address));
      u.bind(port, addr, up);
    }
  }
}

function done(result: string): never {
  console.log(result);
  process.exit(0);
}

function probe(proto: string, host: string, port: number): void {
  const timer = setTimeout(() => done('timeout'), TIMEOUT_MS);
  timer.unref();
  if (proto === 'tcp') {
    const s = connect({ host, port });
    s.on('connect', () => s.write('ping'));
    s.on('data', () => done('ok'));
    s.on('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'refused' : (e.code ?? 'error')));
    return;
  }
  const u = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  u.on('message', () => done('ok'));
  u.on('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'refused' : (e.code ?? 'error')));
  u.connect(port, host, () => u.send('ping'));
}

if (mode === 'serve') serve((rest[0] ?? '').split(',').map(Number));
else if (mode === 'connect') probe(rest[0] ?? 'tcp', rest[1] ?? '127.0.0.1', Number(rest[2]));
else {
  console.error('usage: probe.ts serve PORTS | connect tcp|udp HOST PORT');
  process.exitCode = 2;
}
