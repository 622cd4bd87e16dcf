// The expected reachability of the NetworkPolicy e2e model, built without the
// firewall's code: like upstream's `Reachability` (kubernetes
// test/e2e/network/netpol/reachability.go), a from x to matrix of booleans
// over the model's pods that starts at a default and takes the expectations a
// case sets: a peer (namespace and/or pod, empty = any) to a peer, all
// ingress of a pod, all egress of a pod, and loopback (a pod reaches itself).
// Also renders matrices the way upstream prints them ('.' allowed, 'X'
// blocked; a '*' marks cells where observed differs from expected). No RFCs.

/** One pod of the model: `ns/name`. */
export interface ModelPod {
  readonly ns: string;
  readonly name: string;
}

/** A set of pods: both fields optional, like upstream's Peer (empty = every pod). */
export interface Peer {
  readonly ns?: string;
  readonly pod?: string;
}

export const podKey = (p: ModelPod): string => `${p.ns}/${p.name}`;

function matches(peer: Peer, p: ModelPod): boolean {
  return (peer.ns === undefined || peer.ns === p.ns) && (peer.pod === undefined || peer.pod === p.name);
}

export class Truth {
  readonly pods: readonly ModelPod[];
  readonly #cells: boolean[][];

  constructor(pods: readonly ModelPod[], allowed: boolean) {
    this.pods = pods;
    this.#cells = pods.map(() => pods.map(() => allowed));
  }

  /** Every pair from a pod of `from` to a pod of `to`. */
  expect(from: Peer, to: Peer, allowed: boolean): this {
    this.pods.forEach((f, i) => {
      if (!matches(from, f)) return;
      this.pods.forEach((t, j) => {
        if (matches(to, t)) (this.#cells[i] as boolean[])[j] = allowed;
      });
    });
    return this;
  }

  /** Everything into the pods of `to`. */
  expectAllIngress(to: Peer, allowed: boolean): this {
    return this.expect({}, to, allowed);
  }

  /** Everything out of the pods of `from`. */
  expectAllEgress(from: Peer, allowed: boolean): this {
    return this.expect(from, {}, allowed);
  }

  /** A pod always reaches itself (traffic to its own IP never leaves it). */
  allowLoopback(): this {
    this.pods.forEach((_, i) => ((this.#cells[i] as boolean[])[i] = true));
    return this;
  }

  get(from: ModelPod, to: ModelPod): boolean {
    const i = this.pods.findIndex((p) => podKey(p) === podKey(from));
    const j = this.pods.findIndex((p) => podKey(p) === podKey(to));
    return this.#cells[i]?.[j] ?? false;
  }

  /** Rows (from) of columns (to). */
  cells(): boolean[][] {
    return this.#cells.map((r) => [...r]);
  }
}

/** Number of cells where the two matrices differ. */
export function differences(expected: readonly (readonly boolean[])[], observed: readonly (readonly boolean[])[]): number {
  let n = 0;
  expected.forEach((row, i) => row.forEach((v, j) => (observed[i]?.[j] !== v ? n++ : undefined)));
  return n;
}

/** Upstream's table: rows are clients, columns servers; '.' reached, 'X' blocked, '*' after a cell that differs from `other`. */
export function renderMatrix(pods: readonly ModelPod[], m: readonly (readonly boolean[])[], other?: readonly (readonly boolean[])[]): string {
  const keys = pods.map(podKey);
  const w = Math.max(...keys.map((k) => k.length)) + 1;
  const lines = [['-'.padEnd(w), ...keys.map((k) => k.padEnd(w))].join(' ').trimEnd()];
  m.forEach((row, i) => {
    const cells = row.map((v, j) => `${v ? '.' : 'X'}${other !== undefined && other[i]?.[j] !== v ? '*' : ''}`.padEnd(w));
    lines.push([(keys[i] ?? '').padEnd(w), ...cells].join(' ').trimEnd());
  });
  return lines.join('\n');
}
