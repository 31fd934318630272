// decode.wgsl — decodes every element of a tile to its binary32 and binary64 bit patterns (and,
// for block-quantized types, its quantization step). Used by the decode agreement test (and handy
// when debugging a dtype); the statistics kernels call the same decode-common.wgsl and
// quant-common.wgsl functions inline.
//
// CPU twin: decodeChunk (src/lib/engine/cpu/decode.ts). Bit-exact: out f64 bits equal the twin's
// value (a Float32Array/Float64Array entry widened to a double); out f32 bits equal
// Math.fround(twin value); the step equals the twin's `steps` entry (quantized types). NaN payloads are compared exactly only where the twin keeps them (F32,
// BF16: views and shifts); elsewhere a NaN passes through a JS number, which may quiet or
// canonicalise it, so the test checks NaN-ness.
//
// Bindings (group 0):
//   0  uniform             P: DecodeParams
//   1  storage, read       src: array<u32>     raw little-endian bytes, padded to 4
//   2  storage, read_write out: array<u32>     4 words per element: f32 bits, f64 lo, f64 hi,
//                                              step f32 bits (0 for unquantized types)
// Pipeline constant: CODE. Workgroup size 256, one invocation per element (no barriers);
// 2-D dispatch: element = (wid.x + wid.y·groupsX)·256 + local index.

struct DecodeParams {
  n: u32,
  groupsX: u32,
  pad0: u32,
  pad1: u32,
}

/// Dtype code (decode-common.wgsl), a pipeline constant.
override CODE: u32;

@group(0) @binding(0) var<uniform> P: DecodeParams;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

/// The raw words quant-common.wgsl reads (one input here).
fn qword(side: u32, w: u32) -> u32 {
  return src[w];
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * P.groupsX) * 256u + lid;
  if (i >= P.n) { return; }
  var raw = vec2<u32>(0u, 0u);
  var step = 0u;
  if (isQuant(CODE)) {
    raw = quantElement(0u, CODE, i);
    step = raw.y;
  } else {
    let s = elemSize(CODE);
    let w = wordIndex(i, s);
    if (s == 8u) {
      raw = vec2<u32>(src[w], src[w + 1u]);
    } else {
      raw = vec2<u32>(extractRaw(src[w], i, s), 0u);
    }
  }
  let w64 = decodeF64(CODE, raw);
  out[4u * i] = decodeF32(CODE, raw);
  out[4u * i + 1u] = w64.x;
  out[4u * i + 2u] = w64.y;
  out[4u * i + 3u] = step;
}
