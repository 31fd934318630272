/**
 * The WebGPU ↔ CPU-twin agreement suite, shared by tests/browser/engine-agreement.test.ts
 * (Chromium, WebGPU on the machine's adapter) and tests/unit/engine/webgpu-node.test.ts (Node,
 * Dawn). Every case runs the same chunks through the WebGPU engine and `CpuEngine` and compares
 * the accumulators:
 *  - bit-exact: decode, counts (finite/NaN/±Inf/zeros, changed, non-finite, precision violations),
 *    min/max and max|Δ| (Object.is, so −0 ≠ +0), histograms, per-row changed counts, the top-k list
 *    (index, magnitude, values, raw bits); for GGUF block-quantized types also the dequantized
 *    values and per-element quantization steps, on weight-like, random and adversarial blocks
 *    (NaN/Inf/subnormal/−0 f16 scales, extreme sub-scales, all-zero blocks);
 *  - float sums within TOLERANCE: |gpu − cpu| ≤ 2^-16 · Σ|termᵢ| + n · 2^-120, the bound stated in
 *    the kernel headers. The kernels sum f32 terms (each within ~3·2^-24 of the twin's) in runs of
 *    16 inside 256-element blocks, so their error stays below ~34·2^-24 · Σ|termᵢ|; 2^-16 leaves a
 *    wide margin while still catching a wrong term or a lost block. The absolute part covers terms
 *    below 2^-126 that WGSL may flush to zero. A CPU sum that overflows binary64 must be
 *    non-finite on the GPU too (the value then depends on the order of additions in both engines).
 *  - the rank sketch's product Y = Δ_S·Ω (sketch.wgsl vs sketchProduct) within SKETCH_TOLERANCE:
 *    |gpu − cpu| ≤ 2^-16 · Σⱼ|dⱼ·ωⱼ| + cols · 2^-120 per entry (f32 products and sums, see the
 *    kernel header).
 */
import { describe, expect, it } from 'vitest';
import type { DType } from '../../src/lib/formats/dtype.ts';
import { DTYPES } from '../../src/lib/formats/dtype.ts';
import { CpuEngine, type ComputeEngine } from '../../src/lib/engine/engine.ts';
import { decodeChunk } from '../../src/lib/engine/cpu/decode.ts';
import { quantizeReference } from '../../src/lib/engine/cpu/dequant.ts';
import { sketchProduct } from '../../src/lib/engine/cpu/sketch-kernel.ts';
import { sketchOmega } from '../../src/lib/analysis/rank-sketch.ts';
import { newStats, type StatsAccumulator } from '../../src/lib/engine/stats.ts';
import { newDiff, type DiffAccumulator } from '../../src/lib/engine/diff.ts';
import type { WebGpuEngine } from '../../src/lib/engine/webgpu/webgpu-engine.ts';
import { sleuthErrorOfGpuError } from '../../src/lib/engine/webgpu/device.ts';
import { SleuthError } from '../../src/lib/formats/errors.ts';
import { DECODED_DTYPES, QUANT_DTYPES, adversarial, bytesOf, castFrom, concat, edited, elemSize, elementsOf, encode, exhaustive, gaussian, quantBlocks, randomBytes, rng, weights } from './data.ts';

export const TOLERANCE = { relative: 2 ** -16, absolutePerElement: 2 ** -120 } as const;
export const SKETCH_TOLERANCE = { relative: 2 ** -16, absolutePerTerm: 2 ** -120 } as const;

/** Per-test timeout: the first use of a dtype pair compiles its pipelines (≈1–5 s on SwiftShader). */
const CASE_TIMEOUT = 300_000;

// ── cases ─────────────────────────────────────────────────────────────────────────────────────

export interface StatsCase {
  name: string;
  dtype: DType;
  bytes: Uint8Array;
  /** Elements per engine call (default: all at once). */
  chunk?: number;
}

export interface DiffCase {
  name: string;
  dtypeA: DType;
  dtypeB: DType;
  a: Uint8Array;
  b: Uint8Array;
  shape: number[];
  chunk?: number;
  topK?: number;
  /** Track rows in buckets of this many (as for tensors with more than MAX_TRACKED_ROWS rows). */
  rowBucket?: number;
  /** Expected precision violations (a plain cast must give 0). */
  violations?: number;
}

const N = 12_288; // 48 blocks of 256: several workgroups per case, small enough for SwiftShader

/** Places the bytes at an odd offset of a larger buffer: the engine must not need aligned views. */
export function misaligned(bytes: Uint8Array, offset = 3): Uint8Array {
  const buf = new Uint8Array(bytes.byteLength + offset);
  buf.set(bytes, offset);
  return buf.subarray(offset);
}

function decodedValues(dtype: DType, bytes: Uint8Array): Float64Array {
  return Float64Array.from(decodeChunk(bytes, dtype, elementsOf(dtype, bytes.byteLength)).values);
}

export function statsCases(dtype: DType): StatsCase[] {
  const size = elemSize(dtype);
  const cases: StatsCase[] = [
    { name: 'weight-like values', dtype, bytes: weights(dtype, N, 11) },
    { name: 'adversarial values, misaligned view, 5000-element chunks', dtype, bytes: misaligned(adversarial(dtype, N + 123, 12)), chunk: 5000 },
    { name: 'random bit patterns', dtype, bytes: randomBytes((N - 7) * size, 13) },
  ];
  if (size <= 2) cases.push({ name: 'every bit pattern', dtype, bytes: exhaustive(dtype), chunk: 20_000 });
  return cases;
}

export function sameDtypeDiffCases(dtype: DType): DiffCase[] {
  const w = weights(dtype, N, 21);
  const adv = adversarial(dtype, N, 22);
  return [
    { name: 'weights, 30% edited, rows of 512 (diff-rows)', dtypeA: dtype, dtypeB: dtype, a: w, b: edited(dtype, w, 0.3, 23), shape: [24, 512] },
    { name: 'adversarial, 50% edited, misaligned views, rows of 2048 (in diff-blocks), 5000-element chunks', dtypeA: dtype, dtypeB: dtype, a: misaligned(adv, 1), b: misaligned(edited(dtype, adv, 0.5, 24), 2), shape: [N / 2048, 2048], chunk: 5000 },
    { name: 'random vs random bit patterns, 1-D', dtypeA: dtype, dtypeB: dtype, a: randomBytes(N * elemSize(dtype), 25), b: randomBytes(N * elemSize(dtype), 26), shape: [N] },
  ];
}

/** A cast of `a`'s values to `to` (round to nearest even): every difference is within one ulp. */
function castCase(name: string, from: DType, to: DType, a: Uint8Array, shape: number[], extra: Partial<DiffCase> = {}): DiffCase {
  return { name, dtypeA: from, dtypeB: to, a, b: castFrom(decodedValues(from, a), to), shape, violations: 0, ...extra };
}

/**
 * Pairs placed on the precision test's boundary: the higher-precision side at exactly one ulp of
 * the lower value (not a violation), one f32 step beyond (a violation), and far below it in
 * magnitude (|Δ| rounds to the ulp in binary64, as the twin computes it: not a violation, though
 * the exact difference exceeds the ulp).
 */
export function violationBoundaryCase(lower: DType, higher: DType, seed: number): DiffCase {
  const next = rng(seed);
  const info = DTYPES[lower];
  const mBits = info.mantissaBits ?? 0;
  const minExp = info.minExponent ?? 0;
  const lowVals = decodedValues(lower, weights(lower, 2048, seed));
  const hs: number[] = [];
  const ls: number[] = [];
  const f = Math.fround;
  for (const l0 of lowVals) {
    const l = Number.isFinite(l0) ? l0 : 1;
    const e = l === 0 ? minExp : Math.max(Math.floor(Math.log2(Math.abs(l))), minExp);
    const ulp = 2 ** (e - mBits);
    const step = 2 ** (Math.floor(Math.log2(Math.abs(l) + ulp)) - 23);
    const sign = next() & 1 ? 1 : -1;
    const pick = next() % 5;
    const h = pick === 0 ? l + sign * ulp : pick === 1 ? l + sign * (ulp + step) : pick === 2 ? l + sign * (ulp - step) : pick === 3 ? -Math.sign(l || 1) * 2 ** (e - 70) : l;
    ls.push(l);
    hs.push(f(h));
  }
  // The lower dtype's smallest values against tiny opposite-signed values (exponent gap > 28).
  const tiny = [2 ** (minExp - mBits), -(2 ** (minExp - mBits)), 2 ** minExp];
  for (const t of tiny) {
    ls.push(t);
    hs.push(-Math.sign(t) * 2 ** -99);
  }
  while (ls.length % 7 !== 0) {
    ls.push(0);
    hs.push(0);
  }
  return { name: `precision boundary, ${lower} lower`, dtypeA: higher, dtypeB: lower, a: encode(higher, hs), b: encode(lower, ls), shape: [ls.length] };
}

export function crossDtypeDiffCases(): DiffCase[] {
  const next = rng(31);
  const f32 = weights('F32', N, 32);
  // Values beyond F16's range saturate to ±Inf in the cast: still "within precision".
  const wide = encode('F32', Array.from({ length: N }, (_, i) => (i % 5 === 0 ? (i % 2 ? -1 : 1) * 70000 * (1 + (next() % 100)) : ((next() / 4294967296) - 0.5) * 200)));
  const f64 = encode('F64', Array.from(decodedValues('F32', f32), (x, i) => x * (1 + ((i % 7) - 3) * 2 ** -30)));
  const f16 = castFrom(decodedValues('F32', f32), 'F16');
  const edits = edited('F16', f16, 0.05, 33);
  const ints = encode('I32', Array.from({ length: N }, () => (next() % 200001) - 100000));
  return [
    castCase('F32 → F16 cast, rows of 512', 'F32', 'F16', f32, [24, 512]),
    castCase('F32 → BF16 cast, rows of 3072, 7000-element chunks', 'F32', 'BF16', f32, [4, 3072], { chunk: 7000 }),
    castCase('F32 → F16 cast with overflow to ±Inf (saturation rule)', 'F32', 'F16', wide, [N]),
    castCase('F16 → F8_E4M3 cast', 'F16', 'F8_E4M3', f16, [96, 128]),
    castCase('F32 → F8_E5M2 cast', 'F32', 'F8_E5M2', f32, [N]),
    castCase('F64 → F32 cast (binary32 rounding of binary64 values)', 'F64', 'F32', f64, [12, 1024]),
    castCase('BF16 → F32 widening (exact)', 'BF16', 'F32', castFrom(decodedValues('F32', f32), 'BF16'), [N]),
    { name: 'F32 vs edited F16 cast (violations counted)', dtypeA: 'F32', dtypeB: 'F16', a: f32, b: edits, shape: [24, 512] },
    { name: 'F16 vs F32 (lower side first)', dtypeA: 'F16', dtypeB: 'F32', a: edits, b: f32, shape: [N] },
    { name: 'F64 vs F32, adversarial both sides', dtypeA: 'F64', dtypeB: 'F32', a: adversarial('F64', N, 34), b: adversarial('F32', N, 35), shape: [N] },
    { name: 'BF16 vs F16, adversarial', dtypeA: 'BF16', dtypeB: 'F16', a: adversarial('BF16', N, 36), b: adversarial('F16', N, 37), shape: [48, 256] },
    { name: 'F8_E8M0 vs F32', dtypeA: 'F8_E8M0', dtypeB: 'F32', a: adversarial('F8_E8M0', N, 38), b: adversarial('F32', N, 39), shape: [N] },
    { name: 'I32 vs I64 (equal values are unchanged)', dtypeA: 'I32', dtypeB: 'I64', a: ints, b: encode('I64', Array.from(decodedValues('I32', ints), (x, i) => (i % 97 === 0 ? x + 1 : x))), shape: [N] },
    { name: 'I8 vs F32 (not both float: every change violates)', dtypeA: 'I8', dtypeB: 'F32', a: weights('I8', N, 40), b: encode('F32', Array.from(decodedValues('I8', weights('I8', N, 40)), (x, i) => (i % 3 ? x : x + 0.5))), shape: [N] },
    { name: 'U64 vs F64', dtypeA: 'U64', dtypeB: 'F64', a: adversarial('U64', N, 41), b: adversarial('F64', N, 42), shape: [N] },
    violationBoundaryCase('F16', 'F32', 43),
    violationBoundaryCase('BF16', 'F32', 44),
    violationBoundaryCase('F8_E8M0', 'F32', 45),
    violationBoundaryCase('F8_E4M3', 'F16', 46),
    violationBoundaryCase('F32', 'F64', 47),
  ];
}

export function rowAndChunkCases(): DiffCase[] {
  const n = 40_000;
  const a = weights('BF16', n, 51);
  const b = edited('BF16', a, 0.2, 52);
  const sparse = edited('BF16', a, 0.001, 53);
  return [
    { name: 'rows of 100 spanning 7777-element chunks', dtypeA: 'BF16', dtypeB: 'BF16', a, b, shape: [400, 100], chunk: 7777 },
    { name: 'rows of 1600 spanning 10000-element chunks', dtypeA: 'BF16', dtypeB: 'BF16', a, b, shape: [25, 1600], chunk: 10_000 },
    { name: 'rows of 5000 (several blocks per row) in 3000-element chunks', dtypeA: 'BF16', dtypeB: 'BF16', a, b, shape: [8, 5000], chunk: 3000 },
    { name: 'bucketed rows (3 rows of 400 per bucket), 9000-element chunks', dtypeA: 'BF16', dtypeB: 'BF16', a, b, shape: [100, 400], rowBucket: 3, chunk: 9000 },
    { name: 'bucketed long rows (5 × 1000 per bucket)', dtypeA: 'BF16', dtypeB: 'BF16', a, b, shape: [40, 1000], rowBucket: 5, chunk: 12_345 },
    { name: '1-D tensor: every element is a row', dtypeA: 'BF16', dtypeB: 'BF16', a, b: sparse, shape: [n], chunk: 16_384 },
    { name: '3-D tensor [10, 40, 100]', dtypeA: 'BF16', dtypeB: 'BF16', a, b, shape: [10, 40, 100] },
    { name: 'scalar', dtypeA: 'F32', dtypeB: 'F32', a: encode('F32', [1.5]), b: encode('F32', [-2]), shape: [] },
  ];
}

export function topKCases(): DiffCase[] {
  const n = 30_000;
  const zeros = encode('F32', new Float64Array(n));
  // Thousands of equal |Δ| = 0.5 in every block: the top-k is decided by index alone.
  const halves = encode('F32', Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0.5 : 0)));
  const next = rng(61);
  const w = weights('F16', n, 62);
  const nans = w.slice();
  for (let i = 0; i < n; i++) if (next() % 5 === 0) nans[2 * i + 1] = 0x7e; // NaN
  const grow = encode('F32', Array.from({ length: n }, (_, i) => i * 1e-3));
  // Block 0: a few Infinity changes in a clean block; block 1: more than k of them beside a
  // subnormal, so the host recomputes that block — its Infinity entries must not crowd out block 0's.
  const infA = Array.from({ length: 1024 }, (_, i) => (i === 301 ? 1e-40 : 1));
  const infB = Array.from({ length: 1024 }, (_, i) => ((i < 256 && i % 64 === 5) || (i >= 256 && i < 512 && i % 2 === 0) ? Infinity : infA[i] as number));
  return [
    { name: 'Infinity changes before a host-recomputed block holding more than k of them', dtypeA: 'F32', dtypeB: 'F32', a: encode('F32', infA), b: encode('F32', infB), shape: [1024], topK: 8 },
    { name: 'ties everywhere (|Δ| = 0.5), k = 32', dtypeA: 'F32', dtypeB: 'F32', a: zeros, b: halves, shape: [n] },
    { name: 'ties everywhere, k = 5, chunked', dtypeA: 'F32', dtypeB: 'F32', a: zeros, b: halves, shape: [30, 1000], topK: 5, chunk: 4096 },
    { name: 'more NaN changes than k (Infinity ties)', dtypeA: 'F16', dtypeB: 'F16', a: w, b: nans, shape: [n] },
    { name: 'growing |Δ| across chunks (threshold pruning)', dtypeA: 'F32', dtypeB: 'F32', a: zeros, b: grow, shape: [n], chunk: 5000, topK: 40 },
    { name: 'k = 1000 from a sparse edit', dtypeA: 'F16', dtypeB: 'F16', a: w, b: edited('F16', w, 0.05, 63), shape: [n], topK: 1000 },
  ];
}

// ── block-quantized types ────────────────────────────────────────────────────────────────────

const NQ = 12_288; // 48 super-blocks of 256 (384 blocks of 32)

function quantBlocksOf(dtype: DType, count: number, seed: number, mode: 'weights' | 'random' | 'adversarial'): Uint8Array {
  return quantBlocks(dtype, count / DTYPES[dtype].blockElements, seed, mode);
}

function stepsOf(dtype: DType, bytes: Uint8Array): Float32Array {
  const steps = decodeChunk(bytes, dtype, elementsOf(dtype, bytes.byteLength)).steps;
  if (steps === undefined) throw new Error(`${dtype} has no quantization steps`);
  return steps;
}

/** Every element of every block: weight-like, random and adversarial blocks (decode test). */
export function quantDecodeBytes(dtype: DType): Uint8Array {
  return concat([quantBlocksOf(dtype, 2048, 1, 'weights'), quantBlocksOf(dtype, 4096, 2, 'random'), quantBlocksOf(dtype, 8192, 3, 'adversarial')]);
}

export function quantStatsCases(dtype: DType): StatsCase[] {
  return [
    { name: 'weight-like blocks', dtype, bytes: quantBlocksOf(dtype, NQ, 11, 'weights') },
    { name: 'adversarial blocks, misaligned view, 4096-element chunks', dtype, bytes: misaligned(quantBlocksOf(dtype, NQ, 12, 'adversarial')), chunk: 4096 },
    { name: 'random blocks', dtype, bytes: quantBlocksOf(dtype, NQ, 13, 'random') },
  ];
}

/**
 * A float known-good next to a quantized suspect: each value the suspect's, moved by a random
 * fraction of its quantization step — mostly within it, about 1 in 16 up to 3 steps away (violations).
 */
function nearQuantized(dtype: DType, q: Uint8Array, seed: number): Float64Array {
  const next = rng(seed);
  const steps = stepsOf(dtype, q);
  return Float64Array.from(decodedValues(dtype, q), (v, i) => {
    const spread = next() % 16 === 0 ? 3 : 0.9;
    return v + ((next() / 4294967296) * 2 - 1) * spread * (steps[i] as number);
  });
}

/** Each quantized dtype against a BF16 known-good near its values (the common GGUF-vs-safetensors case). */
export function quantVsFloatCases(): DiffCase[] {
  return QUANT_DTYPES.map((dtype, k) => {
    const q = quantBlocksOf(dtype, NQ, 100 + k, 'weights');
    return { name: 'BF16 known-good near the quantized values, rows of 512', dtypeA: 'BF16', dtypeB: dtype, a: castFrom(nearQuantized(dtype, q, 200 + k), 'BF16'), b: q, shape: [NQ / 512, 512] };
  });
}

/**
 * F32 values on the quantized precision test's boundary: exactly one step away (no violation),
 * one f32 step further (a violation), one f32 step nearer, the value itself, and a tiny value of
 * the other sign (|Δ| rounds to |q| in binary64).
 */
export function quantBoundaryCase(dtype: DType, seed: number): DiffCase {
  const next = rng(seed);
  const q = quantBlocksOf(dtype, 4096, seed, 'weights');
  const steps = stepsOf(dtype, q);
  const f = Math.fround;
  const vals = Array.from(decodedValues(dtype, q), (v, i) => {
    const step = steps[i] as number;
    const sign = next() & 1 ? 1 : -1;
    const far = v + sign * step;
    const ulp = 2 ** (Math.floor(Math.log2(Math.abs(far) || 2 ** -126)) - 23);
    switch (next() % 5) {
      case 0:
        return far;
      case 1:
        return far + sign * ulp;
      case 2:
        return far - sign * ulp;
      case 3:
        return -Math.sign(v || 1) * 2 ** -90;
      default:
        return f(v);
    }
  });
  return { name: `F32 on the quantization-step boundary of ${dtype}`, dtypeA: 'F32', dtypeB: dtype, a: encode('F32', vals), b: q, shape: [4096] };
}

export function quantMixedCases(): DiffCase[] {
  const f32 = weights('F32', NQ, 91);
  const x = Float32Array.from(decodedValues('F32', f32));
  const q8 = quantizeReference('Q8_0', x);
  const q4 = quantizeReference('Q4_0', x);
  const q5 = quantizeReference('Q5_1', x);
  const q4k = quantBlocksOf('Q4_K', NQ, 92, 'weights');
  const q5k = quantBlocksOf('Q5_K', NQ, 93, 'weights');
  const q6k = quantBlocksOf('Q6_K', NQ, 94, 'weights');
  const next = rng(95);
  const mx = quantBlocksOf('MXFP4', NQ, 96, 'adversarial');
  return [
    { name: 'F32 vs its Q8_0 quantization (ggml reference), rows of 32 (diff-rows), 4096-element chunks', dtypeA: 'F32', dtypeB: 'Q8_0', a: f32, b: q8, shape: [NQ / 32, 32], chunk: 4096 },
    { name: 'F32 vs its Q4_0 quantization, rows of 96', dtypeA: 'F32', dtypeB: 'Q4_0', a: f32, b: q4, shape: [NQ / 96, 96] },
    { name: 'Q5_1 quantization vs F16 cast of the same weights (quantized side first)', dtypeA: 'Q5_1', dtypeB: 'F16', a: q5, b: castFrom(x, 'F16'), shape: [NQ / 1024, 1024] },
    { name: 'Q8_0 vs Q8_0 with flipped bits (values compare, never raw bits)', dtypeA: 'Q8_0', dtypeB: 'Q8_0', a: q8, b: edited('U8', q8, 0.05, 97), shape: [NQ / 256, 256] },
    { name: 'Q4_K vs Q6_K (two quantized sides: the larger step rules)', dtypeA: 'Q4_K', dtypeB: 'Q6_K', a: q4k, b: q6k, shape: [NQ / 2048, 2048] },
    { name: 'Q4_K vs Q4_K adversarial blocks, 1-D, 4096-element chunks', dtypeA: 'Q4_K', dtypeB: 'Q4_K', a: quantBlocksOf('Q4_K', NQ, 98, 'adversarial'), b: quantBlocksOf('Q4_K', NQ, 99, 'adversarial'), shape: [NQ], chunk: 4096 },
    { name: 'F16 adversarial vs Q3_K adversarial, rows of 256', dtypeA: 'F16', dtypeB: 'Q3_K', a: adversarial('F16', NQ, 100), b: quantBlocksOf('Q3_K', NQ, 101, 'adversarial'), shape: [NQ / 256, 256] },
    { name: 'Q2_K adversarial vs F32 adversarial', dtypeA: 'Q2_K', dtypeB: 'F32', a: quantBlocksOf('Q2_K', NQ, 102, 'adversarial'), b: adversarial('F32', NQ, 103), shape: [NQ] },
    { name: 'Q5_K vs F64 near its values (the wide path)', dtypeA: 'Q5_K', dtypeB: 'F64', a: q5k, b: encode('F64', nearQuantized('Q5_K', q5k, 104)), shape: [NQ / 512, 512] },
    { name: 'MXFP4 adversarial scales (subnormal and overflowing products) vs F32', dtypeA: 'F32', dtypeB: 'MXFP4', a: encode('F32', Array.from(decodedValues('MXFP4', mx), (v) => (next() % 4 === 0 ? v * 1.5 : v))), b: mx, shape: [NQ] },
    quantBoundaryCase('Q8_0', 105),
    quantBoundaryCase('Q4_K', 106),
    quantBoundaryCase('Q6_K', 107),
  ];
}

// ── rank sketch ──────────────────────────────────────────────────────────────────────────────

export interface SketchCase {
  name: string;
  rows: Float64Array[];
  k: number;
}

export function sketchCases(): SketchCase[] {
  const next = rng(111);
  const lowRank = (r: number, cols: number, rank: number, scale: number): Float64Array[] => {
    const u = Array.from({ length: r * rank }, () => gaussian(next, 1));
    const v = Array.from({ length: cols * rank }, () => gaussian(next, 1));
    return Array.from({ length: r }, (_, i) =>
      Float64Array.from({ length: cols }, (_, j) => {
        let x = gaussian(next, scale * 1e-3);
        for (let t = 0; t < rank; t++) x += scale * (u[i * rank + t] as number) * (v[j * rank + t] as number);
        return x;
      }),
    );
  };
  const awkward = lowRank(24, 300, 2, 1e-2);
  (awkward[0] as Float64Array).fill(0);
  (awkward[1] as Float64Array)[7] = NaN; // skipped by the twin
  (awkward[2] as Float64Array)[9] = Infinity; // row computed by the twin
  (awkward[3] as Float64Array)[11] = 1e-35; // tiny but within range
  (awkward[4] as Float64Array)[13] = 1e-40; // below 2^-100: twin
  (awkward[5] as Float64Array)[15] = 1e35; // above 2^100: twin
  (awkward[6] as Float64Array).fill(3e38); // f32 sum overflows: twin
  return [
    { name: '96 rows × 1024 columns, rank 3 plus noise, K = 12', rows: lowRank(96, 1024, 3, 2e-3), k: 12 },
    { name: 'zero, NaN, Inf, tiny and huge entries (host rows), 300 columns, K = 12', rows: awkward, k: 12 },
    { name: '3 rows × 5 columns, K = 3', rows: lowRank(3, 5, 1, 1), k: 3 },
  ];
}

/** Y entries outside SKETCH_TOLERANCE (and shape errors). */
export function sketchMismatches(gpu: Float64Array, cpu: Float64Array, c: SketchCase, omega: Float64Array): string[] {
  const out: string[] = [];
  if (gpu.length !== cpu.length) return [`length: gpu ${gpu.length} cpu ${cpu.length}`];
  const cols = omega.length / c.k;
  c.rows.forEach((row, i) => {
    for (let col = 0; col < c.k; col++) {
      let absTerms = 0;
      for (let j = 0; j < cols; j++) {
        const t = Math.abs((row[j] as number) * (omega[j * c.k + col] as number));
        if (t === t) absTerms += t;
      }
      const g = gpu[i * c.k + col] as number;
      const r = cpu[i * c.k + col] as number;
      const ok = Number.isFinite(r) ? Math.abs(g - r) <= SKETCH_TOLERANCE.relative * absTerms + cols * SKETCH_TOLERANCE.absolutePerTerm : Object.is(g, r);
      if (!ok && out.length < 10) out.push(`y[${i}][${col}]: gpu ${g} cpu ${r} (Σ|t| ${absTerms})`);
    }
  });
  return out;
}

// ── running both engines ─────────────────────────────────────────────────────────────────────

export async function runStats(engine: ComputeEngine, c: StatsCase): Promise<StatsAccumulator> {
  const n = elementsOf(c.dtype, c.bytes.byteLength);
  const step = c.chunk ?? n;
  const acc = newStats();
  for (let e0 = 0; e0 < n; e0 += step) {
    const m = Math.min(step, n - e0);
    await engine.stats({ bytes: c.bytes.subarray(bytesOf(c.dtype, e0), bytesOf(c.dtype, e0 + m)), dtype: c.dtype, count: m }, acc);
  }
  return acc;
}

function newCaseDiff(c: DiffCase): DiffAccumulator {
  const d = newDiff(c.dtypeA, c.dtypeB, c.shape, c.topK);
  if (c.rowBucket === undefined) return d;
  const tracked = Math.ceil(d.rows / c.rowBucket);
  return { ...d, rowBucket: c.rowBucket, rowSumSq: new Float64Array(tracked), rowChanged: new Uint32Array(tracked) };
}

export interface DiffRun {
  diff: DiffAccumulator;
  statsA: StatsAccumulator;
  statsB: StatsAccumulator;
}

export async function runDiff(engine: ComputeEngine, c: DiffCase): Promise<DiffRun> {
  const n = elementsOf(c.dtypeA, c.a.byteLength);
  if (elementsOf(c.dtypeB, c.b.byteLength) !== n) throw new Error(`case ${c.name}: sides differ in length`);
  const step = c.chunk ?? n;
  const run: DiffRun = { diff: newCaseDiff(c), statsA: newStats(), statsB: newStats() };
  const slice = (dtype: DType, bytes: Uint8Array, e0: number, m: number): Uint8Array => bytes.subarray(bytesOf(dtype, e0), bytesOf(dtype, e0 + m));
  for (let e0 = 0; e0 < n; e0 += step) {
    const m = Math.min(step, n - e0);
    await engine.diff(
      { bytes: slice(c.dtypeA, c.a, e0, m), dtype: c.dtypeA, count: m },
      { bytes: slice(c.dtypeB, c.b, e0, m), dtype: c.dtypeB, count: m },
      e0,
      run.diff,
      run.statsA,
      run.statsB,
    );
  }
  return run;
}

// ── comparisons ──────────────────────────────────────────────────────────────────────────────

function within(gpu: number, cpu: number, absTerms: number, n: number): boolean {
  // A sum that overflows binary64 (terms near 1e308) depends on the order of additions in either
  // engine: both must then be non-finite.
  if (!Number.isFinite(cpu)) return !Number.isFinite(gpu);
  return Math.abs(gpu - cpu) <= TOLERANCE.relative * absTerms + n * TOLERANCE.absolutePerElement;
}

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Σ|x|^k over finite values, k = 1…4 (the scale of each sum's rounding error). */
function absPowerSums(values: ArrayLike<number>): [number, number, number, number] {
  const s: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < values.length; i++) {
    const x = Math.abs(values[i] as number);
    if (!Number.isFinite(x)) continue;
    s[0] += x;
    s[1] += x * x;
    s[2] += x * x * x;
    s[3] += x * x * x * x;
  }
  return s;
}

export function statsMismatches(gpu: StatsAccumulator, cpu: StatsAccumulator, values: ArrayLike<number>): string[] {
  const out: string[] = [];
  for (const k of ['count', 'finite', 'nan', 'posInf', 'negInf', 'zeros'] as const) if (gpu[k] !== cpu[k]) out.push(`${k}: gpu ${gpu[k]} cpu ${cpu[k]}`);
  if (!Object.is(gpu.min, cpu.min)) out.push(`min: gpu ${gpu.min} cpu ${cpu.min}`);
  if (!Object.is(gpu.max, cpu.max)) out.push(`max: gpu ${gpu.max} cpu ${cpu.max}`);
  const h = sameArray(gpu.hist, cpu.hist);
  if (h >= 0) out.push(`hist[${h}]: gpu ${gpu.hist[h]} cpu ${cpu.hist[h]}`);
  const abs = absPowerSums(values);
  (['sum', 'sumSq', 'sumCube', 'sumQuad'] as const).forEach((k, i) => {
    if (!within(gpu[k], cpu[k], abs[i] as number, cpu.count)) out.push(`${k}: gpu ${gpu[k]} cpu ${cpu[k]} (Σ|t| ${abs[i]})`);
  });
  return out;
}

export function diffMismatches(gpu: DiffRun, cpu: DiffRun, c: DiffCase): string[] {
  const g = gpu.diff;
  const r = cpu.diff;
  const out: string[] = [];
  for (const k of ['changed', 'nonFiniteChanged', 'precisionViolations'] as const) if (g[k] !== r[k]) out.push(`${k}: gpu ${g[k]} cpu ${r[k]}`);
  if (!Object.is(g.maxAbs, r.maxAbs)) out.push(`maxAbs: gpu ${g.maxAbs} cpu ${r.maxAbs}`);
  const h = sameArray(g.deltaHist, r.deltaHist);
  if (h >= 0) out.push(`deltaHist[${h}]: gpu ${g.deltaHist[h]} cpu ${r.deltaHist[h]}`);
  const rc = sameArray(g.rowChanged, r.rowChanged);
  if (rc >= 0) out.push(`rowChanged[${rc}]: gpu ${g.rowChanged[rc]} cpu ${r.rowChanged[rc]}`);
  for (let i = 0; i < r.rowSumSq.length; i++) {
    const cg = g.rowSumSq[i] as number;
    const cr = r.rowSumSq[i] as number;
    if (!within(cg, cr, Math.abs(cr), g.rowLength * g.rowBucket)) {
      out.push(`rowSumSq[${i}]: gpu ${cg} cpu ${cr}`);
      break;
    }
  }
  if (g.top.length !== r.top.length) out.push(`top length: gpu ${g.top.length} cpu ${r.top.length}`);
  for (let i = 0; i < Math.min(g.top.length, r.top.length); i++) {
    const x = g.top[i];
    const y = r.top[i];
    if (x === undefined || y === undefined) continue;
    if (x.index !== y.index || !Object.is(x.magnitude, y.magnitude) || !Object.is(x.a, y.a) || !Object.is(x.b, y.b) || x.aBits !== y.aBits || x.bBits !== y.bBits) {
      out.push(`top[${i}]: gpu ${JSON.stringify({ ...x, aBits: String(x.aBits), bBits: String(x.bBits) })} cpu ${JSON.stringify({ ...y, aBits: String(y.aBits), bBits: String(y.bBits) })}`);
      break;
    }
  }
  // Sums: Σ(a−b)², Σa², Σb² have positive terms; Σab is scaled by Σ|ab|.
  const va = decodedValues(c.dtypeA, c.a);
  const vb = decodedValues(c.dtypeB, c.b);
  let absDot = 0;
  for (let i = 0; i < va.length; i++) {
    const x = va[i] as number;
    const y = vb[i] as number;
    if (Number.isFinite(x) && Number.isFinite(y)) absDot += Math.abs(x * y);
  }
  const n = va.length;
  if (!within(g.sumSqDelta, r.sumSqDelta, Math.abs(r.sumSqDelta), n)) out.push(`sumSqDelta: gpu ${g.sumSqDelta} cpu ${r.sumSqDelta}`);
  if (!within(g.dot, r.dot, absDot, n)) out.push(`dot: gpu ${g.dot} cpu ${r.dot} (Σ|ab| ${absDot})`);
  if (!within(g.sumSqA, r.sumSqA, Math.abs(r.sumSqA), n)) out.push(`sumSqA: gpu ${g.sumSqA} cpu ${r.sumSqA}`);
  if (!within(g.sumSqB, r.sumSqB, Math.abs(r.sumSqB), n)) out.push(`sumSqB: gpu ${g.sumSqB} cpu ${r.sumSqB}`);
  out.push(...statsMismatches(gpu.statsA, cpu.statsA, va).map((m) => `statsA ${m}`));
  out.push(...statsMismatches(gpu.statsB, cpu.statsB, vb).map((m) => `statsB ${m}`));
  return out;
}

/** Decode agreement: f32 bits = Math.fround(twin value), f64 bits = twin value (NaN: NaN-ness, or bits where the twin keeps them). */
export async function decodeMismatches(engine: WebGpuEngine, dtype: DType, bytes: Uint8Array): Promise<string[]> {
  const info = DTYPES[dtype];
  const n = elementsOf(dtype, bytes.byteLength);
  const gpu = await engine.decodeBits(bytes, dtype, n);
  const cpu = decodeChunk(bytes, dtype, n);
  const out: string[] = [];
  const dv = new DataView(new ArrayBuffer(8));
  const f32Bits = cpu.values instanceof Float32Array ? new Uint32Array(cpu.values.buffer, cpu.values.byteOffset, n) : undefined;
  const f64Words = cpu.values instanceof Float64Array ? new Uint32Array(cpu.values.buffer, cpu.values.byteOffset, 2 * n) : undefined;
  // Dtypes whose NaN bit patterns reach the twin's Float32Array untouched (a view, a bit shift).
  // Elsewhere a NaN passes through a JS number, which may quiet or canonicalise it (V8 quiets
  // F16's signalling NaNs when copying table entries): NaN-ness is what statistics depend on.
  const keepsNaNBits = dtype === 'F32' || dtype === 'BF16';
  const isNaN32 = (b: number): boolean => (b & 0x7fffffff) > 0x7f800000;
  const steps = cpu.steps === undefined ? undefined : new Uint32Array(cpu.steps.buffer, cpu.steps.byteOffset, n);
  for (let i = 0; i < n && out.length < 10; i++) {
    const v = cpu.values[i] as number;
    const g32 = gpu.f32[i] as number;
    const gLo = gpu.f64[2 * i] as number;
    const gHi = gpu.f64[2 * i + 1] as number;
    dv.setUint32(0, gLo, true);
    dv.setUint32(4, gHi, true);
    const g64 = dv.getFloat64(0, true);
    let want32: number;
    if (f32Bits !== undefined) want32 = f32Bits[i] as number;
    else {
      dv.setFloat32(0, Math.fround(v), true);
      want32 = dv.getUint32(0, true);
    }
    const ok32 = Number.isNaN(v) && !(keepsNaNBits && f32Bits !== undefined) ? isNaN32(g32) : g32 === want32;
    let ok64: boolean;
    if (f64Words !== undefined) ok64 = gLo === f64Words[2 * i] && gHi === f64Words[2 * i + 1];
    else ok64 = Number.isNaN(v) ? Number.isNaN(g64) : Object.is(g64, v);
    // The quantization step (the precision test's tolerance): bit-exact, NaN-ness for NaN.
    const wantStep = steps === undefined ? 0 : (steps[i] as number);
    const gStep = gpu.steps[i] as number;
    const okStep = isNaN32(wantStep) ? isNaN32(gStep) : gStep === wantStep;
    if (!ok32 || !ok64 || !okStep) {
      // The raw element, or for a quantized type the raw block that holds it.
      const blk = Math.floor(i / info.blockElements);
      const raw = Array.from(bytes.subarray(blk * info.blockBytes, (blk + 1) * info.blockBytes), (x) => x.toString(16).padStart(2, '0')).join('');
      out.push(`#${i} raw ${raw}: cpu ${v} (f32 ${want32.toString(16)}, step ${wantStep.toString(16)}), gpu f32 ${g32.toString(16)} f64 ${g64} step ${gStep.toString(16)}`);
    }
  }
  return out;
}

// ── the suite ────────────────────────────────────────────────────────────────────────────────

/**
 * Defines the agreement tests. `getEngine` returns the WebGPU engine under test, or undefined when
 * no adapter is available (the caller reports the skip).
 */
export function defineAgreementSuite(getEngine: () => WebGpuEngine | undefined): void {
  const cpu = new CpuEngine();
  const need = (): WebGpuEngine => {
    const e = getEngine();
    if (e === undefined) throw new Error('no WebGPU engine');
    return e;
  };
  const expectNone = (mismatches: string[]): void => {
    expect(mismatches.slice(0, 12)).toEqual([]);
  };

  describe('decode (decode.wgsl vs decodeChunk): bit-exact', () => {
    for (const dtype of DECODED_DTYPES) {
      it(`${dtype}`, { timeout: CASE_TIMEOUT }, async () => {
        const size = elemSize(dtype);
        const bytes = concat([size <= 2 ? exhaustive(dtype) : new Uint8Array(0), adversarial(dtype, 4096, 1), randomBytes(4096 * size, 2)]);
        expectNone(await decodeMismatches(need(), dtype, misaligned(bytes, 1)));
      });
    }
  });

  describe('dequantization (decode.wgsl + quant-common.wgsl vs dequantizeBlocks, quantizationSteps): bit-exact', () => {
    for (const dtype of QUANT_DTYPES) {
      it(`${dtype}`, { timeout: CASE_TIMEOUT }, async () => {
        expectNone(await decodeMismatches(need(), dtype, misaligned(quantDecodeBytes(dtype), 1)));
      });
    }
  });

  describe('stats of quantized tensors (stats.wgsl vs accumulateStatsCpu)', () => {
    for (const dtype of QUANT_DTYPES) {
      it(`${dtype}`, { timeout: CASE_TIMEOUT }, async () => {
        for (const c of quantStatsCases(dtype)) {
          const m = statsMismatches(await runStats(need(), c), await runStats(cpu, c), decodedValues(dtype, c.bytes));
          expect(m.map((x) => `${c.name}: ${x}`).slice(0, 12)).toEqual([]);
        }
      });
    }
  });

  describe('stats (stats.wgsl vs accumulateStatsCpu)', () => {
    for (const dtype of DECODED_DTYPES) {
      it(`${dtype}`, { timeout: CASE_TIMEOUT }, async () => {
        for (const c of statsCases(dtype)) {
          const g = await runStats(need(), c);
          const r = await runStats(cpu, c);
          const m = statsMismatches(g, r, decodedValues(dtype, c.bytes));
          expect(m.map((x) => `${c.name}: ${x}`).slice(0, 12)).toEqual([]);
        }
      });
    }
  });

  const diffSuite = (title: string, cases: () => DiffCase[], engine: () => WebGpuEngine = need): void => {
    describe(title, () => {
      for (const c of cases()) {
        it(`${c.dtypeA} vs ${c.dtypeB}: ${c.name}`, { timeout: CASE_TIMEOUT }, async () => {
          const g = await runDiff(engine(), c);
          const r = await runDiff(cpu, c);
          expectNone(diffMismatches(g, r, c));
          if (c.violations !== undefined) expect(r.diff.precisionViolations).toBe(c.violations);
        });
      }
    });
  };

  diffSuite('diff, same dtype (diff-blocks.wgsl + diff-rows.wgsl vs accumulateDiffCpu)', () => DECODED_DTYPES.flatMap((d) => sameDtypeDiffCases(d)));
  diffSuite('diff, cross dtype (exact widening, precision violations)', crossDtypeDiffCases);
  diffSuite('diff, rows across chunks and buckets', rowAndChunkCases);
  diffSuite('diff, exact top-k', topKCases);
  diffSuite('diff, quantized vs float (quantization steps as the tolerance)', quantVsFloatCases);
  diffSuite('diff, quantized: references, quant vs quant, wide path, adversarial, step boundary', quantMixedCases);
  diffSuite('tiling: quantized chunks larger than a tile, 2-D dispatch', () => [...quantMixedCases().slice(0, 2), ...quantVsFloatCases().filter((c) => c.dtypeB === 'Q4_K' || c.dtypeB === 'Q6_K')].map(wholeTensor), () =>
    need().withLimits({ maxTileBytes: 16 * 1024, maxWorkgroupsPerDimension: 5 }),
  );

  describe('rank sketch (sketch.wgsl vs sketchProduct)', () => {
    for (const c of sketchCases()) {
      it(c.name, { timeout: CASE_TIMEOUT }, async () => {
        const cols = (c.rows[0] as Float64Array).length;
        const omega = sketchOmega(cols, c.k);
        const want = sketchProduct(c.rows, omega, c.k);
        expect(Array.from(await cpu.sketch(c.rows, omega, c.k))).toEqual(Array.from(want));
        expectNone(sketchMismatches(await need().sketch(c.rows, omega, c.k), want, c, omega));
        expectNone(sketchMismatches(await need().withLimits({ maxTileBytes: 4096 }).sketch(c.rows, omega, c.k), want, c, omega));
      });
    }
  });
  diffSuite('tiling: chunks larger than a tile, 2-D dispatch', () => [...rowAndChunkCases().slice(0, 3), ...topKCases().slice(1, 3)].map(wholeTensor), () =>
    need().withLimits({ maxTileBytes: 16 * 1024, maxWorkgroupsPerDimension: 5 }),
  );

  describe('tiling of stats and decode', () => {
    it('stats and decode over many tiles with a 2-D grid', { timeout: CASE_TIMEOUT }, async () => {
      const tiled = need().withLimits({ maxTileBytes: 16 * 1024, maxWorkgroupsPerDimension: 5 });
      for (const dtype of ['BF16', 'F64', 'U8'] as const) {
        const bytes = misaligned(adversarial(dtype, 50_000, 71));
        const c = { name: 'tiled', dtype, bytes, chunk: 33_333 };
        expectNone(statsMismatches(await runStats(tiled, c), await runStats(cpu, c), decodedValues(dtype, bytes)));
        expectNone(await decodeMismatches(tiled, dtype, bytes));
      }
    });
  });

  describe('failure path', () => {
    it('rejects an undecodable dtype like the twin', async () => {
      await expect(need().stats({ bytes: new Uint8Array(66), dtype: 'IQ2_XXS', count: 256 }, newStats())).rejects.toMatchObject({ code: 'unsupported_dtype' });
      expect(need().decodes('Q8_K')).toBe(false);
      for (const d of QUANT_DTYPES) expect(need().decodes(d)).toBe(true);
    });
    it('rejects a quantized chunk that cuts a block', async () => {
      await expect(need().stats({ bytes: new Uint8Array(34), dtype: 'Q8_0', count: 16 }, newStats())).rejects.toMatchObject({ code: 'internal_error' });
    });
    it('checks the byte length of a chunk', async () => {
      await expect(need().stats({ bytes: new Uint8Array(6), dtype: 'F32', count: 2 }, newStats())).rejects.toBeInstanceOf(SleuthError);
    });
  });
}

/**
 * An error outside any error scope reaches `onuncapturederror`: the engine records it and later
 * calls reject with its code (internal_error for a validation error — our bug, not the file's).
 */
export async function expectUncapturedErrorFails(engine: WebGpuEngine): Promise<void> {
  engine.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE }); // invalid usage
  // Chromium delivers the event once the device is flushed.
  await engine.device.queue.onSubmittedWorkDone();
  for (let i = 0; i < 200 && engine.failure === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  expect(engine.failure?.code).toBe('internal_error');
  await expect(engine.stats({ bytes: new Uint8Array(8), dtype: 'F32', count: 2 }, newStats())).rejects.toMatchObject({ code: 'internal_error' });
  expect(sleuthErrorOfGpuError(new GPUOutOfMemoryError('test'), 'a test').code).toBe('gpu_out_of_memory');
  engine.dispose();
}

/** A separate engine whose device the test destroys: later calls must fail with gpu_device_lost. */
export async function expectDeviceLoss(engine: WebGpuEngine): Promise<void> {
  engine.device.destroy();
  // The loss is reported asynchronously; a call made after it settles must reject with the code.
  await engine.device.lost;
  await new Promise((r) => setTimeout(r, 0));
  await expect(engine.stats({ bytes: new Uint8Array(8), dtype: 'F32', count: 2 }, newStats())).rejects.toMatchObject({ code: 'gpu_device_lost' });
}

/** The case as one chunk (so that the tiled engine cuts it into tiles itself). */
function wholeTensor(c: DiffCase): DiffCase {
  const { chunk: _whole, ...rest } = c;
  return { ...rest, name: `${c.name} — whole tensor, tiled` };
}
