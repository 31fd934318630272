/**
 * Executes one JobSpec: streams the bytes it names, chunk by chunk, and reduces them to hashes,
 * statistics and deltas. Runs inside a worker (browser or Node) or in-process; it needs only a way
 * to open files, a SHA-256 factory and a compute engine.
 *
 * Memory: at most two chunks per side are in flight (one being processed, one being read ahead),
 * so peak memory is a small multiple of STREAM_CHUNK_BYTES whatever the model size.
 *
 * One read feeds several consumers: while a file is being hashed whole, tensor reads that move
 * forward through it go through the same sequential reader, which feeds every byte to the file hash
 * exactly once (gaps such as headers are read and hashed in between). A read that goes backwards
 * falls back to a plain ranged read and the file hash still sees each byte once, in order.
 */
import { bytesEqual } from '../formats/bytes.ts';
import { DTYPES } from '../formats/dtype.ts';
import { SleuthError, toErrorInfo, type ErrorInfo } from '../formats/errors.ts';
import { MAX_GATHER_BYTES, STREAM_CHUNK_BYTES } from '../formats/limits.ts';
import { gatherStrided, numel, type TensorEntry } from '../formats/manifest.ts';
import type { ByteSource } from '../io/byte-source.ts';
import { CpuEngine, type ComputeEngine } from '../engine/engine.ts';
import { addIdenticalChunk, newDiff, summariseDiff, type DiffAccumulator } from '../engine/diff.ts';
import { mergeStats, newStats, summariseStats, type StatsAccumulator } from '../engine/stats.ts';
import type { OneShotSha256, Sha256, Sha256Factory } from '../evidence/sha256.ts';
import { TensorHasher, type TensorHash } from './tensor-hash.ts';
import { canDecode, decodeChunk } from '../engine/cpu/decode.ts';
import { SPARSE_MAX_ELEMENTS } from './classify-edit.ts';
import { chooseSketchCols, chooseSketchRows, estimateRank, estimateRankWith, SKETCH_ROWS, type RankEstimate } from './rank-sketch.ts';
import type { DiffResult, FileHashResult, FileKey, JobResult, JobSpec, PairTask, RowDelta, Side, TensorResult } from './job.ts';
import { startAdapterAudit, type AdapterTask } from './adapter-audit.ts';

export interface JobContext {
  open(side: Side, path: string): Promise<ByteSource>;
  /** The adapter's files (adapter audit), when one was given. */
  openAdapter?(path: string): Promise<ByteSource>;
  sha256: Sha256Factory;
  /** A native one-shot SHA-256 for tensors that fit its buffer (WebCrypto in the browser). */
  sha256OneShot?: OneShotSha256;
  engine: ComputeEngine;
  onBytes?(bytes: number): void;
  isCancelled?(): boolean;
  chunkBytes?: number;
  /** False to skip the rank sketch of changed matrices (benchmarks measure its cost). */
  rankSketch?: boolean;
}

/** Sequential reader of one file; hashes the whole file when asked to. */
class FileCursor {
  private pos = 0;
  private tail: Promise<unknown> = Promise.resolve();
  constructor(
    readonly source: ByteSource,
    private readonly hasher: Sha256 | undefined,
    private readonly ctx: JobContext,
    private readonly chunk: number,
  ) {}

  /** Reads [offset, offset+length). Reads are serialised so hashing sees bytes in order. */
  read(offset: number, length: number): Promise<Uint8Array> {
    const run = this.tail.then(() => this.readNow(offset, length));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async readNow(offset: number, length: number): Promise<Uint8Array> {
    checkCancelled(this.ctx);
    if (!this.hasher || offset < this.pos) {
      const bytes = await this.source.read(offset, length);
      this.ctx.onBytes?.(length);
      return bytes;
    }
    await this.feedUntil(offset);
    const bytes = await this.source.read(offset, length);
    this.hasher.update(bytes);
    this.pos = offset + length;
    this.ctx.onBytes?.(length);
    return bytes;
  }

  /**
   * Hashes the bytes between the cursor and `offset` (headers, padding, tensors of other jobs),
   * reading one chunk ahead so that the platform reads the next chunk while this one is hashed.
   */
  private async feedUntil(offset: number): Promise<void> {
    const readAt = (pos: number): Promise<Uint8Array> => {
      const read = this.source.read(pos, Math.min(this.chunk, offset - pos));
      read.catch(() => undefined); // an abandoned read-ahead (cancel, error) is not an unhandled rejection
      return read;
    };
    let next = this.pos < offset ? readAt(this.pos) : undefined;
    while (next) {
      checkCancelled(this.ctx);
      const bytes = await next;
      const end = this.pos + bytes.byteLength;
      next = end < offset ? readAt(end) : undefined;
      this.hasher?.update(bytes);
      this.source.release?.(bytes);
      this.pos = end;
      this.ctx.onBytes?.(bytes.byteLength);
    }
  }

  /** Hands bytes read through this cursor back to the source for reuse (ByteSource.release). */
  release(bytes: Uint8Array): void {
    this.source.release?.(bytes);
  }

  async finish(): Promise<string | undefined> {
    await this.tail;
    if (!this.hasher) return undefined;
    await this.feedUntil(this.source.size);
    return this.hasher.digestHex();
  }
}

/** What the steps of one job share besides the caller's context. */
interface StepContext extends JobContext {
  tensorHash: TensorHasher;
  /** Registers work that completes after its step returned (tensor digests); the job awaits it. */
  later(work: Promise<void>): void;
}

function checkCancelled(ctx: JobContext): void {
  if (ctx.isCancelled?.()) throw new SleuthError('cancelled', 'The job was cancelled by the user');
}

export async function runJob(spec: JobSpec, outer: JobContext): Promise<JobResult> {
  const chunk = outer.chunkBytes ?? STREAM_CHUNK_BYTES;
  let bytesRead = 0;
  const pendingWork: Promise<void>[] = [];
  const ctx: StepContext = {
    ...outer,
    ...(spec.rankSketch === false ? { rankSketch: false } : {}),
    onBytes: (n) => {
      bytesRead += n;
      outer.onBytes?.(n);
    },
    tensorHash: new TensorHasher(outer.sha256, outer.sha256OneShot),
    later: (work) => {
      work.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
      pendingWork.push(work);
    },
  };
  const cursors = new Map<string, FileCursor>();
  const key = (side: Side, path: string): string => `${side}\u0000${path}`;
  const hashed = new Set(spec.hashFiles.map((f) => key(f.side, f.path)));
  const errors: (ErrorInfo & { side?: Side })[] = [];

  const cursor = async (side: Side, path: string): Promise<FileCursor> => {
    const k = key(side, path);
    let c = cursors.get(k);
    if (!c) {
      const source = await ctx.open(side, path);
      c = new FileCursor(source, hashed.has(k) ? await ctx.sha256() : undefined, ctx, chunk);
      cursors.set(k, c);
    }
    return c;
  };

  const tensors: TensorResult[] = [];
  for (const pair of spec.pairs) {
    checkCancelled(ctx);
    try {
      tensors.push(await processPair(pair, cursor, ctx, chunk));
    } catch (e) {
      if (e instanceof SleuthError && (e.code === 'cancelled' || e.kind === 'environment')) throw e;
      tensors.push({ name: pair.name, error: toErrorInfo(e, pair.a?.file ?? pair.b?.file) });
    }
  }

  await Promise.all(pendingWork);
  const files: FileHashResult[] = [];
  for (const f of spec.hashFiles) {
    const c = await cursor(f.side, f.path);
    try {
      const sha256 = await c.finish();
      if (sha256 !== undefined) files.push({ ...f, sha256, size: c.source.size });
    } catch (e) {
      if (e instanceof SleuthError && e.code === 'cancelled') throw e;
      errors.push({ ...toErrorInfo(e, f.path), side: f.side });
    }
  }
  for (const c of cursors.values()) await c.source.close?.();
  return { id: spec.id, files, tensors, errors, engine: ctx.engine.kind, bytesRead, notes: [] };
}

type CursorFor = (side: Side, path: string) => Promise<FileCursor>;

async function processPair(pair: PairTask, cursor: CursorFor, ctx: StepContext, chunk: number): Promise<TensorResult> {
  const { a, b } = pair;
  const engine = a && b ? engineFor(ctx, a, b) : undefined;
  if (a && b && engine && valuesComparable(a, b) === undefined) return compareTensors(pair.name, a, b, cursor, { ...ctx, engine }, chunk, pair.adapter);
  const result: TensorResult = { name: pair.name };
  const digests: Promise<void>[] = [];
  if (a) result.a = await measureTensor(a, await cursor('knownGood', a.file), ctx, chunk, digests);
  if (b) result.b = await measureTensor(b, await cursor('suspect', b.file), ctx, chunk, digests);
  if (a && b) {
    const notCompared = valuesComparable(a, b) ?? `values of ${[a.dtype, b.dtype].filter((d) => !ctx.engine.decodes(d) && !cpuFallback.decodes(d)).join(' and ')} are not decoded by this version; compared by hash only`;
    // Equal stored bytes (same hash) of the same dtype, shape and layout: known once both digests are in.
    ctx.later(
      Promise.all(digests).then(() => {
        result.identical = a.dtype === b.dtype && sameShape(a.shape, b.shape) && sameTransform(a, b) && result.a?.sha256 === result.b?.sha256;
        if (!result.identical) result.notCompared = notCompared;
      }),
    );
  }
  return result;
}

/** The reference twin decodes every dtype the engine knows; GPU engines hand it what they don't. */
const cpuFallback = new CpuEngine();

function engineFor(ctx: JobContext, a: TensorEntry, b: TensorEntry): ComputeEngine | undefined {
  if (ctx.engine.decodes(a.dtype) && ctx.engine.decodes(b.dtype)) return ctx.engine;
  if (cpuFallback.decodes(a.dtype) && cpuFallback.decodes(b.dtype)) return cpuFallback;
  return undefined;
}

function sameShape(x: readonly number[], y: readonly number[]): boolean {
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

function sameTransform(a: TensorEntry, b: TensorEntry): boolean {
  return JSON.stringify(a.transform ?? {}) === JSON.stringify(b.transform ?? {});
}

/** Undefined when values can be compared element by element; otherwise why not. */
function valuesComparable(a: TensorEntry, b: TensorEntry): string | undefined {
  if (!sameShape(a.shape, b.shape)) return `shapes differ: [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]`;
  for (const t of [a, b]) {
    if (t.layout.kind === 'strided' && numel(t.shape) * DTYPES[t.dtype].blockBytes > MAX_GATHER_BYTES) {
      return `${t.name} in ${t.file} is a strided view of more than ${MAX_GATHER_BYTES} bytes; its values are compared by hash only in this version`;
    }
    const tr = t.transform;
    if (tr?.transposed) return `${t.file} stores ${t.storedName ?? t.name} transposed; values compared by hash only in this version`;
    if (tr?.valueShift) return `${t.file} stores ${t.storedName ?? t.name} shifted by ${tr.valueShift}; values compared by hash only in this version`;
    if (tr?.note !== undefined && !tr.ropeRows && (a.transform?.ropeRows || b.transform?.ropeRows)) return tr.note;
  }
  const rowLength = a.shape.length === 0 ? 1 : numel(a.shape) / ((a.shape[0] as number) || 1);
  for (const t of [a, b]) {
    const be = DTYPES[t.dtype].blockElements;
    if (be > 1 && rowLength % be !== 0) return `${t.dtype} rows of ${rowLength} elements are not whole blocks`;
  }
  // A q/k tensor permuted on one side only is compared after undoing the permutation; if the
  // permutation is noted as undeterminable on a side, the values cannot be lined up.
  const note = a.transform?.note ?? b.transform?.note;
  if (note !== undefined && (a.transform?.ropeRows === undefined) !== (b.transform?.ropeRows === undefined) && /RoPE/.test(note)) return note;
  return undefined;
}

/** A tensor's bytes in row-major element order, whatever its layout in the file. */
interface TensorBytes {
  read(byteStart: number, byteLength: number): Promise<Uint8Array>;
  /** The caller is done with bytes from `read` and keeps no view of them (see ByteSource.release). */
  release(bytes: Uint8Array): void;
}

/**
 * Contiguous tensors read straight from the file; strided views (PyTorch non-contiguous / Fortran
 * tensors, shared storages) are gathered once from the storage span they touch (bounded by
 * MAX_GATHER_BYTES), so their hash and values are those of the same tensor saved contiguously.
 */
async function tensorBytes(t: TensorEntry, c: FileCursor, chunk: number): Promise<TensorBytes> {
  const layout = t.layout;
  if (layout.kind !== 'strided') return { read: (start, length) => c.read(t.byteOffset + start, length), release: (bytes) => c.release(bytes) };
  const size = DTYPES[t.dtype].blockBytes;
  const n = numel(t.shape);
  if (n * size > MAX_GATHER_BYTES || t.byteLength > MAX_GATHER_BYTES) {
    throw new SleuthError('unsupported_format', `${t.name}: a strided view of ${t.byteLength} bytes is larger than the ${MAX_GATHER_BYTES}-byte gather limit`, { file: t.file, offset: t.byteOffset });
  }
  const span = new Uint8Array(t.byteLength);
  for (let off = 0; off < t.byteLength; off += chunk) span.set(await c.read(t.byteOffset + off, Math.min(chunk, t.byteLength - off)), off);
  const out = gatherStrided(span, t.shape, layout.strides, size);
  return { read: (start, length) => Promise.resolve(out.subarray(start, start + length)), release: () => undefined };
}

/**
 * Hash (and, when decodable, value statistics) of one tensor on its own. The hash may be filled in
 * after this returns (a one-shot digest still running); its completion is added to `digests`.
 */
async function measureTensor(t: TensorEntry, c: FileCursor, ctx: StepContext, chunk: number, digests: Promise<void>[]): Promise<{ sha256: string; stats?: ReturnType<typeof summariseStats> }> {
  const info = DTYPES[t.dtype];
  const engine = ctx.engine.decodes(t.dtype) ? ctx.engine : cpuFallback.decodes(t.dtype) ? cpuFallback : undefined;
  const stats = newStats();
  const source = await tensorBytes(t, c, chunk);
  const total = byteAt(t, numel(t.shape));
  const hash = await ctx.tensorHash.open(total);
  // Chunks hold whole storage blocks so that decoding never splits a block.
  const step = Math.max(info.blockBytes, Math.floor(chunk / info.blockBytes) * info.blockBytes);
  for (let off = 0; off < total; off += step) {
    const len = Math.min(step, total - off);
    const bytes = await source.read(off, len);
    hash.update(bytes);
    if (engine) await engine.stats({ bytes, dtype: t.dtype, count: (len / info.blockBytes) * info.blockElements }, stats);
    source.release(bytes);
  }
  const out: { sha256: string; stats?: ReturnType<typeof summariseStats> } = { sha256: '' };
  if (engine) out.stats = summariseStats(stats);
  const done = hash.digest().then((hex) => void (out.sha256 = hex));
  digests.push(done);
  ctx.later(done);
  return out;
}

function gcd(x: number, y: number): number {
  return y === 0 ? x : gcd(y, x % y);
}
const lcm = (x: number, y: number): number => (x / gcd(x, y)) * y;

/** Byte offset of element e (a multiple of the dtype's block) within a tensor. */
function byteAt(t: TensorEntry, e: number): number {
  const info = DTYPES[t.dtype];
  return (e / info.blockElements) * info.blockBytes;
}

/**
 * Rows of a RoPE-permuted q/k chunk (whole heads, starting at a head boundary) put back in Hugging
 * Face order, on raw bytes (works for every dtype: a row is whole blocks).
 */
function unpermuteRawRows(bytes: Uint8Array, rowBytes: number, headRows: number): Uint8Array {
  const rows = bytes.byteLength / rowBytes;
  const half = headRows / 2;
  const out = new Uint8Array(bytes.byteLength);
  for (let g = 0; g < rows; g++) {
    const r = g % headRows;
    const hf = g - r + (r & 1) * half + (r >> 1);
    out.set(bytes.subarray(g * rowBytes, (g + 1) * rowBytes), hf * rowBytes);
  }
  return out;
}

/**
 * Streams both tensors in lockstep (same element range per chunk), hashing each, measuring each,
 * and accumulating their delta. While the two byte streams are identical they share one hasher and
 * one statistics pass; at the first differing chunk the hasher state is cloned. Hashes are of the
 * stored bytes; values are compared after undoing a converter's row permutation.
 */
async function compareTensors(name: string, a: TensorEntry, b: TensorEntry, cursor: CursorFor, ctx: StepContext, chunk: number, adapterTask?: AdapterTask): Promise<TensorResult> {
  const ca = await cursor('knownGood', a.file);
  const cb = await cursor('suspect', b.file);
  const ia = DTYPES[a.dtype];
  const ib = DTYPES[b.dtype];
  const total = numel(a.shape);
  const rowLength = a.shape.length === 0 ? 1 : total / ((a.shape[0] as number) || 1);
  const ropeA = a.transform?.ropeRows;
  const ropeB = b.transform?.ropeRows;
  // Chunk boundaries fall on whole blocks of both dtypes and on whole heads of permuted rows.
  let unit = lcm(ia.blockElements, ib.blockElements);
  if (ropeA) unit = lcm(unit, ropeA.headRows * rowLength);
  if (ropeB) unit = lcm(unit, ropeB.headRows * rowLength);
  const bytesPerElement = Math.max(ia.blockBytes / ia.blockElements, ib.blockBytes / ib.blockElements);
  const perChunk = Math.max(unit, Math.floor(chunk / bytesPerElement / unit) * unit);
  const sameStorage = a.dtype === b.dtype && sameTransform(a, b);

  const hashA: TensorHash = await ctx.tensorHash.open(byteAt(a, total));
  // Undefined while both byte streams are identical (they share hashA); different dtypes never are.
  let hashB: TensorHash | undefined = a.dtype === b.dtype ? undefined : await ctx.tensorHash.open(byteAt(b, total));
  const statsA = newStats();
  const statsB = newStats();
  const diff: DiffAccumulator = newDiff(a.dtype, b.dtype, a.shape);

  const [ta, tb] = await Promise.all([tensorBytes(a, ca, chunk), tensorBytes(b, cb, chunk)]);
  const readPair = (e0: number): Promise<[Uint8Array, Uint8Array]> => {
    const e1 = Math.min(total, e0 + perChunk);
    const read = Promise.all([ta.read(byteAt(a, e0), byteAt(a, e1) - byteAt(a, e0)), tb.read(byteAt(b, e0), byteAt(b, e1) - byteAt(b, e0))]);
    // The chunk read ahead is abandoned when the loop stops (cancel, error): its failure then has
    // no reader, and must not surface as an unhandled rejection. Awaiting it still throws.
    read.catch(() => undefined);
    return read;
  };

  // Rank sketch rows captured on this read when the change turns out to be spread over the rows.
  const sampler = ctx.rankSketch !== false ? RowSampler.create(a, b, rowLength) : undefined;
  // Adapter audit (adapter-audit.ts): the residual against scale·B·A rides on this same read.
  const audit = adapterTask ? await startAdapterAudit(adapterTask, b.dtype, ctx.openAdapter?.bind(ctx)) : undefined;
  let next = total > 0 ? readPair(0) : undefined;
  for (let e0 = 0; e0 < total; e0 += perChunk) {
    const n = Math.min(perChunk, total - e0);
    const [ra, rb] = await (next as Promise<[Uint8Array, Uint8Array]>);
    next = e0 + perChunk < total ? readPair(e0 + perChunk) : undefined;
    checkCancelled(ctx);
    if (sameStorage && bytesEqual(ra, rb)) {
      hashA.update(ra);
      hashB?.update(rb);
      const chunkStats = newStats();
      await ctx.engine.stats({ bytes: ra, dtype: a.dtype, count: n }, chunkStats);
      mergeStats(statsA, chunkStats);
      mergeStats(statsB, chunkStats);
      addIdenticalChunk(diff, chunkStats.sumSq);
      if (audit) audit.add(e0, ropeA ? unpermuteRawRows(ra, byteAt(a, rowLength), ropeA.headRows) : ra, a.dtype, ropeB ? unpermuteRawRows(rb, byteAt(b, rowLength), ropeB.headRows) : rb, n);
    } else {
      hashB ??= await hashA.fork();
      hashA.update(ra);
      hashB.update(rb);
      const va = ropeA ? unpermuteRawRows(ra, byteAt(a, rowLength), ropeA.headRows) : ra;
      const vb = ropeB ? unpermuteRawRows(rb, byteAt(b, rowLength), ropeB.headRows) : rb;
      audit?.add(e0, va, a.dtype, vb, n);
      sampler?.add(e0, n, va, vb);
      await ctx.engine.diff({ bytes: va, dtype: a.dtype, count: n }, { bytes: vb, dtype: b.dtype, count: n }, e0, diff, statsA, statsB);
    }
    // Every consumer above copied or reduced the chunk before returning: its memory can be reused.
    ta.release(ra);
    tb.release(rb);
  }
  // Stored bytes differ somewhere once the hashes parted; otherwise one digest serves both sides.
  const parted = hashB !== undefined;
  const result: TensorResult = {
    name,
    a: { sha256: '', stats: summariseStats(statsA) },
    b: { sha256: '', stats: summariseStats(statsB) },
    // Same dtype and every element's bits equal — in the Hugging Face layout when a converter
    // stored the rows permuted (the stored bytes, and so their hashes, then differ).
    identical: a.dtype === b.dtype && diff.changed === 0 && (!parted || !sameTransform(a, b)),
  };
  const [digestA, digestB] = [hashA.digest(), hashB?.digest()];
  ctx.later(
    Promise.all([digestA, digestB]).then(([shaA, shaB]) => {
      (result.a as { sha256: string }).sha256 = shaA;
      (result.b as { sha256: string }).sha256 = shaB ?? shaA;
    }),
  );
  if (!result.identical) {
    result.diff = finishDiff(diff);
    if (ctx.rankSketch !== false && wantsRankSketch(a, b, diff)) result.diff.rank = await sketchRank(a, b, ta, tb, result.diff, ctx.engine, sampler?.rowsFor(diff));
  }
  if (audit) result.adapter = audit.finish();
  return result;
}

/** Rank only matters for spread-out changes of a matrix; rows/sparse/precision edits are named without it. */
function wantsRankSketch(a: TensorEntry, b: TensorEntry, diff: DiffAccumulator): boolean {
  if (a.shape.length < 2 || diff.rowLength < 2 || diff.changed <= SPARSE_MAX_ELEMENTS) return false;
  const quantized = DTYPES[a.dtype].family === 'quant' || DTYPES[b.dtype].family === 'quant';
  // A plain cast within rounding needs no rank; a quantized copy always gets the residual-structure test.
  if (a.dtype !== b.dtype && !quantized && diff.precisionViolations === 0) return false;
  let changedRows = 0;
  for (let i = 0; i < diff.rowChanged.length && changedRows < 2; i++) if ((diff.rowChanged[i] as number) > 0) changedRows++;
  return changedRows >= 2 && diff.rowBucket === 1;
}

/** Physical row holding HF row r of a tensor (undoing a RoPE permutation). */
function storedRow(t: TensorEntry, r: number): number {
  const rope = t.transform?.ropeRows;
  if (!rope) return r;
  const h = Math.floor(r / rope.headRows);
  const local = r - h * rope.headRows;
  const half = rope.headRows / 2;
  const j = local >= half ? 1 : 0;
  return h * rope.headRows + 2 * (local - j * half) + j;
}

/**
 * Δ restricted to SKETCH_ROWS evenly spaced rows and the sketch columns, kept while the tensor
 * streams (element-wise dtypes, or quant blocks that rows are made of: a row's slice decodes on its own). When the change covers
 * nearly every row — a fine-tune, a merged LoRA — those rows are changed rows and the sketch needs
 * no second read; an edit confined to some rows falls back to re-reading the changed ones.
 */
class RowSampler {
  private readonly rows: number[];
  private readonly cols: number[];
  private readonly delta: Float64Array[];
  private constructor(
    private readonly a: TensorEntry,
    private readonly b: TensorEntry,
    private readonly rowLength: number,
  ) {
    const nRows = a.shape[0] as number;
    const k = Math.min(SKETCH_ROWS, nRows);
    this.rows = Array.from({ length: k }, (_, i) => Math.floor(((i + 0.5) * nRows) / k));
    this.cols = chooseSketchCols(rowLength);
    this.delta = this.rows.map(() => new Float64Array(this.cols.length));
  }

  static create(a: TensorEntry, b: TensorEntry, rowLength: number): RowSampler | undefined {
    if (a.shape.length < 2 || rowLength < 2 || numel(a.shape) !== numel(b.shape)) return undefined;
    // A row's slice must decode on its own: element-wise dtypes, or quant blocks that rows are made of.
    const sliceable = (t: TensorEntry): boolean => {
      const info = DTYPES[t.dtype];
      if (info.family === 'quant') return canDecode(t.dtype) && rowLength % info.blockElements === 0;
      return info.blockElements === 1 && canDecode(t.dtype);
    };
    return sliceable(a) && sliceable(b) ? new RowSampler(a, b, rowLength) : undefined;
  }

  /** Takes the sampled rows' part of a differing chunk [e0, e0+n) (both sides in Hugging Face row order). */
  add(e0: number, n: number, va: Uint8Array, vb: Uint8Array): void {
    const L = this.rowLength;
    const firstRow = Math.floor(e0 / L);
    const lastRow = Math.floor((e0 + n - 1) / L);
    for (let i = 0; i < this.rows.length; i++) {
      const r = this.rows[i] as number;
      if (r < firstRow) continue;
      if (r > lastRow) break;
      const s = Math.max(r * L, e0);
      const e = Math.min((r + 1) * L, e0 + n);
      const da = decodeChunk(va.subarray(byteAt(this.a, s - e0), byteAt(this.a, e - e0)), this.a.dtype, e - s).values;
      const db = decodeChunk(vb.subarray(byteAt(this.b, s - e0), byteAt(this.b, e - e0)), this.b.dtype, e - s).values;
      const d = this.delta[i] as Float64Array;
      for (let j = 0; j < this.cols.length; j++) {
        const c = r * L + (this.cols[j] as number);
        if (c < s || c >= e) continue;
        const x = (db[c - s] as number) - (da[c - s] as number);
        d[j] = Number.isFinite(x) ? x : 0;
      }
    }
  }

  /** The sampled rows that changed, when the change is spread over ≥ 90% of all rows; else undefined. */
  rowsFor(diff: DiffAccumulator): Float64Array[] | undefined {
    let changedRows = 0;
    for (let i = 0; i < diff.rowChanged.length; i++) if ((diff.rowChanged[i] as number) > 0) changedRows++;
    if (changedRows < 0.9 * diff.rowChanged.length) return undefined;
    const out = this.rows.flatMap((r, i) => ((diff.rowChanged[r] as number) > 0 ? [this.delta[i] as Float64Array] : []));
    return out.length >= Math.min(8, this.rows.length) ? out : undefined;
  }
}

/** Estimates the rank of Δ from sampled rows: those captured in-stream, else changed rows re-read from both sides (a few MB). */
async function sketchRank(a: TensorEntry, b: TensorEntry, ta: TensorBytes, tb: TensorBytes, diff: DiffResult, engine: ComputeEngine, sampled?: Float64Array[]): Promise<RankEstimate> {
  const rowLength = numel(a.shape) / (a.shape[0] as number);
  const cols = chooseSketchCols(rowLength);
  const product = engine.sketch?.bind(engine);
  if (sampled) return product ? estimateRankWith(product, sampled, cols.length, a.shape[0] as number, rowLength) : estimateRank(sampled, cols.length, a.shape[0] as number, rowLength);
  const topRows = [...diff.rows].sort((x, y) => y.l2 - x.l2).map((r) => r.index);
  const rows = chooseSketchRows(diff.rows.map((r) => r.index), topRows);
  const rowBytesA = byteAt(a, rowLength);
  const rowBytesB = byteAt(b, rowLength);
  const deltaRows: Float64Array[] = [];
  for (const r of rows) {
    const [ra, rb] = await Promise.all([ta.read(storedRow(a, r) * rowBytesA, rowBytesA), tb.read(storedRow(b, r) * rowBytesB, rowBytesB)]);
    const va = decodeChunk(ra, a.dtype, rowLength).values;
    const vb = decodeChunk(rb, b.dtype, rowLength).values;
    const d = new Float64Array(cols.length);
    for (let j = 0; j < cols.length; j++) {
      const c = cols[j] as number;
      const x = (vb[c] as number) - (va[c] as number);
      d[j] = Number.isFinite(x) ? x : 0;
    }
    deltaRows.push(d);
  }
  // The product Y = Δ_S·Ω on the job's engine (WGSL on WebGPU); the CPU twin otherwise.
  if (product) return estimateRankWith(product, deltaRows, cols.length, a.shape[0] as number, rowLength);
  return estimateRank(deltaRows, cols.length, a.shape[0] as number, rowLength);
}

function finishDiff(acc: DiffAccumulator): DiffResult {
  const rows: RowDelta[] = [];
  for (let i = 0; i < acc.rowChanged.length; i++) {
    const changed = acc.rowChanged[i] as number;
    if (changed > 0) rows.push({ index: i, l2: Math.sqrt(acc.rowSumSq[i] as number), changed });
  }
  return { summary: summariseDiff(acc), rows, rowBucket: acc.rowBucket, top: acc.top, deltaHist: Array.from(acc.deltaHist) };
}

export type { FileKey };
