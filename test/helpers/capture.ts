// A minimal passive BGP listener that records the raw byte stream a real
// daemon sends, for the codec's golden tests. It answers with a hand-written
// OPEN (RFC 4271 §4.2; capabilities RFC 5492: multiprotocol RFC 4760,
// route refresh RFC 2918, graceful restart RFC 4724, 4-octet AS RFC 6793) and KEEPALIVEs (§4.4), never
// parses more than the 19-byte header (§4.1), and marks End-of-RIB markers
// (RFC 4724 §2) in its index. It deliberately does not import bgp/.
//
// CLI (inside a namespace):
//   ip netns exec NS node test/helpers/capture.ts --listen ADDR --asn N \
//     --router-id A.B.C.D --out FILE.bin [--port 179] [--hold 90] [--families ipv4,ipv6]
//     [--connect PEER]
// It prints one JSON line per event ({"event":"listening"|"connected"|
// "message"|"closed"}) on stdout, appends every received chunk to FILE.bin as
// it arrives, and exits on SIGTERM or when the peer closes the connection.
// With --connect it dials PEER instead of listening (a hand-written active
// peer). Hex lines appended to FILE.bin.send are written to the peer as they
// are: arbitrary raw, even malformed, messages for error-handling tests.
// From a test, `startCapture(ns, opts)` runs it in a namespace and follows
// it; `CaptureRun.send(bytes)` injects raw bytes.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { waitFor } from './netns.ts';
import type { Netns, NsProcess } from './netns.ts';

export type CaptureFamily = 'ipv4' | 'ipv6';

export interface CaptureOptions {
  readonly listen: string;
  readonly port?: number;
  readonly asn: number;
  readonly routerId: string;
  readonly holdTime?: number;
  readonly families?: readonly CaptureFamily[];
  readonly out: string;
  /** Dial this address (port `port`) instead of listening: a hand-written active peer. */
  readonly connect?: string;
}

const TYPE_NAMES = ['', 'OPEN', 'UPDATE', 'NOTIFICATION', 'KEEPALIVE', 'ROUTE-REFRESH'] as const;

export interface CapturedMessage {
  readonly offset: number;
  readonly length: number;
  readonly type: number;
  readonly typeName: string;
  /** Milliseconds since the TCP connection was accepted. */
  readonly tMs: number;
  /** "End-of-RIB ipv4" / "End-of-RIB ipv6" (RFC 4724 §2), when the UPDATE is one. */
  readonly note?: string;
}

export type CaptureEvent =
  | { readonly event: 'listening'; readonly address: string; readonly port: number }
  | { readonly event: 'connected'; readonly remote: string }
  | ({ readonly event: 'message' } & CapturedMessage)
  | { readonly event: 'closed'; readonly bytes: number };

function header(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(19, 0xff); // marker: all ones (§4.1)
  h.writeUInt16BE(19 + body.length, 16);
  h.writeUInt8(type, 18);
  return Buffer.concat([h, body]);
}

const AFI_SAFI: Record<CaptureFamily, [number, number]> = { ipv4: [1, 1], ipv6: [2, 1] };

/** Our OPEN: version 4, AS_TRANS when the ASN needs 4 octets (RFC 6793 §4.1), one capability per optional parameter. */
export function buildOpen(asn: number, holdTime: number, routerId: string, families: readonly CaptureFamily[]): Buffer {
  const caps: Buffer[] = [];
  for (const f of families) {
    const [afi, safi] = AFI_SAFI[f];
    caps.push(Buffer.from([1, 4, afi >> 8, afi & 0xff, 0, safi])); // Multiprotocol (RFC 4760 §8)
  }
  caps.push(Buffer.from([2, 0])); // Route Refresh (RFC 2918)
  // Graceful Restart (RFC 4724 §3), restart time 120 s, each family without
  // forwarding state: FRR sends End-of-RIB only to a peer that advertises it.
  const gr = [64, 2 + 4 * families.length, 0x00, 120];
  for (const f of families) gr.push(0, AFI_SAFI[f][0], AFI_SAFI[f][1], 0);
  caps.push(Buffer.from(gr));
  const as4 = Buffer.alloc(6);
  as4.writeUInt8(65, 0); // 4-octet AS (RFC 6793 §3)
  as4.writeUInt8(4, 1);
  as4.writeUInt32BE(asn, 2);
  caps.push(as4);
  const params = Buffer.concat(caps.map((c) => Buffer.concat([Buffer.from([2, c.length]), c])));
  const body = Buffer.alloc(10);
  body.writeUInt8(4, 0);
  body.writeUInt16BE(asn > 0xffff ? 23456 : asn, 1);
  body.writeUInt16BE(holdTime, 3);
  routerId.split('.').forEach((o, i) => body.writeUInt8(Number(o), 5 + i));
  body.writeUInt8(params.length, 9);
  return header(1, Buffer.concat([body, params]));
}

export const KEEPALIVE = header(4, Buffer.alloc(0));

/** "End-of-RIB <family>" if `msg` (a whole UPDATE) is an End-of-RIB marker (RFC 4724 §2), else undefined. */
export function endOfRib(msg: Buffer): string | undefined {
  if (msg.readUInt8(18) !== 2) return undefined;
  if (msg.length === 23 && msg.readUInt32BE(19) === 0) return 'End-of-RIB ipv4';
  if (msg.readUInt16BE(19) !== 0) return undefined;
  const attrLen = msg.readUInt16BE(21);
  const a = msg.subarray(23);
  if (a.length !== attrLen || attrLen < 6) return undefined;
  const ext = (a.readUInt8(0) & 0x10) !== 0;
  const type = a.readUInt8(1);
  const len = ext ? a.readUInt16BE(2) : a.readUInt8(2);
  const start = ext ? 4 : 3;
  if (type !== 15 || len !== 3 || start + len !== attrLen) return undefined; // MP_UNREACH_NLRI, no NLRI
  const afi = a.readUInt16BE(start);
  const safi = a.readUInt8(start + 2);
  const fam = afi === 1 && safi === 1 ? 'ipv4' : afi === 2 && safi === 1 ? 'ipv6' : `afi ${afi} safi ${safi}`;
  return `End-of-RIB ${fam}`;
}

/** Splits a recorded stream into messages by the header's length field (§4.1). */
export function splitMessages(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off + 19 <= stream.length) {
    const len = stream.readUInt16BE(off + 16);
    if (len < 19 || off + len > stream.length) break;
    out.push(stream.subarray(off, off + len));
    off += len;
  }
  return out;
}

/**
 * Runs one BGP session in this process until SIGTERM or the peer closes:
 * passive (listen on `listen`) or, with `connect`, active (dial it from
 * `listen`). Received bytes go to `out`; hex lines appended to `<out>.send`
 * are written to the socket verbatim (raw messages for malformed-input tests).
 */
export function listen(opts: CaptureOptions, emit: (e: CaptureEvent) => void = (e) => console.log(JSON.stringify(e))): Promise<void> {
  const hold = opts.holdTime ?? 90;
  const families = opts.families ?? ['ipv4', 'ipv6'];
  const port = opts.port ?? 179;
  writeFileSync(opts.out, Buffer.alloc(0));
  writeFileSync(sendFileOf(opts.out), '');
  return new Promise((resolve, reject) => {
    let active: net.Socket | undefined;
    let server: net.Server | undefined;
    let keepalive: NodeJS.Timeout | undefined;
    let sender: NodeJS.Timeout | undefined;
    const session = (sock: net.Socket): void => {
      if (active !== undefined) {
        sock.destroy(); // one session only: a second connection is not recorded
        return;
      }
      active = sock;
      const t0 = Date.now();
      let pending = Buffer.alloc(0);
      let total = 0;
      let sent = 0;
      emit({ event: 'connected', remote: `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? 0}` });
      sock.write(buildOpen(opts.asn, hold, opts.routerId, families));
      sender = setInterval(() => {
        const text = readFileSync(sendFileOf(opts.out), 'utf8');
        const end = text.lastIndexOf('\n') + 1;
        if (end <= sent) return;
        for (const line of text.slice(sent, end).split('\n')) if (line.trim() !== '') sock.write(Buffer.from(line.trim(), 'hex'));
        sent = end;
      }, 20);
      sock.on('data', (chunk: Buffer) => {
        appendFileSync(opts.out, chunk);
        pending = Buffer.concat([pending, chunk]);
        for (;;) {
          if (pending.length < 19) break;
          const len = pending.readUInt16BE(16);
          if (len < 19 || pending.length < len) break;
          const msg = pending.subarray(0, len);
          const type = msg.readUInt8(18);
          const note = endOfRib(msg);
          emit({ event: 'message', offset: total, length: len, type, typeName: TYPE_NAMES[type] ?? `type ${type}`, tMs: Date.now() - t0, ...(note === undefined ? {} : { note }) });
          if (type === 1) {
            sock.write(KEEPALIVE); // confirms the OPEN (§8.2.2 OpenSent -> OpenConfirm on their side)
            keepalive = setInterval(() => sock.write(KEEPALIVE), Math.max(1, Math.floor(hold / 3)) * 1000);
          }
          total += len;
          pending = pending.subarray(len);
        }
      });
      sock.on('close', () => {
        clearInterval(keepalive);
        clearInterval(sender);
        emit({ event: 'closed', bytes: total });
        server?.close();
        resolve();
      });
      sock.on('error', () => undefined);
    };
    if (opts.connect === undefined) {
      server = net.createServer(session);
      server.on('error', reject);
      server.listen({ host: opts.listen, port }, () => emit({ event: 'listening', address: opts.listen, port }));
    } else {
      const sock = net.connect({ host: opts.connect, port, localAddress: opts.listen });
      sock.once('connect', () => session(sock));
      sock.once('error', reject);
      emit({ event: 'listening', address: opts.listen, port: 0 });
    }
    process.once('SIGTERM', () => {
      if (active === undefined) {
        server?.close();
        resolve();
      } else active.end(); // 'close' then resolves
    });
  });
}

/** File whose appended hex lines the session writes to the peer. */
export function sendFileOf(out: string): string {
  return `${out}.send`;
}

/** A capture listener running in a namespace, followed through its JSON-line output. */
export class CaptureRun {
  readonly proc: NsProcess;
  readonly out: string;
  constructor(proc: NsProcess, out: string) {
    this.proc = proc;
    this.out = out;
  }
  events(): CaptureEvent[] {
    return this.proc
      .log()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as CaptureEvent);
  }
  messages(): CapturedMessage[] {
    const out: CapturedMessage[] = [];
    for (const e of this.events()) {
      if (e.event !== 'message') continue;
      const { event: _event, ...m } = e;
      out.push(m);
    }
    return out;
  }
  /** Waits until `pred` holds over the messages received so far. */
  async waitMessages(what: string, pred: (ms: CapturedMessage[]) => boolean, timeoutMs = 20_000): Promise<CapturedMessage[]> {
    return waitFor(`capture: ${what}`, () => {
      const ms = this.messages();
      if (pred(ms)) return ms;
      if (!this.proc.running) throw new Error(`capture exited: ${this.proc.log()}`);
      return undefined;
    }, { timeoutMs, intervalMs: 50 });
  }
  /** Writes raw bytes to the peer (whole or broken BGP messages: nothing is checked). */
  send(bytes: Buffer): void {
    if (!this.proc.running) throw new Error('capture session has ended');
    appendFileSync(sendFileOf(this.out), `${bytes.toString('hex')}\n`);
  }
  /** Ends the session (closes the TCP connection) and waits for the listener to exit. */
  async stop(): Promise<Buffer> {
    await this.proc.stop();
    return readFileSync(this.out);
  }
  /** Waits for the peer to close the connection (e.g. after a NOTIFICATION). */
  async waitClosed(timeoutMs = 20_000): Promise<Buffer> {
    await waitFor('capture: connection closed', () => this.events().some((e) => e.event === 'closed'), { timeoutMs, intervalMs: 50 });
    await this.proc.stop();
    return readFileSync(this.out);
  }
}

/** Starts the listener inside `ns` and waits until it listens. */
export async function startCapture(ns: Netns, opts: CaptureOptions): Promise<CaptureRun> {
  const args = ['--listen', opts.listen, '--asn', String(opts.asn), '--router-id', opts.routerId, '--out', opts.out];
  if (opts.port !== undefined) args.push('--port', String(opts.port));
  if (opts.holdTime !== undefined) args.push('--hold', String(opts.holdTime));
  if (opts.families !== undefined) args.push('--families', opts.families.join(','));
  if (opts.connect !== undefined) args.push('--connect', opts.connect);
  const run = new CaptureRun(ns.spawnNode(`${ns.name}-capture`, fileURLToPath(import.meta.url), args), opts.out);
  await waitFor('capture listening', () => {
    if (!run.proc.running) throw new Error(`capture exited: ${run.proc.log()}`);
    return run.events().some((e) => e.event === 'listening');
  }, { timeoutMs: 10_000, intervalMs: 50 });
  return run;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      listen: { type: 'string' },
      port: { type: 'string' },
      asn: { type: 'string' },
      'router-id': { type: 'string' },
      hold: { type: 'string' },
      families: { type: 'string' },
      out: { type: 'string' },
      connect: { type: 'string' },
    },
  });
  if (values.listen === undefined || values.asn === undefined || values['router-id'] === undefined || values.out === undefined) {
    console.error('usage: capture.ts --listen ADDR --asn N --router-id A.B.C.D --out FILE.bin [--port 179] [--hold 90] [--families ipv4,ipv6]');
    process.exitCode = 2;
  } else {
    await listen({
      listen: values.listen,
      asn: Number(values.asn),
      routerId: values['router-id'],
      out: values.out,
      ...(values.port === undefined ? {} : { port: Number(values.port) }),
      ...(values.hold === undefined ? {} : { holdTime: Number(values.hold) }),
      ...(values.families === undefined ? {} : { families: values.families.split(',') as CaptureFamily[] }),
      ...(values.connect === undefined ? {} : { connect: values.connect }),
    });
  }
}
