// Just enough gRPC to ask gobgpd for its peers: unary calls over HTTP/2 on a
// unix socket (node:http2, 5-byte length-prefixed messages, grpc-status in
// the trailers) and a protobuf wire-format reader (varint and
// length-delimited fields). Spawning the `gobgp` CLI for every poll would
// cost the machine more than the query itself. No RFCs (gRPC over HTTP/2,
// RFC 9113, is node:http2's business).
import http2 from 'node:http2';
import net from 'node:net';

export type PbValue = number | Buffer;

/** Reads a base-128 varint at `pos`; returns [value, next position]. Values above 2^53 lose precision. */
function varint(buf: Buffer, pos: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos++];
    if (b === undefined) throw new Error('protobuf: truncated varint');
    v += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) return [v, pos];
  }
}

/** The fields of one protobuf message, in order: [field number, value]. */
export function pbFields(buf: Buffer): [number, PbValue][] {
  const out: [number, PbValue][] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, p1] = varint(buf, pos);
    pos = p1;
    const field = Math.floor(key / 8);
    const wt = key & 7;
    if (wt === 0) {
      const [v, p2] = varint(buf, pos);
      pos = p2;
      out.push([field, v]);
    } else if (wt === 2) {
      const [len, p2] = varint(buf, pos);
      out.push([field, buf.subarray(p2, p2 + len)]);
      pos = p2 + len;
    } else if (wt === 1) pos += 8;
    else if (wt === 5) pos += 4;
    else throw new Error(`protobuf: wire type ${wt}`);
  }
  return out;
}

/** Encodes a string field (wire type 2). */
export function pbString(field: number, s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.length > 127) throw new Error('pbString: only short strings');
  return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
}

export class GrpcUnixClient {
  readonly socketPath: string;
  #session: http2.ClientHttp2Session | undefined;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
  }

  async connect(): Promise<void> {
    const session = http2.connect('http://localhost', { createConnection: () => net.connect(this.socketPath) });
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
    session.on('error', () => undefined);
    this.#session = session;
  }

  /** One call; resolves with every response message (a server stream ends with the trailers). */
  call(path: string, request: Buffer): Promise<Buffer[]> {
    const s = this.#session;
    if (s === undefined || s.closed || s.destroyed) return Promise.reject(new Error('gRPC session not connected'));
    return new Promise((resolve, reject) => {
      const req = s.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = '';
      const takeStatus = (h: http2.IncomingHttpHeaders): void => {
        const st = h['grpc-status'];
        if (typeof st === 'string') status = st;
        const m = h['grpc-message'];
        if (typeof m === 'string') message = decodeURIComponent(m);
      };
      req.on('response', takeStatus);
      req.on('trailers', takeStatus);
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('error', reject);
      req.on('end', () => {
        if (status !== undefined && status !== '0') return reject(new Error(`gRPC ${path}: status ${status} ${message}`));
        const b = Buffer.concat(chunks);
        const msgs: Buffer[] = [];
        for (let p = 0; p + 5 <= b.length; ) {
          const len = b.readUInt32BE(p + 1);
          msgs.push(b.subarray(p + 5, p + 5 + len));
          p += 5 + len;
        }
        resolve(msgs);
      });
      const frame = Buffer.alloc(5 + request.length);
      frame.writeUInt32BE(request.length, 1);
      request.copy(frame, 5);
      req.end(frame);
    });
  }

  close(): void {
    this.#session?.destroy();
  }
}
