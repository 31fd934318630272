/**
 * CPU dequantization of ggml block types, bit-exact with ggml's reference `dequantize_row_*`
 * (ggml/src/ggml-quants.c), plus ggml's reference quantizers for the simple 32-element types
 * (`quantize_row_*_ref`), used by tests and by the quantization-aware verdict to re-quantize a float
 * tensor and compare it with a suspect's quantized bytes.
 *
 * Bit-exactness. ggml converts the f16 scales (`d`, `dmin`, `m`) to f32 exactly and then computes in
 * f32, one rounding per operation, in source order: Q4_K is `y = (d·sc)·q − (dmin·m)`, Q6_K is
 * `y = (d·sc)·q`, Q4_1 is `y = q·d + m`. JavaScript computes in f64, so every intermediate goes
 * through `Math.fround`, and the final store into a Float32Array rounds once more. For + − × ÷ of
 * two f32 values, f64 has more than 2·24+2 bits, so rounding the exact-in-f64 result to f32 equals
 * the f32 operation (no double-rounding error). The reference is the C source's unfused arithmetic
 * (gguf-py's numpy dequantizers compute the same): a compiler that contracted `q·d − m` into one FMA
 * could differ in the last bit for the types with a min (Q4_1, Q5_1, Q2_K, Q4_K, Q5_K) — gcc 12
 * -O2, with and without -march=native, did not. The known-answer tests carry hashes of ggml's own
 * output for seeded random blocks (tests/unit/formats/gguf/dequant.test.ts).
 *
 * Block layouts (ggml/src/ggml-common.h; all little-endian, f16 = IEEE binary16):
 *   Q4_0  18 B: d f16 · qs[16] (low nibbles: elements 0–15, high nibbles: 16–31)
 *   Q4_1  20 B: d f16 · m f16 · qs[16]
 *   Q5_0  22 B: d f16 · qh u32 (5th bit of element j at bit j) · qs[16]
 *   Q5_1  24 B: d f16 · m f16 · qh u32 · qs[16]
 *   Q8_0  34 B: d f16 · qs i8[32]
 *   Q2_K  84 B: scales[16] (low 4 bits scale, high 4 bits min) · qs[64] · d f16 · dmin f16
 *   Q3_K 110 B: hmask[32] · qs[64] · scales[12] (16 × 6-bit, packed) · d f16
 *   Q4_K 144 B: d f16 · dmin f16 · scales[12] (8 scales + 8 mins, 6-bit, packed) · qs[128]
 *   Q5_K 176 B: d f16 · dmin f16 · scales[12] · qh[32] · qs[128]
 *   Q6_K 210 B: ql[128] · qh[64] · scales i8[16] · d f16
 *   Q8_K 292 B: d f32 · qs i8[256] · bsums i16[16] (ignored)
 *   IQ4_NL 18 B, IQ4_XS 136 B, MXFP4 17 B, TQ1_0 54 B, TQ2_0 66 B: see each decoder.
 * The IQ1/IQ2/IQ3 types need ggml's large lattice tables and are not decoded (`canDequantize`).
 */
import { DTYPES, type DType } from '../../formats/dtype.ts';
import { SleuthError } from '../../formats/errors.ts';
import { f16BitsToF32Bits } from './decode.ts';

const fr = Math.fround;

/** Dtypes `dequantizeBlocks` decodes. */
export const DEQUANTIZABLE: ReadonlySet<DType> = new Set<DType>([
  'F32', 'F16', 'BF16',
  'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0',
  'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q8_K',
  'IQ4_NL', 'IQ4_XS', 'MXFP4', 'TQ1_0', 'TQ2_0',
]);

export function canDequantize(dtype: DType): boolean {
  return DECODERS[dtype] !== undefined;
}

// ── f16 ↔ f32 ──────────────────────────────────────────────────────────────
/** binary16 → f32 for all 65,536 patterns (256 KiB, built once at load). */
const HALF: Float32Array = (() => {
  const t = new Float32Array(65536);
  const u = new Uint32Array(t.buffer);
  for (let h = 0; h < 65536; h++) u[h] = f16BitsToF32Bits(h);
  return t;
})();
const HALF_BITS = new Uint32Array(HALF.buffer);

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/**
 * f32 → binary16 bits with ggml's `GGML_FP32_TO_FP16`: round to nearest, ties to even; overflow to
 * ±inf; NaN → 0x7E00 with the sign kept. The argument is first rounded to f32.
 */
export function f32ToF16Bits(x: number): number {
  f32Scratch[0] = x;
  const w = u32Scratch[0] as number;
  const sign = (w >>> 16) & 0x8000;
  const exp = (w >>> 23) & 0xff;
  let mant = w & 0x7fffff;
  if (exp === 0xff) return sign | (mant !== 0 ? 0x7e00 : 0x7c00);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // f16 subnormal (or zero): value = h · 2^-24.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) === 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, up to 0x7C00 (inf): the right result.
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
  return sign | h;
}

export function f16BitsToF32(h: number): number {
  return HALF[h & 0xffff] as number;
}

// ── lookup tables (ggml-common.h) ──────────────────────────────────────────
/** IQ4_NL / IQ4_XS non-linear levels. */
const KVALUES_IQ4NL = new Int8Array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]);
/** E2M1 values doubled (MXFP4 pairs them with a halved E8M0 scale). */
const KVALUES_FP4 = new Int8Array([0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]);

/**
 * Decodes `blocks` blocks of `dtype` from `bytes` into `out[outOffset …]`. For F32/F16/BF16 a block
 * is one element. `bytes` must hold at least blocks × blockBytes bytes (any byteOffset is fine) and
 * `out` room for blocks × blockElements values.
 */
export function dequantizeBlocks(bytes: Uint8Array, dtype: DType, blocks: number, out: Float32Array, outOffset = 0): void {
  const decode = DECODERS[dtype];
  if (decode === undefined) {
    throw new SleuthError('unsupported_dtype', `${dtype} blocks are not decoded by this version (they need ggml's lattice tables); such tensors are compared by hash only`);
  }
  const info = DTYPES[dtype];
  if (!Number.isSafeInteger(blocks) || blocks < 0 || bytes.byteLength < blocks * info.blockBytes || out.length < outOffset + blocks * info.blockElements) {
    throw new SleuthError('internal_error', `dequantizeBlocks: ${blocks} × ${dtype} needs ${blocks * info.blockBytes} bytes (have ${bytes.byteLength}) and ${blocks * info.blockElements} outputs from ${outOffset} (have ${out.length})`);
  }
  decode(bytes, blocks, out, outOffset);
}

type Decoder = (b: Uint8Array, blocks: number, out: Float32Array, y: number) => void;

/** The f16 at byte o (little-endian), as f32. */
function h16(b: Uint8Array, o: number): number {
  return HALF[(b[o] as number) | ((b[o + 1] as number) << 8)] as number;
}
function i8(b: Uint8Array, o: number): number {
  return ((b[o] as number) << 24) >> 24;
}

// Plain floats are copied as bit patterns (through a u32 view of `out`), so even NaN payloads
// survive: going through a JS number could quiet a signalling NaN.
function decodeF32(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  new Uint8Array(out.buffer, out.byteOffset + 4 * y, 4 * blocks).set(b.subarray(0, 4 * blocks));
}

function decodeF16(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  const o32 = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < blocks; i++) o32[y++] = HALF_BITS[(b[2 * i] as number) | ((b[2 * i + 1] as number) << 8)] as number;
}

function decodeBF16(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  const o32 = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < blocks; i++) o32[y++] = (((b[2 * i] as number) | ((b[2 * i + 1] as number) << 8)) << 16) >>> 0;
}

function decodeQ40(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 18, y += 32) {
    const d = h16(b, o);
    for (let j = 0; j < 16; j++) {
      const q = b[o + 2 + j] as number;
      out[y + j] = ((q & 0xf) - 8) * d;
      out[y + j + 16] = ((q >> 4) - 8) * d;
    }
  }
}

function decodeQ41(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 20, y += 32) {
    const d = h16(b, o);
    const m = h16(b, o + 2);
    for (let j = 0; j < 16; j++) {
      const q = b[o + 4 + j] as number;
      out[y + j] = fr((q & 0xf) * d) + m;
      out[y + j + 16] = fr((q >> 4) * d) + m;
    }
  }
}

function decodeQ50(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 22, y += 32) {
    const d = h16(b, o);
    const qh = ((b[o + 2] as number) | ((b[o + 3] as number) << 8) | ((b[o + 4] as number) << 16) | ((b[o + 5] as number) << 24)) >>> 0;
    for (let j = 0; j < 16; j++) {
      const q = b[o + 6 + j] as number;
      const xh0 = ((qh >>> j) << 4) & 0x10;
      const xh1 = (qh >>> (j + 12)) & 0x10;
      out[y + j] = (((q & 0xf) | xh0) - 16) * d;
      out[y + j + 16] = (((q >> 4) | xh1) - 16) * d;
    }
  }
}

function decodeQ51(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 24, y += 32) {
    const d = h16(b, o);
    const m = h16(b, o + 2);
    const qh = ((b[o + 4] as number) | ((b[o + 5] as number) << 8) | ((b[o + 6] as number) << 16) | ((b[o + 7] as number) << 24)) >>> 0;
    for (let j = 0; j < 16; j++) {
      const q = b[o + 8 + j] as number;
      const xh0 = ((qh >>> j) << 4) & 0x10;
      const xh1 = (qh >>> (j + 12)) & 0x10;
      out[y + j] = fr(((q & 0xf) | xh0) * d) + m;
      out[y + j + 16] = fr(((q >> 4) | xh1) * d) + m;
    }
  }
}

function decodeQ80(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 34, y += 32) {
    const d = h16(b, o);
    for (let j = 0; j < 32; j++) out[y + j] = i8(b, o + 2 + j) * d;
  }
}

function decodeQ2K(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 84) {
    const d = h16(b, o + 80);
    const dmin = h16(b, o + 82);
    let is = 0;
    for (let n = 0; n < 2; n++) {
      const q = o + 16 + 32 * n;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let half = 0; half < 2; half++) {
          const sc = b[o + is++] as number;
          const dl = fr(d * (sc & 0xf));
          const ml = fr(dmin * (sc >> 4));
          const qo = q + 16 * half;
          for (let l = 0; l < 16; l++) out[y++] = fr(dl * (((b[qo + l] as number) >> shift) & 3)) - ml;
        }
      }
    }
  }
}

function decodeQ3K(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 110) {
    const dAll = h16(b, o + 108);
    const sc = o + 96;
    // hmask bit k (k = 0…7, one per 32 elements, ggml's mask m = 1 << k) set: no −4.
    let k = 0;
    let is = 0;
    for (let n = 0; n < 2; n++) {
      const q = o + 32 + 32 * n;
      for (let shift = 0; shift < 8; shift += 2, k++) {
        for (let half = 0; half < 2; half++) {
          const dl = fr(dAll * (q3kScale(b, sc, is++) - 32));
          const off = 16 * half;
          for (let l = 0; l < 16; l++) {
            const low = ((b[q + off + l] as number) >> shift) & 3;
            const minus4 = (~((b[o + off + l] as number) >> k) & 1) << 2;
            out[y++] = dl * (low - minus4);
          }
        }
      }
    }
  }
}

function decodeQ4K(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 144) {
    const d = h16(b, o);
    const dmin = h16(b, o + 2);
    const sc = o + 4;
    for (let g = 0; g < 4; g++) {
      const q = o + 16 + 32 * g;
      const d1 = fr(d * kScale(b, sc, 2 * g));
      const m1 = fr(dmin * kMin(b, sc, 2 * g));
      const d2 = fr(d * kScale(b, sc, 2 * g + 1));
      const m2 = fr(dmin * kMin(b, sc, 2 * g + 1));
      for (let l = 0; l < 32; l++) out[y++] = fr(d1 * ((b[q + l] as number) & 0xf)) - m1;
      for (let l = 0; l < 32; l++) out[y++] = fr(d2 * ((b[q + l] as number) >> 4)) - m2;
    }
  }
}

function decodeQ5K(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 176) {
    const d = h16(b, o);
    const dmin = h16(b, o + 2);
    const sc = o + 4;
    const qh = o + 16;
    for (let g = 0; g < 4; g++) {
      const ql = o + 48 + 32 * g;
      const d1 = fr(d * kScale(b, sc, 2 * g));
      const m1 = fr(dmin * kMin(b, sc, 2 * g));
      const d2 = fr(d * kScale(b, sc, 2 * g + 1));
      const m2 = fr(dmin * kMin(b, sc, 2 * g + 1));
      // The 5th bit of group 2g is qh bit 2g, of group 2g+1 bit 2g+1 (ggml's u1/u2 masks).
      const s1 = 2 * g;
      const s2 = 2 * g + 1;
      for (let l = 0; l < 32; l++) out[y++] = fr(d1 * (((b[ql + l] as number) & 0xf) | ((((b[qh + l] as number) >> s1) & 1) << 4))) - m1;
      for (let l = 0; l < 32; l++) out[y++] = fr(d2 * (((b[ql + l] as number) >> 4) | ((((b[qh + l] as number) >> s2) & 1) << 4))) - m2;
    }
  }
}

function decodeQ6K(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 210) {
    const d = h16(b, o + 208);
    for (let n = 0; n < 2; n++) {
      const ql = o + 64 * n;
      const qh = o + 128 + 32 * n;
      const sc = o + 192 + 8 * n;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const a = b[ql + l] as number;
        const c = b[ql + l + 32] as number;
        const h = b[qh + l] as number;
        out[y + l] = fr(d * i8(b, sc + is)) * (((a & 0xf) | ((h & 3) << 4)) - 32);
        out[y + l + 32] = fr(d * i8(b, sc + is + 2)) * (((c & 0xf) | (((h >> 2) & 3) << 4)) - 32);
        out[y + l + 64] = fr(d * i8(b, sc + is + 4)) * (((a >> 4) | (((h >> 4) & 3) << 4)) - 32);
        out[y + l + 96] = fr(d * i8(b, sc + is + 6)) * (((c >> 4) | (((h >> 6) & 3) << 4)) - 32);
      }
      y += 128;
    }
  }
}

function decodeQ8K(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0, o = 0; i < blocks; i++, o += 292) {
    const d = dv.getFloat32(o, true);
    for (let j = 0; j < 256; j++) out[y++] = d * i8(b, o + 4 + j);
  }
}

function decodeIQ4NL(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 18, y += 32) {
    const d = h16(b, o);
    for (let j = 0; j < 16; j++) {
      const q = b[o + 2 + j] as number;
      out[y + j] = d * (KVALUES_IQ4NL[q & 0xf] as number);
      out[y + j + 16] = d * (KVALUES_IQ4NL[q >> 4] as number);
    }
  }
}

function decodeIQ4XS(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 136) {
    const d = h16(b, o);
    const scalesH = (b[o + 2] as number) | ((b[o + 3] as number) << 8);
    for (let ib = 0; ib < 8; ib++) {
      const ls = (((b[o + 4 + (ib >> 1)] as number) >> (4 * (ib & 1))) & 0xf) | (((scalesH >> (2 * ib)) & 3) << 4);
      const dl = fr(d * (ls - 32));
      const qs = o + 8 + 16 * ib;
      for (let j = 0; j < 16; j++) {
        const q = b[qs + j] as number;
        out[y + j] = dl * (KVALUES_IQ4NL[q & 0xf] as number);
        out[y + j + 16] = dl * (KVALUES_IQ4NL[q >> 4] as number);
      }
      y += 32;
    }
  }
}

function decodeMXFP4(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 17, y += 32) {
    // GGML_E8M0_TO_FP32_HALF: 2^(e-128), subnormal for e < 2, never NaN.
    const d = 2 ** ((b[o] as number) - 128);
    for (let j = 0; j < 16; j++) {
      const q = b[o + 1 + j] as number;
      out[y + j] = (KVALUES_FP4[q & 0xf] as number) * d;
      out[y + j + 16] = (KVALUES_FP4[q >> 4] as number) * d;
    }
  }
}

function decodeTQ20(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 66) {
    const d = h16(b, o + 64);
    for (let j = 0; j < 64; j += 32) {
      for (let l = 0; l < 4; l++) {
        for (let m = 0; m < 32; m++) out[y++] = ((((b[o + j + m] as number) >> (2 * l)) & 3) - 1) * d;
      }
    }
  }
}

function decodeTQ10(b: Uint8Array, blocks: number, out: Float32Array, y: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 54) {
    const d = h16(b, o + 52);
    // Base-3 digits: byte · 3^n keeps the n-th trit at the top; (q·3) >> 8 reads it (0, 1, 2).
    // qs[0..32) then qs[32..48), five trits each; then qh[0..4), four trits each.
    for (let start = 0; start < 48; start += 32) {
      const width = start === 0 ? 32 : 16;
      for (let n = 0; n < 5; n++) {
        for (let m = 0; m < width; m++) out[y++] = (trit(b[o + start + m] as number, n) - 1) * d;
      }
    }
    for (let n = 0; n < 4; n++) {
      for (let j = 0; j < 4; j++) out[y++] = (trit(b[o + 48 + j] as number, n) - 1) * d;
    }
  }
}

const DECODERS: Partial<Record<DType, Decoder>> = {
  F32: decodeF32,
  F16: decodeF16,
  BF16: decodeBF16,
  Q4_0: decodeQ40,
  Q4_1: decodeQ41,
  Q5_0: decodeQ50,
  Q5_1: decodeQ51,
  Q8_0: decodeQ80,
  Q2_K: decodeQ2K,
  Q3_K: decodeQ3K,
  Q4_K: decodeQ4K,
  Q5_K: decodeQ5K,
  Q6_K: decodeQ6K,
  Q8_K: decodeQ8K,
  IQ4_NL: decodeIQ4NL,
  IQ4_XS: decodeIQ4XS,
  MXFP4: decodeMXFP4,
  TQ2_0: decodeTQ20,
  TQ1_0: decodeTQ10,
};

const POW3 = [1, 3, 9, 27, 81, 243] as const;
function trit(byte: number, n: number): number {
  const q = (byte * (POW3[n] as number)) & 0xff;
  return (q * 3) >> 8;
}

/** Q3_K: the 6-bit scale j of 16: low 4 bits from bytes 0–7 (two per byte), high 2 bits from bytes 8–11. */
function q3kScale(b: Uint8Array, sc: number, j: number): number {
  const low = j < 8 ? (b[sc + j] as number) & 0xf : (b[sc + j - 8] as number) >> 4;
  const high = ((b[sc + 8 + (j & 3)] as number) >> (2 * (j >> 2))) & 3;
  return low | (high << 4);
}

/** Q4_K/Q5_K `get_scale_min_k4`: 8 six-bit scales and 8 six-bit mins packed in 12 bytes. */
function kScale(b: Uint8Array, sc: number, j: number): number {
  return j < 4 ? (b[sc + j] as number) & 63 : ((b[sc + j + 4] as number) & 0xf) | (((b[sc + j - 4] as number) >> 6) << 4);
}
function kMin(b: Uint8Array, sc: number, j: number): number {
  return j < 4 ? (b[sc + j + 4] as number) & 63 : ((b[sc + j + 4] as number) >> 4) | (((b[sc + j] as number) >> 6) << 4);
}

/** Convenience: decodes a whole byte run of `dtype` (its length a multiple of the block size). */
export function dequantize(bytes: Uint8Array, dtype: DType): Float32Array {
  const info = DTYPES[dtype];
  if (bytes.byteLength % info.blockBytes !== 0) {
    throw new SleuthError('internal_error', `dequantize: ${bytes.byteLength} bytes is not a whole number of ${info.blockBytes}-byte ${dtype} blocks`);
  }
  const blocks = bytes.byteLength / info.blockBytes;
  const out = new Float32Array(blocks * info.blockElements);
  dequantizeBlocks(bytes, dtype, blocks, out);
  return out;
}

// ── reference quantizers (ggml quantize_row_*_ref) ──────────────────────────
// Each mirrors ggml's f32 arithmetic; results match ggml byte for byte for finite inputs.

/** C roundf: half away from zero. */
function roundf(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function checkBlocks(x: Float32Array, qk: number, name: string): number {
  if (x.length % qk !== 0) throw new SleuthError('internal_error', `${name}: ${x.length} values is not a multiple of ${qk}`);
  return x.length / qk;
}

function putF16(out: Uint8Array, o: number, v: number): void {
  const h = f32ToF16Bits(v);
  out[o] = h & 0xff;
  out[o + 1] = h >>> 8;
}

/** ggml quantize_row_q8_0_ref: d = amax/127, q = roundf(x/d). */
export function quantizeQ8_0(x: Float32Array): Uint8Array {
  const nb = checkBlocks(x, 32, 'quantizeQ8_0');
  const out = new Uint8Array(nb * 34);
  for (let i = 0; i < nb; i++) {
    const o = i * 34;
    let amax = 0;
    for (let j = 0; j < 32; j++) {
      const a = Math.abs(x[i * 32 + j] as number);
      amax = amax > a ? amax : a;
    }
    const d = fr(amax / 127);
    const id = d !== 0 ? fr(1 / d) : 0;
    putF16(out, o, d);
    for (let j = 0; j < 32; j++) out[o + 2 + j] = roundf(fr((x[i * 32 + j] as number) * id)) & 0xff;
  }
  return out;
}

/** The value of largest magnitude (first one on ties), as q4_0/q5_0 pick their scale sign. */
function signedAbsMax(x: Float32Array, start: number, n: number): number {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < n; j++) {
    const v = x[start + j] as number;
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  }
  return max;
}

function minMax(x: Float32Array, start: number, n: number): [number, number] {
  let min = 3.4028234663852886e38;
  let max = -3.4028234663852886e38;
  for (let j = 0; j < n; j++) {
    const v = x[start + j] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** ggml quantize_row_q4_0_ref: d = max/−8 (max = signed value of largest magnitude), q = min(15, trunc(x/d + 8.5)). */
export function quantizeQ4_0(x: Float32Array): Uint8Array {
  const nb = checkBlocks(x, 32, 'quantizeQ4_0');
  const out = new Uint8Array(nb * 18);
  for (let i = 0; i < nb; i++) {
    const o = i * 18;
    const d = fr(signedAbsMax(x, i * 32, 32) / -8);
    const id = d !== 0 ? fr(1 / d) : 0;
    putF16(out, o, d);
    for (let j = 0; j < 16; j++) {
      const x0 = fr((x[i * 32 + j] as number) * id);
      const x1 = fr((x[i * 32 + 16 + j] as number) * id);
      const q0 = Math.min(15, Math.trunc(fr(x0 + 8.5)));
      const q1 = Math.min(15, Math.trunc(fr(x1 + 8.5)));
      out[o + 2 + j] = (q0 | (q1 << 4)) & 0xff;
    }
  }
  return out;
}

/** ggml quantize_row_q4_1_ref: d = (max−min)/15, m = min, q = min(15, trunc((x−min)/d + 0.5)). */
export function quantizeQ4_1(x: Float32Array): Uint8Array {
  const nb = checkBlocks(x, 32, 'quantizeQ4_1');
  const out = new Uint8Array(nb * 20);
  for (let i = 0; i < nb; i++) {
    const o = i * 20;
    const [min, max] = minMax(x, i * 32, 32);
    const d = fr(fr(max - min) / 15);
    const id = d !== 0 ? fr(1 / d) : 0;
    putF16(out, o, d);
    putF16(out, o + 2, min);
    for (let j = 0; j < 16; j++) {
      const x0 = fr(fr((x[i * 32 + j] as number) - min) * id);
      const x1 = fr(fr((x[i * 32 + 16 + j] as number) - min) * id);
      const q0 = Math.min(15, Math.trunc(fr(x0 + 0.5)));
      const q1 = Math.min(15, Math.trunc(fr(x1 + 0.5)));
      out[o + 4 + j] = (q0 | (q1 << 4)) & 0xff;
    }
  }
  return out;
}

/** ggml quantize_row_q5_0_ref: d = max/−16, q = min(31, trunc(x/d + 16.5)); 5th bits in qh. */
export function quantizeQ5_0(x: Float32Array): Uint8Array {
  const nb = checkBlocks(x, 32, 'quantizeQ5_0');
  const out = new Uint8Array(nb * 22);
  for (let i = 0; i < nb; i++) {
    const o = i * 22;
    const d = fr(signedAbsMax(x, i * 32, 32) / -16);
    const id = d !== 0 ? fr(1 / d) : 0;
    putF16(out, o, d);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = fr((x[i * 32 + j] as number) * id);
      const x1 = fr((x[i * 32 + 16 + j] as number) * id);
      const q0 = Math.min(31, Math.trunc(fr(x0 + 16.5)));
      const q1 = Math.min(31, Math.trunc(fr(x1 + 16.5)));
      out[o + 6 + j] = ((q0 & 0xf) | ((q1 & 0xf) << 4)) & 0xff;
      qh |= ((q0 & 0x10) >>> 4) << j;
      qh |= ((q1 & 0x10) >>> 4) << (j + 16);
    }
    putU32(out, o + 2, qh);
  }
  return out;
}

/** ggml quantize_row_q5_1_ref: d = (max−min)/31, m = min, q = trunc((x−min)/d + 0.5); 5th bits in qh. */
export function quantizeQ5_1(x: Float32Array): Uint8Array {
  const nb = checkBlocks(x, 32, 'quantizeQ5_1');
  const out = new Uint8Array(nb * 24);
  for (let i = 0; i < nb; i++) {
    const o = i * 24;
    const [min, max] = minMax(x, i * 32, 32);
    const d = fr(fr(max - min) / 31);
    const id = d !== 0 ? fr(1 / d) : 0;
    putF16(out, o, d);
    putF16(out, o + 2, min);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = fr(fr((x[i * 32 + j] as number) - min) * id);
      const x1 = fr(fr((x[i * 32 + 16 + j] as number) - min) * id);
      const q0 = Math.trunc(fr(x0 + 0.5)) & 0xff;
      const q1 = Math.trunc(fr(x1 + 0.5)) & 0xff;
      out[o + 8 + j] = ((q0 & 0xf) | ((q1 & 0xf) << 4)) & 0xff;
      qh |= ((q0 & 0x10) >>> 4) << j;
      qh |= ((q1 & 0x10) >>> 4) << (j + 16);
    }
    putU32(out, o + 4, qh);
  }
  return out;
}

function putU32(out: Uint8Array, o: number, v: number): void {
  out[o] = v & 0xff;
  out[o + 1] = (v >>> 8) & 0xff;
  out[o + 2] = (v >>> 16) & 0xff;
  out[o + 3] = (v >>> 24) & 0xff;
}

/** Reference quantizer for the dtypes that have one here (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1). */
export function quantizeReference(dtype: DType, x: Float32Array): Uint8Array {
  switch (dtype) {
    case 'Q8_0':
      return quantizeQ8_0(x);
    case 'Q4_0':
      return quantizeQ4_0(x);
    case 'Q4_1':
      return quantizeQ4_1(x);
    case 'Q5_0':
      return quantizeQ5_0(x);
    case 'Q5_1':
      return quantizeQ5_1(x);
    default:
      throw new SleuthError('unsupported_dtype', `No reference quantizer for ${dtype} in this version (have Q8_0, Q4_0, Q4_1, Q5_0, Q5_1)`);
  }
}

export const QUANTIZABLE: ReadonlySet<DType> = new Set<DType>(['Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1']);

// ── quantization steps (for the quantization-aware precision test) ──────────
/**
 * For every element, the spacing between neighbouring values its block can represent (the
 * effective scale `d·sc` of its sub-block; for the non-linear grids IQ4_NL/IQ4_XS/MXFP4, the widest
 * gap of the grid). Rounding a float to nearest moves it by at most half a step; the precision test
 * allows one full step (search-based K-quant scales may round a little past nearest).
 */
export function quantizationSteps(bytes: Uint8Array, dtype: DType, blocks: number, out: Float32Array, outOffset = 0): void {
  const info = DTYPES[dtype];
  const fill = (y: number, n: number, v: number): void => {
    out.fill(Math.abs(v), y, y + n);
  };
  let y = outOffset;
  for (let i = 0, o = 0; i < blocks; i++, o += info.blockBytes) {
    switch (dtype) {
      case 'Q4_0':
      case 'Q5_0':
      case 'Q8_0':
      case 'Q4_1':
      case 'Q5_1':
        fill(y, 32, h16(bytes, o));
        y += 32;
        break;
      case 'Q2_K': {
        const d = h16(bytes, o + 80);
        for (let s = 0; s < 16; s++, y += 16) fill(y, 16, fr(d * ((bytes[o + s] as number) & 0xf)));
        break;
      }
      case 'Q3_K': {
        const dAll = h16(bytes, o + 108);
        // Decode order: for n, shift, half → scale index is++ (0…15), 16 elements each.
        for (let s = 0; s < 16; s++, y += 16) fill(y, 16, fr(dAll * (q3kScale(bytes, o + 96, s) - 32)));
        break;
      }
      case 'Q4_K':
      case 'Q5_K': {
        const d = h16(bytes, o);
        for (let s = 0; s < 8; s++, y += 32) fill(y, 32, fr(d * kScale(bytes, o + 4, s)));
        break;
      }
      case 'Q6_K': {
        const d = h16(bytes, o + 208);
        // Element (n, l, part) uses scale sc[8n + (l >> 4) + 2·part]; positions y + 128n + 32·part + l.
        for (let n = 0; n < 2; n++) {
          for (let part = 0; part < 4; part++) {
            for (let half = 0; half < 2; half++) fill(y + 128 * n + 32 * part + 16 * half, 16, fr(d * i8(bytes, o + 192 + 8 * n + half + 2 * part)));
          }
        }
        y += 256;
        break;
      }
      case 'Q8_K':
        fill(y, 256, new DataView(bytes.buffer, bytes.byteOffset + o, 4).getFloat32(0, true));
        y += 256;
        break;
      case 'IQ4_NL':
        fill(y, 32, h16(bytes, o) * 24);
        y += 32;
        break;
      case 'IQ4_XS': {
        const d = h16(bytes, o);
        const scalesH = (bytes[o + 2] as number) | ((bytes[o + 3] as number) << 8);
        for (let ib = 0; ib < 8; ib++, y += 32) {
          const ls = (((bytes[o + 4 + (ib >> 1)] as number) >> (4 * (ib & 1))) & 0xf) | (((scalesH >> (2 * ib)) & 3) << 4);
          fill(y, 32, fr(d * (ls - 32)) * 24);
        }
        break;
      }
      case 'MXFP4':
        fill(y, 32, 2 ** ((bytes[o] as number) - 128) * 4);
        y += 32;
        break;
      case 'TQ1_0':
        fill(y, 256, h16(bytes, o + 52));
        y += 256;
        break;
      case 'TQ2_0':
        fill(y, 256, h16(bytes, o + 64));
        y += 256;
        break;
      default:
        throw new SleuthError('unsupported_dtype', `No quantization step rule for ${dtype}`);
    }
  }
}
