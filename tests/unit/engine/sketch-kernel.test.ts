/**
 * The rank sketch's product, extracted as the CPU twin of shaders/sketch.wgsl: the refactored
 * estimateRank gives the same estimate whether the product comes from the twin directly or through
 * an engine's `sketch` (the CPU engine's is the twin), and the twin's input rules hold. GPU
 * agreement lives in tests/engine-cases/agreement.ts.
 */
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/lib/engine/engine.ts';
import { sketchProduct } from '../../../src/lib/engine/cpu/sketch-kernel.ts';
import { estimateRank, estimateRankWith, sketchOmega } from '../../../src/lib/analysis/rank-sketch.ts';

function rows(r: number, cols: number, seed: number): Float64Array[] {
  let s = seed;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
  const u = Array.from({ length: r }, next);
  const v = Array.from({ length: cols }, next);
  return Array.from({ length: r }, (_, i) => Float64Array.from({ length: cols }, (_, j) => (u[i] as number) * (v[j] as number) + 1e-4 * next()));
}

describe('sketch product (CPU twin of sketch.wgsl)', () => {
  it('estimateRank through CpuEngine.sketch equals the direct twin, bit for bit', async () => {
    const cpu = new CpuEngine();
    for (const [r, cols] of [[40, 64], [96, 1024], [3, 5]] as const) {
      const d = rows(r, cols, r + cols);
      expect(await estimateRankWith(cpu.sketch.bind(cpu), d, cols, 1000, 4096)).toEqual(estimateRank(d, cols, 1000, 4096));
    }
  });

  it('skips zero and NaN entries, sums in column order', () => {
    const omega = sketchOmega(4, 2);
    const y = sketchProduct([Float64Array.of(1, NaN, 0, 2)], omega, 2);
    for (let c = 0; c < 2; c++) expect(y[c]).toBe(1 * (omega[c] as number) + 2 * (omega[6 + c] as number));
  });

  it('rejects rows that do not match Ω', () => {
    expect(() => sketchProduct([new Float64Array(3)], sketchOmega(4, 2), 2)).toThrow(/delta row/);
    expect(() => sketchProduct([], new Float64Array(5), 2)).toThrow(/cols × 2/);
  });
});
