// PATCH bodies that do not need schema knowledge: JSON Merge Patch (RFC 7386)
// and JSON Patch (RFC 6902) with JSON Pointer paths (RFC 6901). Pure
// functions: they return a new document and never mutate their input. A bad
// patch is 400 BadRequest; a failed "test" op is 422 Invalid, like the real server.
import { ApiError, badRequest } from './errors.ts';
import type { Json, JsonObject } from './kinds.ts';

export const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.hasOwn(bo, k) && deepEqual(ao[k], bo[k]));
}

/** RFC 7386 §2: objects merge recursively, null removes a member, anything else replaces. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6901 §3-4: "/a/b~1c" -> ["a", "b/c"]. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`json patch: invalid pointer ${JSON.stringify(pointer)}`);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function clone<T extends Json>(v: T): T {
  return structuredClone(v);
}

function arrayIndex(arr: Json[], tok: string, forAdd: boolean): number {
  if (forAdd && tok === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(tok)) throw badRequest(`json patch: invalid array index ${JSON.stringify(tok)}`);
  const i = Number(tok);
  if (i > arr.length || (!forAdd && i === arr.length)) throw badRequest(`json patch: index ${i} out of range`);
  return i;
}

/** The container holding the last token of `path` (the document must contain it). */
function parentOf(doc: Json, tokens: string[], op: string): { parent: Json; last: string } {
  let cur: Json = doc;
  for (const tok of tokens.slice(0, -1)) {
    let next: Json | undefined;
    if (Array.isArray(cur)) next = cur[arrayIndex(cur, tok, false)];
    else if (isObject(cur)) next = cur[tok];
    if (next === undefined) throw badRequest(`json patch ${op}: path ${tokens.join('/')} does not exist`);
    cur = next;
  }
  const last = tokens[tokens.length - 1];
  if (last === undefined) throw badRequest(`json patch ${op}: the whole document cannot be the target here`);
  return { parent: cur, last };
}

function getAt(doc: Json, tokens: string[], op: string): Json {
  if (tokens.length === 0) return doc;
  const { parent, last } = parentOf(doc, tokens, op);
  let v: Json | undefined;
  if (Array.isArray(parent)) v = parent[arrayIndex(parent, last, false)];
  else if (isObject(parent)) v = parent[last];
  if (v === undefined) throw badRequest(`json patch ${op}: path /${tokens.join('/')} does not exist`);
  return v;
}

function removeAt(doc: Json, tokens: string[], op: string): Json {
  const { parent, last } = parentOf(doc, tokens, op);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, false), 1)[0] ?? null;
  if (isObject(parent) && Object.hasOwn(parent, last)) {
    const v = parent[last] ?? null;
    delete parent[last];
    return v;
  }
  throw badRequest(`json patch ${op}: path /${tokens.join('/')} does not exist`);
}

function addAt(doc: Json, tokens: string[], value: Json, op: string): Json {
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens, op);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true), 0, value);
  else if (isObject(parent)) parent[last] = value;
  else throw badRequest(`json patch ${op}: parent of /${tokens.join('/')} is not a container`);
  return doc;
}

/** RFC 6902 §4: applies the operations in order to a copy of `target`. */
export function jsonPatch(target: Json, patch: Json): Json {
  if (!Array.isArray(patch)) throw badRequest('json patch: the body must be a JSON array of operations');
  let doc = clone(target);
  for (const raw of patch) {
    if (!isObject(raw) || typeof raw['op'] !== 'string' || typeof raw['path'] !== 'string') {
      throw badRequest('json patch: every operation needs "op" and "path"');
    }
    const op = raw['op'];
    const path = parsePointer(raw['path']);
    const value = (): Json => {
      if (!Object.hasOwn(raw, 'value')) throw badRequest(`json patch ${op}: missing "value"`);
      return clone(raw['value'] ?? null);
    };
    const from = (): string[] => {
      if (typeof raw['from'] !== 'string') throw badRequest(`json patch ${op}: missing "from"`);
      return parsePointer(raw['from']);
    };
    switch (op) {
      case 'add':
        doc = addAt(doc, path, value(), op);
        break;
      case 'remove':
        if (path.length === 0) throw badRequest('json patch remove: cannot remove the whole document');
        removeAt(doc, path, op);
        break;
      case 'replace': // §4.3: the target must exist
        if (path.length === 0) doc = value();
        else {
          getAt(doc, path, op);
          removeAt(doc, path, op);
          doc = addAt(doc, path, value(), op);
        }
        break;
      case 'move': {
        const f = from();
        if (f.length < path.length && f.every((t, i) => path[i] === t)) throw badRequest('json patch move: cannot move into a child of itself');
        const v = f.length === 0 ? doc : removeAt(doc, f, op);
        doc = addAt(doc, path, v, op);
        break;
      }
      case 'copy':
        doc = addAt(doc, path, clone(getAt(doc, from(), op)), op);
        break;
      case 'test': // §4.6
        if (!deepEqual(getAt(doc, path, op), value())) {
          throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value /${path.join('/')} failed`);
        }
        break;
      default:
        throw badRequest(`json patch: unknown operation ${JSON.stringify(op)}`);
    }
  }
  return doc;
}
