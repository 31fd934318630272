/**
 * The real GGUF files in shared/real-models (see its PROVENANCE.md): every one must parse, or fail
 * with the code its known defect deserves. Skipped, visibly, when the folder is not beside the repo.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../../src/lib/io/byte-source.ts';
import { SleuthError } from '../../../../src/lib/formats/errors.ts';
import { parseGguf, type GgufFile } from '../../../../src/lib/formats/gguf/parse-gguf.ts';
import { ggufInteger, ggufString, ggufTokens } from '../../../../src/lib/formats/gguf/metadata.ts';
import { ggufToTensorEntries, mapGgufTensors } from '../../../../src/lib/formats/gguf/to-manifest.ts';
import { dequantizeBlocks } from '../../../../src/lib/engine/cpu/dequant.ts';

const ROOT = fileURLToPath(new URL('../../../../../shared/real-models/', import.meta.url));
const present = existsSync(`${ROOT}PROVENANCE.md`);
if (!present) console.warn(`[skip] real-model GGUF tests: ${ROOT} is absent`);

const load = (rel: string): Uint8Array => new Uint8Array(readFileSync(`${ROOT}${rel}`));
const parse = (rel: string): Promise<GgufFile> => parseGguf(new MemorySource(rel, load(rel)));
async function failure(rel: string): Promise<SleuthError> {
  try {
    await parse(rel);
  } catch (e) {
    if (e instanceof SleuthError) return e;
    throw e;
  }
  throw new Error(`${rel} parsed; expected a coded error`);
}

describe.skipIf(!present)('real GGUF files (shared/real-models)', () => {
  it('llama.cpp/ggml-vocab-llama-ggufv1.gguf: GGUF v1 (u32 counts), vocab only', async () => {
    const g = await parse('llama.cpp/ggml-vocab-llama-ggufv1.gguf');
    expect(g).toMatchObject({ version: 1, byteOrder: 'little', alignment: 32, headerEnd: 595423, size: 595423 });
    expect(g.metadata.size).toBe(13);
    expect(g.tensors).toEqual([]);
    expect(g.unclaimed).toEqual([]);
    const tokens = ggufTokens(g);
    expect(tokens?.length).toBe(32000);
    expect([tokens?.get(0), tokens?.get(1), tokens?.get(2)]).toEqual(['<unk>', '<s>', '</s>']);
    expect(ggufInteger(g, 'llama.attention.head_count')).toBe(32);
  });

  it('llama.cpp/ggml-vocab-falcon-ggufv2.gguf: GGUF v2, 65,024 tokens and 64,784 merges, no data section', async () => {
    const g = await parse('llama.cpp/ggml-vocab-falcon-ggufv2.gguf');
    expect(g).toMatchObject({ version: 2, headerEnd: 2547782, size: 2547782 });
    expect(g.metadata.size).toBe(17);
    expect(ggufString(g, 'falcon.tensor_data_layout')).toBe('jploski');
    expect(ggufTokens(g)?.length).toBe(65024);
    const merges = g.metadata.get('tokenizer.ggml.merges')?.value;
    expect(merges?.type === 'arr' && merges.value.length).toBe(64784);
  });

  it('llama.cpp/ggml-vocab-llama-spm.gguf: GGUF v3 with bool keys, file ends unpadded after the header', async () => {
    const g = await parse('llama.cpp/ggml-vocab-llama-spm.gguf');
    expect(g).toMatchObject({ version: 3, headerEnd: 723869, size: 723869 });
    expect(g.metadata.size).toBe(22);
    expect(g.metadata.get('tokenizer.ggml.add_bos_token')?.value).toEqual({ type: 'bool', value: true });
    expect(ggufString(g, 'tokenizer.ggml.pre')).toBe('default');
  });

  it('gguf-rs/test-le-v3.gguf: alignment 64, three F32 tensors at 0/128/384 of a data section at 448', async () => {
    const g = await parse('gguf-rs/test-le-v3.gguf');
    expect(g).toMatchObject({ version: 3, alignment: 64, headerEnd: 395, dataStart: 448, unclaimed: [] });
    expect(g.tensors.map((t) => [t.name, t.ne, t.typeName, t.offset, t.byteOffset])).toEqual([
      ['tensor1', [32], 'F32', 0, 448],
      ['tensor2', [64], 'F32', 128, 576],
      ['tensor3', [96], 'F32', 384, 832],
    ]);
    const bytes = load('gguf-rs/test-le-v3.gguf');
    const values = g.tensors.map((t) => {
      const out = new Float32Array(t.elements);
      dequantizeBlocks(bytes.subarray(t.byteOffset, t.byteOffset + t.byteLength), 'F32', t.elements, out);
      return new Set(out);
    });
    expect(values.map((s) => [...s])).toEqual([[100], [101], [102]]);
    expect(ggufToTensorEntries(g, 'test-le-v3.gguf').map((e) => e.shape)).toEqual([[32], [64], [96]]);
  });

  it('gguf-rs/test-be-v3.gguf: read as big-endian, then rejected for its duplicate general.architecture (as llama.cpp does)', async () => {
    const e = await failure('gguf-rs/test-be-v3.gguf');
    expect(e.code).toBe('gguf_duplicate_key');
    expect(e.offset).toBe(69);
    expect(e.message).toContain('general.architecture');
    expect(e.message).toContain('first at byte 24');
  });

  it('gguf-rs/test-be-v3.gguf read with duplicateKeys: keep-first: big-endian metadata, tensors and values', async () => {
    const rel = 'gguf-rs/test-be-v3.gguf';
    const bytes = load(rel);
    const g = await parseGguf(new MemorySource(rel, bytes), { duplicateKeys: 'keep-first' });
    expect(g).toMatchObject({ version: 3, byteOrder: 'big', alignment: 64, headerEnd: 350, dataStart: 384 });
    expect(g.duplicateKeys.map((d) => [d.key, d.offset])).toEqual([['general.architecture', 69]]);
    expect(ggufString(g, 'general.architecture')).toBe('llama');
    expect(ggufInteger(g, 'llama.block_count')).toBe(12);
    expect(ggufInteger(g, 'answer')).toBe(42);
    expect(g.metadata.get('answer_in_float')?.value).toEqual({ type: 'f32', value: 42 });
    expect(g.tensors.map((t) => [t.name, t.ne, t.offset, t.byteLength])).toEqual([
      ['tensor1', [32], 0, 128],
      ['tensor2', [64], 128, 256],
      ['tensor3', [96], 384, 384],
    ]);
    // Tensor data is big-endian too: 100.0f = 42 c8 00 00.
    const t1 = g.tensors[0];
    expect(t1 && new DataView(bytes.buffer, bytes.byteOffset + t1.byteOffset, 4).getFloat32(0, false)).toBe(100);
    expect(() => ggufToTensorEntries(g, rel)).toThrowError(expect.objectContaining({ code: 'gguf_big_endian' }) as Error);
  });

  it('ollama/llama-2-tiny-random.gguf: 12 F16/F32 tensors, HF names, row-major shapes, RoPE record', async () => {
    const rel = 'ollama/llama-2-tiny-random.gguf';
    const g = await parse(rel);
    expect(g).toMatchObject({ version: 3, alignment: 32, headerEnd: 724398, dataStart: 724416, unclaimed: [] });
    expect(g.tensors.length).toBe(12);
    const entries = ggufToTensorEntries(g, rel);
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get('model.embed_tokens.weight')).toMatchObject({ storedName: 'token_embd.weight', dtype: 'F16', shape: [32000, 8], byteOffset: 724416, byteLength: 512000 });
    expect(byName.get('model.layers.0.self_attn.q_proj.weight')).toMatchObject({ storedName: 'blk.0.attn_q.weight', shape: [8, 8], byteOffset: 1236416 });
    expect(byName.get('model.norm.weight')?.dtype).toBe('F32');
    expect([...byName.keys()].every((n) => n.startsWith('model.') || n === 'lm_head.weight')).toBe(true);
    const last = entries.reduce((a, e) => Math.max(a, e.byteOffset + e.byteLength), 0);
    expect(last).toBeLessThanOrEqual(g.size);

    const m = mapGgufTensors(g);
    expect(m.rope).toMatchObject({ applies: true, architecture: 'llama', nHead: 2, nHeadKv: 2 });
    expect(m.tensors.find((t) => t.storedName === 'blk.0.attn_k.weight')?.ropePermutation).toEqual({ nHead: 2, rows: 8, headRows: 4 });

    // Embedding row i is token i: decode row 1 ("<s>") from the file bytes.
    const emb = byName.get('model.embed_tokens.weight');
    expect(ggufTokens(g)?.get(1)).toBe('<s>');
    if (emb === undefined) return;
    const bytes = load(rel);
    const row = new Float32Array(8);
    dequantizeBlocks(bytes.subarray(emb.byteOffset + 16, emb.byteOffset + 32), 'F16', 8, row);
    expect(row.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('ollama/test-truncated.gguf: 6 bytes (magic + half a version) → truncated at byte 0', async () => {
    const e = await failure('ollama/test-truncated.gguf');
    expect(e.code).toBe('truncated');
    expect(e.offset).toBe(0);
    expect(e.file).toBe('ollama/test-truncated.gguf');
  });

  it('the non-GGUF files of the corpus are refused at the magic', async () => {
    for (const rel of ['safetensors-samples-pr84/overall.safetensors', 'picklescan/malicious0.pkl', 'numpy-tests/win64python2.npy']) {
      expect((await failure(rel)).code).toBe('gguf_bad_magic');
    }
  });
});
