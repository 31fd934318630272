/**
 * The activation engine's WebGPU backend in a browser page or worker: `navigator.gpu`, kernels
 * bundled by Vite.
 */
import { SleuthError } from '../../formats/errors.ts';
import { loadActShaderVite } from './act-shaders-vite.ts';
import { GpuBackend } from './gpu-backend.ts';

export async function createBrowserGpuBackend(): Promise<GpuBackend> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (gpu === undefined) throw new SleuthError('gpu_unavailable', 'This browser exposes no WebGPU (navigator.gpu is missing; WebGPU needs a secure context such as https or http://127.0.0.1)');
  return GpuBackend.create(gpu, loadActShaderVite);
}
