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
 */
export type TensorLayout = { kind: 'contiguous' };

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
}

export interface ModelManifest {
  label: string;
  files: ModelFile[];
  tensors: TensorEntry[];
  /** Readers' per-file failures; a model with problems can never be rated clean. */
  problems: ErrorInfo[];
  /** Format metadata worth showing (safetensors __metadata__, GGUF KV subset), per file. */
  metadata: Record<string, Record<string, string>>;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
