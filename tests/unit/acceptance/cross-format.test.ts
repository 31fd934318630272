/**
 * Issue 3 "must be exactly right", cross-format part: HF safetensors vs llama.cpp-style GGUF
 * conversions (names mapped, q/k rows RoPE-permuted, quantized), compared in-process.
 */
import { describe, expect, it } from 'vitest';
import { compareInProcess } from '../../fixtures/compare-both.ts';
import { llamaToGguf } from '../../fixtures/llama-to-gguf.ts';
import { singleFile } from '../../fixtures/model-files.ts';
import { clone, find, rank1Edit, rewriteRows, tinyLlama, TINY as BASE, type TinyConfig } from '../../fixtures/tiny-llama.ts';

// Intermediate size a multiple of 32 so every matrix is quantized (llama.cpp keeps others in F16).
const TINY: TinyConfig = { ...BASE, intermediate: 192 };

const hf = (t = tinyLlama(TINY)) => ({ 'model.safetensors': singleFile(t) });

describe('HF safetensors vs GGUF conversions', () => {
  const m = tinyLlama(TINY);

  it('a GGUF F32 conversion of the same weights is clean (names mapped, q/k permutation undone)', async () => {
    const r = await compareInProcess(hf(m), { 'model.gguf': llamaToGguf(m, TINY, 'F32') });
    expect(r.verdict.status, r.verdict.summary).toBe('clean');
    expect(r.tensors.every((t) => t.status === 'identical')).toBe(true);
    expect(r.tensors).toHaveLength(m.length);
    expect(r.findings.map((f) => f.kind)).toContain('reserialized');
  });

  it('a lossless widening (BF16 weights stored as F32) is benign-precision, every value equal', async () => {
    const { singleFile: file } = await import('../../fixtures/model-files.ts');
    const bf = m.map((t) => ({ ...t, values: Float32Array.from(t.values, (x) => new Float32Array(new Uint32Array([(new Uint32Array(Float32Array.of(x).buffer)[0] as number) & 0xffff0000]).buffer)[0] as number) }));
    const r = await compareInProcess({ 'model.safetensors': file(bf, 'BF16') }, { 'model.safetensors': file(bf, 'F32') });
    expect(r.verdict.status, r.verdict.summary).toBe('benign-precision');
    expect(r.tensors.every((t) => t.status === 'dtype-changed' && t.delta?.changedCount === 0)).toBe(true);
  });

  it('a GGUF F16 conversion is benign-precision', async () => {
    const r = await compareInProcess(hf(m), { 'model.gguf': llamaToGguf(m, TINY, 'F16') });
    expect(r.verdict.status, r.verdict.summary).toBe('benign-precision');
  });

  it('its Q8_0 quantization is benign-precision', async () => {
    const r = await compareInProcess(hf(m), { 'model.gguf': llamaToGguf(m, TINY, 'Q8_0') });
    expect(r.verdict.status, JSON.stringify(r.findings.filter((f) => f.severity !== 'info').slice(0, 3))).toBe('benign-precision');
    const q = r.tensors.filter((t) => t.dtype.suspect === 'Q8_0');
    expect(q.length).toBe(30);
    for (const t of q) {
      expect(t.status).toBe('dtype-changed');
      expect(t.delta?.edit.kind, t.name).toBe('precision');
    }
  });

  it('its Q4_0 quantization is benign-precision', async () => {
    const r = await compareInProcess(hf(m), { 'model.gguf': llamaToGguf(m, TINY, 'Q4_0') });
    expect(r.verdict.status, JSON.stringify(r.findings.filter((f) => f.severity !== 'info').slice(0, 3))).toBe('benign-precision');
  });

  it('a Q8_0 GGUF of a model with a rank-1 edit in one MLP tensor is tampered, naming only that tensor', async () => {
    const s = clone(m);
    // 5% relative rank-1 edit: ‖ΔW‖/‖W‖ = 0.05.
    const t = find(s, 'model.layers.2.mlp.down_proj.weight');
    const norm = Math.sqrt(t.values.reduce((acc, x) => acc + x * x, 0));
    rank1Edit(t, (0.05 * norm) / Math.sqrt(t.values.length), 11);
    const r = await compareInProcess(hf(m), { 'model.gguf': llamaToGguf(s, TINY, 'Q8_0') });
    expect(r.verdict.status).toBe('tampered');
    const reasons = r.findings.filter((f) => r.verdict.reasons.includes(f.id));
    expect(reasons.map((f) => f.tensor)).toEqual(['model.layers.2.mlp.down_proj.weight']);
    expect(r.tensors.find((x) => x.name === 'model.layers.2.mlp.down_proj.weight')?.delta?.edit.kind).toBe('rank-1');
  });

  it('the same 5% rank-1 edit still stands out under Q4_0 noise', async () => {
    const s = clone(m);
    const t = find(s, 'model.layers.1.mlp.up_proj.weight');
    const norm = Math.sqrt(t.values.reduce((acc, x) => acc + x * x, 0));
    rank1Edit(t, (0.05 * norm) / Math.sqrt(t.values.length), 12);
    const r = await compareInProcess(hf(m), { 'model.gguf': llamaToGguf(s, TINY, 'Q4_0') });
    expect(r.verdict.status).toBe('tampered');
    const reasons = r.findings.filter((f) => r.verdict.reasons.includes(f.id));
    expect(reasons.map((f) => f.tensor)).toEqual(['model.layers.1.mlp.up_proj.weight']);
  });

  it('two Q4_0 GGUFs where a few token-embedding rows differ: exactly those rows', async () => {
    const s = clone(m);
    rewriteRows(find(s, 'model.embed_tokens.weight'), [7, 100, 201], 5);
    const r = await compareInProcess({ 'model.gguf': llamaToGguf(m, TINY, 'Q4_0') }, { 'model.gguf': llamaToGguf(s, TINY, 'Q4_0') });
    expect(r.verdict.status).toBe('tampered');
    const changed = r.tensors.filter((t) => t.status !== 'identical');
    expect(changed.map((t) => t.name)).toEqual(['model.embed_tokens.weight']);
    expect(changed[0]?.delta?.changedRows).toEqual([7, 100, 201]);
    expect(changed[0]?.delta?.edit.kind).toBe('rows');
  });
});
