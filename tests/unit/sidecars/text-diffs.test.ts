import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { firstDifference, unifiedDiff } from '../../../src/lib/analysis/sidecars/line-diff.ts';
import { diffJson, formatPath, jsonEqual } from '../../../src/lib/analysis/sidecars/json-diff.ts';
import { classifyConfigKey } from '../../../src/lib/analysis/sidecars/config-diff.ts';
import { clipMiddle, listWords, quote, visible } from '../../../src/lib/analysis/sidecars/display.ts';
import { parseStrictJson } from '../../../src/lib/formats/strict-json.ts';

describe('unifiedDiff', () => {
  it('writes diff -u hunks with three lines of context', () => {
    const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15'].join('\n');
    const b = a.replace('2\n', '2\nnew\n').replace('\n14', '\n14 changed');
    expect(unifiedDiff(a, b, 'a', 'b')).toEqual({
      unified: ['--- a', '+++ b', '@@ -1,5 +1,6 @@', ' 1', ' 2', '+new', ' 3', ' 4', ' 5', '@@ -11,5 +12,5 @@', ' 11', ' 12', ' 13', '-14', '+14 changed', ' 15', ''].join('\n'),
      added: 2,
      removed: 1,
      truncated: false,
    });
  });
  it('equal texts, empty sides, and a rewrite beyond the edit budget', () => {
    expect(unifiedDiff('x\n', 'x\n').unified).toBe('');
    expect(unifiedDiff('', 'a\nb\n')).toMatchObject({ added: 2, removed: 0, unified: '--- known-good\n+++ suspect\n@@ -0,0 +1,2 @@\n+a\n+b\n' });
    const a = Array.from({ length: 3000 }, (_, i) => `a${i}`).join('\n');
    const b = Array.from({ length: 3000 }, (_, i) => `b${i}`).join('\n');
    const d = unifiedDiff(a, b);
    expect([d.added, d.removed]).toEqual([3000, 3000]);
  });
  it('is a minimal diff for interleaved edits', () => {
    const d = unifiedDiff('a\nb\nc\nd\n', 'a\nx\nc\ny\n');
    expect([d.added, d.removed]).toEqual([2, 2]);
  });
  it('is minimal and reconstructs both sides (property, against an LCS table)', () => {
    const lcs = (a: string[], b: string[]): number => {
      const w = b.length + 1;
      const t = new Int32Array((a.length + 1) * w);
      const at = (i: number, j: number): number => t[i * w + j] ?? 0;
      for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) t[i * w + j] = a[i - 1] === b[j - 1] ? at(i - 1, j - 1) + 1 : Math.max(at(i - 1, j), at(i, j - 1));
      return at(a.length, b.length);
    };
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 12 });
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const d = unifiedDiff(a.map((x) => `${x}\n`).join(''), b.map((x) => `${x}\n`).join(''));
        const common = lcs(a, b);
        expect(d.removed).toBe(a.length - common);
        expect(d.added).toBe(b.length - common);
        const body = d.unified.split('\n').filter((l) => /^[ +-]/.test(l) && !/^(---|\+\+\+) /.test(l));
        // With all context shown (short inputs), the hunks rebuild each side.
        if (a.length + b.length <= 6 && d.unified !== '') {
          expect(body.filter((l) => !l.startsWith('+')).map((l) => l.slice(1))).toEqual(a);
          expect(body.filter((l) => !l.startsWith('-')).map((l) => l.slice(1))).toEqual(b);
        }
      }),
      { numRuns: 300 },
    );
  });
  it('firstDifference gives line, column, and each side from there', () => {
    expect(firstDifference('ab\ncdef', 'ab\ncdXf')).toEqual({ offset: 5, line: 2, column: 3, before: 'ab\ncd', knownGood: 'ef', suspect: 'Xf' });
    expect(firstDifference('same', 'same')).toBeUndefined();
  });
});

describe('diffJson', () => {
  it('key order and formatting do not matter; array order does', () => {
    const a = parseStrictJson('{"a": 1, "b": [1, 2], "c": {"d": null}}');
    const b = parseStrictJson('{"c": {"d": null}, "b": [1, 2], "a": 1}');
    expect(diffJson(a, b).count).toBe(0);
    expect(jsonEqual(a, b)).toBe(true);
    const c = parseStrictJson('{"a": 1, "b": [2, 1, 3], "c": {"d": false}}');
    expect(diffJson(a, c).changes.map((x) => `${x.change} ${x.path}`)).toEqual(['changed b[0]', 'changed b[1]', 'added b[2]', 'changed c.d']);
  });
  it('caps the listing but counts everything', () => {
    const a = parseStrictJson(JSON.stringify(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]))));
    const d = diffJson(a, parseStrictJson('{}'), { maxChanges: 5 });
    expect([d.count, d.changes.length, d.truncated]).toEqual([20, 5, true]);
  });
  it('paths quote odd keys visibly; large values become previews', () => {
    expect(formatPath(['a', 0, 'b c', 'x\u202e"'])).toBe('a[0]["b c"]["x\\u{202E}\\""]');
    const big = parseStrictJson(JSON.stringify({ v: 'x'.repeat(5000) }));
    const d = diffJson(parseStrictJson('{}'), big);
    expect(d.changes[0]?.new).toMatchObject({ chars: 5002 });
  });
});

describe('config key classes', () => {
  it('leaf first, then parents; dropout and stamps are cosmetic', () => {
    expect(classifyConfigKey(['num_hidden_layers'], 'config')).toBe('critical');
    expect(classifyConfigKey(['rope_scaling', 'factor'], 'config')).toBe('critical');
    expect(classifyConfigKey(['text_config', '_name_or_path'], 'config')).toBe('cosmetic');
    expect(classifyConfigKey(['attention_dropout'], 'config')).toBe('cosmetic');
    expect(classifyConfigKey(['torch_dtype'], 'config')).toBe('cosmetic');
    expect(classifyConfigKey(['auto_map', 'AutoModelForCausalLM'], 'config')).toBe('critical');
    expect(classifyConfigKey(['temperature'], 'generation-config')).toBe('setting');
    expect(classifyConfigKey(['suppress_tokens', 3], 'generation-config')).toBe('critical');
    expect(classifyConfigKey(['target_modules', 0], 'adapter-config')).toBe('critical');
    expect(classifyConfigKey(['lora_dropout'], 'adapter-config')).toBe('cosmetic');
    expect(classifyConfigKey(['some_new_key'], 'config')).toBe('setting');
  });
});

describe('display helpers', () => {
  it('visible escapes controls, invisibles, lone surrogates and backslashes; keeps emoji and HTML', () => {
    expect(visible('a\nb\t\\\u0001\u007f')).toBe('a\\nb\\t\\\\\\x01\\x7F');
    expect(visible('\u202e\u200b\ufeff\u00ad')).toBe('\\u{202E}\\u{200B}\\u{FEFF}\\u{00AD}');
    expect(visible(String.fromCodePoint(0xe0041))).toBe('\\u{E0041}');
    expect(visible('\ud800x')).toBe('\\u{D800}x');
    expect(visible('😀 <b>é</b>')).toBe('😀 <b>é</b>');
  });
  it('quote clips in the middle and escapes quotes', () => {
    expect(quote("it's")).toBe("'it\\'s'");
    expect(quote('x'.repeat(100), 11)).toBe(`'${'x'.repeat(5)}…${'x'.repeat(5)}'`);
    expect(clipMiddle('😀'.repeat(10), 5)).toBe('😀😀…😀😀');
  });
  it('listWords', () => {
    expect(listWords(['a'])).toBe('a');
    expect(listWords(['a', 'b'])).toBe('a and b');
    expect(listWords(['a', 'b', 'c'], 3000)).toBe('a, b, c and 2,997 more');
  });
});
