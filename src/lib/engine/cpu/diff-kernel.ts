/**
 * CPU twin of shaders/diff-blocks.wgsl + shaders/diff-rows.wgsl: accumulates the delta of one pair
 * of decoded chunks (same element range on both sides) into a DiffAccumulator.
 */
import { DTYPES } from '../../formats/dtype.ts';
import { elementBits, type DecodedChunk } from './decode.ts';
import { EXP_BIN_TABLE, HIST_BINS } from '../stats.ts';
import { offerTop, topThreshold, ulpAt, type DiffAccumulator } from '../diff.ts';

/**
 * @param firstElement flat index of the chunk's first element within the tensor
 */
export function accumulateDiffCpu(acc: DiffAccumulator, a: DecodedChunk, b: DecodedChunk, firstElement: number): void {
  if (a.dtype === b.dtype && DTYPES[a.dtype].blockElements === 1 && DTYPES[a.dtype].blockBytes <= 4 && a.steps === undefined && b.steps === undefined) {
    accumulateSameDtypeDiff(acc, a, b, firstElement);
    return;
  }
  const n = a.count;
  const va = a.values;
  const vb = b.values;
  // Element bit patterns exist only for plain types; block-quantized values compare by value.
  // A same element-wise dtype reaches this loop only at 8 bytes (F64, I64): two u32 words each.
  const same = a.dtype === b.dtype && DTYPES[a.dtype].blockElements === 1;
  // Quantized sides: a difference within one quantization step (of either side) is rounding.
  const stepsA = a.steps;
  const stepsB = b.steps;
  const quantized = stepsA !== undefined || stepsB !== undefined;
  const ba = a.bits;
  const bb = b.bits;

  // The less precise float side sets the rounding grain for the precision test.
  const ia = DTYPES[a.dtype];
  const ib = DTYPES[b.dtype];
  const bothFloat = ia.family === 'float' && ib.family === 'float';
  const lowerIsA = (ia.mantissaBits ?? 0) < (ib.mantissaBits ?? 0);
  const lower = lowerIsA ? ia : ib;
  const mBits = lower.mantissaBits ?? 0;
  const minExp = lower.minExponent ?? 0;

  let sumSqDelta = 0;
  let dot = 0;
  let sumSqA = 0;
  let sumSqB = 0;
  let maxAbs = acc.maxAbs;
  let changed = 0;
  let nonFinite = 0;
  let violations = 0;
  const rowLength = acc.rowLength;
  // The chunk is walked row (bucket) by row: per-row sums stay in locals, flushed once per row.
  const span = Math.max(1, rowLength * acc.rowBucket);
  let row = rowLength > 0 ? Math.floor(firstElement / span) : 0;
  let threshold = topThreshold(acc);
  const rowChanged = acc.rowChanged;
  const rowSumSq = acc.rowSumSq;
  const deltaHist = acc.deltaHist;
  let finiteDeltas = 0;

  for (let start = 0; start < n; row++) {
    const end = rowLength > 0 ? Math.min(n, (row + 1) * span - firstElement) : n;
    let rowCount = 0;
    let rowSq = 0;
    for (let i = start; i < end; i++) {
      const x = va[i] as number;
      const y = vb[i] as number;
      const xf = x - x === 0; // finite (false for NaN and ±Inf)
      const yf = y - y === 0;
      if (xf && yf) {
        dot += x * y;
        sumSqA += x * x;
        sumSqB += y * y;
      }
      let isChanged: boolean;
      if (same) {
        isChanged = ba[2 * i] !== bb[2 * i] || ba[2 * i + 1] !== bb[2 * i + 1];
      } else {
        // NaN == NaN counts as equal across dtypes; -0 vs +0 counts as a change (sign bit survives casts).
        isChanged = x !== y ? !(x !== x && y !== y) : x === 0 && 1 / x !== 1 / y;
      }
      if (!isChanged) continue;
      rowCount++;
      let magnitude: number;
      if (xf && yf) {
        // Δ = suspect − known-good: the change that was applied (positive: the value went up).
        const d = y - x;
        const d2 = d * d;
        sumSqDelta += d2;
        rowSq += d2;
        magnitude = Math.abs(d);
        if (magnitude > maxAbs) maxAbs = magnitude;
        deltaScratch[finiteDeltas++] = d;
        if (finiteDeltas === DELTA_BATCH) finiteDeltas = binDeltas(finiteDeltas, deltaHist);
        if (quantized) {
          const tol = Math.max(stepsA ? (stepsA[i] as number) : 0, stepsB ? (stepsB[i] as number) : 0);
          if (magnitude > tol) violations++;
        } else if (!same && (!bothFloat || magnitude > ulpAt(lowerIsA ? y : x, mBits, minExp))) violations++;
      } else {
        nonFinite++;
        magnitude = Infinity;
        // A finite value cast to a narrower float may saturate to ±Inf: still within precision.
        if (!same && (quantized || !(bothFloat && isSaturation(lowerIsA ? x : y, lowerIsA ? y : x)))) violations++;
      }
      // (Below a full top list the threshold is -1: every change is offered until it fills.)
      if (magnitude > threshold) {
        const e = same ? { aBits: elementBits(a, i), bBits: elementBits(b, i) } : {};
        offerTop(acc, { index: firstElement + i, a: x, b: y, magnitude, ...e });
        threshold = topThreshold(acc);
      }
    }
    if (rowCount > 0) {
      changed += rowCount;
      rowChanged[row] = (rowChanged[row] as number) + rowCount;
      rowSumSq[row] = (rowSumSq[row] as number) + rowSq;
    }
    start = end;
  }
  binDeltas(finiteDeltas, deltaHist);
  addChunkTotals(acc, { sumSqDelta, dot, sumSqA, sumSqB, maxAbs, changed, nonFinite, violations });
}

/** One chunk's sums into the accumulator (both loops end here). */
function addChunkTotals(acc: DiffAccumulator, t: { sumSqDelta: number; dot: number; sumSqA: number; sumSqB: number; maxAbs: number; changed: number; nonFinite: number; violations: number }): void {
  acc.sumSqDelta += t.sumSqDelta;
  acc.dot += t.dot;
  acc.sumSqA += t.sumSqA;
  acc.sumSqB += t.sumSqB;
  acc.maxAbs = t.maxAbs;
  acc.changed += t.changed;
  acc.nonFiniteChanged += t.nonFinite;
  acc.precisionViolations += t.violations;
}

/** lower = ±Inf where higher is a finite value of the same sign beyond the narrow type's range. */
function isSaturation(lowerValue: number, higherValue: number): boolean {
  if (lowerValue !== Infinity && lowerValue !== -Infinity) return false;
  return Number.isFinite(higherValue) && Math.sign(higherValue) === Math.sign(lowerValue);
}

/**
 * Finite deltas, binned through their binary32 rounding (what the GPU computes) in batches:
 * cheaper than binning each inline (4.3 → 3.7 ns per element measured).
 */
const DELTA_BATCH = 65536;
const deltaScratch = new Float32Array(DELTA_BATCH);
const deltaScratchBits = new Uint32Array(deltaScratch.buffer);

/**
 * Elements above the top list's threshold, offered in batches: the offer (an object, a sorted
 * insert) kept out of the hot loop saves ~1.5 ns per element. Within a batch the threshold is
 * stale, so some candidates are refused by offerTop — the same ones the inline test refused.
 */
const CANDIDATE_BATCH = 4096;
const candidateScratch = new Int32Array(CANDIDATE_BATCH);

function offerCandidates(acc: DiffAccumulator, a: DecodedChunk, b: DecodedChunk, firstElement: number, count: number): number {
  const va = a.values;
  const vb = b.values;
  for (let k = 0; k < count; k++) {
    const i = candidateScratch[k] as number;
    const x = va[i] as number;
    const y = vb[i] as number;
    const magnitude = x - x === 0 && y - y === 0 ? Math.abs(y - x) : Infinity;
    if (magnitude > topThreshold(acc)) offerTop(acc, { index: firstElement + i, a: x, b: y, magnitude, aBits: elementBits(a, i), bBits: elementBits(b, i) });
  }
  return topThreshold(acc);
}

/** Bins the first `count` deltas of the scratch; returns 0 (the scratch's new fill). */
function binDeltas(count: number, deltaHist: Uint32Array): number {
  for (let j = 0; j < count; j++) {
    const u = deltaScratchBits[j] as number;
    const bin = (u & 0x7fffffff) === 0 ? (u >>> 31) * HIST_BINS : (EXP_BIN_TABLE[u >>> 23] as number);
    deltaHist[bin] = (deltaHist[bin] as number) + 1;
  }
  return 0;
}

/**
 * The common case — both sides of one element-wise dtype of ≤ 32 bits (BF16, F16, F32, 8/16/32-bit
 * ints): a change is a differing bit pattern and precision never applies, so the loop carries none
 * of the cross-dtype and quantization tests. Same results as the general loop above.
 */
function accumulateSameDtypeDiff(acc: DiffAccumulator, a: DecodedChunk, b: DecodedChunk, firstElement: number): void {
  const n = a.count;
  const va = a.values;
  const vb = b.values;
  const ba = a.bits;
  const bb = b.bits;
  const deltas = deltaScratch;
  const deltaHist = acc.deltaHist;
  const candidates = candidateScratch;
  let nCandidates = 0;
  let finiteDeltas = 0;
  let sumSqDelta = 0;
  let dot = 0;
  let sumSqA = 0;
  let sumSqB = 0;
  let maxAbs = acc.maxAbs;
  let changed = 0;
  let nonFinite = 0;
  const rowLength = acc.rowLength;
  const span = Math.max(1, rowLength * acc.rowBucket);
  let row = rowLength > 0 ? Math.floor(firstElement / span) : 0;
  let threshold = topThreshold(acc);
  const rowChanged = acc.rowChanged;
  const rowSumSq = acc.rowSumSq;
  for (let start = 0; start < n; row++) {
    const end = rowLength > 0 ? Math.min(n, (row + 1) * span - firstElement) : n;
    let rowCount = 0;
    let rowSq = 0;
    for (let i = start; i < end; i++) {
      const x = va[i] as number;
      const y = vb[i] as number;
      if (x - x === 0 && y - y === 0) {
        dot += x * y;
        sumSqA += x * x;
        sumSqB += y * y;
        if (ba[i] === bb[i]) continue;
        rowCount++;
        const d = y - x;
        const d2 = d * d;
        sumSqDelta += d2;
        rowSq += d2;
        const magnitude = Math.abs(d);
        if (magnitude > maxAbs) maxAbs = magnitude;
        deltas[finiteDeltas++] = d;
        if (finiteDeltas === DELTA_BATCH) finiteDeltas = binDeltas(finiteDeltas, deltaHist);
        // (Below a full top list the threshold is -1: every change is a candidate until it fills.)
        if (magnitude <= threshold) continue;
      } else {
        if (ba[i] === bb[i]) continue;
        rowCount++;
        nonFinite++;
        if (threshold === Infinity) continue;
      }
      candidates[nCandidates++] = i;
      if (nCandidates === CANDIDATE_BATCH) {
        threshold = offerCandidates(acc, a, b, firstElement, nCandidates);
        nCandidates = 0;
      }
    }
    if (rowCount > 0) {
      changed += rowCount;
      rowChanged[row] = (rowChanged[row] as number) + rowCount;
      rowSumSq[row] = (rowSumSq[row] as number) + rowSq;
    }
    start = end;
  }
  binDeltas(finiteDeltas, deltaHist);
  offerCandidates(acc, a, b, firstElement, nCandidates);
  addChunkTotals(acc, { sumSqDelta, dot, sumSqA, sumSqB, maxAbs, changed, nonFinite, violations: 0 });
}
