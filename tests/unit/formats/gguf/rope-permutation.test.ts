import { describe, expect, it } from 'vitest';
import { canPermuteRope, permuteRopeRowIndex, permuteRopeRows, ropeHeadRows, unpermuteRopeRowIndex, unpermuteRopeRows } from '../../../../src/lib/formats/gguf/rope-permutation.ts';
import { MemorySource } from '../../../../src/lib/io/byte-source.ts';
import { parseGguf } from '../../../../src/lib/formats/gguf/parse-gguf.ts';
import { ggufToTensorEntries, mapGgufTensors } from '../../../../src/lib/formats/gguf/to-manifest.ts';
import { dequantize, quantizeQ8_0 } from '../../../../src/lib/engine/cpu/dequant.ts';
import { buildGguf, kv, randomFloats } from '../../../fixtures/gguf-builder.ts';

/**
 * convert_hf_to_gguf.py's permute written out literally as numpy would run it:
 * w.reshape(n_head, 2, rows/n_head/2, cols).swapaxes(1, 2).reshape(rows, cols)
 * i.e. out[h][i][j] = w[h][j][i] over the (n_head, half, 2) view of the rows.
 */
function llamaCppPermute(w: Float32Array, nHead: number, rows: number, cols: number): Float32Array {
  const half = rows / nHead / 2;
  const out = new Float32Array(w.length);
  let dst = 0;
  for (let h = 0; h < nHead; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const src = (h * 2 + j) * half + i; // row index in the (n_head, 2, half) view
        out.set(w.subarray(src * cols, (src + 1) * cols), dst * cols);
        dst++;
      }
    }
  }
  return out;
}

describe('RoPE row permutation', () => {
  it('permute then unpermute is the identity, for every row (MHA and GQA shapes)', () => {
    for (const [nHead, rows] of [[1, 2], [4, 32], [32, 4096], [8, 1024], [3, 18]] as const) {
      for (let r = 0; r < rows; r++) {
        expect(unpermuteRopeRowIndex(permuteRopeRowIndex(r, nHead, rows), nHead, rows)).toBe(r);
        expect(permuteRopeRowIndex(unpermuteRopeRowIndex(r, nHead, rows), nHead, rows)).toBe(r);
      }
    }
  });

  it('matches llama.cpp on a known head: HF rows 0…7 of one head land as 0,4,1,5,2,6,3,7', () => {
    expect(Array.from({ length: 8 }, (_, g) => unpermuteRopeRowIndex(g, 1, 8))).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
    expect(Array.from({ length: 8 }, (_, r) => permuteRopeRowIndex(r, 1, 8))).toEqual([0, 2, 4, 6, 1, 3, 5, 7]);
    // Two heads: the permutation stays inside each head.
    expect(Array.from({ length: 8 }, (_, g) => unpermuteRopeRowIndex(g, 2, 8))).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    expect(ropeHeadRows(2, 8)).toBe(4);
    expect(canPermuteRope(3, 8)).toBe(false);
    expect(() => unpermuteRopeRowIndex(0, 3, 8)).toThrowError(expect.objectContaining({ code: 'internal_error' }) as Error);
  });

  it('a Q weight permuted the way llama.cpp does maps back exactly to the HF layout', () => {
    const nHead = 4;
    const rows = 32;
    const cols = 6;
    const hf = randomFloats(rows * cols, 5);
    const gguf = llamaCppPermute(hf, nHead, rows, cols);
    expect(permuteRopeRows(hf, { firstRow: 0, cols, nHead, rows })).toEqual(gguf);
    expect(unpermuteRopeRows(gguf, { firstRow: 0, cols, nHead, rows })).toEqual(hf);
    for (let g = 0; g < rows; g++) {
      const src = unpermuteRopeRowIndex(g, nHead, rows);
      expect(gguf.subarray(g * cols, (g + 1) * cols)).toEqual(hf.subarray(src * cols, (src + 1) * cols));
    }
  });

  it('works chunk by chunk on whole heads (chunked equals one-shot) and refuses partial heads', () => {
    const nHead = 8;
    const rows = 64;
    const cols = 3;
    const hf = randomFloats(rows * cols, 11);
    const gguf = llamaCppPermute(hf, nHead, rows, cols);
    const hd = ropeHeadRows(nHead, rows);
    for (const heads of [1, 2, 4]) {
      const parts: Float32Array[] = [];
      for (let first = 0; first < rows; first += heads * hd) {
        parts.push(unpermuteRopeRows(gguf.subarray(first * cols, (first + heads * hd) * cols), { firstRow: first, cols, nHead, rows }));
      }
      const joined = new Float32Array(rows * cols);
      let o = 0;
      for (const p of parts) joined.set(p, (o += p.length) - p.length);
      expect(joined).toEqual(hf);
    }
    expect(() => unpermuteRopeRows(gguf.subarray(0, 3 * cols), { firstRow: 0, cols, nHead, rows })).toThrowError(expect.objectContaining({ code: 'internal_error' }) as Error);
    expect(() => unpermuteRopeRows(gguf.subarray(cols, (cols * hd) + cols), { firstRow: 1, cols, nHead, rows })).toThrowError(expect.objectContaining({ code: 'internal_error' }) as Error);
  });

  it('undoes it on a quantized GGUF q weight: dequantize the file bytes, unpermute, equal the HF rows quantized alone', async () => {
    // HF q_proj [rows=16, cols=64], 2 heads; llama.cpp permutes the rows, then quantizes per row.
    const nHead = 2;
    const rows = 16;
    const cols = 64;
    const hf = randomFloats(rows * cols, 21);
    const permuted = llamaCppPermute(hf, nHead, rows, cols);
    const built = buildGguf({
      kvs: [{ key: 'general.architecture', value: kv.str('llama') }, { key: 'llama.attention.head_count', value: kv.u32(nHead) }],
      tensors: [{ name: 'blk.0.attn_q.weight', ne: [cols, rows], type: 'Q8_0', data: quantizeQ8_0(permuted) }],
    });
    const g = await parseGguf(new MemorySource('q.gguf', built.bytes));
    const [entry] = ggufToTensorEntries(g, 'q.gguf');
    const rec = mapGgufTensors(g).tensors[0]?.ropePermutation;
    expect(entry?.name).toBe('model.layers.0.self_attn.q_proj.weight');
    expect(entry?.shape).toEqual([rows, cols]);
    expect(rec).toEqual({ nHead, rows, headRows: 8 });
    if (entry === undefined || rec === undefined) return;
    const values = dequantize(built.bytes.subarray(entry.byteOffset, entry.byteOffset + entry.byteLength), entry.dtype);
    const back = unpermuteRopeRows(values, { firstRow: 0, cols, nHead: rec.nHead, rows: rec.rows });
    // Q8_0 blocks run along a row, so each row quantizes the same wherever it sits.
    expect(back).toEqual(dequantize(quantizeQ8_0(hf), 'Q8_0'));
  });

  it('undoes it on a bias (one value per row)', () => {
    const bias = Float32Array.from({ length: 16 }, (_, i) => i);
    const permuted = llamaCppPermute(bias, 2, 16, 1);
    expect(Array.from(permuted)).toEqual([0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15]);
    expect(unpermuteRopeRows(permuted, { firstRow: 0, cols: 1, nHead: 2, rows: 16 })).toEqual(bias);
    expect(unpermuteRopeRows(Float64Array.from(permuted), { firstRow: 0, cols: 1, nHead: 2, rows: 16 })).toEqual(Float64Array.from(bias));
  });
});
