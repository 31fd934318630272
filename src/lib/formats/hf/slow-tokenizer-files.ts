/**
 * The files of "slow" (Python) tokenizers that sit beside or instead of tokenizer.json:
 * - vocab.json — token → id (GPT-2 / RoBERTa byte-level BPE);
 * - merges.txt — one "a b" merge per line, rank = line order, optional "#version: …" first line
 *   (transformers/models/gpt2/tokenization_gpt2.py: `merges_handle.read().split("\n")[1:-1]`);
 * - vocab.txt — one token per line, id = line number (BERT WordPiece; tokenization_bert.py
 *   `load_vocab`: the line with its trailing "\n" removed).
 */
import { HF_LIMITS, type HfLimits } from './limits.ts';
import { checkCount, HfFatal, readHfJson, WarningSink, type HfReadResult } from './read-json.ts';
import { addVocabEntry, clipForMessage, emptyVocab, readMerge, readVocabObject, type MergePair, type Vocab } from './tokenizer-json.ts';

export function readVocabJson(text: string, file?: string, limits: HfLimits = HF_LIMITS): HfReadResult<Vocab> {
  return readHfJson(text, file, (root, warn) => readVocabObject(root, warn, 'vocab.json', file, limits.maxVocabEntries));
}

function lines(text: string): string[] {
  const out = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

function textResult<T>(file: string | undefined, read: (warn: WarningSink) => T): HfReadResult<T> {
  const warn = new WarningSink(file);
  try {
    return { ok: true, value: read(warn), warnings: warn.done() };
  } catch (e) {
    if (e instanceof HfFatal) return { ok: false, error: e.problem };
    throw e;
  }
}

export function readMergesTxt(text: string, file?: string, limits: HfLimits = HF_LIMITS): HfReadResult<MergePair[]> {
  return textResult(file, (warn) => {
    const all = lines(text);
    const body = all.length > 0 && (all[0] ?? '').startsWith('#version') ? all.slice(1) : all;
    checkCount(body.length, limits.maxMerges, 'merges.txt', file);
    const merges: MergePair[] = [];
    body.forEach((line, i) => {
      if (line === '') return;
      const pair = readMerge(line);
      if (pair === undefined) warn.add('hf_bad_merge', `merges.txt line ${i + 1 + all.length - body.length}: ${JSON.stringify(clipForMessage(line))} is not "a b"`);
      else merges.push(pair);
    });
    return merges;
  });
}

export function readVocabTxt(text: string, file?: string, limits: HfLimits = HF_LIMITS): HfReadResult<Vocab> {
  return textResult(file, (warn) => {
    const all = lines(text);
    checkCount(all.length, limits.maxVocabEntries, 'vocab.txt', file);
    const vocab = emptyVocab();
    all.forEach((token, id) => addVocabEntry(vocab, token, id, warn, 'vocab.txt'));
    return vocab;
  });
}
