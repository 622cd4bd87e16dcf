// A persistent client of BIRD 2's control socket (the protocol birdc speaks):
// one command at a time, a reply ends at the first line "DDDD " (four-digit
// code and a space). One connection is kept open so that polling costs one
// write and one read, no process spawn. Used by the benchmark's injector (to
// enable/disable its sessions and keep BIRD < 2.14 awake) and by its BIRD
// receiver (to read session state and imported-route counts). No RFCs.
import net from 'node:net';

export class BirdCtl {
  readonly path: string;
  #sock: net.Socket | undefined;
  #buf = '';
  #waiters: ((text: string) => void)[] = [];
  #closed = false;

  constructor(path: string) {
    this.path = path;
  }

  /** Connects and reads the greeting ("0001 BIRD x.y ready."). */
  async connect(): Promise<void> {
    const sock = net.createConnection(this.path);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.#buf += d;
      this.#drain();
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.#closed = true;
      // Wake anyone waiting: their reply will never come.
      for (const w of this.#waiters.splice(0)) w('');
    });
    this.#sock = sock;
    await this.#reply();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #drain(): void {
    for (;;) {
      const m = /(^|\n)\d{4} [^\n]*\n/.exec(this.#buf);
      if (m === null || this.#waiters.length === 0) return;
      const end = m.index + m[0].length;
      const text = this.#buf.slice(0, end);
      this.#buf = this.#buf.slice(end);
      this.#waiters.shift()?.(text);
    }
  }

  #reply(): Promise<string> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.#drain();
    });
  }

  /** Sends one command and resolves with its whole reply text ('' if the socket closed). */
  cmd(command: string): Promise<string> {
    if (this.#sock === undefined || this.#closed) return Promise.reject(new Error(`BIRD control socket ${this.path} is not connected`));
    const p = this.#reply();
    this.#sock.write(`${command}\n`);
    return p;
  }

  /** BGP state and the channel's imported-route count of one protocol. */
  async protocol(name: string): Promise<{ state: string; imported: number }> {
    const t = await this.cmd(`show protocols all ${name}`);
    const state = /BGP state:\s+(\w+)/.exec(t)?.[1] ?? /^\S+\s+\S+\s+\S+\s+(\w+)/m.exec(t)?.[1] ?? 'unknown';
    const imported = Number(/Routes:\s+(\d+) imported/.exec(t)?.[1] ?? 0);
    return { state, imported };
  }

  close(): void {
    this.#closed = true;
    this.#sock?.destroy();
  }
}

/** Connects, retrying until `timeoutMs` (BIRD creates its socket after reading its config). */
export async function connectBirdCtl(path: string, timeoutMs: number, alive: () => boolean): Promise<BirdCtl> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = new BirdCtl(path);
    try {
      await c.connect();
      return c;
    } catch (e: unknown) {
      if (!alive()) throw new Error(`BIRD exited before its control socket ${path} came up`, { cause: e });
      if (Date.now() > deadline) throw new Error(`BIRD control socket ${path} not up after ${timeoutMs} ms`, { cause: e });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
