// A tiny traffic tool for the services kernel tier, run inside namespaces:
//   probe.ts serve NAME PORT[,PORT...]        TCP and UDP on each port; every
//                                             connection or datagram is answered
//                                             with "NAME PEER-ADDRESS" (prints "ready")
//   probe.ts connect tcp|udp HOST PORT COUNT [SPORT]
//                                             COUNT fresh connections (new source
//                                             ports, or UDP from SPORT), one result
//                                             per line: the answer, or
//                                             refused | timeout | <code>
import { connect, createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

const [mode, ...rest] = process.argv.slice(2);
const TIMEOUT_MS = 1500;

function serve(name: string, ports: number[]): void {
  let pending = ports.length * 2;
  const up = (): void => {
    pending -= 1;
    if (pending === 0) console.log('ready');
  };
  for (const port of ports) {
    createServer((s) => {
      s.on('error', () => undefined);
      s.end(`${name} ${(s.remoteAddress ?? '').replace(/^::ffff:/, '')}`);
    }).listen(port, '::', up);
    const u = createSocket({ type: 'udp6', ipv6Only: false });
    u.on('message', (_msg, from) => u.send(`${name} ${from.address.replace(/^::ffff:/, '')}`, from.port, from.address));
    u.bind(port, '::', up);
  }
}

function once(proto: string, host: string, port: number, sport: number): Promise<string> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => done('timeout'), TIMEOUT_MS);
    if (proto === 'tcp') {
      const s = connect({ host, port });
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString('utf8')));
      s.on('end', () => {
        done(got === '' ? 'empty' : got);
        s.destroy();
      });
      s.on('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET' ? 'refused' : (e.code ?? 'error')));
      return;
    }
    const u = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    u.on('message', (msg) => {
      done(msg.toString('utf8'));
      u.close();
    });
    u.on('error', (e: NodeJS.ErrnoException) => {
      done(e.code === 'ECONNREFUSED' ? 'refused' : (e.code ?? 'error'));
      u.close();
    });
    const go = (): void => u.connect(port, host, () => u.send('ping'));
    if (sport > 0) u.bind(sport, go);
    else go();
  });
}

async function probe(proto: string, host: string, port: number, count: number, sport: number): Promise<void> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(await once(proto, host, port, sport));
  console.log(out.join('\n'));
  process.exit(0);
}

if (mode === 'serve') serve(rest[0] ?? 'server', (rest[1] ?? '').split(',').map(Number));
else if (mode === 'connect') void probe(rest[0] ?? 'tcp', rest[1] ?? '127.0.0.1', Number(rest[2]), Number(rest[3] ?? 1), Number(rest[4] ?? 0));
else {
  console.error('usage: probe.ts serve NAME PORTS | connect tcp|udp HOST PORT COUNT [SPORT]');
  process.exitCode = 2;
}
