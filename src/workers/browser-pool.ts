/**
 * A WorkerPool of Web Workers (one per core, at most 8).
 *
 * Warm start: `prewarmAnalysis` (called once the workbench is idle) spawns the workers before any
 * file is picked and, for engine 'auto', lets the first one choose the engine — a calibration on
 * a software adapter — once per page. A comparison then starts on workers whose code is loaded,
 * with the engine already chosen (measured: the first job started 0.9 s after the click without
 * this, of which ~0.3 s loading workers and 0.3–0.5 s calibrating).
 */
import * as Comlink from 'comlink';
import { WorkerPool, type PromisifiedApi, type SpawnedWorker } from '../lib/analysis/worker-pool.ts';
import type { EngineKind } from '../lib/engine/engine.ts';
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

interface EngineDecision {
  engine: EngineKind;
  note?: string;
}

/** Workers spawned ahead of a comparison, taken by the next pool. */
let warmWorkers: SpawnedWorker[] = [];
/** The page's answer to engine 'auto' (undefined inside: the choice failed; pools then choose themselves). */
let autoDecision: Promise<EngineDecision | undefined> | undefined;

/** Spawns the analysis workers ahead of time and, for 'auto', has the first one choose the engine. Idempotent. */
export function prewarmAnalysis(engine: EngineRequest, workers = defaultWorkerCount()): void {
  if (warmWorkers.length === 0) warmWorkers = Array.from({ length: workers }, () => spawnBrowserWorker());
  if (engine !== 'auto' || autoDecision) return;
  const chooser = warmWorkers[0] as SpawnedWorker;
  autoDecision = Promise.race([chooser.api.chooseEngine('auto'), chooser.exited.then(() => undefined)]).then(
    (r) => (r?.ok ? r.value : undefined),
    () => undefined,
  );
}

export async function createBrowserPool(sources: PoolSources, options: { engine: EngineRequest; workers?: number }): Promise<WorkerPool> {
  const decision = options.engine === 'auto' && autoDecision ? await autoDecision : undefined;
  const size = options.workers ?? defaultWorkerCount();
  const warm = warmWorkers;
  warmWorkers = [];
  for (const extra of warm.splice(size)) extra.terminate();
  return new WorkerPool({
    size,
    engine: decision?.engine ?? options.engine,
    ...(decision?.note !== undefined ? { engineNote: decision.note } : {}),
    // Warm workers first (a dead one fails its init and is replaced like any worker that dies).
    spawn: () => warm.shift() ?? spawnBrowserWorker(),
    proxy: (fn) => Comlink.proxy(fn),
    sources,
  });
}
