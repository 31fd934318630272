/**
 * Raw tensor bytes for the engine agreement cases: seeded random bit patterns, weight-like values,
 * exhaustive patterns for the small types, and hand-picked adversarial values (NaN payloads, ±Inf,
 * −0, subnormals, extremes, binary32 rounding ties for F64, 64-bit integers past 2^53). Built, not
 * downloaded; deterministic (xorshift) so a failure reproduces.
 */
import type { DType } from '../../src/lib/formats/dtype.ts';
import { DTYPES } from '../../src/lib/formats/dtype.ts';

/** Every dtype the engines decode. */
export const DECODED_DTYPES: readonly DType[] = ['F32', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'I8', 'U8', 'BOOL', 'I16', 'U16', 'I32', 'U32', 'F64', 'I64', 'U64'];

export function elemSize(dtype: DType): number {
  return DTYPES[dtype].blockBytes;
}

/** xorshift32: uniform 32-bit integers. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

/** Approximately N(0, sigma²) (sum of uniforms), for weight-like values. */
export function gaussian(next: () => number, sigma: number): number {
  let t = 0;
  for (let i = 0; i < 4; i++) t += next() / 4294967296;
  return (t - 2) * sigma * 1.7320508;
}

export function randomBytes(count: number, seed: number): Uint8Array {
  const next = rng(seed);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i += 4) {
    const r = next();
    for (let k = 0; k < 4 && i + k < count; k++) out[i + k] = (r >>> (8 * k)) & 0xff;
  }
  return out;
}

// ── encoders (value → dtype bits, round to nearest even) ─────────────────────────────────────

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function f32Bits(x: number): number {
  f32[0] = x;
  return u32[0] as number;
}

export function bitsToF32(b: number): number {
  u32[0] = b >>> 0;
  return f32[0] as number;
}

/** binary32 bits → binary16 bits, round to nearest even (NaN → quiet NaN, overflow → ±Inf). */
export function f32BitsToF16(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const e = (b >>> 23) & 0xff;
  const m = b & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  const exp = e - 127;
  if (exp > 15) return sign | 0x7c00;
  // Value = (m | 1<<23) · 2^(exp − 23); quantum 2^max(exp − 10, −24).
  const full = e === 0 ? m : m | 0x800000;
  const e2 = (e === 0 ? -126 : exp) - 23;
  const qe = Math.max((e === 0 ? -127 : exp) - 10, -24);
  const sh = qe - e2;
  let q: number;
  if (sh <= 0) q = full * 2 ** -sh;
  else if (sh > 31) q = 0;
  else {
    q = Math.floor(full / 2 ** sh);
    const rem = full - q * 2 ** sh;
    const half = 2 ** (sh - 1);
    if (rem > half || (rem === half && q % 2 === 1)) q++;
  }
  const mag = (qe + 24) * 1024 + q; // same trick as magToF32: the carry bumps the exponent
  return sign | Math.min(mag, 0x7c00);
}

/** binary32 bits → bfloat16 bits, round to nearest even. */
export function f32BitsToBf16(b: number): number {
  if ((b & 0x7fffffff) > 0x7f800000) return ((b >>> 16) | 0x40) & 0xffff;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

let e4m3Values: Float64Array | undefined;
/** Nearest finite E4M3 (saturating at ±448); test data only, ties broken towards even patterns. */
export function toE4M3(x: number): number {
  if (!e4m3Values) {
    e4m3Values = new Float64Array(256);
    for (let i = 0; i < 256; i++) {
      const s = i & 0x80 ? -1 : 1;
      const e = (i >>> 3) & 15;
      const m = i & 7;
      e4m3Values[i] = e === 15 && m === 7 ? NaN : e === 0 ? s * m * 2 ** -9 : s * (1 + m / 8) * 2 ** (e - 7);
    }
  }
  if (Number.isNaN(x)) return 0x7f;
  let best = 0;
  let bestD = Infinity;
  for (let i = 0; i < 256; i++) {
    const v = e4m3Values[i] as number;
    if (Number.isNaN(v)) continue;
    const d = Math.abs(v - x);
    if (d < bestD || (d === bestD && (i & 1) === 0 && Math.sign(v) === Math.sign(x))) {
      best = i;
      bestD = d;
    }
  }
  return best;
}

/** Encodes numbers as `dtype` (floats rounded to nearest even via binary32; ints truncated and wrapped). */
export function encode(dtype: DType, values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  const size = elemSize(dtype);
  const buf = new ArrayBuffer(n * size);
  const dv = new DataView(buf);
  for (let i = 0; i < n; i++) {
    const x = values[i] as number;
    switch (dtype) {
      case 'F32':
        dv.setFloat32(i * 4, x, true);
        break;
      case 'F64':
        dv.setFloat64(i * 8, x, true);
        break;
      case 'F16':
        dv.setUint16(i * 2, f32BitsToF16(f32Bits(x)), true);
        break;
      case 'BF16':
        dv.setUint16(i * 2, f32BitsToBf16(f32Bits(x)), true);
        break;
      case 'F8_E4M3':
        dv.setUint8(i, toE4M3(x));
        break;
      case 'F8_E5M2': {
        const h = f32BitsToF16(f32Bits(x));
        dv.setUint8(i, (h & 0x7fff) > 0x7c00 ? (h >>> 8) | 2 : Math.min((h + 0x7f + ((h >>> 8) & 1)) >>> 8, (h & 0x8000 ? 0x80 : 0) | 0x7c));
        break;
      }
      case 'F8_E8M0':
        dv.setUint8(i, Number.isNaN(x) || x <= 0 ? 0xff : Math.max(0, Math.min(254, Math.round(Math.log2(x)) + 127)));
        break;
      case 'I8':
        dv.setInt8(i, Math.trunc(x) | 0);
        break;
      case 'U8':
        dv.setUint8(i, Math.trunc(x) & 0xff);
        break;
      case 'BOOL':
        dv.setUint8(i, x !== 0 ? 1 : 0);
        break;
      case 'I16':
        dv.setInt16(i * 2, Math.trunc(x) | 0, true);
        break;
      case 'U16':
        dv.setUint16(i * 2, Math.trunc(x) & 0xffff, true);
        break;
      case 'I32':
        dv.setInt32(i * 4, Math.trunc(x) | 0, true);
        break;
      case 'U32':
        dv.setUint32(i * 4, Math.trunc(x) >>> 0, true);
        break;
      case 'I64':
        dv.setBigInt64(i * 8, BigInt(Math.trunc(x)), true);
        break;
      case 'U64':
        dv.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(Math.trunc(x))), true);
        break;
      default:
        throw new Error(`encode: ${dtype}`);
    }
  }
  return new Uint8Array(buf);
}

/** Weight-like values of `dtype` (floats ~N(0, 0.02²); integers spread over a sensible range). */
export function weights(dtype: DType, count: number, seed: number): Uint8Array {
  const next = rng(seed);
  const vals = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const g = gaussian(next, 0.02);
    switch (DTYPES[dtype].family) {
      case 'float':
        vals[i] = dtype === 'F8_E8M0' ? 2 ** ((next() % 40) - 20) : g;
        break;
      case 'bool':
        vals[i] = next() & 1;
        break;
      default: {
        const r = next();
        vals[i] = dtype === 'I64' || dtype === 'U64' ? (r % 2000001) - (dtype === 'I64' ? 1000000 : 0) : DTYPES[dtype].family === 'uint' ? r % 1000 : (r % 2001) - 1000;
      }
    }
  }
  return encode(dtype, vals);
}

/** All bit patterns of an 8- or 16-bit dtype, in order. */
export function exhaustive(dtype: DType): Uint8Array {
  const size = elemSize(dtype);
  const count = 1 << (8 * size);
  const out = new Uint8Array(count * size);
  for (let i = 0; i < count; i++) {
    out[i * size] = i & 0xff;
    if (size === 2) out[i * size + 1] = i >>> 8;
  }
  return out;
}

/** Hand-picked binary32 patterns: zeros, subnormals, extremes, Inf, NaN payloads, bin edges. */
export const F32_SPECIALS: readonly number[] = [
  0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00800000, 0x80800000, 0x00400000,
  0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fbfffff, 0xffffffff,
  0x3f800000, 0xbf800000, 0x0d800000, 0x0d7fffff, 0x0d000000, 0x0c800000, 0x0cffffff, // around 2^-100 (f32Unsafe edge)
  0x27000000, 0x26ffffff, 0x27800000, // around 2^-49 (histogram bin 1/2 edge)
  0x45800000, 0x457fffff, 0x46000000, // around 2^12 (bin 62/63 edge)
  0x5f800000, 0x5f7fffff, 0x4f800000, // 2^64, x² overflow edge; 2^32, x⁴ overflow edge
  0x1f800000, 0x1f7fffff, // 2^-64
];

export function bytesOfU32(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
  return out;
}

export function bytesOfBig(words: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(words.length * 8);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, w), true));
  return out;
}

/** binary64 bits of x. */
export function f64Bits(x: number): bigint {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x, true);
  return dv.getBigUint64(0, true);
}

/**
 * F64 values aimed at binary32 round-to-nearest-even: exact f32 values, exact ties (half an f32
 * ulp above, both parities), one f64 ulp either side of a tie, the subnormal ties (2^-150, 3·2^-150)
 * and the overflow edge (max + half ulp rounds to Inf; one f64 ulp less stays max), plus F64
 * subnormals, extremes, Inf and NaN.
 */
export function f64RoundingCases(seed: number, randomCount: number): bigint[] {
  const next = rng(seed);
  const out: bigint[] = [];
  const push = (x: number): void => {
    out.push(f64Bits(x), f64Bits(-x));
  };
  const near = (bits: bigint, d: bigint): bigint => bits + d;
  [0, 1, 1.5, 2 ** -126, 2 ** -149, 2 ** -150, 3 * 2 ** -150, 2 ** -151, 2 ** -1074, 2 ** -1022, Number.MAX_VALUE, 2 ** 128, 2 ** 127 * (2 - 2 ** -24), 1e300, 1e-300, 4096, 4095.999, 2 ** -49, 2 ** -50].forEach(push);
  out.push(0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n, 0xfff8000000000001n, 0x7ff0000000000001n);
  const maxF32 = 2 ** 127 * (2 - 2 ** -23);
  const halfUlpMax = 2 ** 103;
  for (const x of [maxF32 + halfUlpMax]) {
    const b = f64Bits(x);
    out.push(b, near(b, -1n), near(b, 1n), b | (1n << 63n));
  }
  for (let i = 0; i < randomCount; i++) {
    // A random f32 value and the f64 tie above it (f32 mantissa ends at bit 29 of the f64's).
    const v = bitsToF32(next() & 0x7f7fffff);
    const b = f64Bits(v);
    const tie = b | (1n << 28n);
    out.push(b, tie, tie - 1n, tie + 1n, tie | (1n << 63n));
    // Subnormal-f32 region ties: k·2^-150 for random k.
    const k = next() % 4096;
    out.push(f64Bits(k * 2 ** -150), f64Bits(k * 2 ** -150) + 1n);
  }
  return out;
}

/** 64-bit integer patterns around binary64 rounding: 2^53 ± k, ties at 2^54/2^62, extremes. */
export function int64Cases(signed: boolean, seed: number, randomCount: number): bigint[] {
  const next = rng(seed);
  const out: bigint[] = [0n, 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 53n + 3n, 2n ** 54n + 2n, 2n ** 54n + 6n, 2n ** 62n + 2n ** 9n, 2n ** 62n + 3n * 2n ** 9n, 2n ** 63n - 1n, 4095n, 4096n];
  if (signed) out.push(...out.map((x) => -x), -(2n ** 63n));
  else out.push(2n ** 64n - 1n, 2n ** 63n, 2n ** 63n + 2n ** 10n, 2n ** 64n - 2n ** 11n);
  for (let i = 0; i < randomCount; i++) out.push((BigInt(next()) << 32n) | BigInt(next()));
  return out;
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/**
 * Adversarial values of `dtype`, `count` elements: the type's special patterns repeated and mixed
 * with random bit patterns (so every block of 1024 sees specials in different positions).
 */
export function adversarial(dtype: DType, count: number, seed: number): Uint8Array {
  const size = elemSize(dtype);
  const next = rng(seed);
  let specials: Uint8Array;
  switch (dtype) {
    case 'F32':
      specials = bytesOfU32(F32_SPECIALS);
      break;
    case 'F64':
      specials = bytesOfBig(f64RoundingCases(seed, 64));
      break;
    case 'I64':
    case 'U64':
      specials = bytesOfBig(int64Cases(dtype === 'I64', seed, 16));
      break;
    case 'I32':
    case 'U32':
      specials = bytesOfU32([0, 1, 0xffffffff, 0x80000000, 0x7fffffff, 0x01000001, 0x01000003, 0xfeffffff, 4095, 4096, 0xfffff000]);
      break;
    default:
      specials = exhaustive(dtype);
  }
  const nSpecial = specials.byteLength / size;
  const out = new Uint8Array(count * size);
  for (let i = 0; i < count; i++) {
    const r = next();
    if (r % 3 !== 0) {
      const k = next() % nSpecial;
      out.set(specials.subarray(k * size, (k + 1) * size), i * size);
    } else {
      for (let b = 0; b < size; b++) out[i * size + b] = (b % 4 === 0 ? next() : r >>> (8 * (b % 4))) & 0xff;
    }
  }
  return out;
}

/**
 * A copy of `base` with about `fraction` of its elements edited: single bit flips anywhere in the
 * pattern (sign, exponent, mantissa), and for floats also NaN/±Inf/−0 swaps.
 */
export function edited(dtype: DType, base: Uint8Array, fraction: number, seed: number): Uint8Array {
  const size = elemSize(dtype);
  const next = rng(seed);
  const out = base.slice();
  const n = base.byteLength / size;
  const isFloat = DTYPES[dtype].family === 'float';
  for (let i = 0; i < n; i++) {
    if (next() / 4294967296 >= fraction) continue;
    const kind = next() % 8;
    const at = i * size;
    if (isFloat && kind === 0) {
      // Sign flip (turns +0 into −0).
      out[at + size - 1] = (out[at + size - 1] as number) ^ 0x80;
    } else if (isFloat && kind === 1) {
      // Exponent all ones: Inf or NaN depending on the mantissa.
      out[at + size - 1] = (out[at + size - 1] as number) | 0x7f;
      if (size >= 2) out[at + size - 2] = (out[at + size - 2] as number) | 0xf0;
    } else {
      const bit = next() % (8 * size);
      out[at + (bit >>> 3)] = (out[at + (bit >>> 3)] as number) ^ (1 << (bit & 7));
    }
  }
  return out;
}

/** Decoded-value cast helpers for cross-dtype cases: `values` as `dtype`, rounded like a framework cast. */
export function castFrom(values: ArrayLike<number>, to: DType): Uint8Array {
  return encode(to, values);
}

// ── block-quantized types (GGUF) ─────────────────────────────────────────────────────────────

/** Every block-quantized dtype the WebGPU engine decodes (Q8_K stays on the CPU twin). */
export const QUANT_DTYPES: readonly DType[] = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'IQ4_NL', 'IQ4_XS', 'MXFP4', 'TQ1_0', 'TQ2_0'];

/** Elements held by `bytes` of `dtype` (whole blocks). */
export function elementsOf(dtype: DType, byteLength: number): number {
  const info = DTYPES[dtype];
  return (byteLength / info.blockBytes) * info.blockElements;
}

/** Bytes of `count` elements of `dtype` (whole blocks). */
export function bytesOf(dtype: DType, count: number): number {
  const info = DTYPES[dtype];
  return (count / info.blockElements) * info.blockBytes;
}

/** Byte offsets of each block's f16 scale fields (d, dmin/m) — ggml-common.h. */
const F16_FIELDS: Partial<Record<DType, readonly number[]>> = {
  Q4_0: [0], Q4_1: [0, 2], Q5_0: [0], Q5_1: [0, 2], Q8_0: [0],
  Q2_K: [80, 82], Q3_K: [108], Q4_K: [0, 2], Q5_K: [0, 2], Q6_K: [208],
  IQ4_NL: [0], IQ4_XS: [0], TQ1_0: [52], TQ2_0: [64],
};

/** Sub-scale bytes [offset, length) of the K-quant and IQ4_XS blocks (extreme values go there). */
const SUB_SCALES: Partial<Record<DType, readonly [number, number]>> = {
  Q2_K: [0, 16], Q3_K: [96, 12], Q4_K: [4, 12], Q5_K: [4, 12], Q6_K: [192, 16], IQ4_XS: [2, 6],
};

/**
 * f16 scales that stress the exact decode: ±0, the smallest and largest subnormals, the smallest
 * normal, ±max, ±Inf, NaN (quiet, signalling, negative), ±1.
 */
export const F16_SPECIAL_SCALES: readonly number[] = [0x0000, 0x8000, 0x0001, 0x8001, 0x03ff, 0x83ff, 0x0400, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe00, 0x3c00, 0xbc00];
/** E8M0 scales of MXFP4 at the ends of binary32 (subnormal products, overflow to Inf) and the middle. */
const E8M0_SPECIAL: readonly number[] = [0, 1, 2, 3, 126, 127, 128, 129, 252, 253, 254, 255];

function putU16(out: Uint8Array, o: number, v: number): void {
  out[o] = v & 0xff;
  out[o + 1] = (v >>> 8) & 0xff;
}

/**
 * `blocks` blocks of a quantized dtype:
 *  - 'weights': random quants with weight-like scales (f16 d ≈ 1e-3…1e-2, small dmin; MXFP4 2^-8…2^-5);
 *  - 'random': every byte random (scales include NaN/Inf patterns about 3% of the time);
 *  - 'adversarial': per block one of — all zero; random quants with special f16 scales
 *    (NaN/Inf/subnormal/−0/max); extreme sub-scales (all bits set or clear, int8 ±127/−128).
 */
export function quantBlocks(dtype: DType, blocks: number, seed: number, mode: 'weights' | 'random' | 'adversarial'): Uint8Array {
  const info = DTYPES[dtype];
  const out = randomBytes(blocks * info.blockBytes, seed);
  const next = rng(seed ^ 0x51ed);
  const fields = F16_FIELDS[dtype] ?? [];
  const sub = SUB_SCALES[dtype];
  for (let b = 0; b < blocks; b++) {
    const o = b * info.blockBytes;
    if (mode === 'weights') {
      fields.forEach((f, k) => putU16(out, o + f, f32BitsToF16(f32Bits((k === 0 ? 1e-3 : 2e-4) * (1 + (next() % 1000) / 100) * (k === 1 && next() & 1 ? -1 : 1)))));
      if (dtype === 'MXFP4') out[o] = 119 + (next() % 4);
      continue;
    }
    if (mode === 'random') continue;
    const kind = next() % 6;
    if (kind === 0) {
      out.fill(0, o, o + info.blockBytes);
      continue;
    }
    for (const f of fields) putU16(out, o + f, kind <= 3 ? (F16_SPECIAL_SCALES[next() % F16_SPECIAL_SCALES.length] as number) : next() & 0xffff);
    if (dtype === 'MXFP4') out[o] = E8M0_SPECIAL[next() % E8M0_SPECIAL.length] as number;
    if (sub !== undefined && kind >= 3) {
      const fill = [0x00, 0xff, 0x80, 0x7f][next() % 4] as number;
      out.fill(fill, o + sub[0], o + sub[0] + sub[1]);
    }
  }
  return out;
}
