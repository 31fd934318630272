// act-sparsity.wgsl — per row of MLP activations, the fraction of units whose |value| is below
// 0.1 × the row's mean |value| (src/lib/activations/backend.ts SPARSITY_RELATIVE): out[outOff + t].
// CPU twin: src/lib/activations/cpu/kernels.ts sparsityCpu.
//
// Bindings: 0 params (uniform) · 1 x (read) · 2 out (read_write)
// Workgroup: WG invocations, one row each, two passes, no barriers.
override WG: u32 = 64u;
override RELATIVE: f32 = 0.1;

struct Params {
  rows: u32,
  dim: u32,
  outOff: u32,
  _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= p.rows) {
    return;
  }
  let o = t * p.dim;
  var s = 0.0;
  for (var i = 0u; i < p.dim; i = i + 1u) {
    s = s + abs(x[o + i]);
  }
  let threshold = (s / f32(p.dim)) * RELATIVE;
  var c = 0u;
  for (var i = 0u; i < p.dim; i = i + 1u) {
    if (abs(x[o + i]) < threshold) {
      c = c + 1u;
    }
  }
  out[p.outOff + t] = f32(c) / f32(p.dim);
}
