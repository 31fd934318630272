/**
 * CPU twin of shaders/decode-common.wgsl: raw little-endian element bytes → numbers.
 *
 * Floats up to 32 bits decode exactly into a Float32Array (the GPU decodes the same values from u32
 * words, bit for bit); 64-bit types decode into a Float64Array (I64/U64 beyond 2^53 round). The raw
 * element patterns are kept too (`bits`), because "changed" means "bit pattern differs" when both
 * sides share a dtype, and flipped bits are reported from them.
 */
import type { DType } from '../../formats/dtype.ts';
import { DTYPES } from '../../formats/dtype.ts';
import { SleuthError } from '../../formats/errors.ts';
import { canDequantize, dequantizeBlocks, quantizationSteps } from './dequant.ts';

export interface DecodedChunk {
  dtype: DType;
  count: number;
  /** Decoded values (exact for every float ≤ 32 bits). */
  values: Float32Array | Float64Array;
  /**
   * Raw element bit patterns for ≤ 32-bit types (one entry per element). For 64-bit types,
   * `bits` holds [lo, hi] pairs (length 2 × count).
   */
  bits: Uint32Array | Uint16Array | Uint8Array;
  /**
   * Block-quantized types only: per element, the spacing of the values its block can represent
   * (see dequant.ts `quantizationSteps`); the precision test's tolerance.
   */
  steps?: Float32Array;
}

/** Dtypes the engine decodes (CPU and GPU alike). Others are compared by hash only. */
const DECODABLE: ReadonlySet<DType> = new Set<DType>([
  'F64', 'F32', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0',
  'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL',
]);

export function canDecode(dtype: DType): boolean {
  return DECODABLE.has(dtype) || (DTYPES[dtype].family === 'quant' && canDequantize(dtype));
}

/** Returns an aligned copy when `bytes` cannot back a typed-array view of `align`. */
export function aligned(bytes: Uint8Array, align: number): Uint8Array {
  if (bytes.byteOffset % align === 0) return bytes;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

// ── lookup tables for the small floats ───────────────────────────────────────
let f16Table: Float32Array | undefined;
/** IEEE 754 binary16 → number, exact (subnormals, ±Inf, NaN). */
export function f16ToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m === 0 ? s * Infinity : NaN;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
function halfTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    const u = new Uint32Array(f16Table.buffer);
    for (let h = 0; h < 65536; h++) u[h] = f16BitsToF32Bits(h);
  }
  return f16Table;
}
/** binary16 bits → binary32 bits, exact; keeps NaN payloads (shifted), as the GPU decoder does. */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f;
  let m = h & 0x3ff;
  if (e === 0) {
    if (m === 0) return sign >>> 0;
    // subnormal: normalise
    let exp = -14;
    while ((m & 0x400) === 0) {
      m <<= 1;
      exp--;
    }
    m &= 0x3ff;
    return (sign | ((exp + 127) << 23) | (m << 13)) >>> 0;
  }
  if (e === 31) return (sign | 0x7f800000 | (m << 13)) >>> 0;
  return (sign | ((e - 15 + 127) << 23) | (m << 13)) >>> 0;
}

/** FP8 E4M3 (OCP "FN" variant used by PyTorch float8_e4m3fn): no infinities, S.1111.111 is NaN. */
export function e4m3ToNumber(b: number): number {
  const s = b & 0x80 ? -1 : 1;
  const e = (b >>> 3) & 0xf;
  const m = b & 7;
  if (e === 15 && m === 7) return NaN;
  if (e === 0) return s * m * 2 ** -9;
  return s * (1 + m / 8) * 2 ** (e - 7);
}
/** FP8 E5M2 (IEEE-like: infinities and NaNs). */
export function e5m2ToNumber(b: number): number {
  return f16ToNumber(b << 8);
}
/** FP8 E8M0 (microscaling scale): 2^(e-127), 0xFF is NaN. */
export function e8m0ToNumber(b: number): number {
  return b === 0xff ? NaN : 2 ** (b - 127);
}
const byteTables = new Map<DType, Float32Array>();
function byteTable(dtype: 'F8_E4M3' | 'F8_E5M2' | 'F8_E8M0'): Float32Array {
  let t = byteTables.get(dtype);
  if (!t) {
    t = new Float32Array(256);
    const fn = dtype === 'F8_E4M3' ? e4m3ToNumber : dtype === 'F8_E5M2' ? e5m2ToNumber : e8m0ToNumber;
    for (let i = 0; i < 256; i++) t[i] = fn(i);
    byteTables.set(dtype, t);
  }
  return t;
}

/**
 * Decodes `count` elements of `dtype` from `bytes` (exactly count × element size bytes).
 * `scratch` buffers are reused across chunks to keep allocation flat.
 */
export function decodeChunk(bytes: Uint8Array, dtype: DType, count: number, scratch?: Float32Array): DecodedChunk {
  const info = DTYPES[dtype];
  // Reuse the caller's scratch for decoded values when it is large enough (no allocation per chunk).
  const f32 = (): Float32Array => (scratch && scratch.length >= count ? scratch.subarray(0, count) : new Float32Array(count));
  if (info.family === 'quant' && canDequantize(dtype)) {
    const blocks = count / info.blockElements;
    if (!Number.isInteger(blocks) || bytes.byteLength !== blocks * info.blockBytes) {
      throw new SleuthError('internal_error', `decodeChunk: ${bytes.byteLength} bytes for ${count} × ${dtype}`);
    }
    const values = f32();
    const steps = new Float32Array(count);
    dequantizeBlocks(bytes, dtype, blocks, values);
    quantizationSteps(bytes, dtype, blocks, steps);
    return { dtype, count, values, bits: new Uint8Array(0), steps };
  }
  if (info.blockElements !== 1 || !canDecode(dtype)) {
    throw new SleuthError('unsupported_dtype', `The engine does not decode ${dtype} tensors; they are compared by hash only`);
  }
  const size = info.blockBytes;
  if (bytes.byteLength !== count * size) {
    throw new SleuthError('internal_error', `decodeChunk: ${bytes.byteLength} bytes for ${count} × ${dtype}`);
  }
  const src = aligned(bytes, size >= 4 ? 4 : size);
  switch (dtype) {
    case 'F32': {
      const bits = new Uint32Array(src.buffer, src.byteOffset, count);
      return { dtype, count, bits, values: new Float32Array(src.buffer, src.byteOffset, count) };
    }
    case 'BF16': {
      const bits = new Uint16Array(src.buffer, src.byteOffset, count);
      const values = f32();
      const u = new Uint32Array(values.buffer, values.byteOffset, count);
      for (let i = 0; i < count; i++) u[i] = (bits[i] as number) << 16;
      return { dtype, count, bits, values };
    }
    case 'F16': {
      const bits = new Uint16Array(src.buffer, src.byteOffset, count);
      const table = halfTable();
      const values = f32();
      for (let i = 0; i < count; i++) values[i] = table[bits[i] as number] as number;
      return { dtype, count, bits, values };
    }
    case 'F8_E4M3':
    case 'F8_E5M2':
    case 'F8_E8M0': {
      const table = byteTable(dtype);
      const values = f32();
      for (let i = 0; i < count; i++) values[i] = table[src[i] as number] as number;
      return { dtype, count, bits: src, values };
    }
    case 'I8': {
      const v = new Int8Array(src.buffer, src.byteOffset, count);
      return { dtype, count, bits: src, values: Float32Array.from(v) };
    }
    case 'U8':
    case 'BOOL':
      return { dtype, count, bits: src, values: Float32Array.from(src) };
    case 'I16': {
      const bits = new Uint16Array(src.buffer, src.byteOffset, count);
      return { dtype, count, bits, values: Float32Array.from(new Int16Array(src.buffer, src.byteOffset, count)) };
    }
    case 'U16': {
      const bits = new Uint16Array(src.buffer, src.byteOffset, count);
      return { dtype, count, bits, values: Float32Array.from(bits) };
    }
    case 'I32': {
      const bits = new Uint32Array(src.buffer, src.byteOffset, count);
      // f64: every int32 is exact there (f32 would round above 2^24).
      return { dtype, count, bits, values: Float64Array.from(new Int32Array(src.buffer, src.byteOffset, count)) };
    }
    case 'U32': {
      const bits = new Uint32Array(src.buffer, src.byteOffset, count);
      return { dtype, count, bits, values: Float64Array.from(bits) };
    }
    case 'F64': {
      const bits = new Uint32Array(src.buffer, src.byteOffset, count * 2);
      return { dtype, count, bits, values: new Float64Array(src.buffer, src.byteOffset, count) };
    }
    case 'I64':
    case 'U64': {
      const bits = new Uint32Array(src.buffer, src.byteOffset, count * 2);
      const values = new Float64Array(count);
      const signed = dtype === 'I64';
      for (let i = 0; i < count; i++) {
        const lo = bits[2 * i] as number;
        const hi = bits[2 * i + 1] as number;
        values[i] = signed ? (hi | 0) * 4294967296 + lo : hi * 4294967296 + lo;
      }
      return { dtype, count, bits, values };
    }
    default:
      throw new SleuthError('unsupported_dtype', `The engine does not decode ${dtype} tensors; they are compared by hash only`);
  }
}

/** Raw bit pattern of element i as a bigint (for flipped-bit reports). */
export function elementBits(chunk: DecodedChunk, i: number): bigint {
  const size = DTYPES[chunk.dtype].blockBytes;
  if (size === 8) {
    const b = chunk.bits as Uint32Array;
    return (BigInt(b[2 * i + 1] as number) << 32n) | BigInt(b[2 * i] as number);
  }
  return BigInt(chunk.bits[i] as number);
}

/** Bit positions (0 = LSB) where two patterns differ. */
export function flippedBits(a: bigint, b: bigint): number[] {
  const out: number[] = [];
  let x = a ^ b;
  let bit = 0;
  while (x > 0n) {
    if (x & 1n) out.push(bit);
    x >>= 1n;
    bit++;
  }
  return out;
}
