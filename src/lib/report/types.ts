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

export const REPORT_SCHEMA_ID = 'model-sleuth/report/v1';

export type TensorStatus = 'identical' | 'modified' | 'added' | 'removed' | 'shape-changed' | 'dtype-changed';
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
  tensors: Record<TensorStatus, number>;
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

export const TENSOR_STATUSES = literals<TensorStatus>({ identical: true, modified: true, added: true, removed: true, 'shape-changed': true, 'dtype-changed': true });
export const EDIT_KINDS = literals<EditKind>({ identical: true, precision: true, sparse: true, rows: true, 'rank-1': true, 'low-rank': true, dense: true });
export const SEVERITIES = literals<Severity>({ critical: true, high: true, medium: true, low: true, info: true });
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
