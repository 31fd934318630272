/**
 * Adapter audit, issue 4 "must be exactly right": a LoRA r = 4 merged into four q/v tensors is
 * `low-rank` (rank ≤ 4) per tensor, and given the adapter every change is `adapter-explains-delta` —
 * merged in F32 and in BF16 (rounded after the merge). A different adapter is `adapter-mismatch`, an
 * extra edit beside the merge is listed as unexplained, an edit on top of the merge inside a targeted
 * tensor is caught element-wise, a wrong scale is named. In-process (the browser's path) and through
 * the real CLI (`compare … --adapter`), which must agree.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareModels } from '../../../src/lib/analysis/compare.ts';
import { InProcessRunner } from '../../../src/lib/analysis/runner.ts';
import { CpuEngine } from '../../../src/lib/engine/engine.ts';
import { createNodeSha256 } from '../../../src/lib/evidence/sha256-node.ts';
import { validateReport } from '../../../src/lib/report/validate.ts';
import type { ReportV1 } from '../../../src/lib/report/types.ts';
import { renderHtmlReport } from '../../../src/lib/report/render-html.ts';
import { renderMarkdownReport } from '../../../src/lib/report/render-markdown.ts';
import { TOOL_VERSION } from '../../../src/lib/version.ts';
import { runCli } from '../../fixtures/cli.ts';
import { comparable, jsonDifferences, memorySources } from '../../fixtures/compare-both.ts';
import { applyLora, makeLora, mlxAdapterFiles, peftAdapterFiles, roundTensors, type LoraFactors } from '../../fixtures/lora.ts';
import { singleFile, writeModel, type ModelFiles } from '../../fixtures/model-files.ts';
import { clone, find, flipBits, rank1Edit, tinyLlama, TINY, type FloatTensor, type TinyConfig } from '../../fixtures/tiny-llama.ts';

const CONFIG: TinyConfig = { ...TINY, layers: 3 };
const BASE: readonly FloatTensor[] = tinyLlama(CONFIG, 11);
const TARGETS = ['model.layers.1.self_attn.q_proj.weight', 'model.layers.1.self_attn.v_proj.weight', 'model.layers.2.self_attn.q_proj.weight', 'model.layers.2.self_attn.v_proj.weight'];
const R = 4;
const ALPHA = 8;
const SCALE = ALPHA / R;

const lora = (seed: number): LoraFactors[] => TARGETS.map((name, i) => makeLora(find(BASE, name), R, seed + 10 * i));
const GOOD = lora(100);
const OTHER = lora(900);
const ADAPTER = peftAdapterFiles(GOOD, { r: R, alpha: ALPHA, layers: [1, 2] });

/** The suspect: BASE (optionally rounded) with `factors` merged at `scale`. */
function merged(factors: readonly LoraFactors[], scale = SCALE, base: readonly FloatTensor[] = BASE): FloatTensor[] {
  const s = clone(base);
  for (const f of factors) applyLora(find(s, f.target), f, scale);
  return s;
}

async function compareIn(kg: ModelFiles, su: ModelFiles, adapter: ModelFiles | undefined, options: { chunkBytes?: number; concurrency?: number } = {}): Promise<ReportV1> {
  const runner = new InProcessRunner(
    { knownGood: memorySources(kg), suspect: memorySources(su), ...(adapter ? { adapter: memorySources(adapter) } : {}) },
    createNodeSha256,
    new CpuEngine(),
    { chunkBytes: options.chunkBytes ?? 8192, concurrency: options.concurrency ?? 1 },
  );
  try {
    return await compareModels(runner, { toolVersion: TOOL_VERSION, ...(adapter ? { adapter: { label: 'adapter' } } : {}) });
  } finally {
    runner.dispose();
  }
}

const f32 = (t: readonly FloatTensor[]): ModelFiles => ({ 'model.safetensors': singleFile(t) });
const target = (r: ReportV1, name: string) => r.adapter?.targets.find((t) => t.tensor === name);
const kinds = (r: ReportV1, kind: string): string[] => r.findings.filter((f) => f.kind === kind).map((f) => f.tensor ?? '');

function expectValid(r: ReportV1): void {
  const v = validateReport(JSON.parse(JSON.stringify(r)));
  expect(v.ok ? [] : v.errors).toEqual([]);
}

describe('adapter audit: LoRA r=4 on four q/v tensors', () => {
  it('merged in F32: low-rank ≤ 4 each, and with the adapter every change is explained', async () => {
    const report = await compareIn(f32(BASE), f32(merged(GOOD)), ADAPTER);
    expectValid(report);
    for (const name of TARGETS) {
      const t = report.tensors.find((x) => x.name === name);
      expect(t?.status, name).toBe('modified');
      expect(t?.delta?.edit.kind, name).toBe('low-rank');
      expect(t?.delta?.edit.rank ?? 99, name).toBeLessThanOrEqual(4);
      const a = target(report, name);
      expect(a?.status, name).toBe('explained');
      expect(a?.residualRatio ?? 1, name).toBeLessThan(1e-5);
      expect(a?.elementsBeyondRounding, name).toBe(0);
      expect(a?.fittedScale ?? 0, name).toBeCloseTo(SCALE, 4);
    }
    expect(kinds(report, 'adapter-explains-delta').sort()).toEqual([...TARGETS].sort());
    expect(kinds(report, 'adapter-mismatch')).toEqual([]);
    const ad = report.adapter;
    expect(ad).toMatchObject({ format: 'peft', type: 'LORA', supported: true, rank: 4, alpha: 8, scale: 2, layers: [1, 2], targetModules: ['q_proj', 'v_proj'], unexplained: [], notMerged: [], allChangesExplained: true });
    expect(ad?.files.map((f) => f.path)).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(ad?.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256 ?? ''))).toBe(true);
    // The verdict stays "tampered" (the weights differ) and says the merge explains everything.
    expect(report.verdict.status).toBe('tampered');
    expect(report.verdict.summary).toMatch(/only by the merge of the given adapter/);
    for (const id of report.verdict.reasons) {
      const f = report.findings.find((x) => x.id === id);
      expect(f?.kind).toBe('tensor-modified');
      expect(f?.message).toMatch(/fully explained by the given adapter/);
      expect(f?.severity).toBe('info');
    }
    expect(report.patterns?.some((p) => /given adapter .* explains the changes to 4 tensors/.test(p))).toBe(true);
    // Shown in both renderers.
    expect(renderHtmlReport(report)).toContain('id="adapter"');
    expect(renderMarkdownReport(report)).toContain('## Adapter audit');
  });

  it('merged in BF16 (rounded after the merge): still explained, element by element within rounding', async () => {
    const kgT = roundTensors(clone(BASE), 'BF16');
    const suT = merged(GOOD, SCALE, kgT);
    const report = await compareIn({ 'model.safetensors': singleFile(kgT, 'BF16') }, { 'model.safetensors': singleFile(suT, 'BF16') }, ADAPTER);
    expectValid(report);
    for (const name of TARGETS) {
      const a = target(report, name);
      expect(a?.status, name).toBe('explained');
      expect(a?.elementsBeyondRounding, name).toBe(0);
      expect(a?.residualRatio ?? 1, name).toBeGreaterThan(0); // rounding is visible in the norm…
      expect(a?.residualRatio ?? 1, name).toBeLessThan(0.05); // …and far below the threshold
    }
    expect(report.adapter?.allChangesExplained).toBe(true);
    expect(report.tensors.filter((t) => t.status === 'modified').map((t) => t.name).sort()).toEqual([...TARGETS].sort());
  });

  it('a different adapter (other seed) is adapter-mismatch on every target', async () => {
    const report = await compareIn(f32(BASE), f32(merged(OTHER)), ADAPTER);
    expectValid(report);
    expect(kinds(report, 'adapter-mismatch').sort()).toEqual([...TARGETS].sort());
    expect(kinds(report, 'adapter-explains-delta')).toEqual([]);
    for (const name of TARGETS) {
      const a = target(report, name);
      expect(a?.status).toBe('mismatch');
      expect(a?.residualRatio ?? 0).toBeGreaterThan(1);
    }
    const f = report.findings.find((x) => x.kind === 'adapter-mismatch' && x.tensor === TARGETS[0]);
    expect(f?.severity).toBe('high');
    expect(f?.message).toMatch(/not as the given adapter would change it/);
    expect(f?.message).toMatch(/\d+% \(explained means ≤ 5\.0%\)/);
    expect(report.adapter?.allChangesExplained).toBe(false);
    expect(report.adapter?.unexplained.sort()).toEqual([...TARGETS].sort());
    expect(report.verdict.summary).not.toMatch(/only by the merge/);
  });

  it('an extra edit on a tensor the adapter does not touch is listed as unexplained', async () => {
    const su = merged(GOOD);
    rank1Edit(find(su, 'model.layers.2.mlp.down_proj.weight'), 0.002, 5);
    const report = await compareIn(f32(BASE), f32(su), ADAPTER);
    expectValid(report);
    expect(report.adapter?.unexplained).toEqual(['model.layers.2.mlp.down_proj.weight']);
    expect(report.adapter?.allChangesExplained).toBe(false);
    expect(kinds(report, 'adapter-explains-delta').sort()).toEqual([...TARGETS].sort());
    const edit = report.findings.find((f) => f.kind === 'tensor-modified' && f.tensor === 'model.layers.2.mlp.down_proj.weight');
    expect(edit?.severity).toBe('high');
    expect(edit?.message).toMatch(/no factor of the given adapter modifies this tensor/);
    expect(report.verdict.reasons[0]).toBe(edit?.id);
    expect(report.verdict.summary).toMatch(/rank-1/);
    expect(report.verdict.summary).toMatch(/4 other changed tensors are fully explained by the given adapter/);
  });

  it('an edit on top of the merge inside a targeted tensor is caught element by element', async () => {
    const su = merged(GOOD);
    const t = find(su, TARGETS[2] as string);
    flipBits(t, [77], 20); // one mantissa bit: a small change, far beyond rounding
    const report = await compareIn(f32(BASE), f32(su), ADAPTER);
    const a = target(report, TARGETS[2] as string);
    expect(a?.status).toBe('mismatch');
    expect(a?.residualRatio ?? 1).toBeLessThan(0.05); // the norm alone would have called it explained
    expect(a?.elementsBeyondRounding).toBe(1);
    expect(a?.largestResidual?.index).toEqual([77 / 64 | 0, 77 % 64]);
    expect(report.findings.find((f) => f.kind === 'adapter-mismatch' && f.tensor === TARGETS[2])?.message).toMatch(/an edit on top of the merge/);
    expect(report.adapter?.unexplained).toEqual([TARGETS[2]]);
  });

  it('the right adapter merged at the wrong scale is a mismatch that names the scale', async () => {
    const report = await compareIn(f32(BASE), f32(merged(GOOD, ALPHA / Math.sqrt(R))), ADAPTER);
    for (const name of TARGETS) {
      const a = target(report, name);
      expect(a?.status).toBe('mismatch');
      expect(a?.fittedScale ?? 0).toBeCloseTo(4, 4);
      expect(a?.fittedResidualRatio ?? 1).toBeLessThan(1e-5);
    }
    expect(report.findings.find((f) => f.kind === 'adapter-mismatch' && f.tensor === TARGETS[0])?.message).toMatch(/at scale 4 instead of the declared 2 — the lora_alpha \/ √r = 8 \/ √4 \(rsLoRA\) convention/);
  });

  it('an adapter that was not merged: clean verdict, every target listed as not merged', async () => {
    const files = f32(BASE);
    const report = await compareIn(files, { 'model.safetensors': Uint8Array.from(files['model.safetensors'] as Uint8Array) }, ADAPTER);
    expectValid(report);
    expect(report.verdict.status).toBe('clean');
    expect(report.adapter?.notMerged.sort()).toEqual([...TARGETS].sort());
    expect(report.adapter?.targets.every((t) => t.status === 'unchanged')).toBe(true);
    expect(report.adapter?.allChangesExplained).toBe(false);
    expect(report.findings.map((f) => [f.kind, f.severity])).toEqual([['adapter-mismatch', 'low']]);
  });

  it('an mlx-lm adapter (lora_a [in, r], lora_b [r, out], scale as is) explains its merge', async () => {
    const scale = 3;
    const report = await compareIn(f32(BASE), f32(merged(GOOD, scale)), mlxAdapterFiles(GOOD, { rank: R, scale, alpha: 16 }));
    expectValid(report);
    expect(report.adapter).toMatchObject({ format: 'mlx', type: 'lora', scale: 3, allChangesExplained: true });
    for (const name of TARGETS) expect(target(report, name)?.status, name).toBe('explained');
  });

  it('a bare adapter file (no config): the scale is fitted and the merge still recognised', async () => {
    const files = { 'adapter_model.safetensors': ADAPTER['adapter_model.safetensors'] as Uint8Array };
    const report = await compareIn(f32(BASE), f32(merged(GOOD)), files);
    expectValid(report);
    for (const name of TARGETS) {
      const a = target(report, name);
      expect(a?.status).toBe('explained');
      expect(a?.scale).toBeNull();
      expect(a?.fittedScale ?? 0).toBeCloseTo(SCALE, 4);
    }
  });

  it('streams in any chunk size and plan with the same result', async () => {
    const su = f32(merged(GOOD));
    const a = await compareIn(f32(BASE), su, ADAPTER, { chunkBytes: 4096, concurrency: 1 });
    const b = await compareIn(f32(BASE), su, ADAPTER, { chunkBytes: 1 << 20, concurrency: 2 });
    expect(jsonDifferences(a.adapter, b.adapter, 1e-9)).toEqual([]);
  });
});

describe('adapter audit through the CLI (compare … --adapter)', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sleuth-adapter-'));
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('agrees with the in-process report, exit code 1 (tampered) with the merge explained', async () => {
    const kg = f32(BASE);
    const su = f32(merged(GOOD));
    await writeModel(join(root, 'kg'), kg);
    await writeModel(join(root, 'su'), su);
    await writeModel(join(root, 'lora'), ADAPTER);
    const run = await runCli(['compare', join(root, 'kg'), join(root, 'su'), '--adapter', join(root, 'lora'), '--json', '-', '--workers', '2', '--engine', 'cpu', '--chunk-mb', '0.01', '--quiet'], { timeoutMs: 60_000 });
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/TAMPERED: The suspect differs from the known-good only by the merge of the given adapter/);
    const cli = JSON.parse(run.stdout) as ReportV1;
    const inProcess = await compareIn(kg, su, ADAPTER, { chunkBytes: Math.round(0.01 * 1024 * 1024), concurrency: 2 });
    const strip = (r: ReportV1): Record<string, unknown> => {
      const c = comparable(r);
      delete (c['adapter'] as { label?: string }).label;
      return c;
    };
    expect(jsonDifferences(strip(cli), strip(inProcess), 0)).toEqual([]);
    expect(cli.adapter?.allChangesExplained).toBe(true);

    // A single adapter file picks up the adapter_config.json beside it.
    const single = await runCli(['compare', join(root, 'kg'), join(root, 'su'), '--adapter', join(root, 'lora', 'adapter_model.safetensors'), '--json', '-', '--engine', 'cpu', '--quiet'], { timeoutMs: 60_000 });
    const r2 = JSON.parse(single.stdout) as ReportV1;
    expect(r2.adapter?.scale).toBe(2);
    expect(r2.adapter?.files.map((f) => f.path).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);

    // A missing adapter path is a usage-level error (exit 2).
    const missing = await runCli(['compare', join(root, 'kg'), join(root, 'su'), '--adapter', join(root, 'nope'), '--engine', 'cpu', '--quiet']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/read_failed/);
  });
});
