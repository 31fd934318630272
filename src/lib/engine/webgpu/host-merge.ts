/**
 * Host side of the kernels: reads per-block partials back into the accumulators the CPU twin fills
 * (StatsAccumulator, DiffAccumulator), and picks the blocks the host must re-decode on the CPU for
 * the exact top-k and max|Δ|. Pure functions of the readback words — no GPU objects here, so the
 * selection rules are unit-testable on their own.
 *
 * Layouts are documented in the headers of shaders/stats.wgsl and shaders/diff-blocks.wgsl.
 */
import type { DiffAccumulator } from '../diff.ts';
import { offerTop } from '../diff.ts';
import type { StatsAccumulator } from '../stats.ts';
import { DIFF_WORDS, HIST_WORDS, STATS_WORDS } from './kernels.ts';

/** Rank key of |Δ| as the kernels write it: (hi << 32) | lo. */
export type RankKey = bigint;
/** A magnitude of +Infinity (KEY_INF in diff-common.wgsl). */
export const KEY_INF: RankKey = (1n << 64n) - 1n;
/** KEY_F32_MAX in diff-common.wgsl: narrow keys are clamped below +Inf. */
const KEY_F32_MAX = 0x7f7fffff;

const scratch = new DataView(new ArrayBuffer(8));

/**
 * The rank key the kernels would give magnitude m (≥ 0): a non-decreasing function of m, so
 * key(x) < key(y) implies x < y. Narrow pairs: m's binary32 bits (clamped below +Inf) in the high
 * word; wide pairs: m's binary64 bits.
 */
export function rankKeyOf(m: number, wide: boolean): RankKey {
  if (m === Infinity) return KEY_INF;
  if (wide) {
    scratch.setFloat64(0, m, true);
    return scratch.getBigUint64(0, true);
  }
  scratch.setFloat32(0, m, true);
  return BigInt(Math.min(scratch.getUint32(0, true), KEY_F32_MAX)) << 32n;
}

function keyOf(lo: number, hi: number): RankKey {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * Value of a min/max order key (keyF32 / keyF64 in decode-common.wgsl). A zero key stands for
 * both zeros: `firstZeroCode` (2·index + sign of the block's first zero) picks the sign, as the
 * twin's sequential `x < min` keeps the first zero it meets.
 */
export function valueOfOrderKey(loWord: number, hiWord: number, wide: boolean, firstZeroCode: number): number {
  const lo = loWord >>> 0;
  const hi = hiWord >>> 0;
  if (wide) {
    if (lo === 0 && hi === 0x80000000) return firstZeroCode & 1 ? -0 : 0;
    if (hi & 0x80000000) {
      scratch.setUint32(0, lo >>> 0, true);
      scratch.setUint32(4, (hi & 0x7fffffff) >>> 0, true);
    } else {
      scratch.setUint32(0, ~lo >>> 0, true);
      scratch.setUint32(4, ~hi >>> 0, true);
    }
    return scratch.getFloat64(0, true);
  }
  if (hi === 0x80000000) return firstZeroCode & 1 ? -0 : 0;
  scratch.setUint32(0, hi & 0x80000000 ? (hi & 0x7fffffff) >>> 0 : ~hi >>> 0, true);
  return scratch.getFloat32(0, true);
}

export interface StatsTile {
  words: Uint32Array;
  hist: Uint32Array;
  nBlocks: number;
  /** Elements in the tile. */
  n: number;
  wide: boolean;
}

/**
 * Merges one tile's stats partials into `acc`, blocks in element order (so min/max keep the
 * twin's first-seen rule). `recompute(block)` returns the twin's statistics of a flagged block,
 * whose sums replace the GPU's.
 */
export function mergeStatsTile(tile: StatsTile, acc: StatsAccumulator, recompute: (block: number) => StatsAccumulator): void {
  const w = tile.words;
  const f = new Float32Array(w.buffer, w.byteOffset, w.length);
  let finite = 0;
  let nan = 0;
  let posInf = 0;
  let negInf = 0;
  let zeros = 0;
  let sum = 0;
  let sumSq = 0;
  let sumCube = 0;
  let sumQuad = 0;
  for (let blk = 0; blk < tile.nBlocks; blk++) {
    const o = blk * STATS_WORDS;
    const blockFinite = w[o] as number;
    finite += blockFinite;
    nan += w[o + 1] as number;
    posInf += w[o + 2] as number;
    negInf += w[o + 3] as number;
    zeros += w[o + 4] as number;
    if ((w[o + 14] as number) !== 0) {
      const s = recompute(blk);
      sum += s.sum;
      sumSq += s.sumSq;
      sumCube += s.sumCube;
      sumQuad += s.sumQuad;
    } else {
      sum += f[o + 5] as number;
      sumSq += f[o + 6] as number;
      sumCube += f[o + 7] as number;
      sumQuad += f[o + 8] as number;
    }
    if (blockFinite > 0) {
      const firstZero = w[o + 13] as number;
      const min = valueOfOrderKey(w[o + 9] as number, w[o + 10] as number, tile.wide, firstZero);
      const max = valueOfOrderKey(w[o + 11] as number, w[o + 12] as number, tile.wide, firstZero);
      if (min < acc.min) acc.min = min;
      if (max > acc.max) acc.max = max;
    }
  }
  acc.count += tile.n;
  acc.finite += finite;
  acc.nan += nan;
  acc.posInf += posInf;
  acc.negInf += negInf;
  acc.zeros += zeros;
  acc.sum += sum;
  acc.sumSq += sumSq;
  acc.sumCube += sumCube;
  acc.sumQuad += sumQuad;
  addHist(acc.hist, tile.hist);
}

export function addHist(into: Uint32Array, from: Uint32Array): void {
  for (let i = 0; i < HIST_WORDS; i++) into[i] = (into[i] as number) + (from[i] as number);
}

/** One diff block as the host sees it after readback. */
export interface DiffBlock {
  index: number;
  sumSqDelta: number;
  dot: number;
  sumSqA: number;
  sumSqB: number;
  changed: number;
  nonFinite: number;
  violations: number;
  infCount: number;
  /** Max rank key over changed finite pairs (0 when none). */
  finiteKey: RankKey;
  hostFix: boolean;
  seg0: number;
  rowSum0: number;
  rowChanged0: number;
  rowSum1: number;
  rowChanged1: number;
}

export function readDiffBlocks(words: Uint32Array, nBlocks: number): DiffBlock[] {
  const f = new Float32Array(words.buffer, words.byteOffset, words.length);
  const out: DiffBlock[] = [];
  for (let b = 0; b < nBlocks; b++) {
    const o = b * DIFF_WORDS;
    out.push({
      index: b,
      sumSqDelta: f[o] as number,
      dot: f[o + 1] as number,
      sumSqA: f[o + 2] as number,
      sumSqB: f[o + 3] as number,
      changed: words[o + 4] as number,
      nonFinite: words[o + 5] as number,
      violations: words[o + 6] as number,
      infCount: words[o + 7] as number,
      finiteKey: keyOf(words[o + 8] as number, words[o + 9] as number),
      hostFix: (words[o + 10] as number) !== 0,
      seg0: words[o + 11] as number,
      rowSum0: f[o + 12] as number,
      rowChanged0: words[o + 13] as number,
      rowSum1: f[o + 14] as number,
      rowChanged1: words[o + 15] as number,
    });
  }
  return out;
}

/** Rank key of a block for the top-k: +Infinity if it holds an Infinity-magnitude change. */
export function topKeyOf(b: DiffBlock): RankKey {
  return b.infCount > 0 ? KEY_INF : b.finiteKey;
}

/**
 * Blocks that may hold an element of the exact top-k (magnitude desc, then flat index asc).
 *
 * Why this is a superset: keys are non-decreasing in the twin's magnitude, so key(e) < key(f)
 * implies |e| < |f|. Walking blocks by key (desc; index asc among equal keys), every block taken
 * guarantees at least one element at its key (`infCount` elements of magnitude exactly +Infinity
 * for an Infinity key). Once k elements are guaranteed, a block with a strictly smaller key has no
 * element that can beat k others. Among +Infinity keys magnitudes are truly equal, so the index
 * order settles ties and later Infinity blocks drop out too.
 *
 * `threshold`: the current k-th magnitude of a full list (undefined while it has room). A block
 * whose key is below the threshold's key cannot enter; with an +Infinity threshold nothing from a
 * later element range can (it would tie and lose on index).
 */
export function selectTopCandidates(blocks: readonly DiffBlock[], k: number, threshold: { magnitude: number; wide: boolean } | undefined): DiffBlock[] {
  if (k <= 0) return [];
  let pool = blocks.filter((b) => b.changed > 0);
  if (threshold !== undefined) {
    if (threshold.magnitude === Infinity) return [];
    const t = rankKeyOf(threshold.magnitude, threshold.wide);
    pool = pool.filter((b) => topKeyOf(b) >= t);
  }
  const sorted = pool.map((b) => ({ b, key: topKeyOf(b) })).sort((p, q) => (p.key === q.key ? p.b.index - q.b.index : p.key > q.key ? -1 : 1));
  const out: DiffBlock[] = [];
  let guaranteed = 0;
  let lastKey: RankKey | undefined;
  for (const { b, key } of sorted) {
    if (guaranteed >= k && lastKey !== undefined) {
      if (key < lastKey) break;
      if (key === KEY_INF && lastKey === KEY_INF) break;
    }
    out.push(b);
    guaranteed += key === KEY_INF ? b.infCount : 1;
    lastKey = key;
  }
  return out;
}

/**
 * Blocks that may hold the chunk's max|Δ| over finite pairs: those at the largest finite key, if
 * that key can still beat `currentMax`. A zero key means |Δ| = 0 exactly (a nonzero narrow |Δ| is
 * at least 2^-149, a wide key is the |Δ| bits), which cannot raise the max.
 */
export function selectMaxAbsCandidates(blocks: readonly DiffBlock[], currentMax: number, wide: boolean): DiffBlock[] {
  let best = 0n;
  for (const b of blocks) if (b.changed - b.nonFinite > 0 && b.finiteKey > best) best = b.finiteKey;
  if (best === 0n || best < rankKeyOf(currentMax, wide)) return [];
  return blocks.filter((b) => b.changed - b.nonFinite > 0 && b.finiteKey === best);
}

/** A DiffAccumulator for the twin to fill over a sub-range; rows either shared with `acc` or ignored. */
export function scratchDiff(acc: DiffAccumulator, shareRows: boolean): DiffAccumulator {
  return {
    dtypeA: acc.dtypeA,
    dtypeB: acc.dtypeB,
    elements: acc.elements,
    rows: acc.rows,
    // rowLength 0 sends every element to row 0 of the private one-row arrays below.
    rowLength: shareRows ? acc.rowLength : 0,
    rowBucket: acc.rowBucket,
    sumSqDelta: 0,
    dot: 0,
    sumSqA: 0,
    sumSqB: 0,
    maxAbs: 0,
    changed: 0,
    nonFiniteChanged: 0,
    precisionViolations: 0,
    rowSumSq: shareRows ? acc.rowSumSq : new Float64Array(1),
    rowChanged: shareRows ? acc.rowChanged : new Uint32Array(1),
    deltaHist: new Uint32Array(acc.deltaHist.length),
    top: [],
    topK: acc.topK,
  };
}

/** Adds everything the twin computed for a block (used for hostFix blocks). */
export function mergeScratchWhole(acc: DiffAccumulator, s: DiffAccumulator): void {
  acc.sumSqDelta += s.sumSqDelta;
  acc.dot += s.dot;
  acc.sumSqA += s.sumSqA;
  acc.sumSqB += s.sumSqB;
  acc.changed += s.changed;
  acc.nonFiniteChanged += s.nonFiniteChanged;
  acc.precisionViolations += s.precisionViolations;
  addHist(acc.deltaHist, s.deltaHist);
  mergeScratchExtremes(acc, s);
}

/** Adds only the exact max|Δ| and top-k entries of a re-decoded block. */
export function mergeScratchExtremes(acc: DiffAccumulator, s: DiffAccumulator): void {
  if (s.maxAbs > acc.maxAbs) acc.maxAbs = s.maxAbs;
  for (const e of s.top) offerTop(acc, e);
}
