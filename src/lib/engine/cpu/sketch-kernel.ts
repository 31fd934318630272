/**
 * CPU twin of shaders/sketch.wgsl: the product Y = Δ_S · Ω of the rank sketch
 * (src/lib/analysis/rank-sketch.ts), extracted so that both engines compute the same thing.
 *
 * `deltaRows[i]` is sampled row i of Δ restricted to the sampled columns (length `cols`), `omega`
 * the cols × k test matrix (row-major). Returns Y, rows × k (row-major), summed in binary64 in
 * column order; zero and NaN entries of Δ are skipped (a NaN must not poison the whole sketch).
 * The WebGPU kernel sums in f32 (tolerance in its header).
 */
import { SleuthError } from '../../formats/errors.ts';

export function sketchProduct(deltaRows: readonly Float64Array[], omega: Float64Array, k: number): Float64Array {
  const cols = sketchCols(deltaRows, omega, k);
  const r = deltaRows.length;
  const y = new Float64Array(r * k);
  for (let i = 0; i < r; i++) {
    const row = deltaRows[i] as Float64Array;
    for (let j = 0; j < cols; j++) {
      const d = row[j] as number;
      if (d === 0 || d !== d) continue;
      const o = j * k;
      for (let c = 0; c < k; c++) y[i * k + c] = (y[i * k + c] as number) + d * (omega[o + c] as number);
    }
  }
  return y;
}

/** Columns of the sketch (omega.length / k), checked against every row. */
export function sketchCols(deltaRows: readonly Float64Array[], omega: Float64Array, k: number): number {
  const cols = k > 0 ? omega.length / k : 0;
  if (!Number.isInteger(k) || k < 0 || !Number.isInteger(cols)) throw new SleuthError('internal_error', `sketch: Ω of ${omega.length} entries is not cols × ${k}`);
  for (const row of deltaRows) {
    if (row.length !== cols) throw new SleuthError('internal_error', `sketch: a delta row of ${row.length} entries against Ω with ${cols} rows`);
  }
  return cols;
}
