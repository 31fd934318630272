/**
 * Real adapters as their tools wrote them (/work/shared/real-models, see PROVENANCE.md): a PEFT 0.6.1
 * LoRA (legacy adapter_model.bin, a torch zip), a PEFT "FineGates" adapter (not a LoRA: must be an
 * unknown adapter type, never a crash), an mlx-lm LoRA (lora_a [in, r], transposed vs PEFT; scale
 * taken as is) and an old cloneofsimo/lora file (factors indexed by injection order). Skipped, visibly,
 * where the files are absent.
 *
 * The merges are computed here from the raw factor bytes (not through the code under test), so the
 * audit's reading, orientation and scale are checked against an independent product.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadAdapter } from '../../../src/lib/formats/adapters/index.ts';
import { openPath, type NodeFileSource } from '../../../src/lib/io/node-source.ts';
import { compareModels } from '../../../src/lib/analysis/compare.ts';
import { InProcessRunner } from '../../../src/lib/analysis/runner.ts';
import { CpuEngine } from '../../../src/lib/engine/engine.ts';
import { createNodeSha256 } from '../../../src/lib/evidence/sha256-node.ts';
import type { TensorEntry } from '../../../src/lib/formats/manifest.ts';
import type { ByteSource } from '../../../src/lib/io/byte-source.ts';
import { validateReport } from '../../../src/lib/report/validate.ts';
import type { ReportV1 } from '../../../src/lib/report/types.ts';
import { memorySources } from '../../fixtures/compare-both.ts';
import { singleFile, type ModelFiles } from '../../fixtures/model-files.ts';
import { normals } from '../../fixtures/safetensors-builder.ts';
import { tinyLlama, type FloatTensor } from '../../fixtures/tiny-llama.ts';

const ROOT = '/work/shared/real-models/';
const PEFT_BIN = `${ROOT}peft/lora_mlp-0.6.1-adapter_model.bin`;
const PEFT_CONFIG = `${ROOT}peft/lora_mlp-0.6.1-adapter_config.json`;
const FINEGATES = `${ROOT}peft-trainer-ckpt`;
const MLX = `${ROOT}ollama/mlx-lora-adapters.safetensors`;
const MLX_CONFIG = `${ROOT}ollama/mlx-lora-adapter_config.json`;
const CLONEOFSIMO = `${ROOT}cloneofsimo-lora/lora_disney_inpainting.safetensors`;

const present = (...paths: string[]): boolean => paths.every((p) => existsSync(p));
if (!present(PEFT_BIN, PEFT_CONFIG, FINEGATES, MLX, MLX_CONFIG, CLONEOFSIMO)) {
  // Visible in the run's output, not a silent pass.
  console.warn(`real-adapters.test.ts: some real adapters are missing under ${ROOT}; their tests are skipped`);
}

async function open(...paths: string[]): Promise<NodeFileSource[]> {
  return (await Promise.all(paths.map((p) => openPath(p)))).flat();
}

async function closeAll(sources: readonly NodeFileSource[]): Promise<void> {
  for (const s of sources) await s.close();
}

/** An F32 contiguous tensor's values straight from its bytes. */
async function f32Values(source: ByteSource, t: TensorEntry): Promise<Float32Array> {
  expect(t.dtype).toBe('F32');
  expect(t.layout.kind).toBe('contiguous');
  const bytes = await source.read(t.byteOffset, t.byteLength);
  return new Float32Array(bytes.slice().buffer);
}

async function compareWith(kg: ModelFiles, su: ModelFiles, adapter: readonly ByteSource[]): Promise<ReportV1> {
  const runner = new InProcessRunner({ knownGood: memorySources(kg), suspect: memorySources(su), adapter }, createNodeSha256, new CpuEngine(), { chunkBytes: 1 << 16 });
  try {
    const report = await compareModels(runner, { toolVersion: 'test', adapter: { label: 'real adapter' } });
    const v = validateReport(JSON.parse(JSON.stringify(report)));
    expect(v.ok ? [] : v.errors).toEqual([]);
    return report;
  } finally {
    runner.dispose();
  }
}

describe('real adapters', () => {
  it.skipIf(!present(PEFT_BIN, PEFT_CONFIG))('PEFT 0.6.1 legacy adapter_model.bin: lin0 (r 8, alpha 8), merged at scale 1, is explained', async () => {
    const sources = await open(PEFT_BIN, PEFT_CONFIG);
    try {
      const m = await loadAdapter('peft', sources);
      expect(m).toMatchObject({ format: 'peft', type: 'LORA', supported: true, problems: [] });
      expect(m.config).toMatchObject({ rank: 8, alpha: 8, targetModules: ['lin0'] });
      expect(m.pairs).toHaveLength(1);
      const p = m.pairs[0];
      if (!p) throw new Error('no pair');
      expect(p).toMatchObject({ module: 'lin0', targets: ['lin0.weight'], rank: 8, scale: 1 });
      expect(p.left.entry.name).toBe('base_model.model.lin0.lora_B.weight');
      expect(p.right.entry.name).toBe('base_model.model.lin0.lora_A.weight');
      const bin = sources.find((s) => s.path.endsWith('.bin')) as NodeFileSource;
      const B = await f32Values(bin, p.left.entry); // [20, 8]
      const A = await f32Values(bin, p.right.entry); // [8, 10]
      const [out, r] = p.left.entry.shape as [number, number];
      const inp = p.right.entry.shape[1] as number;
      const w0 = normals(out * inp, 0.1, 3);
      const w1 = Float32Array.from(w0);
      for (let i = 0; i < out; i++)
        for (let j = 0; j < inp; j++) {
          let s = 0;
          for (let k = 0; k < r; k++) s += (B[i * r + k] as number) * (A[k * inp + j] as number);
          w1[i * inp + j] = (w0[i * inp + j] as number) + s;
        }
      const bias: FloatTensor = { name: 'lin0.bias', shape: [out], values: normals(out, 0.1, 4) };
      const kg = { 'model.safetensors': singleFile([{ name: 'lin0.weight', shape: [out, inp], values: w0 }, bias]) };
      const su = { 'model.safetensors': singleFile([{ name: 'lin0.weight', shape: [out, inp], values: w1 }, bias]) };
      const report = await compareWith(kg, su, sources);
      expect(report.adapter?.targets).toMatchObject([{ tensor: 'lin0.weight', status: 'explained', rank: 8, scale: 1 }]);
      expect(report.adapter?.allChangesExplained).toBe(true);
      expect(report.findings.filter((f) => f.kind === 'adapter-explains-delta').map((f) => f.tensor)).toEqual(['lin0.weight']);
    } finally {
      await closeAll(sources);
    }
  });

  it.skipIf(!present(FINEGATES))('PEFT FineGates checkpoint: an unknown adapter type, reported, nothing audited, no crash', async () => {
    const sources = await open(FINEGATES);
    try {
      const m = await loadAdapter('finegates', sources);
      expect(m).toMatchObject({ format: 'peft', type: 'FINEGATES', supported: false, pairs: [] });
      expect(m.notes.join('\n')).toMatch(/Unknown adapter type: PEFT "FINEGATES" is not a LoRA/);
      expect(m.notes.join('\n')).toMatch(/ignored: rng_state\.pth, trainer_state\.json, training_args\.bin/);
      // In a comparison: the adapter is described, the change stays unexplained, the verdict says why.
      const base = tinyLlama({ vocab: 32, hidden: 16, intermediate: 32, layers: 1, heads: 2, kvHeads: 1, tieEmbeddings: false }, 2);
      const edited = base.map((t) => ({ ...t, values: Float32Array.from(t.values) }));
      const first = edited[1];
      if (!first) throw new Error('no tensor');
      first.values[0] = (first.values[0] as number) + 0.5;
      const report = await compareWith({ 'model.safetensors': singleFile(base) }, { 'model.safetensors': singleFile(edited) }, sources);
      expect(report.adapter).toMatchObject({ supported: false, type: 'FINEGATES', targets: [], unexplained: [first.name], allChangesExplained: false });
      expect(report.verdict.status).toBe('tampered');
      expect(report.verdict.summary).toMatch(/could not be audited: FINEGATES is not a plain LoRA/);
      expect(report.adapter?.files.find((f) => f.path === 'adapter_model.safetensors')?.sha256).toBe('577522872132f8be4e985e5d16db153bd37df0e5fe89896c9abb064cc36892e6');
    } finally {
      await closeAll(sources);
    }
  });

  it.skipIf(!present(MLX, MLX_CONFIG))('mlx-lm adapter: 4 pairs on layers 30–31, scale 2 as is, and a merge of v_proj (lora_a [in, r]) is explained', async () => {
    const sources = await open(MLX, MLX_CONFIG);
    try {
      const m = await loadAdapter('mlx', sources);
      expect(m).toMatchObject({ format: 'mlx', type: 'lora', supported: true });
      expect(m.config).toMatchObject({ rank: 8, alpha: 16, mlxScale: 2, numLayers: 2 });
      expect(m.pairs.map((p) => p.targets[0])).toEqual([
        'model.layers.30.self_attn.q_proj.weight',
        'model.layers.30.self_attn.v_proj.weight',
        'model.layers.31.self_attn.q_proj.weight',
        'model.layers.31.self_attn.v_proj.weight',
      ]);
      expect(m.pairs.every((p) => p.scale === 2 && p.rank === 8)).toBe(true);
      const v = m.pairs[1];
      if (!v) throw new Error('no v_proj pair');
      expect(v.left.entry.name).toBe('model.layers.30.self_attn.v_proj.lora_b');
      const a = await f32Values(sources[0] as NodeFileSource, v.right.entry); // lora_a [4096, 8]
      const b = await f32Values(sources[0] as NodeFileSource, v.left.entry); // lora_b [8, 1024]
      const inp = v.right.entry.shape[0] as number;
      const r = 8;
      const out = v.left.entry.shape[1] as number;
      expect([inp, out]).toEqual([4096, 1024]);
      // mlx-lm fuse: W + (scale · lora_bᵀ) @ lora_aᵀ  →  ΔW[i, j] = 2 · Σₖ lora_b[k, i] · lora_a[j, k].
      const w0 = normals(out * inp, 0.02, 8);
      const w1 = Float32Array.from(w0);
      for (let i = 0; i < out; i++)
        for (let j = 0; j < inp; j++) {
          let s = 0;
          for (let k = 0; k < r; k++) s += (b[k * out + i] as number) * (a[j * r + k] as number);
          w1[i * inp + j] = (w0[i * inp + j] as number) + 2 * s;
        }
      const name = 'model.layers.30.self_attn.v_proj.weight';
      const report = await compareWith({ 'model.safetensors': singleFile([{ name, shape: [out, inp], values: w0 }]) }, { 'model.safetensors': singleFile([{ name, shape: [out, inp], values: w1 }]) }, sources);
      const t = report.adapter?.targets.find((x) => x.tensor === name);
      expect(t).toMatchObject({ status: 'explained', scale: 2, elementsBeyondRounding: 0 });
      expect(t?.fittedScale ?? 0).toBeCloseTo(2, 5);
      // The other three pairs name tensors this (one-tensor) model does not have.
      expect(report.adapter?.targets.filter((x) => x.status === 'missing')).toHaveLength(3);
      expect(report.findings.some((f) => f.kind === 'adapter-mismatch' && /may belong to another model/.test(f.message))).toBe(true);
      expect(report.adapter?.allChangesExplained).toBe(true);
    } finally {
      await closeAll(sources);
    }
  });

  it.skipIf(!present(CLONEOFSIMO))('cloneofsimo/lora (indexed factors, misaligned F16): read, described, nothing matched, no crash', async () => {
    const sources = await open(CLONEOFSIMO);
    try {
      const m = await loadAdapter('disney', sources);
      expect(m.format).toBe('cloneofsimo');
      expect(m.pairs).toHaveLength(192);
      expect(m.pairs.every((p) => p.targets.length === 0 && p.rank >= 1)).toBe(true);
      expect(m.notes.join('\n')).toMatch(/indexed by injection order/);
      expect(m.notes.join('\n')).toMatch(/<s1>, <s2>/);
      const base = tinyLlama({ vocab: 32, hidden: 16, intermediate: 32, layers: 1, heads: 2, kvHeads: 1, tieEmbeddings: false }, 2);
      const files = { 'model.safetensors': singleFile(base) };
      const report = await compareWith(files, files, sources);
      expect(report.verdict.status).toBe('clean');
      expect(report.adapter?.targets.every((t) => t.status === 'missing' && t.tensor === null)).toBe(true);
    } finally {
      await closeAll(sources);
    }
  });
});
