/**
 * WebGPU engine in the browser (placeholder until the kernels land): 'auto' falls back to the CPU
 * engine, an explicit request fails with a clear code.
 */
import type { ComputeEngine } from '../engine.ts';
import { SleuthError } from '../../formats/errors.ts';
import type { EngineRequest } from '../../../workers/worker-api.ts';

export function createBrowserWebGpuEngine(request: EngineRequest): Promise<{ engine: ComputeEngine; note?: string }> {
  return Promise.reject(new SleuthError('gpu_unavailable', `The WebGPU engine is not available in this build (requested: ${request})`));
}
