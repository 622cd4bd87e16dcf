// A lab pod's "containers": one small process per pod, run inside the pod's
// network namespace, listening on every declared containerPort and answering
// with the pod's name. TCP: writes "<name>\n" and closes. UDP: replies
// "<name>\n" to each datagram. SCTP: Node has no SCTP sockets, so it is served
// by python3's socket module (IPPROTO_SCTP, one-to-one style) when the kernel
// has SCTP (/proc/net/sctp); otherwise the port is reported unsupported.
// Writes the --ready file once every listener is up (the kubelet waits on it).
//   node src/lab/podserver.ts --name POD --ready FILE [--tcp 80,8080] [--udp 53] [--sctp 9]
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { name: { type: 'string' }, ready: { type: 'string' }, tcp: { type: 'string' }, udp: { type: 'string' }, sctp: { type: 'string' } },
});
const name = values.name ?? 'pod';
const answer = Buffer.from(`${name}\n`);
const closers: (() => void)[] = [];
const ports = (s: string | undefined): number[] => (s === undefined || s === '' ? [] : s.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0 && n < 65536));

function listenTcp(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer((sock) => {
      sock.on('error', () => undefined);
      sock.end(answer);
    });
    srv.once('error', reject);
    closers.push(() => srv.close());
    // '::' with ipv6Only false serves IPv4 too (dual stack)
    srv.listen({ port, host: '::', ipv6Only: false }, () => resolve());
  });
}

function listenUdp(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = createSocket({ type: 'udp6', ipv6Only: false });
    sock.on('message', (_msg, rinfo) => sock.send(answer, rinfo.port, rinfo.address));
    sock.once('error', reject);
    closers.push(() => sock.close());
    sock.bind(port, '::', () => resolve());
  });
}

const sctpScript = `
import socket, sys, threading
name = sys.argv[1].encode() + b"\\n"
def serve(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port)); s.listen(16)
    while True:
        c, _ = s.accept()
        try: c.send(name)
        finally: c.close()
for p in sys.argv[2:]:
    threading.Thread(target=serve, args=(int(p),), daemon=True).start()
print("sctp listening", flush=True)
threading.Event().wait()
`;

function listenSctp(list: number[]): Promise<string> {
  if (list.length === 0) return Promise.resolve('');
  if (!existsSync('/proc/net/sctp')) return Promise.resolve(`sctp ${list.join(',')}: unsupported (this kernel has no SCTP)`);
  return new Promise((resolve) => {
    const py = spawn('python3', ['-c', sctpScript, name, ...list.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
    py.once('error', (e) => resolve(`sctp: python3 unavailable: ${e.message}`));
    py.stdout.once('data', () => resolve(`sctp ${list.join(',')}: listening`));
    py.once('exit', (code) => resolve(`sctp: python3 exited ${String(code)}`));
    closers.push(() => py.kill());
  });
}

const tcp = ports(values.tcp);
const udp = ports(values.udp);
await Promise.all([...tcp.map(listenTcp), ...udp.map(listenUdp)]);
const sctpNote = await listenSctp(ports(values.sctp));
const report = { name, tcp, udp, sctp: sctpNote };
process.stdout.write(`podserver ready ${JSON.stringify(report)}\n`);
if (values.ready !== undefined) writeFileSync(values.ready, `${JSON.stringify(report)}\n`);
// SIGTERM closes every listener; the process then ends on its own.
const stop = (): void => {
  for (const c of closers) c();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
