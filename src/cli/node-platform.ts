/**
 * The Node platform for workers and the in-process runner: files by path, node:crypto SHA-256,
 * and the compute engine (CPU twin, or WebGPU through Dawn when asked for).
 */
import { MemorySource, type ByteSource } from '../lib/io/byte-source.ts';
import { NodeFileSource } from '../lib/io/node-source.ts';
import { CpuEngine, type ComputeEngine } from '../lib/engine/engine.ts';
import { SleuthError } from '../lib/formats/errors.ts';
import { createNodeSha256 } from '../lib/evidence/sha256-node.ts';
import type { EngineRequest, SourceRef, WorkerPlatform } from '../workers/worker-api.ts';
import { createNodeWebGpuEngine } from './node-webgpu.ts';

export function openNodeRef(ref: SourceRef): ByteSource {
  if (ref.absolutePath !== undefined) return new NodeFileSource(ref.absolutePath, ref.path, ref.size, ref.lastModified);
  if (ref.bytes !== undefined) return new MemorySource(ref.path, ref.bytes, ref.lastModified);
  throw new SleuthError('internal_error', `No way to open ${ref.path} in Node`);
}

export async function createNodeEngine(request: EngineRequest): Promise<{ engine: ComputeEngine; note?: string }> {
  if (request === 'cpu') return { engine: new CpuEngine() };
  try {
    return await createNodeWebGpuEngine(request);
  } catch (e) {
    if (request === 'webgpu') throw e;
    return { engine: new CpuEngine(), note: `WebGPU unavailable (${(e as Error).message}); used the CPU engine` };
  }
}

export const nodePlatform: WorkerPlatform = {
  openRef: openNodeRef,
  sha256: createNodeSha256,
  createEngine: createNodeEngine,
};
