// Label and field selectors as the API server parses them
// (k8s.io/apimachinery/pkg/labels and pkg/fields): parse the query string once
// into a typed requirement list, then match objects. Label operators: =, ==, !=,
// in, notin, exists (key), !exists (!key), gt (>), lt (<). Field operators: =,
// ==, != on the fields each kind supports (kinds.ts), with \, \= \\ escapes.
import { badRequest } from './errors.ts';
import { fieldAt, type JsonObject, type KindInfo } from './kinds.ts';
import { isQualifiedName, isLabelValue } from './validation.ts';

export type LabelRequirement =
  | { readonly op: 'eq' | 'neq'; readonly key: string; readonly value: string }
  | { readonly op: 'in' | 'notin'; readonly key: string; readonly values: readonly string[] }
  | { readonly op: 'exists' | 'notexists'; readonly key: string }
  | { readonly op: 'gt' | 'lt'; readonly key: string; readonly value: number };

export type FieldRequirement = { readonly op: 'eq' | 'neq'; readonly field: string; readonly value: string };

export type Labels = Readonly<Record<string, string>>;

/** Splits on commas that are outside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function checkKey(key: string, sel: string): string {
  if (!isQualifiedName(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${sel}"`);
  return key;
}

function checkValue(value: string, sel: string): string {
  if (!isLabelValue(value)) throw badRequest(`unable to parse requirement: invalid label value "${value}" in selector "${sel}"`);
  return value;
}

/** Parses a labelSelector query parameter; throws 400 BadRequest on syntax errors. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  if (selector.trim() === '') return out;
  for (const raw of splitTop(selector)) {
    const part = raw.trim();
    if (part === '') throw badRequest(`unable to parse requirement: empty requirement in selector "${selector}"`);
    const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part);
    if (set !== null) {
      const values = (set[3] ?? '').split(',').map((v) => checkValue(v.trim(), selector));
      out.push({ op: set[2] === 'in' ? 'in' : 'notin', key: checkKey(set[1] ?? '', selector), values });
      continue;
    }
    const cmp = /^([^!=<>\s]+)\s*(==|=|!=|<|>)\s*(.*)$/.exec(part);
    if (cmp !== null) {
      const key = checkKey(cmp[1] ?? '', selector);
      const opText = cmp[2] ?? '';
      const value = (cmp[3] ?? '').trim();
      if (opText === '<' || opText === '>') {
        if (!/^-?\d+$/.test(value)) throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
        out.push({ op: opText === '>' ? 'gt' : 'lt', key, value: Number(value) });
      } else {
        out.push({ op: opText === '!=' ? 'neq' : 'eq', key, value: checkValue(value, selector) });
      }
      continue;
    }
    if (part.startsWith('!')) {
      out.push({ op: 'notexists', key: checkKey(part.slice(1).trim(), selector) });
      continue;
    }
    out.push({ op: 'exists', key: checkKey(part, selector) });
  }
  return out;
}

export function matchLabels(reqs: readonly LabelRequirement[], labels: Labels): boolean {
  for (const r of reqs) {
    const has = Object.hasOwn(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'eq':
        if (v !== r.value) return false;
        break;
      case 'neq':
        if (has && v === r.value) return false;
        break;
      case 'in':
        if (v === undefined || !r.values.includes(v)) return false;
        break;
      case 'notin':
        if (v !== undefined && r.values.includes(v)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
      case 'gt':
      case 'lt': {
        if (v === undefined || !/^-?\d+$/.test(v)) return false;
        const n = Number(v);
        if (r.op === 'gt' ? !(n > r.value) : !(n < r.value)) return false;
        break;
      }
    }
  }
  return true;
}

/** Splits on an unescaped separator, keeping escapes for the next stage. */
function splitEscaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] ?? '';
    if (ch === '\\' && i + 1 < s.length) {
      cur += ch + (s[i + 1] ?? '');
      i++;
    } else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');

/** Parses a fieldSelector for a kind; unknown fields are 400 like the real server. */
export function parseFieldSelector(selector: string, kind: KindInfo): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (selector.trim() === '') return out;
  for (const raw of splitEscaped(selector, ',')) {
    const m = /^((?:[^!=\\]|\\.)+?)\s*(==|=|!=)\s*((?:[^\\]|\\.)*)$/.exec(raw.trim());
    if (m === null) throw badRequest(`invalid selector: '${selector}'; can't understand '${raw}'`);
    const field = unescape(m[1] ?? '');
    if (field !== 'metadata.name' && field !== 'metadata.namespace' && !Object.hasOwn(kind.fields, field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    out.push({ op: m[2] === '!=' ? 'neq' : 'eq', field, value: unescape(m[3] ?? '') });
  }
  return out;
}

export function matchFields(reqs: readonly FieldRequirement[], kind: KindInfo, obj: JsonObject): boolean {
  for (const r of reqs) {
    const getter = kind.fields[r.field];
    const v = getter !== undefined ? getter(obj) : fieldAt(obj, r.field);
    if ((v === r.value) !== (r.op === 'eq')) return false;
  }
  return true;
}

/** A predicate over objects of one kind from the two query parameters. */
export function objectFilter(kind: KindInfo, labelSelector?: string, fieldSelector?: string): (obj: JsonObject) => boolean {
  const l = parseLabelSelector(labelSelector ?? '');
  const fs = parseFieldSelector(fieldSelector ?? '', kind);
  if (l.length === 0 && fs.length === 0) return () => true;
  return (obj) => {
    const meta = obj['metadata'];
    const labels = meta !== null && typeof meta === 'object' && !Array.isArray(meta) ? meta['labels'] : undefined;
    const lab = labels !== null && typeof labels === 'object' && !Array.isArray(labels) ? (labels as Labels) : {};
    return matchLabels(l, lab) && matchFields(fs, kind, obj);
  };
}
