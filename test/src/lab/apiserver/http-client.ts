// A tiny raw HTTP client for the API server tests: one request, the status
// code, the content type and the parsed JSON body (or the text).
export interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

export async function call(base: string, method: string, path: string, body?: unknown, contentType = 'application/json', headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { ...headers, 'Content-Type': contentType };
  }
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: parsed, text };
}

/** Names of the items of a list body. */
export function names(list: Record<string, unknown>): string[] {
  const items = list['items'] as { metadata: { name: string } }[] | undefined;
  return (items ?? []).map((i) => i.metadata.name);
}

/** Reads a nested field of a JSON body by path. */
export function at(o: unknown, ...path: (string | number)[]): unknown {
  let cur: unknown = o;
  for (const p of path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[p] : undefined;
  return cur;
}
