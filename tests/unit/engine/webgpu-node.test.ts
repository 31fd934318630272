/**
 * The WebGPU engine on Dawn (npm "webgpu") agrees with the CPU twin — the shared agreement suite
 * of tests/engine-cases/agreement.ts, run in Node. Skipped, with a visible reason, when Dawn finds
 * no adapter (no Vulkan/Metal/D3D driver and no SwiftShader).
 */
import { afterAll, describe, it } from 'vitest';
import { createNodeWebGpuEngineRaw } from '../../../src/cli/node-webgpu.ts';
import type { WebGpuEngine } from '../../../src/lib/engine/webgpu/webgpu-engine.ts';
import { defineAgreementSuite, expectDeviceLoss, expectUncapturedErrorFails } from '../../engine-cases/agreement.ts';
import { defineSelectionTests } from '../../engine-cases/selection.ts';

let engine: WebGpuEngine | undefined;
let unavailable = '';
try {
  engine = await createNodeWebGpuEngineRaw();
} catch (e) {
  unavailable = (e as Error).message;
  console.warn(`[webgpu-node] WebGPU agreement suite SKIPPED: ${unavailable}`);
}

if (engine === undefined) {
  describe('WebGPU engine in Node', () => {
    it.skip(`skipped: no WebGPU adapter through Dawn (${unavailable})`, () => {});
  });
}

describe.skipIf(engine === undefined)(`WebGPU engine agrees with the CPU twin (Node, Dawn: ${engine?.adapter.description ?? 'none'})`, () => {
  afterAll(() => engine?.dispose());
  defineAgreementSuite(() => engine);
  defineSelectionTests(() => createNodeWebGpuEngineRaw());
  it('a lost device fails the next call with gpu_device_lost', async () => {
    await expectDeviceLoss(await createNodeWebGpuEngineRaw());
  });
  it('an uncaptured GPU error fails the next call with its code', async () => {
    await expectUncapturedErrorFails(await createNodeWebGpuEngineRaw());
  });
});
