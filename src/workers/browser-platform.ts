/**
 * The browser platform for analysis workers: files as Blobs (a dropped File is never read whole),
 * hash-wasm SHA-256, and the compute engine (WebGPU when usable, else the CPU twin).
 */
import { BlobSource, MemorySource, type ByteSource } from '../lib/io/byte-source.ts';
import { CpuEngine, type ComputeEngine } from '../lib/engine/engine.ts';
import { SleuthError } from '../lib/formats/errors.ts';
import { createWasmSha256 } from '../lib/evidence/sha256.ts';
import type { EngineRequest, SourceRef, WorkerPlatform } from './worker-api.ts';
import { createBrowserWebGpuEngine } from '../lib/engine/webgpu/browser-engine.ts';

export function openBrowserRef(ref: SourceRef): ByteSource {
  if (ref.blob !== undefined) return new BlobSource(ref.path, ref.blob);
  if (ref.bytes !== undefined) return new MemorySource(ref.path, ref.bytes, ref.lastModified);
  throw new SleuthError('internal_error', `No way to open ${ref.path} in the browser`);
}

export async function createBrowserEngine(request: EngineRequest): Promise<{ engine: ComputeEngine; note?: string }> {
  if (request === 'cpu') return { engine: new CpuEngine() };
  try {
    return await createBrowserWebGpuEngine(request);
  } catch (e) {
    if (request === 'webgpu') throw e;
    return { engine: new CpuEngine(), note: `WebGPU unavailable (${(e as Error).message}); used the CPU engine` };
  }
}

export const browserPlatform: WorkerPlatform = {
  openRef: openBrowserRef,
  sha256: createWasmSha256,
  createEngine: createBrowserEngine,
};
