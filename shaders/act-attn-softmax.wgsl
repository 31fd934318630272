// act-attn-softmax.wgsl — softmax over the allowed keys of each (head, row), in place, in f32 (as
// transformers' eager attention), and the entropy of that distribution in nats:
//   H = −Σ p ln p = ln Σ e^(s−m) − Σ p·(s − m)   (stable for any logits)
// written to entropy[entOff + h·rows + t].
// Second of three kernels; CPU twin: src/lib/activations/cpu/kernels.ts attentionCpu.
//
// Bindings: 0 params (uniform) · 1 scores (read_write) · 2 entropy (read_write)
// Workgroup: WG invocations, one (h, t) each, sequential over keys (no barriers).
override WG: u32 = 64u;

struct Params {
  rows: u32,
  pos0: u32,
  heads: u32,
  keys: u32,
  window: u32,
  entOff: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> scores: array<f32>;
@group(0) @binding(2) var<storage, read_write> entropy: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let ht = gid.x + gid.y * nwg.x * WG;
  if (ht >= p.heads * p.rows) {
    return;
  }
  let t = ht % p.rows;
  let last = p.pos0 + t;
  var first = 0u;
  if (last + 1u > p.window) {
    first = last + 1u - p.window;
  }
  let so = ht * p.keys;
  var m = scores[so + first];
  for (var j = first + 1u; j <= last; j = j + 1u) {
    m = max(m, scores[so + j]);
  }
  var sum = 0.0;
  for (var j = first; j <= last; j = j + 1u) {
    sum = sum + exp(scores[so + j] - m);
  }
  var ps = 0.0;
  for (var j = first; j <= last; j = j + 1u) {
    let d = scores[so + j] - m;
    let pr = exp(d) / sum;
    ps = ps + pr * d;
    scores[so + j] = pr;
  }
  entropy[p.entOff + ht] = log(sum) - ps;
}
