// The probe process of the NetworkPolicy matrix (probe.ts starts one per
// client pod, inside the pod's network namespace, with `ip netns exec`). It
// reads one JSON request per stdin line, {id, timeoutMs, probes: [{ip, port,
// proto}]}, runs the probes in parallel and writes {id, results} on one stdout
// line: per probe the first line the server answered (the lab's pod servers
// answer their pod's name), or `!<reason>` (refused, timeout, unreachable...).
// TCP: connect + read until close. UDP: a connected socket sends a datagram
// (again after a third of the timeout) and waits for the reply; an ICMP port
// unreachable (REJECT) surfaces as ECONNREFUSED. No RFCs.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

interface Probe {
  readonly ip: string;
  readonly port: number;
  readonly proto: 'TCP' | 'UDP';
}

function reason(e: unknown): string {
  const code = (e as { code?: string }).code;
  return `!${code === 'ECONNREFUSED' ? 'refused' : code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'unreachable' : (code ?? 'error')}`;
}

function tcp(p: Probe, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = connect({ host: p.ip, port: p.port });
    const done = (v: string): void => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done('!timeout'), timeoutMs);
    s.on('data', (b: Buffer) => chunks.push(b));
    s.on('end', () => done(Buffer.concat(chunks).toString('utf8').split('\n')[0] ?? ''));
    s.on('error', (e) => done(reason(e)));
  });
}

function udp(p: Probe, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const s = createSocket(p.ip.includes(':') ? 'udp6' : 'udp4');
    let again: NodeJS.Timeout | undefined;
    const done = (v: string): void => {
      clearTimeout(t);
      clearTimeout(again);
      try {
        s.close();
      } catch {
        // already closed
      }
      resolve(v);
    };
    const t = setTimeout(() => done('!timeout'), timeoutMs);
    s.on('message', (m: Buffer) => done(m.toString('utf8').split('\n')[0] ?? ''));
    s.on('error', (e) => done(reason(e)));
    const send = (): void => s.send('probe', (e) => (e !== null && e !== undefined ? done(reason(e)) : undefined));
    s.connect(p.port, p.ip, () => {
      send();
      again = setTimeout(send, Math.floor(timeoutMs / 3));
    });
  });
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const req = JSON.parse(line) as { id: number; timeoutMs: number; probes: Probe[] };
  void Promise.all(req.probes.map((p) => (p.proto === 'UDP' ? udp(p, req.timeoutMs) : tcp(p, req.timeoutMs)))).then((results) => {
    process.stdout.write(`${JSON.stringify({ id: req.id, results })}\n`);
  });
});
rl.on('close', () => process.exit(0));
