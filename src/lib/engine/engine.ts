/**
 * The compute engine: what the streaming jobs call for every chunk of tensor bytes. Two
 * implementations give the same results — the CPU twin (`CpuEngine`, the reference and the
 * fallback) and WebGPU (`engine/webgpu/`, kernels in shaders/*.wgsl). Bit-identical for counts,
 * indices, min/max and histograms; float sums agree within the tolerance documented in the
 * kernels' tests.
 */
import type { DType } from '../formats/dtype.ts';
import { decodeChunk, canDecode } from './cpu/decode.ts';
import { accumulateStatsCpu, accumulateStatsRawCpu, hasPatternStats } from './cpu/stats-kernel.ts';
import { accumulateDiffCpu } from './cpu/diff-kernel.ts';
import { sketchProduct } from './cpu/sketch-kernel.ts';
import type { DiffAccumulator } from './diff.ts';
import type { StatsAccumulator } from './stats.ts';

export type EngineKind = 'cpu' | 'webgpu';

export interface RawChunk {
  bytes: Uint8Array;
  dtype: DType;
  /** Elements in the chunk. */
  count: number;
}

export interface ComputeEngine {
  readonly kind: EngineKind;
  /** True when the engine can decode this dtype (else tensors are compared by hash only). */
  decodes(dtype: DType): boolean;
  /** Value statistics of one chunk, merged into `stats`. */
  stats(chunk: RawChunk, stats: StatsAccumulator): Promise<void>;
  /**
   * Statistics of both chunks and their delta (same element range of the two tensors;
   * `firstElement` is that range's first flat index).
   */
  diff(a: RawChunk, b: RawChunk, firstElement: number, acc: DiffAccumulator, statsA: StatsAccumulator, statsB: StatsAccumulator): Promise<void>;
  /**
   * The rank sketch's product Y = Δ_S·Ω (src/lib/analysis/rank-sketch.ts): `deltaRows` are sampled
   * rows of Δ restricted to the sampled columns (each of length cols), `omega` is cols × k
   * row-major; returns Y, rows × k row-major. Optional: without it the analysis runs the CPU twin
   * (`sketchProduct`). Float products: engines agree within the tolerance in shaders/sketch.wgsl.
   */
  sketch?(deltaRows: readonly Float64Array[], omega: Float64Array, k: number): Promise<Float64Array>;
  dispose(): void;
}

export class CpuEngine implements ComputeEngine {
  readonly kind = 'cpu' as const;
  /** Decoded-value buffers for the two sides, reused chunk after chunk (decoded chunks never outlive a call). */
  private readonly buffers: [Float32Array, Float32Array] = [new Float32Array(0), new Float32Array(0)];
  private scratch(side: 0 | 1, count: number): Float32Array {
    if (this.buffers[side].length < count) this.buffers[side] = new Float32Array(count);
    return this.buffers[side];
  }
  decodes(dtype: DType): boolean {
    return canDecode(dtype);
  }
  stats(chunk: RawChunk, stats: StatsAccumulator): Promise<void> {
    accumulateStatsRawCpu(chunk.bytes, chunk.dtype, chunk.count, stats);
    return Promise.resolve();
  }
  diff(a: RawChunk, b: RawChunk, firstElement: number, acc: DiffAccumulator, statsA: StatsAccumulator, statsB: StatsAccumulator): Promise<void> {
    const da = decodeChunk(a.bytes, a.dtype, a.count, this.scratch(0, a.count));
    const db = decodeChunk(b.bytes, b.dtype, b.count, this.scratch(1, b.count));
    // 8/16-bit types: exact statistics from bit-pattern counts; others from the values just decoded
    // (block-quantized chunks are decoded once, not once more for the statistics).
    if (hasPatternStats(a.dtype)) accumulateStatsRawCpu(a.bytes, a.dtype, a.count, statsA);
    else accumulateStatsCpu(da, statsA);
    if (hasPatternStats(b.dtype)) accumulateStatsRawCpu(b.bytes, b.dtype, b.count, statsB);
    else accumulateStatsCpu(db, statsB);
    accumulateDiffCpu(acc, da, db, firstElement);
    return Promise.resolve();
  }
  sketch(deltaRows: readonly Float64Array[], omega: Float64Array, k: number): Promise<Float64Array> {
    return Promise.resolve(sketchProduct(deltaRows, omega, k));
  }
  dispose(): void {}
}
