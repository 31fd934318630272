/**
 * State of the Activations panel: the probe form, the running job (its own worker, created for one
 * run and terminated after it), progress, and the outcome. A finished run is attached to the
 * workbench's report (section + findings), so exports carry it; the panel shows it from there.
 */
import * as Comlink from 'comlink';
import type { ActivationProgress, ActivationRequest } from '../../lib/activations/run.ts';
import { attachActivations, unescapeArg } from '../../lib/activations/run.ts';
import { parseTokenIds } from '../../lib/activations/tokenizer.ts';
import { toErrorInfo, type ErrorInfo } from '../../lib/formats/errors.ts';
import type { ReportV1 } from '../../lib/report/types.ts';
import type { SideInput } from '../state/side-input.svelte.ts';
import type { ActivationEngine, ActivationsWorkerApi, FileRef } from './activations-api.ts';

export type ActivationPhase = 'idle' | 'running' | 'cancelling' | 'done' | 'failed' | 'cancelled';

/** After this long without the worker acknowledging a cancel, it is terminated. */
const CANCEL_GRACE_MS = 1500;

export interface PanelInputs {
  knownGood: SideInput;
  suspect: SideInput;
  report: ReportV1 | undefined;
  /** Receives the report with the activations attached. */
  setReport: (r: ReportV1) => void;
}

export class ActivationsPanelState {
  prompt = $state('');
  tokenIds = $state('');
  neutralPrompt = $state('');
  maxNewTokens = $state(16);
  /** A stop sequence as typed (\n for a newline); empty: none. */
  stopAt = $state('');
  engine = $state<ActivationEngine>('auto');
  revert = $state(true);
  sweep = $state(true);
  phase = $state<ActivationPhase>('idle');
  progress = $state.raw<ActivationProgress | undefined>(undefined);
  error = $state.raw<ErrorInfo | undefined>(undefined);
  /** Which probe of the section is shown. */
  probeIndex = $state(0);

  readonly running = $derived(this.phase === 'running' || this.phase === 'cancelling');
  private worker: Worker | undefined;
  private api: Comlink.Remote<ActivationsWorkerApi> | undefined;

  constructor(engine: ActivationEngine) {
    this.engine = engine;
  }

  private files(side: SideInput): FileRef[] {
    return side.files.map((f) => ({ path: f.path, blob: f.file }));
  }

  async run(inputs: PanelInputs): Promise<void> {
    if (this.running || inputs.report === undefined) return;
    const base = inputs.report;
    let prompts: ActivationRequest['prompts'];
    try {
      if (this.tokenIds.trim().length > 0) prompts = [{ prompt: null, tokens: parseTokenIds(this.tokenIds) }];
      else if (this.prompt.length > 0) prompts = [{ prompt: this.prompt }];
      else throw new Error('Type a prompt (or token ids) to probe both models with');
    } catch (e) {
      this.error = { ...toErrorInfo(e), code: 'usage', kind: 'input' };
      this.phase = 'failed';
      return;
    }
    const request: ActivationRequest = {
      prompts,
      maxNewTokens: Math.max(0, Math.min(256, Math.round(this.maxNewTokens))),
      revert: this.revert,
      triggerSweep: this.sweep,
      ...(this.stopAt.length > 0 ? { stopSequences: [unescapeArg(this.stopAt)] } : {}),
      comparison: { tensors: base.tensors, findings: base.findings },
      ...(this.neutralPrompt.length > 0 ? { neutralPrompt: { prompt: this.neutralPrompt } } : {}),
    };
    this.phase = 'running';
    this.error = undefined;
    this.progress = { phase: 'loading', done: 0, total: 1, message: 'starting the worker' };
    const worker = new Worker(new URL('./activations.worker.ts', import.meta.url), { type: 'module', name: 'model-sleuth-activations' });
    this.worker = worker;
    const api = Comlink.wrap<ActivationsWorkerApi>(worker);
    this.api = api;
    try {
      const out = await api.run(
        {
          knownGood: { label: inputs.knownGood.label, files: this.files(inputs.knownGood) },
          suspect: { label: inputs.suspect.label, files: this.files(inputs.suspect) },
          request,
          engine: this.engine,
        },
        Comlink.proxy((p: ActivationProgress) => {
          this.progress = p;
        }),
      );
      if (this.cancelRequested()) {
        this.phase = 'cancelled';
        return;
      }
      if (!out.ok) {
        if (out.error.code === 'cancelled') this.phase = 'cancelled';
        else {
          this.error = out.error;
          this.phase = 'failed';
        }
        return;
      }
      inputs.setReport(attachActivations(base, out.value));
      this.probeIndex = 0;
      this.phase = 'done';
    } catch (e) {
      if (this.cancelRequested()) this.phase = 'cancelled';
      else {
        this.error = toErrorInfo(e);
        this.phase = 'failed';
      }
    } finally {
      this.api = undefined;
      this.worker = undefined;
      worker.terminate();
      this.progress = undefined;
    }
  }

  /** Read through a method: TypeScript narrows `phase` across the awaits above otherwise. */
  private cancelRequested(): boolean {
    const p: ActivationPhase = this.phase;
    return p === 'cancelling' || p === 'cancelled';
  }

  cancel(): void {
    if (!this.running) return;
    this.phase = 'cancelling';
    void this.api?.cancel();
    const worker = this.worker;
    setTimeout(() => {
      if (this.worker === worker && worker !== undefined) {
        worker.terminate();
        this.phase = 'cancelled';
        this.worker = undefined;
        this.progress = undefined;
      }
    }, CANCEL_GRACE_MS);
  }
}
