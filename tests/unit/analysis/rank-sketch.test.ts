import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../src/lib/io/byte-source.ts';
import { InProcessRunner } from '../../../src/lib/analysis/runner.ts';
import { compareModels } from '../../../src/lib/analysis/compare.ts';
import { CpuEngine } from '../../../src/lib/engine/engine.ts';
import { createNodeSha256 } from '../../../src/lib/evidence/sha256-node.ts';
import { estimateRank, jacobiEigenvalues } from '../../../src/lib/analysis/rank-sketch.ts';
import { bf16Bytes, buildSafetensors, f32Bytes, normals } from '../../fixtures/safetensors-builder.ts';
import { clone, find, fineTune, rank1Edit, tinyLlama, type FloatTensor } from '../../fixtures/tiny-llama.ts';
import { mergeLora } from '../../fixtures/lora.ts';

const file = (tensors: FloatTensor[], dtype: 'F32' | 'BF16' = 'F32') =>
  new MemorySource('model.safetensors', buildSafetensors(tensors.map((t) => ({ name: t.name, dtype, shape: t.shape, data: dtype === 'F32' ? f32Bytes(t.values) : bf16Bytes(t.values) }))));

async function compare(a: FloatTensor[], b: FloatTensor[], dtype: 'F32' | 'BF16' = 'F32') {
  const runner = new InProcessRunner({ knownGood: [file(a, dtype)], suspect: [file(b, dtype)] }, createNodeSha256, new CpuEngine(), { chunkBytes: 8192 });
  return compareModels(runner, { toolVersion: 'test' });
}


describe('rank sketch', () => {
  it('Jacobi eigenvalues of a known symmetric matrix', () => {
    const m = Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2]);
    const eig = jacobiEigenvalues(m, 3).sort((a, b) => b - a);
    // Characteristic polynomial roots of [[4,1,0],[1,3,1],[0,1,2]]: 3 ± √3 and 3.
    expect(eig[0]).toBeCloseTo(3 + Math.sqrt(3), 10);
    expect(eig[1]).toBeCloseTo(3, 10);
    expect(eig[2]).toBeCloseTo(3 - Math.sqrt(3), 10);
  });

  it('exact rank-r matrices give rank r', () => {
    for (const r of [1, 2, 5]) {
      const rows = Array.from({ length: 40 }, () => new Float64Array(64));
      const u = normals(40 * r, 1, r);
      const v = normals(64 * r, 1, r + 10);
      rows.forEach((row, i) => {
        for (let j = 0; j < 64; j++) for (let k = 0; k < r; k++) row[j] = (row[j] as number) + (u[i * r + k] as number) * (v[j * r + k] as number);
      });
      expect(estimateRank(rows, 64, 40, 64).rank).toBe(r);
    }
  });

  it('a rank-1 update is rank-1, a merged LoRA r=4 is low-rank ≤ 4, a fine-tune is dense', async () => {
    const m = tinyLlama();
    const s = clone(m);
    rank1Edit(find(s, 'model.layers.2.mlp.down_proj.weight'), 0.002, 5);
    for (const name of ['model.layers.1.self_attn.q_proj.weight', 'model.layers.1.self_attn.v_proj.weight', 'model.layers.2.self_attn.q_proj.weight', 'model.layers.2.self_attn.v_proj.weight']) {
      mergeLora(find(s, name), 4, 8, name.length);
    }
    const report = await compare(m, s);
    const edit = (n: string) => report.tensors.find((t) => t.name === n)?.delta?.edit;
    expect(edit('model.layers.2.mlp.down_proj.weight')?.kind).toBe('rank-1');
    for (const name of ['model.layers.1.self_attn.q_proj.weight', 'model.layers.1.self_attn.v_proj.weight', 'model.layers.2.self_attn.q_proj.weight', 'model.layers.2.self_attn.v_proj.weight']) {
      const e = edit(name);
      expect(e?.kind, name).toBe('low-rank');
      expect(e?.rank ?? 99).toBeLessThanOrEqual(4);
    }
    expect(report.tensors.filter((t) => t.status === 'modified')).toHaveLength(5);

    const f = clone(m);
    fineTune(f, 0.001, 77);
    const ft = await compare(m, f);
    for (const t of ft.tensors.filter((x) => x.shape.knownGood && x.shape.knownGood.length === 2)) expect(t.delta?.edit.kind, t.name).toBe('dense');
  });

  it('a rank-1 edit survives BF16 rounding', async () => {
    const m = tinyLlama();
    const s = clone(m);
    rank1Edit(find(s, 'model.layers.0.mlp.up_proj.weight'), 0.003, 9);
    const report = await compare(m, s, 'BF16');
    const t = report.tensors.find((x) => x.name === 'model.layers.0.mlp.up_proj.weight');
    expect(t?.delta?.edit.kind).toBe('rank-1');
    expect(report.tensors.filter((x) => x.status === 'modified').map((x) => x.name)).toEqual(['model.layers.0.mlp.up_proj.weight']);
  });
});
