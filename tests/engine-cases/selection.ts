/**
 * Engine selection (src/lib/engine/webgpu/engine-select.ts), shared by the Node and browser test
 * files: 'webgpu' keeps the GPU; 'auto' keeps a hardware adapter and, on a software one, times
 * both engines and keeps the faster with a note that says so.
 */
import { expect, it } from 'vitest';
import { chooseEngine } from '../../src/lib/engine/webgpu/engine-select.ts';
import type { WebGpuEngine } from '../../src/lib/engine/webgpu/webgpu-engine.ts';

export function defineSelectionTests(create: () => Promise<WebGpuEngine>): void {
  it("'webgpu' keeps the WebGPU engine", { timeout: 120_000 }, async () => {
    const gpu = await create();
    const choice = await chooseEngine(gpu, 'webgpu');
    expect(choice.engine).toBe(gpu);
    if (gpu.adapter.isSoftware) expect(choice.note).toMatch(/forced/);
    choice.engine.dispose();
  });

  it("'auto' times both engines on a software adapter and keeps the faster, with a note", { timeout: 120_000 }, async () => {
    const gpu = await create();
    const software = gpu.adapter.isSoftware;
    const choice = await chooseEngine(gpu, 'auto');
    if (software) {
      expect(choice.note).toMatch(/MB\/s/);
      expect(choice.note).toMatch(choice.engine.kind === 'cpu' ? /^CPU engine/ : /^WebGPU engine/);
      console.info(`[engine selection] ${choice.note ?? ''}`);
    } else {
      expect(choice.engine).toBe(gpu);
    }
    choice.engine.dispose();
  });
}
