/**
 * Canonical JSON: one byte sequence per value, so a digest or signature over it means the same
 * thing to every reader. Follows RFC 8785 (JSON Canonicalization Scheme): object members sorted by
 * the UTF-16 code units of their names, no insignificant whitespace, strings and numbers written
 * as ECMAScript's JSON.stringify writes them (which RFC 8785 §3.2.2 adopts).
 *
 * Members whose value is `undefined` are left out (as JSON.stringify does), so an optional field
 * that is absent and one that is `undefined` hash the same. Non-finite numbers and bigints have no
 * JSON form and throw: a digest must never silently cover a different value than the one shown.
 */
import { sha256Hex } from './sha256-sync.ts';

export const CANONICALIZATION = 'RFC8785-JCS';

export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

/** SHA-256 (hex) of the canonical JSON of `value`. */
export function canonicalDigest(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** Nesting beyond this is refused (an imported report is hostile; recursion must stay bounded). */
const MAX_DEPTH = 128;

function write(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new Error(`canonical JSON: nesting deeper than ${MAX_DEPTH}`);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`canonical JSON: ${String(value)} has no JSON form`);
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v: unknown) => (v === undefined ? 'null' : write(v, depth + 1))).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort(compareUtf16);
      return `{${keys.map((k) => `${JSON.stringify(k)}:${write(obj[k], depth + 1)}`).join(',')}}`;
    }
    default:
      throw new Error(`canonical JSON: a ${typeof value} has no JSON form`);
  }
}

/** RFC 8785 §3.2.3: sort by UTF-16 code units (not by code point, not by locale). */
function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
