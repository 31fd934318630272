/**
 * BPE encoding from tokenizer.json against golden.py's independent reference encoder
 * (tests/fixtures/activations/tokenizers/expected.json), plus the translations and stages that the
 * reference does not cover (Oniguruma regexes, Metaspace, ignore_merges, TemplateProcessing).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { displayUtf8, parseTokenIds, tokenizerFromJson, translateRegex } from '../../../src/lib/activations/tokenizer.ts';
import { byteLevelTokenizerJson } from '../../fixtures/tokenizer.ts';

const dir = new URL('../../fixtures/activations/tokenizers/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as Record<string, { text: string; ids: number[] }[]>;

describe('BPE encoding matches the reference', () => {
  for (const kind of ['byte-level', 'metaspace'] as const) {
    const tok = tokenizerFromJson(readFileSync(new URL(`${kind}.tokenizer.json`, dir), 'utf8'));
    for (const { text, ids } of expected[kind] ?? []) {
      it(`${kind}: ${JSON.stringify(text)}`, () => {
        expect(tok.encode(text)).toEqual(ids);
      });
    }
    it(`${kind}: decode(encode(text)) is the text`, () => {
      for (const { text } of expected[kind] ?? []) {
        const ids = tok.encode(text, false);
        expect(tok.decode(ids, { stripLeadingSpace: true })).toBe(text);
      }
    });
  }
  it('covers every text', () => {
    expect(expected['byte-level']?.length).toBeGreaterThan(5);
    expect(expected['metaspace']?.length).toBe(expected['byte-level']?.length);
  });
});

describe('tokenizer stages', () => {
  it('translates scoped case-insensitivity and possessive quantifiers', () => {
    expect(translateRegex("(?i:'s|'t)|\\p{N}{1,3}")).toBe("(?:'[sS]|'[tT])|\\p{N}{1,3}");
    expect(translateRegex('[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++')).toBe('[^\\r\\n\\p{L}\\p{N}]?\\p{L}+');
    const re = new RegExp(translateRegex("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"), 'gu');
    expect("HE'S 12345 ok".match(re)).toEqual(['HE', "'S", ' ', '123', '45', ' ok']);
  });

  it('Llama-3 style: Split(regex) then ByteLevel without regex, ignore_merges, <|begin_of_text|> template', () => {
    const base = JSON.parse(byteLevelTokenizerJson(['Ġhello', 'Ġworld', 'he', 'll', 'hell'])) as Record<string, unknown>;
    const model = base['model'] as Record<string, unknown>;
    model['merges'] = [['h', 'e'], ['l', 'l'], ['he', 'll']];
    model['ignore_merges'] = true;
    base['added_tokens'] = [{ id: 300, content: '<|begin_of_text|>', special: true, normalized: false, lstrip: false, rstrip: false, single_word: false }];
    base['pre_tokenizer'] = {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    };
    base['post_processor'] = {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [300], tokens: ['<|begin_of_text|>'] } },
    };
    const tok = tokenizerFromJson(JSON.stringify(base));
    const id = (t: string): number => tok.hf.vocab.tokenToId.get(t) ?? -1;
    // " hello" is in the vocabulary whole (ignore_merges); "hello" is merged: he + ll + o.
    expect(tok.encode('hello hello')).toEqual([300, id('hell'), id('o'), id('Ġhello')]);
    expect(tok.decode(tok.encode('hello world', false))).toBe('hello world');
  });

  it('Metaspace pre-tokenizer with prepend_scheme "first" and byte fallback', () => {
    const vocab: Record<string, number> = { '<unk>': 0, '\u2581a': 1, '\u2581': 2, a: 3, b: 4 };
    for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 10 + b;
    const tok = tokenizerFromJson(
      JSON.stringify({
        added_tokens: [],
        normalizer: null,
        pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: true },
        post_processor: null,
        decoder: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: true },
        model: { type: 'BPE', unk_token: '<unk>', byte_fallback: true, fuse_unk: true, vocab, merges: [['\u2581', 'a']] },
      }),
    );
    expect(tok.encode('a b é')).toEqual([1, 2, 4, 2, 10 + 0xc3, 10 + 0xa9]);
  });

  it('refuses what it cannot encode exactly', () => {
    expect(() => tokenizerFromJson(JSON.stringify({ model: { type: 'WordPiece', vocab: { a: 0 }, continuing_subword_prefix: '##', max_input_chars_per_word: 100 } }))).toThrow(/tokenizer_unsupported|only BPE/);
    expect(() => tokenizerFromJson(JSON.stringify({ normalizer: { type: 'BertNormalizer' }, model: { type: 'BPE', vocab: { a: 0 }, merges: [] } }))).toThrow(/BertNormalizer/);
  });

  it('displays text with control characters and broken UTF-8 escaped exactly once', () => {
    const tok = tokenizerFromJson(readFileSync(new URL('byte-level.tokenizer.json', dir), 'utf8'));
    const ids = tok.encode('a\\b\n🙂', false);
    expect(tok.display(ids)).toBe('a\\\\b\\n🙂');
    // The emoji is a byte token (F0) and a merged token (9F 99 82) here: the first alone is an incomplete sequence.
    const emoji = tok.encode('🙂', false);
    expect(emoji).toHaveLength(2);
    expect(tok.display(emoji.slice(0, 1))).toBe('\\xF0');
    expect(tok.display(emoji.slice(1))).toBe('\\x9F\\x99\\x82');
    expect(displayUtf8(Uint8Array.of(0x41, 0xff, 0x0a, 0xe2, 0x80))).toBe('A\\xFF\\n\\xE2\\x80');
  });

  it('parses --token-ids', () => {
    expect(parseTokenIds('1,2, 3')).toEqual([1, 2, 3]);
    expect(() => parseTokenIds('1,x')).toThrow(/not a token id/);
  });
});
