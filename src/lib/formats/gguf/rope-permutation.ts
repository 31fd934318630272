/**
 * The Q/K row permutation llama.cpp's converter applies to Llama-family attention weights, and its
 * inverse, so that a GGUF q/k tensor can be compared row for row with the Hugging Face original.
 *
 * Why it exists. Hugging Face Llama rotates the two *halves* of each head (`rotate_half`: dimension i
 * pairs with i + head_dim/2); ggml's default ("NORM") RoPE rotates *adjacent* pairs (2i, 2i+1), as
 * Meta's original checkpoints did. convert_hf_to_gguf.py (`LlamaModel.permute`) therefore reorders the
 * output rows of q_proj/k_proj (weights and biases) within every head:
 *
 *     w.reshape(n_head, 2, rows // n_head // 2, *rest).swapaxes(1, 2).reshape(w.shape)
 *
 * with n_head = `head_count` for Q and `head_count_kv` for K when it differs (grouped-query
 * attention). Per head of size hd = rows / n_head, half = hd / 2, the HF row `h·hd + j·half + i`
 * (j ∈ {0, 1}, i < half) lands at GGUF row `h·hd + 2i + j`: the two halves are interleaved. The
 * rows meant are those of the row-major (HF) shape [out_features, in_features], i.e. GGUF's ne[1].
 * A file whose weights came from Meta's or Mistral's native checkpoints (MistralModel sets
 * `undo_permute = False`) is already in the interleaved order, so relative to HF it is permuted the
 * same way. See ./to-manifest.ts for the architectures this applies to.
 */
import { SleuthError } from '../errors.ts';

function headGeometry(nHead: number, rows: number): { hd: number; half: number } {
  if (!Number.isSafeInteger(nHead) || !Number.isSafeInteger(rows) || nHead <= 0 || rows <= 0 || rows % (2 * nHead) !== 0) {
    throw new SleuthError('internal_error', `RoPE permutation: ${rows} rows do not split into ${nHead} heads of even size`);
  }
  const hd = rows / nHead;
  return { hd, half: hd / 2 };
}

/** True when `rows` split into `nHead` heads of even size (the permutation is defined). */
export function canPermuteRope(nHead: number, rows: number): boolean {
  return Number.isSafeInteger(nHead) && Number.isSafeInteger(rows) && nHead > 0 && rows > 0 && rows % (2 * nHead) === 0;
}

/** GGUF (permuted) row index → the Hugging Face row it holds. */
export function unpermuteRopeRowIndex(row: number, nHead: number, rows: number): number {
  const { hd, half } = headGeometry(nHead, rows);
  if (!Number.isSafeInteger(row) || row < 0 || row >= rows) throw new SleuthError('internal_error', `RoPE permutation: row ${row} outside 0…${rows - 1}`);
  const h = Math.floor(row / hd);
  const r = row - h * hd;
  return h * hd + (r & 1) * half + (r >> 1);
}

/** Hugging Face row index → the GGUF row where llama.cpp's converter put it (inverse of the above). */
export function permuteRopeRowIndex(row: number, nHead: number, rows: number): number {
  const { hd, half } = headGeometry(nHead, rows);
  if (!Number.isSafeInteger(row) || row < 0 || row >= rows) throw new SleuthError('internal_error', `RoPE permutation: row ${row} outside 0…${rows - 1}`);
  const h = Math.floor(row / hd);
  const r = row - h * hd;
  const j = r >= half ? 1 : 0;
  return h * hd + 2 * (r - j * half) + j;
}

/** Rows per head: chunks passed to `unpermuteRopeRows` must start and end on multiples of it. */
export function ropeHeadRows(nHead: number, rows: number): number {
  return headGeometry(nHead, rows).hd;
}

/**
 * CPU helper: `chunk` holds whole rows `firstRow … firstRow + n − 1` (row-major, `cols` values each)
 * of a permuted GGUF q/k tensor with `rows` rows in total. Returns a new array with the same rows in
 * Hugging Face order, i.e. output row k is HF row firstRow + k. The permutation never crosses a
 * head, so the chunk must cover whole heads (firstRow and n multiples of `ropeHeadRows`). For a
 * bias, `cols` is 1.
 */
export function unpermuteRopeRows<T extends Float32Array | Float64Array>(chunk: T, opts: { firstRow: number; cols: number; nHead: number; rows: number }): T {
  const { firstRow, cols, nHead, rows } = opts;
  const { hd, half } = headGeometry(nHead, rows);
  if (!Number.isSafeInteger(cols) || cols <= 0 || chunk.length % cols !== 0) {
    throw new SleuthError('internal_error', `unpermuteRopeRows: ${chunk.length} values are not whole rows of ${cols}`);
  }
  const n = chunk.length / cols;
  if (firstRow % hd !== 0 || n % hd !== 0 || firstRow + n > rows) {
    throw new SleuthError('internal_error', `unpermuteRopeRows: rows ${firstRow}…${firstRow + n - 1} do not cover whole heads of ${hd} rows within ${rows}`);
  }
  const out = chunk.slice() as T;
  for (let g = 0; g < n; g++) {
    // Local GGUF row g of a head-aligned chunk holds local HF row unpermute(g) (heads align).
    const r = g % hd;
    const hf = g - r + (r & 1) * half + (r >> 1);
    out.set(chunk.subarray(g * cols, (g + 1) * cols), hf * cols);
  }
  return out;
}

/** The forward direction on whole rows (HF order → llama.cpp's order), for building test tensors. */
export function permuteRopeRows<T extends Float32Array | Float64Array>(chunk: T, opts: { firstRow: number; cols: number; nHead: number; rows: number }): T {
  const { firstRow, cols, nHead, rows } = opts;
  const { hd, half } = headGeometry(nHead, rows);
  if (!Number.isSafeInteger(cols) || cols <= 0 || chunk.length % cols !== 0) {
    throw new SleuthError('internal_error', `permuteRopeRows: ${chunk.length} values are not whole rows of ${cols}`);
  }
  const n = chunk.length / cols;
  if (firstRow % hd !== 0 || n % hd !== 0 || firstRow + n > rows) {
    throw new SleuthError('internal_error', `permuteRopeRows: rows ${firstRow}…${firstRow + n - 1} do not cover whole heads of ${hd} rows within ${rows}`);
  }
  const out = chunk.slice() as T;
  for (let g = 0; g < n; g++) {
    const r = g % hd;
    const hf = g - r + (r & 1) * half + (r >> 1);
    out.set(chunk.subarray(hf * cols, (hf + 1) * cols), g * cols);
  }
  return out;
}
