/**
 * A strict JSON reader (RFC 8259) for untrusted headers and sidecar files.
 *
 * Why not JSON.parse: it silently keeps the last of two duplicate keys (an attacker can hide a
 * second definition of a tensor that another reader would pick), has no depth cap, gives no byte
 * offsets, and rounds 64-bit integers. This reader:
 * - rejects duplicate keys (`json_duplicate_key`, with the byte offset of the second one);
 * - caps nesting (`json_too_deep`, MAX_JSON_DEPTH) and, when asked, members per object
 *   (`json_too_large`: a header of a million tiny entries is refused before it is built);
 * - reports every error with its byte offset in the file (`baseOffset` + UTF-8 offset);
 * - builds objects without a prototype, so a key named "__proto__" is just a key;
 * - optionally keeps integer literals as bigint (`integers: 'bigint'`), so offsets and dims past
 *   2^53 are seen exactly and "3.0" or "1e3" are not taken for integers.
 */
import { SleuthError } from './errors.ts';
import { MAX_JSON_DEPTH } from './limits.ts';

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface StrictJsonOptions {
  /** Absolute byte offset of the text's first byte in its file, for error offsets. */
  baseOffset?: number;
  file?: string;
  /** 'bigint': integer literals (no fraction, no exponent) become bigint. Default 'number'. */
  integers?: 'number' | 'bigint';
  maxDepth?: number;
  /** Members allowed in any one object; the parse stops at the first one past it (`json_too_large`). */
  maxMembers?: number;
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseStrictJson(text: string, options: StrictJsonOptions = {}): JsonValue {
  return new Parser(text, options).parseDocument();
}

class Parser {
  private pos = 0;
  private readonly maxDepth: number;

  constructor(
    private readonly text: string,
    private readonly opts: StrictJsonOptions,
  ) {
    this.maxDepth = opts.maxDepth ?? MAX_JSON_DEPTH;
  }

  parseDocument(): JsonValue {
    this.skipWs();
    const value = this.parseValue(0);
    this.skipWs();
    if (this.pos < this.text.length) this.fail(`unexpected ${this.describeChar()} after the JSON value`, 'the end of the document');
    return value;
  }

  /** UTF-8 byte offset of a UTF-16 index (computed only when an error is raised). */
  private byteOffset(index: number): number {
    let bytes = 0;
    for (let i = 0; i < index && i < this.text.length; i++) {
      const c = this.text.charCodeAt(i);
      if (c < 0x80) bytes += 1;
      else if (c < 0x800) bytes += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < this.text.length) {
        const d = this.text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          bytes += 4;
          i++;
        } else bytes += 3;
      } else bytes += 3;
    }
    return (this.opts.baseOffset ?? 0) + bytes;
  }

  private fail(what: string, expected: string, at = this.pos, code: 'json_syntax' | 'json_duplicate_key' | 'json_too_deep' | 'json_too_large' = 'json_syntax'): never {
    const offset = this.byteOffset(at);
    throw new SleuthError(code, `JSON: ${what}; expected ${expected} (byte ${offset})`, {
      offset,
      ...(this.opts.file === undefined ? {} : { file: this.opts.file }),
    });
  }

  private describeChar(): string {
    if (this.pos >= this.text.length) return 'end of text';
    return JSON.stringify(this.text[this.pos]);
  }

  private skipWs(): void {
    const t = this.text;
    let p = this.pos;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  private parseValue(depth: number): JsonValue {
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 0x7b /* { */:
        return this.parseObject(depth + 1);
      case 0x5b /* [ */:
        return this.parseArray(depth + 1);
      case 0x22 /* " */:
        return this.parseString();
      case 0x74 /* t */:
        return this.parseLiteral('true', true);
      case 0x66 /* f */:
        return this.parseLiteral('false', false);
      case 0x6e /* n */:
        return this.parseLiteral('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
        return this.fail(`unexpected ${this.describeChar()}`, 'a value (object, array, string, number, true, false or null)');
    }
  }

  private parseLiteral<T extends JsonValue>(word: string, value: T): T {
    if (this.text.startsWith(word, this.pos)) {
      this.pos += word.length;
      return value;
    }
    return this.fail(`unexpected ${this.describeChar()}`, `the literal ${word}`);
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth} levels`, `at most ${this.maxDepth} levels of nesting`, this.pos, 'json_too_deep');
  }

  private parseObject(depth: number): JsonObject {
    this.enter(depth);
    const obj: JsonObject = Object.create(null) as JsonObject;
    const seen = new Set<string>();
    this.pos++; // {
    this.skipWs();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return obj;
    }
    const maxMembers = this.opts.maxMembers ?? Infinity;
    for (;;) {
      this.skipWs();
      if (this.text.charCodeAt(this.pos) !== 0x22) this.fail(`unexpected ${this.describeChar()}`, 'a string key');
      const keyAt = this.pos;
      if (seen.size >= maxMembers) this.fail(`an object with more than ${maxMembers} members`, `at most ${maxMembers} members in one object`, keyAt, 'json_too_large');
      const key = this.parseString();
      if (seen.has(key)) this.fail(`duplicate key ${JSON.stringify(key.slice(0, 200))}`, 'each key once per object', keyAt, 'json_duplicate_key');
      seen.add(key);
      this.skipWs();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail(`unexpected ${this.describeChar()}`, '":" after an object key');
      this.pos++;
      this.skipWs();
      obj[key] = this.parseValue(depth);
      this.skipWs();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        continue;
      }
      if (c === 0x7d) {
        this.pos++;
        return obj;
      }
      this.fail(`unexpected ${this.describeChar()}`, '"," or "}" in an object');
    }
  }

  private parseArray(depth: number): JsonValue[] {
    this.enter(depth);
    const arr: JsonValue[] = [];
    this.pos++; // [
    this.skipWs();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return arr;
    }
    for (;;) {
      this.skipWs();
      arr.push(this.parseValue(depth));
      this.skipWs();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        continue;
      }
      if (c === 0x5d) {
        this.pos++;
        return arr;
      }
      this.fail(`unexpected ${this.describeChar()}`, '"," or "]" in an array');
    }
  }

  private parseString(): string {
    const t = this.text;
    const start = ++this.pos; // opening quote
    // Fast path: no escapes.
    let p = start;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === 0x22) {
        this.pos = p + 1;
        return t.slice(start, p);
      }
      if (c === 0x5c || c < 0x20 || Number.isNaN(c)) break;
      p++;
    }
    let out = t.slice(start, p);
    for (;;) {
      if (p >= t.length) this.fail('the text ends inside a string', 'a closing quote', p);
      const c = t.charCodeAt(p);
      if (c === 0x22) {
        this.pos = p + 1;
        return out;
      }
      if (c < 0x20) this.fail(`control character U+${c.toString(16).padStart(4, '0')} inside a string`, 'control characters to be escaped', p);
      if (c !== 0x5c) {
        out += t[p];
        p++;
        continue;
      }
      const e = t[p + 1];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = t.slice(p + 2, p + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail(`bad \\u escape ${JSON.stringify(t.slice(p, p + 6))}`, 'four hex digits after \\u', p);
          out += String.fromCharCode(parseInt(hex, 16));
          p += 4;
          break;
        }
        default:
          this.fail(`bad escape ${JSON.stringify(t.slice(p, p + 2))}`, 'one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u', p);
      }
      p += 2;
    }
  }

  private parseNumber(): number | bigint {
    const t = this.text;
    const start = this.pos;
    const isDigit = (i: number): boolean => {
      const c = t.charCodeAt(i);
      return c >= 0x30 && c <= 0x39;
    };
    let p = start;
    if (t.charCodeAt(p) === 0x2d) p++;
    if (t.charCodeAt(p) === 0x30) p++;
    else if (isDigit(p)) while (isDigit(p)) p++;
    else this.fail('a number with no digits', 'a digit', p);
    let integer = true;
    if (t.charCodeAt(p) === 0x2e) {
      integer = false;
      p++;
      const d0 = p;
      while (isDigit(p)) p++;
      if (p === d0) this.fail('a number with no digits after "."', 'a digit', p);
    }
    const e = t.charCodeAt(p);
    if (e === 0x65 || e === 0x45) {
      integer = false;
      p++;
      const s = t.charCodeAt(p);
      if (s === 0x2b || s === 0x2d) p++;
      const d0 = p;
      while (isDigit(p)) p++;
      if (p === d0) this.fail('a number with no digits in its exponent', 'a digit', p);
    }
    this.pos = p;
    const literal = t.slice(start, p);
    if (integer && this.opts.integers === 'bigint') return BigInt(literal);
    return Number(literal);
  }
}
