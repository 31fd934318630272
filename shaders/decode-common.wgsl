// decode-common.wgsl — shared function library (no bindings, no entry point). The host prepends it
// to every kernel (src/lib/engine/webgpu/kernels.ts) since WGSL has no #include.
//
// CPU twin: src/lib/engine/cpu/decode.ts (decodeChunk) and src/lib/engine/stats.ts
// (histBinOfF32Bits).
//
// Everything here is integer arithmetic on bit patterns, never float arithmetic or int↔float
// conversions:
//  - WGSL lets implementations flush subnormals to zero in float operations and leaves the rounding
//    of i32/u32 → f32 conversions partly to the implementation; bit manipulation is exact everywhere.
//  - WGSL also lets the compiler assume that no Inf/NaN occurs, so classification (NaN, ±Inf, zero)
//    reads exponent bits instead of comparing floats.
// Hence the decoders return *bit patterns*: f32 bits (`decodeF32`) and f64 bits as vec2<u32>
// (lo, hi) (`decodeF64`). 64-bit integers are vec2<u32> (lo, hi) as stored little-endian.
// Kernels pass their dtype codes as pipeline-overridable constants, so after specialisation each
// pipeline keeps only its dtypes' decoders; helpers prefer select() to branches because SwiftShader
// compiles every branch into masked SIMD code (seconds of pipeline compilation when inlined often).

// ── dtype codes (src/lib/engine/webgpu/dtype-codes.ts holds the same table) ──────────────────
const DT_F32: u32 = 0u;
const DT_F16: u32 = 1u;
const DT_BF16: u32 = 2u;
const DT_F8_E4M3: u32 = 3u;
const DT_F8_E5M2: u32 = 4u;
const DT_F8_E8M0: u32 = 5u;
const DT_I8: u32 = 6u;
const DT_U8: u32 = 7u;
const DT_BOOL: u32 = 8u;
const DT_I16: u32 = 9u;
const DT_U16: u32 = 10u;
const DT_I32: u32 = 11u;
const DT_U32: u32 = 12u;
const DT_F64: u32 = 13u;
const DT_I64: u32 = 14u;
const DT_U64: u32 = 15u;

const F32_NAN: u32 = 0x7fc00000u;
const F32_INF: u32 = 0x7f800000u;

/// Codes DT_I32…DT_U64 decode to values that binary32 cannot hold exactly (their CPU twin decodes
/// into a Float64Array): kernels take the "wide" path for them (exact f64 bit patterns, see f64Sub).
/// Codes from 16 up are ggml's block-quantized types (quant-common.wgsl): narrow.
fn isWide(code: u32) -> bool {
  return code >= DT_I32 && code <= DT_U64;
}

fn elemSize(code: u32) -> u32 {
  switch code {
    case 0u, 11u, 12u: { return 4u; }
    case 1u, 2u, 9u, 10u: { return 2u; }
    case 13u, 14u, 15u: { return 8u; }
    default: { return 1u; }
  }
}

/// Index of the first u32 word holding element i (elements never straddle words except 8-byte
/// ones, which take two whole words: tiles start at whole 256-element blocks, so on a word).
fn wordIndex(i: u32, size: u32) -> u32 {
  switch size {
    case 1u: { return i >> 2u; }
    case 2u: { return i >> 1u; }
    case 8u: { return i << 1u; }
    default: { return i; }
  }
}

/// Element i's bits from the word that holds it (sizes 1, 2, 4; little-endian byte order).
fn extractRaw(word: u32, i: u32, size: u32) -> u32 {
  if (size == 1u) {
    return (word >> ((i & 3u) * 8u)) & 0xffu;
  }
  if (size == 2u) {
    return (word >> ((i & 1u) * 16u)) & 0xffffu;
  }
  return word;
}

// ── 64-bit unsigned helpers on vec2<u32>(lo, hi) ─────────────────────────────────────────────
// Runtime shift amounts are taken modulo 32 in WGSL, hence the explicit range cases.

fn u64Zero(v: vec2<u32>) -> bool {
  return (v.x | v.y) == 0u;
}

fn u64Lt(a: vec2<u32>, b: vec2<u32>) -> bool {
  return a.y < b.y || (a.y == b.y && a.x < b.x);
}

fn u64Eq(a: vec2<u32>, b: vec2<u32>) -> bool {
  return a.x == b.x && a.y == b.y;
}

fn u64Add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

fn u64Sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return vec2<u32>(a.x - b.x, a.y - b.y - select(0u, 1u, a.x < b.x));
}

fn u64Neg(a: vec2<u32>) -> vec2<u32> {
  return u64Sub(vec2<u32>(0u, 0u), a);
}

// Shifts are branch-free (select only): SwiftShader turns every branch into masked SIMD code,
// which costs seconds of pipeline compilation when inlined many times.

/// v >> s for any s (0 when s ≥ 64).
fn u64Shr(v: vec2<u32>, s: u32) -> vec2<u32> {
  let r = s & 31u;
  let carry = select(0u, v.y << ((32u - r) & 31u), r != 0u);
  let lo = select(select(v.y >> r, 0u, s >= 64u), (v.x >> r) | carry, s < 32u);
  let hi = select(0u, v.y >> r, s < 32u);
  return vec2<u32>(lo, hi);
}

/// v << s for any s (0 when s ≥ 64).
fn u64Shl(v: vec2<u32>, s: u32) -> vec2<u32> {
  let r = s & 31u;
  let carry = select(0u, v.x >> ((32u - r) & 31u), r != 0u);
  let hi = select(select(v.x << r, 0u, s >= 64u), (v.y << r) | carry, s < 32u);
  let lo = select(0u, v.x << r, s < 32u);
  return vec2<u32>(lo, hi);
}

fn u64Clz(v: vec2<u32>) -> u32 {
  return select(32u + countLeadingZeros(v.x), countLeadingZeros(v.y), v.y != 0u);
}

/// m / 2^sh rounded to nearest, ties to even (sh ≤ 0 shifts left, exactly).
fn shrRne(m: vec2<u32>, sh: i32) -> vec2<u32> {
  let s = u32(clamp(sh, 1, 64));
  let q = u64Shr(m, s);
  let rem = u64Sub(m, u64Shl(q, s));
  let half = u64Shl(vec2<u32>(1u, 0u), s - 1u);
  let up = u64Lt(half, rem) || (u64Eq(rem, half) && (q.x & 1u) == 1u);
  let right = select(q, u64Add(q, vec2<u32>(1u, 0u)), up);
  let left = u64Shl(m, u32(clamp(-sh, 0, 64)));
  return select(select(right, vec2<u32>(0u, 0u), sh > 64), left, sh <= 0);
}

// ── exact rounding of sign · m · 2^e2 (m: 64-bit magnitude) ──────────────────────────────────

/// binary32 bits of sign · m · 2^e2, rounded to nearest even, with subnormals and overflow to ±Inf
/// (the rounding Math.fround applies).
fn magToF32(sign: u32, m: vec2<u32>, e2: i32) -> u32 {
  let s = sign << 31u;
  let p = 63 - i32(u64Clz(m));
  let e = p + e2; // value in [2^e, 2^(e+1))
  // Quantum of the result: 2^(e-23) for normals, 2^-149 for subnormals.
  let qe = max(e - 23, -149);
  let q = shrRne(m, qe - e2); // ≤ 2^24
  // Normal: biased exponent (qe + 150) with q's implicit bit folded in: ((qe+149) << 23) + q.
  // Subnormal: qe = -149, bits = q. A rounding carry to 2^24 (or 2^23) bumps the exponent by itself.
  let mag = (u32(clamp(qe + 149, 0, 255)) << 23u) + q.x;
  let inf = e > 128 || mag >= F32_INF;
  return select(select(s | mag, s | F32_INF, inf), s, u64Zero(m));
}

/// binary64 bits (lo, hi) of sign · m · 2^e2, rounded to nearest even (used for 64-bit integers,
/// which the CPU twin turns into doubles the same way).
fn magToF64(sign: u32, m: vec2<u32>, e2: i32) -> vec2<u32> {
  let s = sign << 31u;
  let p = 63 - i32(u64Clz(m));
  let e = p + e2;
  let qe = max(e - 52, -1074);
  let q = shrRne(m, qe - e2); // ≤ 2^53
  let mag = u64Add(vec2<u32>(0u, u32(clamp(qe + 1074, 0, 2047)) << 20u), q);
  let inf = e > 1024 || mag.y >= 0x7ff00000u;
  let r = select(vec2<u32>(mag.x, mag.y | s), vec2<u32>(0u, s | 0x7ff00000u), inf);
  return select(r, vec2<u32>(0u, s), u64Zero(m));
}

/// Exact binary32 bits of sign · mag for an integer mag < 2^24 (no rounding needed).
fn smallIntToF32(sign: u32, mag: u32) -> u32 {
  let p = 31u - countLeadingZeros(mag);
  let bits = (sign << 31u) | ((p + 127u) << 23u) | ((mag << ((23u - p) & 31u)) & 0x7fffffu);
  return select(sign << 31u, bits, mag != 0u);
}

/// Exact binary64 bits of sign · mag for an integer mag < 2^32.
fn u32ToF64(sign: u32, mag: u32) -> vec2<u32> {
  let z = countLeadingZeros(mag);
  let norm = (mag << (z & 31u)) << 1u; // fraction bits after the leading one, left-aligned
  let hi = (sign << 31u) | ((1054u - z) << 20u) | (norm >> 12u); // exponent 31 − z + 1023
  return select(vec2<u32>(0u, sign << 31u), vec2<u32>(norm << 20u, hi), mag != 0u);
}

// ── classification ───────────────────────────────────────────────────────────────────────────

fn f32IsNaN(b: u32) -> bool {
  return (b & 0x7fffffffu) > F32_INF;
}

fn f32IsFinite(b: u32) -> bool {
  return (b & F32_INF) != F32_INF;
}

fn f32IsZero(b: u32) -> bool {
  return (b & 0x7fffffffu) == 0u;
}

fn f64IsNaN(v: vec2<u32>) -> bool {
  let h = v.y & 0x7fffffffu;
  return h > 0x7ff00000u || (h == 0x7ff00000u && v.x != 0u);
}

fn f64IsFinite(v: vec2<u32>) -> bool {
  return (v.y & 0x7ff00000u) != 0x7ff00000u;
}

fn f64IsZero(v: vec2<u32>) -> bool {
  return ((v.y & 0x7fffffffu) | v.x) == 0u;
}

// ── conversions between float formats ────────────────────────────────────────────────────────

/// IEEE binary16 → binary32 bits, exact; NaN payloads kept (shifted), as f16BitsToF32Bits does.
fn f16ToF32(h: u32) -> u32 {
  let sign = (h >> 15u) & 1u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  let normal = (sign << 31u) | ((e + 112u) << 23u) | (m << 13u);
  let special = (sign << 31u) | F32_INF | (m << 13u);
  // Subnormal m·2^-24: move the leading one to bit 10.
  let sh = (countLeadingZeros(m) - 21u) & 31u;
  let sub = (sign << 31u) | ((113u - sh) << 23u) | (((m << sh) & 0x3ffu) << 13u);
  let low = select(sign << 31u, sub, m != 0u);
  return select(select(normal, special, e == 31u), low, e == 0u);
}

/// binary64 → binary32, round to nearest even (Math.fround). NaN → quiet NaN of the same sign.
fn f64ToF32(v: vec2<u32>) -> u32 {
  let sign = v.y >> 31u;
  let e = (v.y >> 20u) & 0x7ffu;
  let mhi = v.y & 0xfffffu;
  let special = (sign << 31u) | select(F32_NAN, F32_INF, (mhi | v.x) == 0u);
  let m = vec2<u32>(v.x, select(mhi | 0x100000u, mhi, e == 0u));
  let finite = magToF32(sign, m, select(i32(e) - 1075, -1074, e == 0u));
  return select(finite, special, e == 0x7ffu);
}

/// binary32 → binary64, exact (NaN payload kept).
fn f32ToF64(b: u32) -> vec2<u32> {
  let sign = b >> 31u;
  let e = (b >> 23u) & 0xffu;
  let m = b & 0x7fffffu;
  let normal = vec2<u32>(m << 29u, (sign << 31u) | ((e + 896u) << 20u) | (m >> 3u));
  let special = vec2<u32>(m << 29u, (sign << 31u) | 0x7ff00000u | (m >> 3u));
  // Subnormal m·2^-149: move the leading one to bit 23 (exponent −126 − sh).
  let sh = (countLeadingZeros(m) - 8u) & 31u;
  let mn = (m << sh) & 0x7fffffu;
  let sub = vec2<u32>(mn << 29u, (sign << 31u) | ((897u - sh) << 20u) | (mn >> 3u));
  let low = select(vec2<u32>(0u, sign << 31u), sub, m != 0u);
  return select(select(normal, special, e == 0xffu), low, e == 0u);
}

// ── the decoders (twin: decodeChunk) ─────────────────────────────────────────────────────────

/// Element value as binary32 bits for the dtypes up to 32 bits whose values binary32 holds
/// exactly (codes below DT_I32), and for the quantized codes (raw.x is their decoded value). Kernels pass pipeline-overridable dtype codes, so after
/// specialisation only one case survives.
fn decodeNarrowF32(code: u32, raw: vec2<u32>) -> u32 {
  let r = raw.x;
  switch code {
    case 0u: { return r; }
    case 1u: { return f16ToF32(r); }
    case 2u: { return r << 16u; }
    case 3u: {
      // OCP FP8 E4M3 ("fn"): no infinities; S.1111.111 is NaN; subnormals m·2^-9.
      let sign = r >> 7u;
      let e = (r >> 3u) & 15u;
      let m = r & 7u;
      let normal = (sign << 31u) | ((e + 120u) << 23u) | (m << 20u);
      let sub = smallIntToF32(sign, m) - select(0u, 9u << 23u, m != 0u);
      return select(select(normal, sub, e == 0u), F32_NAN, e == 15u && m == 7u);
    }
    case 4u: { return f16ToF32(r << 8u); }
    case 5u: {
      // E8M0 scale: 2^(r-127) (r = 0 is the subnormal 2^-127), 0xFF is NaN, no sign.
      return select(select(r << 23u, 0x00400000u, r == 0u), F32_NAN, r == 0xffu);
    }
    case 6u: {
      let neg = r >> 7u;
      return smallIntToF32(neg, select(r, 256u - r, neg == 1u));
    }
    case 9u: {
      let neg = r >> 15u;
      return smallIntToF32(neg, select(r, 65536u - r, neg == 1u));
    }
    // Block-quantized types: the kernel's load already decoded (value, step) (quant-common.wgsl).
    case 16u, 17u, 18u, 19u, 20u, 21u, 22u, 23u, 24u, 25u, 26u, 27u, 28u, 29u, 30u: { return r; }
    default: { return smallIntToF32(0u, r); } // U8, BOOL, U16
  }
}

/// Element value as binary64 bits (lo, hi) for the wide codes (DT_I32 and up): exact, except
/// I64/U64 beyond 2^53, which round to nearest even like the CPU twin's `hi * 2^32 + lo`.
fn decodeWideF64(code: u32, raw: vec2<u32>) -> vec2<u32> {
  switch code {
    case 11u: {
      let neg = raw.x >> 31u;
      return u32ToF64(neg, select(raw.x, 0u - raw.x, neg == 1u));
    }
    case 12u: { return u32ToF64(0u, raw.x); }
    case 14u: {
      let neg = raw.y >> 31u;
      return magToF64(neg, select(raw, u64Neg(raw), neg == 1u), 0);
    }
    case 15u: { return magToF64(0u, raw, 0); }
    default: { return raw; } // F64
  }
}

/// Element value as binary32 bits: exact up to 32 bits except I32/U32; wide types round to
/// nearest even from their (f64) value — what Math.fround gives for the twin's Float64Array entry.
fn decodeF32(code: u32, raw: vec2<u32>) -> u32 {
  if (isWide(code)) { return f64ToF32(decodeWideF64(code, raw)); }
  return decodeNarrowF32(code, raw);
}

/// Element value as binary64 bits (lo, hi): the twin's number, bit for bit.
fn decodeF64(code: u32, raw: vec2<u32>) -> vec2<u32> {
  if (isWide(code)) { return decodeWideF64(code, raw); }
  return f32ToF64(decodeNarrowF32(code, raw));
}

// ── order keys (min/max by integer compare; -0 counts as +0 like `<` does) ────────────────────

fn keyF32(b: u32) -> u32 {
  var x = b;
  if (x == 0x80000000u) { x = 0u; }
  if ((x >> 31u) == 1u) { return ~x; }
  return x | 0x80000000u;
}

fn keyF64(v: vec2<u32>) -> vec2<u32> {
  var x = v;
  if (x.x == 0u && x.y == 0x80000000u) { x = vec2<u32>(0u, 0u); }
  if ((x.y >> 31u) == 1u) { return ~x; }
  return vec2<u32>(x.x, x.y | 0x80000000u);
}

fn keyLt(a: vec2<u32>, b: vec2<u32>) -> bool {
  return u64Lt(a, b);
}

// ── magnitude histogram (twin: histBinOfF32Bits in src/lib/engine/stats.ts) ───────────────────
const HIST_BINS: u32 = 64u;
const HIST_MIN_EXP: i32 = -49;
const HIST_MAX_EXP: i32 = 11;

fn histBinOfF32Bits(u: u32) -> u32 {
  let neg = select(0u, HIST_BINS, (u >> 31u) == 1u);
  let e = (u >> 23u) & 0xffu;
  let m = u & 0x7fffffu;
  if (e == 0u && m == 0u) { return neg; }
  if (e == 0xffu) { return neg + HIST_BINS - 1u; }
  let exp = i32(e) - 127;
  if (exp < HIST_MIN_EXP) { return neg + 1u; }
  if (exp > HIST_MAX_EXP) { return neg + HIST_BINS - 1u; }
  return neg + u32(exp - HIST_MIN_EXP + 2);
}

// ── guards for the f32 sums ──────────────────────────────────────────────────────────────────

/// True when a finite value is unsafe for f32 sums: nonzero below 2^-100 (products and
/// differences could flush to zero) or beyond the binary32 range (a 64-bit value). Blocks holding
/// one are recomputed by the host with the CPU twin.
fn f32Unsafe(b: u32) -> bool {
  let e = (b >> 23u) & 0xffu;
  return (e < 27u && (b & 0x7fffffffu) != 0u) || e == 0xffu;
}

/// The same for a finite wide value `w` whose binary32 rounding is `b` (also catches a nonzero
/// value that rounds to zero).
fn wideUnsafe(w: vec2<u32>, b: u32) -> bool {
  return f32Unsafe(b) || (f32IsZero(b) && !f64IsZero(w));
}
