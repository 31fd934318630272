/**
 * Element types, format-neutral. Names follow safetensors (`F32`, `BF16`, …); quantized block
 * types follow GGUF/ggml names (`Q8_0`, `Q4_K`, …) and are added by the GGUF reader.
 *
 * Sizes are expressed per *block* so that sub-byte and block-quantized types fit the same
 * arithmetic: a tensor of n elements occupies n / blockElements × blockBytes bytes.
 */

export type FloatDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2' | 'F8_E8M0' | 'F6_E2M3' | 'F6_E3M2' | 'F4';
export type IntDType = 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';
export type QuantDType =
  | 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1' | 'Q8_0' | 'Q8_1'
  | 'Q2_K' | 'Q3_K' | 'Q4_K' | 'Q5_K' | 'Q6_K' | 'Q8_K'
  | 'IQ2_XXS' | 'IQ2_XS' | 'IQ3_XXS' | 'IQ1_S' | 'IQ4_NL' | 'IQ3_S' | 'IQ2_S' | 'IQ4_XS' | 'IQ1_M'
  | 'TQ1_0' | 'TQ2_0' | 'MXFP4';
export type DType = FloatDType | IntDType | QuantDType | 'C64';

export type DTypeFamily = 'float' | 'int' | 'uint' | 'bool' | 'complex' | 'quant';

export interface DTypeInfo {
  readonly family: DTypeFamily;
  /** Elements per storage block (1 for plain types, 2 for packed 4-bit, 32/256 for quant blocks). */
  readonly blockElements: number;
  /** Bytes per storage block. */
  readonly blockBytes: number;
  /** Explicit mantissa bits (floats only): the rounding grain used by the precision test. */
  readonly mantissaBits?: number;
  /** Smallest normal exponent (floats only). */
  readonly minExponent?: number;
}

const f = (bytes: number, mantissaBits: number, minExponent: number): DTypeInfo => ({ family: 'float', blockElements: 1, blockBytes: bytes, mantissaBits, minExponent });
const plain = (family: DTypeFamily, bytes: number): DTypeInfo => ({ family, blockElements: 1, blockBytes: bytes });
const q = (blockElements: number, blockBytes: number): DTypeInfo => ({ family: 'quant', blockElements, blockBytes });

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  F64: f(8, 52, -1022),
  F32: f(4, 23, -126),
  F16: f(2, 10, -14),
  BF16: f(2, 7, -126),
  F8_E4M3: f(1, 3, -6),
  F8_E5M2: f(1, 2, -14),
  // E8M0 is an exponent-only scale type (microscaling): no mantissa, no sign.
  F8_E8M0: f(1, 0, -127),
  // Sub-byte floats are stored packed: 4 × 6 bits in 3 bytes, 2 × 4 bits in 1 byte.
  F6_E2M3: { family: 'float', blockElements: 4, blockBytes: 3, mantissaBits: 3, minExponent: 0 },
  F6_E3M2: { family: 'float', blockElements: 4, blockBytes: 3, mantissaBits: 2, minExponent: -2 },
  F4: { family: 'float', blockElements: 2, blockBytes: 1, mantissaBits: 1, minExponent: 0 },
  C64: { family: 'complex', blockElements: 1, blockBytes: 8 },
  I64: plain('int', 8),
  I32: plain('int', 4),
  I16: plain('int', 2),
  I8: plain('int', 1),
  U64: plain('uint', 8),
  U32: plain('uint', 4),
  U16: plain('uint', 2),
  U8: plain('uint', 1),
  BOOL: plain('bool', 1),
  // GGUF/ggml block types (ggml/src/ggml-common.h block structs; QK_K = 256).
  Q4_0: q(32, 18),
  Q4_1: q(32, 20),
  Q5_0: q(32, 22),
  Q5_1: q(32, 24),
  Q8_0: q(32, 34),
  Q8_1: q(32, 36),
  Q2_K: q(256, 84),
  Q3_K: q(256, 110),
  Q4_K: q(256, 144),
  Q5_K: q(256, 176),
  Q6_K: q(256, 210),
  Q8_K: q(256, 292),
  IQ2_XXS: q(256, 66),
  IQ2_XS: q(256, 74),
  IQ3_XXS: q(256, 98),
  IQ1_S: q(256, 50),
  IQ4_NL: q(32, 18),
  IQ3_S: q(256, 110),
  IQ2_S: q(256, 82),
  IQ4_XS: q(256, 136),
  IQ1_M: q(256, 56),
  TQ1_0: q(256, 54),
  TQ2_0: q(256, 66),
  MXFP4: q(32, 17),
};

export function isDType(name: string): name is DType {
  return Object.prototype.hasOwnProperty.call(DTYPES, name);
}

export function dtypeInfo(dtype: DType): DTypeInfo {
  return DTYPES[dtype];
}

/** Bytes per element for plain (1-element-block) types; undefined for packed/quantized ones. */
export function elementBytes(dtype: DType): number | undefined {
  const info = DTYPES[dtype];
  return info.blockElements === 1 ? info.blockBytes : undefined;
}

/**
 * Byte length of `elements` values of `dtype`, overflow-checked in bigint. Returns undefined when
 * the element count is not a whole number of blocks (a malformed tensor).
 */
export function byteLengthOf(dtype: DType, elements: bigint): bigint | undefined {
  const info = DTYPES[dtype];
  const be = BigInt(info.blockElements);
  if (elements % be !== 0n) return undefined;
  return (elements / be) * BigInt(info.blockBytes);
}

/** Product of the dims in bigint: never overflows, callers compare against their caps. */
export function elementCount(shape: readonly (number | bigint)[]): bigint {
  let n = 1n;
  for (const d of shape) n *= BigInt(d);
  return n;
}

/** Rank in the order "more precise first" for floats; used to name the lower-precision side. */
export function floatPrecisionBits(dtype: DType): number | undefined {
  return DTYPES[dtype].mantissaBits;
}
