/**
 * The compute engine: what the streaming jobs call for every chunk of tensor bytes. Two
 * implementations give the same results — the CPU twin (`CpuEngine`, the reference and the
 * fallback) and WebGPU (`engine/webgpu/`, kernels in shaders/*.wgsl). Bit-identical for counts,
 * indices, min/max and histograms; float sums agree within the tolerance documented in the
 * kernels' tests.
 */
import type { DType } from '../formats/dtype.ts';
import { decodeChunk, canDecode } from './cpu/decode.ts';
import { accumulateStatsRawCpu } from './cpu/stats-kernel.ts';
import { accumulateDiffCpu } from './cpu/diff-kernel.ts';
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
    accumulateStatsRawCpu(a.bytes, a.dtype, a.count, statsA);
    accumulateStatsRawCpu(b.bytes, b.dtype, b.count, statsB);
    accumulateDiffCpu(acc, decodeChunk(a.bytes, a.dtype, a.count, this.scratch(0, a.count)), decodeChunk(b.bytes, b.dtype, b.count, this.scratch(1, b.count)), firstElement);
    return Promise.resolve();
  }
  dispose(): void {}
}
