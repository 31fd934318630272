/**
 * The format-neutral description of a model that every reader produces and everything
 * downstream (pairing, jobs, reports) consumes. Readers fill it from headers only; no tensor
 * payload is read to build it.
 */
import type { DType } from './dtype.ts';
import type { ErrorInfo } from './errors.ts';

export type FileFormat =
  | 'safetensors'
  | 'safetensors-index'
  | 'gguf'
  | 'pytorch-zip'
  | 'pytorch-legacy'
  | 'torchscript'
  | 'pickle'
  | 'npy'
  | 'npz'
  | 'json'
  | 'text'
  | 'unknown';

export type FileRole =
  | 'weights'
  | 'index'
  | 'config'
  | 'generation-config'
  | 'tokenizer'
  | 'tokenizer-config'
  | 'special-tokens'
  | 'chat-template'
  | 'adapter-config'
  | 'adapter-weights'
  | 'code'
  | 'other';

export interface ModelFile {
  path: string;
  size: number;
  format: FileFormat;
  role: FileRole;
  lastModified?: number;
}

/**
 * How a tensor's bytes map to its row-major elements. `contiguous` covers safetensors and most
 * checkpoints; other layouts (GGUF's reversed dims are handled by shape; PyTorch strides) are
 * added by their readers.
 *
 * `strided` (PyTorch views, Fortran-ordered NumPy arrays): element [i0, i1, …] of the row-major
 * `shape` lies at byte `byteOffset + (i0·strides[0] + i1·strides[1] + …) × elementBytes`. Strides
 * are in elements, non-negative (0 for broadcast dims), one per dim. `byteOffset/byteLength` then
 * bound exactly the span of storage the view touches (first to last element it can address), which
 * may include bytes of other tensors when views interleave — compare element-wise, never as a
 * raw span. A view with row-major strides is reported `contiguous` even when its storage is shared.
 */
export type TensorLayout =
  | { kind: 'contiguous'; storage?: StorageRef }
  | {
      kind: 'strided';
      /** Element strides, one per dim of `shape`, relative to `byteOffset`. */
      strides: number[];
      /** Bytes from the start of the storage to element [0, …, 0] (already included in `byteOffset`). */
      storageOffsetBytes: number;
      storage?: StorageRef;
    };

/**
 * The storage a tensor view belongs to, when the format has storages shared by several tensors
 * (PyTorch): tensors with the same `key` in one file view the same bytes.
 */
export interface StorageRef {
  key: string;
  /** Absolute byte range of the whole storage in the file. */
  byteOffset: number;
  byteLength: number;
}

export interface TensorEntry {
  /** Canonical name used for pairing (Hugging Face style). */
  name: string;
  /** Name as stored in the file, when it differs. */
  storedName?: string;
  /** Relative path of the file holding the bytes. */
  file: string;
  dtype: DType;
  /** Row-major (PyTorch/NumPy) order. */
  shape: number[];
  /** Absolute byte offset of the first byte in `file`. */
  byteOffset: number;
  byteLength: number;
  layout: TensorLayout;
  /**
   * What a converter did to the values on the way from the Hugging Face original, so a comparison
   * can undo it (GGUF: Llama q/k rows RoPE-permuted; GPT-2 Conv1D transposed; Gemma norms + 1).
   */
  transform?: TensorTransform;
}

export interface TensorTransform {
  /** Rows (dim 0) are in llama.cpp's interleaved RoPE order: HF row order is restored per head. */
  ropeRows?: { nHead: number; rows: number; headRows: number };
  /** Stored as the transpose of the HF tensor. */
  transposed?: boolean;
  /** Stored value = HF value + valueShift. */
  valueShift?: number;
  /** Why a transform could not be determined (values are then compared by hash only). */
  note?: string;
}

export interface ModelManifest {
  label: string;
  files: ModelFile[];
  tensors: TensorEntry[];
  /** Readers' per-file failures; a model with problems can never be rated clean. */
  problems: ErrorInfo[];
  /** Format metadata worth showing (safetensors __metadata__, GGUF KV subset), per file. */
  metadata: Record<string, Record<string, string>>;
  /**
   * Text of the small files beside the weights (config.json, tokenizer.json, tokenizer_config.json,
   * generation_config.json, special_tokens_map.json, chat templates, adapter_config.json), read
   * whole up to MAX_SIDECAR_BYTES for semantic diffs. Never executed or rendered as HTML.
   */
  sidecars: SidecarFile[];
  /**
   * What readers noticed in files they could read: pickle globals and anomalies, archive anomalies,
   * bytes no tensor claims. Turned into report findings (their effect on the verdict is decided
   * there, comparing both sides).
   */
  notices: ReaderNotice[];
  /** Token strings by id from a weight file's own vocabulary (GGUF `tokenizer.ggml.tokens`). */
  tokens?: string[];
}

export interface ReaderNotice {
  /** Report finding kind (REPORT.md), e.g. 'unsafe-pickle-global', 'pickle-anomaly', 'zip-anomaly', 'weight-anomaly'. */
  kind: 'unsafe-pickle-global' | 'pickle-anomaly' | 'zip-anomaly' | 'weight-anomaly' | 'remote-code';
  severity: 'critical' | 'high' | 'medium' | 'low' | 'info';
  message: string;
  file: string;
  offset?: number;
  /** Stable identity for comparing sides (e.g. "posix.system", "unclaimed-bytes"). */
  key: string;
  details?: Record<string, unknown>;
}

export interface SidecarFile {
  path: string;
  role: FileRole;
  text: string;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A strided view (PyTorch non-contiguous / Fortran tensors, shared storages) gathered into
 * row-major order from the storage span it touches (`span` starts at the tensor's byteOffset):
 * the bytes of the same tensor saved contiguously.
 */
export function gatherStrided(span: Uint8Array, shape: readonly number[], strides: readonly number[], elementBytes: number): Uint8Array {
  const n = numel(shape);
  const out = new Uint8Array(n * elementBytes);
  const dims = shape.length;
  const index = new Array<number>(dims).fill(0);
  for (let e = 0; e < n; e++) {
    let src = 0;
    for (let d = 0; d < dims; d++) src += (index[d] as number) * (strides[d] as number);
    out.set(span.subarray(src * elementBytes, src * elementBytes + elementBytes), e * elementBytes);
    for (let d = dims - 1; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (shape[d] as number)) break;
      index[d] = 0;
    }
  }
  return out;
}
