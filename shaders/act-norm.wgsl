// act-norm.wgsl — RMSNorm (KIND 0: x · rsqrt(mean(x²) + ε) · w, LlamaRMSNorm) or LayerNorm
// (KIND 1: (x − mean) · rsqrt(var + ε) · w + b, biased variance as nn.LayerNorm) of each row.
// CPU twin: src/lib/activations/cpu/kernels.ts normCpu.
//
// Bindings: 0 params (uniform) · 1 x (read) · 2 weight (read) · 3 bias or dummy (read) · 4 y (read_write)
// Workgroup: WG invocations, one row each (rows are few: the prompt length or 1 while decoding),
// two passes over the row in f32, no barriers.
override WG: u32 = 64u;
override KIND: u32 = 0u;
override HAS_BIAS: bool = false;

struct Params {
  rows: u32,
  dim: u32,
  eps: f32,
  xOff: u32,
  yOff: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= p.rows) {
    return;
  }
  let xo = p.xOff + t * p.dim;
  let yo = p.yOff + t * p.dim;
  let n = f32(p.dim);
  if (KIND == 0u) {
    var ss = 0.0;
    for (var i = 0u; i < p.dim; i = i + 1u) {
      let v = x[xo + i];
      ss = ss + v * v;
    }
    let r = 1.0 / sqrt(ss / n + p.eps);
    for (var i = 0u; i < p.dim; i = i + 1u) {
      y[yo + i] = weight[i] * (x[xo + i] * r);
    }
  } else {
    var s = 0.0;
    for (var i = 0u; i < p.dim; i = i + 1u) {
      s = s + x[xo + i];
    }
    let mean = s / n;
    var v = 0.0;
    for (var i = 0u; i < p.dim; i = i + 1u) {
      let d = x[xo + i] - mean;
      v = v + d * d;
    }
    let r = 1.0 / sqrt(v / n + p.eps);
    for (var i = 0u; i < p.dim; i = i + 1u) {
      var o = (x[xo + i] - mean) * r * weight[i];
      if (HAS_BIAS) {
        o = o + bias[i];
      }
      y[yo + i] = o;
    }
  }
}
