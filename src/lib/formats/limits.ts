/**
 * Every cap the readers enforce, in one place. Each names the threat it blocks and the largest
 * legitimate value it must still accept, so that tightening one never breaks a real model.
 * A length or count read from a file is checked against its cap *and* against the bytes that
 * remain before anything is allocated (see `checkedLength` in ./bytes.ts).
 */

/** safetensors header JSON. Threat: memory exhaustion from a declared multi-GB header (CWE-770).
 *  Same cap as the reference implementation (safetensors/src/tensor.rs MAX_HEADER_SIZE).
 *  Largest real: ~2 MB headers for 1000+ tensor MoE shards. */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/** JSON nesting depth. Threat: stack exhaustion by deep nesting ([[[[…). Real headers nest 3 deep,
 *  tokenizer.json ~6. */
export const MAX_JSON_DEPTH = 64;

/** Sidecar JSON (config.json, tokenizer.json, index.json …) read whole. Threat: memory exhaustion.
 *  Largest real: tokenizer.json of 256k-vocab models (Gemma) ≈ 34 MB. */
export const MAX_SIDECAR_BYTES = 128 * 1024 * 1024;

/** Dimensions per tensor. Threat: per-dim arrays sized by a hostile count. Real tensors have ≤ 5
 *  dims (conv3d weights); GGUF caps at 4. */
export const MAX_TENSOR_DIMS = 16;

/** Tensors in one file. Threat: quadratic validation / huge result arrays. Largest real: ~20k
 *  tensors in big MoE shards. */
export const MAX_TENSORS_PER_FILE = 1_000_000;

/** Tensor name length in UTF-16 units. Threat: memory blow-up in every table that shows names.
 *  Real names are < 200 characters. */
export const MAX_TENSOR_NAME_LENGTH = 4096;

/** Rows tracked per tensor for row-wise delta norms (dim 0). Threat: a bogus shape[0] of 2^40
 *  allocating a row array. Largest real: 262,144-token vocabularies; tensors with more rows are
 *  tracked in row buckets, never skipped. */
export const MAX_TRACKED_ROWS = 16 * 1024 * 1024;

/** `changedRows` lists at most this many indices (REPORT.md contract). */
export const MAX_CHANGED_ROWS_LISTED = 4096;

/** Top rows / top elements kept per tensor. */
export const TOP_ROWS = 32;
export const TOP_ELEMENTS = 32;

/** Bytes read per chunk when streaming a tensor or a file. Peak memory is a small multiple of it
 *  per worker, whatever the model size. */
export const STREAM_CHUNK_BYTES = 8 * 1024 * 1024;

/** Files in one dropped folder or CLI path. Threat: a folder bomb of millions of files. Largest
 *  real: ~200 shards + sidecars. */
export const MAX_FILES_PER_MODEL = 10_000;
