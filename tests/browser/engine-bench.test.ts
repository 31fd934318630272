/**
 * Throughput of the WebGPU engine vs the CPU twin in Chromium, measured in the same run on the
 * same bytes (tests/engine-cases/bench.ts). Reports figures; asserts only that both ran. Kept
 * short (8 MiB per side). Skipped in `npm test`; `npm run bench -- --scenario engines` runs it with
 * VITE_ENGINE_BENCH=1 and collects the "[engine-bench]" lines.
 */
import { describe, expect, it } from 'vitest';
import { createBrowserWebGpuEngineRaw } from '../../src/lib/engine/webgpu/browser-engine.ts';
import { benchEngines, formatRow } from '../engine-cases/bench.ts';

const enabled = (import.meta.env as Record<string, string | undefined>)['VITE_ENGINE_BENCH'] === '1';

describe.skipIf(!enabled)('engine throughput (Chromium)', () => {
  it('BF16 diff, BF16 stats, F32-vs-F16 diff, BF16 vs Q8_0/Q4_K dequant+diff: WebGPU vs CPU', { timeout: 600_000 }, async () => {
    const gpu = await createBrowserWebGpuEngineRaw();
    try {
      const rows = await benchEngines(gpu, 8, (r) => console.info(`[engine-bench] ${gpu.adapter.isSoftware ? 'software adapter' : 'hardware adapter'}: ${formatRow(r)}`));
      expect(rows.every((r) => r.mbps > 0)).toBe(true);
    } finally {
      gpu.dispose();
    }
  });
});
