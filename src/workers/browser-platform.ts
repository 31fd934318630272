/**
 * The browser platform for analysis workers: files as Blobs (a dropped File is never read whole),
 * hash-wasm SHA-256, and the compute engine (WebGPU when usable, else the CPU twin).
 */
import { BlobSource, MemorySource, type ByteSource } from '../lib/io/byte-source.ts';
import { CpuEngine, type ComputeEngine } from '../lib/engine/engine.ts';
import { SleuthError } from '../lib/formats/errors.ts';
import { createWasmSha256, webCryptoOneShot } from '../lib/evidence/sha256.ts';
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

/**
 * Tensors up to this size are hashed by WebCrypto (buffered, then one native digest); larger ones
 * stream through hash-wasm. A worker pins up to ~4× this (two sides, two recycled buffers) plus
 * WebCrypto's copies, so the cap shrinks as the pool (one worker per core) grows: 128 MiB on ≤ 4
 * cores, 32 MiB from 16.
 */
function oneShotCap(): number {
  const cores = Math.max(1, (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 4);
  return Math.min(128, Math.max(32, 2 ** Math.floor(Math.log2(512 / cores)))) * 1024 * 1024;
}

export const browserPlatform: WorkerPlatform = {
  sha256OneShot: webCryptoOneShot(oneShotCap()),
  openRef: openBrowserRef,
  sha256: createWasmSha256,
  createEngine: createBrowserEngine,
};
