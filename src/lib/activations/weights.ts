/**
 * Weights for the forward pass: a stored tensor (any format the loader reads, any dtype the engine
 * decodes or dequantizes) → f32 values in the layout the computation wants ([out, in] matrices,
 * Hugging Face row order), read lazily, one tensor at a time, through the model's ByteSources.
 *
 * What a converter did on the way from the HF checkpoint is undone here (../formats/manifest.ts
 * `TensorTransform`): llama.cpp's per-head RoPE row permutation of q/k (`ropeRows`), Gemma-style
 * value shifts, and GPT-2's Conv1D orientation (see spec.ts). Strided views (PyTorch
 * non-contiguous tensors) are gathered from the storage span they touch.
 */
import { DTYPES } from '../formats/dtype.ts';
import { SleuthError } from '../formats/errors.ts';
import { gatherStrided, numel, type ModelManifest, type TensorEntry } from '../formats/manifest.ts';
import type { ByteSource } from '../io/byte-source.ts';
import { canDecode, decodeChunk } from '../engine/cpu/decode.ts';
import { unpermuteRopeRows } from '../formats/gguf/rope-permutation.ts';
import type { ComputeWeight } from './spec.ts';

/** Bytes read per request while decoding a tensor (bounded peak memory beside the f32 result). */
const READ_CHUNK_BYTES = 16 * 1024 * 1024;

export interface StoredTensor {
  entry: TensorEntry;
  /** Decoded values in HF row-major order (transforms undone), f32. */
  values: Float32Array;
}

/** Reads and decodes the stored tensors of one model. */
export class TensorReader {
  private readonly sources: Map<string, ByteSource>;
  private readonly entries: Map<string, TensorEntry>;

  constructor(
    readonly manifest: ModelManifest,
    sources: readonly ByteSource[],
  ) {
    this.sources = new Map(sources.map((s) => [s.path, s] as const));
    this.entries = new Map(manifest.tensors.map((t) => [t.name, t] as const));
  }

  entry(name: string): TensorEntry | undefined {
    return this.entries.get(name);
  }

  /** The raw stored bytes of a tensor, in row-major element order (strided views gathered). */
  async rawBytes(name: string): Promise<Uint8Array> {
    const t = this.need(name);
    const source = this.sources.get(t.file);
    if (source === undefined) throw new SleuthError('read_failed', `The file ${t.file} holding ${name} is not among the model's files`, { file: t.file });
    const size = DTYPES[t.dtype].blockBytes;
    if (t.layout.kind !== 'strided') {
      const out = new Uint8Array(t.byteLength);
      for (let off = 0; off < t.byteLength; off += READ_CHUNK_BYTES) {
        out.set(await source.read(t.byteOffset + off, Math.min(READ_CHUNK_BYTES, t.byteLength - off)), off);
      }
      return out;
    }
    const span = new Uint8Array(t.byteLength);
    for (let off = 0; off < t.byteLength; off += READ_CHUNK_BYTES) span.set(await source.read(t.byteOffset + off, Math.min(READ_CHUNK_BYTES, t.byteLength - off)), off);
    return gatherStrided(span, t.shape, t.layout.strides, size);
  }

  /** Decoded f32 values of a stored tensor in HF order. */
  async read(name: string): Promise<StoredTensor> {
    const t = this.need(name);
    if (!canDecode(t.dtype)) throw new SleuthError('unsupported_dtype', `${name} is stored as ${t.dtype}, which the engine cannot decode, so the model cannot be run`, { file: t.file });
    const tr = t.transform;
    if (tr?.note !== undefined && tr.ropeRows === undefined && /RoPE/i.test(tr.note)) throw new SleuthError('unsupported_architecture', `${name}: ${tr.note}`, { file: t.file });
    const info = DTYPES[t.dtype];
    const n = numel(t.shape);
    const bytes = await this.rawBytes(name);
    const values = new Float32Array(n);
    // Decode in chunks of whole blocks, so the f64 or scratch arrays of decodeChunk stay small.
    const blocksPerChunk = Math.max(1, Math.floor(READ_CHUNK_BYTES / info.blockBytes));
    const totalBlocks = n / info.blockElements;
    if (!Number.isInteger(totalBlocks)) throw new SleuthError('unsupported_dtype', `${name}: ${n} elements are not whole ${t.dtype} blocks`, { file: t.file });
    for (let b = 0; b < totalBlocks; b += blocksPerChunk) {
      const nb = Math.min(blocksPerChunk, totalBlocks - b);
      const chunk = decodeChunk(bytes.subarray(b * info.blockBytes, (b + nb) * info.blockBytes), t.dtype, nb * info.blockElements);
      values.set(chunk.values, b * info.blockElements);
    }
    if (tr?.valueShift) for (let i = 0; i < n; i++) values[i] = (values[i] as number) - tr.valueShift;
    if (tr?.ropeRows) {
      const rows = t.shape[0] as number;
      const cols = t.shape.length > 1 ? n / rows : 1;
      return { entry: t, values: unpermuteRopeRows(values, { firstRow: 0, cols, nHead: tr.ropeRows.nHead, rows }) };
    }
    return { entry: t, values };
  }

  private need(name: string): TensorEntry {
    const t = this.entries.get(name);
    if (t === undefined) throw new SleuthError('unsupported_architecture', `The model has no tensor "${name}"`);
    return t;
  }
}

/** A computation weight cut from its stored tensor: transposed and/or one part of a fused tensor. */
export function shapeComputeWeight(w: ComputeWeight, stored: Float32Array): Float32Array {
  let full = stored;
  const partRows = w.rows;
  const totalRows = w.part ? w.rows * w.part.of : w.rows;
  if (w.transpose) {
    // Stored [in, out] = [cols, totalRows] → [totalRows, cols].
    const cols = w.cols;
    const out = new Float32Array(totalRows * cols);
    for (let i = 0; i < cols; i++) {
      const row = i * totalRows;
      for (let j = 0; j < totalRows; j++) out[j * cols + i] = stored[row + j] as number;
    }
    full = out;
  }
  if (w.part) {
    const size = partRows * w.cols;
    return full.slice(w.part.index * size, (w.part.index + 1) * size);
  }
  if (full.length !== w.rows * w.cols) throw new SleuthError('internal_error', `${w.key}: ${full.length} values for [${w.rows}, ${w.cols}]`);
  return full;
}

/** f32 bytes of every computation weight of a list (a fused tensor's parts together = the tensor). */
export function f32Bytes(weights: readonly ComputeWeight[]): number {
  const seen = new Set<string>();
  let total = 0;
  for (const w of weights) {
    if (seen.has(w.key)) continue;
    seen.add(w.key);
    total += w.rows * w.cols * 4;
  }
  return total;
}
