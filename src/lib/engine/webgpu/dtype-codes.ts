/**
 * Dtype codes shared with shaders/decode-common.wgsl and shaders/quant-common.wgsl (the `DT_*`
 * constants there). Codes `I32`…`U64` are "wide": their values do not all fit binary32, so the
 * kernels work on exact binary64 bit patterns for them. Codes from 16 up are ggml's block-quantized
 * types, decoded element by element in quant-common.wgsl (Q8_K, with an f32 scale, stays on the CPU
 * twin; the IQ1/IQ2/IQ3 lattice types are not decoded at all).
 */
import type { DType } from '../../formats/dtype.ts';
import { SleuthError } from '../../formats/errors.ts';

const CODES: Partial<Record<DType, number>> = {
  F32: 0,
  F16: 1,
  BF16: 2,
  F8_E4M3: 3,
  F8_E5M2: 4,
  F8_E8M0: 5,
  I8: 6,
  U8: 7,
  BOOL: 8,
  I16: 9,
  U16: 10,
  I32: 11,
  U32: 12,
  F64: 13,
  I64: 14,
  U64: 15,
  Q4_0: 16,
  Q4_1: 17,
  Q5_0: 18,
  Q5_1: 19,
  Q8_0: 20,
  Q2_K: 21,
  Q3_K: 22,
  Q4_K: 23,
  Q5_K: 24,
  Q6_K: 25,
  IQ4_NL: 26,
  IQ4_XS: 27,
  MXFP4: 28,
  TQ1_0: 29,
  TQ2_0: 30,
};

/** Wide codes: DT_I32 … DT_U64 in WGSL. */
export const FIRST_WIDE_CODE = 11;
export const LAST_WIDE_CODE = 15;
/** First block-quantized code (DT_Q4_0 in WGSL). */
export const FIRST_QUANT_CODE = 16;

/** The kernel code of `dtype`, or undefined when the kernels do not decode it. */
export function gpuDtypeCode(dtype: DType): number | undefined {
  return CODES[dtype];
}

export function isWideCode(code: number): boolean {
  return code >= FIRST_WIDE_CODE && code <= LAST_WIDE_CODE;
}

export function isQuantCode(code: number): boolean {
  return code >= FIRST_QUANT_CODE;
}

/**
 * The dtype name of a quantized code: the suffix of its decoders in quant-common.wgsl
 * (`groupQ4_K`, `valueQ4_K`).
 */
export function quantCodeName(code: number): string {
  const name = (Object.keys(CODES) as DType[]).find((d) => CODES[d] === code);
  if (name === undefined || !isQuantCode(code)) throw new SleuthError('internal_error', `No quantized dtype has kernel code ${code}`);
  return name;
}
