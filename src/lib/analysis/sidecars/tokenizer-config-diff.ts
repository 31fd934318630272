/**
 * tokenizer_config.json and special_tokens_map.json: special tokens (bos/eos/pad/unk … — an eos
 * that never occurs makes generation run on; a changed bos shifts every prompt), the added-token
 * table, and the remaining settings as graded key paths (./config-diff.ts). Chat templates are
 * compared separately (./template-diff.ts), across every file that can hold one.
 */
import type { SpecialTokens, TokenizerConfig } from '../../formats/hf/tokenizer-config.ts';
import type { JsonObject } from '../../formats/strict-json.ts';
import { diffConfigObjects } from './config-diff.ts';
import { listWords, plural, quote, visible } from './display.ts';
import { addedTokenFindings } from './tokenizer-diff.ts';
import type { SidecarFinding } from './types.ts';

const show = (v: string | null | undefined): string => (v === undefined ? '(unset)' : v === null ? 'null' : quote(v));

export function specialTokenFindings(a: SpecialTokens, b: SpecialTokens, file: string): SidecarFinding[] {
  const out: SidecarFinding[] = [];
  const base = { kind: 'tokenizer-changed' as const, severity: 'high' as const, file, effect: 'tampered' as const };
  const keys = [...new Set([...a.named.keys(), ...b.named.keys()])].sort();
  for (const key of keys) {
    const x = a.named.get(key);
    const y = b.named.get(key);
    if (x === y) continue;
    const change = x === undefined ? 'added' : y === undefined ? 'removed' : 'changed';
    out.push({
      ...base,
      message: change === 'changed' ? `${file}: ${visible(key)} changed from ${show(x)} to ${show(y)}` : change === 'added' ? `${file}: ${visible(key)} ${show(y)} added` : `${file}: ${visible(key)} ${show(x)} removed`,
      details: { change: 'special-token', key, old: x ?? null, new: y ?? null },
    });
  }
  const setA = new Set(a.additional);
  const setB = new Set(b.additional);
  const plus = b.additional.filter((t) => !setA.has(t));
  const minus = a.additional.filter((t) => !setB.has(t));
  if (plus.length || minus.length) {
    const parts: string[] = [];
    if (plus.length) parts.push(`${plural(plus.length, 'token')} added (${listWords(plus.slice(0, 3).map((t) => quote(t)), plus.length)})`);
    if (minus.length) parts.push(`${plural(minus.length, 'token')} removed (${listWords(minus.slice(0, 3).map((t) => quote(t)), minus.length)})`);
    out.push({ ...base, message: `${file}: additional_special_tokens: ${parts.join('; ')}`, details: { change: 'additional-special-tokens', added: plus.slice(0, 1000), removed: minus.slice(0, 1000), addedCount: plus.length, removedCount: minus.length } });
  } else if (a.additional.join('\u0000') !== b.additional.join('\u0000')) {
    out.push({ ...base, severity: 'low', message: `${file}: additional_special_tokens reordered`, details: { change: 'additional-special-tokens-order' }, effect: 'none' });
  }
  const extraKeys = [...new Set([...a.extra.keys(), ...b.extra.keys()])].sort();
  for (const key of extraKeys) {
    const x = a.extra.get(key);
    const y = b.extra.get(key);
    if (x === y) continue;
    out.push({ ...base, message: `${file}: extra_special_tokens.${visible(key)} changed from ${show(x)} to ${show(y)}`, details: { change: 'extra-special-token', key, old: x ?? null, new: y ?? null } });
  }
  return out;
}

export function diffTokenizerConfigs(a: TokenizerConfig, b: TokenizerConfig, file: string): SidecarFinding[] {
  return [
    ...specialTokenFindings(a.specialTokens, b.specialTokens, file),
    ...addedTokenFindings(a.addedTokensDecoder, b.addedTokensDecoder, file, 'added_tokens_decoder'),
    ...diffConfigObjects(a.other, b.other, file, 'tokenizer-config'),
  ];
}

export function diffSpecialTokensMaps(a: { specialTokens: SpecialTokens; other: JsonObject }, b: { specialTokens: SpecialTokens; other: JsonObject }, file: string): SidecarFinding[] {
  return [...specialTokenFindings(a.specialTokens, b.specialTokens, file), ...diffConfigObjects(a.other, b.other, file, 'special-tokens')];
}
