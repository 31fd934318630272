// act-attn-mix.wgsl — attention output out[t, h·hd + d] = Σ_j p[h, t, j] · v[j, kvh·hd + d] over the
// allowed keys, 4 values of d per invocation.
// Third of three kernels; CPU twin: src/lib/activations/cpu/kernels.ts attentionCpu.
//
// Bindings: 0 params (uniform) · 1 probabilities (read) · 2 vCache as vec4 (read) · 3 out as vec4 (read_write)
// Workgroup: WG invocations, one (t, h, d/4) each.
override WG: u32 = 64u;

struct Params {
  rows: u32,
  pos0: u32,
  heads: u32,
  kvHeads: u32,
  hd4: u32,
  keys: u32,
  window: u32,
  _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> probs: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * WG;
  if (id >= p.rows * p.heads * p.hd4) {
    return;
  }
  let d = id % p.hd4;
  let th = id / p.hd4;
  let h = th % p.heads;
  let t = th / p.heads;
  let kvh = h / (p.heads / p.kvHeads);
  let last = p.pos0 + t;
  var first = 0u;
  if (last + 1u > p.window) {
    first = last + 1u - p.window;
  }
  let po = (h * p.rows + t) * p.keys;
  var acc = vec4<f32>(0.0);
  for (var j = first; j <= last; j = j + 1u) {
    acc = acc + probs[po + j] * v[(j * p.kvHeads + kvh) * p.hd4 + d];
  }
  out[(t * p.heads + h) * p.hd4 + d] = acc;
}
