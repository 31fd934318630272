/**
 * WebGPU engine in the browser (page or dedicated worker): `navigator.gpu`, shaders bundled by
 * Vite. `'auto'` keeps the GPU on a hardware adapter and lets a calibration decide on a software
 * one (engine-select.ts); `'webgpu'` forces it. Failures reject with a SleuthError
 * (`gpu_unavailable`, …); the platform falls back to the CPU engine for `'auto'`.
 */
import type { ComputeEngine } from '../engine.ts';
import { SleuthError } from '../../formats/errors.ts';
import type { EngineRequest } from '../../../workers/worker-api.ts';
import { WebGpuEngine, type WebGpuEngineOptions } from './webgpu-engine.ts';
import { chooseEngine } from './engine-select.ts';
import { loadShaderVite } from './shaders-vite.ts';

/** The browser's GPU entry point, or undefined (no WebGPU, or not a secure context). */
export function browserGpu(): GPU | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return nav?.gpu;
}

/** A WebGPU engine with the bundled shaders, without engine selection (tests, benchmarks). */
export async function createBrowserWebGpuEngineRaw(options: Partial<WebGpuEngineOptions> = {}): Promise<WebGpuEngine> {
  const gpu = browserGpu();
  if (gpu === undefined) throw new SleuthError('gpu_unavailable', 'This browser exposes no WebGPU (navigator.gpu is missing; WebGPU needs a secure context such as https or http://127.0.0.1)');
  return WebGpuEngine.create(gpu, { loadShader: loadShaderVite, ...options });
}

export async function createBrowserWebGpuEngine(request: EngineRequest): Promise<{ engine: ComputeEngine; note?: string }> {
  return chooseEngine(await createBrowserWebGpuEngineRaw(), request);
}
