/**
 * Per-tensor value statistics: a mergeable accumulator (chunks and tiles merge in any order with
 * the same result up to float-sum rounding; counts and the histogram merge exactly).
 *
 * The histogram is over binary magnitude, which needs no range known in advance (tensors stream
 * through once), is exact on GPU and CPU alike (it reads exponent bits), and is what a forensic
 * eye wants for weights and deltas: rounding noise sits ~2^-8…2^-24 below the weights, a real edit
 * near them, a flipped exponent bit far above.
 *   bin 0: ±0 · bin 1: 0 < |x| < 2^-49 · bin k (2…62): 2^(k-51) ≤ |x| < 2^(k-50) · bin 63: |x| ≥ 2^12 or ±Inf
 * Positive values (and +0) use bins 0…63, negative values (and -0) 64…127. NaN is counted apart.
 */

export const HIST_BINS = 64;
export const HIST_MIN_EXP = -49;
export const HIST_MAX_EXP = 11;

export interface StatsAccumulator {
  /** Elements seen (all, including NaN/Inf). */
  count: number;
  /** Finite elements; sums run over these. */
  finite: number;
  sum: number;
  sumSq: number;
  sumCube: number;
  sumQuad: number;
  min: number;
  max: number;
  nan: number;
  posInf: number;
  negInf: number;
  zeros: number;
  hist: Uint32Array;
}

export function newStats(): StatsAccumulator {
  return { count: 0, finite: 0, sum: 0, sumSq: 0, sumCube: 0, sumQuad: 0, min: Infinity, max: -Infinity, nan: 0, posInf: 0, negInf: 0, zeros: 0, hist: new Uint32Array(2 * HIST_BINS) };
}

export function mergeStats(into: StatsAccumulator, from: StatsAccumulator): void {
  into.count += from.count;
  into.finite += from.finite;
  into.sum += from.sum;
  into.sumSq += from.sumSq;
  into.sumCube += from.sumCube;
  into.sumQuad += from.sumQuad;
  if (from.min < into.min) into.min = from.min;
  if (from.max > into.max) into.max = from.max;
  into.nan += from.nan;
  into.posInf += from.posInf;
  into.negInf += from.negInf;
  into.zeros += from.zeros;
  for (let i = 0; i < into.hist.length; i++) into.hist[i] = (into.hist[i] as number) + (from.hist[i] as number);
}

/** Bin of a binary32 bit pattern (the exact rule the WGSL kernels use). */
export function histBinOfF32Bits(u: number): number {
  const neg = u >>> 31 ? HIST_BINS : 0;
  const e = (u >>> 23) & 0xff;
  const m = u & 0x7fffff;
  if (e === 0 && m === 0) return neg; // ±0
  if (e === 0xff) return neg + HIST_BINS - 1; // ±Inf (NaN is filtered by callers)
  const exp = e - 127; // subnormals (e = 0) give -127 → bin 1
  if (exp < HIST_MIN_EXP) return neg + 1;
  if (exp > HIST_MAX_EXP) return neg + HIST_BINS - 1;
  return neg + exp - HIST_MIN_EXP + 2;
}

/** Bin for every (sign, exponent) pair of a non-zero binary32 pattern, indexed by u >>> 23. */
export const EXP_BIN_TABLE: Uint8Array = (() => {
  const t = new Uint8Array(512);
  for (let se = 0; se < 512; se++) t[se] = histBinOfF32Bits(((se << 23) | 1) >>> 0); // mantissa ≠ 0: subnormal for exp 0
  return t;
})();

const scratchF = new Float32Array(1);
const scratchU = new Uint32Array(scratchF.buffer);
/** Bin of any number, via its binary32 rounding (what the GPU sees after decode). */
export function histBin(x: number): number {
  scratchF[0] = x;
  return histBinOfF32Bits(scratchU[0] as number);
}

/** Lower edge of bin k (magnitude), for labels. */
export function histBinLowerEdge(k: number): number {
  const b = k % HIST_BINS;
  if (b === 0) return 0;
  if (b === 1) return 0;
  if (b === HIST_BINS - 1) return 2 ** (HIST_MAX_EXP + 1);
  return 2 ** (b - 2 + HIST_MIN_EXP);
}

export interface StatsSummary {
  count: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  /** Excess kurtosis (0 for a normal distribution). */
  kurtosis: number | null;
  nan: number;
  inf: number;
  zeros: number;
  /** Magnitude histogram: [positive bins…, negative bins…] (see the bin rule above). */
  hist: number[];
}

export function summariseStats(s: StatsAccumulator): StatsSummary {
  const n = s.finite;
  const mean = n > 0 ? s.sum / n : null;
  let std: number | null = null;
  let kurtosis: number | null = null;
  if (n > 0 && mean !== null) {
    const ex2 = s.sumSq / n;
    const variance = Math.max(0, ex2 - mean * mean);
    std = Math.sqrt(variance);
    if (variance > 0) {
      const ex3 = s.sumCube / n;
      const ex4 = s.sumQuad / n;
      const m4 = ex4 - 4 * mean * ex3 + 6 * mean * mean * ex2 - 3 * mean ** 4;
      kurtosis = m4 / (variance * variance) - 3;
    }
  }
  return {
    count: s.count,
    mean,
    std,
    min: n > 0 ? s.min : null,
    max: n > 0 ? s.max : null,
    kurtosis,
    nan: s.nan,
    inf: s.posInf + s.negInf,
    zeros: s.zeros,
    hist: Array.from(s.hist),
  };
}
