/**
 * The shared front of every Hugging Face sidecar reader: strict JSON (duplicate keys are errors —
 * a tokenizer.json with a vocabulary key defined twice is itself evidence, because Python's json
 * module keeps the last definition while other readers may keep the first), and one result shape.
 *
 * Readers are tolerant about *form* (merges as "a b" or ["a", "b"], vocab as an object or a list,
 * special tokens as strings or AddedToken objects, missing optional sections) and strict about
 * *safety*: every count is capped (./limits.ts), nothing is evaluated (chat templates stay text),
 * objects are built without prototypes, and a malformed entry becomes a warning with a stable code
 * rather than a guess.
 */
import { SleuthError, type ErrorCode } from '../errors.ts';
import { isJsonObject, parseStrictJson, type JsonObject, type JsonValue } from '../strict-json.ts';

/**
 * Codes of the HF readers beyond the shared JSON codes. They are not in ERROR_CATALOGUE (that file
 * belongs to the loader); findings carry them in `details.code`.
 * - hf_not_object: the document is not a JSON object.
 * - hf_too_many: a vocabulary, merge list, added-token list or template list is over its cap.
 * - hf_bad_field: a known field has the wrong type (ignored).
 * - hf_bad_vocab_entry: a vocabulary entry is not token → non-negative integer id (skipped).
 * - hf_duplicate_token_id: two tokens claim one id (the first is kept; loaders disagree).
 * - hf_duplicate_token: one token appears twice in a list-form vocabulary (the first is kept).
 * - hf_bad_merge: a merge is neither "a b" (exactly one space) nor ["a", "b"] (skipped).
 * - hf_bad_added_token: an added token lacks an integer id or string content (skipped).
 * - hf_bad_template: a chat template entry is not a string or {name, template} (skipped).
 */
export type HfProblemCode =
  | 'hf_not_object'
  | 'hf_too_many'
  | 'hf_bad_field'
  | 'hf_bad_vocab_entry'
  | 'hf_duplicate_token_id'
  | 'hf_duplicate_token'
  | 'hf_bad_merge'
  | 'hf_bad_added_token'
  | 'hf_bad_template';

export interface HfProblem {
  code: HfProblemCode | ErrorCode;
  message: string;
  /** Byte offset in the file, when known (JSON syntax errors, duplicate keys). */
  offset?: number;
  file?: string;
}

export type HfReadResult<T> = { ok: true; value: T; warnings: HfProblem[] } | { ok: false; error: HfProblem };

/** Warnings kept per file; past this only the count grows (a hostile file can have millions). */
export const MAX_WARNINGS_KEPT = 100;

export class WarningSink {
  readonly list: HfProblem[] = [];
  count = 0;
  constructor(private readonly file: string | undefined) {}
  add(code: HfProblemCode, message: string): void {
    this.count++;
    if (this.list.length < MAX_WARNINGS_KEPT) this.list.push(this.file === undefined ? { code, message } : { code, message, file: this.file });
  }
  /** The kept warnings, plus one summary line when some were dropped. */
  done(): HfProblem[] {
    if (this.count > this.list.length) {
      const more = this.count - this.list.length;
      const last: HfProblem = { code: this.list[this.list.length - 1]?.code ?? 'hf_bad_field', message: `… and ${more} more warning${more === 1 ? '' : 's'} of this file` };
      if (this.file !== undefined) last.file = this.file;
      return [...this.list, last];
    }
    return this.list;
  }
}

export function problem(code: HfProblemCode | ErrorCode, message: string, file: string | undefined, offset?: number): HfProblem {
  const p: HfProblem = { code, message };
  if (offset !== undefined) p.offset = offset;
  if (file !== undefined) p.file = file;
  return p;
}

/** Thrown inside a reader for a fatal problem (a cap exceeded); caught by `readHfJson`. */
export class HfFatal extends Error {
  constructor(readonly problem: HfProblem) {
    super(problem.message);
  }
}

/** Strict-parses `text` and hands the root object to `read`; every failure becomes a result. */
export function readHfJson<T>(text: string, file: string | undefined, read: (root: JsonObject, warn: WarningSink) => T): HfReadResult<T> {
  let root: JsonValue;
  try {
    root = parseStrictJson(text, file === undefined ? {} : { file });
  } catch (e) {
    if (e instanceof SleuthError) return { ok: false, error: problem(e.code, e.message, file, e.offset) };
    throw e;
  }
  if (!isJsonObject(root)) return { ok: false, error: problem('hf_not_object', `The document is ${describeJsonType(root)}; expected a JSON object`, file, 0) };
  const warn = new WarningSink(file);
  try {
    const value = read(root, warn);
    return { ok: true, value, warnings: warn.done() };
  } catch (e) {
    if (e instanceof HfFatal) return { ok: false, error: e.problem };
    throw e;
  }
}

export function describeJsonType(v: JsonValue | undefined): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'bigint') return 'a number';
  return `a ${typeof v}`;
}

/** A count read from a file against its cap; throws HfFatal (the whole file is refused). */
export function checkCount(n: number, cap: number, what: string, file: string | undefined): void {
  if (n > cap) throw new HfFatal(problem('hf_too_many', `${what} has ${n.toLocaleString('en-US')} entries, over the cap of ${cap.toLocaleString('en-US')}`, file));
}

export function isTokenId(v: JsonValue | undefined, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

export function optString(obj: JsonObject, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' ? v : undefined;
}

export function optNumber(obj: JsonObject, key: string): number | undefined {
  const v = obj[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function optBoolean(obj: JsonObject, key: string): boolean | undefined {
  const v = obj[key];
  return typeof v === 'boolean' ? v : undefined;
}

/** A null-prototype shallow copy of `obj` without `omit` keys. */
export function without(obj: JsonObject, omit: readonly string[]): JsonObject {
  const out = Object.create(null) as JsonObject;
  for (const [k, v] of Object.entries(obj)) if (!omit.includes(k)) out[k] = v;
  return out;
}
