/**
 * Throughput of the WebGPU engine vs the CPU twin in Chromium, measured in the same run on the
 * same bytes (tests/engine-cases/bench.ts). Reports figures; asserts only that both ran. Kept
 * short (8 MiB per side) so it can stay in the browser project.
 */
import { describe, expect, it } from 'vitest';
import { createBrowserWebGpuEngineRaw } from '../../src/lib/engine/webgpu/browser-engine.ts';
import { benchEngines, formatRow } from '../engine-cases/bench.ts';

describe('engine throughput (Chromium)', () => {
  it('BF16 diff, BF16 stats, F32-vs-F16 diff: WebGPU vs CPU', { timeout: 300_000 }, async () => {
    const gpu = await createBrowserWebGpuEngineRaw();
    try {
      const rows = await benchEngines(gpu, 8, (r) => console.info(`[engine-bench] ${gpu.adapter.isSoftware ? 'software adapter' : 'hardware adapter'}: ${formatRow(r)}`));
      expect(rows.every((r) => r.mbps > 0)).toBe(true);
    } finally {
      gpu.dispose();
    }
  });
});
