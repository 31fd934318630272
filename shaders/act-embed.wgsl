// act-embed.wgsl — embedding rows: out[t, d] = wte[tokens[t], d] (+ wpe[pos0 + t, d] when HAS_POS, GPT-2).
// Token ids are checked against the vocabulary on the host before upload.
// CPU twin: src/lib/activations/cpu/kernels.ts embedCpu.
//
// Bindings: 0 params (uniform) · 1 tokens u32 (read) · 2 wte (read) · 3 wpe or dummy (read) · 4 out (read_write)
// Workgroup: WG invocations, one (t, d) each.
override WG: u32 = 64u;
override HAS_POS: bool = false;

struct Params {
  rows: u32,
  dim: u32,
  pos0: u32,
  _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> tokens: array<u32>;
@group(0) @binding(2) var<storage, read> wte: array<f32>;
@group(0) @binding(3) var<storage, read> wpe: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * WG;
  if (id >= p.rows * p.dim) {
    return;
  }
  let t = id / p.dim;
  let d = id % p.dim;
  var v = wte[tokens[t] * p.dim + d];
  if (HAS_POS) {
    v = v + wpe[(p.pos0 + t) * p.dim + d];
  }
  out[id] = v;
}
