/**
 * GGUF support: header reader, metadata access, tensor-name mapping to Hugging Face names, the
 * Llama Q/K RoPE row permutation, and the manifest step. Dequantization lives in the engine
 * (src/lib/engine/cpu/dequant.ts).
 */
export { parseGguf, sniffGguf, alignUp, GgufStringTable, GGUF_DEFAULT_ALIGNMENT, GGUF_VALUE_TYPES } from './parse-gguf.ts';
export type { GgufFile, ParseGgufOptions, GgufTensorInfo, GgufMetadataEntry, GgufValue, GgufArray, GgufValueType, ByteRange } from './parse-gguf.ts';
export { ggufValue, ggufString, ggufInteger, ggufNumber, ggufArray, ggufStringArray, ggufTokens, ggufArchitecture, describeGgufValue, ggufMetadataSummary } from './metadata.ts';
export { ggufToTensorEntries, mapGgufTensors, ggufRowMajorShape, ROPE_PERMUTED_ARCHITECTURES } from './to-manifest.ts';
export type { GgufMappingReport, GgufTensorMapping, RopePermutationRecord } from './to-manifest.ts';
export { ggufToHfName, hfToGgufName, MAPPED_ARCHITECTURES } from './tensor-names.ts';
export type { HfNameMapping } from './tensor-names.ts';
export { unpermuteRopeRowIndex, permuteRopeRowIndex, unpermuteRopeRows, permuteRopeRows, ropeHeadRows, canPermuteRope } from './rope-permutation.ts';
export { ggmlType, ggmlTypeIdOf, allGgmlTypes, removedGgmlTypeName, GGML_TYPE_COUNT } from './ggml-types.ts';
export type { GgmlTypeInfo } from './ggml-types.ts';
