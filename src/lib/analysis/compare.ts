/**
 * compare: known-good vs suspect, end to end. Reads both models' headers, pairs tensors, plans
 * streaming jobs, runs them on the runner's workers with progress (bytes, rate, ETA) and
 * cancellation, and assembles the v1 report. The browser and the CLI call exactly this.
 */
import { SleuthError, type ErrorInfo } from '../formats/errors.ts';
import type { ModelManifest } from '../formats/manifest.ts';
import type { ReportV1 } from '../report/types.ts';
import { buildCompareReport } from './build-report.ts';
import type { JobResult, Side } from './job.ts';
import { pairTensors, planJobs } from './plan.ts';
import { loadGivenAdapter, planAdapterAudit } from './adapter-audit.ts';
import type { AnalysisRunner } from './runner.ts';

export interface CompareProgress {
  phase: 'headers' | 'streaming' | 'report' | 'done';
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second over the run so far. */
  rate: number;
  /** Seconds left at the current rate; undefined before a rate is known. */
  etaSeconds?: number;
  jobsDone: number;
  jobsTotal: number;
}

export interface CompareOptions {
  labels?: { knownGood?: string; suspect?: string };
  toolVersion: string;
  onProgress?: (p: CompareProgress) => void;
  signal?: AbortSignal;
  /** Clock injection for tests. */
  now?: () => number;
  /** False to skip rank estimation of changed matrices (benchmarks). */
  rankSketch?: boolean;
  /** Adapter audit: the runner holds the adapter's files; this labels them in the report. */
  adapter?: { label: string };
  /**
   * Re-checks every input after the last byte was read (the CLI re-stats each file: size, mtime,
   * identity). A file that changed while several workers read it is reported (file_changed) even
   * when no single worker saw its end change.
   */
  recheckInputs?: () => Promise<(ErrorInfo & { side: Side })[]>;
}

export async function compareModels(runner: AnalysisRunner, options: CompareOptions): Promise<ReportV1> {
  const now = options.now ?? (() => Date.now());
  const startedAt = now();
  const onAbort = (): void => runner.cancel();
  options.signal?.addEventListener('abort', onAbort);
  try {
    const emit = (p: CompareProgress): void => options.onProgress?.(p);
    emit({ phase: 'headers', bytesDone: 0, bytesTotal: 0, rate: 0, jobsDone: 0, jobsTotal: 0 });
    const [kg, su] = await Promise.all([
      runner.loadModel('knownGood', options.labels?.knownGood ?? 'known-good'),
      runner.loadModel('suspect', options.labels?.suspect ?? 'suspect'),
    ]);
    if (!kg.ok) throw reraise(kg.error);
    if (!su.ok) throw reraise(su.error);
    const knownGood: ModelManifest = kg.value;
    const suspect: ModelManifest = su.value;
    checkAborted(options.signal);

    const pairs = pairTensors(knownGood, suspect);
    // Adapter audit (adapter-audit.ts): each factor pair rides on the PairTask of the tensor it modifies.
    const adapterPlan = options.adapter ? planAdapterAudit(await loadGivenAdapter(runner, options.adapter.label), pairs) : undefined;
    const plan = planJobs(knownGood, suspect, pairs, runner.concurrency);
    if (options.rankSketch === false) for (const job of plan.jobs) job.rankSketch = false;
    let bytesDone = 0;
    let jobsDone = 0;
    let lastEmit = 0;
    const streamStart = now();
    const progress = (force = false): void => {
      const t = now();
      if (!force && t - lastEmit < 100) return;
      lastEmit = t;
      const elapsed = (t - streamStart) / 1000;
      const rate = elapsed > 0 ? bytesDone / elapsed : 0;
      const p: CompareProgress = { phase: 'streaming', bytesDone, bytesTotal: Math.max(plan.totalBytes, bytesDone), rate, jobsDone, jobsTotal: plan.jobs.length };
      if (rate > 0) p.etaSeconds = Math.max(0, (plan.totalBytes - bytesDone) / rate);
      emit(p);
    };
    progress(true);

    const results: JobResult[] = [];
    const runErrors: (ErrorInfo & { side?: Side })[] = [];
    const queue = [...plan.jobs];
    const lanes = Array.from({ length: Math.max(1, Math.min(runner.concurrency, queue.length)) }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        checkAborted(options.signal);
        const out = await runner.runJob(job, (n) => {
          bytesDone += n;
          progress();
        });
        if (out.ok) {
          results.push(out.value);
          // A file the job could not read to the end (changed, vanished, I/O error) must never
          // leave the verdict clean: its hash is missing and so is the proof.
          runErrors.push(...out.value.errors);
        }
        else if (out.error.code === 'cancelled') throw new SleuthError('cancelled', 'The analysis was cancelled');
        else runErrors.push(out.error);
        jobsDone++;
        progress(true);
      }
    });
    await Promise.all(lanes);
    checkAborted(options.signal);
    if (options.recheckInputs) {
      const known = new Set(runErrors.map((e) => `${e.side ?? ''} ${e.code} ${e.file ?? ''}`));
      for (const e of await options.recheckInputs()) if (!known.has(`${e.side} ${e.code} ${e.file ?? ''}`)) runErrors.push(e);
    }

    emit({ phase: 'report', bytesDone, bytesTotal: plan.totalBytes, rate: 0, jobsDone, jobsTotal: plan.jobs.length });
    const notes = [`Streaming plan: ${plan.mode} (${plan.jobs.length} jobs on ${runner.concurrency} worker${runner.concurrency === 1 ? '' : 's'})`];
    const report = buildCompareReport({
      knownGood,
      suspect,
      pairs,
      results,
      runErrors,
      engine: runner.engineKind(),
      toolVersion: options.toolVersion,
      startedAt,
      finishedAt: now(),
      bytesRead: results.reduce((sum, r) => sum + r.bytesRead, 0),
      notes,
      ...(adapterPlan ? { adapter: adapterPlan } : {}),
    });
    emit({ phase: 'done', bytesDone, bytesTotal: plan.totalBytes, rate: 0, jobsDone, jobsTotal: plan.jobs.length });
    return report;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SleuthError('cancelled', 'The analysis was cancelled');
}

function reraise(e: ErrorInfo): SleuthError {
  return new SleuthError(e.code, e.message, { ...(e.offset === undefined ? {} : { offset: e.offset }), ...(e.file === undefined ? {} : { file: e.file }) });
}
