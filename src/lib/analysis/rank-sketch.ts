/**
 * Numerical rank of a weight delta Δ = suspect − known-good, without materialising Δ.
 *
 * After the streaming pass has found which rows changed, up to SKETCH_ROWS of those rows are read
 * again (a few MB per tensor) and restricted to SKETCH_COLS evenly spaced columns. That submatrix
 * Δ_S keeps the rank of Δ for any edit not aligned with the sample (a rank-r update u·vᵀ has rank r
 * on every submatrix where u and v are generic), and rows are drawn only among changed rows so an
 * edit cannot hide from the sample. A Gaussian sketch Y = Δ_S·Ω (Ω: cols × K) then gives the
 * leading singular values through the eigenvalues of the small K×K matrix YᵀY (cyclic Jacobi).
 *
 * Randomised range finding after Halko, Martinsson & Tropp (2011), with row/column sampling
 * (Drineas & Mahoney). The spectrum is reported normalised (σᵢ/σ₁) and as energy fractions, plus an
 * estimate of the absolute σᵢ of the full Δ by the sampling scale.
 *
 * Pieces: `sketchOmega` (Ω), the product Y = Δ_S·Ω — `sketchProduct`, the CPU twin of
 * shaders/sketch.wgsl, or an engine's `sketch` through `estimateRankWith` — and `rankFromSketch`
 * (YᵀY, its eigenvalues, energy, rank), which is the same host code for both engines.
 */
import { sketchProduct } from '../engine/cpu/sketch-kernel.ts';

export const SKETCH_ROWS = 96;
export const SKETCH_COLS = 1024;
export const SKETCH_K = 12;
/** A rank-r explanation must capture this share of the sketch's energy. */
export const RANK_ENERGY = 0.99;

export interface RankEstimate {
  /** Estimated singular values of the full Δ, largest first (K of them). */
  singularValues: number[];
  /** Cumulative energy captured by the first 1…K singular values. */
  energy: number[];
  /** Smallest r whose first r singular values capture RANK_ENERGY of the energy (K means "at least K"). */
  rank: number;
  rowsSampled: number;
  colsSampled: number;
}

/** Deterministic choice of up to SKETCH_ROWS rows among the changed ones (evenly spread, top rows first). */
export function chooseSketchRows(changedRows: readonly number[], topRows: readonly number[]): number[] {
  const chosen = new Set<number>();
  for (const r of topRows.slice(0, SKETCH_ROWS / 4)) chosen.add(r);
  const n = changedRows.length;
  for (let i = 0; chosen.size < Math.min(SKETCH_ROWS, n) && i < n; i++) {
    const idx = Math.floor(((i + 0.5) * n) / Math.min(SKETCH_ROWS, n)) % n;
    chosen.add(changedRows[idx] as number);
  }
  for (let i = 0; chosen.size < Math.min(SKETCH_ROWS, n) && i < n; i++) chosen.add(changedRows[i] as number);
  return [...chosen].sort((a, b) => a - b);
}

/** Evenly spaced column indices (all columns when there are few). */
export function chooseSketchCols(rowLength: number): number[] {
  if (rowLength <= SKETCH_COLS) return Array.from({ length: rowLength }, (_, i) => i);
  return Array.from({ length: SKETCH_COLS }, (_, i) => Math.floor(((i + 0.5) * rowLength) / SKETCH_COLS));
}

/** Standard normal matrix (cols × K), deterministic. */
function gaussian(rows: number, k: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(rows * k);
  for (let i = 0; i < out.length; i += 2) {
    const u = Math.max(next(), 1e-300);
    const v = next();
    const m = Math.sqrt(-2 * Math.log(u));
    out[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < out.length) out[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** Sketch width: K Gaussian columns, fewer when Δ_S is smaller than that. */
export function sketchWidth(rows: number, cols: number): number {
  return Math.min(SKETCH_K, cols, Math.max(1, rows));
}

/** The Gaussian test matrix Ω (cols × k, row-major) every sketch uses (fixed seed: reproducible reports). */
export function sketchOmega(cols: number, k: number): Float64Array {
  return gaussian(cols, k, 0x5eed);
}

/** Y = Δ_S·Ω on some engine (`ComputeEngine.sketch`; the twin is `sketchProduct`). */
export type SketchProductFn = (deltaRows: readonly Float64Array[], omega: Float64Array, k: number) => Promise<Float64Array>;

/**
 * Accumulates the sketch from sampled rows. `deltaRows[i]` is Δ restricted to the sampled columns
 * for the i-th sampled row (length = cols). The product runs on the CPU twin (`sketchProduct`).
 */
export function estimateRank(deltaRows: readonly Float64Array[], cols: number, totalRows: number, totalCols: number): RankEstimate {
  const k = sketchWidth(deltaRows.length, cols);
  return rankFromSketch(sketchProduct(deltaRows, sketchOmega(cols, k), k), deltaRows.length, k, cols, totalRows, totalCols);
}

/** `estimateRank` with the product Y = Δ_S·Ω computed by `product` (e.g. an engine's WGSL kernel). */
export async function estimateRankWith(product: SketchProductFn, deltaRows: readonly Float64Array[], cols: number, totalRows: number, totalCols: number): Promise<RankEstimate> {
  const k = sketchWidth(deltaRows.length, cols);
  const y = await product(deltaRows, sketchOmega(cols, k), k);
  return rankFromSketch(y, deltaRows.length, k, cols, totalRows, totalCols);
}

/**
 * The spectrum from the sketch Y (r × k, row-major): eigenvalues of the k × k matrix YᵀY (cyclic
 * Jacobi), energy fractions, the rank at RANK_ENERGY, and σᵢ scaled to the full Δ.
 */
export function rankFromSketch(y: Float64Array, r: number, k: number, cols: number, totalRows: number, totalCols: number): RankEstimate {
  // G = YᵀY (k × k), symmetric positive semi-definite; its eigenvalues are σᵢ(Y)².
  const g = new Float64Array(k * k);
  for (let i = 0; i < r; i++) {
    for (let a = 0; a < k; a++) {
      const ya = y[i * k + a] as number;
      if (ya === 0) continue;
      for (let b = a; b < k; b++) g[a * k + b] = (g[a * k + b] as number) + ya * (y[i * k + b] as number);
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) g[a * k + b] = g[b * k + a] as number;
  const eig = jacobiEigenvalues(g, k).map((x) => Math.max(0, x)).sort((a, b) => b - a);
  const total = eig.reduce((s, x) => s + x, 0);
  const energy: number[] = [];
  let acc = 0;
  for (const e of eig) {
    acc += e;
    energy.push(total > 0 ? acc / total : 1);
  }
  let rank = eig.length;
  for (let i = 0; i < energy.length; i++) {
    if ((energy[i] as number) >= RANK_ENERGY) {
      rank = i + 1;
      break;
    }
  }
  if (total === 0) rank = 0;
  // E‖Δ_S Ω‖² = k‖Δ_S‖² and ‖Δ_S‖² ≈ (rows·cols sampled share)·‖Δ‖²: undo both for the estimate.
  const scale = Math.sqrt((totalRows / Math.max(1, r)) * (totalCols / cols) / k);
  return { singularValues: eig.map((e) => Math.sqrt(e) * scale), energy, rank, rowsSampled: r, colsSampled: cols };
}

/** Eigenvalues of a symmetric n×n matrix (row-major) by the cyclic Jacobi method. */
export function jacobiEigenvalues(matrix: Float64Array, n: number): number[] {
  const a = Float64Array.from(matrix);
  for (let sweep = 0; sweep < 64; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += (a[p * n + q] as number) ** 2;
    if (off < 1e-30 * (trace2(a, n) + 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q] as number;
        if (apq === 0) continue;
        const app = a[p * n + p] as number;
        const aqq = a[q * n + q] as number;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p] as number;
          const akq = a[k * n + q] as number;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k] as number;
          const aqk = a[q * n + k] as number;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => a[i * n + i] as number);
}

function trace2(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += (a[i * n + i] as number) ** 2;
  return s;
}
