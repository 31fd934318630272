/**
 * The activation engine's WebGPU backend in Node: Dawn through the `webgpu` package (see
 * ./node-webgpu.ts for the SwiftShader fallback), kernels read from shaders/.
 */
import { GpuBackend } from '../lib/activations/webgpu/gpu-backend.ts';
import { loadActShaderNode } from '../lib/activations/webgpu/act-shaders-node.ts';
import { nodeGpu } from './node-webgpu.ts';

export async function createNodeGpuBackend(): Promise<GpuBackend> {
  return GpuBackend.create(await nodeGpu(), loadActShaderNode);
}
