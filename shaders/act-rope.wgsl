// act-rope.wgsl — rotary position embedding, Hugging Face rotate_half convention, in place:
// for each row t, head h and i < half = rotaryDim/2, with (c, s) = table[pos0 + t][i]:
//   x[i] ← x[i]·c − x[i + half]·s ;  x[i + half] ← x[i + half]·c + x[i]·s
// Dimensions past rotaryDim pass through (partial rotary). The cos/sin table is computed once on
// the host exactly as transformers computes it in f32 (src/lib/activations/model.ts ropeTable), so
// the GPU's sin/cos accuracy never enters.
// CPU twin: src/lib/activations/cpu/kernels.ts ropeCpu.
//
// Bindings: 0 params (uniform) · 1 x (read_write) · 2 table [positions, half, 2] (read)
// Workgroup: WG invocations, one (t, h, i) each.
override WG: u32 = 64u;

struct Params {
  rows: u32,
  heads: u32,
  headDim: u32,
  half: u32,
  pos0: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * WG;
  if (id >= p.rows * p.heads * p.half) {
    return;
  }
  let i = id % p.half;
  let th = id / p.half;
  let t = th / p.heads;
  let h = th % p.heads;
  let base = (t * p.heads + h) * p.headDim;
  let tb = ((p.pos0 + t) * p.half + i) * 2u;
  let c = table[tb];
  let s = table[tb + 1u];
  let x1 = x[base + i];
  let x2 = x[base + i + p.half];
  x[base + i] = x1 * c - x2 * s;
  x[base + i + p.half] = x2 * c + x1 * s;
}
