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

/** Tensors in one file. Threat: memory and time spent on a header of tiny entries (a 64 MB
 *  safetensors header holds 10^6: ~8 s and > 1 GB to parse, past the CLI worker's heap cap), huge
 *  result arrays. Largest real: ~20k tensors in one big MoE shard; a 235B-parameter MoE saved as
 *  one file would hold ~37k. The safetensors header parse stops at the first entry past it. */
export const MAX_TENSORS_PER_FILE = 65_536;

/** Tensors in one model (all its files, or its index's weight_map). Threat: the same as above,
 *  spread over many shards or a huge index (10^6 entries: 5.8 s and 684 MiB in the CLI). Largest
 *  real: DeepSeek-V3's FP8 index, ~91k entries (experts × weights and their scales). */
export const MAX_TENSORS_PER_MODEL = 262_144;

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

/** Bytes of a strided (non-contiguous) tensor view gathered into row-major order in memory.
 *  Threat: a hostile view spanning a huge storage. Real strided tensors are rare (transposed
 *  weights saved without .contiguous()); 256 MiB covers a transposed 8192 × 16384 F16 matrix. */
export const MAX_GATHER_BYTES = 256 * 1024 * 1024;

/** Files in one dropped folder or CLI path. Threat: a folder bomb of millions of files. Largest
 *  real: ~200 shards + sidecars. */
export const MAX_FILES_PER_MODEL = 10_000;

// ── GGUF ──────────────────────────────────────────────────────────────────
// llama.cpp's hardened reader (ggml/src/gguf.cpp) caps strings and arrays at 2^30 each and checks
// every count against the bytes left; these caps are tighter where real files allow it, and every
// count is *also* checked against the bytes remaining before anything is allocated.

/** Bytes of a metadata key. Threat: memory blow-up in every table that shows keys. The spec caps
 *  keys at 65,535 bytes; real keys are < 100 bytes ("tokenizer.ggml.add_space_prefix"). */
export const MAX_GGUF_KEY_BYTES = 65_535;

/** Bytes of one metadata string. Threat: a declared multi-GB string (CWE-770; llama.cpp caps at
 *  1 GiB). Largest real: a whole tokenizer.json embedded as `tokenizer.huggingface.json` for a
 *  256k-token vocabulary (≈ 34 MB); chat templates stay under 100 kB. */
export const MAX_GGUF_STRING_BYTES = 128 * 1024 * 1024;

/** Elements of one metadata array. Threat: CPU and memory from a hostile count (CWE-770).
 *  Largest real: `tokenizer.ggml.tokens` of 262,144 entries (Gemma 3) and BPE merge lists of a few
 *  hundred thousand entries. */
export const MAX_GGUF_ARRAY_LENGTH = 16 * 1024 * 1024;

/** Nesting depth of metadata arrays (an array of arrays is depth 2). Threat: recursion and
 *  allocation amplification by deep nesting. The spec allows nested arrays; llama.cpp rejects
 *  them outright and no real file uses them. */
export const MAX_GGUF_ARRAY_DEPTH = 3;

/** Metadata key-value pairs. Threat: quadratic duplicate checks / huge maps. Largest real: a
 *  few dozen keys (≈ 40 in current llama.cpp conversions, a few hundred with per-layer arrays). */
export const MAX_GGUF_KV_COUNT = 65_536;

/** Tensor infos in one GGUF file (checked on the declared count, before any is read). Threat: huge
 *  result arrays and quadratic checks. Largest real: a few thousand per file (DeepSeek-V3/R1
 *  splits, Mixtral-style MoE with per-layer experts). Same cap as any other file. */
export const MAX_GGUF_TENSORS = MAX_TENSORS_PER_FILE;

/** Bytes of the whole header (key-values + tensor infos), read before the data section. Threat:
 *  memory exhaustion by millions of strings each within its own cap. Largest real: ≈ 20 MB for
 *  256k-token vocabularies with merges and scores. */
export const MAX_GGUF_HEADER_BYTES = 512 * 1024 * 1024;

/** Bytes of a tensor name. The spec caps names at 64 bytes (ggml's GGML_MAX_NAME is 64 including
 *  the terminating NUL, so llama.cpp itself accepts ≤ 63). Real names are < 50 bytes
 *  ("blk.60.ffn_down_exps.weight"). */
export const MAX_GGUF_TENSOR_NAME_BYTES = 64;

/** Dimensions of a GGUF tensor: GGML_MAX_DIMS = 4 (spec: "currently at most 4"). */
export const MAX_GGUF_DIMS = 4;

// ── ZIP, pickle, PyTorch, NumPy ─────────────────────────────────────────────
// A torch.save zip holds one member per storage; its data.pkl grows ~150 bytes per tensor. Caps
// below are sized so that a 100k-tensor checkpoint (the largest MoE shards) passes with room.

/** Tail bytes searched for the end-of-central-directory record: the 22-byte record plus the
 *  largest comment the 16-bit length allows (APPNOTE 4.3.16). Threat: an unbounded backward scan. */
export const MAX_ZIP_EOCD_SEARCH_BYTES = 22 + 65_535;

/** Members in one archive. Threat: huge entry arrays and O(n log n) overlap checks driven by a
 *  forged ZIP64 count (CWE-770). Largest real: ~100k storages in a whole-model torch.save of a
 *  large MoE; .npz files hold tens to thousands of arrays. */
export const MAX_ZIP_ENTRIES = 1_000_000;

/** Bytes of the central directory. Threat: memory from a forged 64-bit size. Each record is 46
 *  bytes plus its name (~30 for "archive/data/12345"), so 1M members need ~80 MB. */
export const MAX_ZIP_CENTRAL_DIRECTORY_BYTES = 256 * 1024 * 1024;

/** Members at most this large (uncompressed) get their CRC-32 checked by default while the
 *  directory is read (data.pkl, byteorder, version, small storages). Larger storages are checked
 *  only on request (`crc: 'all'`), since that means reading the whole checkpoint. */
export const ZIP_CRC_CHECK_DEFAULT_BYTES = 1024 * 1024;

/** Bytes a deflated member may inflate to when it is read whole (data.pkl of a TorchScript
 *  archive, an .npz header, a compressed data.pkl). Threat: a decompression bomb (CWE-409).
 *  Largest real: a data.pkl of ~20 MB for 100k tensors. */
export const MAX_ZIP_INFLATE_BYTES = 256 * 1024 * 1024;

/** Opcodes executed by the symbolic pickle reader. Threat: CPU exhaustion. Every opcode is at
 *  least one byte, so this also bounds a pickle to ~64 MB of opcodes (bulk bytes do not count).
 *  Largest real: ~5M opcodes for a 20 MB data.pkl. */
export const MAX_PICKLE_OPCODES = 64_000_000;

/** Values on the pickle stack. Threat: memory by pushing without popping. Largest real: a
 *  protocol-0/1 LIST or TUPLE of a few hundred thousand scalars (protocol ≥ 2 batches by 1000). */
export const MAX_PICKLE_STACK = 1_000_000;

/** Unclosed MARKs. Threat: a MARK bomb (millions of "(" bytes) growing the mark stack. Real
 *  pickles nest MARKs as deep as their data nests: a few dozen. */
export const MAX_PICKLE_MARK_DEPTH = 10_000;

/** Memo entries. Threat: a memo bomb (PUT/MEMOIZE in a loop). Real torch pickles memoize ~8
 *  objects per tensor: 800k for a 100k-tensor state dict. */
export const MAX_PICKLE_MEMO_ENTRIES = 4_000_000;

/** Memo entries stored at non-sequential indices. CPython's pickler always memoizes 0, 1, 2, …
 *  (stored densely here, 8 bytes each); scattered indices need a map entry each (~80 bytes), so a
 *  memo bomb of LONG_BINPUTs at random indices is capped much lower. Real pickles use none. */
export const MAX_PICKLE_SPARSE_MEMO = 65_536;

/** Elements held in pickle containers (list/tuple/dict/set slots, call arguments). Threat: memory
 *  exhaustion by a pickle that appends millions of values to one list (each slot and value costs
 *  tens of bytes here). Largest real: ~20 per tensor in a torch data.pkl, 2M for 100k tensors. */
export const MAX_PICKLE_ITEMS = 8_000_000;

/** GLOBAL/STACK_GLOBAL/INST occurrences listed one by one (all are still counted and checked). Threat:
 *  memory by millions of imports. Real pickles import a handful of distinct globals, memoized. */
export const MAX_PICKLE_GLOBALS_LISTED = 100_000;

/** Bytes of one str/bytes value kept in memory. Longer values are skipped over (their length and
 *  offset recorded), never allocated: a pickle may inline arrays of hundreds of MB. Keys, module
 *  and class names are < 1 KB in real files. */
export const MAX_PICKLE_KEPT_BYTES = 1024 * 1024;

/** Digits of a protocol-0 decimal integer, bytes of a LONG1/LONG4 integer converted to a number.
 *  Threat: quadratic big-integer parsing (CPython caps int↔str at 4300 digits for the same
 *  reason, CVE-2020-10735). Larger integers become opaque values. The torch magic is 10 bytes. */
export const MAX_PICKLE_INT_DIGITS = 4300;

/** Depth followed when walking the unpickled value for tensors and their dotted names. Threat:
 *  stack exhaustion by deep nesting. Real state dicts nest < 10 (optimizer states ~6). */
export const MAX_PICKLE_WALK_DEPTH = 512;

/** Nodes visited when walking the unpickled value (shared references are walked per path, so a
 *  DAG of memo references could otherwise be exponential). Threat: billion-laughs-style CPU
 *  exhaustion. Largest real: a few million nodes for optimizer states of 100k tensors. */
export const MAX_PICKLE_WALK_NODES = 20_000_000;

/** Concatenated pickles read from one stream (legacy torch.save writes 5). Threat: CPU on a file
 *  made of millions of tiny pickles. */
export const MAX_PICKLES_PER_STREAM = 1000;

/** Bytes of a .npy header. numpy itself refuses headers over 10,000 bytes unless told otherwise
 *  (format.py `_MAX_HEADER_SIZE`); structured dtypes with many fields need more. Threat: memory
 *  and parse time from a 4 GiB v2 header length. */
export const MAX_NPY_HEADER_BYTES = 1024 * 1024;

/** Nesting of the .npy header literal (structured dtypes nest lists of tuples). Threat: recursion. */
export const MAX_NPY_HEADER_DEPTH = 32;
