import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../../src/lib/io/byte-source.ts';
import { SleuthError } from '../../../../src/lib/formats/errors.ts';
import { parseGguf, type GgufFile } from '../../../../src/lib/formats/gguf/parse-gguf.ts';
import { ggufToTensorEntries, mapGgufTensors } from '../../../../src/lib/formats/gguf/to-manifest.ts';
import { ggufToHfName, hfToGgufName, MAPPED_ARCHITECTURES } from '../../../../src/lib/formats/gguf/tensor-names.ts';
import { allGgmlTypes, ggmlType } from '../../../../src/lib/formats/gguf/ggml-types.ts';
import { DTYPES } from '../../../../src/lib/formats/dtype.ts';
import { buildGguf, kv, type BuildOptions } from '../../../fixtures/gguf-builder.ts';

const parse = (opts: BuildOptions): Promise<GgufFile> => parseGguf(new MemorySource('m.gguf', buildGguf(opts).bytes));

describe('ggufToTensorEntries', () => {
  it('reverses ne into the row-major shape, keeps absolute byte ranges and maps dtypes', async () => {
    const built = buildGguf({
      kvs: [{ key: 'general.architecture', value: kv.str('llama') }],
      tensors: [
        { name: 'token_embd.weight', ne: [64, 10], type: 'Q8_0' },
        { name: 'blk.0.ffn_down.weight', ne: [256, 4, 3], type: 'Q6_K' },
        { name: 'output_norm.weight', ne: [64], type: 'F32' },
        { name: 'custom.thing', ne: [2, 3, 4, 5], type: 'BF16' },
      ],
    });
    const g = await parseGguf(new MemorySource('x', built.bytes));
    const entries = ggufToTensorEntries(g, 'models/tiny.gguf');
    expect(entries).toEqual([
      { name: 'model.embed_tokens.weight', storedName: 'token_embd.weight', file: 'models/tiny.gguf', dtype: 'Q8_0', shape: [10, 64], byteOffset: built.layout.tensorDataOffsets[0], byteLength: 20 * 34, layout: { kind: 'contiguous' } },
      { name: 'model.layers.0.mlp.down_proj.weight', storedName: 'blk.0.ffn_down.weight', file: 'models/tiny.gguf', dtype: 'Q6_K', shape: [3, 4, 256], byteOffset: built.layout.tensorDataOffsets[1], byteLength: 12 * 210, layout: { kind: 'contiguous' } },
      { name: 'model.norm.weight', storedName: 'output_norm.weight', file: 'models/tiny.gguf', dtype: 'F32', shape: [64], byteOffset: built.layout.tensorDataOffsets[2], byteLength: 256, layout: { kind: 'contiguous' } },
      { name: 'custom.thing', storedName: 'custom.thing', file: 'models/tiny.gguf', dtype: 'BF16', shape: [5, 4, 3, 2], byteOffset: built.layout.tensorDataOffsets[3], byteLength: 240, layout: { kind: 'contiguous' } },
    ]);
  });

  it('maps every ggml type id Model Sleuth knows to its DType with matching block geometry', async () => {
    for (const t of allGgmlTypes()) {
      if (t.dtype === undefined) continue;
      expect(DTYPES[t.dtype].blockElements).toBe(t.blockElements);
      const g = await parse({ tensors: [{ name: 'w', ne: [t.blockElements * 2, 3], type: t.id, data: new Uint8Array(6 * t.blockBytes) }] });
      const [e] = ggufToTensorEntries(g, 'f');
      expect(e?.dtype).toBe(t.dtype);
      expect(e?.byteLength).toBe(6 * t.blockBytes);
    }
    expect(ggmlType(39)?.dtype).toBe('MXFP4');
    expect(ggmlType(30)?.dtype).toBe('BF16');
  });

  it('reports types ggml defines but Model Sleuth does not (gguf_unsupported_type)', async () => {
    for (const [id, name, blk, size] of [[40, 'NVFP4', 64, 36], [41, 'Q1_0', 128, 18], [42, 'Q2_0', 64, 18]] as const) {
      const built = buildGguf({ tensors: [{ name: 'w', ne: [blk, 2], type: id, data: new Uint8Array(2 * size) }] });
      const g = await parseGguf(new MemorySource('x', built.bytes));
      expect(g.tensors[0]).toMatchObject({ typeName: name, dtype: undefined, byteLength: 2 * size });
      try {
        ggufToTensorEntries(g, 'f.gguf');
        throw new Error('expected failure');
      } catch (e) {
        expect(e).toBeInstanceOf(SleuthError);
        expect((e as SleuthError).code).toBe('gguf_unsupported_type');
        expect((e as SleuthError).offset).toBe(built.layout.tensorInfoOffsets[0]);
      }
    }
  });

  it('refuses to hand big-endian tensors to the little-endian engine (gguf_big_endian), but not an empty one', async () => {
    const g = await parse({ bigEndian: true, tensors: [{ name: 'w', ne: [4], type: 'F32' }] });
    expect(() => ggufToTensorEntries(g, 'be.gguf')).toThrowError(expect.objectContaining({ code: 'gguf_big_endian', file: 'be.gguf' }) as Error);
    expect(ggufToTensorEntries(await parse({ bigEndian: true }), 'be.gguf')).toEqual([]);
  });
});

describe('GGUF ↔ Hugging Face names', () => {
  const llamaPairs: Array<[string, string]> = [
    ['token_embd.weight', 'model.embed_tokens.weight'],
    ['output_norm.weight', 'model.norm.weight'],
    ['output.weight', 'lm_head.weight'],
    ['blk.0.attn_norm.weight', 'model.layers.0.input_layernorm.weight'],
    ['blk.3.attn_q.weight', 'model.layers.3.self_attn.q_proj.weight'],
    ['blk.3.attn_k.weight', 'model.layers.3.self_attn.k_proj.weight'],
    ['blk.3.attn_v.weight', 'model.layers.3.self_attn.v_proj.weight'],
    ['blk.12.attn_output.weight', 'model.layers.12.self_attn.o_proj.weight'],
    ['blk.1.ffn_norm.weight', 'model.layers.1.post_attention_layernorm.weight'],
    ['blk.1.ffn_gate.weight', 'model.layers.1.mlp.gate_proj.weight'],
    ['blk.1.ffn_up.weight', 'model.layers.1.mlp.up_proj.weight'],
    ['blk.31.ffn_down.weight', 'model.layers.31.mlp.down_proj.weight'],
  ];
  it('maps the Llama family both ways', () => {
    for (const [gguf, hf] of llamaPairs) {
      expect(ggufToHfName(gguf, 'llama')).toEqual({ name: hf, transposed: false, valueShift: 0, ...(gguf === 'output.weight' ? { note: expect.any(String) as string } : {}) });
      expect(hfToGgufName(hf, 'llama')).toBe(gguf);
    }
  });

  it('maps Qwen2 biases and Qwen3 q/k norms', () => {
    expect(ggufToHfName('blk.2.attn_q.bias', 'qwen2')?.name).toBe('model.layers.2.self_attn.q_proj.bias');
    expect(ggufToHfName('blk.2.attn_k.bias', 'qwen2')?.name).toBe('model.layers.2.self_attn.k_proj.bias');
    expect(ggufToHfName('blk.2.attn_v.bias', 'qwen2')?.name).toBe('model.layers.2.self_attn.v_proj.bias');
    expect(hfToGgufName('model.layers.2.self_attn.q_proj.bias', 'qwen2')).toBe('blk.2.attn_q.bias');
    expect(ggufToHfName('blk.0.attn_q_norm.weight', 'qwen3')?.name).toBe('model.layers.0.self_attn.q_norm.weight');
    expect(ggufToHfName('blk.0.ffn_gate_inp.weight', 'qwen2moe')?.name).toBe('model.layers.0.mlp.gate.weight');
    expect(ggufToHfName('blk.0.ffn_gate_inp.weight', 'llama')?.name).toBe('model.layers.0.block_sparse_moe.gate.weight');
  });

  it('records Gemma norm shifts and its four per-layer norms', () => {
    expect(ggufToHfName('blk.0.attn_norm.weight', 'gemma')).toEqual({ name: 'model.layers.0.input_layernorm.weight', transposed: false, valueShift: 1 });
    expect(ggufToHfName('output_norm.weight', 'gemma2')?.valueShift).toBe(1);
    expect(ggufToHfName('blk.0.attn_q.weight', 'gemma3')?.valueShift).toBe(0);
    expect(ggufToHfName('blk.4.ffn_norm.weight', 'gemma2')?.name).toBe('model.layers.4.pre_feedforward_layernorm.weight');
    expect(ggufToHfName('blk.4.post_attention_norm.weight', 'gemma3')?.name).toBe('model.layers.4.post_attention_layernorm.weight');
    expect(ggufToHfName('blk.4.post_ffw_norm.weight', 'gemma3')?.name).toBe('model.layers.4.post_feedforward_layernorm.weight');
  });

  it('maps GPT-2 names and flags its transposed Conv1D weights', () => {
    expect(ggufToHfName('blk.5.attn_qkv.weight', 'gpt2')).toEqual({ name: 'transformer.h.5.attn.c_attn.weight', transposed: true, valueShift: 0 });
    expect(ggufToHfName('blk.5.attn_qkv.bias', 'gpt2')).toEqual({ name: 'transformer.h.5.attn.c_attn.bias', transposed: false, valueShift: 0 });
    expect(ggufToHfName('blk.5.ffn_up.weight', 'gpt2')?.name).toBe('transformer.h.5.mlp.c_fc.weight');
    expect(ggufToHfName('blk.5.attn_norm.bias', 'gpt2')?.name).toBe('transformer.h.5.ln_1.bias');
    expect(ggufToHfName('position_embd.weight', 'gpt2')?.name).toBe('transformer.wpe.weight');
    expect(hfToGgufName('transformer.h.11.mlp.c_proj.weight', 'gpt2')).toBe('blk.11.ffn_down.weight');
    expect(hfToGgufName('transformer.wte.weight', 'gpt2')).toBe('token_embd.weight');
  });

  it('round-trips every mapped name of every mapped architecture', () => {
    const bases = ['token_embd', 'output', 'output_norm', 'position_embd', 'blk.7.attn_q', 'blk.7.attn_qkv', 'blk.7.ffn_norm', 'blk.7.post_ffw_norm', 'blk.7.ffn_gate_inp', 'blk.7.ffn_up_shexp', 'blk.7.attn_k_norm'];
    for (const arch of MAPPED_ARCHITECTURES) {
      for (const base of bases) {
        for (const kind of ['weight', 'bias']) {
          const hf = ggufToHfName(`${base}.${kind}`, arch);
          if (hf !== undefined) expect(hfToGgufName(hf.name, arch), `${arch} ${base}.${kind}`).toBe(`${base}.${kind}`);
        }
      }
    }
  });

  it('leaves unknown architectures and names alone', () => {
    expect(ggufToHfName('blk.0.attn_q.weight', 'rwkv6')).toBeUndefined();
    expect(ggufToHfName('blk.0.attn_q.weight', undefined)).toBeUndefined();
    expect(ggufToHfName('rope_freqs.weight', 'llama')).toBeUndefined();
    expect(ggufToHfName('blk.0.ffn_gate_exps.weight', 'qwen2moe')).toBeUndefined();
    expect(hfToGgufName('model.layers.x.self_attn.q_proj.weight', 'llama')).toBeUndefined();
    expect(hfToGgufName('model.vision.weight', 'llama')).toBeUndefined();
  });
});

describe('mapGgufTensors', () => {
  const llamaFile = (extra: BuildOptions['kvs'] = []) =>
    parse({
      kvs: [{ key: 'general.architecture', value: kv.str('llama') }, { key: 'llama.attention.head_count', value: kv.u32(4) }, ...extra],
      tensors: [
        { name: 'blk.0.attn_q.weight', ne: [32, 32], type: 'F16' },
        { name: 'blk.0.attn_k.weight', ne: [32, 16], type: 'F16' },
        { name: 'blk.0.attn_v.weight', ne: [32, 16], type: 'F16' },
        { name: 'blk.0.attn_q.bias', ne: [32], type: 'F32' },
      ],
    });

  it('records the RoPE permutation of llama q/k rows with the head counts (GQA: head_count_kv for K)', async () => {
    const m = mapGgufTensors(await llamaFile([{ key: 'llama.attention.head_count_kv', value: kv.u32(2) }]));
    expect(m.rope).toMatchObject({ applies: true, architecture: 'llama', nHead: 4, nHeadKv: 2 });
    expect(m.tensors.map((t) => [t.storedName, t.name, t.ropePermutation])).toEqual([
      ['blk.0.attn_q.weight', 'model.layers.0.self_attn.q_proj.weight', { nHead: 4, rows: 32, headRows: 8 }],
      ['blk.0.attn_k.weight', 'model.layers.0.self_attn.k_proj.weight', { nHead: 2, rows: 16, headRows: 8 }],
      ['blk.0.attn_v.weight', 'model.layers.0.self_attn.v_proj.weight', undefined],
      ['blk.0.attn_q.bias', 'model.layers.0.self_attn.q_proj.bias', { nHead: 4, rows: 32, headRows: 8 }],
    ]);
  });

  it('defaults head_count_kv to head_count, reads per-layer head-count arrays, and notes when it cannot undo', async () => {
    let m = mapGgufTensors(await llamaFile());
    expect(m.rope.nHeadKv).toBe(4);
    expect(m.tensors[1]?.ropePermutation).toEqual({ nHead: 4, rows: 16, headRows: 4 });
    m = mapGgufTensors(
      await parse({
        kvs: [{ key: 'general.architecture', value: kv.str('deci') }, { key: 'deci.attention.head_count', value: kv.numArr('u32', [2, 8]) }],
        tensors: [
          { name: 'blk.0.attn_q.weight', ne: [8, 8], type: 'F32' },
          { name: 'blk.1.attn_q.weight', ne: [8, 8], type: 'F32' },
          { name: 'blk.1.attn_k.weight', ne: [8, 6], type: 'F32' },
        ],
      }),
    );
    expect(m.tensors[0]?.ropePermutation).toEqual({ nHead: 2, rows: 8, headRows: 4 });
    expect(m.tensors[1]?.ropePermutation).toBeUndefined();
    expect(m.tensors[1]?.note).toContain('do not split into 8 heads');
    const noHeads = mapGgufTensors(await parse({ kvs: [{ key: 'general.architecture', value: kv.str('llama') }], tensors: [{ name: 'blk.0.attn_q.weight', ne: [8, 8], type: 'F32' }] }));
    expect(noHeads.tensors[0]?.note).toContain('head count missing');
  });

  it('does not permute architectures converted without it', async () => {
    for (const arch of ['qwen2', 'gemma', 'gpt2', 'phi3']) {
      const m = mapGgufTensors(await parse({ kvs: [{ key: 'general.architecture', value: kv.str(arch) }, { key: `${arch}.attention.head_count`, value: kv.u32(2) }], tensors: [{ name: 'blk.0.attn_q.weight', ne: [8, 8], type: 'F32' }] }));
      expect(m.rope.applies).toBe(false);
      expect(m.tensors[0]?.ropePermutation).toBeUndefined();
    }
  });

  it('keeps stored names when a mapped name would collide with another tensor', async () => {
    const g = await parse({
      kvs: [{ key: 'general.architecture', value: kv.str('llama') }],
      tensors: [
        { name: 'token_embd.weight', ne: [4, 2], type: 'F32' },
        { name: 'model.embed_tokens.weight', ne: [4, 2], type: 'F32' },
      ],
    });
    const entries = ggufToTensorEntries(g, 'f');
    expect(entries.map((e) => e.name)).toEqual(['token_embd.weight', 'model.embed_tokens.weight']);
    expect(new Set(entries.map((e) => e.name)).size).toBe(2);
  });
});
