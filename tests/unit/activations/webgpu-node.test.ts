/**
 * The activation kernels on WebGPU through Dawn (npm "webgpu"; SwiftShader on a CPU-only machine)
 * agree with their CPU twins, and whole tiny models agree with the PyTorch reference. Skipped,
 * with the reason shown, when Dawn finds no adapter.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../src/lib/activations/cpu/cpu-backend.ts';
import { runActivationsWithFallback } from '../../../src/lib/activations/run.ts';
import type { ModelInput } from '../../../src/lib/activations/session.ts';
import { loadModel } from '../../../src/lib/formats/model-loader.ts';
import { createNodeGpuBackend } from '../../../src/cli/activations-gpu.ts';
import type { GpuBackend } from '../../../src/lib/activations/webgpu/gpu-backend.ts';
import { defineKernelSuite } from '../../fixtures/activations/kernel-cases.ts';
import { loadGoldenModel, modelFiles, sourcesOf, type Golden } from '../../fixtures/activations/harness.ts';
import { GOLDEN_MODELS, llamaGqa } from '../../fixtures/activations/models.ts';

const goldens: Record<string, Golden> = {};
for (const make of GOLDEN_MODELS) {
  const name = make().name;
  goldens[name] = JSON.parse(readFileSync(new URL(`../../fixtures/activations/golden/${name}.json`, import.meta.url), 'utf8')) as Golden;
}

let backend: GpuBackend | undefined;
let unavailable = '';
try {
  backend = await createNodeGpuBackend();
} catch (e) {
  unavailable = (e as Error).message;
  console.warn(`[activations webgpu-node] SKIPPED: ${unavailable}`);
}

if (backend === undefined) {
  describe('activation kernels on WebGPU in Node', () => {
    it.skip(`skipped: no WebGPU adapter through Dawn (${unavailable})`, () => {});
  });
}

describe.skipIf(backend === undefined)(`activation kernels on WebGPU agree with the CPU twin (Node, Dawn: ${backend?.adapter.description ?? 'none'})`, () => {
  afterAll(() => backend?.dispose());
  defineKernelSuite(() => backend, goldens);

  it('a lost device fails the next forward pass with gpu_device_lost', async () => {
    const gpu = await createNodeGpuBackend();
    const loaded = await loadGoldenModel(modelFiles(llamaGqa()), gpu, 16, 'lost');
    await loaded.runner.forward([1, 2, 3]);
    gpu.device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    loaded.runner.reset();
    await expect(loaded.runner.forward([1, 2, 3])).rejects.toMatchObject({ code: 'gpu_device_lost' });
  });

  it('with engine auto, a GPU failure falls back to the CPU twin with a note', async () => {
    const gpu = await createNodeGpuBackend();
    gpu.device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const m = llamaGqa();
    const open = async (): Promise<ModelInput> => {
      const sources = sourcesOf(modelFiles(m));
      return { manifest: await loadModel('m', sources), sources };
    };
    const r = await runActivationsWithFallback(await open(), await open(), { prompts: [{ prompt: null, tokens: [1, 2, 3] }], maxNewTokens: 2 }, { backend: gpu, memoryBudget: 2 ** 30, budgetSource: 'test' }, () => new CpuBackend());
    expect(r.backend.kind).toBe('cpu');
    expect(r.section.engine).toBe('cpu');
    expect(r.section.notes[0]).toMatch(/WebGPU run failed \(gpu_device_lost/);
    await expect(runActivationsWithFallback(await open(), await open(), { prompts: [{ prompt: null, tokens: [1] }], maxNewTokens: 1 }, { backend: gpu, memoryBudget: 2 ** 30, budgetSource: 'test' }, undefined)).rejects.toMatchObject({ code: 'gpu_device_lost' });
  });
});
