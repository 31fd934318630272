/**
 * The CPU twin against the PyTorch reference (tests/fixtures/activations/golden.py): hidden states
 * after every layer, last-position logits, logit lens, attention entropies and greedy
 * continuations (the reference recomputes the whole sequence; the engine uses its KV cache).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../src/lib/activations/cpu/cpu-backend.ts';
import { GOLDEN_MODELS, weightsChecksum } from '../../fixtures/activations/models.ts';
import { compareWithGolden, GOLDEN_RELATIVE_TOLERANCE, loadGoldenModel, modelFiles, type Golden } from '../../fixtures/activations/harness.ts';

const goldenOf = (name: string): Golden => JSON.parse(readFileSync(new URL(`../../fixtures/activations/golden/${name}.json`, import.meta.url), 'utf8')) as Golden;

describe('CPU twin agrees with the PyTorch reference', () => {
  for (const make of GOLDEN_MODELS) {
    const m = make();
    it(`${m.name}: hidden states, logits, lens, entropy within ${GOLDEN_RELATIVE_TOLERANCE}; same greedy continuation`, async () => {
      const golden = goldenOf(m.name);
      expect(weightsChecksum(m.tensors), 'the fixture builder changed: regenerate the goldens').toBeCloseTo(golden.weightsChecksum, 6);
      const loaded = await loadGoldenModel(modelFiles(m), new CpuBackend());
      const r = await compareWithGolden(loaded, golden);
      for (const [l, e] of r.hidden.entries()) expect(e, `hidden after layer ${l}`).toBeLessThan(GOLDEN_RELATIVE_TOLERANCE);
      expect(r.logits).toBeLessThan(GOLDEN_RELATIVE_TOLERANCE);
      expect(r.lens).toBeLessThan(GOLDEN_RELATIVE_TOLERANCE);
      expect(r.entropy).toBeLessThan(GOLDEN_RELATIVE_TOLERANCE);
      expect(r.continuation).toEqual(golden.continuation);
      console.info(`[golden cpu] ${m.name}: max rel err hidden ${Math.max(...r.hidden).toExponential(2)}, logits ${r.logits.toExponential(2)}, lens ${r.lens.toExponential(2)}, entropy ${r.entropy.toExponential(2)}`);
    });
  }
});
