/**
 * GGUF tensor infos → format-neutral `TensorEntry`s, plus the record of what llama.cpp's converter
 * did to each tensor on the way from a Hugging Face checkpoint (name, transpose, value shift, Q/K
 * row permutation), so a comparison against the HF original can undo it.
 *
 * Shapes: GGUF lists dims fastest-first (ne[0] is the row length); the row-major (PyTorch/NumPy)
 * shape is the reverse, so a token embedding stored as ne = [n_embd, n_vocab] has shape
 * [n_vocab, n_embd] and row i is token i. Offsets are absolute (data section start + offset).
 */
import type { TensorEntry } from '../manifest.ts';
import { SleuthError } from '../errors.ts';
import { ggufArchitecture, ggufValue } from './metadata.ts';
import type { GgufFile, GgufTensorInfo } from './parse-gguf.ts';
import { canPermuteRope } from './rope-permutation.ts';
import { ggufToHfName } from './tensor-names.ts';

/**
 * Architectures whose GGUF q/k rows are in ggml's interleaved ("NORM") RoPE order while the HF
 * checkpoint uses rotate_half: the classes in convert_hf_to_gguf.py that inherit LlamaModel's
 * `permute` with `undo_permute` left True (llama — including Mistral/Mixtral — deci, granite,
 * granitemoe, minicpm, smollm3, llama-embed). Qwen2/3, Gemma and GPT-2 are stored unpermuted;
 * Llama 4 and Apertus set `undo_permute = False` because their HF layout is already interleaved.
 */
export const ROPE_PERMUTED_ARCHITECTURES: ReadonlySet<string> = new Set(['llama', 'deci', 'granite', 'granitemoe', 'minicpm', 'smollm3', 'llama-embed']);

export interface RopePermutationRecord {
  /** True when this file's attn_q/attn_k rows are permuted relative to the HF checkpoint. */
  applies: boolean;
  architecture: string | undefined;
  /** `{arch}.attention.head_count` (per-layer arrays: see the tensor records). */
  nHead?: number;
  /** `{arch}.attention.head_count_kv`, defaulting to nHead. */
  nHeadKv?: number;
  reason: string;
}

export interface GgufTensorMapping {
  storedName: string;
  /** HF name, or the stored name when none is known. */
  name: string;
  mapped: boolean;
  /** The stored tensor is the transpose of the HF one (GPT-2 Conv1D). */
  transposed: boolean;
  /** Stored value = HF value + valueShift (Gemma norms: 1). */
  valueShift: number;
  /**
   * Present when the rows of this tensor (dim 0 of its row-major shape) are RoPE-permuted:
   * undo with `unpermuteRopeRows(chunk, { firstRow, cols, nHead, rows })`.
   */
  ropePermutation?: { nHead: number; rows: number; headRows: number };
  note?: string;
}

export interface GgufMappingReport {
  architecture: string | undefined;
  rope: RopePermutationRecord;
  /** One per tensor, in file order. */
  tensors: GgufTensorMapping[];
}

/** Row-major shape of a GGUF tensor (the reverse of ne). */
export function ggufRowMajorShape(t: GgufTensorInfo): number[] {
  return [...t.ne].reverse();
}

const QK_RE = /^blk\.(\d+)\.attn_(q|k)\.(weight|bias)$/;

/** Head count for a layer: a scalar key, or a per-layer integer array (variable-head models). */
function headCount(file: GgufFile, key: string, layer: number | undefined): number | undefined {
  const v = ggufValue(file, key);
  if (v === undefined) return undefined;
  if (v.type === 'arr') {
    if (layer === undefined) return undefined;
    const a = v.value;
    if (a.elementType === 'u32' || a.elementType === 'i32' || a.elementType === 'u16' || a.elementType === 'i16' || a.elementType === 'u8' || a.elementType === 'i8') {
      return a.values[layer];
    }
    return undefined;
  }
  if (v.type === 'u64' || v.type === 'i64') return v.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : undefined;
  if (v.type === 'u8' || v.type === 'i8' || v.type === 'u16' || v.type === 'i16' || v.type === 'u32' || v.type === 'i32') return v.value;
  return undefined;
}

export function mapGgufTensors(file: GgufFile): GgufMappingReport {
  const architecture = ggufArchitecture(file);
  const permutes = architecture !== undefined && ROPE_PERMUTED_ARCHITECTURES.has(architecture);
  const nHead = architecture === undefined ? undefined : headCount(file, `${architecture}.attention.head_count`, undefined);
  const nHeadKvRaw = architecture === undefined ? undefined : headCount(file, `${architecture}.attention.head_count_kv`, undefined);
  const rope: RopePermutationRecord = {
    applies: permutes,
    architecture,
    reason: permutes
      ? `"${architecture}" GGUF files store q/k rows in ggml's interleaved RoPE order (convert_hf_to_gguf.py LlamaModel.permute); HF checkpoints use rotate_half order`
      : architecture === undefined
        ? 'No general.architecture: no RoPE permutation assumed'
        : `"${architecture}" is not converted with a q/k row permutation`,
  };
  if (nHead !== undefined) rope.nHead = nHead;
  if (nHead !== undefined || nHeadKvRaw !== undefined) {
    const kv = nHeadKvRaw ?? nHead;
    if (kv !== undefined) rope.nHeadKv = kv;
  }

  const tensors: GgufTensorMapping[] = [];
  const used = new Map<string, number>();
  for (const t of file.tensors) {
    const hf = ggufToHfName(t.name, architecture);
    const rec: GgufTensorMapping = {
      storedName: t.name,
      name: hf?.name ?? t.name,
      mapped: hf !== undefined,
      transposed: hf?.transposed ?? false,
      valueShift: hf?.valueShift ?? 0,
    };
    if (hf?.note !== undefined) rec.note = hf.note;
    if (permutes && architecture !== undefined) {
      const m = QK_RE.exec(t.name);
      const layerText = m?.[1];
      if (layerText !== undefined && m !== null) {
        const layer = Number(layerText);
        const heads = headCount(file, `${architecture}.attention.head_count`, layer);
        const kvHeads = headCount(file, `${architecture}.attention.head_count_kv`, layer) ?? heads;
        const n = m[2] === 'q' ? heads : kvHeads;
        const rows = m[3] === 'weight' ? (t.ne.length >= 2 ? t.ne[1] : undefined) : t.ne[0];
        if (n !== undefined && rows !== undefined && canPermuteRope(n, rows)) {
          rec.ropePermutation = { nHead: n, rows, headRows: rows / n };
        } else {
          rec.note = `RoPE-permuted rows cannot be undone: ${n === undefined ? 'head count missing' : `${rows ?? '?'} rows do not split into ${n} heads of even size`}`;
        }
      }
    }
    tensors.push(rec);
    used.set(rec.name, (used.get(rec.name) ?? 0) + 1);
  }
  // A mapped name that collides with another tensor's name would break pairing: keep stored names.
  for (const rec of tensors) {
    if ((used.get(rec.name) ?? 0) > 1 && rec.mapped) {
      rec.name = rec.storedName;
      rec.mapped = false;
      rec.note = 'HF name collides with another tensor in this file; kept the stored name';
    }
  }
  return { architecture, rope, tensors };
}

/**
 * TensorEntries for a parsed GGUF file: HF names where known (`storedName` keeps the GGUF name),
 * row-major shapes, absolute byte ranges. Throws `gguf_big_endian` for a big-endian file with
 * tensors (the engine decodes little-endian only) and `gguf_unsupported_type` for a tensor type
 * ggml defines but Model Sleuth does not (NVFP4, Q1_0, Q2_0).
 */
export function ggufToTensorEntries(file: GgufFile, path: string): TensorEntry[] {
  if (file.byteOrder === 'big' && file.tensors.length > 0) {
    throw new SleuthError('gguf_big_endian', `The file is a big-endian GGUF with ${file.tensors.length} tensors; its metadata was read, but tensor values are compared only for little-endian files`, {
      offset: 4,
      file: path,
    });
  }
  const mapping = mapGgufTensors(file);
  return file.tensors.map((t, i) => {
    if (t.dtype === undefined) {
      throw new SleuthError('gguf_unsupported_type', `Tensor "${t.name}" has type ${t.typeName} (ggml id ${t.ggmlType}), which this version of Model Sleuth cannot compare`, {
        offset: t.infoOffset,
        file: path,
      });
    }
    const rec = mapping.tensors[i];
    return {
      name: rec?.name ?? t.name,
      storedName: t.name,
      file: path,
      dtype: t.dtype,
      shape: ggufRowMajorShape(t),
      byteOffset: t.byteOffset,
      byteLength: t.byteLength,
      layout: { kind: 'contiguous' },
    };
  });
}
