import { describe, expect, it } from 'vitest';
import { guessTokenStyle, isEmbeddingTensor, isUnembeddingTensor, tokenNamer, tokenNamerFromList } from '../../../src/lib/analysis/tokens.ts';
import { decodeUtf8Lossless, tokenText } from '../../../src/lib/formats/hf/byte-level.ts';
import { manifestOf } from '../../fixtures/hf/manifest.ts';
import { byteLevelVocab, bpeTokenizerJson, WORDS } from '../../fixtures/hf/tokenizers.ts';
import { byteToUnicode } from '../../fixtures/tokenizer.ts';
import { byteToUnicode as srcByteToUnicode } from '../../../src/lib/formats/hf/byte-level.ts';

describe('decoding vocabulary entries', () => {
  it('byte-level: GPT-2 map, UTF-8 across bytes, partial characters as \\xNN', () => {
    expect(srcByteToUnicode()).toEqual(byteToUnicode());
    expect(tokenText('Ġhello', 'byte-level')).toBe(' hello');
    expect(tokenText('Ċ', 'byte-level')).toBe('\n');
    // "é" = C3 A9 → "Ã©" in the byte map.
    expect(tokenText('Ã©t', 'byte-level')).toBe('ét');
    expect(tokenText('Ã', 'byte-level')).toBe('\\xC3');
    expect(tokenText('<|endoftext|>', 'byte-level')).toBe('<|endoftext|>');
  });
  it('metaspace: ▁ is a space, <0xNN> a byte', () => {
    expect(tokenText('▁hello', 'metaspace')).toBe(' hello');
    expect(tokenText('<0x0A>', 'metaspace')).toBe('\n');
    expect(tokenText('<0xE2>', 'metaspace')).toBe('\\xE2');
  });
  it('lossless UTF-8 rejects overlong forms and surrogates', () => {
    expect(decodeUtf8Lossless(Uint8Array.of(0xc0, 0x80))).toBe('\\xC0\\x80');
    expect(decodeUtf8Lossless(Uint8Array.of(0xed, 0xa0, 0x80))).toBe('\\xED\\xA0\\x80');
    expect(decodeUtf8Lossless(Uint8Array.of(0xf0, 0x9f, 0x98, 0x80))).toBe('😀');
  });
});

describe('tokenNamer', () => {
  const vocab = byteLevelVocab([...WORDS, 'Ġ\u202eevil']);
  const m = manifestOf('m', { 'tokenizer.json': bpeTokenizerJson({ vocab, added: [{ id: 400, content: '<|im_start|>', special: true }, { id: 401, content: 'Ġraw', special: false }] }) });
  const name = tokenNamer(m);

  it('names rows from tokenizer.json, decoded and escaped for display', () => {
    if (!name) throw new Error('no namer');
    expect(name(vocab.indexOf('Ġhello'))).toBe(' hello');
    expect(name(10)).toBe('\\n'); // byte 0x0A
    expect(name(0)).toBe('\\x00');
    expect(name(92)).toBe('\\\\'); // the backslash byte
    expect(name(vocab.indexOf('Ġ\u202eevil'))).toBe(' \\u{202E}evil');
    expect(name(400)).toBe('<|im_start|>');
    expect(name(401)).toBe('Ġraw'); // added tokens are shown as written, never byte-decoded
    expect(name(9999)).toBeUndefined();
    expect(name(-1)).toBeUndefined();
    expect(name(1.5)).toBeUndefined();
  });

  it('falls back to vocab.json / vocab.txt, or returns undefined', () => {
    expect(tokenNamer(manifestOf('m', { 'vocab.json': '{"Ġa": 0}' }))?.(0)).toBe(' a');
    expect(tokenNamer(manifestOf('m', { 'vocab.txt': '[PAD]\nhello\n' }))?.(1)).toBe('hello');
    expect(tokenNamer(manifestOf('m', { 'config.json': '{}' }))).toBeUndefined();
    expect(tokenNamer(manifestOf('m', { 'tokenizer.json': '{"model": {"vocab": {"a": 0, "a": 1}}}' }))).toBeUndefined();
    expect(tokenNamer(undefined)).toBeUndefined();
  });

  it('accepts a token list (GGUF) and guesses its style', () => {
    const sp = ['<unk>', '<s>', '</s>', '<0x0A>', '▁the', '▁yes'];
    expect(guessTokenStyle(sp)).toBe('metaspace');
    const n = tokenNamerFromList(sp);
    expect([n(3), n(5), n(6)]).toEqual(['\\n', ' yes', undefined]);
    expect(guessTokenStyle(['Ġthe', 'Ċ', 'a'])).toBe('byte-level');
    expect(guessTokenStyle(['[CLS]', 'hello'])).toBe('plain');
    // The list wins over the manifest's files.
    expect(tokenNamer(m, ['<unk>', '▁x'])?.(1)).toBe(' x');
  });
});

describe('embedding and unembedding tensor names', () => {
  it.each([
    'model.embed_tokens.weight',
    'embed_tokens.weight',
    'model.language_model.embed_tokens.weight',
    'language_model.model.embed_tokens.weight',
    'model.decoder.embed_tokens.weight',
    'transformer.wte.weight',
    'gpt_neox.embed_in.weight',
    'transformer.word_embeddings.weight',
    'transformer.embedding.word_embeddings.weight',
    'tok_embeddings.weight',
    'token_embd.weight',
  ])('%s is an embedding', (n) => {
    expect(isEmbeddingTensor(n)).toBe(true);
    expect(isUnembeddingTensor(n)).toBe(false);
  });
  it.each(['lm_head.weight', 'model.lm_head.weight', 'language_model.lm_head.weight', 'embed_out.weight', 'transformer.output_layer.weight', 'output.weight'])('%s is an unembedding', (n) => {
    expect(isUnembeddingTensor(n)).toBe(true);
    expect(isEmbeddingTensor(n)).toBe(false);
  });
  it.each(['transformer.wpe.weight', 'model.layers.0.attention.output.weight', 'blk.0.attn_output.weight', 'model.embed_tokens.bias', 'lm_head.bias', 'output_norm.weight'])('%s is neither', (n) => {
    expect(isEmbeddingTensor(n) || isUnembeddingTensor(n)).toBe(false);
  });
});
