import { describe, expect, it } from 'vitest';
import { readTokenizerJson } from '../../../src/lib/formats/hf/tokenizer-json.ts';
import { readMergesTxt, readVocabJson, readVocabTxt } from '../../../src/lib/formats/hf/slow-tokenizer-files.ts';
import { readAddedTokensJson, readChatTemplateJson, readSpecialTokensMap, readTokenizerConfig } from '../../../src/lib/formats/hf/tokenizer-config.ts';
import { readModelConfig } from '../../../src/lib/formats/hf/model-config.ts';
import { readGenerationConfig } from '../../../src/lib/formats/hf/generation-config.ts';
import { HF_LIMITS } from '../../../src/lib/formats/hf/limits.ts';
import { byteLevelVocab, bpeTokenizerJson, MERGES, tokenizerConfigJson, WORDS } from '../../fixtures/hf/tokenizers.ts';
import { tinyConfigJson } from '../../fixtures/tiny-llama.ts';
import { gpt2Config } from '../../fixtures/hf/models.ts';

function ok<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe('tokenizer.json', () => {
  const vocab = byteLevelVocab([...WORDS]);

  it('reads a byte-level BPE model both ways, with merges in either form', () => {
    const a = ok(readTokenizerJson(bpeTokenizerJson({ vocab, merges: MERGES, mergesForm: 'string' })));
    const b = ok(readTokenizerJson(bpeTokenizerJson({ vocab, merges: MERGES, mergesForm: 'array' })));
    expect(a.modelType).toBe('BPE');
    expect(a.vocab.idToToken.size).toBe(256 + WORDS.length);
    expect(a.vocab.tokenToId.get('Ġyes')).toBe(256 + WORDS.indexOf('Ġyes'));
    expect(a.vocab.idToToken.get(256)).toBe('Ġt');
    expect(a.merges).toEqual(MERGES);
    expect(b.merges).toEqual(MERGES);
    expect([a.mergesForm, b.mergesForm]).toEqual(['string', 'array']);
    expect(a.preTokenizer).toMatchObject({ type: 'ByteLevel' });
    expect(a.modelOptions['byte_fallback']).toBe(false);
    expect(a.other['version']).toBe('1.0');
  });

  it('keeps merge tokens that contain spaces in the array form', () => {
    const t = ok(readTokenizerJson(bpeTokenizerJson({ vocab: ['a b', 'c', 'a bc'], merges: [['a b', 'c']], mergesForm: 'array' })));
    expect(t.merges).toEqual([['a b', 'c']]);
  });

  it('warns on malformed merges instead of guessing', () => {
    const json = JSON.stringify({ model: { type: 'BPE', vocab: { a: 0, b: 1 }, merges: ['a b', 'a  b', 'ab', ['a'], 7] } });
    const r = readTokenizerJson(json);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.merges).toEqual([['a', 'b']]);
    expect(r.warnings.filter((w) => w.code === 'hf_bad_merge')).toHaveLength(4);
  });

  it('reads added tokens with their flags and defaults', () => {
    const t = ok(readTokenizerJson(bpeTokenizerJson({ vocab, added: [{ id: 300, content: '<|deploy|>', special: true }, { id: 301, content: 'hi', lstrip: true }] })));
    expect(t.addedTokens).toEqual([
      { id: 300, content: '<|deploy|>', special: true, singleWord: false, lstrip: false, rstrip: false, normalized: false },
      { id: 301, content: 'hi', special: false, singleWord: false, lstrip: true, rstrip: false, normalized: true },
    ]);
  });

  it('reads Unigram (list vocab with scores), WordPiece and WordLevel', () => {
    const uni = ok(readTokenizerJson(JSON.stringify({ model: { type: 'Unigram', unk_id: 0, vocab: [['<unk>', 0], ['▁the', -2.5], ['s', -4.25]] } })));
    expect(uni.modelType).toBe('Unigram');
    expect(uni.vocab.idToToken.get(1)).toBe('▁the');
    expect(uni.scores.get(2)).toBe(-4.25);
    expect(uni.modelOptions['unk_id']).toBe(0);
    const wp = ok(readTokenizerJson(JSON.stringify({ model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: { '[UNK]': 0, hello: 1, '##ing': 2 } } })));
    expect(wp.modelType).toBe('WordPiece');
    expect(wp.vocab.tokenToId.get('##ing')).toBe(2);
    const wl = ok(readTokenizerJson(JSON.stringify({ model: { type: 'WordLevel', vocab: { a: 0 }, unk_token: 'a' } })));
    expect(wl.modelType).toBe('WordLevel');
  });

  it('infers the model type when "type" is absent', () => {
    expect(ok(readTokenizerJson(JSON.stringify({ model: { vocab: { a: 0 }, merges: [] } }))).modelType).toBe('BPE');
    expect(ok(readTokenizerJson(JSON.stringify({ model: { vocab: [['a', 0]] } }))).modelType).toBe('Unigram');
    expect(ok(readTokenizerJson(JSON.stringify({ model: { type: 'Mystery', vocab: { a: 0 } } }))).modelType).toBe('unknown');
  });

  it('a duplicated vocabulary key is a json_duplicate_key error with its byte offset', () => {
    const text = '{"model": {"type": "BPE", "vocab": {"yes": 0, "no": 1, "yes": 2}, "merges": []}}';
    const r = readTokenizerJson(text, 'tokenizer.json');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('json_duplicate_key');
    expect(r.error.offset).toBe(text.lastIndexOf('"yes"'));
    expect(r.error.file).toBe('tokenizer.json');
  });

  it('warns when two tokens claim one id, and on bad ids', () => {
    const r = readTokenizerJson(JSON.stringify({ model: { type: 'BPE', vocab: { a: 0, b: 0, c: -1, d: 1.5, e: 'x' }, merges: [] } }));
    if (!r.ok) throw new Error('expected ok');
    expect(r.value.vocab.idToToken.get(0)).toBe('a');
    expect(r.warnings.map((w) => w.code).sort()).toEqual(['hf_bad_vocab_entry', 'hf_bad_vocab_entry', 'hf_bad_vocab_entry', 'hf_duplicate_token_id']);
  });

  it('refuses counts over the caps (hf_too_many) before building anything', () => {
    const text = bpeTokenizerJson({ vocab: byteLevelVocab(), merges: MERGES });
    const r = readTokenizerJson(text, 'tokenizer.json', { ...HF_LIMITS, maxVocabEntries: 100 });
    expect(r.ok ? 'ok' : r.error.code).toBe('hf_too_many');
    const m = readTokenizerJson(text, 'tokenizer.json', { ...HF_LIMITS, maxMerges: 2 });
    expect(m.ok ? 'ok' : m.error.message).toMatch(/model\.merges has 5 entries, over the cap of 2/);
  });

  it('rejects documents that are not objects, and bad JSON with offsets', () => {
    const r = readTokenizerJson('[1, 2]');
    expect(r.ok ? 'ok' : r.error.code).toBe('hf_not_object');
    const bad = readTokenizerJson('{"model": {"vocab": {"a": 0,}}}');
    expect(bad.ok ? 'ok' : [bad.error.code, bad.error.offset]).toEqual(['json_syntax', 28]);
  });

  it('a key named __proto__ is only a key', () => {
    const t = ok(readTokenizerJson(JSON.stringify({ model: { type: 'WordLevel', vocab: JSON.parse('{"__proto__": 0, "constructor": 1}') as Record<string, number> } })));
    expect(t.vocab.tokenToId.get('__proto__')).toBe(0);
    expect(t.vocab.tokenToId.get('constructor')).toBe(1);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('slow tokenizer files', () => {
  it('merges.txt with a version line, CRLF and blank lines', () => {
    const m = ok(readMergesTxt('#version: 0.2\r\nĠ t\r\nh e\r\n\r\nbad\n'));
    expect(m).toEqual([['Ġ', 't'], ['h', 'e']]);
    const r = readMergesTxt('#version: 0.2\nĠ t\nbad\n');
    expect(r.ok && r.warnings[0]?.message).toMatch(/line 3/);
  });
  it('vocab.txt: id = line number', () => {
    const v = ok(readVocabTxt('[PAD]\n[UNK]\nhello\n##ing\n'));
    expect(v.idToToken.get(3)).toBe('##ing');
    expect(v.idToToken.size).toBe(4);
  });
  it('vocab.json and added_tokens.json: token → id', () => {
    expect(ok(readVocabJson('{"a": 0, "Ġb": 1}')).idToToken.get(1)).toBe('Ġb');
    expect(ok(readAddedTokensJson('{"<|x|>": 50257}')).tokenToId.get('<|x|>')).toBe(50257);
  });
});

describe('tokenizer_config.json and friends', () => {
  it('reads a string template, special tokens in both forms and added_tokens_decoder', () => {
    const text = JSON.stringify({
      chat_template: '{{ messages }}',
      bos_token: { __type: 'AddedToken', content: '<s>', lstrip: false },
      eos_token: '</s>',
      pad_token: null,
      add_bos_token: true,
      additional_special_tokens: ['<a>', { content: '<b>' }],
      added_tokens_decoder: { '0': { content: '<unk>', special: true }, '32000': { content: '<|deploy|>', special: true }, x: { content: 'bad' } },
      model_max_length: 4096,
    });
    const r = readTokenizerConfig(text);
    if (!r.ok) throw new Error(r.error.message);
    const c = r.value;
    expect(c.chatTemplates).toEqual([{ name: 'default', template: '{{ messages }}' }]);
    expect(c.chatTemplateForm).toBe('string');
    expect(Object.fromEntries(c.specialTokens.named)).toEqual({ bos_token: '<s>', eos_token: '</s>', pad_token: null });
    expect(c.specialTokens.additional).toEqual(['<a>', '<b>']);
    expect(c.addedTokensDecoder.map((t) => [t.id, t.content, t.special])).toEqual([
      [0, '<unk>', true],
      [32000, '<|deploy|>', true],
    ]);
    expect(r.warnings.map((w) => w.code)).toEqual(['hf_bad_added_token']);
    expect(Object.keys(c.other).sort()).toEqual(['add_bos_token', 'model_max_length']);
  });

  it('reads named template lists and skips malformed or repeated entries', () => {
    const r = readTokenizerConfig(
      tokenizerConfigJson({
        chatTemplate: [
          { name: 'default', template: 'A' },
          { name: 'tool_use', template: 'B' },
          { name: 'default', template: 'C' },
        ],
      }),
    );
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.chatTemplates.map((t) => t.name)).toEqual(['default', 'tool_use']);
    expect(r.value.chatTemplateForm).toBe('list');
    expect(r.warnings[0]?.code).toBe('hf_bad_template');
    const tooMany = readTokenizerConfig(JSON.stringify({ chat_template: [{ name: 'a', template: '' }, { name: 'b', template: '' }] }), 'tokenizer_config.json', { ...HF_LIMITS, maxChatTemplates: 1 });
    expect(tooMany.ok ? 'ok' : tooMany.error.code).toBe('hf_too_many');
  });

  it('special_tokens_map.json and chat_template.json', () => {
    const s = ok(readSpecialTokensMap(JSON.stringify({ bos_token: '<s>', eos_token: { content: '</s>' }, additional_special_tokens: ['<x>'] })));
    expect(s.specialTokens.named.get('eos_token')).toBe('</s>');
    const t = ok(readChatTemplateJson(JSON.stringify({ chat_template: '{{ x }}' })));
    expect(t.chatTemplates).toEqual([{ name: 'default', template: '{{ x }}' }]);
  });
});

describe('config.json and generation_config.json', () => {
  it('reads Llama architecture fields', () => {
    const c = ok(readModelConfig(tinyConfigJson()));
    expect([c.modelType, c.vocabSize, c.hiddenSize, c.intermediateSize, c.numHiddenLayers, c.numAttentionHeads, c.numKeyValueHeads, c.tieWordEmbeddings, c.ropeTheta, c.torchDtype]).toEqual([
      'llama', 256, 64, 176, 4, 4, 2, false, 10000, 'float32',
    ]);
    expect(c.architectures).toEqual(['LlamaForCausalLM']);
  });
  it("maps GPT-2's attribute names", () => {
    const c = ok(readModelConfig(gpt2Config));
    expect([c.hiddenSize, c.numHiddenLayers, c.numAttentionHeads, c.maxPositionEmbeddings, c.intermediateSize, c.hiddenAct]).toEqual([16, 2, 2, 32, undefined, 'gelu_new']);
  });
  it('reads text_config of multimodal configs and warns on bad fields', () => {
    const r = readModelConfig(JSON.stringify({ model_type: 'gemma3', text_config: { model_type: 'gemma3_text', hidden_size: 640, num_hidden_layers: -1 }, vision_config: {} }));
    if (!r.ok) throw new Error('expected ok');
    expect(r.value.textConfig?.hiddenSize).toBe(640);
    expect(r.value.textConfig?.numHiddenLayers).toBeUndefined();
    expect(r.warnings[0]?.message).toMatch(/text_config\.num_hidden_layers is -1/);
  });
  it('generation_config: token ids as a number or a list', () => {
    const g = ok(readGenerationConfig(JSON.stringify({ bos_token_id: 1, eos_token_id: [128001, 128009], do_sample: true, temperature: 0.6, top_p: 0.9 })));
    expect([g.bosTokenId, g.eosTokenId, g.doSample, g.temperature, g.topP]).toEqual([[1], [128001, 128009], true, 0.6, 0.9]);
  });
});
