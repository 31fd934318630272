/**
 * Adapter readers on built inputs: every naming family pairs and orients its factors as its tool
 * merges them; configs are read as data (regex target_modules never run, patterns literal, hostile
 * values ignored); unknown types, DoRA, unpaired or mis-shaped factors and broken configs are notes or
 * problems, never exceptions. Then three layouts through a whole comparison: GPT-2 style
 * fan_in_fan_out (Conv1D [in, out]), a kohya LoRA with its alpha tensor, a conv kernel LoRA.
 */
import { describe, expect, it } from 'vitest';
import { loadAdapter, pairAdapterTensors, parseAdapterConfig, patternValue } from '../../../src/lib/formats/adapters/index.ts';
import type { TensorEntry } from '../../../src/lib/formats/manifest.ts';
import { MemorySource } from '../../../src/lib/io/byte-source.ts';
import { parseStrictJson } from '../../../src/lib/formats/strict-json.ts';
import { compareModels } from '../../../src/lib/analysis/compare.ts';
import { InProcessRunner } from '../../../src/lib/analysis/runner.ts';
import { CpuEngine } from '../../../src/lib/engine/engine.ts';
import { createNodeSha256 } from '../../../src/lib/evidence/sha256-node.ts';
import { buildSafetensors, f32Bytes, normals } from '../../fixtures/safetensors-builder.ts';
import { memorySources } from '../../fixtures/compare-both.ts';
import { singleFile, utf8, type ModelFiles } from '../../fixtures/model-files.ts';
import type { FloatTensor } from '../../fixtures/tiny-llama.ts';

const entry = (name: string, shape: number[]): TensorEntry => ({ name, file: 'a.safetensors', dtype: 'F32', shape, byteOffset: 0, byteLength: 4 * shape.reduce((p, d) => p * d, 1), layout: { kind: 'contiguous' } });

describe('factor naming', () => {
  it('pairs PEFT, PEFT-with-adapter-name, embeddings, mlx-lm, kohya, diffusers and cloneofsimo names', () => {
    const r = pairAdapterTensors([
      entry('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', [4, 64]),
      entry('base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight', [32, 4]),
      entry('base_model.model.model.layers.1.mlp.up_proj.lora_A.default.weight', [2, 64]),
      entry('base_model.model.model.layers.1.mlp.up_proj.lora_B.default.weight', [128, 2]),
      entry('base_model.model.model.embed_tokens.lora_embedding_A', [8, 1000]),
      entry('base_model.model.model.embed_tokens.lora_embedding_B', [64, 8]),
      entry('model.layers.2.self_attn.v_proj.lora_a', [64, 8]),
      entry('model.layers.2.self_attn.v_proj.lora_b', [8, 16]),
      entry('lora_unet_down_blocks_0_proj_in.lora_down.weight', [4, 320, 1, 1]),
      entry('lora_unet_down_blocks_0_proj_in.lora_up.weight', [320, 4, 1, 1]),
      entry('lora_unet_down_blocks_0_proj_in.alpha', []),
      entry('down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_q_lora.down.weight', [4, 320]),
      entry('down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_q_lora.up.weight', [320, 4]),
      entry('unet:0:down', [1, 768]),
      entry('unet:0:up', [320, 1]),
    ]);
    const by = new Map(r.pairs.map((p) => [p.module, p] as const));
    expect(by.get('model.layers.0.self_attn.q_proj')).toMatchObject({ naming: 'peft', rank: 4, targets: ['model.layers.0.self_attn.q_proj.weight'], left: { transposed: false }, right: { transposed: false } });
    expect(by.get('model.layers.1.mlp.up_proj')?.rank).toBe(2);
    // Embedding: Δ = (B·A)ᵀ, so A (transposed) is the left factor.
    expect(by.get('model.embed_tokens')).toMatchObject({ naming: 'peft-embedding', rank: 8, left: { transposed: true, entry: { name: 'base_model.model.model.embed_tokens.lora_embedding_A' } } });
    // mlx-lm linear: Δ = (a·b)ᵀ = bᵀ·aᵀ, both stored transposed.
    expect(by.get('model.layers.2.self_attn.v_proj')).toMatchObject({ naming: 'mlx', rank: 8, left: { transposed: true, entry: { name: 'model.layers.2.self_attn.v_proj.lora_b' } }, right: { transposed: true } });
    expect(by.get('lora_unet_down_blocks_0_proj_in')?.alphaTensor?.name).toBe('lora_unet_down_blocks_0_proj_in.alpha');
    expect(by.get('down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q')?.targets).toEqual(['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight']);
    expect(by.get('unet:0')).toMatchObject({ naming: 'indexed', targets: [], rank: 1 });
    expect(r.notes).toEqual([]);
  });

  it('notes unpaired factors, shapes that do not multiply, DoRA magnitudes and other tensors', () => {
    const r = pairAdapterTensors([
      entry('base_model.model.a.lora_A.weight', [4, 8]),
      entry('base_model.model.b.lora_A.weight', [4, 8]),
      entry('base_model.model.b.lora_B.weight', [8, 3]),
      entry('base_model.model.c.lora_magnitude_vector', [8]),
      entry('base_model.model.classifier.weight', [2, 8]),
    ]);
    expect(r.pairs).toEqual([]);
    expect(r.notes.join('\n')).toMatch(/1 adapter factor has no partner.*a\.lora_A\.weight/);
    expect(r.notes.join('\n')).toMatch(/shapes that do not multiply/);
    expect(r.namings.has('dora-magnitude')).toBe(true);
    expect(r.other.map((t) => t.name)).toEqual(['base_model.model.c.lora_magnitude_vector', 'base_model.model.classifier.weight']);
  });
});

describe('adapter configs', () => {
  const parse = (obj: unknown) => {
    const notes: string[] = [];
    return { ...parseAdapterConfig(parseStrictJson(JSON.stringify(obj)), 'adapter_config.json', notes), notes };
  };

  it('PEFT: r, alpha, rsLoRA, patterns, layers; a regex target_modules is kept as text', () => {
    const { kind, summary } = parse({ peft_type: 'LORA', r: 16, lora_alpha: 32, use_rslora: true, target_modules: '.*(q|v)_proj$', layers_to_transform: 3, rank_pattern: { 'layers.0.self_attn.q_proj': 4 }, alpha_pattern: { q_proj: 64 }, base_model_name_or_path: 'meta/llama' });
    expect(kind).toBe('peft');
    expect(summary).toMatchObject({ type: 'LORA', rank: 16, alpha: 32, useRslora: true, targetModulesRegex: '.*(q|v)_proj$', layersToTransform: [3], baseModel: 'meta/llama' });
    expect(summary.targetModules).toBeUndefined();
    expect(patternValue(summary.rankPattern, 'model.layers.0.self_attn.q_proj')).toBe(4);
    expect(patternValue(summary.rankPattern, 'model.layers.10.self_attn.q_proj')).toBeUndefined();
    expect(patternValue(summary.alphaPattern, 'model.layers.10.self_attn.q_proj')).toBe(64);
  });

  it('mlx-lm: lora_parameters (rank, scale, alpha, keys), num_layers or lora_layers, fine_tune_type', () => {
    expect(parse({ fine_tune_type: 'lora', num_layers: 16, lora_parameters: { rank: 8, scale: 20, dropout: 0, keys: ['self_attn.q_proj'] } }).summary).toMatchObject({ type: 'lora', rank: 8, mlxScale: 20, numLayers: 16, targetModules: ['self_attn.q_proj'] });
    expect(parse({ lora_layers: 2, use_dora: true, lora_parameters: { rank: 8, alpha: 16, scale: 2 } }).summary).toMatchObject({ type: 'dora', useDora: true, numLayers: 2, alpha: 16 });
  });

  it('hostile or foreign values are ignored, never thrown', () => {
    const { summary } = parse({ peft_type: 'LORA', r: 'eight', lora_alpha: null, target_modules: [1, {}, 'q'], layers_to_transform: ['x', 2] });
    expect(summary).toMatchObject({ targetModules: ['q'], layersToTransform: [2] });
    expect('rank' in summary || 'alpha' in summary).toBe(false);
    expect(parse([1, 2, 3]).kind).toBe('unknown');
    expect(parse({ hello: 'world' }).kind).toBe('unknown');
  });
});

describe('loadAdapter', () => {
  const lora = buildSafetensors([
    { name: 'base_model.model.x.lora_A.weight', dtype: 'F32', shape: [2, 4], data: f32Bytes(normals(8, 1, 1)) },
    { name: 'base_model.model.x.lora_B.weight', dtype: 'F32', shape: [3, 2], data: f32Bytes(normals(6, 1, 2)) },
  ]);
  const load = (files: Record<string, Uint8Array | string>) => loadAdapter('a', Object.entries(files).map(([p, b]) => new MemorySource(p, typeof b === 'string' ? utf8(b) : b)));

  it('scales: alpha / r, alpha / √r with rsLoRA, rank_pattern and alpha_pattern per module', async () => {
    expect((await load({ 'adapter_model.safetensors': lora, 'adapter_config.json': JSON.stringify({ peft_type: 'LORA', r: 2, lora_alpha: 8 }) })).pairs[0]).toMatchObject({ scale: 4, scaleRule: 'lora_alpha / r = 8 / 2' });
    expect((await load({ 'adapter_model.safetensors': lora, 'adapter_config.json': JSON.stringify({ peft_type: 'LORA', r: 2, lora_alpha: 8, use_rslora: true }) })).pairs[0]?.scale).toBeCloseTo(8 / Math.SQRT2, 12);
    const patterned = await load({ 'adapter_model.safetensors': lora, 'adapter_config.json': JSON.stringify({ peft_type: 'LORA', r: 16, lora_alpha: 8, rank_pattern: { x: 2 }, alpha_pattern: { x: 6 } }) });
    expect(patterned.pairs[0]).toMatchObject({ scale: 3, declaredRank: 2, alpha: 6 });
    expect(patterned.notes).toEqual([]);
  });

  it('unknown PEFT types, DoRA and broken configs are reported, not thrown', async () => {
    const loha = await load({ 'adapter_model.safetensors': lora, 'adapter_config.json': JSON.stringify({ peft_type: 'LOHA', r: 2 }) });
    expect(loha).toMatchObject({ supported: false, type: 'LOHA' });
    expect(loha.notes.join('\n')).toMatch(/Unknown adapter type: PEFT "LOHA"/);
    const dora = await load({ 'adapter_model.safetensors': lora, 'adapter_config.json': JSON.stringify({ peft_type: 'LORA', r: 2, lora_alpha: 2, use_dora: true }) });
    expect(dora).toMatchObject({ supported: false, type: 'LORA (DoRA)' });
    const broken = await load({ 'adapter_model.safetensors': lora, 'adapter_config.json': '{"peft_type": "LORA", "r": 2,' });
    expect(broken.problems.map((p) => p.code)).toEqual(['json_syntax']);
    expect(broken.pairs[0]?.scale).toBeUndefined(); // nothing declared: fitted
    const garbage = await load({ 'adapter_model.safetensors': new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]) });
    expect(garbage.problems.length).toBe(1);
    expect(garbage.pairs).toEqual([]);
    const empty = await load({});
    expect(empty.notes).toContain('No adapter weights were found among the files given');
  });
});

describe('layouts through a comparison', () => {
  async function audit(kg: FloatTensor[], su: FloatTensor[], adapter: ModelFiles) {
    const runner = new InProcessRunner({ knownGood: memorySources({ 'model.safetensors': singleFile(kg) }), suspect: memorySources({ 'model.safetensors': singleFile(su) }), adapter: memorySources(adapter) }, createNodeSha256, new CpuEngine(), { chunkBytes: 4096 });
    return compareModels(runner, { toolVersion: 'test', adapter: { label: 'a' } });
  }
  /** Δ[i, j] = s · Σₖ L[i, k]·R[k, j] with L [rows, r], R [r, cols] (row-major). */
  function addProduct(w: Float32Array, cols: number, L: Float32Array, R: Float32Array, r: number, s: number): Float32Array {
    const out = Float32Array.from(w);
    const rows = w.length / cols;
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
      let acc = 0;
      for (let k = 0; k < r; k++) acc += (L[i * r + k] as number) * (R[k * cols + j] as number);
      out[i * cols + j] = (w[i * cols + j] as number) + s * acc;
    }
    return out;
  }
  const transpose = (m: Float32Array, rows: number, cols: number): Float32Array => {
    const t = new Float32Array(m.length);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j] as number;
    return t;
  };

  it('fan_in_fan_out (GPT-2 Conv1D weight [in, out]): Δ = s·(B·A)ᵀ is explained', async () => {
    const inp = 24, out = 40, r = 3;
    const A = normals(r * inp, 0.05, 1); // [r, in]
    const B = normals(out * r, 0.05, 2); // [out, r]
    const w0 = normals(inp * out, 0.02, 3); // stored [in, out]
    // (B·A)ᵀ = Aᵀ·Bᵀ: L = Aᵀ [in, r], R = Bᵀ [r, out].
    const w1 = addProduct(w0, out, transpose(A, r, inp), transpose(B, out, r), r, 2);
    const adapter = {
      'adapter_model.safetensors': buildSafetensors([
        { name: 'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight', dtype: 'F32', shape: [r, inp], data: f32Bytes(A) },
        { name: 'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight', dtype: 'F32', shape: [out, r], data: f32Bytes(B) },
      ]),
      'adapter_config.json': utf8(JSON.stringify({ peft_type: 'LORA', r, lora_alpha: 6, fan_in_fan_out: true, target_modules: ['c_attn'] })),
    };
    const name = 'transformer.h.0.attn.c_attn.weight';
    const report = await audit([{ name, shape: [inp, out], values: w0 }], [{ name, shape: [inp, out], values: w1 }], adapter);
    expect(report.adapter?.targets).toMatchObject([{ tensor: name, status: 'explained', scale: 2 }]);
    expect(report.adapter?.fanInFanOut).toBe(true);
    expect(report.adapter?.layers).toEqual([0]);
  });

  it('kohya-ss conv LoRA (up [out, r, 1, 1], down [r, in, 3, 3]) with its alpha tensor: scale = alpha / r', async () => {
    const out = 6, inp = 4, r = 2, alpha = 1;
    const up = normals(out * r, 0.1, 5);
    const down = normals(r * inp * 9, 0.1, 6);
    const w0 = normals(out * inp * 9, 0.05, 7);
    const w1 = addProduct(w0, inp * 9, up, down, r, alpha / r);
    const adapter = {
      'my_lora.safetensors': buildSafetensors([
        { name: 'lora_unet_conv_in.alpha', dtype: 'F32', shape: [], data: f32Bytes([alpha]) },
        { name: 'lora_unet_conv_in.lora_down.weight', dtype: 'F32', shape: [r, inp, 3, 3], data: f32Bytes(down) },
        { name: 'lora_unet_conv_in.lora_up.weight', dtype: 'F32', shape: [out, r, 1, 1], data: f32Bytes(up) },
      ]),
    };
    const name = 'conv_in.weight';
    const report = await audit([{ name, shape: [out, inp, 3, 3], values: w0 }], [{ name, shape: [out, inp, 3, 3], values: w1 }], adapter);
    expect(report.adapter?.format).toBe('kohya');
    expect(report.adapter?.targets).toMatchObject([{ tensor: name, module: 'lora_unet_conv_in', status: 'explained', scale: 0.5, elementsBeyondRounding: 0 }]);
    expect(report.adapter?.targets[0]?.fittedScale ?? 0).toBeCloseTo(0.5, 5);
  });
});
