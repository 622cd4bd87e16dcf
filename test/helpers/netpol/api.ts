// A minimal JSON client of the lab's API server (plain http on loopback, no
// auth) for the NetworkPolicy e2e model and its latency benchmark: create,
// merge-patch, get and delete of namespaces, pods and NetworkPolicies, timed
// from the moment the write is answered. No RFCs.

export type Obj = Record<string, unknown>;

export interface Meta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
}

const paths: Record<string, (ns?: string) => string> = {
  Namespace: () => '/api/v1/namespaces',
  Pod: (ns) => `/api/v1/namespaces/${ns ?? 'default'}/pods`,
  NetworkPolicy: (ns) => `/apis/networking.k8s.io/v1/namespaces/${ns ?? 'default'}/networkpolicies`,
};

export class LabApi {
  readonly base: string;

  constructor(base: string) {
    this.base = base.replace(/\/$/, '');
  }

  async #call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Obj> {
    const res = await fetch(`${this.base}${path}`, { method, headers: { 'content-type': contentType, accept: 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text}`);
    return JSON.parse(text) as Obj;
  }

  #path(kind: string, ns?: string, name?: string): string {
    const p = paths[kind];
    if (p === undefined) throw new Error(`unknown kind ${kind}`);
    return `${p(ns)}${name !== undefined ? `/${name}` : ''}`;
  }

  create(kind: string, obj: Obj & { metadata: Meta }): Promise<Obj> {
    return this.#call('POST', this.#path(kind, obj.metadata.namespace), { apiVersion: kind === 'NetworkPolicy' ? 'networking.k8s.io/v1' : 'v1', kind, ...obj });
  }

  get(kind: string, ns: string | undefined, name: string): Promise<Obj> {
    return this.#call('GET', this.#path(kind, ns, name));
  }

  /** JSON merge patch (RFC 7386): a null value removes a key. */
  patch(kind: string, ns: string | undefined, name: string, patch: Obj): Promise<Obj> {
    return this.#call('PATCH', this.#path(kind, ns, name), patch, 'application/merge-patch+json');
  }

  delete(kind: string, ns: string | undefined, name: string): Promise<Obj> {
    return this.#call('DELETE', this.#path(kind, ns, name));
  }

  async list(kind: string, ns?: string): Promise<Obj[]> {
    return ((await this.#call('GET', this.#path(kind, ns))) as { items?: Obj[] }).items ?? [];
  }
}
