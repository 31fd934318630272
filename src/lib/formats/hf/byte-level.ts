/**
 * Turning vocabulary entries back into the text they stand for.
 *
 * - Byte-level BPE (GPT-2, Llama 3, Qwen): every byte is stored as a printable character through
 *   GPT-2's reversible map (openai/gpt-2 src/encoder.py `bytes_to_unicode`; tokenizers
 *   pre_tokenizers/byte_level.rs) — "Ġ" is the space byte 0x20, "Ċ" is "\n". A token's text is the
 *   UTF-8 decoding of its bytes; a token may hold part of a multi-byte character, whose lone bytes
 *   are shown as \xNN.
 * - SentencePiece-style (Llama 2, Mistral, Gemma; tokenizers Metaspace / ByteFallback): "▁"
 *   (U+2581) is a space, and "<0x0A>" is the single byte 0x0A.
 * - WordPiece and anything else: the token as written.
 */

import type { JsonValue } from '../strict-json.ts';
import type { HfTokenizer } from './tokenizer-json.ts';

export type TokenStyle = 'byte-level' | 'metaspace' | 'plain';

let byteToChar: string[] | undefined;
let charToByte: Map<string, number> | undefined;

/** GPT-2's byte → printable-character table (index = byte). */
export function byteToUnicode(): readonly string[] {
  if (byteToChar) return byteToChar;
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const out = new Array<string>(256).fill('');
  bs.forEach((b, i) => (out[b] = String.fromCodePoint(cs[i] ?? 0)));
  byteToChar = out;
  return out;
}

function unicodeToByte(): Map<string, number> {
  if (!charToByte) charToByte = new Map(byteToUnicode().map((c, b) => [c, b] as const));
  return charToByte;
}

const encoder = new TextEncoder();

/** Bytes of a byte-level token; characters outside the map keep their own UTF-8 bytes. */
export function byteLevelBytes(token: string): Uint8Array {
  const map = unicodeToByte();
  const out: number[] = [];
  for (const ch of token) {
    const b = map.get(ch);
    if (b !== undefined) out.push(b);
    else for (const x of encoder.encode(ch)) out.push(x);
  }
  return Uint8Array.from(out);
}

/**
 * UTF-8 decoding that keeps invalid or incomplete sequences visible as \xNN instead of U+FFFD, so
 * two different partial-character tokens never display the same. Well-formed input decodes as
 * TextDecoder would.
 */
export function decodeUtf8Lossless(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  const hex = (b: number): string => `\\x${b.toString(16).padStart(2, '0').toUpperCase()}`;
  while (i < bytes.length) {
    const b0 = bytes[i] ?? 0;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    const need = b0 >= 0xc2 && b0 <= 0xdf ? 1 : b0 >= 0xe0 && b0 <= 0xef ? 2 : b0 >= 0xf0 && b0 <= 0xf4 ? 3 : -1;
    let cp = need === 1 ? b0 & 0x1f : need === 2 ? b0 & 0x0f : b0 & 0x07;
    let ok = need > 0 && i + need < bytes.length;
    for (let k = 1; ok && k <= need; k++) {
      const b = bytes[i + k];
      if (b === undefined || (b & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (b & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not well-formed UTF-8.
    if (ok && ((need === 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (need === 3 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false;
    if (!ok) {
      out += hex(b0);
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

/** The text a vocabulary entry stands for (not yet escaped for display). */
export function tokenText(token: string, style: TokenStyle): string {
  switch (style) {
    case 'byte-level':
      return decodeUtf8Lossless(byteLevelBytes(token));
    case 'metaspace': {
      const m = BYTE_TOKEN.exec(token);
      if (m) return decodeUtf8Lossless(Uint8Array.of(parseInt(m[1] ?? '0', 16)));
      return token.replaceAll('\u2581', ' ');
    }
    default:
      return token;
  }
}

/** How vocabulary entries of this tokenizer read as text (for details and token naming). */
export function tokenStyleOf(t: Pick<HfTokenizer, 'preTokenizer' | 'decoder' | 'modelOptions'>): TokenStyle {
  const types = new Set<string>();
  const collect = (v: JsonValue | undefined, depth: number): void => {
    if (depth > 8 || v === undefined || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) collect(x, depth + 1);
      return;
    }
    const ty = v['type'];
    if (typeof ty === 'string') types.add(ty);
    const pattern = v['pattern'];
    if (ty === 'Replace' && typeof pattern === 'object' && pattern !== null && !Array.isArray(pattern) && pattern['String'] === '\u2581') types.add('Metaspace');
    for (const x of Object.values(v)) collect(x, depth + 1);
  };
  collect(t.preTokenizer, 0);
  collect(t.decoder, 0);
  if (types.has('ByteLevel')) return 'byte-level';
  if (types.has('Metaspace') || types.has('ByteFallback') || t.modelOptions['byte_fallback'] === true) return 'metaspace';
  return 'plain';
}
