/**
 * WebGPU in Node through the `webgpu` package (Dawn), for the CLI. Same engine and selection as
 * the browser (engine-select.ts); shaders read from disk.
 *
 * Debian/Ubuntu machines without a system Vulkan loader can still run Dawn on Chromium's bundled
 * SwiftShader: VK_ICD_FILENAMES points the loader at SwiftShader's ICD, and Chromium's own
 * libvulkan.so.1 is the loader. Setting LD_LIBRARY_PATH from inside a running process does not
 * change where glibc's dlopen looks (it reads the variable at startup), so the loader is
 * preloaded by absolute path with RTLD_NODELETE: Dawn's later dlopen("libvulkan.so.1") then finds
 * it by soname. The variables are still set (when unset) so child processes inherit them. Nothing
 * of this happens when a system Vulkan loader exists (it would find the real GPU's driver).
 *
 * Worker threads: the CLI creates engines inside worker_threads, whose `process.env` is a private
 * copy that the Vulkan loader (native code) never sees. The fallback then works only if the main
 * thread called prepareNodeGpuEnvironment() before spawning the workers (or the variables were set
 * when the process started); otherwise the error says so.
 */
import { existsSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import type { ComputeEngine } from '../lib/engine/engine.ts';
import { SleuthError } from '../lib/formats/errors.ts';
import type { EngineRequest } from '../workers/worker-api.ts';
import { WebGpuEngine, type WebGpuEngineOptions } from '../lib/engine/webgpu/webgpu-engine.ts';
import { chooseEngine } from '../lib/engine/webgpu/engine-select.ts';
import { loadShaderNode } from '../lib/engine/webgpu/shaders-node.ts';

const CHROMIUM_DIR = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${CHROMIUM_DIR}/vk_swiftshader_icd.json`;
const CHROMIUM_VULKAN_LOADER = `${CHROMIUM_DIR}/libvulkan.so.1`;
const SYSTEM_VULKAN_LOADERS = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'];
/** glibc's RTLD_NODELETE (os.constants.dlopen does not export it). */
const RTLD_NODELETE = 0x1000;
const RTLD_NOW = 2;
const RTLD_GLOBAL = 0x100;

let gpuPromise: Promise<GPU> | undefined;
/** Set when this module put VK_ICD_FILENAMES into process.env itself (see the worker caveat). */
let setIcdHere = false;

/**
 * Points Dawn at Chromium's SwiftShader when the system has no Vulkan loader (see the module
 * comment). Idempotent. Call it on the main thread before spawning worker threads: a worker's
 * `process.env` is a copy that native code (the Vulkan loader) never reads, so a worker can only
 * inherit the variable, not set it.
 */
export function prepareNodeGpuEnvironment(): void {
  if (process.platform !== 'linux') return;
  if (SYSTEM_VULKAN_LOADERS.some((p) => existsSync(p))) return;
  if (!existsSync(SWIFTSHADER_ICD) || !existsSync(CHROMIUM_VULKAN_LOADER)) return;
  if (process.env['VK_ICD_FILENAMES'] === undefined) {
    process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
    setIcdHere = true;
  }
  process.env['LD_LIBRARY_PATH'] ??= CHROMIUM_DIR;
  try {
    process.dlopen({ exports: {} }, CHROMIUM_VULKAN_LOADER, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
  } catch {
    // Expected: "Module did not self-register" — it is not a Node addon, but it stays loaded.
  }
}

/** Dawn's GPU object (one per thread), with the WebGPU globals (GPUBufferUsage, …) installed when missing. */
export function nodeGpu(): Promise<GPU> {
  gpuPromise ??= (async () => {
    prepareNodeGpuEnvironment();
    let mod: { create(options: string[]): GPU; globals: object };
    try {
      mod = (await import('webgpu')) as { create(options: string[]): GPU; globals: object };
    } catch (e) {
      throw new SleuthError('gpu_unavailable', `The Dawn WebGPU module (npm "webgpu") could not be loaded: ${(e as Error).message}`, { cause: e });
    }
    const g = globalThis as Record<string, unknown>;
    for (const [k, v] of Object.entries(mod.globals)) if (!(k in g)) g[k] = v;
    return mod.create([]);
  })();
  return gpuPromise;
}

/** A WebGPU engine on Dawn, without engine selection (tests, benchmarks). */
export async function createNodeWebGpuEngineRaw(options: Partial<WebGpuEngineOptions> = {}): Promise<WebGpuEngine> {
  const gpu = await nodeGpu();
  try {
    return await WebGpuEngine.create(gpu, { loadShader: loadShaderNode, ...options });
  } catch (e) {
    if (e instanceof SleuthError && e.code === 'gpu_unavailable' && setIcdHere && !isMainThread) {
      throw new SleuthError(
        'gpu_unavailable',
        `${e.message}. The SwiftShader fallback needs VK_ICD_FILENAMES=${SWIFTSHADER_ICD} in the process environment, which a worker thread cannot set: set it before starting, or call prepareNodeGpuEnvironment() on the main thread before spawning workers`,
        { cause: e },
      );
    }
    throw e;
  }
}

export async function createNodeWebGpuEngine(request: EngineRequest): Promise<{ engine: ComputeEngine; note?: string }> {
  return chooseEngine(await createNodeWebGpuEngineRaw(), request);
}
