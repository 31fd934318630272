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
