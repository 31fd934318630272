/**
 * Where jobs run. `compareModels` talks to an AnalysisRunner; the browser gives it a pool of Web
 * Workers, the CLI a pool of worker_threads, tests an in-process runner. All of them execute the
 * same `runJob`/`loadModel` code; only the transport differs.
 */
import { SleuthError, toErrorInfo } from '../formats/errors.ts';
import type { ModelManifest } from '../formats/manifest.ts';
import { loadModel } from '../formats/model-loader.ts';
import type { ByteSource } from '../io/byte-source.ts';
import type { ComputeEngine, EngineKind } from '../engine/engine.ts';
import type { OneShotSha256, Sha256Factory } from '../evidence/sha256.ts';
import type { JobResult, JobSpec, Outcome, Side } from './job.ts';
import { runJob } from './run-job.ts';
import { loadAndHashAdapter, type LoadedAdapter } from './adapter-audit.ts';

export interface AnalysisRunner {
  /** How many jobs run at once. */
  readonly concurrency: number;
  loadModel(side: Side, label: string): Promise<Outcome<ModelManifest>>;
  /** The adapter given for the adapter audit (its headers, config and file hashes); absent: no adapter support. */
  loadAdapter?(label: string): Promise<Outcome<LoadedAdapter>>;
  runJob(spec: JobSpec, onBytes: (bytes: number) => void): Promise<Outcome<JobResult>>;
  /** The engine jobs actually run on (after any fallback). */
  engineKind(): EngineKind;
  cancel(): void;
  dispose(): void;
}

/** The two models' files, and the adapter's when one is given for the adapter audit. */
export type SourcesBySide = Record<Side, readonly ByteSource[]> & { adapter?: readonly ByteSource[] };

/** Runs everything in the calling thread (tests, small inputs, environments without workers). */
export class InProcessRunner implements AnalysisRunner {
  readonly concurrency: number;
  private cancelled = false;
  constructor(
    private readonly sources: SourcesBySide,
    private readonly sha256: Sha256Factory,
    private readonly engine: ComputeEngine,
    options: { concurrency?: number; chunkBytes?: number; sha256OneShot?: OneShotSha256 } = {},
  ) {
    this.concurrency = options.concurrency ?? 1;
    this.chunkBytes = options.chunkBytes;
    this.sha256OneShot = options.sha256OneShot;
  }
  private readonly chunkBytes: number | undefined;
  private readonly sha256OneShot: OneShotSha256 | undefined;

  engineKind(): EngineKind {
    return this.engine.kind;
  }

  async loadModel(side: Side, label: string): Promise<Outcome<ModelManifest>> {
    try {
      return { ok: true, value: await loadModel(label, this.sources[side]) };
    } catch (e) {
      return { ok: false, error: toErrorInfo(e) };
    }
  }

  async loadAdapter(label: string): Promise<Outcome<LoadedAdapter>> {
    try {
      return { ok: true, value: await loadAndHashAdapter(label, this.sources.adapter ?? [], this.sha256) };
    } catch (e) {
      return { ok: false, error: toErrorInfo(e) };
    }
  }

  async runJob(spec: JobSpec, onBytes: (bytes: number) => void): Promise<Outcome<JobResult>> {
    const adapter = this.sources.adapter;
    try {
      const value = await runJob(spec, {
        open: (side, path) => {
          const s = this.sources[side].find((x) => x.path === path);
          if (!s) return Promise.reject(new SleuthError('internal_error', `No source for ${side}:${path}`));
          return Promise.resolve(s);
        },
        ...(adapter
          ? {
              openAdapter: (path: string) => {
                const s = adapter.find((x) => x.path === path);
                return s ? Promise.resolve(s) : Promise.reject(new SleuthError('internal_error', `No adapter source for ${path}`));
              },
            }
          : {}),
        sha256: this.sha256,
        ...(this.sha256OneShot ? { sha256OneShot: this.sha256OneShot } : {}),
        engine: this.engine,
        onBytes,
        isCancelled: () => this.cancelled,
        ...(this.chunkBytes === undefined ? {} : { chunkBytes: this.chunkBytes }),
      });
      return { ok: true, value };
    } catch (e) {
      return { ok: false, error: toErrorInfo(e) };
    }
  }

  cancel(): void {
    this.cancelled = true;
  }
  dispose(): void {
    this.engine.dispose();
  }
}
