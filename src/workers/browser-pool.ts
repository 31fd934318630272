/** A WorkerPool of Web Workers (one per core, at most 8). */
import * as Comlink from 'comlink';
import { WorkerPool, type PromisifiedApi, type SpawnedWorker } from '../lib/analysis/worker-pool.ts';
import type { EngineRequest, PoolSources } from './worker-api.ts';

export function spawnBrowserWorker(): SpawnedWorker {
  const worker = new Worker(new URL('./analysis.worker.ts', import.meta.url), { type: 'module', name: 'model-sleuth-analysis' });
  let resolveExit: (why: string) => void = () => undefined;
  const exited = new Promise<string>((resolve) => (resolveExit = resolve));
  worker.addEventListener('error', (e) => resolveExit(`error: ${e.message || 'worker script failed'}`));
  const api = Comlink.wrap(worker) as unknown as PromisifiedApi;
  return {
    api,
    exited,
    terminate: () => {
      worker.terminate();
      resolveExit('terminated');
    },
  };
}

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(8, navigator.hardwareConcurrency || 2));
}

export function createBrowserPool(sources: PoolSources, options: { engine: EngineRequest; workers?: number }): WorkerPool {
  return new WorkerPool({
    size: options.workers ?? defaultWorkerCount(),
    engine: options.engine,
    spawn: spawnBrowserWorker,
    proxy: (fn) => Comlink.proxy(fn),
    sources,
  });
}
