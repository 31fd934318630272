/**
 * One error type for everything Model Sleuth reports about its inputs and itself.
 *
 * Every error carries a stable snake_case `code` (scripts and the bad-input corpus match on it),
 * the byte `offset` where the problem was found when there is one, the `file` it concerns, and a
 * message that says what happened, what was expected, and where.
 *
 * `kind` keeps a user's bad file apart from our own bugs: an `input` error is the file's fault
 * (exit code 2 in the CLI, a "could not read" finding in a report); an `internal` error is ours;
 * an `environment` error is the machine's (GPU lost, file vanished, cancelled by the user).
 */

export type ErrorKind = 'input' | 'internal' | 'environment';

/** The catalogue: every code the tool can emit, with its kind and a one-line meaning. */
export const ERROR_CATALOGUE = {
  // ── any file ────────────────────────────────────────────────────────────
  empty_file: ['input', 'The file is empty.'],
  truncated: ['input', 'The file ends before a structure it declares.'],
  git_lfs_pointer: ['input', 'The file is a Git LFS pointer, not the model bytes it points to.'],
  html_page: ['input', 'The file is an HTML page (often a saved download error), not a model.'],
  unknown_format: ['input', 'The bytes match no supported model format.'],
  unsupported_format: ['input', 'The format is recognised but not analysed by this version.'],
  unsupported_dtype: ['input', 'The tensor dtype is recognised but cannot be decoded.'],
  read_failed: ['environment', 'The file could not be read.'],
  file_changed: ['environment', 'The file changed size or content while it was being read.'],
  // ── JSON (headers and sidecar files) ────────────────────────────────────
  json_syntax: ['input', 'The JSON text is malformed.'],
  json_duplicate_key: ['input', 'A JSON object has the same key twice (JSON.parse would silently keep the last).'],
  json_too_deep: ['input', 'The JSON nests deeper than allowed.'],
  json_not_utf8: ['input', 'The JSON text is not valid UTF-8.'],
  json_too_large: ['input', 'The JSON file is larger than allowed.'],
  model_too_many_tensors: ['input', 'The model (its files together, or its index) lists more tensors than allowed.'],
  // ── safetensors ─────────────────────────────────────────────────────────
  safetensors_header_too_small: ['input', 'The file is shorter than the 8-byte header length.'],
  safetensors_header_too_large: ['input', 'The declared header length is over the 100 MB cap.'],
  safetensors_header_length: ['input', 'The declared header length runs past the end of the file.'],
  safetensors_header_start: ['input', 'The header does not start with "{".'],
  safetensors_bad_entry: ['input', 'A header entry is not {dtype, shape, data_offsets}.'],
  safetensors_unknown_dtype: ['input', 'A tensor names a dtype safetensors does not define.'],
  safetensors_bad_shape: ['input', 'A tensor shape is not a list of non-negative integers.'],
  safetensors_bad_offsets: ['input', 'A tensor data_offsets is not a pair [begin, end] with begin <= end.'],
  safetensors_size_overflow: ['input', 'A tensor size (elements x dtype size) overflows.'],
  safetensors_span_mismatch: ['input', 'A tensor byte span does not equal elements x dtype size.'],
  safetensors_offsets_gap: ['input', 'Tensor data leaves a gap (offsets must be contiguous from 0).'],
  safetensors_offsets_overlap: ['input', 'Two tensors overlap in the data section.'],
  safetensors_incomplete_buffer: ['input', 'The data section is longer or shorter than the tensors declare.'],
  safetensors_bad_metadata: ['input', '__metadata__ is not a map of strings to strings.'],
  // ── GGUF (ggml/docs/gguf.md; checks of llama.cpp's hardened ggml/src/gguf.cpp) ──
  gguf_bad_magic: ['input', 'The file does not start with the GGUF magic bytes.'],
  gguf_bad_version: ['input', 'The GGUF version is not 1, 2 or 3.'],
  gguf_big_endian: ['input', 'The GGUF file is big-endian: its header was read but its tensor values are not compared.'],
  gguf_count_too_large: ['input', 'A declared tensor, key-value or array-element count is over its cap.'],
  gguf_string_too_long: ['input', 'A GGUF string is longer than its cap.'],
  gguf_header_too_large: ['input', 'The GGUF header (metadata and tensor infos) is larger than allowed.'],
  gguf_bad_key: ['input', 'A metadata key is empty, too long or not valid UTF-8.'],
  gguf_duplicate_key: ['input', 'A metadata key appears twice (readers disagree on which value wins).'],
  gguf_bad_value_type: ['input', 'A metadata value has a type GGUF does not define.'],
  gguf_bad_value: ['input', 'A metadata value is malformed (a bool that is neither 0 nor 1).'],
  gguf_array_too_deep: ['input', 'Metadata arrays nest deeper than allowed.'],
  gguf_bad_alignment: ['input', 'general.alignment is not a u32 power of two.'],
  gguf_bad_tensor_name: ['input', 'A tensor name is empty, longer than 64 bytes or not valid UTF-8.'],
  gguf_duplicate_tensor: ['input', 'Two tensor infos have the same name.'],
  gguf_bad_dims: ['input', 'A tensor has more than 4 dimensions or a dimension outside int64.'],
  gguf_size_overflow: ['input', 'A tensor element count, byte size or offset overflows int64 or the addressable range.'],
  gguf_unknown_type: ['input', 'A tensor names a ggml type id that is not defined (or was removed from GGUF).'],
  gguf_bad_block: ['input', 'A tensor row length is not a whole number of its type\'s blocks.'],
  gguf_misaligned_offset: ['input', 'A tensor data offset is not a multiple of general.alignment.'],
  gguf_overlap: ['input', 'Two tensors share bytes of the data section.'],
  gguf_unsupported_type: ['input', 'A tensor type is defined by ggml but not known to this version of Model Sleuth.'],
  // ── ZIP containers (PKWARE APPNOTE 6.3.10: EOCD 4.3.16, ZIP64 4.3.14/4.3.15, extra 4.5.3) ──
  zip_no_eocd: ['input', 'No end-of-central-directory record in the last 64 KiB; the file is not a ZIP archive or is truncated.'],
  zip_bad_eocd: ['input', 'The end-of-central-directory record (or its ZIP64 form) is inconsistent.'],
  zip_multi_disk: ['input', 'The archive spans several disks (split/spanned ZIP), which no model writer produces.'],
  zip_bad_central_directory: ['input', 'The central directory is out of range or holds a record with a wrong signature.'],
  zip_too_many_entries: ['input', 'The central directory lists more members than allowed.'],
  zip_central_directory_too_large: ['input', 'The central directory is larger than allowed.'],
  zip_bad_local_header: ['input', 'A member\'s local header is missing, unreadable or out of range.'],
  zip_member_unreadable: ['input', 'A member cannot be read: encrypted, an unsupported compression method, or out of range.'],
  zip_member_too_large: ['input', 'A member inflates to more bytes than allowed (decompression bomb guard).'],
  zip_inflate_failed: ['input', 'A deflate-compressed member is corrupt.'],
  // ── pickle (CPython Lib/pickletools.py opcode table; read symbolically, never executed) ──
  pickle_empty: ['input', 'The pickle stream is empty.'],
  pickle_truncated: ['input', 'The pickle ends inside an opcode or before its STOP.'],
  pickle_unknown_opcode: ['input', 'A byte is not a pickle opcode of any protocol (0-5).'],
  pickle_bad_argument: ['input', 'An opcode argument is malformed (a text line that is not a number, a negative length).'],
  pickle_too_many_opcodes: ['input', 'The pickle executes more opcodes than allowed.'],
  pickle_stack_too_deep: ['input', 'The pickle stack grows beyond the cap.'],
  pickle_mark_too_deep: ['input', 'Unclosed MARKs nest beyond the cap (MARK bomb).'],
  pickle_memo_too_large: ['input', 'The pickle memoizes more objects than allowed (memo bomb).'],
  pickle_too_large: ['input', 'The unpickled value holds more elements, tensors or storages than allowed.'],
  pickle_too_many_pickles: ['input', 'A stream of concatenated pickles holds more pickles than allowed.'],
  // ── PyTorch checkpoints (torch/serialization.py, torch/_utils.py) ────────────
  torch_no_data_pkl: ['input', 'The ZIP archive has no <archive>/data.pkl, so it is not a torch.save or TorchScript file.'],
  torch_missing_storage: ['input', 'A tensor refers to a storage that is not in the file.'],
  torch_storage_compressed: ['input', 'A storage member is compressed, so its tensors cannot be read in place.'],
  torch_storage_too_small: ['input', 'A tensor view reaches past the end of its storage.'],
  torch_bad_tensor: ['input', 'A tensor rebuild call has arguments that are not (storage, offset, size, stride, ...).'],
  torch_unsupported_dtype: ['input', 'A storage or tensor dtype has no equivalent this version can compare.'],
  torch_big_endian: ['input', 'The checkpoint was written on a big-endian machine: its tensor bytes are byte-swapped.'],
  torch_legacy_bad_magic: ['input', 'The file looks like a legacy torch.save stream but its magic number or layout is wrong.'],
  torch_legacy_storage_mismatch: ['input', 'A legacy storage record disagrees with the pickle (element count, order or extent).'],
  torch_scan_incomplete: ['input', 'The checkpoint\'s pickle could not be read to its end; globals after that point are unknown.'],
  // ── NumPy .npy / .npz (numpy/lib/format.py, NEP 1) ─────────────────────────
  npy_bad_magic: ['input', 'The file does not start with the NumPy magic "\\x93NUMPY".'],
  npy_bad_version: ['input', 'The .npy format version is not 1.0, 2.0 or 3.0.'],
  npy_header_too_large: ['input', 'The .npy header is longer than allowed.'],
  npy_header_syntax: ['input', 'The .npy header is not a Python dict literal of the expected form.'],
  npy_header_keys: ['input', 'The .npy header dict does not have exactly the keys descr, fortran_order and shape.'],
  npy_bad_descr: ['input', 'The .npy descr is not a dtype string this reader understands.'],
  npy_bad_shape: ['input', 'The .npy shape is not a tuple of non-negative integers.'],
  npy_truncated_data: ['input', 'The array data runs past the end of the file or member.'],
  npy_big_endian: ['input', 'The array is stored big-endian: its bytes are byte-swapped relative to little-endian copies.'],
  npy_object_array: ['input', 'The array holds Python objects: its payload is a pickle, not numbers.'],
  npy_member_compressed: ['input', 'An .npz member is deflate-compressed: it can be hashed but not streamed in place.'],
  // ── sharded checkpoints ─────────────────────────────────────────────────
  index_bad_weight_map: ['input', 'The index file has no valid weight_map.'],
  index_missing_shard: ['input', 'The index names a shard file that is not present.'],
  index_tensor_missing: ['input', 'The index maps a tensor to a shard that does not contain it.'],
  index_tensor_unlisted: ['input', 'A shard contains a tensor the index does not list.'],
  duplicate_tensor: ['input', 'Two files of one model define a tensor with the same name.'],
  // ── running a job ───────────────────────────────────────────────────────
  cancelled: ['environment', 'The job was cancelled.'],
  worker_failed: ['environment', 'A worker stopped unexpectedly.'],
  gpu_unavailable: ['environment', 'No usable WebGPU adapter.'],
  gpu_device_lost: ['environment', 'The GPU device was lost during the job.'],
  gpu_out_of_memory: ['environment', 'The GPU ran out of memory.'],
  usage: ['input', 'The command line is not valid.'],
  // ── activations (src/lib/activations: forward passes, probes) ────────────
  model_too_large: ['environment', 'Running the model needs more memory than the configured budget allows.'],
  unsupported_architecture: ['input', 'The activation engine cannot run this model architecture or configuration.'],
  tokenizer_unsupported: ['input', 'The tokenizer cannot encode text with this version; give token ids instead.'],
  models_incompatible: ['input', 'The two models cannot be run side by side (architecture, shapes or vocabulary differ).'],
  // ── end activations ──────────────────────────────────────────────────────
  internal_error: ['internal', 'A bug in Model Sleuth.'],
} as const satisfies Record<string, readonly [ErrorKind, string]>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, code);
}

/** Plain-data form of an error: what crosses a worker boundary and what reports store. */
export interface ErrorInfo {
  code: ErrorCode;
  kind: ErrorKind;
  message: string;
  offset?: number;
  file?: string;
}

export class SleuthError extends Error {
  override readonly name = 'SleuthError';
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly offset: number | undefined;
  file: string | undefined;

  constructor(code: ErrorCode, message: string, options: { offset?: number | bigint; file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.kind = ERROR_CATALOGUE[code][0];
    const off = options.offset;
    this.offset = off === undefined ? undefined : typeof off === 'bigint' ? Number(off) : off;
    this.file = options.file;
  }

  toInfo(): ErrorInfo {
    const info: ErrorInfo = { code: this.code, kind: this.kind, message: this.message };
    if (this.offset !== undefined) info.offset = this.offset;
    if (this.file !== undefined) info.file = this.file;
    return info;
  }

  /** "file @ byte N: message" — the one-line form used by the CLI and the UI. */
  describe(): string {
    return describeError(this.toInfo());
  }
}

export function describeError(info: ErrorInfo): string {
  const where = [info.file, info.offset === undefined ? undefined : `byte ${info.offset}`].filter(Boolean).join(' @ ');
  return `${info.code}${where ? ` (${where})` : ''}: ${info.message}`;
}

/** Any thrown value → ErrorInfo; unknown throwables are internal errors (our bug, not the file's). */
export function toErrorInfo(error: unknown, file?: string): ErrorInfo {
  if (error instanceof SleuthError) {
    if (file !== undefined && error.file === undefined) error.file = file;
    return error.toInfo();
  }
  if (isErrorInfo(error)) return file !== undefined && error.file === undefined ? { ...error, file } : error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const info: ErrorInfo = { code: 'internal_error', kind: 'internal', message };
  if (file !== undefined) info.file = file;
  return info;
}

export function isErrorInfo(value: unknown): value is ErrorInfo {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['code'] === 'string' && isErrorCode(v['code']) && typeof v['message'] === 'string';
}

export function fromErrorInfo(info: ErrorInfo): SleuthError {
  const opts: { offset?: number; file?: string } = {};
  if (info.offset !== undefined) opts.offset = info.offset;
  if (info.file !== undefined) opts.file = info.file;
  return new SleuthError(info.code, info.message, opts);
}
