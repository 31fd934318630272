/**
 * A whole comparison on the WebGPU engine (Node, Dawn) reports what the CPU engine reports, for
 * the GGUF cases of issue 3: quantized tensors are now decoded by the kernels (quant-common.wgsl)
 * and the rank sketch's product runs in sketch.wgsl. Exact: verdict, tensor statuses, edit kinds
 * and ranks, changed counts, precision violations, changed rows, top elements; float summaries
 * within the agreement suite's relative tolerance. Skipped, with a visible reason, without an adapter.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createNodeWebGpuEngineRaw } from '../../../src/cli/node-webgpu.ts';
import { compareModels } from '../../../src/lib/analysis/compare.ts';
import { InProcessRunner } from '../../../src/lib/analysis/runner.ts';
import { CpuEngine, type ComputeEngine } from '../../../src/lib/engine/engine.ts';
import type { WebGpuEngine } from '../../../src/lib/engine/webgpu/webgpu-engine.ts';
import { createNodeSha256 } from '../../../src/lib/evidence/sha256-node.ts';
import type { ReportV1 } from '../../../src/lib/report/types.ts';
import { TOOL_VERSION } from '../../../src/lib/version.ts';
import { memorySources } from '../../fixtures/compare-both.ts';
import { llamaToGguf } from '../../fixtures/llama-to-gguf.ts';
import { singleFile, type ModelFiles } from '../../fixtures/model-files.ts';
import { clone, find, rank1Edit, tinyLlama, TINY as BASE, type TinyConfig } from '../../fixtures/tiny-llama.ts';

let gpu: WebGpuEngine | undefined;
let unavailable = '';
try {
  gpu = await createNodeWebGpuEngineRaw();
} catch (e) {
  unavailable = (e as Error).message;
  console.warn(`[webgpu-compare] SKIPPED: ${unavailable}`);
}

const TINY: TinyConfig = { ...BASE, intermediate: 192 };

async function compare(engine: ComputeEngine, kg: ModelFiles, su: ModelFiles): Promise<ReportV1> {
  const runner = new InProcessRunner({ knownGood: memorySources(kg), suspect: memorySources(su) }, createNodeSha256, engine, { chunkBytes: 16384 });
  try {
    return await compareModels(runner, { toolVersion: TOOL_VERSION });
  } finally {
    runner.dispose();
  }
}

const close = (x: number, y: number): boolean => Math.abs(x - y) <= 2 ** -16 * Math.max(Math.abs(x), Math.abs(y)) + 1e-30;

function expectSameReport(g: ReportV1, c: ReportV1): void {
  expect(g.verdict.status).toBe(c.verdict.status);
  expect(g.tensors.map((t) => [t.name, t.status])).toEqual(c.tensors.map((t) => [t.name, t.status]));
  for (const [i, ct] of c.tensors.entries()) {
    const gd = g.tensors[i]?.delta;
    const cd = ct.delta;
    expect(gd === undefined, ct.name).toBe(cd === undefined);
    if (gd === undefined || cd === undefined) continue;
    expect({ name: ct.name, edit: gd.edit.kind, rank: gd.edit.rank, changed: gd.changedCount, violations: gd.precisionViolations, rows: gd.changedRows, top: gd.topElements }).toEqual({
      name: ct.name,
      edit: cd.edit.kind,
      rank: cd.edit.rank,
      changed: cd.changedCount,
      violations: cd.precisionViolations,
      rows: cd.changedRows,
      top: cd.topElements,
    });
    expect(close(gd.l2, cd.l2) && close(gd.cosine, cd.cosine), `${ct.name}: l2 ${gd.l2} vs ${cd.l2}, cosine ${gd.cosine} vs ${cd.cosine}`).toBe(true);
    const gs = gd.spectrum?.singularValues ?? [];
    const cs = cd.spectrum?.singularValues ?? [];
    expect(gs.length).toBe(cs.length);
    // The sketch's f32 products: σ agree to the sketch tolerance, far inside what the rank needs.
    gs.forEach((s, k) => expect(Math.abs(s - (cs[k] as number)) <= 1e-4 * (cs[0] as number), `${ct.name} σ${k}: ${s} vs ${cs[k]}`).toBe(true));
  }
}

describe.skipIf(gpu === undefined)(`a comparison on WebGPU reports what the CPU engine reports (${gpu?.adapter.description ?? unavailable})`, () => {
  afterAll(() => gpu?.dispose());
  // The runner disposes its engine: each comparison gets a view (same device and pipelines).
  const need = (): WebGpuEngine => {
    if (gpu === undefined) throw new Error('no WebGPU engine');
    return gpu.withLimits({});
  };
  const m = tinyLlama(TINY);
  const hf = { 'model.safetensors': singleFile(m) };

  /** A view of the engine that records which dtypes its `diff` saw and how often `sketch` ran. */
  const watched = (): { engine: WebGpuEngine; dtypes: Set<string>; sketches: () => number } => {
    const engine = need();
    const dtypes = new Set<string>();
    let sketches = 0;
    const diff = engine.diff.bind(engine);
    const sketch = engine.sketch.bind(engine);
    engine.diff = (a, b, ...rest) => {
      dtypes.add(a.dtype).add(b.dtype);
      return diff(a, b, ...rest);
    };
    engine.sketch = (rows, omega, k) => {
      sketches++;
      return sketch(rows, omega, k);
    };
    return { engine, dtypes, sketches: () => sketches };
  };

  it('HF safetensors vs its Q8_0 GGUF: benign-precision, tensor by tensor as on the CPU', { timeout: 300_000 }, async () => {
    const su = { 'model.gguf': llamaToGguf(m, TINY, 'Q8_0') };
    const w = watched();
    const g = await compare(w.engine, hf, su);
    expect(w.dtypes.has('Q8_0')).toBe(true);
    expect(g.verdict.status).toBe('benign-precision');
    expectSameReport(g, await compare(new CpuEngine(), hf, su));
  });

  it('a 5% rank-1 edit under Q4_0 noise: tampered, the same tensor, rank and spectrum', { timeout: 300_000 }, async () => {
    const s = clone(m);
    const t = find(s, 'model.layers.2.mlp.down_proj.weight');
    const norm = Math.sqrt(t.values.reduce((acc, x) => acc + x * x, 0));
    rank1Edit(t, (0.05 * norm) / Math.sqrt(t.values.length), 12);
    const su = { 'model.gguf': llamaToGguf(s, TINY, 'Q4_0') };
    const w = watched();
    const g = await compare(w.engine, hf, su);
    expect(w.dtypes.has('Q4_0')).toBe(true);
    expect(w.sketches()).toBeGreaterThan(0);
    expect(g.verdict.status, g.verdict.summary + JSON.stringify(g.findings.filter((f) => f.severity !== 'info').slice(0, 3))).toBe('tampered');
    expectSameReport(g, await compare(new CpuEngine(), hf, su));
  });
});

if (gpu === undefined) {
  describe('a comparison on WebGPU', () => {
    it.skip(`skipped: no WebGPU adapter through Dawn (${unavailable})`, () => {});
  });
}
