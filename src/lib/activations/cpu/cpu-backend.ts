/**
 * The CPU twin backend: every operation runs at once on Float32Arrays (./kernels.ts). The
 * reference for the GPU backend and the fallback when WebGPU is missing or fails.
 */
import { SleuthError } from '../../formats/errors.ts';
import type { ActBackend, ActivationArgs, AttentionArgs, Buf, EmbedArgs, MatmulArgs, NormArgs, RopeArgs, SparsityArgs } from '../backend.ts';
import { activationCpu, attentionCpu, embedCpu, matmulCpu, normCpu, ropeCpu, sparsityCpu } from './kernels.ts';

class CpuBuf implements Buf {
  constructor(
    readonly data: Float32Array,
    readonly label: string,
  ) {}
  get length(): number {
    return this.data.length;
  }
}

function d(b: Buf): Float32Array {
  if (!(b instanceof CpuBuf)) throw new SleuthError('internal_error', `Buffer ${b.label} does not belong to the CPU backend`);
  return b.data;
}

/** V8's largest typed array (2^32 − 1 elements on 64-bit); the byte budget is what really limits. */
const MAX_CPU_BUFFER_BYTES = 4 * (2 ** 32 - 1);

export class CpuBackend implements ActBackend {
  readonly kind = 'cpu' as const;
  readonly maxBufferBytes = MAX_CPU_BUFFER_BYTES;

  upload(values: Float32Array, label: string): Buf {
    return new CpuBuf(values, label);
  }
  uploadMatrix(values: Float32Array, _rows: number, _cols: number, label: string): Buf {
    return new CpuBuf(values, label);
  }
  alloc(length: number, label: string): Buf {
    return new CpuBuf(new Float32Array(length), label);
  }
  write(buf: Buf, offset: number, values: Float32Array): void {
    d(buf).set(values, offset);
  }
  release(): void {
    // Garbage-collected.
  }
  embed(a: EmbedArgs): void {
    embedCpu(d(a.out), a.tokens, d(a.wte), a.wpe ? d(a.wpe) : undefined, a.rows, a.dim, a.pos0);
  }
  matmul(a: MatmulArgs): void {
    matmulCpu(d(a.out), a.outOffset, d(a.x), a.xOffset, d(a.w), a.bias ? d(a.bias) : undefined, a.rows, a.k, a.n, a.accumulate);
  }
  norm(a: NormArgs): void {
    normCpu(d(a.out), a.outOffset, d(a.x), a.xOffset, d(a.weight), a.bias ? d(a.bias) : undefined, a.rows, a.dim, a.eps, a.kind);
  }
  rope(a: RopeArgs): void {
    ropeCpu(d(a.x), a.rows, a.heads, a.headDim, a.rotaryDim, a.pos0, d(a.table));
  }
  attention(a: AttentionArgs): void {
    attentionCpu(d(a.out), d(a.q), d(a.kCache), d(a.vCache), d(a.scores), d(a.entropy), a.entropyOffset, a.rows, a.pos0, a.heads, a.kvHeads, a.headDim, a.window, a.scale);
  }
  activation(a: ActivationArgs): void {
    activationCpu(d(a.out), d(a.a), a.b ? d(a.b) : undefined, a.n, a.kind);
  }
  sparsity(a: SparsityArgs): void {
    sparsityCpu(d(a.out), a.outOffset, d(a.x), a.rows, a.dim);
  }
  copy(dst: Buf, dstOffset: number, src: Buf, srcOffset: number, length: number): void {
    d(dst).set(d(src).subarray(srcOffset, srcOffset + length), dstOffset);
  }
  read(buf: Buf, offset: number, length: number): Promise<Float32Array> {
    return Promise.resolve(d(buf).slice(offset, offset + length));
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  dispose(): void {
    // Nothing held beyond garbage-collected arrays.
  }
}
