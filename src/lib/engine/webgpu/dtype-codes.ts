/**
 * Dtype codes shared with shaders/decode-common.wgsl (the `DT_*` constants there). Codes from
 * `I32` up are "wide": their values do not all fit binary32, so the kernels work on exact binary64
 * bit patterns for them.
 */
import type { DType } from '../../formats/dtype.ts';

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
};

/** First wide code (DT_I32 in WGSL). */
export const FIRST_WIDE_CODE = 11;

/** The kernel code of `dtype`, or undefined when the kernels do not decode it. */
export function gpuDtypeCode(dtype: DType): number | undefined {
  return CODES[dtype];
}

export function isWideCode(code: number): boolean {
  return code >= FIRST_WIDE_CODE;
}
