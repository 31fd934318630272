/**
 * The activation kernels on WebGPU in Chromium (SwiftShader on a CPU-only machine) agree with their
 * CPU twins, and whole tiny models agree with the PyTorch reference (the same suite as
 * tests/unit/activations/webgpu-node.test.ts). A missing adapter fails here.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { createBrowserGpuBackend } from '../../src/lib/activations/webgpu/browser.ts';
import type { GpuBackend } from '../../src/lib/activations/webgpu/gpu-backend.ts';
import { defineKernelSuite } from '../fixtures/activations/kernel-cases.ts';
import type { Golden } from '../fixtures/activations/harness.ts';
import llamaGqa from '../fixtures/activations/golden/llama-gqa.json';
import qwen2Bias from '../fixtures/activations/golden/qwen2-bias.json';
import llama3Scaled from '../fixtures/activations/golden/llama3-scaled.json';
import gpt2 from '../fixtures/activations/golden/gpt2.json';

const goldens: Record<string, Golden> = { 'llama-gqa': llamaGqa, 'qwen2-bias': qwen2Bias, 'llama3-scaled': llama3Scaled, gpt2 };

let backend: GpuBackend | undefined;

describe('activation kernels on WebGPU agree with the CPU twin (Chromium)', () => {
  beforeAll(async () => {
    backend = await createBrowserGpuBackend();
    console.info(`[activations] adapter: ${backend.adapter.description}${backend.adapter.isSoftware ? ' (software)' : ''}`);
  }, 120_000);
  afterAll(() => backend?.dispose());
  defineKernelSuite(() => backend, goldens);
});
