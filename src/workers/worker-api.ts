/**
 * The API one analysis worker exposes (over comlink, in a Web Worker or a Node worker_thread).
 * A thin adapter over src/lib: it owns the worker's ByteSources, its SHA-256 factory and its
 * compute engine, and returns results, never exceptions (comlink keeps only name/message/stack of
 * an error): `{ ok: true, value } | { ok: false, error }`.
 */
import { toErrorInfo } from '../lib/formats/errors.ts';
import type { ModelManifest } from '../lib/formats/manifest.ts';
import type { ByteSource } from '../lib/io/byte-source.ts';
import type { ComputeEngine, EngineKind } from '../lib/engine/engine.ts';
import type { OneShotSha256, Sha256Factory } from '../lib/evidence/sha256.ts';
import type { JobResult, JobSpec, Outcome, Side } from '../lib/analysis/job.ts';
import { InProcessRunner } from '../lib/analysis/runner.ts';
import type { LoadedAdapter } from '../lib/analysis/adapter-audit.ts';

/** How a file reaches a worker: a Blob/File (browser), a path (Node), or bytes (tests, demo). */
export interface SourceRef {
  path: string;
  size: number;
  lastModified?: number;
  blob?: Blob;
  absolutePath?: string;
  bytes?: Uint8Array;
}

export type EngineRequest = EngineKind | 'auto';

/** Files per side, and the adapter's for the adapter audit (a separate field: not a Side). */
export type PoolSources = Record<Side, SourceRef[]> & { adapter?: SourceRef[] };

export interface WorkerConfig {
  engine: EngineRequest;
  chunkBytes?: number;
}

export interface WorkerPlatform {
  openRef(ref: SourceRef): ByteSource;
  sha256: Sha256Factory;
  /** A native one-shot SHA-256 for tensors that fit in its buffer (the browser's WebCrypto). */
  sha256OneShot?: OneShotSha256 | undefined;
  createEngine(request: EngineRequest): Promise<{ engine: ComputeEngine; note?: string }>;
}

export interface WorkerApi {
  init(config: WorkerConfig, sources: PoolSources): Promise<Outcome<{ engine: EngineKind; note?: string }>>;
  /** Resolves an engine request ('auto': calibrates on a software adapter) without files; the engine is released again. */
  chooseEngine(request: EngineRequest): Promise<Outcome<{ engine: EngineKind; note?: string }>>;
  loadModel(side: Side, label: string): Promise<Outcome<ModelManifest>>;
  loadAdapter(label: string): Promise<Outcome<LoadedAdapter>>;
  runJob(spec: JobSpec, onBytes: (bytes: number) => void): Promise<Outcome<JobResult>>;
  cancel(): void;
}

const engineChoice = (engine: EngineKind, note: string | undefined): { engine: EngineKind; note?: string } => ({ engine, ...(note === undefined ? {} : { note }) });

export function createWorkerApi(platform: WorkerPlatform): WorkerApi {
  let runner: InProcessRunner | undefined;
  let note: string | undefined;
  const notReady = { ok: false as const, error: toErrorInfo(new Error('worker used before init')) };
  return {
    async init(config, sources) {
      try {
        runner?.dispose();
        const { engine, note: n } = await platform.createEngine(config.engine);
        note = n;
        const open = (refs: SourceRef[]): ByteSource[] => refs.map((r) => platform.openRef(r));
        runner = new InProcessRunner({ knownGood: open(sources.knownGood), suspect: open(sources.suspect), ...(sources.adapter ? { adapter: open(sources.adapter) } : {}) }, platform.sha256, engine, {
          ...(config.chunkBytes === undefined ? {} : { chunkBytes: config.chunkBytes }),
          ...(platform.sha256OneShot ? { sha256OneShot: platform.sha256OneShot } : {}),
        });
        return { ok: true, value: engineChoice(engine.kind, note) };
      } catch (e) {
        return { ok: false, error: toErrorInfo(e) };
      }
    },
    async chooseEngine(request) {
      try {
        const { engine, note: n } = await platform.createEngine(request);
        engine.dispose();
        return { ok: true, value: engineChoice(engine.kind, n) };
      } catch (e) {
        return { ok: false, error: toErrorInfo(e) };
      }
    },
    loadModel(side, label) {
      return runner ? runner.loadModel(side, label) : Promise.resolve(notReady);
    },
    loadAdapter(label) {
      return runner ? runner.loadAdapter(label) : Promise.resolve(notReady);
    },
    async runJob(spec, onBytes) {
      if (!runner) return notReady;
      const out = await runner.runJob(spec, onBytes);
      if (out.ok && note) out.value.notes.push(note);
      return out;
    },
    cancel() {
      runner?.cancel();
    },
  };
}
