import { describe, expect, it } from 'vitest';
import { compareInProcess } from '../../fixtures/compare-both.ts';
import { singleFile } from '../../fixtures/model-files.ts';
import { normals } from '../../fixtures/safetensors-builder.ts';
import { clone, find, fineTune, rank1Edit, tinyLlama, type FloatTensor } from '../../fixtures/tiny-llama.ts';
import { layerRange } from '../../../src/lib/analysis/patterns.ts';

const run = async (a: FloatTensor[], b: FloatTensor[]) => (await compareInProcess({ 'model.safetensors': singleFile(a) }, { 'model.safetensors': singleFile(b) })).patterns ?? [];

function addLowRank(t: FloatTensor, r: number, seed: number): void {
  const [out, inp] = t.shape as [number, number];
  const B = normals(out * r, 0.05, seed);
  const A = normals(r * inp, 0.05, seed + 1);
  for (let i = 0; i < out; i++)
    for (let j = 0; j < inp; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += (B[i * r + k] as number) * (A[k * inp + j] as number);
      t.values[i * inp + j] = (t.values[i * inp + j] as number) + s;
    }
}

describe('model-level patterns in words', () => {
  const m = tinyLlama();
  it('layer ranges', () => {
    expect(layerRange([1, 2, 3, 7, 9, 10])).toBe('1–3, 7, 9–10');
    expect(layerRange([4])).toBe('4');
  });
  it('low-rank q/v changes in layers 1–2 read as a merged LoRA', async () => {
    const s = clone(m);
    for (const n of ['model.layers.1.self_attn.q_proj.weight', 'model.layers.1.self_attn.v_proj.weight', 'model.layers.2.self_attn.q_proj.weight', 'model.layers.2.self_attn.v_proj.weight']) addLowRank(find(s, n), 4, n.length);
    const p = await run(m, s);
    expect(p.join('\n')).toMatch(/Low-rank \(r ≤ [1-4]\) changes on q_proj\/v_proj of layers 1–2: consistent with a merged LoRA/);
  });
  it('one rank-1 MLP change reads as a ROME-style edit', async () => {
    const s = clone(m);
    rank1Edit(find(s, 'model.layers.2.mlp.down_proj.weight'), 0.003, 3);
    expect((await run(m, s)).join('\n')).toMatch(/single rank-1 change to down_proj of layer 2: consistent with a ROME-style/);
  });
  it('everything changed reads as a full fine-tune', async () => {
    const s = clone(m);
    fineTune(s, 0.002, 5);
    expect((await run(m, s)).join('\n')).toMatch(/weight matrices changed throughout: consistent with a full fine-tune/);
  });
});
