/**
 * Text → token ids from a Hugging Face tokenizer.json, for the BPE tokenizers of the models the
 * activation engine runs: byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM: ByteLevel pre-tokenizer,
 * optionally after a regex Split) and SentencePiece-style BPE (Llama 2, TinyLlama, Mistral: "▁" for
 * spaces via a Prepend/Replace normalizer or a Metaspace pre-tokenizer, byte fallback to <0xNN>).
 * No tokenizer library is installed in this project and none may be added, so this follows the
 * `tokenizers` crate (v0.19–0.21) stage by stage:
 *
 *   added tokens split out (longest match first; lstrip/rstrip) → normalizer → pre-tokenizer →
 *   BPE model (merges by rank, `ignore_merges`, byte fallback, unk) → post-processor (TemplateProcessing).
 *
 * Anything outside that subset (WordPiece, Unigram, unknown normalizers …) is refused with
 * `tokenizer_unsupported` rather than encoded approximately: a probe on wrong tokens would be
 * wrong evidence. Token ids can always be given directly instead.
 *
 * Regexes in tokenizer.json are Oniguruma syntax; the two constructs real pre-tokenizers use that
 * JavaScript lacks are translated: scoped case-insensitivity `(?i:'s|'t)` (letters become [sS]
 * classes) and possessive quantifiers (`?+`, `++`, `*+` become greedy — the same split on every
 * input these patterns are written for, since what follows them never re-matches what they took).
 */
import { SleuthError } from '../formats/errors.ts';
import { byteLevelBytes, byteToUnicode, decodeUtf8Lossless, tokenStyleOf, type TokenStyle } from '../formats/hf/byte-level.ts';
import { readTokenizerJson, type AddedToken, type HfTokenizer } from '../formats/hf/tokenizer-json.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../formats/strict-json.ts';
import { visible } from '../analysis/sidecars/display.ts';

function unsupported(what: string): SleuthError {
  return new SleuthError('tokenizer_unsupported', `${what}; give token ids instead (--token-ids 1,2,3)`);
}

/** GPT-2's pre-tokenization pattern (openai/gpt-2 encoder.py; tokenizers ByteLevel use_regex). */
const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** Oniguruma → JavaScript (see the module comment). */
export function translateRegex(pattern: string): string {
  let out = '';
  let i = 0;
  /** The previous token was a quantifier (so a following "+" makes it possessive). */
  let afterQuantifier = false;
  while (i < pattern.length) {
    if (pattern.startsWith('(?i:', i)) {
      // Find the matching parenthesis; letters inside become two-case classes.
      let depth = 1;
      let j = i + 4;
      let inner = '';
      while (j < pattern.length && depth > 0) {
        const c = pattern[j] as string;
        if (c === '\\') {
          inner += c + (pattern[j + 1] ?? '');
          j += 2;
          continue;
        }
        if (c === '(') depth++;
        if (c === ')') depth--;
        if (depth > 0) inner += c;
        j++;
      }
      let cased = '';
      for (let k = 0; k < inner.length; k++) {
        const c = inner[k] as string;
        if (c === '\\') {
          cased += c + (inner[k + 1] ?? '');
          k++;
        } else if (/[a-zA-Z]/.test(c)) cased += `[${c.toLowerCase()}${c.toUpperCase()}]`;
        else cased += c;
      }
      out += `(?:${cased})`;
      i = j;
      afterQuantifier = false;
      continue;
    }
    const c = pattern[i] as string;
    if (c === '\\') {
      // An escape is one atom; \p{…} and \x{…} carry their braces.
      let j = i + 2;
      if (/[pPx]/.test(pattern[i + 1] ?? '') && pattern[j] === '{') j = pattern.indexOf('}', j) + 1 || pattern.length;
      out += pattern.slice(i, j);
      i = j;
      afterQuantifier = false;
      continue;
    }
    if (c === '[') {
      // A character class is one atom (escapes and a leading "]" inside included).
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      out += pattern.slice(i, j + 1);
      i = j + 1;
      afterQuantifier = false;
      continue;
    }
    if (c === '+' && afterQuantifier) {
      i++; // possessive → greedy
      afterQuantifier = false;
      continue;
    }
    if (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i))) {
      const j = pattern.indexOf('}', i) + 1;
      out += pattern.slice(i, j);
      i = j;
      afterQuantifier = true;
      continue;
    }
    out += c;
    // "?" after "(" opens a group modifier, not a quantifier; a "?" after a quantifier makes it lazy.
    afterQuantifier = (c === '*' || c === '+' || (c === '?' && pattern[i - 1] !== '(')) && !afterQuantifier;
    i++;
  }
  return out;
}

type Behavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

/** Splits by a global regex with tokenizers' SplitDelimiterBehavior. */
function splitBy(text: string, re: RegExp, behavior: Behavior, invert: boolean): string[] {
  const pieces: { s: string; match: boolean }[] = [];
  let last = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    if (m.index > last) pieces.push({ s: text.slice(last, m.index), match: false });
    pieces.push({ s: m[0], match: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) pieces.push({ s: text.slice(last), match: false });
  if (invert) for (const p of pieces) p.match = !p.match;
  const out: string[] = [];
  switch (behavior) {
    case 'Removed':
      for (const p of pieces) if (!p.match) out.push(p.s);
      break;
    case 'Isolated':
      for (const p of pieces) out.push(p.s);
      break;
    case 'MergedWithPrevious':
      for (const p of pieces) {
        if (p.match && out.length > 0) out[out.length - 1] += p.s;
        else out.push(p.s);
      }
      break;
    case 'MergedWithNext': {
      let carry = '';
      for (const p of pieces) {
        if (p.match) carry += p.s;
        else {
          out.push(carry + p.s);
          carry = '';
        }
      }
      if (carry) out.push(carry);
      break;
    }
    case 'Contiguous': {
      let prevMatch: boolean | undefined;
      for (const p of pieces) {
        if (prevMatch === p.match && out.length > 0) out[out.length - 1] += p.s;
        else out.push(p.s);
        prevMatch = p.match;
      }
      break;
    }
  }
  return out.filter((s) => s.length > 0);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function patternOf(p: JsonValue | undefined, where: string): RegExp {
  if (isJsonObject(p)) {
    if (typeof p['Regex'] === 'string') {
      try {
        return new RegExp(translateRegex(p['Regex']), 'gu');
      } catch (e) {
        throw unsupported(`${where}: the regex ${JSON.stringify(p['Regex'])} cannot be used here (${(e as Error).message})`);
      }
    }
    if (typeof p['String'] === 'string') return new RegExp(escapeRegex(p['String']), 'gu');
  }
  throw unsupported(`${where}: a pattern that is neither {"Regex"} nor {"String"}`);
}

// ── normalizers ────────────────────────────────────────────────────────────
type Normalize = (s: string) => string;

function buildNormalizer(n: JsonValue | undefined): Normalize {
  if (n === undefined || n === null) return (s) => s;
  if (!isJsonObject(n)) throw unsupported('normalizer is not an object');
  const type = n['type'];
  switch (type) {
    case 'Sequence': {
      const list = Array.isArray(n['normalizers']) ? n['normalizers'].map((x) => buildNormalizer(x)) : [];
      return (s) => list.reduce((acc, f) => f(acc), s);
    }
    case 'Prepend': {
      const pre = typeof n['prepend'] === 'string' ? n['prepend'] : '';
      // tokenizers' Prepend adds to any non-empty string.
      return (s) => (s.length > 0 ? pre + s : s);
    }
    case 'Replace': {
      const re = patternOf(n['pattern'], 'normalizer Replace');
      const content = typeof n['content'] === 'string' ? n['content'] : '';
      return (s) => s.replace(re, () => content);
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return (s) => s.normalize(type);
    case 'Lowercase':
      return (s) => s.toLowerCase();
    case 'Strip': {
      const left = n['strip_left'] !== false;
      const right = n['strip_right'] !== false;
      return (s) => {
        let r = s;
        if (left) r = r.replace(/^\s+/u, '');
        if (right) r = r.replace(/\s+$/u, '');
        return r;
      };
    }
    default:
      throw unsupported(`normalizer ${JSON.stringify(type)} is not supported`);
  }
}

// ── pre-tokenizers ─────────────────────────────────────────────────────────
/** (text, is this the first segment of the input) → words. */
type PreTokenize = (s: string, first: boolean) => string[];

function byteLevelMap(s: string): string {
  const table = byteToUnicode();
  let out = '';
  for (const b of new TextEncoder().encode(s)) out += table[b] as string;
  return out;
}

function buildPreTokenizer(p: JsonValue | undefined): { run: PreTokenize; byteLevel: boolean } {
  if (p === undefined || p === null) return { run: (s) => [s], byteLevel: false };
  if (!isJsonObject(p)) throw unsupported('pre_tokenizer is not an object');
  const type = p['type'];
  switch (type) {
    case 'Sequence': {
      const list = Array.isArray(p['pretokenizers']) ? p['pretokenizers'].map((x) => buildPreTokenizer(x)) : [];
      return {
        run: (s, first) => list.reduce<string[]>((words, step) => words.flatMap((w, i) => step.run(w, first && i === 0)), [s]),
        byteLevel: list.some((x) => x.byteLevel),
      };
    }
    case 'ByteLevel': {
      const prefix = p['add_prefix_space'] === true;
      const useRegex = p['use_regex'] !== false;
      const re = new RegExp(GPT2_PATTERN, 'gu');
      return {
        run: (s) => {
          const t = prefix && !s.startsWith(' ') ? ` ${s}` : s;
          const words = useRegex ? splitBy(t, re, 'Isolated', false) : [t];
          return words.map(byteLevelMap);
        },
        byteLevel: true,
      };
    }
    case 'Split': {
      const re = patternOf(p['pattern'], 'pre_tokenizer Split');
      const behavior = (typeof p['behavior'] === 'string' ? p['behavior'] : 'Isolated') as Behavior;
      const invert = p['invert'] === true;
      return { run: (s) => splitBy(s, re, behavior, invert), byteLevel: false };
    }
    case 'Metaspace': {
      const rep = typeof p['replacement'] === 'string' ? p['replacement'] : '\u2581';
      // Older files: add_prefix_space (bool); newer: prepend_scheme always | first | never.
      const scheme = typeof p['prepend_scheme'] === 'string' ? p['prepend_scheme'] : p['add_prefix_space'] === false ? 'never' : 'always';
      const split = p['split'] !== false;
      return {
        run: (s, first) => {
          let t = s.replaceAll(' ', rep);
          if ((scheme === 'always' || (scheme === 'first' && first)) && !t.startsWith(rep)) t = rep + t;
          return split ? splitBy(t, new RegExp(escapeRegex(rep), 'gu'), 'MergedWithNext', false) : [t];
        },
        byteLevel: false,
      };
    }
    case 'Digits': {
      const individual = p['individual_digits'] === true;
      return { run: (s) => splitBy(s, individual ? /\p{N}/gu : /\p{N}+/gu, 'Isolated', false), byteLevel: false };
    }
    case 'Whitespace':
      return { run: (s) => s.match(/\w+|[^\w\s]+/gu) ?? [], byteLevel: false };
    case 'WhitespaceSplit':
      return { run: (s) => s.split(/\s+/u).filter((x) => x.length > 0), byteLevel: false };
    default:
      throw unsupported(`pre_tokenizer ${JSON.stringify(type)} is not supported`);
  }
}

// ── post-processors ────────────────────────────────────────────────────────
type PostProcess = (ids: number[]) => number[];

function buildPostProcessor(p: JsonValue | undefined): PostProcess {
  if (p === undefined || p === null) return (ids) => ids;
  if (!isJsonObject(p)) throw unsupported('post_processor is not an object');
  const type = p['type'];
  switch (type) {
    case 'ByteLevel':
      return (ids) => ids;
    case 'Sequence': {
      const list = Array.isArray(p['processors']) ? p['processors'].map((x) => buildPostProcessor(x)) : [];
      return (ids) => list.reduce((acc, f) => f(acc), ids);
    }
    case 'TemplateProcessing': {
      const single = Array.isArray(p['single']) ? p['single'] : [];
      const specials = isJsonObject(p['special_tokens']) ? p['special_tokens'] : ({} as JsonObject);
      const parts: ({ kind: 'seq' } | { kind: 'ids'; ids: number[] })[] = single.map((piece) => {
        if (isJsonObject(piece) && isJsonObject(piece['Sequence'])) return { kind: 'seq' as const };
        if (isJsonObject(piece) && isJsonObject(piece['SpecialToken'])) {
          const id = piece['SpecialToken']['id'];
          const entry = typeof id === 'string' ? specials[id] : undefined;
          const ids = isJsonObject(entry) && Array.isArray(entry['ids']) ? entry['ids'].filter((x): x is number => typeof x === 'number') : [];
          if (ids.length === 0) throw unsupported(`post_processor TemplateProcessing names special token ${JSON.stringify(id)} without ids`);
          return { kind: 'ids' as const, ids };
        }
        throw unsupported('post_processor TemplateProcessing has a piece that is neither Sequence nor SpecialToken');
      });
      return (ids) => parts.flatMap((part) => (part.kind === 'seq' ? ids : part.ids));
    }
    default:
      throw unsupported(`post_processor ${JSON.stringify(type)} is not supported`);
  }
}

// ── the BPE model ──────────────────────────────────────────────────────────
const PAIR_SEPARATOR = '\u0000';

export class BpeTokenizer {
  readonly style: TokenStyle;
  private readonly ranks = new Map<string, number>();
  private readonly normalize: Normalize;
  private readonly preTokenize: PreTokenize;
  private readonly postProcess: PostProcess;
  private readonly added: AddedToken[];
  private readonly addedRe: RegExp | undefined;
  private readonly addedById = new Map<number, AddedToken>();
  private readonly byteFallback: boolean;
  private readonly ignoreMerges: boolean;
  private readonly unkId: number | undefined;
  private readonly fuseUnk: boolean;
  private readonly cache = new Map<string, number[]>();
  /** The decoder strips one leading space (SentencePiece-style decoders with Strip / Metaspace prepend). */
  private readonly stripLeadingSpace: boolean;

  constructor(readonly hf: HfTokenizer) {
    if (hf.modelType !== 'BPE') throw unsupported(`The tokenizer model is ${hf.modelType}; only BPE tokenizers are encoded in this version`);
    const opts = hf.modelOptions;
    for (const k of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
      const v = opts[k];
      if (typeof v === 'string' && v.length > 0) throw unsupported(`BPE with ${k} "${v}" is not supported`);
    }
    if (typeof opts['dropout'] === 'number' && opts['dropout'] > 0) throw unsupported('BPE dropout makes encoding random');
    hf.merges.forEach(([a, b], rank) => {
      const key = a + PAIR_SEPARATOR + b;
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
    });
    this.byteFallback = opts['byte_fallback'] === true;
    this.ignoreMerges = opts['ignore_merges'] === true;
    this.fuseUnk = opts['fuse_unk'] === true;
    const unk = opts['unk_token'];
    this.unkId = typeof unk === 'string' ? hf.vocab.tokenToId.get(unk) : undefined;
    this.normalize = buildNormalizer(hf.normalizer);
    const pre = buildPreTokenizer(hf.preTokenizer);
    this.preTokenize = pre.run;
    this.postProcess = buildPostProcessor(hf.postProcessor);
    this.style = tokenStyleOf(hf);
    this.added = [...hf.addedTokens].sort((a, b) => b.content.length - a.content.length);
    for (const t of hf.addedTokens) this.addedById.set(t.id, t);
    const nonEmpty = this.added.filter((t) => t.content.length > 0);
    this.addedRe = nonEmpty.length > 0 ? new RegExp(nonEmpty.map((t) => escapeRegex(t.content)).join('|'), 'gu') : undefined;
    this.stripLeadingSpace = this.style === 'metaspace' && JSON.stringify(hf.decoder ?? null).includes('"Strip"');
  }

  get vocabSize(): number {
    let max = -1;
    for (const id of this.hf.vocab.idToToken.keys()) if (id > max) max = id;
    for (const t of this.hf.addedTokens) if (t.id > max) max = t.id;
    return max + 1;
  }

  /** Token string of an id (added tokens included). */
  token(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.hf.vocab.idToToken.get(id);
  }

  /** The ids of a text, with the post-processor's special tokens (BOS …) when `addSpecial`. */
  encode(text: string, addSpecial = true): number[] {
    const ids: number[] = [];
    let first = true;
    for (const seg of this.splitAdded(text)) {
      if (seg.added) {
        ids.push(seg.added.id);
        continue;
      }
      const normalized = this.normalize(seg.text);
      for (const word of this.preTokenize(normalized, first)) ids.push(...this.encodeWord(word));
      first = false;
    }
    return addSpecial ? this.postProcess(ids) : ids;
  }

  /** Added tokens are matched on the raw text before anything else (tokenizers AddedVocabulary). */
  private splitAdded(text: string): { text: string; added?: AddedToken }[] {
    const re = this.addedRe;
    if (re === undefined) return [{ text }];
    const out: { text: string; added?: AddedToken }[] = [];
    let last = 0;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const tok = this.added.find((t) => t.content === m[0]);
      if (tok === undefined) continue;
      let start = m.index;
      let end = start + m[0].length;
      if (tok.singleWord) {
        const before = text[start - 1];
        const after = text[end];
        if ((before !== undefined && /\w/u.test(before)) || (after !== undefined && /\w/u.test(after))) continue;
      }
      if (tok.lstrip) while (start > last && /\s/u.test(text[start - 1] as string)) start--;
      if (tok.rstrip) while (end < text.length && /\s/u.test(text[end] as string)) end++;
      if (start > last) out.push({ text: text.slice(last, start) });
      out.push({ text: text.slice(start, end), added: tok });
      last = end;
      re.lastIndex = end;
    }
    if (last < text.length) out.push({ text: text.slice(last) });
    return out;
  }

  private encodeWord(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const vocab = this.hf.vocab.tokenToId;
    let ids: number[];
    const whole = vocab.get(word);
    if (this.ignoreMerges && whole !== undefined) ids = [whole];
    else {
      const symbols = this.merge(Array.from(word));
      ids = [];
      let lastUnk = false;
      for (const s of symbols) {
        const id = vocab.get(s);
        if (id !== undefined) {
          ids.push(id);
          lastUnk = false;
          continue;
        }
        if (this.byteFallback) {
          const bytes = new TextEncoder().encode(s);
          const fb = Array.from(bytes, (b) => vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
          if (fb.every((x): x is number => x !== undefined)) {
            ids.push(...fb);
            lastUnk = false;
            continue;
          }
        }
        if (this.unkId === undefined) throw unsupported(`The text contains ${JSON.stringify(s)}, which the vocabulary cannot represent (no byte fallback, no unk token)`);
        if (!(this.fuseUnk && lastUnk)) ids.push(this.unkId);
        lastUnk = true;
      }
    }
    if (this.cache.size < 100_000) this.cache.set(word, ids);
    return ids;
  }

  /** Applies merges by rank, lowest first; equal ranks leftmost first (tokenizers' BPE::merge_word). */
  private merge(symbols: string[]): string[] {
    const s = symbols;
    for (;;) {
      let best = Infinity;
      let at = -1;
      for (let i = 0; i + 1 < s.length; i++) {
        const r = this.ranks.get((s[i] as string) + PAIR_SEPARATOR + (s[i + 1] as string));
        if (r !== undefined && r < best) {
          best = r;
          at = i;
        }
      }
      if (at < 0) return s;
      const a = s[at] as string;
      const b = s[at + 1] as string;
      // Merge every occurrence of this pair, left to right (non-overlapping).
      for (let i = 0; i + 1 < s.length; i++) {
        if (s[i] === a && s[i + 1] === b) s.splice(i, 2, a + b);
      }
    }
  }

  /**
   * Display form of a sequence of ids: the decoded text with control and invisible characters
   * escaped (../analysis/sidecars/display.ts `visible`), and bytes that are not valid UTF-8 (a
   * token ending inside a character) as \xNN — escaped once, unlike visible(decode(…)).
   */
  display(ids: readonly number[]): string {
    let out = '';
    let bytes: number[] = [];
    const flush = (): void => {
      out += displayUtf8(Uint8Array.from(bytes));
      bytes = [];
    };
    for (const id of ids) {
      const added = this.addedById.get(id);
      if (added) {
        flush();
        out += visible(added.content);
      } else bytes.push(...this.tokenBytes(id));
    }
    flush();
    return out;
  }

  /** Bytes a vocabulary token stands for (added tokens excluded). */
  private tokenBytes(id: number): number[] {
    const tok = this.hf.vocab.idToToken.get(id);
    if (tok === undefined) return Array.from(new TextEncoder().encode(`<${id}>`));
    if (this.style === 'byte-level') return Array.from(byteLevelBytes(tok));
    if (this.style === 'metaspace') {
      const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(tok);
      if (m) return [parseInt(m[1] ?? '0', 16)];
      return Array.from(new TextEncoder().encode(tok.replaceAll('\u2581', ' ')));
    }
    return Array.from(new TextEncoder().encode(tok));
  }

  /** Text of a sequence of ids (bytes joined before UTF-8 decoding; added tokens as written). */
  decode(ids: readonly number[], options: { stripLeadingSpace?: boolean } = {}): string {
    const parts: string[] = [];
    let bytes: number[] = [];
    const flush = (): void => {
      if (bytes.length > 0) parts.push(decodeUtf8Lossless(Uint8Array.from(bytes)));
      bytes = [];
    };
    for (const id of ids) {
      const added = this.addedById.get(id);
      if (added) {
        flush();
        parts.push(added.content);
        continue;
      }
      const tok = this.hf.vocab.idToToken.get(id);
      if (tok === undefined) {
        flush();
        parts.push(`<${id}>`);
        continue;
      }
      if (this.style === 'byte-level') bytes.push(...byteLevelBytes(tok));
      else if (this.style === 'metaspace') {
        const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(tok);
        if (m) bytes.push(parseInt(m[1] ?? '0', 16));
        else bytes.push(...new TextEncoder().encode(tok.replaceAll('\u2581', ' ')));
      } else bytes.push(...new TextEncoder().encode(tok));
    }
    flush();
    const text = parts.join('');
    return (options.stripLeadingSpace ?? false) && this.stripLeadingSpace && text.startsWith(' ') ? text.slice(1) : text;
  }
}

/** Valid UTF-8 runs through visible(); each byte of an invalid or incomplete sequence as \xNN. */
export function displayUtf8(bytes: Uint8Array): string {
  let out = '';
  let start = 0;
  let i = 0;
  const hex = (b: number): string => `\\x${b.toString(16).padStart(2, '0').toUpperCase()}`;
  const decoder = new TextDecoder();
  while (i < bytes.length) {
    const b0 = bytes[i] ?? 0;
    const need = b0 < 0x80 ? 0 : b0 >= 0xc2 && b0 <= 0xdf ? 1 : b0 >= 0xe0 && b0 <= 0xef ? 2 : b0 >= 0xf0 && b0 <= 0xf4 ? 3 : -1;
    let ok = need >= 0 && i + need < bytes.length;
    let cp = need === 1 ? b0 & 0x1f : need === 2 ? b0 & 0x0f : b0 & 0x07;
    for (let k = 1; ok && k <= need; k++) {
      const b = bytes[i + k] ?? 0;
      if ((b & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (b & 0x3f);
    }
    if (ok && ((need === 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (need === 3 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false;
    if (ok) {
      i += need + 1;
      continue;
    }
    out += visible(decoder.decode(bytes.subarray(start, i))) + hex(b0);
    i++;
    start = i;
  }
  return out + visible(decoder.decode(bytes.subarray(start)));
}

export function tokenizerFromJson(text: string, file = 'tokenizer.json'): BpeTokenizer {
  const r = readTokenizerJson(text, file);
  if (!r.ok) throw unsupported(`${file} could not be read: ${r.error.message}`);
  return new BpeTokenizer(r.value);
}

/** Parses "1,2, 3" (the --token-ids form). */
export function parseTokenIds(text: string): number[] {
  const parts = text.split(/[\s,]+/).filter((s) => s.length > 0);
  if (parts.length === 0) throw new SleuthError('usage', 'No token ids given');
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new SleuthError('usage', `"${p}" is not a token id (a non-negative integer)`);
    return Number(p);
  });
}
