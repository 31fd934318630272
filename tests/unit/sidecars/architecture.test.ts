import { describe, expect, it } from 'vitest';
import { architectureFindings, validateArchitecture } from '../../../src/lib/analysis/architecture.ts';
import { manifestOf, type ShapeSpec } from '../../fixtures/hf/manifest.ts';
import { gemma2Config, gemma2Shapes, gpt2Config, gpt2Shapes, llamaShapes, neoxConfig, neoxShapes, qwen2Config, qwen2Shapes } from '../../fixtures/hf/models.ts';
import { TINY, tinyConfigJson, tinyLlama } from '../../fixtures/tiny-llama.ts';

const llama = (shapes: readonly ShapeSpec[], config = tinyConfigJson()) => manifestOf('m', { 'config.json': config }, shapes);
const tinyShapes = (): ShapeSpec[] => tinyLlama().map((t) => ({ name: t.name, shape: t.shape }));

describe('validateArchitecture', () => {
  it('the tiny Llama fixture matches its config exactly', () => {
    const v = validateArchitecture(llama(tinyShapes()));
    expect(v.status).toBe('validated');
    expect(v.family).toBe('llama');
    expect(v.anomalies).toEqual([]);
    expect(v.layersFound).toBe(4);
    expect(v.expected.filter((e) => !e.optional)).toHaveLength(tinyShapes().length);
  });

  it('reports a tensor the config does not imply', () => {
    const v = validateArchitecture(llama([...tinyShapes(), { name: 'model.layers.3.mlp.backdoor.weight', shape: [8, 64] }]));
    expect(v.anomalies).toEqual([{ key: 'extra:model.layers.3.mlp.backdoor.weight', type: 'extra', tensor: 'model.layers.3.mlp.backdoor.weight', actual: [8, 64], words: 'model.layers.3.mlp.backdoor.weight [8, 64]' }]);
  });

  it('missing tensors, wrong shapes and an extra layer', () => {
    const shapes = tinyShapes().filter((t) => t.name !== 'model.layers.1.mlp.up_proj.weight');
    const k = shapes.find((t) => t.name === 'model.layers.0.self_attn.k_proj.weight');
    if (k) k.shape = [64, 64];
    shapes.push({ name: 'model.layers.4.input_layernorm.weight', shape: [64] });
    const v = validateArchitecture(llama(shapes));
    expect(v.anomalies.map((a) => a.key).sort()).toEqual(['extra:model.layers.4.input_layernorm.weight', 'layer-count', 'missing:model.layers.1.mlp.up_proj.weight', 'shape:model.layers.0.self_attn.k_proj.weight']);
    expect(v.anomalies.find((a) => a.type === 'shape')?.words).toBe('model.layers.0.self_attn.k_proj.weight is [64, 64], config implies [32, 64]');
    expect(v.anomalies.find((a) => a.type === 'layer-count')?.words).toBe('config declares 4 layers, the weights hold tensors for 5 layers');
  });

  it('tied embeddings: lm_head optional; untied: required', () => {
    const tied = { ...TINY, tieEmbeddings: true };
    expect(validateArchitecture(llama(tinyLlama(tied).map((t) => ({ name: t.name, shape: t.shape })), tinyConfigJson(tied))).anomalies).toEqual([]);
    // A tied checkpoint that still saved lm_head is fine too.
    expect(validateArchitecture(llama(tinyShapes(), tinyConfigJson(tied))).anomalies).toEqual([]);
    const untiedMissing = tinyShapes().filter((t) => t.name !== 'lm_head.weight');
    expect(validateArchitecture(llama(untiedMissing)).anomalies.map((a) => a.key)).toEqual(['missing:lm_head.weight']);
  });

  it('accepts old rotary buffers and checkpoints without the "model." prefix', () => {
    const withBuf = [...tinyShapes(), { name: 'model.layers.0.self_attn.rotary_emb.inv_freq', shape: [8] }];
    expect(validateArchitecture(llama(withBuf)).anomalies).toEqual([]);
    const bare = llamaShapes({ prefix: '', tied: true });
    const cfg = JSON.stringify({ ...(JSON.parse(tinyConfigJson()) as object), architectures: ['LlamaForCausalLM'], tie_word_embeddings: true });
    expect(validateArchitecture(llama(bare, cfg)).anomalies).toEqual([]);
  });

  it('Qwen2 (biases), GPT-2 (Conv1D, buffers), GPT-NeoX and Gemma 2 (explicit head_dim, four norms)', () => {
    for (const [config, shapes, family] of [
      [qwen2Config, qwen2Shapes(), 'qwen2'],
      [gpt2Config, gpt2Shapes(), 'gpt2'],
      [neoxConfig, neoxShapes(), 'gpt_neox'],
      [gemma2Config, gemma2Shapes(), 'gemma2'],
    ] as const) {
      const v = validateArchitecture(manifestOf('m', { 'config.json': config }, shapes));
      expect([v.status, v.family, v.anomalies]).toEqual(['validated', family, []]);
    }
    // Qwen2 without its q bias is missing a tensor.
    const noBias = qwen2Shapes().filter((t) => t.name !== 'model.layers.1.self_attn.q_proj.bias');
    expect(validateArchitecture(manifestOf('m', { 'config.json': qwen2Config }, noBias)).anomalies.map((a) => a.key)).toEqual(['missing:model.layers.1.self_attn.q_proj.bias']);
  });

  it('unknown, quantized, multimodal or headless models get a note and no anomalies', () => {
    const cases: [string, RegExp][] = [
      [JSON.stringify({ model_type: 'mamba', hidden_size: 8 }), /model_type 'mamba' is not a family/],
      [JSON.stringify({ ...(JSON.parse(tinyConfigJson()) as object), quantization_config: { quant_method: 'gptq', bits: 4 } }), /quantized \('gptq'\)/],
      [JSON.stringify({ model_type: 'llama', text_config: { hidden_size: 8 }, vision_config: {} }), /multimodal/],
      [JSON.stringify({ ...(JSON.parse(tinyConfigJson()) as object), architectures: ['LlamaForSequenceClassification'] }), /head other than a causal/],
      [JSON.stringify({ model_type: 'llama', hidden_size: 8 }), /lacks vocab_size, num_hidden_layers, num_attention_heads, intermediate_size/],
    ];
    for (const [config, note] of cases) {
      const v = validateArchitecture(llama([...tinyShapes(), { name: 'x.weight', shape: [1] }], config));
      expect(v.status).toBe('unsupported');
      expect(v.anomalies).toEqual([]);
      expect(v.note).toMatch(note);
    }
    expect(validateArchitecture(manifestOf('m', {}, tinyShapes())).status).toBe('no-config');
    expect(validateArchitecture(manifestOf('m', { 'config.json': '{' }, tinyShapes())).status).toBe('unreadable-config');
  });
});

describe('architectureFindings', () => {
  it('an extra tensor only the suspect has is tampering', () => {
    const kg = llama(tinyShapes());
    const su = llama([...tinyShapes(), { name: 'model.layers.3.mlp.backdoor.weight', shape: [8, 64] }]);
    const f = architectureFindings(kg, su);
    expect(f).toEqual([
      {
        kind: 'weight-anomaly',
        severity: 'high',
        file: 'config.json',
        tensor: 'model.layers.3.mlp.backdoor.weight',
        message: 'Tensor model.layers.3.mlp.backdoor.weight [8, 64] is not implied by the llama config (config.json): the model computes nothing with it unless code or another loader uses it',
        details: { anomaly: 'extra', shape: [8, 64] },
        effect: 'tampered',
      },
    ]);
  });

  it('an anomaly the known-good shares is not a difference', () => {
    const odd = [...tinyShapes(), { name: 'model.extra_buffer', shape: [3] }];
    const f = architectureFindings(llama(odd), llama(odd));
    expect(f.map((x) => [x.severity, x.effect])).toEqual([['info', 'none']]);
    expect(f[0]?.message).toMatch(/^1 architecture anomaly of the suspect is shared by the known-good/);
  });

  it('a layer dropped in the suspect (config unchanged): missing tensors and a layer-count mismatch', () => {
    const su = tinyShapes().filter((t) => !t.name.startsWith('model.layers.3.'));
    const f = architectureFindings(llama(tinyShapes()), llama(su));
    expect(f.map((x) => [x.effect, x.details?.['anomaly']])).toEqual([
      ['tampered', 'missing'],
      ['tampered', 'layer-count'],
    ]);
    expect(f[0]?.details?.['count']).toBe(9);
  });

  it('uses the suspect config as the baseline when the known-good has none', () => {
    const f = architectureFindings(manifestOf('kg', {}, tinyShapes()), llama([...tinyShapes(), { name: 'model.evil.weight', shape: [2] }]));
    expect(f.map((x) => [x.tensor, x.effect])).toEqual([['model.evil.weight', 'tampered']]);
  });

  it('hostile tensor names: escaped in the message, raw in the tensor field', () => {
    const evil = 'model.layers.0.mlp.\u202egate<b>.weight';
    const f = architectureFindings(llama(tinyShapes()), llama([...tinyShapes(), { name: evil, shape: [1] }]));
    expect(f[0]?.tensor).toBe(evil);
    expect(f[0]?.message).toContain('model.layers.0.mlp.\\u{202E}gate<b>.weight [1]');
    expect(f[0]?.message).not.toContain('\u202e');
  });

  it('unsupported families never raise an alarm', () => {
    const m = manifestOf('m', { 'config.json': JSON.stringify({ model_type: 'rwkv' }) }, [{ name: 'blocks.0.att.key.weight', shape: [4, 4] }]);
    expect(architectureFindings(m, m).map((x) => [x.kind, x.severity, x.effect])).toEqual([['weight-anomaly', 'info', 'none']]);
  });
});
