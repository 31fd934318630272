/**
 * The operations a transformer forward pass is made of, behind one interface with two
 * implementations: the CPU twin (./cpu/cpu-backend.ts, plain typed-array loops — the reference and
 * the fallback) and the WebGPU engine (./webgpu/gpu-backend.ts, one WGSL kernel per operation in
 * shaders/act-*.wgsl). Every operation of the GPU backend has its twin here with the same
 * arguments and the same semantics; tests run both on the same inputs (tests/unit/activations,
 * tests/browser/activations-*.test.ts).
 *
 * Buffers hold f32 values; offsets and lengths count elements. Operations are *enqueued*: the CPU
 * backend runs them at once, the GPU backend records them into one command buffer that `read` or
 * `flush` submits, so a whole forward pass costs one submit and one readback.
 */
import type { Activation, NormKind } from './spec.ts';

export interface Buf {
  /** Length in f32 elements. */
  readonly length: number;
  readonly label: string;
}

export interface MatmulArgs {
  /** y[t, n] (+)= Σ_k x[t, k] · w[n, k] + bias[n], for t < rows, n < n. */
  out: Buf;
  outOffset: number;
  x: Buf;
  xOffset: number;
  /** [n, k] (nn.Linear layout), from uploadMatrix. */
  w: Buf;
  bias?: Buf;
  rows: number;
  k: number;
  n: number;
  /** Add into `out` instead of overwriting it (the residual stream). */
  accumulate: boolean;
}

export interface NormArgs {
  out: Buf;
  outOffset: number;
  x: Buf;
  xOffset: number;
  weight: Buf;
  bias?: Buf;
  rows: number;
  dim: number;
  eps: number;
  kind: NormKind;
}

export interface RopeArgs {
  /** Rows of `heads` heads of `headDim` values, rotated in place. */
  x: Buf;
  rows: number;
  heads: number;
  headDim: number;
  rotaryDim: number;
  /** Position of row 0. */
  pos0: number;
  /** [positions, rotaryDim/2, 2]: cos, sin of position × inv_freq[i] (computed once on the host). */
  table: Buf;
}

export interface AttentionArgs {
  /** [rows, heads·headDim] */
  out: Buf;
  /** [rows, heads·headDim], already rotated. */
  q: Buf;
  /** [positions, kvHeads·headDim]; rows pos0 … pos0 + rows − 1 already written. */
  kCache: Buf;
  vCache: Buf;
  /** Scratch of at least heads·rows·(pos0 + rows) values: scores, then probabilities. */
  scores: Buf;
  /** Per head and row, −Σ p·ln p of the attention distribution: entropy[offset + h·rows + t]. */
  entropy: Buf;
  entropyOffset: number;
  rows: number;
  pos0: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Keys more than window − 1 positions back are masked (Infinity: none). */
  window: number;
  scale: number;
}

export interface ActivationArgs {
  /** out[i] = act(a[i]) · b[i] (gated, when b is given) or act(a[i]). */
  out: Buf;
  a: Buf;
  b?: Buf;
  n: number;
  kind: Activation;
}

export interface EmbedArgs {
  /** out[t, d] = wte[tokens[t], d] (+ wpe[pos0 + t, d]); both tables from uploadMatrix. */
  out: Buf;
  tokens: Uint32Array;
  wte: Buf;
  wpe?: Buf;
  rows: number;
  dim: number;
  pos0: number;
}

export interface SparsityArgs {
  /** out[offset + t] = fraction of |x[t, i]| below SPARSITY_RELATIVE × mean_i |x[t, i]|. */
  out: Buf;
  outOffset: number;
  x: Buf;
  rows: number;
  dim: number;
}

/**
 * An MLP unit counts as inactive when its activation is below this fraction of the mean absolute
 * activation of its position. SiLU and GELU are never exactly zero, so "sparsity" is relative;
 * 0.1 keeps it comparable across layers and models of different scale.
 */
export const SPARSITY_RELATIVE = 0.1;

export interface ActBackend {
  readonly kind: 'cpu' | 'webgpu';
  /** A buffer holding `values` (vectors, tables). */
  upload(values: Float32Array, label: string): Buf;
  /**
   * A weight matrix [rows, cols] row-major (nn.Linear layout, or an embedding table): the only
   * kind of buffer `matmul` takes as `w` and `embed` as `wte`/`wpe`. A backend may store it in
   * another layout (the GPU keeps it transposed, see shaders/act-matmul.wgsl).
   */
  uploadMatrix(values: Float32Array, rows: number, cols: number, label: string): Buf;
  /** A zero-filled buffer of `length` values. */
  alloc(length: number, label: string): Buf;
  /** Overwrites part of a buffer from the host. */
  write(buf: Buf, offset: number, values: Float32Array): void;
  release(buf: Buf): void;
  embed(a: EmbedArgs): void;
  matmul(a: MatmulArgs): void;
  norm(a: NormArgs): void;
  rope(a: RopeArgs): void;
  attention(a: AttentionArgs): void;
  activation(a: ActivationArgs): void;
  sparsity(a: SparsityArgs): void;
  copy(dst: Buf, dstOffset: number, src: Buf, srcOffset: number, length: number): void;
  /** Runs everything enqueued and returns a copy of the values. */
  read(buf: Buf, offset: number, length: number): Promise<Float32Array>;
  /** Runs everything enqueued. */
  flush(): Promise<void>;
  /** Largest single buffer in bytes (GPU binding limit; CPU: typed-array limit). */
  readonly maxBufferBytes: number;
  dispose(): void;
}
