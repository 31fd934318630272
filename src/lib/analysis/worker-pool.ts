/**
 * A pool of analysis workers behind the AnalysisRunner interface. Platform-neutral: the browser
 * spawns Web Workers, the CLI worker_threads; both speak comlink to src/workers/worker-api.ts.
 *
 * Failure is a normal path: a worker that dies mid-job is replaced and the job is retried once on
 * the CPU engine; a GPU job that fails with a device/memory error is retried on the CPU engine with
 * a note in the report; cancel() stops every worker cooperatively and terminates them if they do
 * not answer.
 */
import { SleuthError, toErrorInfo } from '../formats/errors.ts';
import type { ModelManifest } from '../formats/manifest.ts';
import type { EngineKind } from '../engine/engine.ts';
import type { EngineRequest, PoolSources, WorkerApi, WorkerConfig } from '../../workers/worker-api.ts';
import type { LoadedAdapter } from './adapter-audit.ts';
import type { JobResult, JobSpec, Outcome, Side } from './job.ts';
import type { AnalysisRunner } from './runner.ts';

/** What a platform provides: a live worker, its comlink proxy, and a way to end it. */
export interface SpawnedWorker {
  /** Comlink remote of WorkerApi (every method returns a promise). */
  api: PromisifiedApi;
  /** Resolves when the worker dies on its own (crash, OOM, terminate). */
  exited: Promise<string>;
  terminate(): void;
}

export type PromisifiedApi = {
  [K in keyof WorkerApi]: (...args: Parameters<WorkerApi[K]>) => Promise<Awaited<ReturnType<WorkerApi[K]>>>;
};

export interface PoolOptions {
  size: number;
  engine: EngineRequest;
  spawn: () => SpawnedWorker;
  /** Wraps the progress callback so it can cross the worker boundary (Comlink.proxy). */
  proxy: <T extends (...args: never[]) => unknown>(fn: T) => T;
  /** Both sides' files, and the adapter's (adapter audit) when one is given. */
  sources: PoolSources;
  chunkBytes?: number;
  /**
   * The note of an engine choice made before the pool (the browser calibrates once per page, see
   * browser-pool.ts); `engine` is then that choice. Replaces the workers' own notes.
   */
  engineNote?: string;
}

interface Slot {
  worker: SpawnedWorker;
  ready: Promise<Outcome<{ engine: EngineKind; note?: string }>>;
  engine: EngineRequest;
  busy: boolean;
}

export class WorkerPool implements AnalysisRunner {
  readonly concurrency: number;
  private slots: Slot[] = [];
  private cancelled = false;
  private disposed = false;
  /** Resolves when the pool is disposed: whatever waits for a worker stops waiting. */
  private readonly stopped: Promise<void>;
  private stop: () => void = () => undefined;
  private actualEngine: EngineKind = 'cpu';
  private readonly notes: string[] = [];

  /** Resolves when every worker has been spawned (after the first one chose the engine for 'auto'). */
  private readonly spawned: Promise<void>;

  constructor(private readonly options: PoolOptions) {
    this.concurrency = Math.max(1, options.size);
    this.stopped = new Promise((resolve) => (this.stop = resolve));
    if (options.engineNote !== undefined) this.notes.push(options.engineNote);
    if (options.engine !== 'auto' || this.concurrency === 1) {
      for (let i = 0; i < this.concurrency; i++) this.slots.push(this.makeSlot(options.engine));
      this.spawned = Promise.resolve();
    } else {
      // 'auto' is decided once (a short calibration on a software adapter), by the first worker;
      // the others start with its choice instead of each calibrating again. They are spawned at
      // once, so their code loads while the first one calibrates.
      const first = this.makeSlot('auto');
      this.slots.push(first);
      const others = Array.from({ length: this.concurrency - 1 }, () => this.options.spawn());
      this.unplaced = others;
      // A first worker that dies or is terminated while choosing leaves the others on the CPU.
      const chosen = Promise.race([first.ready, first.worker.exited.then(() => undefined)]);
      this.spawned = chosen.then((r) => {
        this.unplaced = [];
        if (this.disposed) return;
        const kind: EngineKind = r?.ok ? r.value.engine : 'cpu';
        for (const worker of others) this.slots.push(this.makeSlot(kind, worker));
      });
    }
  }

  /** Workers spawned but not yet in a slot (waiting for the engine choice); ended by dispose. */
  private unplaced: SpawnedWorker[] = [];

  private makeSlot(engine: EngineRequest, worker: SpawnedWorker = this.options.spawn()): Slot {
    const config: WorkerConfig = { engine, ...(this.options.chunkBytes === undefined ? {} : { chunkBytes: this.options.chunkBytes }) };
    const ready = worker.api.init(config, this.options.sources);
    void ready.then((r) => {
      if (r.ok) {
        this.actualEngine = r.value.engine;
        if (r.value.note && this.options.engineNote === undefined) this.notes.push(r.value.note);
      }
    });
    return { worker, ready, engine, busy: false };
  }

  engineKind(): EngineKind {
    return this.actualEngine;
  }

  private readonly waiting: ((slot: Slot) => void)[] = [];

  /** The next idle worker; callers beyond the pool size wait their turn. Undefined once disposed. */
  private async acquire(): Promise<Slot | undefined> {
    await Promise.race([this.spawned, this.stopped]);
    if (this.disposed) return undefined;
    const slot = this.slots.find((s) => !s.busy);
    if (slot) {
      slot.busy = true;
      return slot;
    }
    const next = new Promise<Slot>((resolve) => this.waiting.push(resolve));
    return Promise.race([next, this.stopped.then(() => undefined)]);
  }

  /** Runs fn on an idle worker; a disposed pool answers `cancelled` instead of hanging. */
  private async withSlot<T>(fn: (slot: Slot) => Promise<Outcome<T>>): Promise<Outcome<T>> {
    const slot = await this.acquire();
    if (!slot) return cancelledOutcome();
    try {
      return await fn(slot);
    } finally {
      this.release(slot);
    }
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next && this.slots.includes(slot)) next(slot);
    else slot.busy = false;
  }

  private replace(slot: Slot, engine: EngineRequest): Slot {
    slot.worker.terminate();
    const fresh = this.makeSlot(engine);
    fresh.busy = slot.busy;
    this.slots[this.slots.indexOf(slot)] = fresh;
    return fresh;
  }

  /** Runs a call on a slot, failing (not hanging) when the worker dies meanwhile. */
  private async call<T>(slot: Slot, fn: (api: PromisifiedApi) => Promise<Outcome<T>>): Promise<Outcome<T>> {
    const init = await Promise.race([slot.ready, slot.worker.exited.then((why) => ({ ok: false as const, error: toErrorInfo(new SleuthError('worker_failed', `A worker stopped while starting: ${why}`)) }))]);
    if (!init.ok) return init;
    return Promise.race([
      fn(slot.worker.api),
      slot.worker.exited.then((why): Outcome<T> => ({ ok: false, error: new SleuthError('worker_failed', `A worker stopped during the job: ${why}`).toInfo() })),
    ]);
  }

  loadModel(side: Side, label: string): Promise<Outcome<ModelManifest>> {
    return this.withSlot((slot) => this.call(slot, (api) => api.loadModel(side, label)));
  }

  loadAdapter(label: string): Promise<Outcome<LoadedAdapter>> {
    return this.withSlot((slot) => this.call(slot, (api) => api.loadAdapter(label)));
  }

  async runJob(spec: JobSpec, onBytes: (bytes: number) => void): Promise<Outcome<JobResult>> {
    let slot = await this.acquire();
    if (!slot) return cancelledOutcome();
    try {
      let out = await this.call(slot, (api) => api.runJob(spec, this.options.proxy(onBytes)));
      if (!out.ok && !this.cancelled && isRetryable(out.error.code)) {
        // Retry once on the CPU engine in a fresh worker (which takes the slot); say so in the report.
        const reason = `${out.error.code}: ${out.error.message}`;
        slot = this.replace(slot, 'cpu');
        out = await this.call(slot, (api) => api.runJob(spec, this.options.proxy(onBytes)));
        if (out.ok) out.value.notes.push(`Job ${spec.id} was retried on the CPU engine after ${reason}`);
      }
      if (out.ok && this.notes.length) out.value.notes.push(...this.notes);
      return out;
    } finally {
      this.release(slot);
    }
  }

  cancel(): void {
    this.cancelled = true;
    for (const s of this.slots) void s.worker.api.cancel().catch(() => undefined);
  }

  dispose(): void {
    this.disposed = true;
    this.cancelled = true;
    for (const s of this.slots) s.worker.terminate();
    for (const w of this.unplaced) w.terminate();
    this.slots = [];
    this.unplaced = [];
    this.waiting.length = 0;
    this.stop();
  }
}

/** What a call on a disposed pool answers. */
function cancelledOutcome(): { ok: false; error: ReturnType<SleuthError['toInfo']> } {
  return { ok: false, error: new SleuthError('cancelled', 'The analysis was cancelled').toInfo() };
}

function isRetryable(code: string): boolean {
  return code === 'worker_failed' || code === 'gpu_device_lost' || code === 'gpu_out_of_memory' || code === 'gpu_unavailable';
}
