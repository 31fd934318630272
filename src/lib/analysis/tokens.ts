/**
 * Naming the rows of embedding and unembedding matrices: row i of `model.embed_tokens.weight`
 * (or `lm_head.weight`, `token_embd.weight` …) is token id i, so a report can say *which token*
 * an edited row belongs to ("row 8505 = ' yes'").
 *
 * Tokens come from the model's tokenizer.json (added tokens included; byte-level and SentencePiece
 * tokens decoded to the text they stand for — 'Ġhello' → ' hello', '<0x0A>' → '\n'), else
 * vocab.json / vocab.txt, or from a plain token list (GGUF `tokenizer.ggml.tokens`, by id). Names
 * are display strings: control characters written as \n \t \xNN and invisible / bidi characters
 * as \u{XXXX} (./sidecars/display.ts), so a token can never reorder or hide report text.
 */
import { tokenStyleOf, tokenText, type TokenStyle } from '../formats/hf/byte-level.ts';
import { readVocabJson, readVocabTxt } from '../formats/hf/slow-tokenizer-files.ts';
import { readTokenizerJson } from '../formats/hf/tokenizer-json.ts';
import type { ModelManifest, SidecarFile } from '../formats/manifest.ts';
import { visible } from './sidecars/display.ts';

export type TokenNamer = (row: number) => string | undefined;

const baseName = (p: string): string => (p.split('/').pop() ?? p).toLowerCase();

/** The display form of one vocabulary entry. */
export function displayToken(token: string, style: TokenStyle): string {
  return visible(tokenText(token, style));
}

/**
 * A guess at how a bare token list is written (no tokenizer.json to say): GPT-2's byte map writes
 * a leading space as "Ġ" and a newline as "Ċ"; SentencePiece writes a space as "▁".
 */
export function guessTokenStyle(tokens: readonly (string | undefined)[]): TokenStyle {
  let byteLevel = 0;
  let meta = 0;
  const n = Math.min(tokens.length, 50_000);
  for (let i = 0; i < n; i++) {
    const t = tokens[i];
    if (t === undefined) continue;
    if (t.startsWith('Ġ') || t.includes('Ċ')) byteLevel++;
    if (t.includes('\u2581') || /^<0x[0-9A-Fa-f]{2}>$/.test(t)) meta++;
  }
  if (byteLevel === 0 && meta === 0) return 'plain';
  return byteLevel >= meta ? 'byte-level' : 'metaspace';
}

function memoNamer(lookup: (row: number) => string | undefined, style: TokenStyle, raw: ReadonlySet<number> = new Set()): TokenNamer {
  const cache = new Map<number, string | undefined>();
  return (row) => {
    if (!Number.isInteger(row) || row < 0) return undefined;
    if (cache.has(row)) return cache.get(row);
    const t = lookup(row);
    // Added tokens are matched as whole strings, never byte-decoded: show their content as is.
    const name = t === undefined ? undefined : raw.has(row) ? visible(t) : displayToken(t, style);
    if (cache.size < 65_536) cache.set(row, name);
    return name;
  };
}

/** A namer over a token list indexed by id (GGUF `tokenizer.ggml.tokens`). */
export function tokenNamerFromList(tokens: readonly (string | undefined)[], style: TokenStyle = guessTokenStyle(tokens)): TokenNamer {
  return memoNamer((row) => tokens[row], style);
}

/**
 * The token namer of a model, or undefined when it has no readable vocabulary. `tokens` (a list
 * by id, e.g. from GGUF metadata) takes precedence over the model's sidecar files.
 */
export function tokenNamer(manifest: ModelManifest | undefined, tokens?: readonly (string | undefined)[], style?: TokenStyle): TokenNamer | undefined {
  if (tokens && tokens.length > 0) return tokenNamerFromList(tokens, style ?? guessTokenStyle(tokens));
  if (!manifest) return undefined;
  // The shallowest file of each kind (a model folder may hold sub-folders with other tokenizers).
  const pick = (name: string): SidecarFile | undefined =>
    manifest.sidecars.filter((f) => baseName(f.path) === name).sort((x, y) => x.path.split('/').length - y.path.split('/').length || (x.path < y.path ? -1 : 1))[0];
  const tj = pick('tokenizer.json');
  if (tj) {
    const r = readTokenizerJson(tj.text, tj.path);
    if (r.ok) {
      const t = r.value;
      const added = new Map(t.addedTokens.map((a) => [a.id, a.content] as const));
      return memoNamer((row) => added.get(row) ?? t.vocab.idToToken.get(row), style ?? tokenStyleOf(t), new Set(added.keys()));
    }
  }
  const vj = pick('vocab.json');
  if (vj) {
    const r = readVocabJson(vj.text, vj.path);
    if (r.ok) return memoNamer((row) => r.value.idToToken.get(row), style ?? 'byte-level');
  }
  const vt = pick('vocab.txt');
  if (vt) {
    const r = readVocabTxt(vt.text, vt.path);
    if (r.ok) return memoNamer((row) => r.value.idToToken.get(row), style ?? 'plain');
  }
  return undefined;
}

/*
 * Embedding (token id → vector) and unembedding (vector → token logits) tensors, by name:
 * HF Llama/Mistral/Qwen/Gemma/Phi-3 `model.embed_tokens`, multimodal `model.language_model.
 * embed_tokens` / `language_model.model.embed_tokens`, OPT `model.decoder.embed_tokens`, GPT-2 /
 * GPT-J `transformer.wte`, GPT-NeoX `gpt_neox.embed_in`, BLOOM / Falcon `word_embeddings`,
 * ChatGLM `transformer.embedding.word_embeddings`, Meta's original Llama `tok_embeddings`, GGUF
 * `token_embd`; heads: `lm_head`, GPT-NeoX `embed_out`, ChatGLM `output_layer`, GGUF and Meta's
 * `output.weight` (top-level only — `….output.weight` inside a layer is something else).
 */
const EMBEDDING = /(^|\.)(embed_tokens|wte|embed_in|word_embeddings|tok_embeddings|token_embd|token_embedding|embedding\.word_embeddings)\.weight$/;
const UNEMBEDDING = /(^|\.)(lm_head|embed_out|output_layer)\.weight$|^output\.weight$/;

export function isEmbeddingTensor(name: string): boolean {
  return EMBEDDING.test(name);
}

export function isUnembeddingTensor(name: string): boolean {
  return UNEMBEDDING.test(name);
}

/** Rows of this tensor are tokens (either end of the model). */
export function isTokenRowTensor(name: string): boolean {
  return isEmbeddingTensor(name) || isUnembeddingTensor(name);
}
