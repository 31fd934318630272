/**
 * Byte helpers shared by the corpus builders: deterministic, no I/O, little-endian throughout.
 */

const encoder = new TextEncoder();

export const utf8 = (text: string): Uint8Array => encoder.encode(text);

/** Latin-1 bytes of a string whose characters are all < 256 (pickle protocol-0 text, magic strings). */
export function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new Error(`corpus: latin1() got U+${c.toString(16)}`);
    out[i] = c;
  }
  return out;
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  return concatAll(parts);
}

/** concat() of a list (any length: no spread into an argument list). */
export function concatAll(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Deterministic filler bytes (0, 1, 2, …). */
export function filler(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => i & 0xff);
}

export function u16(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff, (value >>> 8) & 0xff);
}

export function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, true);
  return out;
}

export function u64(value: bigint | number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true);
  return out;
}

export function f32(...values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** A copy of `bytes` with `patch` written at `offset` (the array grows if needed). */
export function patched(bytes: Uint8Array, offset: number, patch: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(bytes.byteLength, offset + patch.byteLength));
  out.set(bytes);
  out.set(patch, offset);
  return out;
}

/** Offset of the first occurrence of `needle` in `hay` at or after `from` (throws when absent: a builder bug). */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.byteLength <= hay.byteLength; i++) {
    for (let j = 0; j < needle.byteLength; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('corpus: marker not found in built bytes');
}
