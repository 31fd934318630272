/**
 * The WebGPU compute engine: the same results as the CPU twin (`CpuEngine`), computed by the
 * kernels in shaders/*.wgsl.
 *
 * Per chunk (≤ 8 MiB of raw bytes from the streaming jobs) the engine uploads the raw bytes of
 * each side once, runs stats.wgsl on each side and diff-blocks.wgsl (+ diff-rows.wgsl for rows
 * shorter than a block) in one submission, reads back per-block partials, and merges them in f64
 * into the accumulators the twin fills:
 *  - counts, min/max, histograms, changed/violation counts: exact, straight from the partials;
 *  - sums: f32 per block, f64 across blocks (tolerance in the kernel headers);
 *  - top-k and max|Δ|: the kernels give each block a rank key that is monotone in the twin's |Δ|;
 *    the host re-decodes only the blocks that can still matter (host-merge.ts explains why that
 *    set is sufficient) from the raw bytes it already holds, with the twin's own code;
 *  - blocks the f32 sums cannot represent (values below 2^-100, wide values beyond binary32,
 *    overflowing partials) are recomputed whole by the twin.
 * A chunk larger than a binding or a dispatch is cut into tiles sized from `device.limits`; rows
 * and the top-k carry across tiles exactly as they carry across chunks.
 *
 * Block-quantized GGUF types (Q4_0 … Q6_K, IQ4_NL, IQ4_XS, MXFP4, TQ1_0, TQ2_0) are decoded inside
 * the same kernels (shaders/quant-common.wgsl), with their per-element quantization steps for the
 * precision test. Chunks hold whole quant blocks (the jobs align them) and tiles start on whole
 * 256-element blocks, so every tile starts on a quant block.
 *
 * `sketch` runs the rank sketch's product Y = Δ_S·Ω (shaders/sketch.wgsl).
 */
import { DTYPES, type DType } from '../../formats/dtype.ts';
import { SleuthError } from '../../formats/errors.ts';
import type { ComputeEngine, RawChunk } from '../engine.ts';
import { canDecode, decodeChunk, type DecodedChunk } from '../cpu/decode.ts';
import { accumulateStatsCpu } from '../cpu/stats-kernel.ts';
import { accumulateDiffCpu } from '../cpu/diff-kernel.ts';
import { sketchCols, sketchProduct } from '../cpu/sketch-kernel.ts';
import { newStats, type StatsAccumulator } from '../stats.ts';
import type { DiffAccumulator } from '../diff.ts';
import { acquireGpuDevice, GpuFailureWatch, type AcquiredGpu, type GpuAdapterSummary } from './device.ts';
import { gpuDtypeCode, isQuantCode, isWideCode } from './dtype-codes.ts';
import {
  BLOCK_ELEMENTS,
  BLOCKS_PER_WORKGROUP,
  DECODE_WORDS,
  DECODE_WORKGROUP,
  DIFF_WORDS,
  HIST_WORDS,
  PipelineCache,
  ROWS_WORKGROUP,
  SKETCH_WORKGROUP,
  STATS_WORDS,
  dispatchGrid,
  runOnGpu,
  type GpuRun,
  type ShaderLoader,
} from './kernels.ts';
import {
  addHist,
  mergeScratchExtremes,
  mergeScratchWhole,
  mergeStatsTile,
  readDiffBlocks,
  scratchDiff,
  selectMaxAbsCandidates,
  selectTopCandidates,
  type DiffBlock,
} from './host-merge.ts';

/**
 * Default cap on one tile's raw bytes per side. Chunks from the jobs (8 MiB) fit in one tile; the
 * cap bounds GPU memory per call (two inputs + partials ≈ 2.2× this) when a caller passes more.
 */
export const DEFAULT_MAX_TILE_BYTES = 64 * 1024 * 1024;

/** The FLAGS pipeline constant of the diff kernels (DF_* in shaders/diff-common.wgsl). */
const DF_SAME = 1;
const DF_WIDE = 2;
const DF_BOTH_FLOAT = 4;
const DF_LOWER_IS_A = 8;
const DF_QUANT = 16;

const U32_MAX = 0xffffffff;

export interface WebGpuEngineOptions {
  loadShader: ShaderLoader;
  /** Upper bound on one tile's raw bytes per side (default DEFAULT_MAX_TILE_BYTES; device limits also apply). */
  maxTileBytes?: number;
  /** Cap on workgroups per dispatch dimension below the device's (tests use it to force 2-D grids). */
  maxWorkgroupsPerDimension?: number;
}

/** Decoded bit patterns of every element (decode.wgsl): for the decode agreement test. */
export interface DecodedBits {
  /** binary32 bits per element. */
  f32: Uint32Array;
  /** binary64 bits per element as (lo, hi) pairs. */
  f64: Uint32Array;
  /** Quantization step (binary32 bits) per element; 0 for unquantized dtypes. */
  steps: Uint32Array;
}

/**
 * Deltas of a sketch row beyond these bounds (or non-finite) are left to the CPU twin: f32 cannot
 * hold them, or their products could overflow or flush to zero (shaders/sketch.wgsl).
 */
const SKETCH_MAX_ABS = 2 ** 100;
const SKETCH_MIN_ABS = 2 ** -100;

interface DiffContext {
  a: RawChunk;
  b: RawChunk;
  firstElement: number;
  acc: DiffAccumulator;
  wide: boolean;
  /** Elements per tracked row (rowLength × rowBucket). */
  segLen: number;
  /** 1: rows summed inside diff-blocks (segments ≥ one block); 0: by diff-rows. */
  rowMode: 0 | 1;
}

/** What sibling views of one engine share (see `withLimits`). */
interface EngineCore {
  device: GPUDevice;
  adapter: GpuAdapterSummary;
  watch: GpuFailureWatch;
  pipelines: PipelineCache;
}

export class WebGpuEngine implements ComputeEngine {
  readonly kind = 'webgpu' as const;
  readonly adapter: GpuAdapterSummary;
  /** The device (diagnostics and tests; the engine owns it and destroys it in `dispose`). */
  readonly device: GPUDevice;
  private readonly watch: GpuFailureWatch;
  private readonly pipelines: PipelineCache;
  private readonly maxTileBytes: number;
  private readonly maxPerDimension: number;
  /** Views made by `withLimits` do not own the device. */
  private readonly ownsDevice: boolean;
  private disposed = false;

  static async create(gpu: GPU, options: WebGpuEngineOptions): Promise<WebGpuEngine> {
    const acquired = await acquireGpuDevice(gpu);
    return WebGpuEngine.fromDevice(acquired, options);
  }

  /** An engine on an already acquired device (it takes ownership). */
  static fromDevice(acquired: AcquiredGpu, options: WebGpuEngineOptions): WebGpuEngine {
    const core: EngineCore = {
      device: acquired.device,
      adapter: acquired.summary,
      watch: new GpuFailureWatch(acquired.device, acquired.summary.description),
      pipelines: new PipelineCache(acquired.device, options.loadShader),
    };
    return new WebGpuEngine(core, options, true);
  }

  private constructor(core: EngineCore, limits: Omit<WebGpuEngineOptions, 'loadShader'>, ownsDevice: boolean) {
    this.device = core.device;
    this.adapter = core.adapter;
    this.watch = core.watch;
    this.pipelines = core.pipelines;
    this.ownsDevice = ownsDevice;
    this.maxTileBytes = limits.maxTileBytes ?? DEFAULT_MAX_TILE_BYTES;
    this.maxPerDimension = Math.min(this.device.limits.maxComputeWorkgroupsPerDimension, limits.maxWorkgroupsPerDimension ?? Infinity);
  }

  /**
   * A view of this engine — same device, failure watch and compiled pipelines — with smaller tiles
   * or dispatch grids: tests force tiling and 2-D dispatch with it, and a caller short of GPU
   * memory can shrink tiles. Disposing the view does nothing; dispose the original.
   */
  withLimits(limits: Omit<WebGpuEngineOptions, 'loadShader'>): WebGpuEngine {
    return new WebGpuEngine({ device: this.device, adapter: this.adapter, watch: this.watch, pipelines: this.pipelines }, limits, false);
  }

  decodes(dtype: DType): boolean {
    return canDecode(dtype) && gpuDtypeCode(dtype) !== undefined;
  }

  /** The failure that ended this engine (device lost, out of memory), if any. */
  get failure(): SleuthError | undefined {
    return this.watch.failed;
  }

  async stats(chunk: RawChunk, acc: StatsAccumulator): Promise<void> {
    const { code, size } = this.checkChunk(chunk);
    if (chunk.count === 0) return;
    const pipeline = await this.pipelines.get('stats', { CODE: code });
    const tile = this.tileElements(size, 1, BLOCK_ELEMENTS * BLOCKS_PER_WORKGROUP);
    for (let t0 = 0; t0 < chunk.count; t0 += tile) {
      const n = Math.min(tile, chunk.count - t0);
      const bytes = elementBytes(chunk.bytes, chunk.dtype, t0, n);
      const nBlocks = Math.ceil(n / BLOCK_ELEMENTS);
      let slots: { part: number; hist: number } | undefined;
      const out = await runOnGpu(this.device, this.watch, `statistics of a ${chunk.dtype} tile`, (run) => {
        const src = run.input(bytes, 'stats src');
        slots = this.encodeStats(run, pipeline, src, n);
      });
      if (slots === undefined) throw new SleuthError('internal_error', 'stats: nothing encoded');
      mergeStatsTile({ words: pick(out, slots.part), hist: pick(out, slots.hist), nBlocks, n, wide: isWideCode(code) }, acc, (blk) => cpuStatsOfBlock(bytes, chunk.dtype, n, blk));
    }
  }

  async diff(a: RawChunk, b: RawChunk, firstElement: number, acc: DiffAccumulator, statsA: StatsAccumulator, statsB: StatsAccumulator): Promise<void> {
    const ca = this.checkChunk(a);
    const cb = this.checkChunk(b);
    if (a.count !== b.count) throw new SleuthError('internal_error', `diff: ${a.count} vs ${b.count} elements in one chunk pair`);
    if (a.count === 0) return;
    const { flags, wide, lower } = diffFlags(a.dtype, b.dtype, ca.code, cb.code);
    const segLen = acc.rowLength * acc.rowBucket;
    const rowMode: 0 | 1 = segLen >= BLOCK_ELEMENTS ? 1 : 0;
    const ctx: DiffContext = { a, b, firstElement, acc, wide, segLen, rowMode };

    const pairConstants = { CODE_A: ca.code, CODE_B: cb.code, FLAGS: flags };
    const [statsPipeA, statsPipeB, blocksPipe, rowsPipe] = await Promise.all([
      this.pipelines.get('stats', { CODE: ca.code }),
      this.pipelines.get('stats', { CODE: cb.code }),
      this.pipelines.get('diff-blocks', pairConstants),
      rowMode === 0 ? this.pipelines.get('diff-rows', pairConstants) : Promise.resolve(undefined),
    ]);
    // Outputs per element: partials 3 × 64 B per 256 elements, plus 8 B per row segment in rowMode 0.
    const tile = this.tileElements(Math.max(ca.size, cb.size), rowMode === 0 ? 9 : 1, rowMode === 0 ? ROWS_WORKGROUP : BLOCK_ELEMENTS * BLOCKS_PER_WORKGROUP);

    for (let t0 = 0; t0 < a.count; t0 += tile) {
      const n = Math.min(tile, a.count - t0);
      const bytesA = elementBytes(a.bytes, a.dtype, t0, n);
      const bytesB = elementBytes(b.bytes, b.dtype, t0, n);
      const nBlocks = Math.ceil(n / BLOCK_ELEMENTS);
      const rows = rowGeometry(acc, segLen, firstElement + t0, n);
      const blockGrid = dispatchGrid(Math.ceil(nBlocks / BLOCKS_PER_WORKGROUP), this.maxPerDimension);
      const rowsGrid = dispatchGrid(Math.ceil(rows.nSeg / ROWS_WORKGROUP), this.maxPerDimension);
      const params = (groupsX: number): Uint32Array<ArrayBuffer> =>
        Uint32Array.of(n, nBlocks, groupsX, lower.mantissaBits ?? 0, (lower.minExponent ?? 0) >>> 0, rows.firstBoundary, Math.min(segLen, U32_MAX), rows.nSeg, rowMode);

      let slots: { sA: { part: number; hist: number }; sB: { part: number; hist: number }; part: number; hist: number; rows: number } | undefined;
      const out = await runOnGpu(this.device, this.watch, `a diff tile (${a.dtype} vs ${b.dtype})`, (run) => {
        const srcA = run.input(bytesA, 'diff src A');
        const srcB = run.input(bytesB, 'diff src B');
        const sA = this.encodeStats(run, statsPipeA, srcA, n);
        const sB = this.encodeStats(run, statsPipeB, srcB, n);
        const part = run.output(nBlocks * DIFF_WORDS * 4, 'diff partials');
        const hist = run.output(HIST_WORDS * 4, 'diff hist');
        run.dispatch(blocksPipe, [run.uniform(params(blockGrid[0]), 'diff params'), srcA, srcB, part.buffer, hist.buffer], blockGrid, 'diff-blocks');
        let rowsSlot = -1;
        if (rowsPipe !== undefined) {
          const rowsOut = run.output(rows.nSeg * 8, 'diff rows');
          run.dispatch(rowsPipe, [run.uniform(params(rowsGrid[0]), 'rows params'), srcA, srcB, rowsOut.buffer], rowsGrid, 'diff-rows');
          rowsSlot = rowsOut.index;
        }
        slots = { sA, sB, part: part.index, hist: hist.index, rows: rowsSlot };
      });
      if (slots === undefined) throw new SleuthError('internal_error', 'diff: nothing encoded');
      const wideA = isWideCode(ca.code);
      const wideB = isWideCode(cb.code);
      mergeStatsTile({ words: pick(out, slots.sA.part), hist: pick(out, slots.sA.hist), nBlocks, n, wide: wideA }, statsA, (blk) => cpuStatsOfBlock(bytesA, a.dtype, n, blk));
      mergeStatsTile({ words: pick(out, slots.sB.part), hist: pick(out, slots.sB.hist), nBlocks, n, wide: wideB }, statsB, (blk) => cpuStatsOfBlock(bytesB, b.dtype, n, blk));
      this.mergeDiffTile(ctx, t0, n, readDiffBlocks(pick(out, slots.part), nBlocks), pick(out, slots.hist), slots.rows >= 0 ? pick(out, slots.rows) : undefined, rows);
    }
  }

  /** Decodes every element to its binary32 and binary64 bit patterns (and quantization step) with decode.wgsl. */
  async decodeBits(bytes: Uint8Array, dtype: DType, count: number): Promise<DecodedBits> {
    const { code, size } = this.checkChunk({ bytes, dtype, count });
    const f32 = new Uint32Array(count);
    const f64 = new Uint32Array(2 * count);
    const steps = new Uint32Array(count);
    if (count === 0) return { f32, f64, steps };
    const pipeline = await this.pipelines.get('decode', { CODE: code });
    const tile = this.tileElements(size, 4 * DECODE_WORDS, DECODE_WORKGROUP);
    for (let t0 = 0; t0 < count; t0 += tile) {
      const n = Math.min(tile, count - t0);
      const grid = dispatchGrid(Math.ceil(n / DECODE_WORKGROUP), this.maxPerDimension);
      let slot = -1;
      const out = await runOnGpu(this.device, this.watch, `decoding a ${dtype} tile`, (run) => {
        const src = run.input(elementBytes(bytes, dtype, t0, n), 'decode src');
        const o = run.output(n * 4 * DECODE_WORDS, 'decoded');
        run.dispatch(pipeline, [run.uniform(Uint32Array.of(n, grid[0], 0, 0), 'decode params'), src, o.buffer], grid, 'decode');
        slot = o.index;
      });
      const w = pick(out, slot);
      for (let i = 0; i < n; i++) {
        const o = DECODE_WORDS * i;
        f32[t0 + i] = w[o] as number;
        f64[2 * (t0 + i)] = w[o + 1] as number;
        f64[2 * (t0 + i) + 1] = w[o + 2] as number;
        steps[t0 + i] = w[o + 3] as number;
      }
    }
    return { f32, f64, steps };
  }

  /**
   * Y = Δ_S·Ω of the rank sketch with sketch.wgsl (twin: sketchProduct). Rows the kernel's f32
   * arithmetic cannot represent faithfully, and entries whose f32 sum is not finite, are computed
   * by the twin; so is everything when Ω itself is out of range.
   */
  async sketch(deltaRows: readonly Float64Array[], omega: Float64Array, k: number): Promise<Float64Array> {
    this.checkUsable();
    const cols = sketchCols(deltaRows, omega, k);
    const r = deltaRows.length;
    if (r === 0 || k === 0 || cols === 0 || !omega.every(sketchSafe)) return sketchProduct(deltaRows, omega, k);
    const y = new Float64Array(r * k);
    const pipeline = await this.pipelines.get('sketch', {});
    const lim = this.device.limits;
    const binding = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize);
    if (cols * k * 4 > binding || cols * 4 > binding) return sketchProduct(deltaRows, omega, k);
    // Rows per dispatch: within the tile cap (at least one row), a binding, and the dispatch grid.
    const tileRows = Math.max(1, Math.floor(Math.min(binding, this.maxTileBytes) / (cols * 4)));
    const perTile = Math.max(1, Math.min(tileRows, Math.floor((this.maxPerDimension * this.maxPerDimension * SKETCH_WORKGROUP) / k)));
    const omega32 = Float32Array.from(omega);
    for (let r0 = 0; r0 < r; r0 += perTile) {
      const n = Math.min(perTile, r - r0);
      const d32 = new Float32Array(n * cols);
      const hostRows: number[] = [];
      for (let i = 0; i < n; i++) {
        const row = deltaRows[r0 + i] as Float64Array;
        let safe = true;
        for (let j = 0; j < cols; j++) {
          const d = row[j] as number;
          // NaN is skipped by the twin: a 0 here adds nothing either.
          if (d !== d) continue;
          if (!sketchSafe(d)) safe = false;
          d32[i * cols + j] = d;
        }
        if (!safe) hostRows.push(i);
      }
      const grid = dispatchGrid(Math.ceil((n * k) / SKETCH_WORKGROUP), this.maxPerDimension);
      let slot = -1;
      const out = await runOnGpu(this.device, this.watch, 'the rank sketch', (run) => {
        const params = run.uniform(Uint32Array.of(n, cols, k, grid[0]), 'sketch params');
        const deltas = run.input(new Uint8Array(d32.buffer), 'sketch deltas');
        const om = run.input(new Uint8Array(omega32.buffer), 'sketch omega');
        const o = run.output(n * k * 4, 'sketch y');
        run.dispatch(pipeline, [params, deltas, om, o.buffer], grid, 'sketch');
        slot = o.index;
      });
      const w = pick(out, slot);
      const f = new Float32Array(w.buffer, w.byteOffset, n * k);
      for (let i = 0; i < n; i++) {
        let finite = true;
        for (let c = 0; c < k; c++) finite &&= Number.isFinite(f[i * k + c] as number);
        if (!finite) hostRows.push(i);
        else for (let c = 0; c < k; c++) y[(r0 + i) * k + c] = f[i * k + c] as number;
      }
      for (const i of hostRows) y.set(sketchProduct([deltaRows[r0 + i] as Float64Array], omega, k), (r0 + i) * k);
    }
    return y;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.ownsDevice) return;
    this.watch.markDisposed();
    this.device.destroy();
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  private checkUsable(): void {
    if (this.disposed) throw new SleuthError('internal_error', 'The WebGPU engine was used after dispose()');
    this.watch.check();
  }

  /** The chunk's kernel code and raw bytes per element (fractional for quant blocks). */
  private checkChunk(chunk: RawChunk): { code: number; size: number } {
    this.checkUsable();
    const code = gpuDtypeCode(chunk.dtype);
    if (code === undefined || !canDecode(chunk.dtype)) {
      throw new SleuthError('unsupported_dtype', `The engine does not decode ${chunk.dtype} tensors; they are compared by hash only`);
    }
    const info = DTYPES[chunk.dtype];
    if (chunk.count % info.blockElements !== 0 || chunk.bytes.byteLength !== (chunk.count / info.blockElements) * info.blockBytes) {
      throw new SleuthError('internal_error', `WebGPU engine: ${chunk.bytes.byteLength} bytes for ${chunk.count} × ${chunk.dtype} (chunks hold whole ${info.blockElements}-element blocks)`);
    }
    if (isQuantCode(code) && BLOCK_ELEMENTS % info.blockElements !== 0) {
      throw new SleuthError('internal_error', `WebGPU engine: ${chunk.dtype} blocks of ${info.blockElements} elements do not tile ${BLOCK_ELEMENTS}-element blocks`);
    }
    return { code, size: info.blockBytes / info.blockElements };
  }

  /**
   * Elements per tile: within the storage-binding and buffer limits for the inputs (`inBytes` per
   * element) and outputs (`outBytes` per element), the engine's tile cap, and the dispatch grid
   * (`perWorkgroup` elements per workgroup, maxPerDimension² workgroups). A multiple of one block,
   * so tiles start on whole 4-byte words for every element size.
   */
  private tileElements(inBytes: number, outBytes: number, perWorkgroup: number): number {
    const lim = this.device.limits;
    const binding = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize);
    let t = Math.floor(Math.min(this.maxTileBytes, binding) / inBytes);
    t = Math.min(t, Math.floor(binding / outBytes));
    t = Math.min(t, this.maxPerDimension * this.maxPerDimension * perWorkgroup);
    t = Math.floor(t / BLOCK_ELEMENTS) * BLOCK_ELEMENTS;
    if (t < BLOCK_ELEMENTS) throw new SleuthError('internal_error', `WebGPU limits too small for one ${BLOCK_ELEMENTS}-element block`);
    return t;
  }

  private encodeStats(run: GpuRun, pipeline: GPUComputePipeline, src: GPUBuffer, n: number): { part: number; hist: number } {
    const nBlocks = Math.ceil(n / BLOCK_ELEMENTS);
    const grid = dispatchGrid(Math.ceil(nBlocks / BLOCKS_PER_WORKGROUP), this.maxPerDimension);
    const part = run.output(nBlocks * STATS_WORDS * 4, 'stats partials');
    const hist = run.output(HIST_WORDS * 4, 'stats hist');
    run.dispatch(pipeline, [run.uniform(Uint32Array.of(n, nBlocks, grid[0], 0), 'stats params'), src, part.buffer, hist.buffer], grid, 'stats');
    return { part: part.index, hist: hist.index };
  }

  /** The twin over chunk elements [start, start + len), into a scratch accumulator. */
  private cpuDiffRange(ctx: DiffContext, start: number, len: number, shareRows: boolean): DiffAccumulator {
    const da = decodeElements(ctx.a.bytes, ctx.a.dtype, start, len);
    const db = decodeElements(ctx.b.bytes, ctx.b.dtype, start, len);
    const s = scratchDiff(ctx.acc, shareRows);
    accumulateDiffCpu(s, da, db, ctx.firstElement + start);
    return s;
  }

  private mergeDiffTile(ctx: DiffContext, t0: number, n: number, blocks: DiffBlock[], hist: Uint32Array, rowsWords: Uint32Array | undefined, rows: RowGeometry): void {
    const acc = ctx.acc;
    const blockRange = (blk: DiffBlock): [number, number] => {
      const s = blk.index * BLOCK_ELEMENTS;
      return [t0 + s, Math.min(BLOCK_ELEMENTS, n - s)];
    };
    // The top-k threshold as it stood before this tile. Taken after merging the tile's hostFix
    // blocks, an +Infinity threshold could come from a hostFix block *later* in the tile and
    // wrongly exclude an earlier clean block whose Infinity changes win on index.
    const last = acc.top[acc.top.length - 1];
    const threshold = acc.top.length >= acc.topK && last !== undefined ? { magnitude: last.magnitude, wide: ctx.wide } : undefined;
    let sumSqDelta = 0;
    let dot = 0;
    let sumSqA = 0;
    let sumSqB = 0;
    for (const blk of blocks) {
      if (blk.hostFix) {
        const [start, len] = blockRange(blk);
        mergeScratchWhole(acc, this.cpuDiffRange(ctx, start, len, ctx.rowMode === 1));
        continue;
      }
      sumSqDelta += blk.sumSqDelta;
      dot += blk.dot;
      sumSqA += blk.sumSqA;
      sumSqB += blk.sumSqB;
      acc.changed += blk.changed;
      acc.nonFiniteChanged += blk.nonFinite;
      acc.precisionViolations += blk.violations;
      if (ctx.rowMode === 1) {
        addRow(acc, rows.segBase + blk.seg0, blk.rowSum0, blk.rowChanged0);
        addRow(acc, rows.segBase + blk.seg0 + 1, blk.rowSum1, blk.rowChanged1);
      }
    }
    acc.sumSqDelta += sumSqDelta;
    acc.dot += dot;
    acc.sumSqA += sumSqA;
    acc.sumSqB += sumSqB;
    addHist(acc.deltaHist, hist);

    if (rowsWords !== undefined) {
      const f = new Float32Array(rowsWords.buffer, rowsWords.byteOffset, rowsWords.length);
      for (let g = 0; g < rows.nSeg; g++) {
        const word = rowsWords[2 * g + 1] as number;
        if (word >>> 31) {
          // Unsafe for f32: the twin redoes this segment, adding straight into acc's rows.
          const start = g === 0 ? 0 : rows.firstBoundary + (g - 1) * ctx.segLen;
          const len = g === 0 ? Math.min(rows.firstBoundary, n) : Math.min(ctx.segLen, n - start);
          this.cpuDiffRange(ctx, t0 + start, len, true);
        } else {
          addRow(acc, rows.segBase + g, f[2 * g] as number, word & 0x7fffffff);
        }
      }
    }

    // Exact extremes: re-decode only the blocks whose rank key can still matter.
    const clean = blocks.filter((b) => !b.hostFix);
    const chosen = new Map<number, DiffBlock>();
    for (const b of selectTopCandidates(clean, acc.topK, threshold)) chosen.set(b.index, b);
    for (const b of selectMaxAbsCandidates(clean, acc.maxAbs, ctx.wide)) chosen.set(b.index, b);
    for (const blk of [...chosen.values()].sort((p, q) => p.index - q.index)) {
      const [start, len] = blockRange(blk);
      mergeScratchExtremes(acc, this.cpuDiffRange(ctx, start, len, false));
    }
  }
}

/** DF_* flags of a dtype pair, and the less precise side (whose ulp the precision test uses). */
function diffFlags(dtypeA: DType, dtypeB: DType, codeA: number, codeB: number): { flags: number; wide: boolean; lower: (typeof DTYPES)[DType] } {
  const ia = DTYPES[dtypeA];
  const ib = DTYPES[dtypeB];
  // As accumulateDiffCpu: bit patterns compare only for plain (1-element-block) dtypes.
  const same = dtypeA === dtypeB && ia.blockElements === 1;
  const wide = isWideCode(codeA) || isWideCode(codeB);
  // The less precise float side sets the rounding grain (as in accumulateDiffCpu).
  const lowerIsA = (ia.mantissaBits ?? 0) < (ib.mantissaBits ?? 0);
  const bothFloat = ia.family === 'float' && ib.family === 'float';
  // Quantized sides: the quantization steps are the tolerance.
  const quant = isQuantCode(codeA) || isQuantCode(codeB);
  const flags = (same ? DF_SAME : 0) | (wide ? DF_WIDE : 0) | (bothFloat ? DF_BOTH_FLOAT : 0) | (lowerIsA ? DF_LOWER_IS_A : 0) | (quant ? DF_QUANT : 0);
  return { flags, wide, lower: lowerIsA ? ia : ib };
}

interface RowGeometry {
  /** Tracked row (segment) index of the tile's first element. */
  segBase: number;
  /** Tile-relative index where the second segment starts (clamped to u32). */
  firstBoundary: number;
  /** Segments the tile touches. */
  nSeg: number;
}

/** Row segments of a tile whose first flat index is `first` (the twin's floor(flat / rowLength / rowBucket)). */
function rowGeometry(acc: DiffAccumulator, segLen: number, first: number, n: number): RowGeometry {
  if (acc.rowLength <= 0 || segLen <= 0) return { segBase: 0, firstBoundary: U32_MAX, nSeg: 1 };
  const segBase = Math.floor(first / acc.rowLength / acc.rowBucket);
  const firstBoundary = Math.min((segBase + 1) * segLen - first, U32_MAX);
  const nSeg = n <= firstBoundary ? 1 : 1 + Math.ceil((n - firstBoundary) / segLen);
  return { segBase, firstBoundary, nSeg };
}

function addRow(acc: DiffAccumulator, row: number, sumSq: number, changed: number): void {
  if (changed === 0) return;
  acc.rowSumSq[row] = (acc.rowSumSq[row] as number) + sumSq;
  acc.rowChanged[row] = (acc.rowChanged[row] as number) + changed;
}

function pick(out: Uint32Array[], index: number): Uint32Array {
  const w = out[index];
  if (w === undefined) throw new SleuthError('internal_error', `GPU readback ${index} missing`);
  return w;
}

/** The twin's statistics of block `blk` of a tile's raw bytes (for blocks flagged hostFix). */
function cpuStatsOfBlock(tileBytes: Uint8Array, dtype: DType, n: number, blk: number): StatsAccumulator {
  const start = blk * BLOCK_ELEMENTS;
  const len = Math.min(BLOCK_ELEMENTS, n - start);
  const s = newStats();
  accumulateStatsCpu(decodeElements(tileBytes, dtype, start, len), s);
  return s;
}

/** The raw bytes of elements [start, start + len) of a chunk (both on whole blocks of `dtype`). */
function elementBytes(bytes: Uint8Array, dtype: DType, start: number, len: number): Uint8Array {
  const info = DTYPES[dtype];
  return bytes.subarray((start / info.blockElements) * info.blockBytes, ((start + len) / info.blockElements) * info.blockBytes);
}

/**
 * The twin's decode of elements [start, start + len) of a chunk. A range that cuts a quant block
 * (a short row segment) decodes the whole blocks around it and keeps the range: each element's
 * value and step depend only on its own block.
 */
function decodeElements(bytes: Uint8Array, dtype: DType, start: number, len: number): DecodedChunk {
  const be = DTYPES[dtype].blockElements;
  const s0 = Math.floor(start / be) * be;
  const s1 = Math.ceil((start + len) / be) * be;
  const whole = decodeChunk(elementBytes(bytes, dtype, s0, s1 - s0), dtype, s1 - s0);
  if (s0 === start && s1 === start + len) return whole;
  const off = start - s0;
  const part: DecodedChunk = { dtype, count: len, values: whole.values.subarray(off, off + len), bits: whole.bits };
  if (whole.steps !== undefined) part.steps = whole.steps.subarray(off, off + len);
  return part;
}

/** A sketch input the f32 kernel handles (see SKETCH_MAX_ABS). */
function sketchSafe(x: number): boolean {
  const a = Math.abs(x);
  return a === 0 || (a >= SKETCH_MIN_ABS && a <= SKETCH_MAX_ABS);
}
