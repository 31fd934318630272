/**
 * The Activations worker's typed interface (comlink): files go in as Blob handles (never read whole
 * on the page), results come back as data, never exceptions (comlink keeps only an error's
 * name/message/stack): `{ ok: true, value } | { ok: false, error }`.
 */
import type { ErrorInfo } from '../../lib/formats/errors.ts';
import type { ActivationProgress, ActivationRequest, ActivationResult } from '../../lib/activations/run.ts';

export interface FileRef {
  path: string;
  blob: Blob;
}

export type ActivationEngine = 'cpu' | 'webgpu' | 'auto';

export interface ActivationJob {
  knownGood: { label: string; files: FileRef[] };
  suspect: { label: string; files: FileRef[] };
  request: ActivationRequest;
  engine: ActivationEngine;
  /** Bytes; default half of navigator.deviceMemory. */
  memoryBudget?: number;
}

export type ActivationOutcome = { ok: true; value: ActivationResult & { engineNote?: string } } | { ok: false; error: ErrorInfo };

export interface ActivationsWorkerApi {
  run(job: ActivationJob, onProgress: (p: ActivationProgress) => void): Promise<ActivationOutcome>;
  cancel(): void;
}
