// sketch.wgsl — the product Y = Δ_S · Ω of the rank sketch: sampled delta rows (restricted to the
// sampled columns) times a Gaussian test matrix, one output entry per invocation.
//
// CPU twin: sketchProduct (src/lib/engine/cpu/sketch-kernel.ts), used by estimateRank
// (src/lib/analysis/rank-sketch.ts), which takes the eigenvalues of YᵀY on the host (K ≤ 12: a
// 12 × 12 matrix is not worth a dispatch).
//
// Bindings (group 0):
//   0  uniform             P: SketchParams
//   1  storage, read       deltas: array<f32>   rows × cols, row-major (the host writes the twin's
//                                               skipped NaN entries as 0)
//   2  storage, read       omega: array<f32>    cols × k, row-major
//   3  storage, read_write y: array<f32>        rows × k, row-major
// No pipeline constants. Workgroup size 64; invocation (wid.x + wid.y·groupsX)·64 + local index
// computes y[i][c] for i = idx / k, c = idx % k. No workgroup memory, no barriers (a barrier costs
// ~1 µs per invocation on SwiftShader, more than a whole row here).
//
// Precision: the twin sums binary64 products; here the inputs are rounded to f32, multiplied in
// f32 and summed in runs of 16 terms, runs added in f32. Tolerance (tests/engine-cases/agreement.ts):
// |gpu − twin| ≤ 2^-16 · Σⱼ|dⱼ·ωⱼ| + cols · 2^-120 — input rounding (2·2^-24), the product (2^-24)
// and at most 16 + cols/16 additions stay below ~90·2^-24 relative for cols ≤ 1024 (SKETCH_COLS);
// the absolute term covers products that WGSL may flush to zero. The host keeps this safe: a row
// with a value that is non-finite, above 2^100 or nonzero below 2^-100 — or an Ω outside that range —
// is computed by the twin, as is any entry whose f32 sum is not finite.

struct SketchParams {
  rows: u32,
  cols: u32,
  k: u32,
  groupsX: u32,
}

@group(0) @binding(0) var<uniform> P: SketchParams;
@group(0) @binding(1) var<storage, read> deltas: array<f32>;
@group(0) @binding(2) var<storage, read> omega: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

const RUN: u32 = 16u;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let idx = (wid.x + wid.y * P.groupsX) * 64u + lid;
  if (idx >= P.rows * P.k) { return; }
  let i = idx / P.k;
  let c = idx % P.k;
  let base = i * P.cols;
  var total = 0.0;
  var run = 0.0;
  for (var j = 0u; j < P.cols; j++) {
    if ((j % RUN) == 0u) {
      total += run;
      run = 0.0;
    }
    run += deltas[base + j] * omega[j * P.k + c];
  }
  y[idx] = total + run;
}
