/**
 * Report JSON, version 1 — the public contract of ../shared/REPORT.md, extended (never changed):
 * schemas/report-v1.schema.json is its precise form and every produced report is validated
 * against it in the tests.
 *
 * JSON has no NaN/Infinity: element values that are not finite are written as the strings
 * "NaN", "Infinity", "-Infinity" (see `jsonNumber`).
 */
import type { ErrorInfo } from '../formats/errors.ts';
import type { StatsSummary } from '../engine/stats.ts';
import type { ActivationsSection } from '../activations/types.ts';

export const REPORT_SCHEMA_ID = 'model-sleuth/report/v1';

/** `unverified` (extension): both sides exist but the tensor could not be read to the end (file changed, I/O error). */
export type TensorStatus = 'identical' | 'modified' | 'added' | 'removed' | 'shape-changed' | 'dtype-changed' | 'unverified';
export type EditKind = 'identical' | 'precision' | 'sparse' | 'rows' | 'rank-1' | 'low-rank' | 'dense';
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export type VerdictStatus = 'clean' | 'benign-precision' | 'tampered' | 'malicious-code' | 'inconclusive';
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export type FindingKind =
  | 'file-hash-mismatch'
  | 'file-added'
  | 'file-removed'
  | 'reserialized'
  | 'tensor-modified'
  | 'tensor-added'
  | 'tensor-removed'
  | 'shape-changed'
  | 'dtype-changed'
  | 'tensor-not-compared'
  | 'unsafe-pickle-global'
  | 'remote-code'
  | 'pickle-anomaly'
  | 'zip-anomaly'
  | 'parse-error'
  | 'config-changed'
  | 'tokenizer-changed'
  | 'chat-template-changed'
  | 'code-changed'
  | 'adapter-explains-delta'
  | 'adapter-mismatch'
  | 'weight-anomaly'
  | 'activation-divergence'
  | 'behaviour-divergence'
  | 'engine-fallback';

export interface ReportFile {
  path: string;
  size: number;
  /** Null only when the file could not be read to the end. */
  sha256: string | null;
  format: string;
  role?: string;
}

export interface ReportInput {
  label: string;
  files: ReportFile[];
  /** Files or structures that could not be read (each also a parse-error finding). */
  problems?: ErrorInfo[];
}

export interface Pair<T> {
  knownGood: T | null;
  suspect: T | null;
}

export interface TopRow {
  index: number;
  l2: number;
  changed?: number;
  token?: string;
}

export interface TopElementReport {
  index: number[];
  knownGood: JsonNumber;
  suspect: JsonNumber;
  flippedBits?: number[];
}

export interface EditReport {
  kind: EditKind;
  rank?: number;
  confidence: number;
  /** Words: why this kind (e.g. "3 elements, exponent bit 30 flipped"). */
  explanation?: string;
}

export interface DeltaReport {
  l2: number;
  relL2: number;
  maxAbs: number;
  cosine: number;
  changedCount: number;
  changedFraction: number;
  changedRows: number[];
  changedRowsTruncated: boolean;
  topRows: TopRow[];
  topElements: TopElementReport[];
  edit: EditReport;
  /** Extensions. */
  nonFiniteChanged?: number;
  precisionViolations?: number;
  /** Magnitude histogram of Δ = suspect − known-good (bins of StatsSummary.hist: positive Δ first). */
  deltaHistogram?: number[];
  /** >1 when rows were tracked in buckets of this many rows (tensors with > 16M rows). */
  rowBucket?: number;
  /** Estimated singular-value spectrum of Δ (see analysis/rank-sketch.ts). */
  spectrum?: { singularValues: number[]; energy: number[]; rowsSampled: number; colsSampled: number };
}

export interface ReportTensor {
  name: string;
  status: TensorStatus;
  dtype: Pair<string>;
  shape: Pair<number[]>;
  sha256: Pair<string>;
  file?: Pair<string>;
  stats?: Pair<StatsSummary>;
  delta?: DeltaReport;
  /** Why values were not compared (undecodable dtype, shapes differ …). */
  notCompared?: string;
}

export interface Finding {
  id: string;
  severity: Severity;
  kind: FindingKind;
  message: string;
  tensor?: string;
  file?: string;
  details?: Record<string, unknown>;
}

export interface Verdict {
  status: VerdictStatus;
  summary: string;
  reasons: string[];
}

export interface ReportSummary {
  tensors: Record<Exclude<TensorStatus, 'unverified'>, number> & { unverified?: number };
  filesCompared: number;
  bytesRead: number;
  durationMs: number;
}

export interface ReportV1 {
  schema: typeof REPORT_SCHEMA_ID;
  generatedAt: string;
  tool: { name: 'model-sleuth'; version: string; engine: 'cpu' | 'webgpu' };
  inputs: { knownGood: ReportInput; suspect: ReportInput };
  tensors: ReportTensor[];
  findings: Finding[];
  verdict: Verdict;
  /** Model-level patterns in words ("low-rank changes on q_proj/v_proj of layers 1–2: consistent with a merged LoRA"). */
  patterns?: string[];
  summary?: ReportSummary;
  notes?: string[];
  /** Activation forensics (`model-sleuth activations`, the Activations panel): src/lib/activations/types.ts. */
  activations?: ActivationsSection;
  /** Adapter audit (only when an adapter was given): does known-good + scale·B·A explain each change? */
  adapter?: AdapterReport;
}

// ── adapter audit (src/lib/analysis/adapter-audit.ts) ────────────────────────

/**
 * explained: Δ = suspect − known-good is scale·B·A within the merge's rounding (see adapter-audit.ts);
 * mismatch: the tensor changed otherwise; unchanged: the adapter was not merged into this tensor;
 * missing: no tensor of the models has the name the adapter modifies; not-audited: the residual
 * test could not run (values not compared, shapes do not fit, factor unreadable).
 */
export type AdapterTargetStatus = 'explained' | 'mismatch' | 'unchanged' | 'missing' | 'not-audited';

export interface AdapterTargetReport {
  /** Base tensor the factor pair modifies; null when none could be named. */
  tensor: string | null;
  /** Module path as the adapter names it. */
  module: string;
  rank: number;
  alpha?: number;
  /** Scale of the merge (alpha / r …); null when nothing declares it (the fitted scale is then used). */
  scale: number | null;
  scaleRule: string;
  status: AdapterTargetStatus;
  /** ‖Δ − scale·B·A‖ / ‖Δ‖ (with the fitted scale when none is declared). */
  residualRatio?: number;
  /** ‖Δ‖ and ‖scale·B·A‖ (Frobenius). */
  deltaNorm?: number;
  updateNorm?: number;
  /** The scale that fits Δ best (least squares) and the residual ratio there. */
  fittedScale?: number;
  fittedResidualRatio?: number;
  /** Elements whose residual exceeds the merge's rounding tolerance. */
  elementsBeyondRounding?: number;
  /** The largest residual beyond tolerance, as an N-d index. */
  largestResidual?: { index: number[]; residual: number; tolerance: number };
  /** Why it is missing / not audited / unchanged, in words. */
  reason?: string;
}

export interface AdapterReport {
  label: string;
  files: ReportFile[];
  /** peft · mlx · kohya · diffusers · cloneofsimo · unknown */
  format: string;
  /** LORA, another PEFT type verbatim, lora/dora (mlx-lm), unknown. */
  type: string;
  /** False when the residual test does not apply (not a LoRA, DoRA, no factor pairs). */
  supported: boolean;
  baseModel?: string;
  /** Declared rank r (config), or the rank every factor pair shares. */
  rank?: number;
  alpha?: number;
  /** The scale every audited pair uses, when they share one. */
  scale?: number;
  scaleRule?: string;
  useRslora?: boolean;
  fanInFanOut?: boolean;
  targetModules?: string[];
  targetModulesRegex?: string;
  /** Transformer layers the adapter modifies (from its factor names, or layers_to_transform). */
  layers?: number[];
  /** Residual ratio at or below which a change counts as explained. */
  residualThreshold: number;
  targets: AdapterTargetReport[];
  /** Changed tensors (beyond rounding) that no factor pair of the adapter explains. */
  unexplained: string[];
  /** Tensors the adapter modifies that are unchanged in the suspect (not merged there). */
  notMerged: string[];
  /** True when at least one change is explained and every change that makes the verdict "tampered" is. */
  allChangesExplained: boolean;
  notes: string[];
  problems?: ErrorInfo[];
}

// ── scan (one model, no known-good) ──────────────────────────────────────────

export const SCAN_SCHEMA_ID = 'model-sleuth/scan/v1';

export interface ScanTensor {
  name: string;
  dtype: string;
  shape: number[];
  file: string;
  /** SHA-256 of the tensor's bytes in row-major order; null when it could not be read. */
  sha256: string | null;
  stats?: StatsSummary;
  /** Sibling-layer anomaly score (robust z over the same module in other layers). */
  anomaly?: { score: number; metric: string; group: string };
  notAnalysed?: string;
}

export interface ScanReportV1 {
  schema: typeof SCAN_SCHEMA_ID;
  generatedAt: string;
  tool: { name: 'model-sleuth'; version: string; engine: 'cpu' | 'webgpu' };
  input: ReportInput;
  tensors: ScanTensor[];
  findings: Finding[];
  /** clean · malicious-code · inconclusive (anything unreadable, suspicious or unverifiable). */
  verdict: Verdict;
  summary?: { tensors: number; bytesRead: number; durationMs: number };
  notes?: string[];
}

export function jsonNumber(x: number): JsonNumber {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return x;
}

export function fromJsonNumber(x: JsonNumber): number {
  return typeof x === 'number' ? x : Number(x);
}

/*
 * Every literal of the closed string unions above, as arrays (for the schema drift test, UI filters
 * and renderers). Each is built from a Record keyed by its union, so adding a literal to a union
 * without adding it here is a compile error; the schema test then asks for the schema's enum too.
 */
const literals = <T extends string>(set: Record<T, true>): readonly T[] => Object.freeze(Object.keys(set) as T[]);

export const TENSOR_STATUSES = literals<TensorStatus>({ identical: true, modified: true, added: true, removed: true, 'shape-changed': true, 'dtype-changed': true, unverified: true });
export const EDIT_KINDS = literals<EditKind>({ identical: true, precision: true, sparse: true, rows: true, 'rank-1': true, 'low-rank': true, dense: true });
export const SEVERITIES = literals<Severity>({ critical: true, high: true, medium: true, low: true, info: true });
export const ADAPTER_TARGET_STATUSES = literals<AdapterTargetStatus>({ explained: true, mismatch: true, unchanged: true, missing: true, 'not-audited': true });
export const VERDICT_STATUSES = literals<VerdictStatus>({ clean: true, 'benign-precision': true, tampered: true, 'malicious-code': true, inconclusive: true });
export const FINDING_KINDS = literals<FindingKind>({
  'file-hash-mismatch': true,
  'file-added': true,
  'file-removed': true,
  reserialized: true,
  'tensor-modified': true,
  'tensor-added': true,
  'tensor-removed': true,
  'shape-changed': true,
  'dtype-changed': true,
  'tensor-not-compared': true,
  'unsafe-pickle-global': true,
  'remote-code': true,
  'pickle-anomaly': true,
  'zip-anomaly': true,
  'parse-error': true,
  'config-changed': true,
  'tokenizer-changed': true,
  'chat-template-changed': true,
  'code-changed': true,
  'adapter-explains-delta': true,
  'adapter-mismatch': true,
  'weight-anomaly': true,
  'activation-divergence': true,
  'behaviour-divergence': true,
  'engine-fallback': true,
});
