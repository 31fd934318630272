/**
 * tokenizer.json (Hugging Face `tokenizers` serialization): the model (BPE, WordPiece, Unigram,
 * WordLevel) with its vocabulary and merges, the added tokens with their flags, and the pipeline
 * stages (normalizer, pre_tokenizer, post_processor, decoder) kept as JSON for structural diffs.
 *
 * Provenance of the forms accepted: tokenizers/src/models/{bpe,wordpiece,unigram,wordlevel}/
 * serialization.rs — BPE merges were "a b" strings up to tokenizers 0.19 and ["a", "b"] pairs since
 * 0.20 (both still load); Unigram's vocab is a list of [token, score] whose index is the id; the
 * others map token → id. `added_tokens` entries carry id, content, single_word, lstrip, rstrip,
 * normalized, special.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../strict-json.ts';
import { HF_LIMITS, MAX_TOKEN_ID, type HfLimits } from './limits.ts';
import { checkCount, describeJsonType, isTokenId, optBoolean, optString, readHfJson, without, type HfReadResult, type WarningSink } from './read-json.ts';

export type TokenizerModelType = 'BPE' | 'WordPiece' | 'Unigram' | 'WordLevel';

/** A vocabulary both ways. Ids are kept in maps, never as array indices sized by the file. */
export interface Vocab {
  idToToken: Map<number, string>;
  tokenToId: Map<string, number>;
}

/** One BPE merge rule; its rank is its index in the list (lower merges first). */
export type MergePair = readonly [string, string];

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
}

export interface HfTokenizer {
  /** As declared in model.type, or inferred from the model's shape when absent. */
  modelType: TokenizerModelType | 'unknown';
  vocab: Vocab;
  merges: MergePair[];
  /** How the merges were written (a change of form alone is a re-serialization, not a change). */
  mergesForm: 'string' | 'array' | 'none';
  /** Unigram only: id → log-probability score (changes alter segmentation). */
  scores: Map<number, number>;
  addedTokens: AddedToken[];
  normalizer: JsonValue;
  preTokenizer: JsonValue;
  postProcessor: JsonValue;
  decoder: JsonValue;
  /** model.* besides type, vocab and merges (unk_token, byte_fallback, continuing_subword_prefix …). */
  modelOptions: JsonObject;
  /** Top-level fields besides the ones above (version, truncation, padding …). */
  other: JsonObject;
}

export function emptyVocab(): Vocab {
  return { idToToken: new Map(), tokenToId: new Map() };
}

/** Adds token → id to `vocab`, warning on duplicates (first one kept, as a map insert would not). */
export function addVocabEntry(vocab: Vocab, token: string, id: number, warn: WarningSink, where: string): void {
  const prior = vocab.idToToken.get(id);
  if (prior !== undefined) {
    warn.add('hf_duplicate_token_id', `${where}: tokens ${JSON.stringify(clipForMessage(prior))} and ${JSON.stringify(clipForMessage(token))} both claim id ${id}; the first is used`);
  } else vocab.idToToken.set(id, token);
  if (vocab.tokenToId.has(token)) {
    warn.add('hf_duplicate_token', `${where}: token ${JSON.stringify(clipForMessage(token))} appears twice (ids ${vocab.tokenToId.get(token)} and ${id}); the first is used`);
  } else vocab.tokenToId.set(token, id);
}

export function clipForMessage(s: string, max = 80): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

/** A token → id object (BPE, WordPiece, WordLevel vocab; vocab.json; added_tokens.json). */
export function readVocabObject(obj: JsonObject, warn: WarningSink, where: string, file: string | undefined, maxEntries: number = HF_LIMITS.maxVocabEntries): Vocab {
  const keys = Object.keys(obj);
  checkCount(keys.length, maxEntries, where, file);
  const vocab = emptyVocab();
  for (const token of keys) {
    const id = obj[token];
    if (!isTokenId(id, MAX_TOKEN_ID)) {
      warn.add('hf_bad_vocab_entry', `${where}: token ${JSON.stringify(clipForMessage(token))} has id ${describeValue(id)}; expected a non-negative integer`);
      continue;
    }
    addVocabEntry(vocab, token, id, warn, where);
  }
  return vocab;
}

function describeValue(v: JsonValue | undefined): string {
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (typeof v === 'string') return JSON.stringify(clipForMessage(v, 40));
  return describeJsonType(v);
}

/** `added_tokens` entries (tokenizer.json) or `added_tokens_decoder` values (tokenizer_config.json). */
export function readAddedToken(entry: JsonValue | undefined, idOverride: number | undefined, warn: WarningSink, where: string): AddedToken | undefined {
  if (!isJsonObject(entry)) {
    warn.add('hf_bad_added_token', `${where} is ${describeJsonType(entry)}; expected an object`);
    return undefined;
  }
  const id = idOverride ?? entry['id'];
  const content = entry['content'];
  if (!isTokenId(id, MAX_TOKEN_ID) || typeof content !== 'string') {
    warn.add('hf_bad_added_token', `${where} has id ${describeValue(id)} and content ${describeValue(content)}; expected an integer id and a string`);
    return undefined;
  }
  return {
    id,
    content,
    // tokenizers' AddedToken defaults: special false, normalized = !special, others false.
    special: optBoolean(entry, 'special') ?? false,
    singleWord: optBoolean(entry, 'single_word') ?? false,
    lstrip: optBoolean(entry, 'lstrip') ?? false,
    rstrip: optBoolean(entry, 'rstrip') ?? false,
    normalized: optBoolean(entry, 'normalized') ?? !(optBoolean(entry, 'special') ?? false),
  };
}

export function readTokenizerJson(text: string, file?: string, limits: HfLimits = HF_LIMITS): HfReadResult<HfTokenizer> {
  return readHfJson(text, file, (root, warn) => {
    const model = root['model'];
    const m: JsonObject = isJsonObject(model) ? model : (Object.create(null) as JsonObject);
    if (!isJsonObject(model)) warn.add('hf_bad_field', `"model" is ${describeJsonType(model)}; expected an object (no vocabulary read)`);

    const declared = optString(m, 'type');
    const rawVocab = m['vocab'];
    const rawMerges = m['merges'];
    let modelType: HfTokenizer['modelType'];
    if (declared === 'BPE' || declared === 'WordPiece' || declared === 'Unigram' || declared === 'WordLevel') modelType = declared;
    else if (declared !== undefined) {
      warn.add('hf_bad_field', `model.type ${JSON.stringify(clipForMessage(declared))} is not BPE, WordPiece, Unigram or WordLevel; the vocabulary is read by its shape`);
      modelType = 'unknown';
    } else if (Array.isArray(rawMerges)) modelType = 'BPE';
    else if (Array.isArray(rawVocab)) modelType = 'Unigram';
    else if (m['continuing_subword_prefix'] !== undefined && m['max_input_chars_per_word'] !== undefined) modelType = 'WordPiece';
    else if (isJsonObject(rawVocab)) modelType = 'WordLevel';
    else modelType = 'unknown';

    let vocab = emptyVocab();
    const scores = new Map<number, number>();
    if (Array.isArray(rawVocab)) {
      // Unigram: [[token, score], …]; the index is the id.
      checkCount(rawVocab.length, limits.maxVocabEntries, 'model.vocab', file);
      rawVocab.forEach((entry, id) => {
        const token = Array.isArray(entry) ? entry[0] : undefined;
        const score = Array.isArray(entry) ? entry[1] : undefined;
        if (typeof token !== 'string') {
          warn.add('hf_bad_vocab_entry', `model.vocab[${id}] is not [token, score]`);
          return;
        }
        addVocabEntry(vocab, token, id, warn, 'model.vocab');
        if (typeof score === 'number') scores.set(id, score);
      });
    } else if (isJsonObject(rawVocab)) {
      vocab = readVocabObject(rawVocab, warn, 'model.vocab', file, limits.maxVocabEntries);
    } else if (rawVocab !== undefined && rawVocab !== null) {
      warn.add('hf_bad_field', `model.vocab is ${describeJsonType(rawVocab)}; expected an object or a list`);
    }

    const merges: MergePair[] = [];
    let mergesForm: HfTokenizer['mergesForm'] = 'none';
    if (Array.isArray(rawMerges)) {
      checkCount(rawMerges.length, limits.maxMerges, 'model.merges', file);
      rawMerges.forEach((entry, rank) => {
        const pair = readMerge(entry);
        if (pair === undefined) {
          warn.add('hf_bad_merge', `model.merges[${rank}] is ${typeof entry === 'string' ? JSON.stringify(clipForMessage(entry)) : describeJsonType(entry)}; expected "a b" or ["a", "b"]`);
          return;
        }
        if (mergesForm === 'none') mergesForm = typeof entry === 'string' ? 'string' : 'array';
        merges.push(pair);
      });
    } else if (rawMerges !== undefined && rawMerges !== null) {
      warn.add('hf_bad_field', `model.merges is ${describeJsonType(rawMerges)}; expected a list`);
    }

    const addedTokens: AddedToken[] = [];
    const rawAdded = root['added_tokens'];
    if (Array.isArray(rawAdded)) {
      checkCount(rawAdded.length, limits.maxAddedTokens, 'added_tokens', file);
      rawAdded.forEach((entry, i) => {
        const t = readAddedToken(entry, undefined, warn, `added_tokens[${i}]`);
        if (t) addedTokens.push(t);
      });
    } else if (rawAdded !== undefined && rawAdded !== null) {
      warn.add('hf_bad_field', `added_tokens is ${describeJsonType(rawAdded)}; expected a list`);
    }

    return {
      modelType,
      vocab,
      merges,
      mergesForm,
      scores,
      addedTokens,
      normalizer: root['normalizer'] ?? null,
      preTokenizer: root['pre_tokenizer'] ?? null,
      postProcessor: root['post_processor'] ?? null,
      decoder: root['decoder'] ?? null,
      modelOptions: without(m, ['type', 'vocab', 'merges']),
      other: without(root, ['model', 'added_tokens', 'normalizer', 'pre_tokenizer', 'post_processor', 'decoder']),
    };
  });
}

/**
 * "a b" (exactly one space: tokenizers splits on ' ' and requires two parts) or ["a", "b"]. In the
 * string form a token cannot contain a space; the array form exists precisely to allow that.
 */
export function readMerge(entry: JsonValue | undefined): MergePair | undefined {
  if (typeof entry === 'string') {
    const sp = entry.indexOf(' ');
    if (sp <= 0 || sp === entry.length - 1 || entry.indexOf(' ', sp + 1) !== -1) return undefined;
    return [entry.slice(0, sp), entry.slice(sp + 1)];
  }
  if (Array.isArray(entry) && entry.length === 2 && typeof entry[0] === 'string' && typeof entry[1] === 'string') return [entry[0], entry[1]];
  return undefined;
}
