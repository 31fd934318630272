/**
 * The ggml tensor type ids a GGUF tensor info may name (ggml/include/ggml.h `enum ggml_type`), with
 * their block geometry (ggml/src/ggml-common.h block structs; QK_K = 256).
 *
 * Three kinds of id:
 * - defined and known to Model Sleuth: mapped to a `DType` (sizes come from ./dtype.ts);
 * - defined by current ggml but newer than Model Sleuth's `DType` (NVFP4, Q1_0, Q2_0): the reader
 *   still validates their sizes, and the manifest step reports `gguf_unsupported_type`;
 * - removed from GGUF (Q4_2, Q4_3, the repacked Q4_0_4_4… and IQ4_NL_4_4… ids) or never defined:
 *   `gguf_unknown_type`, as in llama.cpp (`type < 0 || type >= GGML_TYPE_COUNT` plus a block size
 *   of 0 for the removed ones).
 */
import { DTYPES, type DType } from '../dtype.ts';

export interface GgmlTypeInfo {
  readonly id: number;
  /** ggml's name (`ggml_type_name`), e.g. "q4_K" is spelled here as the DType name "Q4_K". */
  readonly name: string;
  readonly blockElements: number;
  readonly blockBytes: number;
  /** Undefined for types ggml defines but Model Sleuth's DType does not (yet). */
  readonly dtype: DType | undefined;
}

const known = (id: number, dtype: DType): GgmlTypeInfo => ({
  id,
  name: dtype,
  blockElements: DTYPES[dtype].blockElements,
  blockBytes: DTYPES[dtype].blockBytes,
  dtype,
});
const newer = (id: number, name: string, blockElements: number, blockBytes: number): GgmlTypeInfo => ({ id, name, blockElements, blockBytes, dtype: undefined });

const TYPES: readonly GgmlTypeInfo[] = [
  known(0, 'F32'),
  known(1, 'F16'),
  known(2, 'Q4_0'),
  known(3, 'Q4_1'),
  known(6, 'Q5_0'),
  known(7, 'Q5_1'),
  known(8, 'Q8_0'),
  known(9, 'Q8_1'),
  known(10, 'Q2_K'),
  known(11, 'Q3_K'),
  known(12, 'Q4_K'),
  known(13, 'Q5_K'),
  known(14, 'Q6_K'),
  known(15, 'Q8_K'),
  known(16, 'IQ2_XXS'),
  known(17, 'IQ2_XS'),
  known(18, 'IQ3_XXS'),
  known(19, 'IQ1_S'),
  known(20, 'IQ4_NL'),
  known(21, 'IQ3_S'),
  known(22, 'IQ2_S'),
  known(23, 'IQ4_XS'),
  known(24, 'I8'),
  known(25, 'I16'),
  known(26, 'I32'),
  known(27, 'I64'),
  known(28, 'F64'),
  known(29, 'IQ1_M'),
  known(30, 'BF16'),
  known(34, 'TQ1_0'),
  known(35, 'TQ2_0'),
  known(39, 'MXFP4'),
  // block_nvfp4: 4 UE4M3 sub-block scales + 32 bytes of packed E2M1 for 64 elements.
  newer(40, 'NVFP4', 64, 36),
  // block_q1_0: f16 d + 128 sign bits; block_q2_0: f16 d + 64 × 2 bits.
  newer(41, 'Q1_0', 128, 18),
  newer(42, 'Q2_0', 64, 18),
];

/** Ids ggml once defined and has since removed from GGUF files (kept for a precise message). */
const REMOVED: ReadonlyMap<number, string> = new Map([
  [4, 'Q4_2'],
  [5, 'Q4_3'],
  [31, 'Q4_0_4_4'],
  [32, 'Q4_0_4_8'],
  [33, 'Q4_0_8_8'],
  [36, 'IQ4_NL_4_4'],
  [37, 'IQ4_NL_4_8'],
  [38, 'IQ4_NL_8_8'],
]);

const BY_ID: ReadonlyMap<number, GgmlTypeInfo> = new Map(TYPES.map((t) => [t.id, t]));
const BY_DTYPE: ReadonlyMap<DType, GgmlTypeInfo> = new Map(TYPES.flatMap((t) => (t.dtype === undefined ? [] : [[t.dtype, t] as const])));

/** ggml's GGML_TYPE_COUNT for the newest ids listed above. */
export const GGML_TYPE_COUNT = 43;

export function ggmlType(id: number): GgmlTypeInfo | undefined {
  return BY_ID.get(id);
}

/** Name of an id ggml removed from GGUF (Q4_2, Q4_0_4_4 …), for error messages. */
export function removedGgmlTypeName(id: number): string | undefined {
  return REMOVED.get(id);
}

/** The ggml type id that stores a DType, when GGUF can hold it. */
export function ggmlTypeIdOf(dtype: DType): number | undefined {
  return BY_DTYPE.get(dtype)?.id;
}

export function allGgmlTypes(): readonly GgmlTypeInfo[] {
  return TYPES;
}
