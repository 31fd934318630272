/**
 * Semantic diff of tokenizers: what an edit does to tokenization, in words.
 *
 * - Vocabulary (id ↔ token): entries swapped (two tokens exchanged ids — "yes" now encodes as
 *   "no"'s id), moved, replaced (same id, different token), added, removed.
 * - BPE merges: added, removed, and *reordered* — a merge's rank decides which pair merges first,
 *   so changing the relative order of two merges changes how text splits. Insertions shift every
 *   later rank without changing any relative order, so reordering is measured as the common
 *   merges outside a longest increasing subsequence of their new ranks (the fewest merges that
 *   must have moved).
 * - Unigram scores (segmentation probabilities).
 * - Added tokens: added, removed, content changed, `special` flipped (a special token is never
 *   split and is skipped by decode(skip_special_tokens=True)), other flags changed.
 * - Pipeline stages (normalizer, pre_tokenizer, post_processor, decoder), model options and
 *   top-level settings, as JSON key paths.
 *
 * Every finding is tokenizer-changed, severity high, effect 'tampered' (a tokenizer change alters
 * what the model sees or says), except pure metadata (`version`).
 */
import { tokenStyleOf, tokenText, type TokenStyle } from '../../formats/hf/byte-level.ts';
import type { AddedToken, HfTokenizer, MergePair, Vocab } from '../../formats/hf/tokenizer-json.ts';
import type { JsonValue } from '../../formats/strict-json.ts';
import { describeChange, diffJson, jsonEqual } from './json-diff.ts';
import { listWords, plural, quote } from './display.ts';
import { MAX_LISTED, MAX_NAMED_IN_MESSAGE, type SidecarFinding } from './types.ts';

export interface VocabEntry {
  id: number;
  token: string;
}

export interface VocabDiff {
  /** Token `a.token` had id a.id and now has b.id, and the other way round. */
  swapped: { a: VocabEntry; b: VocabEntry }[];
  moved: { token: string; from: number; to: number }[];
  replaced: { id: number; old: string; new: string }[];
  added: VocabEntry[];
  removed: VocabEntry[];
}

export function diffVocab(a: Vocab, b: Vocab): VocabDiff {
  const removedIds = new Map<number, string>();
  const added: VocabEntry[] = [];
  const moved: { token: string; from: number; to: number }[] = [];
  for (const [token, id] of a.tokenToId) {
    const other = b.tokenToId.get(token);
    if (other === undefined) removedIds.set(id, token);
    else if (other !== id) moved.push({ token, from: id, to: other });
  }
  const addedTokens = new Set<string>();
  for (const [token, id] of b.tokenToId) {
    if (!a.tokenToId.has(token)) {
      addedTokens.add(token);
      added.push({ id, token });
    }
  }
  // Replaced: the old token left the vocabulary and a new one took its id.
  const replaced: VocabDiff['replaced'] = [];
  for (const [id, old] of removedIds) {
    const now = b.idToToken.get(id);
    if (now !== undefined && addedTokens.has(now) && b.tokenToId.get(now) === id) {
      replaced.push({ id, old, new: now });
      removedIds.delete(id);
      addedTokens.delete(now);
    }
  }
  // Swapped: t moved i → j and the token that held j moved j → i.
  const swapped: VocabDiff['swapped'] = [];
  const inSwap = new Set<string>();
  for (const m of moved) {
    if (inSwap.has(m.token)) continue;
    const other = a.idToToken.get(m.to);
    if (other === undefined || other === m.token || inSwap.has(other)) continue;
    if (b.tokenToId.get(other) === m.from && a.tokenToId.get(other) === m.to) {
      const first = m.from < m.to ? { id: m.from, token: m.token } : { id: m.to, token: other };
      const second = m.from < m.to ? { id: m.to, token: other } : { id: m.from, token: m.token };
      swapped.push({ a: first, b: second });
      inSwap.add(m.token);
      inSwap.add(other);
    }
  }
  const byId = <T extends { id: number }>(x: T, y: T): number => x.id - y.id;
  return {
    swapped: swapped.sort((x, y) => x.a.id - y.a.id),
    moved: moved.filter((m) => !inSwap.has(m.token)).sort((x, y) => x.from - y.from),
    replaced: replaced.sort(byId),
    added: added.filter((e) => addedTokens.has(e.token)).sort(byId),
    removed: [...removedIds].map(([id, token]) => ({ id, token })).sort(byId),
  };
}

export function vocabDiffIsEmpty(d: VocabDiff): boolean {
  return d.swapped.length + d.moved.length + d.replaced.length + d.added.length + d.removed.length === 0;
}

interface Listing<T> {
  count: number;
  truncated: boolean;
  entries: T[];
}

function listing<T, U>(items: readonly T[], map: (t: T) => U): Listing<U> {
  return { count: items.length, truncated: items.length > MAX_LISTED, entries: items.slice(0, MAX_LISTED).map(map) };
}

function named<T>(items: readonly T[], words: (t: T) => string): string {
  return listWords(items.slice(0, MAX_NAMED_IN_MESSAGE).map(words), items.length, MAX_NAMED_IN_MESSAGE);
}

const tok = (token: string, id: number): string => `${quote(token)} (id ${id})`;

/** Findings for a vocabulary diff. `where` names the structure ("vocabulary", "added_tokens.json"). */
export function vocabFindings(d: VocabDiff, file: string, style: TokenStyle, where = 'vocabulary'): SidecarFinding[] {
  const out: SidecarFinding[] = [];
  const text = (token: string): string => tokenText(token, style);
  const base = { kind: 'tokenizer-changed' as const, severity: 'high' as const, file, effect: 'tampered' as const };
  if (d.swapped.length) {
    const msg =
      d.swapped.length === 1
        ? `tokens ${named(d.swapped, (s) => `${tok(s.a.token, s.a.id)} and ${tok(s.b.token, s.b.id)}`)} swapped ids`
        : `${plural(d.swapped.length, 'pair')} of tokens swapped ids: ${named(d.swapped, (s) => `${tok(s.a.token, s.a.id)} ↔ ${tok(s.b.token, s.b.id)}`)}`;
    out.push({
      ...base,
      message: `${file}: ${msg} in the ${where}`,
      details: { change: 'vocab-swapped', ...listing(d.swapped, (s) => ({ a: { ...s.a, text: text(s.a.token) }, b: { ...s.b, text: text(s.b.token) } })) },
    });
  }
  if (d.replaced.length) {
    out.push({
      ...base,
      message: `${file}: ${plural(d.replaced.length, `${where} entry`, `${where} entries`)} now hold a different token: ${named(d.replaced, (r) => `id ${r.id} ${quote(r.old)} → ${quote(r.new)}`)}`,
      details: { change: 'vocab-replaced', ...listing(d.replaced, (r) => ({ id: r.id, old: r.old, new: r.new, oldText: text(r.old), newText: text(r.new) })) },
    });
  }
  if (d.moved.length) {
    out.push({
      ...base,
      message: `${file}: ${plural(d.moved.length, 'token')} moved to another id: ${named(d.moved, (m) => `${quote(m.token)} id ${m.from} → ${m.to}`)}`,
      details: { change: 'vocab-moved', ...listing(d.moved, (m) => ({ ...m, text: text(m.token) })) },
    });
  }
  if (d.added.length) {
    out.push({
      ...base,
      message: `${file}: ${plural(d.added.length, 'token')} added to the ${where}: ${named(d.added, (e) => tok(e.token, e.id))}`,
      details: { change: 'vocab-added', ...listing(d.added, (e) => ({ ...e, text: text(e.token) })) },
    });
  }
  if (d.removed.length) {
    out.push({
      ...base,
      message: `${file}: ${plural(d.removed.length, 'token')} removed from the ${where}: ${named(d.removed, (e) => tok(e.token, e.id))}`,
      details: { change: 'vocab-removed', ...listing(d.removed, (e) => ({ ...e, text: text(e.token) })) },
    });
  }
  return out;
}

// ── merges ─────────────────────────────────────────────────────────────────

export interface MergeDiff {
  added: { merge: MergePair; rank: number }[];
  removed: { merge: MergePair; rank: number }[];
  reordered: { merge: MergePair; oldRank: number; newRank: number }[];
}

/** Unambiguous and cheap: the first token's length, then both tokens (tokens may hold any character). */
const mergeKey = (m: MergePair): string => `${m[0].length}:${m[0]}${m[1]}`;

function ranks(merges: readonly MergePair[]): Map<string, number> {
  const r = new Map<string, number>();
  merges.forEach((m, i) => {
    const k = mergeKey(m);
    if (!r.has(k)) r.set(k, i);
  });
  return r;
}

export function diffMerges(a: readonly MergePair[], b: readonly MergePair[]): MergeDiff {
  if (a.length === b.length && a.every((m, i) => m[0] === b[i]?.[0] && m[1] === b[i]?.[1])) return { added: [], removed: [], reordered: [] };
  const ra = ranks(a);
  const rb = ranks(b);
  const added: MergeDiff['added'] = [];
  const removed: MergeDiff['removed'] = [];
  const common: { merge: MergePair; oldRank: number; newRank: number }[] = [];
  for (const [k, rank] of ra) {
    const nr = rb.get(k);
    const merge = a[rank] as MergePair;
    if (nr === undefined) removed.push({ merge, rank });
    else common.push({ merge, oldRank: rank, newRank: nr });
  }
  for (const [k, rank] of rb) if (!ra.has(k)) added.push({ merge: b[rank] as MergePair, rank });
  // common is in old-rank order; the merges outside an LIS of newRank are the ones that moved.
  const keep = longestIncreasing(common.map((c) => c.newRank));
  const reordered = common.filter((_, i) => keep[i] !== 1);
  return { added, removed, reordered };
}

/** Membership mask (1 = kept) of one longest strictly increasing subsequence (patience sorting, O(n log n)). */
function longestIncreasing(xs: readonly number[]): Uint8Array {
  const n = xs.length;
  const tails = new Int32Array(n); // index into xs of the smallest tail of each length
  let len = 0;
  const prev = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const x = xs[i] ?? 0;
    let lo = 0;
    let hi = len;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((xs[tails[mid] ?? 0] ?? 0) < x) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1] ?? -1;
    tails[lo] = i;
    if (lo === len) len++;
  }
  const keep = new Uint8Array(n);
  let k = len > 0 ? (tails[len - 1] ?? -1) : -1;
  while (k >= 0) {
    keep[k] = 1;
    k = prev[k] ?? -1;
  }
  return keep;
}

const mergeWords = (m: MergePair): string => `${quote(m[0], 40)} + ${quote(m[1], 40)}`;

export function mergeFindings(d: MergeDiff, file: string): SidecarFinding[] {
  const out: SidecarFinding[] = [];
  const base = { kind: 'tokenizer-changed' as const, severity: 'high' as const, file, effect: 'tampered' as const };
  if (d.reordered.length) {
    out.push({
      ...base,
      message: `${file}: ${plural(d.reordered.length, 'BPE merge')} changed rank relative to the others (merge order decides how text splits): ${named(d.reordered, (r) => `${mergeWords(r.merge)} rank ${r.oldRank} → ${r.newRank}`)}`,
      details: { change: 'merges-reordered', ...listing(d.reordered, (r) => ({ merge: [...r.merge], oldRank: r.oldRank, newRank: r.newRank })) },
    });
  }
  if (d.added.length) {
    out.push({
      ...base,
      message: `${file}: ${plural(d.added.length, 'BPE merge')} added: ${named(d.added, (r) => `${mergeWords(r.merge)} (rank ${r.rank})`)}`,
      details: { change: 'merges-added', ...listing(d.added, (r) => ({ merge: [...r.merge], rank: r.rank })) },
    });
  }
  if (d.removed.length) {
    out.push({
      ...base,
      message: `${file}: ${plural(d.removed.length, 'BPE merge')} removed: ${named(d.removed, (r) => `${mergeWords(r.merge)} (rank ${r.rank})`)}`,
      details: { change: 'merges-removed', ...listing(d.removed, (r) => ({ merge: [...r.merge], rank: r.rank })) },
    });
  }
  return out;
}

// ── added tokens ───────────────────────────────────────────────────────────

const FLAG_NAMES: readonly (keyof AddedToken & ('singleWord' | 'lstrip' | 'rstrip' | 'normalized'))[] = ['singleWord', 'lstrip', 'rstrip', 'normalized'];
const FLAG_JSON: Record<(typeof FLAG_NAMES)[number], string> = { singleWord: 'single_word', lstrip: 'lstrip', rstrip: 'rstrip', normalized: 'normalized' };

const addedWords = (t: AddedToken): string => `${t.special ? 'special token' : 'added token'} ${tok(t.content, t.id)}`;
const addedDetail = (t: AddedToken): Record<string, unknown> => ({ id: t.id, content: t.content, special: t.special, single_word: t.singleWord, lstrip: t.lstrip, rstrip: t.rstrip, normalized: t.normalized });

/** Added-token lists (tokenizer.json added_tokens, tokenizer_config.json added_tokens_decoder), by id. */
export function addedTokenFindings(a: readonly AddedToken[], b: readonly AddedToken[], file: string, where: string): SidecarFinding[] {
  const byId = (list: readonly AddedToken[]): Map<number, AddedToken> => {
    const m = new Map<number, AddedToken>();
    for (const t of list) if (!m.has(t.id)) m.set(t.id, t);
    return m;
  };
  const ma = byId(a);
  const mb = byId(b);
  const added = [...mb.values()].filter((t) => !ma.has(t.id)).sort((x, y) => x.id - y.id);
  const removed = [...ma.values()].filter((t) => !mb.has(t.id)).sort((x, y) => x.id - y.id);
  const contentChanged: { old: AddedToken; new: AddedToken }[] = [];
  const specialFlipped: { old: AddedToken; new: AddedToken }[] = [];
  const flagsChanged: { old: AddedToken; new: AddedToken; flags: string[] }[] = [];
  for (const [id, t] of ma) {
    const u = mb.get(id);
    if (!u) continue;
    if (u.content !== t.content) contentChanged.push({ old: t, new: u });
    if (u.special !== t.special) specialFlipped.push({ old: t, new: u });
    const flags = FLAG_NAMES.filter((f) => t[f] !== u[f]).map((f) => `${FLAG_JSON[f]} ${String(t[f])} → ${String(u[f])}`);
    if (flags.length) flagsChanged.push({ old: t, new: u, flags });
  }
  const base = { kind: 'tokenizer-changed' as const, severity: 'high' as const, file, effect: 'tampered' as const };
  const out: SidecarFinding[] = [];
  if (added.length) {
    const msg = added.length === 1 ? `${named(added, addedWords)} added` : `${plural(added.length, 'token')} added: ${named(added, addedWords)}`;
    out.push({ ...base, message: `${file}: ${msg} (${where})`, details: { change: 'added-tokens-added', where, ...listing(added, addedDetail) } });
  }
  if (removed.length) {
    const msg = removed.length === 1 ? `${named(removed, addedWords)} removed` : `${plural(removed.length, 'token')} removed: ${named(removed, addedWords)}`;
    out.push({ ...base, message: `${file}: ${msg} (${where})`, details: { change: 'added-tokens-removed', where, ...listing(removed, addedDetail) } });
  }
  if (contentChanged.length) {
    out.push({
      ...base,
      message: `${file}: ${plural(contentChanged.length, 'added token')} changed content: ${named(contentChanged, (c) => `id ${c.old.id} ${quote(c.old.content)} → ${quote(c.new.content)}`)} (${where})`,
      details: { change: 'added-tokens-content', where, ...listing(contentChanged, (c) => ({ id: c.old.id, old: c.old.content, new: c.new.content })) },
    });
  }
  if (specialFlipped.length) {
    out.push({
      ...base,
      message: `${file}: ${named(specialFlipped, (c) => `token ${tok(c.new.content, c.new.id)} ${c.new.special ? 'is now special' : 'is no longer special'}`)} (${where})`,
      details: { change: 'added-tokens-special', where, ...listing(specialFlipped, (c) => ({ id: c.new.id, content: c.new.content, old: c.old.special, new: c.new.special })) },
    });
  }
  if (flagsChanged.length) {
    out.push({
      ...base,
      severity: 'medium',
      message: `${file}: matching flags of ${plural(flagsChanged.length, 'added token')} changed: ${named(flagsChanged, (c) => `${tok(c.new.content, c.new.id)} ${c.flags.join(', ')}`)} (${where})`,
      details: { change: 'added-tokens-flags', where, ...listing(flagsChanged, (c) => ({ id: c.new.id, content: c.new.content, changes: c.flags })) },
    });
  }
  return out;
}

// ── whole tokenizer.json ───────────────────────────────────────────────────

const PIPELINE: readonly { key: 'normalizer' | 'preTokenizer' | 'postProcessor' | 'decoder'; json: string; why: string }[] = [
  { key: 'normalizer', json: 'normalizer', why: 'how text is normalized before splitting' },
  { key: 'preTokenizer', json: 'pre_tokenizer', why: 'how text is split before the model' },
  { key: 'postProcessor', json: 'post_processor', why: 'which special tokens are added around every input' },
  { key: 'decoder', json: 'decoder', why: 'how ids turn back into text' },
];

function jsonFinding(file: string, what: string, a: JsonValue | undefined, b: JsonValue | undefined, change: string, severity: SidecarFinding['severity'] = 'high', effect: SidecarFinding['effect'] = 'tampered'): SidecarFinding | undefined {
  const d = diffJson(a, b);
  if (d.count === 0) return undefined;
  const words = d.changes.slice(0, MAX_NAMED_IN_MESSAGE).map((c, i) => describeChange(c, d.raw[i]?.old, d.raw[i]?.new));
  return {
    kind: 'tokenizer-changed',
    severity,
    file,
    message: `${file}: ${what} changed: ${listWords(words, d.count, MAX_NAMED_IN_MESSAGE)}`,
    details: { change, count: d.count, truncated: d.truncated, changes: d.changes },
    effect,
  };
}

export function diffTokenizers(a: HfTokenizer, b: HfTokenizer, file: string): SidecarFinding[] {
  const out: SidecarFinding[] = [];
  if (a.modelType !== b.modelType) {
    out.push({ kind: 'tokenizer-changed', severity: 'high', file, message: `${file}: tokenizer model changed from ${a.modelType} to ${b.modelType}`, details: { change: 'model-type', old: a.modelType, new: b.modelType }, effect: 'tampered' });
  }
  out.push(...vocabFindings(diffVocab(a.vocab, b.vocab), file, tokenStyleOf(b)));
  out.push(...mergeFindings(diffMerges(a.merges, b.merges), file));
  const scoreChanges: { id: number; token: string; old: number; new: number }[] = [];
  for (const [id, s] of a.scores) {
    const t = a.vocab.idToToken.get(id);
    const u = b.scores.get(id);
    if (u !== undefined && u !== s && t !== undefined && b.vocab.idToToken.get(id) === t) scoreChanges.push({ id, token: t, old: s, new: u });
  }
  if (scoreChanges.length) {
    out.push({
      kind: 'tokenizer-changed',
      severity: 'high',
      file,
      message: `${file}: Unigram scores of ${plural(scoreChanges.length, 'token')} changed (segmentation preferences): ${named(scoreChanges, (c) => `${tok(c.token, c.id)} ${c.old} → ${c.new}`)}`,
      details: { change: 'unigram-scores', ...listing(scoreChanges, (c) => c) },
      effect: 'tampered',
    });
  }
  out.push(...addedTokenFindings(a.addedTokens, b.addedTokens, file, 'added_tokens'));
  for (const stage of PIPELINE) {
    if (jsonEqual(a[stage.key], b[stage.key])) continue;
    const f = jsonFinding(file, `${stage.json} (${stage.why})`, a[stage.key], b[stage.key], stage.json);
    if (f) out.push(f);
  }
  const opts = jsonFinding(file, 'model settings', a.modelOptions, b.modelOptions, 'model-options');
  if (opts) out.push(opts);
  const { version: va, ...restA } = a.other;
  const { version: vb, ...restB } = b.other;
  const other = jsonFinding(file, 'settings', restA, restB, 'settings', 'medium');
  if (other) out.push(other);
  const version = jsonFinding(file, 'format version (no effect on tokenization)', va, vb, 'version', 'low', 'none');
  if (version) out.push(version);
  return out;
}
