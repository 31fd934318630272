// act-attn-scores.wgsl — attention logits q·k / √d for every head h, query row t and key position
// j allowed by the causal mask (and the sliding window): scores[(h·rows + t)·keys + j].
// Grouped-query attention: head h reads KV head h / (heads / kvHeads).
// First of three kernels (scores → act-attn-softmax → act-attn-mix); together the twin of
// src/lib/activations/cpu/kernels.ts attentionCpu. Splitting attention this way needs no
// per-invocation arrays sized by head_dim and no barriers.
//
// Bindings: 0 params (uniform) · 1 q rows [rows, heads·hd] as vec4 (read) ·
//           2 kCache [positions, kvHeads·hd] as vec4 (read) · 3 scores (read_write)
// Workgroup: WG invocations, one (h, t, j) each.
override WG: u32 = 64u;

struct Params {
  rows: u32,
  pos0: u32,
  heads: u32,
  kvHeads: u32,
  hd4: u32,
  keys: u32,
  window: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> scores: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * WG;
  if (id >= p.heads * p.rows * p.keys) {
    return;
  }
  let j = id % p.keys;
  let ht = id / p.keys;
  let t = ht % p.rows;
  let h = ht / p.rows;
  let last = p.pos0 + t;
  if (j > last || last - j >= p.window) {
    return;
  }
  let kvh = h / (p.heads / p.kvHeads);
  let qo = (t * p.heads + h) * p.hd4;
  let ko = (j * p.kvHeads + kvh) * p.hd4;
  var acc = vec4<f32>(0.0);
  for (var d = 0u; d < p.hd4; d = d + 1u) {
    acc = acc + q[qo + d] * k[ko + d];
  }
  scores[ht * p.keys + j] = (acc.x + acc.y + acc.z + acc.w) * p.scale;
}
