/**
 * Browser half of bench/activations-bench.ts (skipped unless VITE_ACT_BENCH=1): the ~100M-parameter
 * bench model built in the page, run on WebGPU (SwiftShader here) and on the CPU twin in Chromium.
 * Prints one line "ACT_BENCH <json>" per engine for the bench script to collect.
 */
import { describe, it } from 'vitest';
import { CpuBackend } from '../../src/lib/activations/cpu/cpu-backend.ts';
import { createBrowserGpuBackend } from '../../src/lib/activations/webgpu/browser.ts';
import { MemorySource } from '../../src/lib/io/byte-source.ts';
import { benchEngine } from '../fixtures/activations/bench-run.ts';
import { BENCH_CONFIG, buildBenchSafetensors } from '../fixtures/activations/bench-model.ts';

const env = import.meta.env as Record<string, string | undefined>;
const enabled = env['VITE_ACT_BENCH'] === '1';
const layers = env['VITE_ACT_BENCH_LAYERS'] === undefined ? undefined : Number(env['VITE_ACT_BENCH_LAYERS']);
const promptTokens = Number(env['VITE_ACT_BENCH_PROMPT'] ?? 64);
const newTokens = Number(env['VITE_ACT_BENCH_NEW'] ?? 16);
const engines = (env['VITE_ACT_BENCH_ENGINES'] ?? 'webgpu,cpu').split(',');

describe.skipIf(!enabled)('activations benchmark in Chromium', () => {
  it('prefill and decode tokens/s', { timeout: 3_600_000 }, async () => {
    const config = layers === undefined ? BENCH_CONFIG : { ...BENCH_CONFIG, num_hidden_layers: layers };
    const sources = [new MemorySource('model.safetensors', buildBenchSafetensors(layers)), new MemorySource('config.json', new TextEncoder().encode(JSON.stringify(config)))];
    for (const engine of engines) {
      if (engine === 'webgpu') {
        const gpu = await createBrowserGpuBackend();
        try {
          const r = await benchEngine(gpu, sources, { promptTokens, newTokens, label: 'webgpu-chromium', adapter: gpu.adapter.description });
          console.info(`ACT_BENCH ${JSON.stringify(r)}`);
        } finally {
          gpu.dispose();
        }
      } else {
        const r = await benchEngine(new CpuBackend(), sources, { promptTokens, newTokens, label: 'cpu-chromium' });
        console.info(`ACT_BENCH ${JSON.stringify(r)}`);
      }
    }
  });
});
