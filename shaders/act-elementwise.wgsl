// act-elementwise.wgsl — MLP activation: out[i] = act(a[i]) · b[i] (GATED, Llama's SiLU-gated MLP)
// or act(a[i]) (GPT-2). KIND 0 SiLU x·σ(x); 1 GELU tanh form (NewGELU / gelu_pytorch_tanh, the
// tanh argument clamped to ±15 where tanh is ±1 in f32 — some GPU tanh implementations overflow
// past it); 2 GELU erf form with Abramowitz–Stegun 7.1.26 (|err| ≤ 1.5e-7; WGSL has no erf).
// CPU twin: src/lib/activations/cpu/kernels.ts activationCpu (same clamp, same erf).
//
// Bindings: 0 params (uniform) · 1 a (read) · 2 b or dummy (read) · 3 out (read_write)
// Workgroup: WG invocations, one element each.
override WG: u32 = 64u;
override KIND: u32 = 0u;
override GATED: bool = true;

struct Params {
  n: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn erfApprox(x: f32) -> f32 {
  let s = sign(x);
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let y = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-z * z);
  return s * y;
}

fn act(v: f32) -> f32 {
  if (KIND == 0u) {
    return v / (1.0 + exp(-v));
  }
  if (KIND == 1u) {
    let inner = clamp(0.7978845608028654 * (v + 0.044715 * v * v * v), -15.0, 15.0);
    return 0.5 * v * (1.0 + tanh(inner));
  }
  return 0.5 * v * (1.0 + erfApprox(v * 0.7071067811865476));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) {
    return;
  }
  if (GATED) {
    out[i] = act(a[i]) * b[i];
  } else {
    out[i] = act(a[i]);
  }
}
