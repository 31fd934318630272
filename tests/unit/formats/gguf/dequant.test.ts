/**
 * CPU dequantization and reference quantization against ggml.
 *
 * Known answers come in two kinds:
 * - hand-computed blocks: a few fields set by hand, the expected values worked out from the block
 *   layout in ggml/src/ggml-common.h and the formula in ggml/src/ggml-quants.c;
 * - hashes of ggml's own output: the seeded random blocks below were decoded by ggml's
 *   `dequantize_row_*` (and the seeded floats quantized by `quantize_row_*_ref`, and converted by
 *   `GGML_FP32_TO_FP16`) from ggml-org/ggml at d99724f2b141 (ggml/src/ggml-quants.c, ggml-impl.h),
 *   compiled with gcc 12.2 -O2 on x86-64 (with and without -march=native: identical), and the
 *   SHA-256 of the output bytes recorded here. Same bytes in, same bits out.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEQUANTIZABLE,
  canDequantize,
  dequantize,
  dequantizeBlocks,
  f16BitsToF32,
  f32ToF16Bits,
  quantizeQ4_0,
  quantizeQ4_1,
  quantizeQ5_0,
  quantizeQ5_1,
  quantizeQ8_0,
  quantizeReference,
} from '../../../../src/lib/engine/cpu/dequant.ts';
import { DTYPES, type DType } from '../../../../src/lib/formats/dtype.ts';
import { quantizerTestInput, randomBlocks, randomFloats, seededRandom } from '../../../fixtures/gguf-builder.ts';

const sha = (b: Uint8Array | Float32Array | Uint16Array): string => createHash('sha256').update(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)).digest('hex');

/** A block of `size` zero bytes with fields set: [offset, bytes…] or f16 values via `h`. */
function block(size: number, ...fields: Array<[number, ...number[]]>): Uint8Array {
  const b = new Uint8Array(size);
  for (const [o, ...bytes] of fields) b.set(bytes, o);
  return b;
}
/** Little-endian bytes of the binary16 encoding of x. */
const h = (x: number): [number, number] => {
  const bits = f32ToF16Bits(x);
  return [bits & 0xff, bits >> 8];
};

describe('f16 conversion (GGML_FP32_TO_FP16 / GGML_FP16_TO_FP32)', () => {
  it('rounds to nearest even, saturates to inf, keeps NaN and handles subnormals', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65519.99, 0x7bff],
      [65520, 0x7c00],
      [1e9, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000], // tie to even: 0
      [3 * 2 ** -25, 0x0002], // tie to even: 2
      [2 ** -14, 0x0400],
      [1 / 3, 0x3555],
      [1 + 2 ** -11, 0x3c00], // tie to even
      [1 + 3 * 2 ** -11, 0x3c02],
    ];
    for (const [x, bits] of cases) expect(f32ToF16Bits(x), String(x)).toBe(bits);
    expect(f32ToF16Bits(NaN)).toBe(0x7e00);
    for (const bits of [0x0001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0x8001, 0xfbff]) expect(f32ToF16Bits(f16BitsToF32(bits))).toBe(bits);
  });

  it("matches ggml's converter bit for bit on 2^20 random f32 bit patterns", () => {
    const n = 1 << 20;
    const u = new Uint32Array(n);
    let s = 7;
    for (let i = 0; i < n; i++) u[i] = s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const x = new Float32Array(u.buffer);
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) out[i] = f32ToF16Bits(x[i] as number);
    expect(sha(out)).toBe('cbc7890a310b39df226166f5818c9031bb31cd27eb75cf2849c896117249d151');
  });
});

describe('dequantizeBlocks: hand-computed blocks', () => {
  const deq = (dtype: DType, bytes: Uint8Array): Float32Array => dequantize(bytes, dtype);

  it('F32, F16, BF16', () => {
    const f32 = new Uint8Array(new Float32Array([1.5, -0, 3.4028234663852886e38]).buffer);
    expect(Array.from(deq('F32', f32))).toEqual([1.5, -0, 3.4028234663852886e38]);
    expect(Array.from(deq('F16', new Uint8Array([0x00, 0x3c, 0x01, 0x00, 0x00, 0xfc])))).toEqual([1, 2 ** -24, -Infinity]);
    expect(Array.from(deq('BF16', new Uint8Array([0x80, 0x3f, 0x49, 0x40])))).toEqual([1, Math.fround(3.140625)]);
    // Bit patterns survive, NaN payloads included.
    const nan32 = new Uint8Array([0x01, 0x00, 0x80, 0x7f]); // signalling NaN 0x7f800001
    expect(new Uint32Array(deq('F32', nan32).buffer)[0]).toBe(0x7f800001);
    expect(new Uint32Array(deq('F16', new Uint8Array([0x01, 0x7c])).buffer)[0]).toBe(0x7f802000);
    expect(new Uint32Array(deq('BF16', new Uint8Array([0x81, 0xff])).buffer)[0]).toBe(0xff810000);
  });

  it('Q8_0: q·d', () => {
    const b = block(34, [0, ...h(0.5)], [2, 0x80, 0xff, 0x00, 0x01, 0x7f]);
    const y = deq('Q8_0', b);
    expect(Array.from(y.subarray(0, 6))).toEqual([-64, -0.5, 0, 0.5, 63.5, 0]);
  });

  it('Q4_0: (nibble − 8)·d, low nibbles first', () => {
    const y = deq('Q4_0', block(18, [0, ...h(2)], [2, 0xf0, 0x9a]));
    expect(y[0]).toBe(-16); // low nibble 0
    expect(y[16]).toBe(14); // high nibble 15
    expect(y[1]).toBe(4); // 0xa − 8 = 2
    expect(y[17]).toBe(2); // 0x9 − 8 = 1
    expect(y[2]).toBe(-16);
  });

  it('Q4_1: nibble·d + m', () => {
    const y = deq('Q4_1', block(20, [0, ...h(1)], [2, ...h(-0.5)], [4 + 3, 0x21]));
    expect([y[3], y[19], y[0]]).toEqual([0.5, 1.5, -0.5]);
  });

  it('Q5_0: ((nibble | 5th bit) − 16)·d, 5th bit of element j at qh bit j', () => {
    const qh = (1 << 0) | (1 << 20);
    const y = deq('Q5_0', block(22, [0, ...h(1)], [2, qh & 0xff, (qh >> 8) & 0xff, (qh >> 16) & 0xff, qh >>> 24], [6 + 4, 0xf3]));
    expect([y[0], y[4], y[20], y[1], y[16]]).toEqual([0, -13, 15, -16, -16]);
  });

  it('Q5_1: (nibble | 5th bit)·d + m', () => {
    const y = deq('Q5_1', block(24, [0, ...h(0.5)], [2, ...h(1)], [4, 0, 0, 0, 0x80], [8 + 15, 0x3c]));
    expect(y[31]).toBe((3 | 16) * 0.5 + 1); // high nibble 3 with qh bit 31
    expect(y[15]).toBe(12 * 0.5 + 1);
    expect(y[0]).toBe(1);
  });

  it('Q2_K: (d·scale)·q − (dmin·min), 16 groups of 16, 2-bit fields in 4 planes', () => {
    const b = block(84, [0, 0x23, 0x01], [16, 0b1110_0111], [80, ...h(1)], [82, ...h(0.5)]);
    const y = deq('Q2_K', b);
    expect(y[0]).toBe(3 * 3 - 0.5 * 2); // group 0: scale 3, min 2, q = 3
    expect(y[1]).toBe(-1); // q = 0
    expect(y[16]).toBe(0); // group 1: scale 1, min 0, q[16] = 0
    expect(y[32]).toBe(0 * 1 - 0); // group 2 has scale byte 0
    // q[0] bits 2–3 = 1 → element 32 with group 2's (zero) scale; bits 6–7 = 3 → element 96 (group 6, zero scale)
    expect(y.length).toBe(256);
  });

  it('Q3_K: d·(scale − 32)·(q − 4 unless the hmask bit is set), 6-bit scales packed in 12 bytes', () => {
    const b = block(
      110,
      [0, 0x01], // hmask[0] bit 0 → element 0 has its high bit
      [16, 0x80], // hmask[16] bit 7 → element 240
      [32, 0x02, 0x01], // qs[0], qs[1] low 2 bits
      [32 + 48, 0xc0], // qs[48] bits 6–7 = 3 → element 240
      [96, 0x01], // scale 0 low 4 bits = 1
      [96 + 7, 0xf0], // scale 15 low 4 bits = 15
      [96 + 8, 0x02], // scale 0 high 2 bits = 2 → 33
      [96 + 11, 0x40], // scale 15 high 2 bits = 1 → 31
      [108, ...h(1)],
    );
    const y = deq('Q3_K', b);
    expect(y[0]).toBe(1 * (2 - 0)); // scale 33 − 32 = 1
    expect(y[1]).toBe(1 * (1 - 4));
    expect(y[240]).toBe(-1 * (3 - 0)); // scale 31 − 32 = −1
    expect(y[241]).toBe(-1 * (0 - 4));
    expect(y[16]).toBe(-32 * -4); // scale 1 = 0 → −32, q 0, no high bit
  });

  it('Q4_K: (d·scale)·q − (dmin·min) with get_scale_min_k4 packing', () => {
    const b = block(144, [0, ...h(1), ...h(1)], [4, 0b11_000010], [4 + 4, 0b01_000001], [4 + 8, 0x21], [16, 0x35], [16 + 64, 0x07]);
    const y = deq('Q4_K', b);
    expect(y[0]).toBe(2 * 5 - 1); // scale 2, min 1, q 5
    expect(y[32]).toBe(0); // high nibble 3 with scale 1 = 0 and min 0
    expect(y[128]).toBe(49 * 7 - 18); // scale 4 = 1 | 3<<4, min 4 = 2 | 1<<4
    expect(y[129]).toBe(-18);
  });

  it('Q5_K: adds 16 where the qh bit of the group is set', () => {
    const b = block(176, [0, ...h(0.5), ...h(0)], [4, 1, 0, 1], [16, 0x05], [48, 0x0f], [48 + 32, 0x02]);
    const y = deq('Q5_K', b);
    expect(y[0]).toBe(0.5 * (15 + 16)); // qh[0] bit 0
    expect(y[32]).toBe(0); // scale 1 = 0
    expect(y[64]).toBe(0.5 * (2 + 16)); // group 2 (scale 2 = 1) reads qs[32] and qh bit 2
  });

  it('Q6_K: d·scale·(q − 32), low 4 bits in ql, high 2 in qh, signed 8-bit scales', () => {
    const b = block(210, [0, 0x0a], [128, 0b10], [192, 0xfe, 0, 0, 0, 3], [208, ...h(1)]);
    const y = deq('Q6_K', b);
    expect(y[0]).toBe(-2 * ((10 | (2 << 4)) - 32));
    expect(y[64]).toBe(3 * -32);
    expect(y[32]).toBe(-0); // scale 2 = 0: 0 · (0 − 32) = −0 in IEEE arithmetic, as in C
  });

  it('Q8_K: f32 d · q', () => {
    const b = new Uint8Array(292);
    new DataView(b.buffer).setFloat32(0, 0.25, true);
    b[4 + 5] = 0xfc;
    const y = deq('Q8_K', b);
    expect([y[5], y[0]]).toEqual([-1, 0]);
  });

  it('IQ4_NL and IQ4_XS: d·(scale)·kvalues_iq4nl[nibble]', () => {
    const y = deq('IQ4_NL', block(18, [0, ...h(1)], [2, 0xf0]));
    expect([y[0], y[16], y[1]]).toEqual([-127, 113, -127]);
    // IQ4_XS block 0 scale: low 4 bits of scales_l[0] = 1, high 2 bits of scales_h = 2 → 33 − 32 = 1.
    const x = deq('IQ4_XS', block(136, [0, ...h(2)], [2, 0b10, 0], [4, 0x01], [8, 0x8f]));
    expect([x[0], x[16], x[32]]).toEqual([2 * 113, 2 * 1, 2 * -32 * -127]);
  });

  it('MXFP4: doubled E2M1 values × 2^(e−128)', () => {
    const y = deq('MXFP4', block(17, [0, 128], [1, 0x9f, 0x27]));
    expect([y[0], y[16], y[1], y[17]]).toEqual([-12, -1, 12, 2]);
    expect(deq('MXFP4', block(17, [0, 0], [1, 0x01]))[0]).toBe(2 ** -128);
  });

  it('TQ1_0 and TQ2_0: ternary (q − 1)·d', () => {
    const t2 = deq('TQ2_0', block(66, [0, 0b11_10_01_00], [64, ...h(1)]));
    expect([t2[0], t2[32], t2[64], t2[96], t2[1]]).toEqual([-1, 0, 1, 2, -1]);
    // 171 = ceil((2·81)·256/243): trits 2,0,0,0,0 as ggml's quantize_row_tq1_0_ref packs them.
    const t1 = deq('TQ1_0', block(54, [0, 171], [52, ...h(1)]));
    expect([t1[0], t1[32], t1[64], t1[96], t1[128], t1[1]]).toEqual([1, -1, -1, -1, -1, -1]);
  });
});

describe("dequantizeBlocks against ggml's dequantize_row_* (hashes of ggml's output)", () => {
  const GOLDEN: ReadonlyArray<[DType, string]> = [
    ['Q4_0', '329d530281011a8ac7726d2aaf05ed89d96e658a18bce26eae1618d804b4a64c'],
    ['Q4_1', '525e8b333cea6f0776e988cbacf5db4fd5227a37f9fe91fc7cdabfcd70582221'],
    ['Q5_0', '375db7a734153cc2290754525cf1647e4a55d7aaae2102a40ed61ed31cc57070'],
    ['Q5_1', '3e84e89c9ff78ebed094c3d5a028025bd71ddd3a1402553723a5cac79719e63c'],
    ['Q8_0', 'a4197459af02d28ef60b164646768107878e9e62a0384fb718304400d0369b35'],
    ['Q2_K', '22b131a6dfff60e81273405d0f91613e0a966a0bec284813f9ed2a4210c5fae7'],
    ['Q3_K', '1ea1c5e1d5604ef707a19603e47aeeb24898896b4098601e62fdae529f337ada'],
    ['Q4_K', '467ad8c23555b930f9eb7d50248e1955aa0e981532275037a3c35280b8b3fb12'],
    ['Q5_K', '20db23ac72740b1d61d23e701f44c262a7400487392c86cd83b4b59747f93a34'],
    ['Q6_K', '6ec7c40c5bb608178547de81a33e91df1b03ac8899346f83e79f8cf4ba31b314'],
    ['Q8_K', '95a93068290fb0d0cdbd8db144a4b4eba434cdcb3b96582967c5b80ed919257f'],
    ['IQ4_NL', '8e06d7ed41181fa2528180a5100659db1022dacda2075c9a0fd3e5323fa2a751'],
    ['IQ4_XS', 'c98bd0ff5ca279ca6a9ea4087210cadc066482c826872db48ae13a81a59ee831'],
    ['MXFP4', '2c270cc5306fd8281925a2cd346e0dc5b803c7bb45c13e258cd38c04b0704390'],
    ['TQ1_0', '342ab08f867c0866d5c2884c9d444788ea9d810ee5218da2a7337321b5f7b43e'],
    ['TQ2_0', '1e5112a966c5523c814ef3cf2818c61f78893246522d43d51aa2a0cd99a141ce'],
  ];
  for (const [dtype, hash] of GOLDEN) {
    it(`${dtype}: seeded random blocks decode to ggml's exact bits`, () => {
      const n = DTYPES[dtype].blockElements === 32 ? 64 : 16;
      const bytes = randomBlocks(dtype, n, 1234);
      const out = new Float32Array(n * DTYPES[dtype].blockElements);
      dequantizeBlocks(bytes, dtype, n, out);
      expect(sha(out)).toBe(hash);
    });
  }

  it('chunked equals one-shot for every chunk size, at any byte alignment of the input', () => {
    for (const dtype of ['Q4_K', 'Q8_0', 'Q6_K', 'Q5_1', 'F16', 'BF16', 'F32'] as DType[]) {
      const { blockBytes, blockElements } = DTYPES[dtype];
      const n = 12;
      const bytes = dtype.startsWith('Q') ? randomBlocks(dtype, n, 3) : new Uint8Array(new Float32Array(randomFloats(n * blockBytes / 4 + 1, 3)).buffer).subarray(0, n * blockBytes);
      const whole = new Float32Array(n * blockElements);
      dequantizeBlocks(bytes, dtype, n, whole);
      const shifted = new Uint8Array(bytes.length + 3);
      shifted.set(bytes, 3);
      for (let chunk = 1; chunk <= n; chunk++) {
        const out = new Float32Array(n * blockElements);
        for (let b = 0; b < n; b += chunk) {
          const k = Math.min(chunk, n - b);
          dequantizeBlocks(shifted.subarray(3 + b * blockBytes, 3 + (b + k) * blockBytes), dtype, k, out, b * blockElements);
        }
        expect(sha(out), `${dtype} chunk ${chunk}`).toBe(sha(whole));
      }
    }
  });

  it('decodes every type it lists as decodable', () => {
    for (const dtype of DEQUANTIZABLE) {
      expect(canDequantize(dtype)).toBe(true);
      const { blockBytes, blockElements } = DTYPES[dtype];
      const out = new Float32Array(2 * blockElements).fill(NaN);
      dequantizeBlocks(dtype.startsWith('F') || dtype === 'BF16' ? new Uint8Array(2 * blockBytes) : randomBlocks(dtype, 2, 9), dtype, 2, out);
      expect(out.every((v) => Number.isFinite(v)), dtype).toBe(true);
    }
  });

  it('reports the types it does not decode and rejects short buffers', () => {
    for (const dtype of ['IQ2_XXS', 'IQ2_XS', 'IQ3_XXS', 'IQ1_S', 'IQ3_S', 'IQ2_S', 'IQ1_M', 'Q8_1', 'I8'] as DType[]) {
      expect(canDequantize(dtype)).toBe(false);
      expect(() => dequantizeBlocks(new Uint8Array(1024), dtype, 1, new Float32Array(256))).toThrowError(expect.objectContaining({ code: 'unsupported_dtype' }) as Error);
    }
    expect(() => dequantizeBlocks(new Uint8Array(33), 'Q8_0', 1, new Float32Array(32))).toThrowError(expect.objectContaining({ code: 'internal_error' }) as Error);
    expect(() => dequantizeBlocks(new Uint8Array(34), 'Q8_0', 1, new Float32Array(31))).toThrowError(expect.objectContaining({ code: 'internal_error' }) as Error);
    expect(() => dequantize(new Uint8Array(35), 'Q8_0')).toThrowError(expect.objectContaining({ code: 'internal_error' }) as Error);
  });
});

describe("reference quantizers against ggml's quantize_row_*_ref", () => {
  const GOLDEN: ReadonlyArray<[DType, string]> = [
    ['Q8_0', '0f89688915f5938162f339ea1dd3ab58f491b0a46317e2d45e488367c1efdca1'],
    ['Q4_0', '3655f1ae9f0aa2638f6abe6d89d6cb9263501090709d60015bd278a1be8586c7'],
    ['Q4_1', '43fb2c475f7bab7ed5beeda1338799739979ff95634a7e1b8736bc351bd0f768'],
    ['Q5_0', '3713dfe3053d2de625a0b68a01b197a87fe7de61f883478288c38b0b0f882819'],
    ['Q5_1', 'bc81c7bba9d2a97712aa9c6842f29e71ca77ffbd161b314756a5b7b99993b34b'],
  ];
  for (const [dtype, hash] of GOLDEN) {
    it(`${dtype}: produces ggml's exact bytes (incl. all-zero, tie and outlier blocks)`, () => {
      expect(sha(quantizeReference(dtype, quantizerTestInput(99)))).toBe(hash);
    });
  }

  it('Q8_0 known answer: ramp −16…15 → d = 16/127, ties rounded away from zero', () => {
    const x = Float32Array.from({ length: 32 }, (_, j) => j - 16);
    const q = quantizeQ8_0(x);
    expect([q[0], q[1]]).toEqual(h(16 / 127));
    const qs = Array.from(new Int8Array(q.buffer, 2, 32));
    expect(qs[0]).toBe(-127);
    expect(qs[8]).toBe(-64); // −8·127/16 = −63.5 → −64 (roundf), not −63
    expect(qs[16]).toBe(0);
    expect(qs[24]).toBe(64); // 63.5 → 64
  });

  it('Q4_0 known answer: scale from the signed value of largest magnitude, clamp at 15', () => {
    const x = new Float32Array(32);
    x[0] = 8;
    x[1] = -8;
    x[2] = 3;
    const q = quantizeQ4_0(x);
    expect([q[0], q[1]]).toEqual(h(-1)); // d = max / −8
    expect((q[2] as number) & 0xf).toBe(0); // 8 → −8 + 8 = 0
    expect((q[3] as number) & 0xf).toBe(15); // −8 → 16, clamped to 15 (decodes to −7)
    expect((q[4] as number) & 0xf).toBe(5); // 3 → −3 + 8
    expect(dequantize(q, 'Q4_0')[1]).toBe(-7);
  });

  // Round-to-nearest: half a step, plus the f16 rounding of the stored scale (and min) over the
  // range — relative 2^-11 for normal f16, absolute 2^-25 per step for subnormal scales (tiny blocks).
  const F16_SLACK = (a: number): number => a * 2 ** -10 + 2 ** -17;
  const bound: Record<'Q8_0' | 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1', (d: number, absmax: number) => number> = {
    Q8_0: (d, a) => 0.5 * d + F16_SLACK(a),
    Q5_1: (d, a) => 0.5 * d + 2 * F16_SLACK(a),
    Q4_1: (d, a) => 0.5 * d + 2 * F16_SLACK(a),
    // Symmetric types put the scale's sign on the largest value: its opposite end is clamped a full step.
    Q4_0: (d, a) => d + F16_SLACK(a),
    Q5_0: (d, a) => d + F16_SLACK(a),
  };
  const scaleOf = (dtype: keyof typeof bound, q: Uint8Array, block: number): number => {
    const size = DTYPES[dtype].blockBytes;
    return Math.abs(f16BitsToF32((q[block * size] as number) | ((q[block * size + 1] as number) << 8)));
  };
  for (const dtype of Object.keys(bound) as Array<keyof typeof bound>) {
    it(`${dtype}: quantize → dequantize stays within its error bound`, () => {
      const x = randomFloats(32 * 256, 77);
      const q = quantizeReference(dtype, x);
      const y = dequantize(q, dtype);
      for (let b = 0; b < 256; b++) {
        let absmax = 0;
        for (let j = 0; j < 32; j++) absmax = Math.max(absmax, Math.abs(x[b * 32 + j] as number));
        const limit = bound[dtype](scaleOf(dtype, q, b), absmax);
        for (let j = 0; j < 32; j++) {
          const i = b * 32 + j;
          expect(Math.abs((x[i] as number) - (y[i] as number)), `${dtype} block ${b} element ${j}`).toBeLessThanOrEqual(limit);
        }
      }
    });
  }

  it('quantizing already-quantized Q8_0 values reproduces the same bytes (idempotent on the grid)', () => {
    const q = quantizeQ8_0(randomFloats(32 * 32, 8));
    expect(quantizeQ8_0(dequantize(q, 'Q8_0'))).toEqual(q);
  });

  it('rejects inputs that are not whole blocks and types without a reference quantizer', () => {
    expect(() => quantizeQ4_1(new Float32Array(31))).toThrowError(expect.objectContaining({ code: 'internal_error' }) as Error);
    expect(() => quantizeReference('Q4_K', new Float32Array(256))).toThrowError(expect.objectContaining({ code: 'unsupported_dtype' }) as Error);
    expect(quantizeQ5_0(new Float32Array(64)).length).toBe(44);
    expect(quantizeQ5_1(new Float32Array(64)).length).toBe(48);
    expect(quantizeQ4_0(new Float32Array(0)).length).toBe(0);
    expect(seededRandom(1)()).toBe(seededRandom(1)());
  });
});
