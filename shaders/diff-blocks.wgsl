// diff-blocks.wgsl — per-block partials of the delta between two tiles holding the same element
// range of two tensors (same or different dtypes).
//
// CPU twin: accumulateDiffCpu (src/lib/engine/cpu/diff-kernel.ts); pair rules in
// diff-common.wgsl (prepended with decode-common.wgsl by the host).
//
// Bindings (group 0):
//   0  uniform             P: DiffParams
//   1  storage, read       srcA: array<u32>          side A raw little-endian bytes, padded to 4
//   2  storage, read       srcB: array<u32>          side B raw bytes
//   3  storage, read_write partials: array<u32>      BLOCK_WORDS (16) words per block, layout below
//   4  storage, read_write hist: array<atomic<u32>, 128>   Δ magnitude histogram, accumulated
// Pipeline constants: CODE_A, CODE_B, FLAGS (see diff-common.wgsl).
// Workgroup size 64; each invocation owns one block of BLOCK (256) consecutive elements and writes
// its own record — no workgroup memory, no barriers (a barrier costs ~1 µs per invocation on
// SwiftShader). 2-D dispatch: block = (wid.x + wid.y·groupsX)·64 + local index. Elements go in
// runs of RUN (16): a block-quantized side (quant-common.wgsl) decodes its scales once per run.
//
// Per-block partials (u32 words; f32 values stored as their bits):
//   0 Σ(a−b)² over changed finite pairs  1 Σab  2 Σa²  3 Σb² (over pairs where both are finite)
//   4 changed  5 changed & non-finite  6 precision violations  7 changed with |Δ| = +Infinity
//   8,9 max rank key (lo, hi) of |Δ| over changed finite pairs (monotone in the twin's |Δ|)
//   10 hostFix  11 row segment of the block's first element (tile-relative; P.rowMode = 1 only)
//   12 Σ(a−b)² and 13 changed for that segment, 14 and 15 for the next one
// The host takes the exact top-k and max|Δ| by re-decoding on the CPU only the blocks whose rank
// key can still matter (src/lib/engine/webgpu/host-merge.ts), and recomputes hostFix blocks whole
// with the twin. Rows: when a row segment (rowLength·rowBucket elements) is at least one block long
// (P.rowMode = 1), a block touches at most two segments and their sums come from here; shorter
// segments (P.rowMode = 0) are summed by diff-rows.wgsl.
//
// Exact (bit-identical to the twin): counts, violations, histogram. A block flagged hostFix takes
// its histogram contributions back (a second pass subtracts them; the host adds the twin's bins).
// Sums: f32 over runs of 16 elements, runs added in f32, blocks in f64 on the host; tolerance
// |gpu − twin| ≤ 2^-16 · Σ|termᵢ| + n · 2^-120 (tests/engine-cases/agreement.ts).

struct DiffParams {
  n: u32,
  nBlocks: u32,
  groupsX: u32,
  /// Mantissa bits and smallest normal exponent of the less precise float dtype (ulpAt).
  mBits: u32,
  minExp: i32,
  firstBoundary: u32,
  segLen: u32,
  nSeg: u32,
  /// 1: row segments are at least one block long and summed here; 0: diff-rows.wgsl sums them.
  rowMode: u32,
}

// Pipeline constants: the two dtype codes and the DF_* flags (diff-common.wgsl). Specialising on
// them leaves only the decoders and rules one pair of dtypes needs (SwiftShader compiles the
// generic kernel in minutes, a specialised one in about a second).
override CODE_A: u32;
override CODE_B: u32;
override FLAGS: u32;

@group(0) @binding(0) var<uniform> P: DiffParams;
@group(0) @binding(1) var<storage, read> srcA: array<u32>;
@group(0) @binding(2) var<storage, read> srcB: array<u32>;
@group(0) @binding(3) var<storage, read_write> partials: array<u32>;
@group(0) @binding(4) var<storage, read_write> hist: array<atomic<u32>, 128>;

const WG: u32 = 64u;
const BLOCK: u32 = 256u;
const RUN: u32 = 16u;
const BLOCK_WORDS: u32 = 16u;

/// The raw words quant-common.wgsl reads: side 0 is A, side 1 is B (a literal at every call).
fn qword(side: u32, w: u32) -> u32 {
  if (side == 0u) { return srcA[w]; }
  return srcB[w];
}

/// The scales shared by the run of RUN elements from i, per side (quantized types; unused otherwise).
fn groupA(i: u32) -> QuantGroup {
  if (isQuant(CODE_A)) { return quantGroup(0u, CODE_A, i); }
  return QuantGroup();
}

fn groupB(i: u32) -> QuantGroup {
  if (isQuant(CODE_B)) { return quantGroup(1u, CODE_B, i); }
  return QuantGroup();
}

/// Element i's raw pattern; for a quantized type its decoded (value, step) given its run's group.
fn loadA(g: QuantGroup, i: u32) -> vec2<u32> {
  if (isQuant(CODE_A)) { return quantValue(0u, CODE_A, g, i); }
  let s = elemSize(CODE_A);
  let w = wordIndex(i, s);
  if (s == 8u) { return vec2<u32>(srcA[w], srcA[w + 1u]); }
  return vec2<u32>(extractRaw(srcA[w], i, s), 0u);
}

fn loadB(g: QuantGroup, i: u32) -> vec2<u32> {
  if (isQuant(CODE_B)) { return quantValue(1u, CODE_B, g, i); }
  let s = elemSize(CODE_B);
  let w = wordIndex(i, s);
  if (s == 8u) { return vec2<u32>(srcB[w], srcB[w + 1u]); }
  return vec2<u32>(extractRaw(srcB[w], i, s), 0u);
}

/// Tile-relative row segment of element i: the first ends at P.firstBoundary (the tile may start
/// inside a row), then one every P.segLen elements.
fn segOf(i: u32) -> u32 {
  if (i < P.firstBoundary) { return 0u; }
  return 1u + (i - P.firstBoundary) / P.segLen;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let block = (wid.x + wid.y * P.groupsX) * WG + lid;
  if (block >= P.nBlocks) { return; }
  let c = DiffConfig(CODE_A, CODE_B, FLAGS, P.mBits, P.minExp);
  let base = block * BLOCK;
  let end = min(base + BLOCK, P.n);
  let rowsHere = P.rowMode == 1u;
  let seg0 = select(0u, segOf(base), rowsHere);

  var total = vec4<f32>(0.0);
  var run = vec4<f32>(0.0);
  var rowTotal = vec2<f32>(0.0);
  var rowRun = vec2<f32>(0.0);
  var changed = 0u;
  var nonFinite = 0u;
  var violations = 0u;
  var infMag = 0u;
  var rowChanged0 = 0u;
  var rowChanged1 = 0u;
  var key = vec2<u32>(0u, 0u);
  var fix = false;

  // Runs of RUN elements: one f32 partial each, and one decode of quantized sides' scales.
  for (var r0 = base; r0 < end; r0 += RUN) {
    total += run;
    rowTotal += rowRun;
    run = vec4<f32>(0.0);
    rowRun = vec2<f32>(0.0);
    let ga = groupA(r0);
    let gb = groupB(r0);
    for (var i = r0; i < min(r0 + RUN, end); i++) {
      let p = analysePair(loadA(ga, i), loadB(gb, i), c);
      if (p.finite) {
        run += vec4<f32>(0.0, p.x * p.y, p.x * p.x, p.y * p.y);
        fix = fix || p.hostFix;
      }
      if (!p.changed) { continue; }
      changed++;
      if (p.nonFinite) { nonFinite++; }
      if (p.infMag) { infMag++; }
      if (p.violation) { violations++; }
      var d2 = 0.0;
      if (p.finite) {
        d2 = p.d * p.d;
        run.x += d2;
        atomicAdd(&hist[p.bin], 1u);
        if (keyLt(key, p.key)) { key = p.key; }
      }
      if (rowsHere) {
        if (segOf(i) == seg0) {
          rowRun.x += d2;
          rowChanged0++;
        } else {
          rowRun.y += d2;
          rowChanged1++;
        }
      }
    }
  }
  total += run;
  rowTotal += rowRun;

  let sb = bitcast<vec4<u32>>(total);
  let rb = bitcast<vec2<u32>>(rowTotal);
  // A non-finite f32 sum (overflow, Inf − Inf) also hands the block to the host.
  fix = fix || any((sb & vec4<u32>(F32_INF)) == vec4<u32>(F32_INF)) || any((rb & vec2<u32>(F32_INF)) == vec2<u32>(F32_INF));
  if (fix) {
    // Take this block's bins back: the host adds the twin's instead. Rare (tiny or huge values),
    // so recomputing the pairs beats holding 256 bins per invocation.
    for (var i = base; i < end; i++) {
      let p = analysePair(loadA(groupA(i), i), loadB(groupB(i), i), c);
      if (p.changed && p.finite) { atomicSub(&hist[p.bin], 1u); }
    }
  }
  let o = block * BLOCK_WORDS;
  partials[o + 0u] = sb.x;
  partials[o + 1u] = sb.y;
  partials[o + 2u] = sb.z;
  partials[o + 3u] = sb.w;
  partials[o + 4u] = changed;
  partials[o + 5u] = nonFinite;
  partials[o + 6u] = violations;
  partials[o + 7u] = infMag;
  partials[o + 8u] = key.x;
  partials[o + 9u] = key.y;
  partials[o + 10u] = select(0u, 1u, fix);
  partials[o + 11u] = seg0;
  partials[o + 12u] = rb.x;
  partials[o + 13u] = rowChanged0;
  partials[o + 14u] = rb.y;
  partials[o + 15u] = rowChanged1;
}
