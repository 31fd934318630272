import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../src/lib/io/byte-source.ts';
import { InProcessRunner } from '../../../src/lib/analysis/runner.ts';
import { compareModels } from '../../../src/lib/analysis/compare.ts';
import { CpuEngine } from '../../../src/lib/engine/engine.ts';
import { createNodeSha256 } from '../../../src/lib/evidence/sha256-node.ts';
import { buildSafetensors, f32Bytes } from '../../fixtures/safetensors-builder.ts';
import { tinyLlama, clone, find, flipBits } from '../../fixtures/tiny-llama.ts';

const toFile = (path: string, tensors: ReturnType<typeof tinyLlama>) =>
  new MemorySource(path, buildSafetensors(tensors.map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, data: f32Bytes(t.values) }))));

describe('compare (in-process, CPU engine)', () => {
  it('identical copies are clean', async () => {
    const m = tinyLlama();
    const runner = new InProcessRunner({ knownGood: [toFile('model.safetensors', m)], suspect: [toFile('model.safetensors', m)] }, createNodeSha256, new CpuEngine());
    const report = await compareModels(runner, { toolVersion: 'test' });
    expect(report.verdict.status).toBe('clean');
    expect(report.tensors.every((t) => t.status === 'identical')).toBe(true);
  });
  it('three exponent-bit flips are located', async () => {
    const m = tinyLlama();
    const s = clone(m);
    flipBits(find(s, 'model.layers.3.self_attn.o_proj.weight'), [5, 700, 3000], 30);
    const runner = new InProcessRunner({ knownGood: [toFile('model.safetensors', m)], suspect: [toFile('model.safetensors', s)] }, createNodeSha256, new CpuEngine());
    const report = await compareModels(runner, { toolVersion: 'test' });
    expect(report.verdict.status).toBe('tampered');
    const t = report.tensors.find((x) => x.name === 'model.layers.3.self_attn.o_proj.weight');
    expect(t?.status).toBe('modified');
    expect(t?.delta?.changedCount).toBe(3);
    expect(t?.delta?.topElements.map((e) => e.flippedBits)).toEqual([[30], [30], [30]]);
    console.log(report.verdict.summary);
  });
});
