/**
 * The delta between two tensors, accumulated chunk by chunk (and tile by tile on the GPU) without
 * ever holding either tensor whole: global sums, per-row sums (dim 0), the changed-element count,
 * a top-k of the largest differences with their raw bit patterns, and a magnitude histogram of Δ.
 *
 * "Changed": same dtype → the element's bit pattern differs (so -0 vs +0 and NaN payloads count);
 * different dtypes → the decoded values differ (NaN vs NaN is unchanged).
 * Sums (L2, dot, norms) run over elements where both values are finite; non-finite changes are
 * counted apart so one Inf cannot turn every statistic into Inf/NaN.
 */
import type { DType } from '../formats/dtype.ts';
import { MAX_TRACKED_ROWS, TOP_ELEMENTS } from '../formats/limits.ts';
import { HIST_BINS } from './stats.ts';

export interface TopElement {
  /** Flat row-major element index. */
  index: number;
  a: number;
  b: number;
  /** Raw bit patterns (same-dtype pairs only). */
  aBits?: bigint;
  bBits?: bigint;
  /** |Δ| used for ranking; +Infinity when either value is non-finite. */
  magnitude: number;
}

export interface DiffAccumulator {
  dtypeA: DType;
  dtypeB: DType;
  elements: number;
  rowLength: number;
  rows: number;
  /** Rows are tracked in buckets of `rowBucket` rows when a tensor has more than MAX_TRACKED_ROWS. */
  rowBucket: number;
  sumSqDelta: number;
  dot: number;
  sumSqA: number;
  sumSqB: number;
  maxAbs: number;
  changed: number;
  /** Changed elements where either side is NaN or ±Inf. */
  nonFiniteChanged: number;
  /** Cross-dtype pairs: changed elements whose difference exceeds one unit in the last place of the less precise dtype. */
  precisionViolations: number;
  rowSumSq: Float64Array;
  rowChanged: Uint32Array;
  /** Magnitude histogram of Δ over changed, finite pairs (bin rule of stats.ts). */
  deltaHist: Uint32Array;
  top: TopElement[];
  topK: number;
}

export function newDiff(dtypeA: DType, dtypeB: DType, shape: readonly number[], topK = TOP_ELEMENTS): DiffAccumulator {
  const elements = shape.reduce((p, d) => p * d, 1);
  const rows = shape.length === 0 ? 1 : (shape[0] as number);
  const rowLength = rows === 0 ? 0 : elements / rows;
  const rowBucket = rows > MAX_TRACKED_ROWS ? Math.ceil(rows / MAX_TRACKED_ROWS) : 1;
  const tracked = Math.ceil(rows / rowBucket);
  return {
    dtypeA,
    dtypeB,
    elements,
    rowLength,
    rows,
    rowBucket,
    sumSqDelta: 0,
    dot: 0,
    sumSqA: 0,
    sumSqB: 0,
    maxAbs: 0,
    changed: 0,
    nonFiniteChanged: 0,
    precisionViolations: 0,
    rowSumSq: new Float64Array(tracked),
    rowChanged: new Uint32Array(tracked),
    deltaHist: new Uint32Array(2 * HIST_BINS),
    top: [],
    topK,
  };
}

/** Inserts into the top-k list (kept sorted by magnitude desc, then index asc). */
export function offerTop(acc: DiffAccumulator, e: TopElement): void {
  const top = acc.top;
  if (top.length >= acc.topK) {
    const last = top[top.length - 1] as TopElement;
    if (e.magnitude < last.magnitude || (e.magnitude === last.magnitude && e.index > last.index)) return;
  }
  let i = top.length;
  while (i > 0) {
    const prev = top[i - 1] as TopElement;
    if (prev.magnitude > e.magnitude || (prev.magnitude === e.magnitude && prev.index < e.index)) break;
    i--;
  }
  top.splice(i, 0, e);
  if (top.length > acc.topK) top.pop();
}

/** The k-th best magnitude so far (candidates below it cannot enter the list). */
export function topThreshold(acc: DiffAccumulator): number {
  return acc.top.length < acc.topK ? -1 : (acc.top[acc.top.length - 1] as TopElement).magnitude;
}

/**
 * Adds a chunk whose bytes are identical on both sides: no changes, and the norms come from the
 * chunk's value statistics (Σa² = Σb² = Σab over finite values).
 */
export function addIdenticalChunk(acc: DiffAccumulator, sumSq: number): void {
  acc.sumSqA += sumSq;
  acc.sumSqB += sumSq;
  acc.dot += sumSq;
}

/** One unit in the last place of `dtype` at the magnitude of x (floats only). */
export function ulpAt(x: number, mantissaBits: number, minExponent: number): number {
  const a = Math.abs(x);
  if (a === 0 || !Number.isFinite(a)) return 2 ** (minExponent - mantissaBits);
  let e = Math.floor(Math.log2(a));
  // log2 can be off by one next to powers of two; fix exactly.
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return 2 ** (Math.max(e, minExponent) - mantissaBits);
}

export interface DiffSummary {
  l2: number;
  relL2: number;
  maxAbs: number;
  cosine: number;
  changedCount: number;
  changedFraction: number;
  nonFiniteChanged: number;
  precisionViolations: number;
  normKnownGood: number;
  normSuspect: number;
}

export function summariseDiff(acc: DiffAccumulator): DiffSummary {
  const l2 = Math.sqrt(acc.sumSqDelta);
  const na = Math.sqrt(acc.sumSqA);
  const nb = Math.sqrt(acc.sumSqB);
  const relL2 = na > 0 ? l2 / na : l2 > 0 ? Infinity : 0;
  let cosine: number;
  if (na === 0 && nb === 0) cosine = 1;
  else if (na === 0 || nb === 0) cosine = 0;
  else cosine = Math.max(-1, Math.min(1, acc.dot / (na * nb)));
  return {
    l2,
    relL2: Number.isFinite(relL2) ? relL2 : Number.MAX_VALUE,
    maxAbs: acc.maxAbs,
    cosine,
    changedCount: acc.changed,
    changedFraction: acc.elements > 0 ? acc.changed / acc.elements : 0,
    nonFiniteChanged: acc.nonFiniteChanged,
    precisionViolations: acc.precisionViolations,
    normKnownGood: na,
    normSuspect: nb,
  };
}

/** Row-major flat index → N-d index. */
export function unravel(index: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(0);
  let r = index;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d] as number;
    if (n === 0) continue;
    out[d] = r % n;
    r = Math.floor(r / n);
  }
  return out;
}
