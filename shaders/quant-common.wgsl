// quant-common.wgsl — shared function library: ggml's block-quantized types, one element at a time.
// No bindings, no entry point; the host prepends it (after decode-common.wgsl) to decode.wgsl,
// stats.wgsl, diff-blocks.wgsl and diff-rows.wgsl. The including kernel defines
//   fn qword(side: u32, w: u32) -> u32      word w (little-endian) of side 0 (src / srcA) or 1 (srcB)
// so one library serves kernels with one or two raw inputs (WGSL cannot pass a storage buffer to a
// function); `side` is a literal at every call, so specialisation folds the choice away.
//
// CPU twin: dequantizeBlocks and quantizationSteps (src/lib/engine/cpu/dequant.ts), reached through
// decodeChunk (src/lib/engine/cpu/decode.ts). Bit-exact for values and steps.
//
// A quantized element's "raw" pattern in the kernels is vec2(value f32 bits, step f32 bits):
// decodeNarrowF32 returns .x for the quant codes, and the precision test of diff-common.wgsl reads
// the step from .y. Layouts follow ggml/src/ggml-common.h (listed in dequant.ts).
//
// Why this is exact without trusting float hardware. ggml computes each value in f32 from an f16
// scale and small integers. Every product it forms here is *exact* in binary32: the f16 significand
// has ≤ 11 bits and the integer factors together ≤ 13 bits (Q6_K: |sc| ≤ 128, |q−32| ≤ 32; IQ4_XS:
// |ls−32| ≤ 32, |kvalue| ≤ 127; the others less), so products stay below 2^24, and an f16 scale's
// smallest quantum 2^-24 keeps them far above binary32's subnormals. Products are therefore built
// from integers (`f16Times`, `groupTimes`) — no float multiply, nothing a compiler could contract
// into an FMA, flush to zero or treat as no-NaN. The types with a minimum (Q4_1, Q5_1, Q2_K, Q4_K, Q5_K) then
// round once, in `addF32`: the hardware f32 addition is correctly rounded in WGSL, both operands are
// multiples of 2^-24 (so a nonzero sum is a binary32 normal), and the signed-zero and Inf/NaN cases
// are settled on bit patterns. MXFP4's E8M0 scale reaches binary32 subnormals and overflow: it goes
// through magToF32, all integer. Q8_K (f32 scale) is left to the CPU twin.
//
// Signs: JS's `q * d` gives a zero the sign sign(q) ⊕ sign(d), an integer 0 counting as +0; a
// product chain's sign is the XOR of its factors' signs, so every helper takes the integer factors'
// magnitude product and that XOR separately (a zero product keeps its sign).

const DT_Q4_0: u32 = 16u;
const DT_Q4_1: u32 = 17u;
const DT_Q5_0: u32 = 18u;
const DT_Q5_1: u32 = 19u;
const DT_Q8_0: u32 = 20u;
const DT_Q2_K: u32 = 21u;
const DT_Q3_K: u32 = 22u;
const DT_Q4_K: u32 = 23u;
const DT_Q5_K: u32 = 24u;
const DT_Q6_K: u32 = 25u;
const DT_IQ4_NL: u32 = 26u;
const DT_IQ4_XS: u32 = 27u;
const DT_MXFP4: u32 = 28u;
const DT_TQ1_0: u32 = 29u;
const DT_TQ2_0: u32 = 30u;

fn isQuant(code: u32) -> bool {
  return code >= DT_Q4_0;
}

/// IQ4_NL / IQ4_XS non-linear levels (kvalues_iq4nl, ggml-common.h).
var<private> KVALUES_IQ4NL: array<i32, 16> = array<i32, 16>(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
/// |E2M1| doubled (kvalues_mxfp4 for codes 0…7; codes 8…15 are the negatives).
var<private> KVALUES_FP4_MAG: array<u32, 8> = array<u32, 8>(0u, 1u, 2u, 3u, 4u, 6u, 8u, 12u);

// ── byte access (blocks start on any byte; every f16 field sits at an even offset) ───────────

fn qByte(side: u32, off: u32) -> u32 {
  return (qword(side, off >> 2u) >> ((off & 3u) * 8u)) & 0xffu;
}

/// Little-endian u16 at an even byte offset (never straddles a word).
fn qU16(side: u32, off: u32) -> u32 {
  return (qword(side, off >> 2u) >> ((off & 2u) * 8u)) & 0xffffu;
}

fn qI8(b: u32) -> i32 {
  return i32(b << 24u) >> 24u;
}

/// |v| as u32 (v small).
fn qAbs(v: i32) -> u32 {
  return u32(abs(v));
}

// ── exact arithmetic on bit patterns ─────────────────────────────────────────────────────────

/// binary32 bits of h · mag with sign sign(h) ⊕ neg, where h is an f16 bit pattern and mag the
/// magnitude of the integer factors' product (sig(h) · mag < 2^24: exact, see the header). An f16
/// ±Inf times a nonzero integer is ±Inf, times 0 (or an f16 NaN) NaN — as the twin's f32 chain.
fn f16Times(h: u32, mag: u32, neg: bool) -> u32 {
  let sign = ((h >> 15u) ^ select(0u, 1u, neg)) & 1u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  let sig = select(m | 0x400u, m, e == 0u);
  // value = sig · 2^(max(e, 1) − 25)
  let prod = sig * mag;
  let p = 31u - countLeadingZeros(prod);
  let bits = (sign << 31u) | ((p + max(e, 1u) + 102u) << 23u) | ((prod << ((23u - p) & 31u)) & 0x7fffffu);
  let finite = select(sign << 31u, bits, prod != 0u);
  let special = select(F32_NAN, (sign << 31u) | F32_INF, m == 0u && mag != 0u);
  return select(finite, special, e == 31u);
}

/// |f16 value| as binary32 bits (the twin's Math.abs of a scale: NaN stays NaN).
fn f16AbsF32(h: u32) -> u32 {
  return f16Times(h, 1u, false) & 0x7fffffffu;
}

/// a + b on binary32 bit patterns with IEEE round-to-nearest-even, for operands that are zero,
/// ±Inf, NaN or multiples of 2^-24 below 2^31 (so a finite nonzero sum is a normal number: no
/// flush to zero, no overflow). The finite sum is the hardware's correctly rounded f32 addition;
/// zeros and specials are decided here, never left to a compiler that may assume no NaN/Inf and
/// no signed zeros.
fn addF32(a: u32, b: u32) -> u32 {
  let aInf = (a & 0x7fffffffu) == F32_INF;
  let bInf = (b & 0x7fffffffu) == F32_INF;
  let nan = f32IsNaN(a) || f32IsNaN(b) || (aInf && bInf && a != b);
  let r = bitcast<u32>(bitcast<f32>(a) + bitcast<f32>(b));
  // An exact zero sum is +0, except (−0) + (−0).
  let zero = select(0u, 0x80000000u, a == 0x80000000u && b == 0x80000000u);
  let finite = select(r, zero, f32IsZero(r));
  return select(select(select(finite, b, bInf), a, aInf), F32_NAN, nan);
}

/// a − b (IEEE: a + (−b), zeros included).
fn subF32(a: u32, b: u32) -> u32 {
  return addF32(a, b ^ 0x80000000u);
}

// ── groups: what 16 consecutive elements share ────────────────────────────────────────────────
// Every scale of every type here covers an aligned run of at least 16 elements (Q2_K, Q3_K and
// Q6_K sub-blocks are 16, the others 32 or 256), and the kernels already sum in runs of 16. So a
// kernel decodes the run's scales once (`quantGroup`) and each element from its own few bits
// (`quantValue`); `quantElement` does both for one element (decode.wgsl, diff-rows.wgsl).

struct QuantGroup {
  /// Byte offset of the quant block.
  o: u32,
  /// Significand of the f16 scale d times the run's integer multiplier magnitude (exact).
  sig: u32,
  /// Biased binary32 exponent of a product with leading bit 2^0 of `sig`'s scale: max(e, 1) + 102.
  ebias: u32,
  /// Sign of d ⊕ sign of the multiplier.
  sign: u32,
  /// d is ±Inf or NaN; `inf`: it is ±Inf.
  special: bool,
  inf: bool,
  /// Added after the product: m (Q4_1, Q5_1), −dmin·m (Q2_K, Q4_K, Q5_K).
  addend: u32,
  hasAddend: bool,
  /// The elements' quantization step.
  step: u32,
  /// Type-specific: qh (Q5_0, Q5_1), the E8M0 scale (MXFP4).
  aux: u32,
}

/// A group for f16 scale bits h and integer multiplier mag (sign neg).
fn groupOf(o: u32, h: u32, mag: u32, neg: bool) -> QuantGroup {
  var g: QuantGroup;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  g.o = o;
  g.sig = select(m | 0x400u, m, e == 0u) * mag;
  g.ebias = max(e, 1u) + 102u;
  g.sign = ((h >> 15u) ^ select(0u, 1u, neg)) & 1u;
  g.special = e == 31u;
  g.inf = e == 31u && m == 0u;
  g.step = f16Times(h, mag, neg) & 0x7fffffffu;
  return g;
}

/// The group's product for an element's integer factor (magnitude qmag, sign qneg): f16Times of
/// the scale by mag·qmag, with the scale's fields already taken apart.
fn groupTimes(g: QuantGroup, qmag: u32, qneg: bool) -> u32 {
  let sign = g.sign ^ select(0u, 1u, qneg);
  let prod = g.sig * qmag;
  let p = 31u - countLeadingZeros(prod);
  let bits = (sign << 31u) | ((p + g.ebias) << 23u) | ((prod << ((23u - p) & 31u)) & 0x7fffffu);
  let finite = select(sign << 31u, bits, prod != 0u);
  let special = select(F32_NAN, (sign << 31u) | F32_INF, g.inf && prod != 0u);
  return select(finite, special, g.special);
}

/// The element's value: the product, plus the group's addend where the type has one.
fn groupValue(g: QuantGroup, qmag: u32, qneg: bool) -> u32 {
  let p = groupTimes(g, qmag, qneg);
  if (g.hasAddend) { return addF32(p, g.addend); }
  return p;
}

/// A 4-bit quant of a 32-element block: element e's nibble of qs[e & 15] (low for e < 16).
fn nibble32(side: u32, qs: u32, e: u32) -> u32 {
  return (qByte(side, qs + (e & 15u)) >> ((e >> 4u) * 4u)) & 15u;
}

/// Q4_K/Q5_K `get_scale_min_k4`: 6-bit scale j (x) and min j (y) of 8, packed in 12 bytes at sc.
fn kScaleMin(side: u32, sc: u32, j: u32) -> vec2<u32> {
  let b0 = qByte(side, sc + j); // j < 4: scale j; j ≥ 4: bytes 4…7 (top bits of min j−4)
  let b4 = qByte(side, sc + j + 4u); // j < 4: min j; j ≥ 4: bytes 8…11
  let bLow = qByte(side, sc + (j & 3u)); // j ≥ 4: bytes 0…3 (top bits of scale j−4)
  let lo = vec2<u32>(b0 & 63u, b4 & 63u);
  let hi = vec2<u32>((b4 & 15u) | ((bLow >> 6u) << 4u), (b4 >> 4u) | ((b0 >> 6u) << 4u));
  return select(lo, hi, j >= 4u);
}

/// Q3_K 6-bit scale j of 16 (q3kScale in dequant.ts).
fn q3Scale(side: u32, sc: u32, j: u32) -> u32 {
  let lowByte = qByte(side, sc + (j & 7u));
  let low = select(lowByte & 15u, lowByte >> 4u, j >= 8u);
  let high = (qByte(side, sc + 8u + (j & 3u)) >> (2u * (j >> 2u))) & 3u;
  return low | (high << 4u);
}

// ── the decoders: groupXX(side, i) for the run of 16 elements from i (a multiple of 16; tiles
// start on whole blocks), valueXX(side, g, i) for element i of that run (value bits) ──────────
// Layouts (ggml-common.h; twin: the decoders in dequant.ts):
//   Q4_0 18 B/32  d·(q−8)            Q4_1 20 B/32  d·q + m         Q5_0 22 B/32  d·(q−16)
//   Q5_1 24 B/32  d·q + m            Q8_0 34 B/32  d·q (int8)
//   Q2_K 84 B/256  (d·sc)·q − dmin·m per 16     Q3_K 110 B/256  (d·(sc−32))·(q − 4·!hmask) per 16
//   Q4_K 144 B/256, Q5_K 176 B/256  (d·sc)·q − dmin·m per 32     Q6_K 210 B/256  (d·sc)·(q−32) per 16
//   IQ4_NL 18 B/32  d·kvalue[q]      IQ4_XS 136 B/256  (d·(ls−32))·kvalue[q] per 32
//   MXFP4 17 B/32  E2M1·2^(e−128)    TQ1_0 54 B/256, TQ2_0 66 B/256  d·(q−1)
// Steps (quantizationSteps): |d·sc| of the run; 24·|d·…| for the IQ4 grids; 2^(e−126) for MXFP4.

fn groupQ4_0(side: u32, i: u32) -> QuantGroup {
  let o = (i >> 5u) * 18u;
  return groupOf(o, qU16(side, o), 1u, false);
}

fn valueQ4_0(side: u32, g: QuantGroup, i: u32) -> u32 {
  let v = i32(nibble32(side, g.o + 2u, i & 31u)) - 8;
  return groupValue(g, qAbs(v), v < 0);
}

fn groupQ4_1(side: u32, i: u32) -> QuantGroup {
  let o = (i >> 5u) * 20u;
  var g = groupOf(o, qU16(side, o), 1u, false);
  g.addend = f16ToF32(qU16(side, o + 2u));
  g.hasAddend = true;
  return g;
}

fn valueQ4_1(side: u32, g: QuantGroup, i: u32) -> u32 {
  return groupValue(g, nibble32(side, g.o + 4u, i & 31u), false);
}

/// Q5_0/Q5_1: the 5-bit quant of element e — nibble from qs, 5th bit e of qh (g.aux).
fn q5Quant(side: u32, g: QuantGroup, qs: u32, e: u32) -> u32 {
  return nibble32(side, qs, e) | (((g.aux >> e) & 1u) << 4u);
}

fn groupQ5_0(side: u32, i: u32) -> QuantGroup {
  let o = (i >> 5u) * 22u;
  var g = groupOf(o, qU16(side, o), 1u, false);
  g.aux = qU16(side, o + 2u) | (qU16(side, o + 4u) << 16u);
  return g;
}

fn valueQ5_0(side: u32, g: QuantGroup, i: u32) -> u32 {
  let v = i32(q5Quant(side, g, g.o + 6u, i & 31u)) - 16;
  return groupValue(g, qAbs(v), v < 0);
}

fn groupQ5_1(side: u32, i: u32) -> QuantGroup {
  let o = (i >> 5u) * 24u;
  var g = groupOf(o, qU16(side, o), 1u, false);
  g.addend = f16ToF32(qU16(side, o + 2u));
  g.hasAddend = true;
  g.aux = qU16(side, o + 4u) | (qU16(side, o + 6u) << 16u);
  return g;
}

fn valueQ5_1(side: u32, g: QuantGroup, i: u32) -> u32 {
  return groupValue(g, q5Quant(side, g, g.o + 8u, i & 31u), false);
}

fn groupQ8_0(side: u32, i: u32) -> QuantGroup {
  let o = (i >> 5u) * 34u;
  return groupOf(o, qU16(side, o), 1u, false);
}

fn valueQ8_0(side: u32, g: QuantGroup, i: u32) -> u32 {
  let v = qI8(qByte(side, g.o + 2u + (i & 31u)));
  return groupValue(g, qAbs(v), v < 0);
}

/// The 2-bit field of element e of a 256-element block whose 2-bit planes start at byte qs:
/// byte qs + 32·(e >> 7) + (e & 31), bits 2·((e >> 5) & 3) (Q2_K, Q3_K, TQ2_0).
fn crumb(side: u32, qs: u32, e: u32) -> u32 {
  return (qByte(side, qs + 32u * (e >> 7u) + (e & 31u)) >> (2u * ((e >> 5u) & 3u))) & 3u;
}

fn groupQ2_K(side: u32, i: u32) -> QuantGroup {
  let o = (i >> 8u) * 84u;
  let sc = qByte(side, o + ((i & 255u) >> 4u));
  var g = groupOf(o, qU16(side, o + 80u), sc & 15u, false);
  g.addend = f16Times(qU16(side, o + 82u), sc >> 4u, false) ^ 0x80000000u;
  g.hasAddend = true;
  return g;
}

fn valueQ2_K(side: u32, g: QuantGroup, i: u32) -> u32 {
  return groupValue(g, crumb(side, g.o + 16u, i & 255u), false);
}

fn groupQ3_K(side: u32, i: u32) -> QuantGroup {
  let o = (i >> 8u) * 110u;
  let v = i32(q3Scale(side, o + 96u, (i & 255u) >> 4u)) - 32;
  return groupOf(o, qU16(side, o + 108u), qAbs(v), v < 0);
}

/// Q3_K: hmask bit (e >> 5) of byte e & 31 set means no −4.
fn valueQ3_K(side: u32, g: QuantGroup, i: u32) -> u32 {
  let e = i & 255u;
  let hm = (qByte(side, g.o + (e & 31u)) >> (e >> 5u)) & 1u;
  let v = i32(crumb(side, g.o + 32u, e)) - select(4, 0, hm == 1u);
  return groupValue(g, qAbs(v), v < 0);
}

/// Q4_K/Q5_K: scale and min of the run's 32-element sub-block (blocks of `size` bytes).
fn groupK(side: u32, i: u32, size: u32) -> QuantGroup {
  let o = (i >> 8u) * size;
  let sm = kScaleMin(side, o + 4u, (i & 255u) >> 5u);
  var g = groupOf(o, qU16(side, o), sm.x, false);
  g.addend = f16Times(qU16(side, o + 2u), sm.y, false) ^ 0x80000000u;
  g.hasAddend = true;
  return g;
}

/// The nibble of element e in a Q4_K/Q5_K quant plane at qs: low for even sub-blocks.
fn kNibble(side: u32, qs: u32, e: u32) -> u32 {
  return (qByte(side, qs + 32u * (e >> 6u) + (e & 31u)) >> (4u * ((e >> 5u) & 1u))) & 15u;
}

fn groupQ4_K(side: u32, i: u32) -> QuantGroup {
  return groupK(side, i, 144u);
}

fn valueQ4_K(side: u32, g: QuantGroup, i: u32) -> u32 {
  return groupValue(g, kNibble(side, g.o + 16u, i & 255u), false);
}

fn groupQ5_K(side: u32, i: u32) -> QuantGroup {
  return groupK(side, i, 176u);
}

/// Q5_K: the 5th bit is bit (e >> 5) of qh[e & 31].
fn valueQ5_K(side: u32, g: QuantGroup, i: u32) -> u32 {
  let e = i & 255u;
  let h = (qByte(side, g.o + 16u + (e & 31u)) >> (e >> 5u)) & 1u;
  return groupValue(g, kNibble(side, g.o + 48u, e) | (h << 4u), false);
}

fn groupQ6_K(side: u32, i: u32) -> QuantGroup {
  let o = (i >> 8u) * 210u;
  let e = i & 255u;
  let sc = qI8(qByte(side, o + 192u + 8u * (e >> 7u) + ((e & 31u) >> 4u) + 2u * ((e >> 5u) & 3u)));
  return groupOf(o, qU16(side, o + 208u), qAbs(sc), sc < 0);
}

/// Q6_K: a nibble of ql plus two bits of qh, minus 32.
fn valueQ6_K(side: u32, g: QuantGroup, i: u32) -> u32 {
  let e = i & 255u;
  let n = e >> 7u;
  let part = (e >> 5u) & 3u;
  let l = e & 31u;
  let nib = (qByte(side, g.o + 64u * n + l + 32u * (part & 1u)) >> (4u * (part >> 1u))) & 15u;
  let h = (qByte(side, g.o + 128u + 32u * n + l) >> (2u * part)) & 3u;
  let v = i32(nib | (h << 4u)) - 32;
  return groupValue(g, qAbs(v), v < 0);
}

fn groupIQ4_NL(side: u32, i: u32) -> QuantGroup {
  let o = (i >> 5u) * 18u;
  var g = groupOf(o, qU16(side, o), 1u, false);
  g.step = f16Times(qU16(side, o), 24u, false) & 0x7fffffffu;
  return g;
}

fn valueIQ4_NL(side: u32, g: QuantGroup, i: u32) -> u32 {
  let kv = KVALUES_IQ4NL[nibble32(side, g.o + 2u, i & 31u)];
  return groupValue(g, qAbs(kv), kv < 0);
}

fn groupIQ4_XS(side: u32, i: u32) -> QuantGroup {
  let o = (i >> 8u) * 136u;
  let ib = (i & 255u) >> 5u;
  let ls = ((qByte(side, o + 4u + (ib >> 1u)) >> (4u * (ib & 1u))) & 15u) | (((qU16(side, o + 2u) >> (2u * ib)) & 3u) << 4u);
  let v = i32(ls) - 32;
  var g = groupOf(o, qU16(side, o), qAbs(v), v < 0);
  g.step = f16Times(qU16(side, o), qAbs(v) * 24u, v < 0) & 0x7fffffffu;
  return g;
}

fn valueIQ4_XS(side: u32, g: QuantGroup, i: u32) -> u32 {
  let e = i & 255u;
  let kv = KVALUES_IQ4NL[nibble32(side, g.o + 8u + 16u * (e >> 5u), e & 31u)];
  return groupValue(g, qAbs(kv), kv < 0);
}

fn groupMXFP4(side: u32, i: u32) -> QuantGroup {
  var g: QuantGroup;
  g.o = (i >> 5u) * 17u;
  g.aux = qByte(side, g.o);
  g.step = select(F32_INF, (g.aux + 1u) << 23u, g.aux <= 253u);
  return g;
}

/// MXFP4: all-integer (the E8M0 scale reaches subnormal and overflowing results); code 8 is +0.
fn valueMXFP4(side: u32, g: QuantGroup, i: u32) -> u32 {
  let nib = nibble32(side, g.o + 1u, i & 31u);
  return magToF32(select(0u, 1u, nib > 8u), vec2<u32>(KVALUES_FP4_MAG[nib & 7u], 0u), i32(g.aux) - 128);
}

/// The n-th base-3 digit of a TQ1_0 byte (`trit` in dequant.ts).
fn tqTrit(byte: u32, n: u32) -> u32 {
  let pow3 = select(select(select(select(1u, 3u, n >= 1u), 9u, n >= 2u), 27u, n >= 3u), 81u, n >= 4u);
  return (((byte * pow3) & 0xffu) * 3u) >> 8u;
}

fn groupTQ1_0(side: u32, i: u32) -> QuantGroup {
  let o = (i >> 8u) * 54u;
  return groupOf(o, qU16(side, o + 52u), 1u, false);
}

/// TQ1_0: qs[0..32) five trits each, qs[32..48) five, qh[0..4) four.
fn valueTQ1_0(side: u32, g: QuantGroup, i: u32) -> u32 {
  let e = i & 255u;
  let late = e >= 240u;
  let mid = e >= 160u && !late;
  let r = select(select(e, e - 160u, mid), e - 240u, late);
  let byteOff = select(select(r & 31u, 32u + (r & 15u), mid), 48u + (r & 3u), late);
  let n = select(select(r >> 5u, r >> 4u, mid), r >> 2u, late);
  let v = i32(tqTrit(qByte(side, g.o + byteOff), n)) - 1;
  return groupValue(g, qAbs(v), v < 0);
}

fn groupTQ2_0(side: u32, i: u32) -> QuantGroup {
  let o = (i >> 8u) * 66u;
  return groupOf(o, qU16(side, o + 64u), 1u, false);
}

fn valueTQ2_0(side: u32, g: QuantGroup, i: u32) -> u32 {
  let v = i32(crumb(side, g.o, i & 255u)) - 1;
  return groupValue(g, qAbs(v), v < 0);
}

// ── dispatch ─────────────────────────────────────────────────────────────────────────────────
// `quantGroup(side, code, i) -> QuantGroup` and `quantValue(side, code, g, i) -> vec2<u32>`
// (value bits, step bits) are generated by the host for the pipeline's quantized dtypes only
// (quantDispatch in src/lib/engine/webgpu/kernels.ts): a call the pipeline constants make dead
// is still compiled — Tint emits every statically reachable function and SwiftShader compiles it
// before folding the branch — so a switch over all fifteen decoders tripled the compile time of
// every pipeline, quantized or not (measured: diff-blocks BF16/BF16 1.0 s → 3.4 s CPU).

/// Element i of a quantized tile as (value bits, step bits), its run's scales decoded for it alone
/// (decode.wgsl, diff-rows.wgsl: row segments start anywhere).
fn quantElement(side: u32, code: u32, i: u32) -> vec2<u32> {
  return quantValue(side, code, quantGroup(side, code, i), i);
}
