/**
 * Job protocol between the orchestrator (compare.ts) and the workers that stream bytes. Plain data
 * only: it crosses worker boundaries by structured clone.
 */
import type { ErrorInfo } from '../formats/errors.ts';
import type { TensorEntry } from '../formats/manifest.ts';
import type { DiffSummary, TopElement } from '../engine/diff.ts';
import type { StatsSummary } from '../engine/stats.ts';
import type { RankEstimate } from './rank-sketch.ts';
import type { AdapterPairResult, AdapterTask } from './adapter-audit.ts';

export type Side = 'knownGood' | 'suspect';

export interface FileKey {
  side: Side;
  path: string;
}

/** One tensor name's work: a pair (compare), or one side only (added/removed: hash + stats). */
export interface PairTask {
  name: string;
  a?: TensorEntry;
  b?: TensorEntry;
  /** Adapter audit: the factors of the adapter pair that modifies this tensor (adapter-audit.ts). */
  adapter?: AdapterTask;
}

export interface JobSpec {
  id: number;
  /** Files this job streams whole, in order, for their SHA-256 (tensor reads ride along where they can). */
  hashFiles: FileKey[];
  /** Tensors to hash, measure and compare, in the order to visit them. */
  pairs: PairTask[];
  /** Bytes this job will read (for progress). */
  plannedBytes: number;
  /** False to skip the rank sketch (default on). */
  rankSketch?: boolean;
}

export interface TensorSideResult {
  sha256: string;
  stats?: StatsSummary;
}

export interface RowDelta {
  index: number;
  l2: number;
  changed: number;
}

export interface DiffResult {
  summary: DiffSummary;
  /** Every row (dim 0) with at least one changed element, ascending; bucketed when rowBucket > 1. */
  rows: RowDelta[];
  rowBucket: number;
  top: TopElement[];
  deltaHist: number[];
  /** Numerical rank of Δ from a sketch of sampled changed rows (2-D tensors with spread-out changes). */
  rank?: RankEstimate;
}

export interface TensorResult {
  name: string;
  a?: TensorSideResult;
  b?: TensorSideResult;
  /** Same dtype and raw bytes equal. */
  identical?: boolean;
  diff?: DiffResult;
  /** Why values were not compared (undecodable dtype, element counts differ …). */
  notCompared?: string;
  error?: ErrorInfo;
  /** Adapter audit: residual of Δ against the adapter's scale·B·A (when the pair carried an AdapterTask). */
  adapter?: AdapterPairResult;
}

export interface FileHashResult extends FileKey {
  sha256: string;
  size: number;
}

export interface JobResult {
  id: number;
  files: FileHashResult[];
  tensors: TensorResult[];
  /** Files this job could not read to the end, with the side they belong to. */
  errors: (ErrorInfo & { side?: Side })[];
  engine: 'cpu' | 'webgpu';
  /** Bytes this job read (progress callbacks may arrive late; this count is exact). */
  bytesRead: number;
  /** Notes about the run (e.g. GPU fell back to CPU). */
  notes: string[];
}

export interface JobProgress {
  jobId: number;
  bytes: number;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };
