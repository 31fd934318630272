/**
 * The strict JSON reader (src/lib/formats/strict-json.ts) against RFC 8259: what it accepts equals
 * JSON.parse, what it rejects carries a stable code and the UTF-8 byte offset of the problem, and
 * it adds what JSON.parse lacks — duplicate keys, a depth cap, exact 64-bit integers, no prototype.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStrictJson, type JsonValue, type StrictJsonOptions } from '../../../src/lib/formats/strict-json.ts';
import { ERROR_CATALOGUE, SleuthError } from '../../../src/lib/formats/errors.ts';
import { MAX_JSON_DEPTH } from '../../../src/lib/formats/limits.ts';

function failure(text: string, options: StrictJsonOptions = {}): SleuthError {
  try {
    parseStrictJson(text, options);
  } catch (e) {
    if (e instanceof SleuthError) return e;
    throw new Error(`not a SleuthError: ${String(e)}`);
  }
  throw new Error(`parsed without error: ${JSON.stringify(text)}`);
}

const utf8Length = (s: string): number => new TextEncoder().encode(s).byteLength;

describe('strict JSON: valid RFC 8259 texts parse like JSON.parse', () => {
  const valid = [
    '{}',
    '[]',
    '0',
    '-0',
    '1.5e-300',
    '-12.25E+2',
    '1E400',
    '"plain"',
    'true',
    'false',
    'null',
    ' \t\r\n{ "a" : [ 1 , 2 , { "b" : null } ] } \n',
    '"esc: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00e9 \\u20AC \\ud83d\\ude00"',
    '"raw: é € 😀 \u007f"',
    '{"":""}',
    '[[[[[[[[[[]]]]]]]]]]',
    '{"a":{"a":{"a":1}}}',
    '[{"a":1},{"a":1}]',
    '{"constructor":1,"toString":2,"hasOwnProperty":3,"valueOf":4}',
  ];
  for (const text of valid) {
    it(JSON.stringify(text).slice(0, 60), () => {
      expect(parseStrictJson(text)).toEqual(JSON.parse(text));
    });
  }
  it('keeps -0 as -0 in number mode', () => {
    expect(Object.is(parseStrictJson('-0'), -0)).toBe(true);
  });
});

describe('strict JSON: invalid texts → json_syntax at the right byte', () => {
  // [text, byte offset of the problem]
  const invalid: [string, number][] = [
    ['', 0],
    ['   ', 3],
    ['{', 1],
    ['[', 1],
    ['{"a":1,}', 7],
    ['[1,]', 3],
    ['[1 2]', 3],
    ["{'a':1}", 1],
    ['{"a" 1}', 5],
    ['{"a":}', 5],
    ['{a:1}', 1],
    ['{"a":1}x', 7],
    ['{"a":1}}', 7],
    ['01', 1],
    ['1.', 2],
    ['.5', 0],
    ['+1', 0],
    ['-', 1],
    ['1e', 2],
    ['1e+', 3],
    ['NaN', 0],
    ['Infinity', 0],
    ['-Infinity', 1],
    ['tru', 0],
    ['nul', 0],
    ['True', 0],
    ['"abc', 4],
    ['"a\u0001b"', 2],
    ['"a\nb"', 2],
    ['"\\x"', 1],
    ['"\\u12G4"', 1],
    ['"\\u12"', 1],
    ['/* c */ 1', 0],
    ['// c\n1', 0],
    ['\u00a01', 0],
    ['\u000c1', 0],
    ['\ufeff{}', 0],
    ['[1,\u00a02]', 3],
    ['["é", x]', 7],
    ['["😀",x]', 8],
  ];
  for (const [text, offset] of invalid) {
    it(`${JSON.stringify(text)} @ ${offset}`, () => {
      const e = failure(text);
      expect(e.code).toBe('json_syntax');
      expect(e.kind).toBe('input');
      expect(e.offset).toBe(offset);
      expect(e.message).toContain(`(byte ${offset})`);
    });
  }
  it('adds baseOffset and the file name', () => {
    const e = failure('{"a":1,}', { baseOffset: 8, file: 'model.safetensors' });
    expect(e.offset).toBe(15);
    expect(e.file).toBe('model.safetensors');
  });
  it('counts a raw lone surrogate before the error as 3 bytes (WTF-8), a pair as 4', () => {
    expect(failure('["\ud800",x]').offset).toBe(7);
    expect(failure('["\ud83d\ude00",x]').offset).toBe(8);
    expect(failure('["\udc00\ud800",x]').offset).toBe(10);
  });
});

describe('strict JSON: duplicate keys', () => {
  it('rejects the second key with json_duplicate_key at its byte offset', () => {
    const e = failure('{"a":1,"a":2}');
    expect(e.code).toBe('json_duplicate_key');
    expect(e.offset).toBe(7);
  });
  it('counts multi-byte UTF-8 before the key (é = 2 bytes, 😀 = 4 bytes)', () => {
    const text = '{"é":1,"😀":2,"é":3}';
    const e = failure(text, { baseOffset: 8 });
    expect(e.code).toBe('json_duplicate_key');
    expect(e.offset).toBe(8 + utf8Length('{"é":1,"😀":2,'));
    expect(e.offset).toBe(8 + 17);
  });
  it('sees through escapes: "\\u0061" is "a"', () => {
    const e = failure('{"a":1,"\\u0061":2}');
    expect(e.code).toBe('json_duplicate_key');
    expect(e.offset).toBe(7);
    expect(failure('{"\\ud83d\\ude00":1,"😀":2}').code).toBe('json_duplicate_key');
  });
  it('in nested objects, with the nested offset', () => {
    const e = failure('[0,{"x":{"k":1,"k":2}}]');
    expect(e.code).toBe('json_duplicate_key');
    expect(e.offset).toBe(15);
  });
  it('the same key in different objects is fine', () => {
    expect(parseStrictJson('{"a":{"a":1},"b":{"a":2}}')).toEqual({ a: { a: 1 }, b: { a: 2 } });
  });
  it('keys differing only by case or normalization are different keys', () => {
    expect(Object.keys(parseStrictJson('{"a":1,"A":2,"é":3,"e\u0301":4}') as object)).toHaveLength(4);
  });
});

describe('strict JSON: depth cap', () => {
  const nest = (n: number): string => '['.repeat(n) + ']'.repeat(n);
  it(`accepts ${MAX_JSON_DEPTH} levels and rejects ${MAX_JSON_DEPTH + 1} with json_too_deep at the opening bracket`, () => {
    expect(() => parseStrictJson(nest(MAX_JSON_DEPTH))).not.toThrow();
    const e = failure(nest(MAX_JSON_DEPTH + 1));
    expect(e.code).toBe('json_too_deep');
    expect(e.offset).toBe(MAX_JSON_DEPTH);
  });
  it('counts objects and arrays alike', () => {
    const mixed = (n: number): string => '{"a":['.repeat(n) + ']}'.repeat(n);
    expect(() => parseStrictJson(mixed(MAX_JSON_DEPTH / 2))).not.toThrow();
    expect(failure(mixed(MAX_JSON_DEPTH / 2 + 1)).code).toBe('json_too_deep');
  });
  it('honours maxDepth', () => {
    expect(() => parseStrictJson(nest(3), { maxDepth: 3 })).not.toThrow();
    expect(failure(nest(4), { maxDepth: 3 }).code).toBe('json_too_deep');
  });
  it('stops a 1,000,000-deep bomb early, without a stack overflow', () => {
    const t0 = performance.now();
    expect(failure('['.repeat(1_000_000)).code).toBe('json_too_deep');
    expect(performance.now() - t0).toBeLessThan(250);
  });
});

describe('strict JSON: integers as bigint', () => {
  it('keeps integer literals exact past 2^53', () => {
    expect(parseStrictJson('[9007199254740993, -9223372036854775808, 18446744073709551616, 0, -0]', { integers: 'bigint' })).toEqual([
      9007199254740993n,
      -9223372036854775808n,
      18446744073709551616n,
      0n,
      0n,
    ]);
  });
  it('fractions and exponents stay numbers (2.0 and 1e3 are not integers)', () => {
    expect(parseStrictJson('[2.0, 1e3, 1E+2, -0.5]', { integers: 'bigint' })).toEqual([2, 1000, 100, -0.5]);
  });
  it('number mode rounds like JSON.parse', () => {
    expect(parseStrictJson('9007199254740993')).toBe(9007199254740992);
  });
});

describe('strict JSON: "__proto__" is a plain key', () => {
  it('is an own key, and nothing is polluted', () => {
    const v = parseStrictJson('{"__proto__":{"polluted":true},"a":1}');
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(Object.keys(v as object)).toEqual(['__proto__', 'a']);
    expect((v as Record<string, JsonValue>)['__proto__']).toEqual({ polluted: true });
    expect((v as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
  it('a nested "__proto__" does not supply missing keys', () => {
    const v = parseStrictJson('{"entry":{"__proto__":{"dtype":"F32"},"shape":[1]}}') as Record<string, Record<string, JsonValue>>;
    expect(v['entry']?.['dtype']).toBeUndefined();
  });
  it('a repeated "__proto__" is a duplicate key', () => {
    const e = failure('{"__proto__":1,"__proto__":2}');
    expect(e.code).toBe('json_duplicate_key');
    expect(e.offset).toBe(15);
  });
});

describe('strict JSON: lone surrogates (RFC 8259 §8.2: syntactically valid, kept as they are)', () => {
  it('keeps escaped lone surrogates as single UTF-16 units', () => {
    expect(parseStrictJson('"\\ud800"')).toBe('\ud800');
    expect(parseStrictJson('"\\udc00\\ud800"')).toBe('\udc00\ud800');
    expect(parseStrictJson('"\\ud83d\\ude00"')).toBe('😀');
  });
  it('keeps two different lone surrogates apart as keys', () => {
    expect(Object.keys(parseStrictJson('{"\\ud800":1,"\\udc00":2,"\\ufffd":3}') as object)).toHaveLength(3);
  });
  it('accepts a raw lone surrogate in a JS string (bytes are UTF-8-checked before, by the callers)', () => {
    expect(parseStrictJson('["\ud800"]')).toEqual(['\ud800']);
  });
});

describe('strict JSON: properties', () => {
  it('any JSON.stringify output parses to what JSON.parse gives', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        expect(parseStrictJson(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  const jsonish = fc.string({ unit: fc.constantFrom('{', '}', '[', ']', ':', ',', '"', 'a', '1', '0', '-', '.', 'e', '\\', 'u', ' ', 'n', 't', 'é', '😀', '\ud800'), maxLength: 24 });
  it('on arbitrary JSON-like text: accepts only what JSON.parse accepts, else a json_* input error inside the text', () => {
    fc.assert(
      fc.property(jsonish, (text) => {
        let strict: { ok: true; value: JsonValue } | { ok: false; error: unknown };
        try {
          strict = { ok: true, value: parseStrictJson(text) };
        } catch (error) {
          strict = { ok: false, error };
        }
        let loose: { ok: boolean; value?: unknown } = { ok: false };
        try {
          loose = { ok: true, value: JSON.parse(text) as unknown };
        } catch {
          // rejected by JSON.parse too
        }
        if (strict.ok) {
          expect(loose.ok).toBe(true);
          expect(strict.value).toEqual(loose.value);
        } else {
          const e = strict.error;
          expect(e).toBeInstanceOf(SleuthError);
          if (!(e instanceof SleuthError)) return;
          expect(['json_syntax', 'json_duplicate_key', 'json_too_deep']).toContain(e.code);
          expect(ERROR_CATALOGUE[e.code][0]).toBe('input');
          expect(e.offset).toBeGreaterThanOrEqual(0);
          expect(e.offset).toBeLessThanOrEqual(utf8Length(text));
          // JSON.parse only accepts what we reject for duplicates or depth.
          if (loose.ok) expect(e.code).not.toBe('json_syntax');
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('strict JSON: members per object (maxMembers)', () => {
  it('accepts exactly maxMembers and stops at the first member past it, with its byte offset', () => {
    expect(parseStrictJson('{"a":1,"b":{"x":1,"y":2}}', { maxMembers: 2 })).toEqual({ a: 1, b: { x: 1, y: 2 } });
    const e = failure('{"a":1,"b":2,"é":3,"d":4}', { maxMembers: 2, baseOffset: 8, file: 'model.safetensors' });
    expect(e.code).toBe('json_too_large');
    expect(e.offset).toBe(8 + utf8Length('{"a":1,"b":2,'));
    expect(e.message).toMatch(/more than 2 members/);
  });
  it('applies to nested objects too', () => {
    const e = failure('{"a":{"x":1,"y":2,"z":3}}', { maxMembers: 2 });
    expect(e.code).toBe('json_too_large');
    expect(e.offset).toBe(utf8Length('{"a":{"x":1,"y":2,'));
  });
});
