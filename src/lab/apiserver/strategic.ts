// Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch) for the
// kinds we serve, driven by the list strategies in kinds.ts (patchStrategy and
// patchMergeKey of k8s.io/api): lists with a merge key merge element by
// element, "set" lists of primitives are unioned, every other list is replaced,
// maps merge recursively and null deletes, as in JSON Merge Patch (RFC 7386).
// Directives: $patch (replace | delete | merge), $retainKeys,
// $setElementOrder/<list>, $deleteFromPrimitiveList/<list>. Pure: inputs are
// never mutated.
import { badRequest } from './errors.ts';
import type { Json, JsonObject, ListStrategy } from './kinds.ts';
import { deepEqual, isObject } from './patch.ts';

type Lists = Readonly<Record<string, ListStrategy>>;

const ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

const join = (path: string, k: string): string => (path === '' ? k : `${path}.${k}`);

function isDirectiveKey(k: string): boolean {
  return k === '$patch' || k === '$retainKeys' || k.startsWith(ORDER) || k.startsWith(DELETE_FROM);
}

/** Removes directives from a literal value (the content of $patch: replace, new list elements). */
function strip(v: Json): Json {
  if (Array.isArray(v)) return v.filter((e) => !(isObject(e) && e['$patch'] !== undefined && Object.keys(e).length === 1)).map(strip);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (!isDirectiveKey(k)) out[k] = strip(x);
  return out;
}

function reorder(list: Json[], order: Json[], key: string | undefined): Json[] {
  const id = (e: Json): Json | undefined => (key !== undefined ? (isObject(e) ? e[key] : undefined) : e);
  const wanted = order.map((o) => (key !== undefined && isObject(o) ? o[key] : o));
  const placed: Json[] = [];
  for (const w of wanted) {
    const e = list.find((x) => deepEqual(id(x), w));
    if (e !== undefined) placed.push(e);
  }
  const rest = list.filter((x) => !wanted.some((w) => deepEqual(id(x), w)));
  return [...placed, ...rest];
}

function mergeKeyedList(orig: Json[], patch: Json[], key: string, path: string, lists: Lists): Json[] {
  if (patch.some((e) => isObject(e) && e['$patch'] === 'replace')) return strip(patch) as Json[];
  const out = [...orig];
  for (const p of patch) {
    if (!isObject(p)) {
      throw badRequest(`strategic merge patch: ${path} elements must be objects with merge key "${key}"`);
    }
    if (!Object.hasOwn(p, key)) throw badRequest(`strategic merge patch: ${path} element is missing merge key "${key}"`);
    const i = out.findIndex((e) => isObject(e) && deepEqual(e[key], p[key]));
    if (p['$patch'] === 'delete') {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    const base = i >= 0 ? out[i] : undefined;
    const merged = mergeMap(isObject(base) ? base : {}, p, path, lists);
    if (merged === undefined) continue;
    if (i >= 0) out[i] = merged;
    else out.push(merged);
  }
  return out;
}

function mergeSetList(orig: Json[], patch: Json[]): Json[] {
  if (patch.some((e) => isObject(e) && e['$patch'] === 'replace')) return strip(patch) as Json[];
  const out = [...orig];
  for (const p of patch) if (!out.some((e) => deepEqual(e, p))) out.push(p);
  return out;
}

/**
 * Merges `patch` into `orig` at `path`; returns undefined when the patch says
 * `$patch: delete` for this map.
 */
function mergeMap(orig: JsonObject, patch: JsonObject, path: string, lists: Lists): JsonObject | undefined {
  const directive = patch['$patch'];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return strip(patch) as JsonObject;
  if (directive !== undefined && directive !== 'merge') throw badRequest(`strategic merge patch: unknown $patch directive ${JSON.stringify(directive)}`);
  const out: JsonObject = { ...orig };
  const orders: [string, Json[]][] = [];
  const deletions: [string, Json[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith(ORDER)) {
      if (Array.isArray(v)) orders.push([k.slice(ORDER.length), v]);
      continue;
    }
    if (k.startsWith(DELETE_FROM)) {
      if (Array.isArray(v)) deletions.push([k.slice(DELETE_FROM.length), v]);
      continue;
    }
    if (k === '$patch' || k === '$retainKeys') continue;
    const p = join(path, k);
    if (v === null) {
      delete out[k];
    } else if (isObject(v)) {
      const base = out[k];
      const merged = mergeMap(isObject(base) ? base : {}, v, p, lists);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v)) {
      const base = out[k];
      const origList = Array.isArray(base) ? base : [];
      const strategy = lists[p];
      if (strategy?.merge === 'key') out[k] = mergeKeyedList(origList, v, strategy.key, p, lists);
      else if (strategy?.merge === 'set') out[k] = mergeSetList(origList, v);
      else out[k] = strip(v);
    } else {
      out[k] = v;
    }
  }
  for (const [k, values] of deletions) {
    const cur = out[k];
    if (Array.isArray(cur)) out[k] = cur.filter((e) => !values.some((d) => deepEqual(e, d)));
  }
  for (const [k, order] of orders) {
    const cur = out[k];
    const strategy = lists[join(path, k)];
    if (Array.isArray(cur)) out[k] = reorder(cur, order, strategy?.merge === 'key' ? strategy.key : undefined);
  }
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}

/** Applies a strategic merge patch to a whole object of a kind whose list strategies are `lists`. */
export function strategicMergePatch(original: JsonObject, patch: Json, lists: Lists): JsonObject {
  if (!isObject(patch)) throw badRequest('strategic merge patch: the body must be a JSON object');
  const out = mergeMap(original, patch, '', lists);
  if (out === undefined) throw badRequest('strategic merge patch: $patch: delete of the whole object is not allowed');
  return out;
}
