/**
 * Kernel plumbing: shader composition (WGSL has no #include, so each kernel is its library files
 * plus its own file), the pipeline cache, dispatch geometry, and `GpuRun` — one batch of uploads,
 * dispatches and one readback whose buffers are all destroyed in `finally`.
 */
import { SleuthError } from '../../formats/errors.ts';
import { sleuthErrorOfGpuError, type GpuFailureWatch } from './device.ts';

export type ShaderName = 'decode-common' | 'diff-common' | 'decode' | 'stats' | 'diff-blocks' | 'diff-rows';
export type KernelName = 'decode' | 'stats' | 'diff-blocks' | 'diff-rows';
/** Returns the WGSL text of shaders/<name>.wgsl (Vite `?raw` imports or node:fs). */
export type ShaderLoader = (name: ShaderName) => string;

export const SHADER_NAMES: readonly ShaderName[] = ['decode-common', 'diff-common', 'decode', 'stats', 'diff-blocks', 'diff-rows'];

const KERNEL_SOURCES: Readonly<Record<KernelName, readonly ShaderName[]>> = {
  decode: ['decode-common', 'decode'],
  stats: ['decode-common', 'stats'],
  'diff-blocks': ['decode-common', 'diff-common', 'diff-blocks'],
  'diff-rows': ['decode-common', 'diff-common', 'diff-rows'],
};

/** Elements per block (one invocation) of stats.wgsl and diff-blocks.wgsl. */
export const BLOCK_ELEMENTS = 256;
/** Invocations (blocks) per workgroup of stats.wgsl and diff-blocks.wgsl. */
export const BLOCKS_PER_WORKGROUP = 64;
/** u32 words per block written by stats.wgsl / diff-blocks.wgsl. */
export const STATS_WORDS = 16;
export const DIFF_WORDS = 16;
/** Invocations per workgroup of diff-rows.wgsl (one row segment each) and decode.wgsl. */
export const ROWS_WORKGROUP = 64;
export const DECODE_WORKGROUP = 256;
/** Histogram bins written by the kernels (2 × HIST_BINS). */
export const HIST_WORDS = 128;

/** Composes a kernel's source; `lineOrigins` maps a line of the composed text back to its file. */
export function composeKernel(name: KernelName, load: ShaderLoader): { code: string; origin(line: number): string } {
  const parts = KERNEL_SOURCES[name].map((s) => ({ name: s, text: load(s) }));
  const starts: { name: ShaderName; first: number }[] = [];
  let line = 1;
  for (const p of parts) {
    starts.push({ name: p.name, first: line });
    line += p.text.split('\n').length;
  }
  return {
    code: parts.map((p) => p.text).join('\n'),
    origin(l: number): string {
      let hit = starts[0];
      for (const s of starts) if (s.first <= l) hit = s;
      return hit === undefined ? `line ${l}` : `shaders/${hit.name}.wgsl:${l - hit.first + 1}`;
    },
  };
}

/** Pipeline-overridable constants of a kernel (dtype codes, flags). */
export type KernelConstants = Readonly<Record<string, number>>;

/**
 * Compiled pipelines by kernel and constants. Every kernel is specialised on its dtype codes and
 * flags (WGSL `override`), so a pipeline holds only the decoders one dtype pair needs: software
 * adapters compile the generic kernels 10–100× slower.
 */
export class PipelineCache {
  private readonly modules = new Map<KernelName, { module: GPUShaderModule; origin(line: number): string }>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(
    private readonly device: GPUDevice,
    private readonly load: ShaderLoader,
  ) {}

  get(name: KernelName, constants: KernelConstants): Promise<GPUComputePipeline> {
    const key = `${name}:${Object.entries(constants)
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join(',')}`;
    let p = this.pipelines.get(key);
    if (p === undefined) {
      p = this.build(name, constants);
      this.pipelines.set(key, p);
      p.catch(() => this.pipelines.delete(key));
    }
    return p;
  }

  private moduleOf(name: KernelName): { module: GPUShaderModule; origin(line: number): string } {
    let m = this.modules.get(name);
    if (m === undefined) {
      const { code, origin } = composeKernel(name, this.load);
      m = { module: this.device.createShaderModule({ code, label: name }), origin };
      this.modules.set(name, m);
    }
    return m;
  }

  private async build(name: KernelName, constants: KernelConstants): Promise<GPUComputePipeline> {
    const { module, origin } = this.moduleOf(name);
    try {
      return await this.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main', constants: { ...constants } }, label: name });
    } catch (e) {
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error').map((m) => `${origin(m.lineNum)}:${m.linePos} ${m.message}`);
      throw new SleuthError('internal_error', `Compiling the ${name} kernel failed: ${errors.length > 0 ? errors.join('; ') : (e as Error).message}`, { cause: e });
    }
  }
}

/** Splits `groups` workgroups into a 2-D grid within the per-dimension limit. */
export function dispatchGrid(groups: number, maxPerDimension: number): [number, number] {
  if (groups <= 0) return [0, 0];
  const x = Math.min(groups, maxPerDimension);
  const y = Math.ceil(groups / x);
  if (y > maxPerDimension) throw new SleuthError('internal_error', `${groups} workgroups exceed a ${maxPerDimension}² dispatch (tile sizing bug)`);
  return [x, y];
}

interface Readback {
  buffer: GPUBuffer;
  size: number;
  offset: number;
}

/**
 * One batch of GPU work. Every buffer it creates is tracked and destroyed by `destroy()`, which
 * callers run in `finally`.
 */
export class GpuRun {
  private readonly buffers: GPUBuffer[] = [];
  private readonly readbacks: Readback[] = [];
  private readonly encoder: GPUCommandEncoder;
  private stagingBytes = 0;
  private staging: GPUBuffer | undefined;

  constructor(private readonly device: GPUDevice) {
    this.encoder = device.createCommandEncoder();
  }

  private track(b: GPUBuffer): GPUBuffer {
    this.buffers.push(b);
    return b;
  }

  /**
   * Uploads raw bytes as a storage buffer, padded to 4 bytes. `writeBuffer` reads any byte offset
   * of the source view, so a misaligned view is never reinterpreted — only the (rare) unpadded
   * tail is copied.
   */
  input(bytes: Uint8Array, label: string): GPUBuffer {
    const padded = Math.max(4, Math.ceil(bytes.byteLength / 4) * 4);
    const buf = this.track(this.device.createBuffer({ size: padded, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label }));
    if (bytes.byteLength === padded && bytes.buffer instanceof ArrayBuffer) {
      this.device.queue.writeBuffer(buf, 0, bytes as Uint8Array<ArrayBuffer>);
    } else {
      // Unpadded tail, or a SharedArrayBuffer view (not a GPUAllowSharedBufferSource everywhere).
      const copy = new Uint8Array(padded);
      copy.set(bytes);
      this.device.queue.writeBuffer(buf, 0, copy);
    }
    return buf;
  }

  uniform(words: Uint32Array<ArrayBuffer>, label: string): GPUBuffer {
    const size = Math.max(16, Math.ceil(words.byteLength / 16) * 16);
    const buf = this.track(this.device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label }));
    this.device.queue.writeBuffer(buf, 0, words);
    return buf;
  }

  /** A zero-initialised storage buffer whose contents come back from `read()` at index `i`. */
  output(bytes: number, label: string): { buffer: GPUBuffer; index: number } {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const buffer = this.track(this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, label }));
    this.readbacks.push({ buffer, size, offset: this.stagingBytes });
    this.stagingBytes += size;
    return { buffer, index: this.readbacks.length - 1 };
  }

  dispatch(pipeline: GPUComputePipeline, bindings: readonly GPUBuffer[], grid: [number, number], label: string): void {
    if (grid[0] === 0) return;
    const group = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: bindings.map((buffer, binding) => ({ binding, resource: { buffer } })),
      label,
    });
    const pass = this.encoder.beginComputePass({ label });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(grid[0], grid[1]);
    pass.end();
  }

  /** Copies every output into one staging buffer and submits. */
  submit(): void {
    const staging = this.track(this.device.createBuffer({ size: Math.max(4, this.stagingBytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'readback' }));
    this.staging = staging;
    for (const r of this.readbacks) this.encoder.copyBufferToBuffer(r.buffer, 0, staging, r.offset, r.size);
    this.device.queue.submit([this.encoder.finish()]);
  }

  /** Maps the staging buffer (raced against device failure) and returns a copy of each output. */
  async read(watch: GpuFailureWatch): Promise<Uint32Array[]> {
    const staging = this.staging;
    if (staging === undefined) throw new SleuthError('internal_error', 'GpuRun.read before submit');
    await watch.guard(staging.mapAsync(GPUMapMode.READ));
    try {
      const all = staging.getMappedRange();
      return this.readbacks.map((r) => new Uint32Array(all.slice(r.offset, r.offset + r.size)));
    } finally {
      staging.unmap();
    }
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
  }
}

/**
 * Runs `build` (which creates buffers, dispatches and must not await) inside out-of-memory and
 * validation error scopes, submits, and reads the outputs back. Every buffer is destroyed in
 * `finally`, whether the run succeeded, hit an error scope, or the device was lost.
 */
export async function runOnGpu(device: GPUDevice, watch: GpuFailureWatch, what: string, build: (run: GpuRun) => void): Promise<Uint32Array[]> {
  watch.check();
  const runs: GpuRun[] = [];
  try {
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let scopes: Promise<[GPUError | null, GPUError | null]>;
    try {
      const run = new GpuRun(device);
      runs.push(run);
      build(run);
      run.submit();
    } finally {
      // Popped synchronously after the last command, so concurrent runs never share a scope.
      const validation = device.popErrorScope();
      const oom = device.popErrorScope();
      scopes = Promise.all([validation, oom]);
    }
    const [validation, oom] = await watch.guard(scopes);
    if (oom !== null) throw sleuthErrorOfGpuError(oom, what);
    if (validation !== null) throw sleuthErrorOfGpuError(validation, what);
    const run = runs[0];
    if (run === undefined) throw new SleuthError('internal_error', 'runOnGpu: no run');
    return await run.read(watch);
  } finally {
    for (const r of runs) r.destroy();
  }
}
