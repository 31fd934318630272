/**
 * The workbench's state: both inputs, the running job (its worker pool, progress, cancel), the
 * report and the selection within it. Owns the worker pool for exactly the duration of one run.
 */
import { compareModels, type CompareProgress } from '../../lib/analysis/compare.ts';
import { toErrorInfo, type ErrorInfo } from '../../lib/formats/errors.ts';
import type { ReportV1 } from '../../lib/report/types.ts';
import type { WorkerPool } from '../../lib/analysis/worker-pool.ts';
import { TOOL_VERSION } from '../../lib/version.ts';
import { createBrowserPool, prewarmAnalysis } from '../../workers/browser-pool.ts';
import type { EngineRequest } from '../../workers/worker-api.ts';
import { loadDemoCase } from '../input/demo-case.ts';
import { selectModelFiles } from '../input/collect-files.ts';
import { SideInput } from './side-input.svelte.ts';

export type RunPhase = 'idle' | 'loading-demo' | 'running' | 'cancelling' | 'done' | 'failed' | 'cancelled';

/** After this long without the workers acknowledging a cancel, they are terminated. */
const CANCEL_GRACE_MS = 1500;

export class Workbench {
  readonly knownGood = new SideInput('knownGood', 'known-good');
  readonly suspect = new SideInput('suspect', 'suspect');
  /** Optional: an adapter expected to be merged into the suspect (adapter audit). */
  readonly adapter = new SideInput('adapter', 'adapter');
  readonly engine: EngineRequest;

  phase = $state<RunPhase>('idle');
  progress = $state.raw<CompareProgress | undefined>(undefined);
  /** Large (thousands of tensors): kept raw, never deep-proxied. */
  report = $state.raw<ReportV1 | undefined>(undefined);
  error = $state.raw<ErrorInfo | undefined>(undefined);
  /** The inputs changed after the shown report was made. */
  stale = $state(false);
  selectedTensor = $state<string | undefined>(undefined);
  /** Bumped to ask the tensor table to scroll the selection into view. */
  revealRequest = $state(0);

  readonly running = $derived(this.phase === 'running' || this.phase === 'cancelling' || this.phase === 'loading-demo');
  readonly canCompare = $derived(!this.running && !this.knownGood.isEmpty && !this.suspect.isEmpty);

  private abort: AbortController | undefined;
  private runId = 0;

  constructor(engine: EngineRequest) {
    this.engine = engine;
    // Workers (and the engine choice) are made ready while the analyst picks files.
    if (typeof window !== 'undefined') setTimeout(() => prewarmAnalysis(engine), 0);
  }

  inputsChanged(): void {
    if (this.report) this.stale = true;
    if (this.phase === 'failed' || this.phase === 'cancelled') {
      this.phase = 'idle';
      this.error = undefined;
    }
  }

  select(name: string | undefined, reveal = false): void {
    this.selectedTensor = name;
    if (reveal) this.revealRequest++;
  }

  async loadDemo(): Promise<void> {
    if (this.running) return;
    this.phase = 'loading-demo';
    this.error = undefined;
    const abort = new AbortController();
    this.abort = abort;
    try {
      const demo = await loadDemoCase(import.meta.env.BASE_URL, abort.signal);
      this.knownGood.take(selectModelFiles(demo.knownGood.files), 'demo', demo.knownGood.label);
      this.suspect.take(selectModelFiles(demo.suspect.files), 'demo', demo.suspect.label);
      this.adapter.clear();
    } catch (e) {
      this.phase = abort.signal.aborted ? 'cancelled' : 'failed';
      if (!abort.signal.aborted) this.error = { code: 'read_failed', kind: 'environment', message: `Could not load the demo case: ${e instanceof Error ? e.message : String(e)}` };
      return;
    }
    this.phase = 'idle';
    await this.run();
  }

  async run(): Promise<void> {
    if (this.running || this.knownGood.isEmpty || this.suspect.isEmpty) return;
    const id = ++this.runId;
    const abort = new AbortController();
    this.abort = abort;
    this.phase = 'running';
    this.error = undefined;
    this.progress = { phase: 'headers', bytesDone: 0, bytesTotal: this.knownGood.totalBytes + this.suspect.totalBytes, rate: 0, jobsDone: 0, jobsTotal: 0 };
    let pool: WorkerPool | undefined;
    // A cancel the workers do not acknowledge in time ends them: pending calls then settle as
    // worker_failed, and compareModels reports the cancellation.
    const onAbort = (): void => {
      setTimeout(() => {
        if (this.runId === id && this.phase === 'cancelling') pool?.dispose();
      }, CANCEL_GRACE_MS);
    };
    abort.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const withAdapter = !this.adapter.isEmpty;
      pool = await createBrowserPool(
        { knownGood: this.knownGood.sourceRefs(), suspect: this.suspect.sourceRefs(), ...(withAdapter ? { adapter: this.adapter.sourceRefs() } : {}) },
        { engine: this.engine },
      );
      const report = await compareModels(pool, {
        toolVersion: TOOL_VERSION,
        labels: { knownGood: this.knownGood.label, suspect: this.suspect.label },
        ...(withAdapter ? { adapter: { label: this.adapter.label } } : {}),
        signal: abort.signal,
        onProgress: (p) => {
          if (this.runId === id) this.progress = p;
        },
      });
      if (this.runId !== id) return;
      if (abort.signal.aborted) {
        this.phase = 'cancelled';
        return;
      }
      this.report = report;
      this.stale = false;
      this.phase = 'done';
      this.select(firstChangedTensor(report));
    } catch (e) {
      if (this.runId !== id) return;
      const info = toErrorInfo(e);
      if (abort.signal.aborted || info.code === 'cancelled') {
        this.phase = 'cancelled';
      } else {
        this.error = info;
        this.phase = 'failed';
      }
    } finally {
      abort.signal.removeEventListener('abort', onAbort);
      pool?.dispose();
      if (this.runId === id) {
        this.progress = undefined;
        this.abort = undefined;
      }
    }
  }

  cancel(): void {
    if (!this.abort) return;
    if (this.phase === 'running') this.phase = 'cancelling';
    this.abort.abort();
  }
}

/** The tensor the detail panel opens on: the one behind the first verdict reason, else the first change. */
function firstChangedTensor(report: ReportV1): string | undefined {
  for (const id of report.verdict.reasons) {
    const f = report.findings.find((x) => x.id === id);
    if (f?.tensor !== undefined && report.tensors.some((t) => t.name === f.tensor)) return f.tensor;
  }
  return report.tensors.find((t) => t.status !== 'identical')?.name;
}
