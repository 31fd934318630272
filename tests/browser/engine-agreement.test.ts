/**
 * The WebGPU engine in Chromium (WebGPU on the machine's adapter — SwiftShader on a CPU-only box)
 * agrees with the CPU twin: the shared suite of tests/engine-cases/agreement.ts. Unlike the Node
 * run, a missing adapter fails here: this project exists to exercise the browser's WebGPU.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createBrowserWebGpuEngineRaw } from '../../src/lib/engine/webgpu/browser-engine.ts';
import type { WebGpuEngine } from '../../src/lib/engine/webgpu/webgpu-engine.ts';
import { defineAgreementSuite, expectDeviceLoss, expectUncapturedErrorFails } from '../engine-cases/agreement.ts';
import { defineSelectionTests } from '../engine-cases/selection.ts';

let engine: WebGpuEngine | undefined;

describe('WebGPU engine agrees with the CPU twin (Chromium)', () => {
  beforeAll(async () => {
    engine = await createBrowserWebGpuEngineRaw();
    console.info(`[engine-agreement] adapter: ${engine.adapter.description}${engine.adapter.isSoftware ? ' (software)' : ''}`);
  }, 120_000);
  afterAll(() => engine?.dispose());
  defineAgreementSuite(() => engine);
  defineSelectionTests(() => createBrowserWebGpuEngineRaw());
  it('a lost device fails the next call with gpu_device_lost', async () => {
    await expectDeviceLoss(await createBrowserWebGpuEngineRaw());
  });
  it('an uncaptured GPU error fails the next call with its code', async () => {
    await expectUncapturedErrorFails(await createBrowserWebGpuEngineRaw());
  });
});
