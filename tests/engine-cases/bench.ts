/**
 * Throughput of the WebGPU engine against the CPU twin, measured in the same run on the same bytes
 * (8 MiB chunks, as the streaming jobs send them). Used by the Node benchmark script below and by
 * tests/browser/engine-bench.test.ts. The GGUF rows dequantize and compare a quantized suspect
 * against a BF16 known-good (Q8_0: ggml's reference quantization of the BF16 weights; Q4_K:
 * weight-like blocks against a BF16 copy of their values nudged within a step) — MB/s counts the
 * bytes of both sides.
 *
 *   npx tsx tests/engine-cases/bench.ts [MiB per side, default 32] [only rows containing this]
 */
import type { DType } from '../../src/lib/formats/dtype.ts';
import { CpuEngine, type ComputeEngine } from '../../src/lib/engine/engine.ts';
import { newDiff } from '../../src/lib/engine/diff.ts';
import { newStats } from '../../src/lib/engine/stats.ts';
import { calibrationPair } from '../../src/lib/engine/webgpu/engine-select.ts';
import type { WebGpuEngine } from '../../src/lib/engine/webgpu/webgpu-engine.ts';
import { DTYPES } from '../../src/lib/formats/dtype.ts';
import { castFrom, quantBlocks, rng } from './data.ts';
import { decodeChunk } from '../../src/lib/engine/cpu/decode.ts';
import { quantizeQ8_0 } from '../../src/lib/engine/cpu/dequant.ts';

const CHUNK_BYTES = 8 * 1024 * 1024;

export interface BenchRow {
  what: string;
  engine: string;
  /** MB/s of input bytes (both sides for a diff). */
  mbps: number;
  ms: number;
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Bytes per element (fractional for quant blocks). */
function perElement(dtype: DType): number {
  return DTYPES[dtype].blockBytes / DTYPES[dtype].blockElements;
}

function slice(bytes: Uint8Array, dtype: DType, e0: number, m: number): Uint8Array {
  const info = DTYPES[dtype];
  return bytes.subarray((e0 / info.blockElements) * info.blockBytes, ((e0 + m) / info.blockElements) * info.blockBytes);
}

/** Elements per chunk: ≤ CHUNK_BYTES on the wider side, whole 256-element blocks (as the jobs align them). */
function chunkElements(...dtypes: DType[]): number {
  return Math.floor(CHUNK_BYTES / Math.max(...dtypes.map(perElement)) / 256) * 256;
}

async function diffAll(engine: ComputeEngine, dtypeA: DType, dtypeB: DType, a: Uint8Array, b: Uint8Array, rowLength: number): Promise<void> {
  const n = a.byteLength / perElement(dtypeA);
  const per = chunkElements(dtypeA, dtypeB);
  const acc = newDiff(dtypeA, dtypeB, [n / rowLength, rowLength]);
  const statsA = newStats();
  const statsB = newStats();
  for (let e0 = 0; e0 < n; e0 += per) {
    const m = Math.min(per, n - e0);
    await engine.diff({ bytes: slice(a, dtypeA, e0, m), dtype: dtypeA, count: m }, { bytes: slice(b, dtypeB, e0, m), dtype: dtypeB, count: m }, e0, acc, statsA, statsB);
  }
}

async function statsAll(engine: ComputeEngine, dtype: DType, a: Uint8Array): Promise<void> {
  const n = a.byteLength / perElement(dtype);
  const per = chunkElements(dtype);
  const acc = newStats();
  for (let e0 = 0; e0 < n; e0 += per) {
    const m = Math.min(per, n - e0);
    await engine.stats({ bytes: slice(a, dtype, e0, m), dtype, count: m }, acc);
  }
}

/** BF16 bits of f32 values, round to nearest even (finite inputs). */
function bf16Of(values: Float32Array): Uint8Array {
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const b = u[i] as number;
    out[i] = ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return new Uint8Array(out.buffer);
}

/** GGUF-vs-safetensors pairs: Q8_0 of the BF16 weights, and Q4_K blocks against a BF16 copy within a step. */
export function ggufPairs(bf16: Uint8Array): { q8: Uint8Array; q4k: Uint8Array; q4kBf16: Uint8Array } {
  const n = bf16.byteLength / 2;
  const x = new Float32Array(decodeChunk(bf16, 'BF16', n).values);
  const q8 = quantizeQ8_0(x);
  const q4k = quantBlocks('Q4_K', n / 256, 0x4b, 'weights');
  const d = decodeChunk(q4k, 'Q4_K', n);
  const steps = d.steps ?? new Float32Array(n);
  const next = rng(0x4c);
  const near = Float32Array.from(d.values, (v, i) => v + ((next() / 4294967296) * 2 - 1) * 0.4 * (steps[i] as number));
  return { q8, q4k, q4kBf16: bf16Of(near) };
}

/** BF16 diff, BF16 stats and an F32-vs-F16 cast diff through both engines (after a warm-up). */
/** Runs every row (or those whose name contains `only`) through both engines; returns the figures. */
export async function benchEngines(gpu: WebGpuEngine, mibPerSide: number, log: (row: BenchRow) => void = () => {}, only = ''): Promise<BenchRow[]> {
  const cpu = new CpuEngine();
  const { a, b } = calibrationPair(mibPerSide * 1024 * 1024);
  const f32 = new Float32Array(decodeChunk(a, 'BF16', a.byteLength / 2).values);
  const f32Bytes = new Uint8Array(f32.buffer);
  const f16Bytes = castFrom(f32, 'F16');
  const gguf = ggufPairs(a);
  const warm = calibrationPair(64 * 1024);
  const warmGguf = ggufPairs(warm.a);
  for (const e of [gpu, cpu]) {
    await diffAll(e, 'BF16', 'BF16', warm.a, warm.b, 1024);
    await statsAll(e, 'BF16', warm.a);
    await diffAll(e, 'F32', 'F16', new Uint8Array(new Float32Array(32 * 1024).buffer), new Uint8Array(64 * 1024), 1024);
    await diffAll(e, 'BF16', 'Q8_0', warm.a, warmGguf.q8, 1024);
    await diffAll(e, 'BF16', 'Q4_K', warmGguf.q4kBf16, warmGguf.q4k, 1024);
  }
  const rows: BenchRow[] = [];
  const jobs: [string, number, (e: ComputeEngine) => Promise<void>][] = [
    ['BF16 diff', a.byteLength + b.byteLength, (e) => diffAll(e, 'BF16', 'BF16', a, b, 1024)],
    ['BF16 stats', a.byteLength, (e) => statsAll(e, 'BF16', a)],
    ['F32 vs F16 cast diff', f32Bytes.byteLength + f16Bytes.byteLength, (e) => diffAll(e, 'F32', 'F16', f32Bytes, f16Bytes, 1024)],
    ['BF16 vs Q8_0 dequant+diff', a.byteLength + gguf.q8.byteLength, (e) => diffAll(e, 'BF16', 'Q8_0', a, gguf.q8, 1024)],
    ['BF16 vs Q4_K dequant+diff', gguf.q4kBf16.byteLength + gguf.q4k.byteLength, (e) => diffAll(e, 'BF16', 'Q4_K', gguf.q4kBf16, gguf.q4k, 1024)],
  ];
  for (const [what, bytes, run] of jobs.filter(([what]) => what.includes(only))) {
    for (const [name, e] of [
      ['cpu', cpu],
      ['webgpu', gpu],
    ] as const) {
      // Best of two: the first pass also pays JIT and allocator warm-up.
      const ms = Math.min(await timeIt(() => run(e)), await timeIt(() => run(e)));
      const row = { what, engine: name, mbps: bytes / 1e6 / (ms / 1000), ms };
      rows.push(row);
      log(row);
    }
  }
  return rows;
}

export function formatRow(r: BenchRow): string {
  return `${r.what.padEnd(26)} ${r.engine.padEnd(7)} ${r.mbps.toFixed(1).padStart(8)} MB/s  (${r.ms.toFixed(0)} ms)`;
}

// Node entry point (tsx): WebGPU through Dawn.
if (typeof process !== 'undefined' && process.argv[1] !== undefined && /bench\.ts$/.test(process.argv[1])) {
  const { createNodeWebGpuEngineRaw } = await import('../../src/cli/node-webgpu.ts');
  const gpu = await createNodeWebGpuEngineRaw();
  const mib = Number(process.argv[2] ?? 32);
  // Optional third argument: only the rows whose name contains it (e.g. "Q4_K").
  console.log(`adapter: ${gpu.adapter.description}; ${mib} MiB per side in 8 MiB chunks`);
  await benchEngines(gpu, mib, (r) => console.log(formatRow(r)), process.argv[3] ?? '');
  gpu.dispose();
}
