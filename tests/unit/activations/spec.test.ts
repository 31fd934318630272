/**
 * What the activation engine accepts and how it refuses: architecture resolution from config.json,
 * tensor names with and without wrapper prefixes, shape checks against the configuration,
 * unsupported features named precisely, pairs that cannot run side by side, and the trigger
 * candidates a comparison report yields.
 */
import { describe, expect, it } from 'vitest';
import { checkCompatible, resolveModelSpec } from '../../../src/lib/activations/spec.ts';
import { triggerCandidates } from '../../../src/lib/activations/trigger.ts';
import { loadModel } from '../../../src/lib/formats/model-loader.ts';
import type { ModelManifest } from '../../../src/lib/formats/manifest.ts';
import type { ReportV1 } from '../../../src/lib/report/types.ts';
import { safetensorsOf, sourcesOf } from '../../fixtures/activations/harness.ts';
import { gpt2Tiny, llamaGqa, qwen2Bias } from '../../fixtures/activations/models.ts';
import type { FloatTensor } from '../../fixtures/tiny-llama.ts';

async function manifest(tensors: readonly FloatTensor[], config?: Record<string, unknown>): Promise<ModelManifest> {
  const files: Record<string, Uint8Array> = { 'model.safetensors': safetensorsOf(tensors) };
  if (config) files['config.json'] = new TextEncoder().encode(JSON.stringify(config));
  return loadModel('m', sourcesOf(files));
}

describe('resolveModelSpec', () => {
  it('reads the Llama family from config.json: GQA, biases, tied heads', async () => {
    const gqa = resolveModelSpec(await manifest(llamaGqa().tensors, llamaGqa().config));
    expect(gqa).toMatchObject({ family: 'llama', layers: 3, heads: 4, kvHeads: 2, headDim: 16, tiedEmbeddings: false, norm: 'rms', activation: 'silu', source: 'config.json' });
    const qwen = resolveModelSpec(await manifest(qwen2Bias().tensors, qwen2Bias().config));
    expect(qwen.architecture).toBe('qwen2');
    expect(qwen.tiedEmbeddings).toBe(true);
    expect(qwen.layerWeights[0]?.qBias?.tensor).toBe('model.layers.0.self_attn.q_proj.bias');
    expect(qwen.slidingWindow).toBeUndefined();
    expect(qwen.rope?.theta).toBe(1000000);
  });

  it('GPT-2 with or without the "transformer." prefix; Conv1D weights transposed, c_attn split in three', async () => {
    const g = gpt2Tiny();
    const spec = resolveModelSpec(await manifest(g.tensors, g.config));
    expect(spec).toMatchObject({ family: 'gpt2', norm: 'layer', activation: 'gelu-tanh', maxPositions: 32, tiedEmbeddings: true });
    expect(spec.layerWeights[0]?.q).toMatchObject({ tensor: 'transformer.h.0.attn.c_attn.weight', rows: 64, cols: 64, transpose: true, part: { index: 0, of: 3 } });
    const bare = g.tensors.map((t) => ({ ...t, name: t.name.replace(/^transformer\./, '') }));
    const spec2 = resolveModelSpec(await manifest(bare, g.config));
    expect(spec2.embed.tensor).toBe('wte.weight');
    expect(spec2.layers).toBe(2);
  });

  it('without config.json the tensor names decide the family, the head count must come from somewhere', async () => {
    await expect(manifest(llamaGqa().tensors).then(resolveModelSpec)).rejects.toMatchObject({ code: 'unsupported_architecture', message: expect.stringMatching(/attention head count/) });
  });

  it('refuses what it cannot run, naming why', async () => {
    const m = llamaGqa();
    const bad = async (config: Record<string, unknown>, tensors = m.tensors): Promise<unknown> => {
      try {
        resolveModelSpec(await manifest(tensors, config));
        return undefined;
      } catch (e) {
        return e;
      }
    };
    expect(await bad({ ...m.config, model_type: 'bert', architectures: ['BertModel'] })).toMatchObject({ code: 'unsupported_architecture', message: expect.stringMatching(/bert.*Llama family.*GPT-2/) });
    expect(await bad({ ...m.config, rope_scaling: { rope_type: 'yarn', factor: 4 } })).toMatchObject({ message: expect.stringMatching(/"yarn" is not supported/) });
    expect(await bad({ ...m.config, hidden_act: 'relu' })).toMatchObject({ message: expect.stringMatching(/hidden_act "relu"/) });
    expect(await bad({ ...m.config, num_key_value_heads: 3 })).toMatchObject({ message: expect.stringMatching(/4 attention heads do not split into 3/) });
    expect(await bad({ ...m.config, num_key_value_heads: 1 })).toMatchObject({ message: expect.stringMatching(/k_proj.weight has shape \[32, 64\]; the configuration implies \[16, 64\]/) });
    const withQNorm = [...m.tensors, { name: 'model.layers.0.self_attn.q_norm.weight', shape: [16], values: new Float32Array(16) }];
    expect(await bad(m.config, withQNorm)).toMatchObject({ message: expect.stringMatching(/q\/k norms/) });
  });

  it('two models must line up', async () => {
    const a = resolveModelSpec(await manifest(llamaGqa().tensors, llamaGqa().config));
    const b = resolveModelSpec(await manifest(qwen2Bias().tensors, qwen2Bias().config));
    expect(() => checkCompatible(a, b)).toThrow(expect.objectContaining({ code: 'models_incompatible', message: expect.stringMatching(/vocab 160 vs 150/) }));
  });
});

describe('triggerCandidates', () => {
  it('changed embedding rows first (by ‖Δ‖), then head rows, then tokens named by tokenizer findings', () => {
    const delta = (rows: { index: number; l2: number }[]): NonNullable<ReportV1['tensors'][number]['delta']> => ({
      l2: 1, relL2: 0.1, maxAbs: 1, cosine: 0.9, changedCount: 3, changedFraction: 0.1,
      changedRows: rows.map((r) => r.index).sort((x, y) => x - y), changedRowsTruncated: false,
      topRows: rows, topElements: [], edit: { kind: 'rows', confidence: 1 },
    });
    const tensor = (name: string, rows: { index: number; l2: number }[]): ReportV1['tensors'][number] => ({ name, status: 'modified', dtype: { knownGood: 'F32', suspect: 'F32' }, shape: { knownGood: [10, 4], suspect: [10, 4] }, sha256: { knownGood: null, suspect: null }, delta: delta(rows) });
    const report: Pick<ReportV1, 'tensors' | 'findings'> = {
      tensors: [tensor('lm_head.weight', [{ index: 7, l2: 9 }]), tensor('model.embed_tokens.weight', [{ index: 3, l2: 0.5 }, { index: 5, l2: 2 }])],
      findings: [{ id: 'F1', severity: 'high', kind: 'tokenizer-changed', message: 'm', details: { change: 'vocab-added', entries: [{ id: 8, token: 'x' }, { id: 99, token: 'out of range' }] } }],
    };
    expect(triggerCandidates(report, 10).map((c) => [c.id, c.source])).toEqual([
      [5, 'embedding-row'],
      [3, 'embedding-row'],
      [7, 'unembedding-row'],
      [8, 'tokenizer'],
    ]);
  });
});
