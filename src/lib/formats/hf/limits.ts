/**
 * Caps for the Hugging Face sidecar readers (tokenizer.json, tokenizer_config.json, config.json,
 * generation_config.json, vocab.json / merges.txt / vocab.txt). The whole file is already bounded
 * by MAX_SIDECAR_BYTES (../limits.ts) before it reaches these readers; the caps below bound the
 * structures derived from it (maps, sets, diff lists), so a small hostile file cannot fan out into
 * a large amount of work. Each names the threat and the largest real value it must accept.
 */

/** Entries of one vocabulary (model.vocab, vocab.json, vocab.txt, added_tokens.json). Threat: memory
 *  and CPU from a vocabulary of tens of millions of one-character entries (CWE-770). Largest real:
 *  262,144 (Gemma 3), ~1M for a few multilingual / character-level models. */
export const MAX_VOCAB_ENTRIES = 4_000_000;

/** BPE merge rules. Threat: as above. Largest real: ~500k (large byte-level BPE vocabularies;
 *  merges ≈ vocab size − 256). */
export const MAX_MERGES = 4_000_000;

/** Added tokens (tokenizer.json added_tokens, tokenizer_config.json added_tokens_decoder). Threat:
 *  as above. Largest real: a few thousand reserved specials (Llama 3: 256; Gemma: 6k; some code
 *  models reserve ~100k). */
export const MAX_ADDED_TOKENS = 1_000_000;

/** Named chat templates in one file (tokenizer_config.json `chat_template` as a list). Threat: a
 *  list of a million tiny templates, each diffed and scanned. Largest real: 3 ("default",
 *  "tool_use", "rag" — Cohere Command R). */
export const MAX_CHAT_TEMPLATES = 256;

/** Token ids are non-negative integers below this. Threat: none by allocation (ids live in maps),
 *  but an id near 2^53 breaks arithmetic on rows and makes no sense for an embedding matrix.
 *  Largest real: ~1M. */
export const MAX_TOKEN_ID = 2 ** 31 - 1;

/** The caps as one object, so tests (and callers with tighter budgets) can pass smaller ones. */
export interface HfLimits {
  maxVocabEntries: number;
  maxMerges: number;
  maxAddedTokens: number;
  maxChatTemplates: number;
}

export const HF_LIMITS: Readonly<HfLimits> = Object.freeze({
  maxVocabEntries: MAX_VOCAB_ENTRIES,
  maxMerges: MAX_MERGES,
  maxAddedTokens: MAX_ADDED_TOKENS,
  maxChatTemplates: MAX_CHAT_TEMPLATES,
});
