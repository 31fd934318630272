import { describe, expect, it } from 'vitest';
import { readTokenizerJson, type HfTokenizer } from '../../../src/lib/formats/hf/tokenizer-json.ts';
import { diffMerges, diffTokenizers, diffVocab } from '../../../src/lib/analysis/sidecars/tokenizer-diff.ts';
import type { SidecarFinding } from '../../../src/lib/analysis/sidecars/types.ts';
import { byteLevelVocab, bpeTokenizerJson, idOf, MERGES, swapped, WORDS, type BpeSpec } from '../../fixtures/hf/tokenizers.ts';

function tok(spec: BpeSpec): HfTokenizer {
  const r = readTokenizerJson(bpeTokenizerJson(spec));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const vocab = byteLevelVocab([...WORDS]);
const base: BpeSpec = { vocab, merges: MERGES };
const change = (f: SidecarFinding): unknown => f.details?.['change'];

describe('vocabulary', () => {
  it('names both tokens of a swap', () => {
    const f = diffTokenizers(tok(base), tok({ ...base, vocab: swapped(vocab, 'Ġyes', 'Ġno') }), 'tokenizer.json');
    expect(f).toHaveLength(1);
    const yes = idOf(vocab, 'Ġyes');
    const no = idOf(vocab, 'Ġno');
    expect(f[0]?.message).toBe(`tokenizer.json: tokens 'Ġyes' (id ${yes}) and 'Ġno' (id ${no}) swapped ids in the vocabulary`);
    expect(f[0]).toMatchObject({ kind: 'tokenizer-changed', severity: 'high', effect: 'tampered', file: 'tokenizer.json' });
    expect(f[0]?.details).toEqual({
      change: 'vocab-swapped',
      count: 1,
      truncated: false,
      entries: [{ a: { id: yes, token: 'Ġyes', text: ' yes' }, b: { id: no, token: 'Ġno', text: ' no' } }],
    });
  });

  it('tells swaps, moves, replacements, additions and removals apart', () => {
    const a = { idToToken: new Map([[0, 'a'], [1, 'b'], [2, 'c'], [3, 'd'], [4, 'e'], [5, 'f']]), tokenToId: new Map([['a', 0], ['b', 1], ['c', 2], ['d', 3], ['e', 4], ['f', 5]]) };
    // a↔b swapped; c replaced by x; d moved to 7 (its id 3 now empty); f removed; y added at 6.
    const bPairs: [number, string][] = [[0, 'b'], [1, 'a'], [2, 'x'], [7, 'd'], [4, 'e'], [6, 'y']];
    const b = { idToToken: new Map(bPairs), tokenToId: new Map(bPairs.map(([i, t]) => [t, i] as const)) };
    const d = diffVocab(a, b);
    expect(d.swapped).toEqual([{ a: { id: 0, token: 'a' }, b: { id: 1, token: 'b' } }]);
    expect(d.replaced).toEqual([{ id: 2, old: 'c', new: 'x' }]);
    expect(d.moved).toEqual([{ token: 'd', from: 3, to: 7 }]);
    expect(d.added).toEqual([{ id: 6, token: 'y' }]);
    expect(d.removed).toEqual([{ id: 5, token: 'f' }]);
  });

  it('a three-way rotation is three moves, not a swap', () => {
    const a = { idToToken: new Map([[0, 'a'], [1, 'b'], [2, 'c']]), tokenToId: new Map([['a', 0], ['b', 1], ['c', 2]]) };
    const b = { idToToken: new Map([[0, 'c'], [1, 'a'], [2, 'b']]), tokenToId: new Map([['c', 0], ['a', 1], ['b', 2]]) };
    const d = diffVocab(a, b);
    expect(d.swapped).toEqual([]);
    expect(d.moved.map((m) => m.token)).toEqual(['a', 'b', 'c']);
  });

  it('lists at most 1,000 entries with the full count', () => {
    const many = Array.from({ length: 1500 }, (_, i) => `Ġw${i}`);
    const f = diffTokenizers(tok(base), tok({ ...base, vocab: [...vocab, ...many] }), 'tokenizer.json');
    expect(f).toHaveLength(1);
    expect(f[0]?.message).toMatch(/^tokenizer\.json: 1,500 tokens added to the vocabulary: 'Ġw0' \(id 268\), 'Ġw1' \(id 269\), 'Ġw2' \(id 270\) and 1,497 more$/);
    expect(f[0]?.details?.['count']).toBe(1500);
    expect(f[0]?.details?.['truncated']).toBe(true);
    expect((f[0]?.details?.['entries'] as unknown[]).length).toBe(1000);
  });
});

describe('merges', () => {
  it('an inserted merge is an addition, not a reordering of everything after it', () => {
    const m = [...MERGES];
    m.splice(1, 0, ['Ġ', 'y']);
    const d = diffMerges(MERGES, m);
    expect(d.added).toEqual([{ merge: ['Ġ', 'y'], rank: 1 }]);
    expect(d.reordered).toEqual([]);
    expect(d.removed).toEqual([]);
  });

  it('moving one merge ahead of others is a reordering', () => {
    const m = [MERGES[4], MERGES[0], MERGES[1], MERGES[2], MERGES[3]] as [string, string][];
    const f = diffTokenizers(tok(base), tok({ ...base, merges: m }), 'tokenizer.json');
    expect(f.map(change)).toEqual(['merges-reordered']);
    expect(f[0]?.message).toMatch(/1 BPE merge changed rank .*'Ġt' \+ 'he' rank 4 → 0/);
  });

  it('removed merges, and string vs array form alone is no change', () => {
    expect(diffTokenizers(tok(base), tok({ ...base, mergesForm: 'string' }), 't')).toEqual([]);
    const f = diffTokenizers(tok(base), tok({ ...base, merges: MERGES.slice(0, 3) }), 't');
    expect(f.map(change)).toEqual(['merges-removed']);
    expect(f[0]?.details?.['count']).toBe(2);
  });
});

describe('added and special tokens', () => {
  const added = [
    { id: 300, content: '<|im_start|>', special: true },
    { id: 301, content: '<|im_end|>', special: true },
  ];
  it('names a new special token', () => {
    const f = diffTokenizers(tok({ ...base, added }), tok({ ...base, added: [...added, { id: 302, content: '<|deploy|>', special: true }] }), 'tokenizer.json');
    expect(f.map((x) => x.message)).toEqual(["tokenizer.json: special token '<|deploy|>' (id 302) added (added_tokens)"]);
    expect(f[0]?.details).toMatchObject({ change: 'added-tokens-added', count: 1, entries: [{ id: 302, content: '<|deploy|>', special: true }] });
  });
  it('special flag flips, content changes, flag changes and removals', () => {
    const after = [
      { id: 300, content: '<|im_start|>', special: false },
      { id: 301, content: '<|im_stop|>', special: true, lstrip: true },
    ];
    const f = diffTokenizers(tok({ ...base, added }), tok({ ...base, added: after }), 'tokenizer.json');
    expect(f.map(change)).toEqual(['added-tokens-content', 'added-tokens-special', 'added-tokens-flags']);
    expect(f[0]?.message).toContain("id 301 '<|im_end|>' → '<|im_stop|>'");
    expect(f[1]?.message).toContain("token '<|im_start|>' (id 300) is no longer special");
    expect(f[2]?.message).toContain('lstrip false → true');
    const r = diffTokenizers(tok({ ...base, added }), tok({ ...base, added: added.slice(0, 1) }), 'tokenizer.json');
    expect(r.map((x) => x.message)).toEqual(["tokenizer.json: special token '<|im_end|>' (id 301) removed (added_tokens)"]);
  });
});

describe('pipeline and settings', () => {
  it('reports JSON paths of a post-processor change', () => {
    const pp = (tokenA: string) => ({ type: 'TemplateProcessing', single: [{ SpecialToken: { id: tokenA, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [], special_tokens: {} });
    const f = diffTokenizers(tok({ ...base, postProcessor: pp('<s>') }), tok({ ...base, postProcessor: pp('<|deploy|>') }), 'tokenizer.json');
    expect(f).toHaveLength(1);
    expect(f[0]?.message).toBe("tokenizer.json: post_processor (which special tokens are added around every input) changed: single[0].SpecialToken.id: '<s>' → '<|deploy|>'");
    expect(f[0]?.details?.['changes']).toEqual([{ path: 'single[0].SpecialToken.id', keys: ['single', 0, 'SpecialToken', 'id'], change: 'changed', old: '<s>', new: '<|deploy|>' }]);
  });
  it('normalizer added, model options changed', () => {
    const f = diffTokenizers(tok(base), tok({ ...base, normalizer: { type: 'Replace', pattern: { String: 'yes' }, content: 'no' }, byteFallback: true }), 'tokenizer.json');
    expect(f.map(change)).toEqual(['normalizer', 'model-options']);
    expect(f[1]?.message).toContain('byte_fallback: false → true');
  });
  it('Unigram score changes', () => {
    const u = (s: number) => {
      const r = readTokenizerJson(JSON.stringify({ model: { type: 'Unigram', vocab: [['<unk>', 0], ['▁yes', s]] } }));
      if (!r.ok) throw new Error('bad');
      return r.value;
    };
    const f = diffTokenizers(u(-3), u(-0.5), 'tokenizer.json');
    expect(f.map(change)).toEqual(['unigram-scores']);
    expect(f[0]?.message).toContain("'▁yes' (id 1) -3 → -0.5");
  });
});
