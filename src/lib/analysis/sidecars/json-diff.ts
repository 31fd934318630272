/**
 * Structural diff of two JSON values: key paths with old → new values. Object key order and
 * formatting are ignored (a re-serialized file diffs empty); array order matters (it is meaningful
 * in every HF file: normalizer sequences, template lists, eos id lists).
 */
import { isJsonObject, type JsonValue } from '../../formats/strict-json.ts';
import { clipMiddle, quote, visible } from './display.ts';
import { MAX_LISTED } from './types.ts';

export type PathKey = string | number;

export interface JsonChange {
  /** Readable path: `rope_scaling.factor`, `normalizer.normalizers[1].content`, `["odd key"]`. */
  path: string;
  keys: PathKey[];
  change: 'added' | 'removed' | 'changed';
  /** Absent for 'added'. */
  old?: unknown;
  /** Absent for 'removed'. */
  new?: unknown;
}

export interface JsonDiff {
  changes: JsonChange[];
  /** All changes, including those past the listing cap. */
  count: number;
  truncated: boolean;
}

/** A value larger than this (as JSON text) is stored as a preview in details. */
const MAX_VALUE_CHARS = 2000;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function formatPath(keys: readonly PathKey[]): string {
  let out = '';
  for (const k of keys) {
    if (typeof k === 'number') out += `[${k}]`;
    else if (IDENT.test(k)) out += out === '' ? k : `.${k}`;
    else out += `["${visible(clipMiddle(k, 120)).replaceAll('"', '\\"')}"]`;
  }
  return out === '' ? '(root)' : out;
}

/** A JSON-safe copy of a parsed value for details (plain objects; huge values as a preview). */
export function detailValue(v: JsonValue): unknown {
  const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  if (text.length > MAX_VALUE_CHARS) return { preview: clipMiddle(text, MAX_VALUE_CHARS), chars: text.length };
  return JSON.parse(text) as unknown;
}

/** Short words for a value in a message. */
export function valueWords(v: JsonValue | undefined): string {
  if (v === undefined) return '(absent)';
  if (typeof v === 'string') return quote(v, 60);
  if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return visible(clipMiddle(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)), 60));
}

export function describeChange(c: JsonChange, a?: JsonValue, b?: JsonValue): string {
  if (c.change === 'added') return `${c.path} added (${valueWords(b)})`;
  if (c.change === 'removed') return `${c.path} removed (was ${valueWords(a)})`;
  return `${c.path}: ${valueWords(a)} → ${valueWords(b)}`;
}

export interface JsonDiffOptions {
  maxChanges?: number;
  /** Paths (first key) to leave out. */
  ignoreTopLevel?: readonly string[];
}

/**
 * Changes from `a` to `b`. `raw` holds the parsed old/new values per listed change (for messages);
 * details carry JSON-safe copies.
 */
export function diffJson(a: JsonValue | undefined, b: JsonValue | undefined, options: JsonDiffOptions = {}): JsonDiff & { raw: { old: JsonValue | undefined; new: JsonValue | undefined }[] } {
  const max = options.maxChanges ?? MAX_LISTED;
  const ignore = new Set(options.ignoreTopLevel ?? []);
  const changes: JsonChange[] = [];
  const raw: { old: JsonValue | undefined; new: JsonValue | undefined }[] = [];
  let count = 0;
  const push = (keys: PathKey[], x: JsonValue | undefined, y: JsonValue | undefined): void => {
    count++;
    if (changes.length >= max) return;
    const change: JsonChange = { path: formatPath(keys), keys: [...keys], change: x === undefined ? 'added' : y === undefined ? 'removed' : 'changed' };
    if (x !== undefined) change.old = detailValue(x);
    if (y !== undefined) change.new = detailValue(y);
    changes.push(change);
    raw.push({ old: x, new: y });
  };
  const walk = (x: JsonValue | undefined, y: JsonValue | undefined, keys: PathKey[]): void => {
    if (x === undefined && y === undefined) return;
    if (x === undefined || y === undefined) return push(keys, x, y);
    if (isJsonObject(x) && isJsonObject(y)) {
      for (const k of Object.keys(x)) {
        if (keys.length === 0 && ignore.has(k)) continue;
        walk(x[k], y[k], [...keys, k]);
      }
      for (const k of Object.keys(y)) {
        if (keys.length === 0 && ignore.has(k)) continue;
        if (!(k in x)) walk(undefined, y[k], [...keys, k]);
      }
      return;
    }
    if (Array.isArray(x) && Array.isArray(y)) {
      const n = Math.max(x.length, y.length);
      for (let i = 0; i < n; i++) walk(x[i], y[i], [...keys, i]);
      return;
    }
    if (!sameScalar(x, y)) push(keys, x, y);
  };
  walk(a, b, []);
  return { changes, count, truncated: count > changes.length, raw };
}

/** Scalars (and null) equal; an object or array against anything else never is. */
function sameScalar(x: JsonValue, y: JsonValue): boolean {
  return x === y;
}

/** Deep equality of parsed JSON (object key order ignored). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}
