/**
 * The WebGPU backend of the activation engine: every operation of ../backend.ts is one dispatch of
 * a kernel in shaders/act-*.wgsl (CPU twins in ../cpu/kernels.ts), recorded into one command
 * buffer; `read` submits it, copies the asked-for values into a staging buffer and maps it.
 *
 * - Device: its own (acquired through ../../engine/webgpu/device.ts, the comparison engine's
 *   acquisition and failure path), so its error scopes never interleave with another user's.
 *   Device loss and uncaptured errors go through `GpuFailureWatch`: every later call rejects with
 *   `gpu_device_lost` / `gpu_out_of_memory` / `internal_error`, and a pending map cannot hang.
 * - Error scopes: one out-of-memory and one validation scope around each batch (from the first
 *   recorded operation to its submit), so an allocation failure anywhere in a forward pass surfaces
 *   as `gpu_out_of_memory` at the next read.
 * - Pipelines are specialised with WGSL `override` constants (matmul: rows per invocation,
 *   accumulate, bias; norm kind; activation kind …) and compiled once each: SwiftShader compiles
 *   generic kernels very slowly.
 * - Uniform parameter buffers and bind groups are cached by content, so decoding a token re-records
 *   the same bind groups with nothing created but the attention/RoPE parameters of the new position.
 * - Buffers are 16-byte multiples (vec4 bindings); weights upload through mappedAtCreation.
 */
import { SleuthError } from '../../formats/errors.ts';
import { acquireGpuDevice, GpuFailureWatch, sleuthErrorOfGpuError, type GpuAdapterSummary } from '../../engine/webgpu/device.ts';
import { dispatchGrid, pipelineKey } from '../../engine/webgpu/kernels.ts';
import type { ActBackend, ActivationArgs, AttentionArgs, Buf, EmbedArgs, MatmulArgs, NormArgs, RopeArgs, SparsityArgs } from '../backend.ts';
import { SPARSITY_RELATIVE } from '../backend.ts';
import type { ActShaderLoader, ActShaderName } from './act-shaders.ts';

const WG = 64;
/** Cached uniform buffers / bind groups beyond which the caches are emptied at the next submit. */
const MAX_CACHED_PARAMS = 4096;
const MAX_CACHED_GROUPS = 4096;
const NO_WINDOW = 0xffffffff;

let nextId = 1;

class GpuBuf implements Buf {
  readonly id = nextId++;
  constructor(
    readonly buffer: GPUBuffer,
    readonly length: number,
    readonly label: string,
    /** Set for uploadMatrix buffers: a row-major [rows, cols] matrix. */
    readonly matrix?: { rows: number; cols: number },
  ) {}
}

function m(b: Buf, rows: number, cols: number, what: string): GpuBuf {
  const x = g(b);
  if (x.matrix === undefined || x.matrix.rows !== rows || x.matrix.cols !== cols) {
    throw new SleuthError('internal_error', `${what}: ${b.label} is not a [${rows}, ${cols}] matrix from uploadMatrix`);
  }
  return x;
}

function g(b: Buf): GpuBuf {
  if (!(b instanceof GpuBuf)) throw new SleuthError('internal_error', `Buffer ${b.label} does not belong to the WebGPU backend`);
  return b;
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);
function f32Bits(x: number): number {
  f32Scratch[0] = x;
  return u32Scratch[0] as number;
}

function padded16(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}

export class GpuBackend implements ActBackend {
  readonly kind = 'webgpu' as const;
  readonly maxBufferBytes: number;
  private readonly modules = new Map<ActShaderName, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly params = new Map<string, GPUBuffer>();
  private readonly groups = new Map<string, GPUBindGroup>();
  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  private readonly transient: GPUBuffer[] = [];
  private readonly dummy: GpuBuf;
  private disposed = false;
  /** Bytes held in buffers created through upload/alloc and not yet released. */
  allocatedBytes = 0;

  private constructor(
    readonly device: GPUDevice,
    private readonly watch: GpuFailureWatch,
    readonly adapter: GpuAdapterSummary,
    private readonly load: ActShaderLoader,
  ) {
    this.maxBufferBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    this.dummy = new GpuBuf(device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE, label: 'dummy' }), 4, 'dummy');
  }

  static async create(gpu: GPU, load: ActShaderLoader): Promise<GpuBackend> {
    const { device, summary } = await acquireGpuDevice(gpu);
    return new GpuBackend(device, new GpuFailureWatch(device, summary.description), summary, load);
  }

  // ── buffers ──────────────────────────────────────────────────────────────
  private checkSize(bytes: number, label: string): void {
    if (bytes > this.maxBufferBytes) {
      throw new SleuthError('model_too_large', `${label} needs a GPU buffer of ${(bytes / 2 ** 20).toFixed(1)} MiB; this GPU binds at most ${(this.maxBufferBytes / 2 ** 20).toFixed(1)} MiB per buffer (use the CPU engine)`);
    }
  }

  upload(values: Float32Array, label: string): Buf {
    this.watch.check();
    this.checkSize(values.byteLength, label);
    this.batch();
    const size = padded16(values.byteLength);
    const buffer = this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, mappedAtCreation: true, label });
    new Float32Array(buffer.getMappedRange(0, values.byteLength)).set(values);
    buffer.unmap();
    this.allocatedBytes += size;
    return new GpuBuf(buffer, values.length, label);
  }

  /** Stored row-major (shaders/act-matmul.wgsl explains why not transposed); marked as a matrix for the checks. */
  uploadMatrix(values: Float32Array, rows: number, cols: number, label: string): Buf {
    if (values.length !== rows * cols) throw new SleuthError('internal_error', `uploadMatrix ${label}: ${values.length} values for [${rows}, ${cols}]`);
    const b = g(this.upload(values, label));
    return new GpuBuf(b.buffer, b.length, label, { rows, cols });
  }

  alloc(length: number, label: string): Buf {
    this.watch.check();
    this.checkSize(length * 4, label);
    this.batch();
    const size = padded16(length * 4);
    const buffer = this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label });
    this.allocatedBytes += size;
    return new GpuBuf(buffer, length, label);
  }

  write(buf: Buf, offset: number, values: Float32Array): void {
    // Through a staging copy recorded in order, so it lands after the operations already recorded.
    this.batch();
    const src = this.device.createBuffer({ size: padded16(values.byteLength), usage: GPUBufferUsage.COPY_SRC, mappedAtCreation: true, label: 'write' });
    new Float32Array(src.getMappedRange(0, values.byteLength)).set(values);
    src.unmap();
    this.transient.push(src);
    this.endPass();
    this.enc().copyBufferToBuffer(src, 0, g(buf).buffer, offset * 4, values.byteLength);
  }

  release(buf: Buf): void {
    const b = g(buf);
    this.allocatedBytes -= b.buffer.size;
    // Destroying a buffer that recorded-but-unsubmitted commands use would fail their submit.
    if (this.encoder !== undefined) this.transient.push(b.buffer);
    else b.buffer.destroy();
  }

  // ── recording ────────────────────────────────────────────────────────────
  private batch(): void {
    if (this.encoder !== undefined) return;
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    this.encoder = this.device.createCommandEncoder({ label: 'activations' });
  }

  private enc(): GPUCommandEncoder {
    this.batch();
    return this.encoder as GPUCommandEncoder;
  }

  private endPass(): void {
    if (this.pass !== undefined) {
      this.pass.end();
      this.pass = undefined;
    }
  }

  private pipeline(name: ActShaderName, constants: Record<string, number>): { pipeline: GPUComputePipeline; key: string } {
    const key = pipelineKey(name, constants);
    let p = this.pipelines.get(key);
    if (p === undefined) {
      let module = this.modules.get(name);
      if (module === undefined) {
        module = this.device.createShaderModule({ code: this.load(name), label: name });
        this.modules.set(name, module);
      }
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main', constants: { WG, ...constants } }, label: key });
      this.pipelines.set(key, p);
    }
    return { pipeline: p, key };
  }

  private paramBuffer(words: readonly number[]): { buffer: GPUBuffer; key: string } {
    const key = words.join(',');
    let b = this.params.get(key);
    if (b === undefined) {
      b = this.device.createBuffer({ size: padded16(words.length * 4), usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true, label: 'params' });
      new Uint32Array(b.getMappedRange()).set(words);
      b.unmap();
      this.params.set(key, b);
    }
    return { buffer: b, key };
  }

  private dispatch(name: ActShaderName, constants: Record<string, number>, params: readonly number[], bindings: readonly GpuBuf[], invocations: number): void {
    if (invocations <= 0) return;
    this.watch.check();
    this.batch();
    const { pipeline, key: pk } = this.pipeline(name, constants);
    const { buffer: pb, key: paramKey } = this.paramBuffer(params);
    const gk = `${pk}|${paramKey}|${bindings.map((b) => b.id).join(',')}`;
    let group = this.groups.get(gk);
    if (group === undefined) {
      group = this.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: pb } }, ...bindings.map((b, i) => ({ binding: i + 1, resource: { buffer: b.buffer } }))],
        label: name,
      });
      this.groups.set(gk, group);
    }
    if (this.pass === undefined) this.pass = this.enc().beginComputePass({ label: 'activations' });
    const [x, y] = dispatchGrid(Math.ceil(invocations / WG), this.device.limits.maxComputeWorkgroupsPerDimension);
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, group);
    this.pass.dispatchWorkgroups(x, y);
  }

  /** Submits the recorded batch and reports its error scopes. */
  private async submit(): Promise<void> {
    if (this.encoder === undefined) return;
    this.endPass();
    const encoder = this.encoder;
    this.encoder = undefined;
    let scopes: Promise<[GPUError | null, GPUError | null]>;
    try {
      this.device.queue.submit([encoder.finish()]);
    } finally {
      const validation = this.device.popErrorScope();
      const oom = this.device.popErrorScope();
      scopes = Promise.all([validation, oom]);
      for (const b of this.transient) b.destroy();
      this.transient.length = 0;
      if (this.params.size > MAX_CACHED_PARAMS) {
        for (const b of this.params.values()) b.destroy();
        this.params.clear();
        this.groups.clear();
      }
      if (this.groups.size > MAX_CACHED_GROUPS) this.groups.clear();
    }
    const [validation, oom] = await this.watch.guard(scopes);
    if (oom !== null) throw sleuthErrorOfGpuError(oom, 'the forward pass');
    if (validation !== null) throw sleuthErrorOfGpuError(validation, 'the forward pass');
  }

  // ── operations ───────────────────────────────────────────────────────────
  embed(a: EmbedArgs): void {
    const tokens = this.device.createBuffer({ size: padded16(a.tokens.byteLength), usage: GPUBufferUsage.STORAGE, mappedAtCreation: true, label: 'tokens' });
    new Uint32Array(tokens.getMappedRange(0, a.tokens.byteLength)).set(a.tokens);
    tokens.unmap();
    this.transient.push(tokens);
    const tb = new GpuBuf(tokens, a.tokens.length, 'tokens');
    const wte = g(a.wte);
    const wpe = a.wpe ? g(a.wpe) : undefined;
    if (wte.matrix === undefined || wte.matrix.cols !== a.dim || (wpe !== undefined && (wpe.matrix === undefined || wpe.matrix.cols !== a.dim))) {
      throw new SleuthError('internal_error', 'embed: the tables must come from uploadMatrix with the model dimension as columns');
    }
    this.dispatch('act-embed', { HAS_POS: wpe ? 1 : 0 }, [a.rows, a.dim, a.pos0, 0], [tb, wte, wpe ?? this.dummy, g(a.out)], a.rows * a.dim);
  }

  matmul(a: MatmulArgs): void {
    if (a.k % 4 !== 0 || a.xOffset % 4 !== 0) throw new SleuthError('unsupported_architecture', `The WebGPU matmul needs an inner dimension divisible by 4 (got ${a.k}); use the CPU engine`);
    const w = m(a.w, a.n, a.k, 'matmul');
    const rows = a.rows === 1 ? 1 : 4;
    const nTiles = Math.ceil(a.n / 4);
    this.dispatch(
      'act-matmul',
      { ROWS: rows, ACCUM: a.accumulate ? 1 : 0, HAS_BIAS: a.bias ? 1 : 0 },
      [a.rows, a.k / 4, a.n, a.xOffset / 4, a.outOffset, nTiles, 0, 0],
      [g(a.x), w, a.bias ? g(a.bias) : this.dummy, g(a.out)],
      Math.ceil(a.rows / rows) * nTiles,
    );
  }

  norm(a: NormArgs): void {
    this.dispatch(
      'act-norm',
      { KIND: a.kind === 'rms' ? 0 : 1, HAS_BIAS: a.bias ? 1 : 0 },
      [a.rows, a.dim, f32Bits(a.eps), a.xOffset, a.outOffset, 0, 0, 0],
      [g(a.x), g(a.weight), a.bias ? g(a.bias) : this.dummy, g(a.out)],
      a.rows,
    );
  }

  rope(a: RopeArgs): void {
    const half = a.rotaryDim / 2;
    this.dispatch('act-rope', {}, [a.rows, a.heads, a.headDim, half, a.pos0, 0, 0, 0], [g(a.x), g(a.table)], a.rows * a.heads * half);
  }

  attention(a: AttentionArgs): void {
    if (a.headDim % 4 !== 0) throw new SleuthError('unsupported_architecture', `The WebGPU attention needs a head dimension divisible by 4 (got ${a.headDim}); use the CPU engine`);
    const keys = a.pos0 + a.rows;
    const window = Number.isFinite(a.window) ? Math.min(a.window, NO_WINDOW - 1) : NO_WINDOW;
    const hd4 = a.headDim / 4;
    this.dispatch('act-attn-scores', {}, [a.rows, a.pos0, a.heads, a.kvHeads, hd4, keys, window, f32Bits(a.scale)], [g(a.q), g(a.kCache), g(a.scores)], a.heads * a.rows * keys);
    this.dispatch('act-attn-softmax', {}, [a.rows, a.pos0, a.heads, keys, window, a.entropyOffset, 0, 0], [g(a.scores), g(a.entropy)], a.heads * a.rows);
    this.dispatch('act-attn-mix', {}, [a.rows, a.pos0, a.heads, a.kvHeads, hd4, keys, window, 0], [g(a.scores), g(a.vCache), g(a.out)], a.rows * a.heads * hd4);
  }

  activation(a: ActivationArgs): void {
    const kind = a.kind === 'silu' ? 0 : a.kind === 'gelu-tanh' ? 1 : 2;
    this.dispatch('act-elementwise', { KIND: kind, GATED: a.b ? 1 : 0 }, [a.n, 0, 0, 0], [g(a.a), a.b ? g(a.b) : this.dummy, g(a.out)], a.n);
  }

  sparsity(a: SparsityArgs): void {
    this.dispatch('act-sparsity', { RELATIVE: SPARSITY_RELATIVE }, [a.rows, a.dim, a.outOffset, 0], [g(a.x), g(a.out)], a.rows);
  }

  copy(dst: Buf, dstOffset: number, src: Buf, srcOffset: number, length: number): void {
    if (length <= 0) return;
    this.watch.check();
    this.endPass();
    this.enc().copyBufferToBuffer(g(src).buffer, srcOffset * 4, g(dst).buffer, dstOffset * 4, length * 4);
  }

  async read(buf: Buf, offset: number, length: number): Promise<Float32Array> {
    this.watch.check();
    const staging = this.device.createBuffer({ size: padded16(length * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'readback' });
    try {
      this.endPass();
      if (length > 0) this.enc().copyBufferToBuffer(g(buf).buffer, offset * 4, staging, 0, length * 4);
      await this.submit();
      await this.watch.guard(staging.mapAsync(GPUMapMode.READ));
      const out = new Float32Array(staging.getMappedRange(0, padded16(length * 4)).slice(0, length * 4));
      staging.unmap();
      return out;
    } finally {
      staging.destroy();
    }
  }

  async flush(): Promise<void> {
    await this.submit();
    await this.watch.guard(this.device.queue.onSubmittedWorkDone());
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.params.values()) b.destroy();
    this.params.clear();
    this.groups.clear();
    this.dummy.buffer.destroy();
    this.watch.markDisposed();
    this.device.destroy();
  }
}
