// stats.wgsl — value statistics of one tile of raw tensor bytes, as per-block partials.
//
// CPU twin: accumulateStatsCpu (src/lib/engine/cpu/stats-kernel.ts) over decodeChunk
// (src/lib/engine/cpu/decode.ts); histogram rule histBinOfF32Bits (src/lib/engine/stats.ts);
// block-quantized types decoded by quant-common.wgsl (twin: dequantizeBlocks).
//
// Bindings (group 0):
//   0  uniform             P: StatsParams
//   1  storage, read       src: array<u32>           the tile's raw little-endian bytes, padded to 4
//   2  storage, read_write partials: array<u32>      STATS_WORDS (16) words per block, layout below
//   3  storage, read_write hist: array<atomic<u32>, 128>   magnitude histogram, accumulated
// Pipeline constant: CODE (dtype code, decode-common.wgsl).
// Workgroup size 64; each invocation owns one block of BLOCK (256) consecutive elements and writes
// its own partial record. No workgroup memory and no barriers: on SwiftShader (WebGPU on the CPU)
// a workgroupBarrier costs about a microsecond per invocation, 50× the whole per-element work.
// 2-D dispatch: block = (wid.x + wid.y·groupsX)·64 + local index. Elements go in runs of RUN (16):
// a block-quantized dtype (quant-common.wgsl) decodes its scales once per run (`groupAt`).
//
// Per-block partials (u32 words; f32 values stored as their bits):
//   0 finite  1 nan  2 posInf  3 negInf  4 zeros  5 Σx  6 Σx²  7 Σx³  8 Σx⁴ (f32)
//   9,10 min key (lo, hi)  11,12 max key (lo, hi)  (undefined when finite = 0)
//   13 first zero: 2·(index in block) + sign bit, 0xffffffff when none
//   14 hostFix (1: the host recomputes this block's sums with the twin)   15 unused
// Counts, min/max and the histogram are exact (bit-identical to the twin). Min/max are order keys
// of the exact value (f32 bits for narrow dtypes, f64 bits for wide ones), with −0 ranked as +0;
// the sign of a zero extreme is that of the block's first zero, which is what the twin's
// sequential `x < min` keeps (the host merges blocks in order). Sums are f32 over runs of 16
// elements, runs added in f32, blocks added by the host in f64. Tolerance (checked by
// tests/engine-cases/agreement.ts): |gpu − twin| ≤ 2^-16 · Σ|termᵢ| + n · 2^-120 for each of Σx,
// Σx², Σx³, Σx⁴ (the summation itself contributes ≤ ~34·2^-24). A block holding a value unsafe for
// f32 sums (f32Unsafe/wideUnsafe) or ending with a non-finite f32 sum is flagged and its sums are
// recomputed by the host in f64.

struct StatsParams {
  n: u32,
  nBlocks: u32,
  groupsX: u32,
  pad: u32,
}

override CODE: u32;

@group(0) @binding(0) var<uniform> P: StatsParams;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> partials: array<u32>;
@group(0) @binding(3) var<storage, read_write> hist: array<atomic<u32>, 128>;

const WG: u32 = 64u;
const BLOCK: u32 = 256u;
const RUN: u32 = 16u;
const STATS_WORDS: u32 = 16u;

/// The raw words quant-common.wgsl reads (one input here).
fn qword(side: u32, w: u32) -> u32 {
  return src[w];
}

/// The scales shared by the run of RUN elements from i (quantized types; unused otherwise).
fn groupAt(i: u32) -> QuantGroup {
  if (isQuant(CODE)) { return quantGroup(0u, CODE, i); }
  return QuantGroup();
}

/// Element i's raw pattern; for a quantized type its decoded (value, step) (quant-common.wgsl).
fn load(g: QuantGroup, i: u32) -> vec2<u32> {
  if (isQuant(CODE)) { return quantValue(0u, CODE, g, i); }
  let s = elemSize(CODE);
  let w = wordIndex(i, s);
  if (s == 8u) { return vec2<u32>(src[w], src[w + 1u]); }
  return vec2<u32>(extractRaw(src[w], i, s), 0u);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let block = (wid.x + wid.y * P.groupsX) * WG + lid;
  if (block >= P.nBlocks) { return; }
  let wide = isWide(CODE);
  let base = block * BLOCK;
  let end = min(base + BLOCK, P.n);

  var total = vec4<f32>(0.0);
  var run = vec4<f32>(0.0);
  var finite = 0u;
  var nan = 0u;
  var posInf = 0u;
  var negInf = 0u;
  var zeros = 0u;
  var minKey = vec2<u32>(0xffffffffu, 0xffffffffu);
  var maxKey = vec2<u32>(0u, 0u);
  // Narrow dtypes have 32-bit keys: compare one word (cheaper on SwiftShader).
  var minKey32 = 0xffffffffu;
  var maxKey32 = 0u;
  var firstZero = 0xffffffffu;
  var fix = false;

  // Runs of RUN elements: one f32 partial each, and one decode of a quantized type's scales.
  for (var r0 = base; r0 < end; r0 += RUN) {
    total += run;
    run = vec4<f32>(0.0);
    let g = groupAt(r0);
    for (var i = r0; i < min(r0 + RUN, end); i++) {
      let raw = load(g, i);
      var b: u32;
      var isNan: bool;
      var isFinite: bool;
      var isZero: bool;
      var key = vec2<u32>(0u, 0u);
      var key32 = 0u;
      var unsafeSum: bool;
      if (wide) {
        let w = decodeWideF64(CODE, raw);
        b = f64ToF32(w);
        isNan = f64IsNaN(w);
        isFinite = f64IsFinite(w);
        isZero = f64IsZero(w);
        key = keyF64(w);
        unsafeSum = wideUnsafe(w, b);
      } else {
        b = decodeNarrowF32(CODE, raw);
        isNan = f32IsNaN(b);
        isFinite = f32IsFinite(b);
        isZero = f32IsZero(b);
        key32 = keyF32(b);
        unsafeSum = f32Unsafe(b);
      }
      if (isNan) {
        nan++;
        continue;
      }
      // The twin bins Math.fround(x): b is exactly that.
      atomicAdd(&hist[histBinOfF32Bits(b)], 1u);
      if (!isFinite) {
        if ((b >> 31u) == 1u) { negInf++; } else { posInf++; }
        continue;
      }
      finite++;
      if (isZero) {
        zeros++;
        firstZero = min(firstZero, (i - base) * 2u + (b >> 31u));
      }
      fix = fix || unsafeSum;
      let x = bitcast<f32>(b);
      let x2 = x * x;
      run += vec4<f32>(x, x2, x2 * x, x2 * x2);
      if (wide) {
        if (keyLt(key, minKey)) { minKey = key; }
        if (keyLt(maxKey, key)) { maxKey = key; }
      } else {
        minKey32 = min(minKey32, key32);
        maxKey32 = max(maxKey32, key32);
      }
    }
  }
  total += run;
  if (!wide) {
    minKey = vec2<u32>(0u, minKey32);
    maxKey = vec2<u32>(0u, maxKey32);
  }

  let tb = bitcast<vec4<u32>>(total);
  // A non-finite f32 sum (x⁴ overflow, Inf − Inf) leaves the sums to the host.
  fix = fix || any((tb & vec4<u32>(F32_INF)) == vec4<u32>(F32_INF));
  let o = block * STATS_WORDS;
  partials[o + 0u] = finite;
  partials[o + 1u] = nan;
  partials[o + 2u] = posInf;
  partials[o + 3u] = negInf;
  partials[o + 4u] = zeros;
  partials[o + 5u] = tb.x;
  partials[o + 6u] = tb.y;
  partials[o + 7u] = tb.z;
  partials[o + 8u] = tb.w;
  partials[o + 9u] = minKey.x;
  partials[o + 10u] = minKey.y;
  partials[o + 11u] = maxKey.x;
  partials[o + 12u] = maxKey.y;
  partials[o + 13u] = firstZero;
  partials[o + 14u] = select(0u, 1u, fix);
  partials[o + 15u] = 0u;
}
