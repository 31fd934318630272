// act-matmul.wgsl — y[t, j] (+)= Σ_k x[t, k] · w[j, k] + bias[j]   (nn.Linear: y = x·wᵀ + b, w is [n, k])
// CPU twin: src/lib/activations/cpu/kernels.ts matmulCpu. Backend: src/lib/activations/webgpu/gpu-backend.ts.
//
// Bindings: 0 params (uniform) · 1 x: vec4 rows of k/4 (read) · 2 w: vec4 rows of k/4 (read) ·
//           3 bias: n floats, or a dummy when HAS_BIAS is false (read) · 4 y: rows × n floats (read_write)
// Workgroup: WG invocations, 1-D over tiles (2-D grid folded: id = x + y·groupsX·WG).
// One invocation computes a ROWS × 4 tile (ROWS rows of x against 4 rows of w) from vec4 loads,
// with no workgroup memory and no barriers: SwiftShader (WebGPU on the CPU) runs barrier-free
// kernels much faster. Each invocation streams its 4 weight rows sequentially along k; measured on
// SwiftShader this beats a transposed weight layout with contiguous loads across invocations (3×
// for prefill, on par for matrix-vector products) and 1 or 8 outputs per invocation.
// k must be a multiple of 4 (every real model's is). Out-of-range rows/columns are clamped on load
// and skipped on store.
override WG: u32 = 64u;
override ROWS: u32 = 4u;       // 4 for prefill, 1 for single-token decoding
override ACCUM: bool = false;  // add into y (the residual stream)
override HAS_BIAS: bool = false;

struct Params {
  rows: u32,
  k4: u32,
  n: u32,
  xOff4: u32,
  yOff: u32,
  nTiles: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

fn put(t: u32, j: u32, v: f32) {
  if (t >= p.rows || j >= p.n) {
    return;
  }
  var r = v;
  if (HAS_BIAS) {
    r = r + bias[j];
  }
  let o = p.yOff + t * p.n + j;
  if (ACCUM) {
    r = y[o] + r;
  }
  y[o] = r;
}

fn putRow(t: u32, j0: u32, a: vec4<f32>) {
  put(t, j0, a.x);
  put(t, j0 + 1u, a.y);
  put(t, j0 + 2u, a.z);
  put(t, j0 + 3u, a.w);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * WG;
  let tTile = id / p.nTiles;
  let jTile = id % p.nTiles;
  let t0 = tTile * ROWS;
  if (t0 >= p.rows) {
    return;
  }
  let j0 = jTile * 4u;
  let lastJ = p.n - 1u;
  let lastT = p.rows - 1u;
  let wb0 = min(j0, lastJ) * p.k4;
  let wb1 = min(j0 + 1u, lastJ) * p.k4;
  let wb2 = min(j0 + 2u, lastJ) * p.k4;
  let wb3 = min(j0 + 3u, lastJ) * p.k4;
  let xb0 = p.xOff4 + t0 * p.k4;
  let xb1 = p.xOff4 + min(t0 + 1u, lastT) * p.k4;
  let xb2 = p.xOff4 + min(t0 + 2u, lastT) * p.k4;
  let xb3 = p.xOff4 + min(t0 + 3u, lastT) * p.k4;
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  for (var k = 0u; k < p.k4; k = k + 1u) {
    let b0 = w[wb0 + k];
    let b1 = w[wb1 + k];
    let b2 = w[wb2 + k];
    let b3 = w[wb3 + k];
    let v0 = x[xb0 + k];
    a0 = a0 + vec4<f32>(dot(v0, b0), dot(v0, b1), dot(v0, b2), dot(v0, b3));
    if (ROWS == 4u) {
      let v1 = x[xb1 + k];
      let v2 = x[xb2 + k];
      let v3 = x[xb3 + k];
      a1 = a1 + vec4<f32>(dot(v1, b0), dot(v1, b1), dot(v1, b2), dot(v1, b3));
      a2 = a2 + vec4<f32>(dot(v2, b0), dot(v2, b1), dot(v2, b2), dot(v2, b3));
      a3 = a3 + vec4<f32>(dot(v3, b0), dot(v3, b1), dot(v3, b2), dot(v3, b3));
    }
  }
  putRow(t0, j0, a0);
  if (ROWS == 4u) {
    putRow(t0 + 1u, j0, a1);
    putRow(t0 + 2u, j0, a2);
    putRow(t0 + 3u, j0, a3);
  }
}
