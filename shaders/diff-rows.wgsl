// diff-rows.wgsl — per-row-segment sums of the delta, for rows shorter than one block.
//
// CPU twin: the rowSumSq / rowChanged updates of accumulateDiffCpu
// (src/lib/engine/cpu/diff-kernel.ts): row = floor(flat / rowLength / rowBucket), so a "segment"
// is rowLength·rowBucket consecutive elements (a bucket of rows when the tensor has more rows than
// MAX_TRACKED_ROWS). Pair rules in diff-common.wgsl.
//
// Bindings (group 0):
//   0  uniform             P: DiffParams (the struct of diff-blocks.wgsl)
//   1  storage, read       srcA: array<u32>       side A raw little-endian bytes, padded to 4
//   2  storage, read       srcB: array<u32>       side B raw bytes
//   3  storage, read_write rowsOut: array<u32>    2 words per segment: Σ(a−b)² over changed finite
//                                                 pairs (f32 bits), changed | hostFix << 31
// Pipeline constants: CODE_A, CODE_B, FLAGS.
// Workgroup size 64; one invocation per segment (segments here are shorter than a 256-element
// block; longer ones are summed inside diff-blocks.wgsl).
// 2-D dispatch: invocation = (wid.x + wid.y·groupsX)·64 + local index.
//
// The tile may start and end inside a row: segment 0 covers [0, P.firstBoundary) ∩ [0, n), then
// segment g covers firstBoundary + (g−1)·segLen onwards, the last one cut at n. The host maps
// segment g to tracked row floor(tileStart / segLen) + g and adds partials of a row split across
// tiles or chunks.
// Changed counts are exact. Σ(a−b)² is a sequential f32 sum of < 256 positive terms, within the
// suite's tolerance 2^-16 relative + n · 2^-120; a segment with an unsafe value or a non-finite
// sum sets bit 31 and the host recomputes it with the twin.

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
@group(0) @binding(3) var<storage, read_write> rowsOut: array<u32>;

/// The raw words quant-common.wgsl reads: side 0 is A, side 1 is B (a literal at every call).
fn qword(side: u32, w: u32) -> u32 {
  if (side == 0u) { return srcA[w]; }
  return srcB[w];
}

/// Element i's raw pattern; for a quantized type its decoded (value, step) (quant-common.wgsl;
/// segments start anywhere, so each element decodes its own scales).
fn loadA(i: u32) -> vec2<u32> {
  if (isQuant(CODE_A)) { return quantElement(0u, CODE_A, i); }
  let s = elemSize(CODE_A);
  let w = wordIndex(i, s);
  if (s == 8u) { return vec2<u32>(srcA[w], srcA[w + 1u]); }
  return vec2<u32>(extractRaw(srcA[w], i, s), 0u);
}

fn loadB(i: u32) -> vec2<u32> {
  if (isQuant(CODE_B)) { return quantElement(1u, CODE_B, i); }
  let s = elemSize(CODE_B);
  let w = wordIndex(i, s);
  if (s == 8u) { return vec2<u32>(srcB[w], srcB[w + 1u]); }
  return vec2<u32>(extractRaw(srcB[w], i, s), 0u);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = (wid.x + wid.y * P.groupsX) * 64u + lid;
  if (g >= P.nSeg) { return; }
  let c = DiffConfig(CODE_A, CODE_B, FLAGS, P.mBits, P.minExp);
  var start = 0u;
  var len = min(P.firstBoundary, P.n);
  if (g > 0u) {
    start = P.firstBoundary + (g - 1u) * P.segLen;
    len = min(P.segLen, P.n - start);
  }
  var sum = 0.0;
  var changed = 0u;
  var fix = false;
  for (var i = start; i < start + len; i++) {
    let p = analysePair(loadA(i), loadB(i), c);
    if (!p.changed) { continue; }
    changed++;
    if (p.finite) {
      sum += p.d * p.d;
      fix = fix || p.hostFix;
    }
  }
  let sb = bitcast<u32>(sum);
  fix = fix || (sb & F32_INF) == F32_INF;
  rowsOut[2u * g] = sb;
  rowsOut[2u * g + 1u] = changed | select(0u, 0x80000000u, fix);
}
