/**
 * The Activations panel's worker: loads both models from the dropped files (BlobSource), runs the
 * activation analysis on WebGPU or the CPU twin (src/lib/activations/run.ts) and returns the
 * section and findings. One job at a time; `cancel` aborts between forward passes (the page
 * terminates the worker if that takes too long).
 */
import * as Comlink from 'comlink';
import type { ActBackend } from '../../lib/activations/backend.ts';
import { CpuBackend } from '../../lib/activations/cpu/cpu-backend.ts';
import { runActivationsWithFallback } from '../../lib/activations/run.ts';
import { defaultMemoryBudget, formatBytes } from '../../lib/activations/session.ts';
import { createBrowserGpuBackend } from '../../lib/activations/webgpu/browser.ts';
import { toErrorInfo } from '../../lib/formats/errors.ts';
import { loadModel } from '../../lib/formats/model-loader.ts';
import { BlobSource } from '../../lib/io/byte-source.ts';
import type { ActivationEngine, ActivationsWorkerApi } from './activations-api.ts';

/** navigator.deviceMemory is in GiB and capped at 8 by Chrome; absent elsewhere (assume 4). */
const FALLBACK_DEVICE_MEMORY_GIB = 4;

let abort: AbortController | undefined;

async function backendFor(engine: ActivationEngine): Promise<{ backend: ActBackend; note?: string }> {
  if (engine === 'cpu') return { backend: new CpuBackend() };
  try {
    const gpu = await createBrowserGpuBackend();
    if (engine === 'webgpu' || !gpu.adapter.isSoftware) return { backend: gpu };
    gpu.dispose();
    return { backend: new CpuBackend(), note: `The WebGPU adapter (${gpu.adapter.description}) is a software rasteriser: the CPU engine is faster here (choose WebGPU to force it)` };
  } catch (e) {
    if (engine === 'webgpu') throw e;
    return { backend: new CpuBackend(), note: `WebGPU unavailable (${(e as Error).message}); used the CPU engine` };
  }
}

const api: ActivationsWorkerApi = {
  async run(job, onProgress) {
    abort = new AbortController();
    let backend: ActBackend | undefined;
    try {
      const open = async (side: { label: string; files: { path: string; blob: Blob }[] }): Promise<{ manifest: Awaited<ReturnType<typeof loadModel>>; sources: BlobSource[] }> => {
        const sources = side.files.map((f) => new BlobSource(f.path, f.blob));
        return { manifest: await loadModel(side.label, sources), sources };
      };
      const knownGood = await open(job.knownGood);
      const suspect = await open(job.suspect);
      const chosen = await backendFor(job.engine);
      backend = chosen.backend;
      const gib = (navigator as Navigator & { deviceMemory?: number }).deviceMemory ?? FALLBACK_DEVICE_MEMORY_GIB;
      const memoryBudget = job.memoryBudget ?? defaultMemoryBudget(gib * 2 ** 30);
      const result = await runActivationsWithFallback(knownGood, suspect, job.request, {
        backend,
        memoryBudget,
        budgetSource: job.memoryBudget !== undefined ? 'the budget set in the panel' : `half of the ${formatBytes(gib * 2 ** 30)} this browser reports`,
        onProgress: (p) => onProgress(p),
        signal: abort.signal,
      }, job.engine === 'auto' ? () => new CpuBackend() : undefined);
      if (result.backend !== backend) {
        backend.dispose();
        backend = result.backend;
      }
      if (chosen.note) result.section.notes.unshift(chosen.note);
      const value = { section: result.section, findings: result.findings };
      return { ok: true, value: chosen.note === undefined ? value : { ...value, engineNote: chosen.note } };
    } catch (e) {
      return { ok: false, error: toErrorInfo(e) };
    } finally {
      backend?.dispose();
      abort = undefined;
    }
  },
  cancel() {
    abort?.abort();
  },
};

Comlink.expose(api);
