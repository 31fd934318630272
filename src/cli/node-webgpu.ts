/**
 * WebGPU in Node through the `webgpu` package (Dawn). Placeholder until the WebGPU engine lands:
 * 'auto' falls back to the CPU engine, an explicit request fails with a clear code.
 */
import type { ComputeEngine } from '../lib/engine/engine.ts';
import { SleuthError } from '../lib/formats/errors.ts';
import type { EngineRequest } from '../workers/worker-api.ts';

export function createNodeWebGpuEngine(request: EngineRequest): Promise<{ engine: ComputeEngine; note?: string }> {
  return Promise.reject(new SleuthError('gpu_unavailable', `The WebGPU engine is not available in this build (requested: ${request})`));
}
