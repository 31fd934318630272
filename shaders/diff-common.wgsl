// diff-common.wgsl — shared function library for diff-blocks.wgsl and diff-rows.wgsl: the rules
// for one pair of elements (changed? Δ, its histogram bin and rank key, precision violation).
// No bindings, no entry point; the host prepends decode-common.wgsl and this file to the kernel.
//
// CPU twin: accumulateDiffCpu in src/lib/engine/cpu/diff-kernel.ts (the loop body), ulpAt in
// src/lib/engine/diff.ts.
//
// Exactness. The twin computes Δ = x − y in binary64. Two paths reproduce it:
//  - narrow (both dtypes ≤ 32 bits and exact in binary32: every float type, I8/U8/BOOL/I16/U16):
//    Δ is taken in f32. RN24(RN53(x−y)) = RN24(x−y) for 24-bit operands (double rounding is
//    innocuous when 53 ≥ 2·24+2), so the histogram bin of the f32 Δ equals the twin's bin of
//    Math.fround(Δ) and |Δ|'s f32 bits rank elements monotonically. The precision test compares
//    |Δ| with a power of two: the f32 |Δ| decides unless it lies within a few f32 steps of it,
//    where the twin's binary64 Δ is recomputed exactly with f64Sub.
//  - wide (either side I32/U32/F64/I64/U64): both values are widened to binary64 bit patterns and
//    Δ = f64Sub(x, y) is the twin's double, bit for bit (integer emulation, round to nearest even).
// Quantized sides (DF_QUANT; raw = (value, step) from quant-common.wgsl): "same" is never bitwise,
// values compare, and a finite change violates when the twin's binary64 |Δ| exceeds
// max(stepA, stepB) (a non-quantized side's step is 0; a NaN step never violates, like the twin's
// `magnitude > NaN`); a non-finite change always violates. The f32 |Δ| decides away from the step,
// f64Sub within a few f32 steps of it, as for the power-of-two grain below.
// Float arithmetic is used only for the sums (dot, norms, Σ(a−b)²), which the host merges in f64.
// Inputs that would make those f32 sums meaningless — a nonzero finite value below 2^-100 (flush to
// zero of subnormal products is allowed by WGSL) or a wide value outside the binary32 range — set
// `hostFix`: the host then recomputes that whole block with the CPU twin from the raw bytes. A
// non-finite f32 partial sum does the same (see diff-blocks.wgsl).

const DF_SAME: u32 = 1u;
const DF_WIDE: u32 = 2u;
const DF_BOTH_FLOAT: u32 = 4u;
const DF_LOWER_IS_A: u32 = 8u;
/// Either side is block-quantized: the precision test uses the quantization steps.
const DF_QUANT: u32 = 16u;

/// Rank key of a magnitude that is +Infinity for the twin (non-finite pair, or a wide Δ that
/// overflows binary64). Larger than every finite key on both paths.
const KEY_INF: vec2<u32> = vec2<u32>(0xffffffffu, 0xffffffffu);
/// Narrow-path rank keys are |Δ|'s f32 bits in the high word, clamped below +Inf (an f32 overflow
/// of a finite binary64 Δ is still a finite magnitude for the twin).
const KEY_F32_MAX: u32 = 0x7f7fffffu;

struct DiffConfig {
  codeA: u32,
  codeB: u32,
  flags: u32,
  mBits: u32,
  minExp: i32,
}

struct Pair {
  /// Both values finite: the sums (dot, Σa², Σb²) include this pair.
  finite: bool,
  changed: bool,
  /// Changed and either side NaN/±Inf.
  nonFinite: bool,
  /// |Δ| ranks as +Infinity.
  infMag: bool,
  /// Changed and beyond one ulp of the less precise float dtype (cross-dtype pairs only).
  violation: bool,
  /// The f32 sums cannot be trusted for this pair: the host recomputes the block.
  hostFix: bool,
  /// f32 values for the sums (finite pairs).
  x: f32,
  y: f32,
  /// Δ rounded to f32 (finite changed pairs).
  d: f32,
  /// Delta-histogram bin (finite changed pairs).
  bin: u32,
  /// Monotone rank key of |Δ| as (lo, hi) (finite changed pairs).
  key: vec2<u32>,
}

/// RN53(x − y) for finite binary64 bit patterns (lo, hi): the twin's subtraction, bit for bit. A
/// textbook adder: align with guard, round and sticky bits, add or subtract the significands,
/// normalise, round to nearest even; an exact cancellation gives +0 and an overflow ±Inf.
fn f64Sub(x: vec2<u32>, y: vec2<u32>) -> vec2<u32> {
  var a = x;
  var b = vec2<u32>(y.x, y.y ^ 0x80000000u);
  if (u64Lt(vec2<u32>(a.x, a.y & 0x7fffffffu), vec2<u32>(b.x, b.y & 0x7fffffffu))) {
    let t = a;
    a = b;
    b = t;
  }
  let sa = a.y >> 31u;
  let sb = b.y >> 31u;
  let ea = (a.y >> 20u) & 0x7ffu;
  let eb = (b.y >> 20u) & 0x7ffu;
  var fa = vec2<u32>(a.x, a.y & 0xfffffu);
  var fb = vec2<u32>(b.x, b.y & 0xfffffu);
  var expA = ea;
  var expB = eb;
  // Subnormals: exponent 1 without the implicit bit.
  if (ea != 0u) { fa.y = fa.y | 0x100000u; } else { expA = 1u; }
  if (eb != 0u) { fb.y = fb.y | 0x100000u; } else { expB = 1u; }
  // Three extra low bits: guard, round, sticky. The implicit bit now sits at bit 55.
  fa = u64Shl(fa, 3u);
  fb = u64Shl(fb, 3u);
  let dist = expA - expB; // ≥ 0: |a| ≥ |b|
  var fbs: vec2<u32>;
  if (dist >= 60u) {
    fbs = select(vec2<u32>(0u, 0u), vec2<u32>(1u, 0u), !u64Zero(fb));
  } else {
    let sh = u64Shr(fb, dist);
    let lost = !u64Eq(u64Shl(sh, dist), fb);
    fbs = vec2<u32>(sh.x | select(0u, 1u, lost), sh.y);
  }
  var e = i32(expA);
  var s: vec2<u32>;
  if (sa == sb) {
    s = u64Add(fa, fbs);
    if ((s.y >> 24u) != 0u) {
      // Carry into bit 56: shift right keeping the sticky bit.
      s = vec2<u32>((s.x >> 1u) | (s.y << 31u) | (s.x & 1u), s.y >> 1u);
      e = e + 1;
    }
  } else {
    s = u64Sub(fa, fbs);
    if (u64Zero(s)) { return vec2<u32>(0u, 0u); }
    // Bring the leading one back to bit 55, but not below exponent 1 (then the result is
    // subnormal, and exact).
    let lz = i32(u64Clz(s)) - 8;
    let sh = min(lz, e - 1);
    if (sh > 0) {
      s = u64Shl(s, u32(sh));
      e = e - sh;
    }
  }
  let grs = s.x & 7u;
  var q = u64Shr(s, 3u);
  if (grs > 4u || (grs == 4u && (q.x & 1u) == 1u)) {
    q = u64Add(q, vec2<u32>(1u, 0u));
  }
  // (e−1)·2^52 + q: q carries the implicit bit, so a normal result lands on biased exponent e, a
  // subnormal one (e = 1, q < 2^52) on 0, and a rounding carry to 2^53 bumps the exponent.
  let mag = u64Add(vec2<u32>(0u, u32(e - 1) << 20u), q);
  if (mag.y >= 0x7ff00000u) { return vec2<u32>(0u, (sa << 31u) | 0x7ff00000u); }
  return vec2<u32>(mag.x, mag.y | (sa << 31u));
}

/// 2^k as binary64 bits (k ≥ −1022).
fn pow2F64(k: i32) -> vec2<u32> {
  return vec2<u32>(0u, u32(k + 1023) << 20u);
}

/// 2^k as binary32 bits (k ≥ −149).
fn pow2F32(k: i32) -> u32 {
  if (k >= -126) { return u32(k + 127) << 23u; }
  return 1u << u32(k + 149);
}

/// Exponent k of the precision test's grain 2^k: ulpAt(h, mBits, minExp) of src/lib/engine/diff.ts,
/// i.e. max(floor(log2|h|), minExp) − mBits, with the less precise dtype's mBits and minExp taken
/// at the magnitude of the *more* precise value h (as the twin does: the original value's
/// rounding grain), and minExp − mBits for a zero.
fn ulpExpF32(h: u32, c: DiffConfig) -> i32 {
  if (f32IsZero(h)) { return c.minExp - i32(c.mBits); }
  let f = (h >> 23u) & 0xffu;
  var e = i32(f) - 127;
  if (f == 0u) { e = 31 - i32(countLeadingZeros(h & 0x7fffffu)) - 149; }
  return max(e, c.minExp) - i32(c.mBits);
}

/// The same for a binary64 value.
fn ulpExpF64(h: vec2<u32>, c: DiffConfig) -> i32 {
  if (f64IsZero(h)) { return c.minExp - i32(c.mBits); }
  let f = i32((h.y >> 20u) & 0x7ffu);
  // A binary64 subnormal lies below every minExp here (the lower side is at most F32).
  let e = select(f - 1023, -1075, f == 0);
  return max(e, c.minExp) - i32(c.mBits);
}

/// Narrow path: is the twin's |y − x| (rounded to binary64) greater than the tolerance `tol`
/// (binary32 bits ≥ 0: the grain 2^k of two floats, or a quantization step; NaN never violates,
/// like the twin's `magnitude > NaN`)? `db` is the f32 |Δ| = RN24(|y − x|), within 2^-24 of the
/// exact value: far from `tol` it decides; within ±4 f32 steps of it the exact binary64
/// difference decides (f64Sub; rare). One rule for both kinds of tolerance, so the large f64Sub
/// is inlined once per kernel.
fn toleranceViolation(xb: u32, yb: u32, db: u32, tol: u32) -> bool {
  if (f32IsNaN(tol)) { return false; }
  if (db > tol + 2u) { return true; }
  if (db + 4u < tol) { return false; }
  let dd = f64Sub(f32ToF64(yb), f32ToF64(xb));
  return u64Lt(f32ToF64(tol), vec2<u32>(dd.x, dd.y & 0x7fffffffu));
}

/// The precision tolerance of a quantized pair: max(stepA, stepB), a non-quantized side counting
/// 0 (steps are |·|, so their bit patterns order like their values); NaN when either step is NaN
/// (JS Math.max).
fn quantTolerance(ra: vec2<u32>, rb: vec2<u32>, c: DiffConfig) -> u32 {
  let sa = select(0u, ra.y, isQuant(c.codeA));
  let sb = select(0u, rb.y, isQuant(c.codeB));
  return select(max(sa, sb), F32_NAN, f32IsNaN(sa) || f32IsNaN(sb));
}


/// The twin's saturation rule: the lower side is ±Inf where the higher one is a finite, nonzero
/// value of the same sign (a cast overflowed the narrow type's range).
fn narrowSaturation(lb: u32, hb: u32) -> bool {
  return (lb & 0x7fffffffu) == F32_INF && f32IsFinite(hb) && !f32IsZero(hb) && (hb >> 31u) == (lb >> 31u);
}

fn wideSaturation(l: vec2<u32>, h: vec2<u32>) -> bool {
  let lInf = (l.y & 0x7fffffffu) == 0x7ff00000u && l.x == 0u;
  return lInf && f64IsFinite(h) && !f64IsZero(h) && (h.y >> 31u) == (l.y >> 31u);
}

fn analyseNarrow(ra: vec2<u32>, rb: vec2<u32>, c: DiffConfig) -> Pair {
  var p: Pair;
  let xb = decodeNarrowF32(c.codeA, ra);
  let yb = decodeNarrowF32(c.codeB, rb);
  p.finite = f32IsFinite(xb) && f32IsFinite(yb);
  if (p.finite) {
    p.x = bitcast<f32>(xb);
    p.y = bitcast<f32>(yb);
    p.hostFix = f32Unsafe(xb) || f32Unsafe(yb);
  }
  let same = (c.flags & DF_SAME) != 0u;
  if (same) {
    p.changed = ra.x != rb.x;
  } else {
    // Values differ: bit patterns differ, except NaN vs NaN (equal across dtypes); ±0 differ.
    p.changed = xb != yb && !(f32IsNaN(xb) && f32IsNaN(yb));
  }
  if (!p.changed) { return p; }
  let lowerIsA = (c.flags & DF_LOWER_IS_A) != 0u;
  let lb = select(yb, xb, lowerIsA);
  let hb = select(xb, yb, lowerIsA);
  if (p.finite) {
    if (f32IsZero(xb) && f32IsZero(yb)) {
      // +0 vs −0: Δ = y − x is a zero whose sign follows IEEE (−0 − +0 = −0), set explicitly.
      p.d = 0.0;
      p.bin = select(0u, HIST_BINS, yb == 0x80000000u);
      p.key = vec2<u32>(0u, 0u);
    } else {
      // Δ = suspect − known-good, as the CPU twin.
      p.d = p.y - p.x;
      let db = bitcast<u32>(p.d);
      p.bin = histBinOfF32Bits(db);
      p.key = vec2<u32>(0u, min(db & 0x7fffffffu, KEY_F32_MAX));
    }
    if (!same) {
      // Quantized: the steps; two floats: one ulp of the less precise dtype at the more precise
      // value (k ≥ −149 here, so 2^k is a binary32); anything else: every change violates.
      let quant = (c.flags & DF_QUANT) != 0u;
      let tol = select(pow2F32(ulpExpF32(hb, c)), quantTolerance(ra, rb, c), quant);
      p.violation = ((c.flags & DF_BOTH_FLOAT) == 0u && !quant) || toleranceViolation(xb, yb, bitcast<u32>(p.d) & 0x7fffffffu, tol);
    }
  } else {
    p.nonFinite = true;
    p.infMag = true;
    p.key = KEY_INF;
    if (!same) { p.violation = (c.flags & DF_QUANT) != 0u || !((c.flags & DF_BOTH_FLOAT) != 0u && narrowSaturation(lb, hb)); }
  }
  return p;
}

fn analyseWide(ra: vec2<u32>, rb: vec2<u32>, c: DiffConfig) -> Pair {
  var p: Pair;
  let xw = decodeF64(c.codeA, ra);
  let yw = decodeF64(c.codeB, rb);
  let xb = f64ToF32(xw);
  let yb = f64ToF32(yw);
  p.finite = f64IsFinite(xw) && f64IsFinite(yw);
  if (p.finite) {
    p.x = bitcast<f32>(xb);
    p.y = bitcast<f32>(yb);
    p.hostFix = wideUnsafe(xw, xb) || wideUnsafe(yw, yb);
  }
  let same = (c.flags & DF_SAME) != 0u;
  if (same) {
    p.changed = !u64Eq(ra, rb);
  } else {
    p.changed = !u64Eq(xw, yw) && !(f64IsNaN(xw) && f64IsNaN(yw));
  }
  if (!p.changed) { return p; }
  let lowerIsA = (c.flags & DF_LOWER_IS_A) != 0u;
  let lw = select(yw, xw, lowerIsA);
  let hw = select(xw, yw, lowerIsA);
  if (p.finite) {
    let dw = f64Sub(yw, xw);
    let dAbs = vec2<u32>(dw.x, dw.y & 0x7fffffffu);
    let db = f64ToF32(dw);
    p.d = bitcast<f32>(db);
    p.bin = histBinOfF32Bits(db);
    p.hostFix = p.hostFix || wideUnsafe(dw, db);
    if (dAbs.y >= 0x7ff00000u) {
      p.infMag = true;
      p.key = KEY_INF;
    } else {
      p.key = dAbs;
    }
    if (!same) {
      let quant = (c.flags & DF_QUANT) != 0u;
      let qtol = quantTolerance(ra, rb, c);
      let tol = select(pow2F64(ulpExpF64(hw, c)), f32ToF64(qtol), quant);
      p.violation = ((c.flags & DF_BOTH_FLOAT) == 0u && !quant) || (!f32IsNaN(qtol) && u64Lt(tol, dAbs));
    }
  } else {
    p.nonFinite = true;
    p.infMag = true;
    p.key = KEY_INF;
    if (!same) { p.violation = (c.flags & DF_QUANT) != 0u || !((c.flags & DF_BOTH_FLOAT) != 0u && wideSaturation(lw, hw)); }
  }
  return p;
}

fn analysePair(ra: vec2<u32>, rb: vec2<u32>, c: DiffConfig) -> Pair {
  if ((c.flags & DF_WIDE) != 0u) { return analyseWide(ra, rb, c); }
  return analyseNarrow(ra, rb, c);
}
