/**
 * Throughput of the WebGPU engine against the CPU twin, measured in the same run on the same bytes
 * (8 MiB chunks, as the streaming jobs send them). Used by the Node benchmark script below and by
 * tests/browser/engine-bench.test.ts.
 *
 *   npx tsx tests/engine-cases/bench.ts [MiB per side, default 32]
 */
import type { DType } from '../../src/lib/formats/dtype.ts';
import { CpuEngine, type ComputeEngine } from '../../src/lib/engine/engine.ts';
import { newDiff } from '../../src/lib/engine/diff.ts';
import { newStats } from '../../src/lib/engine/stats.ts';
import { calibrationPair } from '../../src/lib/engine/webgpu/engine-select.ts';
import type { WebGpuEngine } from '../../src/lib/engine/webgpu/webgpu-engine.ts';
import { castFrom, elemSize } from './data.ts';
import { decodeChunk } from '../../src/lib/engine/cpu/decode.ts';

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

async function diffAll(engine: ComputeEngine, dtypeA: DType, dtypeB: DType, a: Uint8Array, b: Uint8Array, rowLength: number): Promise<void> {
  const sa = elemSize(dtypeA);
  const sb = elemSize(dtypeB);
  const n = a.byteLength / sa;
  const per = CHUNK_BYTES / Math.max(sa, sb);
  const acc = newDiff(dtypeA, dtypeB, [n / rowLength, rowLength]);
  const statsA = newStats();
  const statsB = newStats();
  for (let e0 = 0; e0 < n; e0 += per) {
    const m = Math.min(per, n - e0);
    await engine.diff({ bytes: a.subarray(e0 * sa, (e0 + m) * sa), dtype: dtypeA, count: m }, { bytes: b.subarray(e0 * sb, (e0 + m) * sb), dtype: dtypeB, count: m }, e0, acc, statsA, statsB);
  }
}

async function statsAll(engine: ComputeEngine, dtype: DType, a: Uint8Array): Promise<void> {
  const s = elemSize(dtype);
  const n = a.byteLength / s;
  const per = CHUNK_BYTES / s;
  const acc = newStats();
  for (let e0 = 0; e0 < n; e0 += per) {
    const m = Math.min(per, n - e0);
    await engine.stats({ bytes: a.subarray(e0 * s, (e0 + m) * s), dtype, count: m }, acc);
  }
}

/** BF16 diff, BF16 stats and an F32-vs-F16 cast diff through both engines (after a warm-up). */
export async function benchEngines(gpu: WebGpuEngine, mibPerSide: number, log: (row: BenchRow) => void = () => {}): Promise<BenchRow[]> {
  const cpu = new CpuEngine();
  const { a, b } = calibrationPair(mibPerSide * 1024 * 1024);
  const f32 = new Float32Array(decodeChunk(a, 'BF16', a.byteLength / 2).values);
  const f32Bytes = new Uint8Array(f32.buffer);
  const f16Bytes = castFrom(f32, 'F16');
  const warm = calibrationPair(64 * 1024);
  for (const e of [gpu, cpu]) {
    await diffAll(e, 'BF16', 'BF16', warm.a, warm.b, 1024);
    await statsAll(e, 'BF16', warm.a);
    await diffAll(e, 'F32', 'F16', new Uint8Array(new Float32Array(32 * 1024).buffer), new Uint8Array(64 * 1024), 1024);
  }
  const rows: BenchRow[] = [];
  const jobs: [string, number, (e: ComputeEngine) => Promise<void>][] = [
    ['BF16 diff', a.byteLength + b.byteLength, (e) => diffAll(e, 'BF16', 'BF16', a, b, 1024)],
    ['BF16 stats', a.byteLength, (e) => statsAll(e, 'BF16', a)],
    ['F32 vs F16 cast diff', f32Bytes.byteLength + f16Bytes.byteLength, (e) => diffAll(e, 'F32', 'F16', f32Bytes, f16Bytes, 1024)],
  ];
  for (const [what, bytes, run] of jobs) {
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
  return `${r.what.padEnd(22)} ${r.engine.padEnd(7)} ${r.mbps.toFixed(1).padStart(8)} MB/s  (${r.ms.toFixed(0)} ms)`;
}

// Node entry point (tsx): WebGPU through Dawn.
if (typeof process !== 'undefined' && process.argv[1] !== undefined && /bench\.ts$/.test(process.argv[1])) {
  const { createNodeWebGpuEngineRaw } = await import('../../src/cli/node-webgpu.ts');
  const gpu = await createNodeWebGpuEngineRaw();
  const mib = Number(process.argv[2] ?? 32);
  console.log(`adapter: ${gpu.adapter.description}; ${mib} MiB per side in 8 MiB chunks`);
  await benchEngines(gpu, mib, (r) => console.log(formatRow(r)));
  gpu.dispose();
}
