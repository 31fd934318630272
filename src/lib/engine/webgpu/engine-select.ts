/**
 * Engine choice once a WebGPU device exists (DESIGN.md "Engines"): a hardware adapter is used; on
 * a software adapter (SwiftShader, llvmpipe, WARP — WebGPU run by the CPU) both engines are timed
 * on the same short BF16 diff and the faster one is kept, with a note saying which and why.
 * `'webgpu'` forces the GPU regardless.
 */
import { CpuEngine, type ComputeEngine } from '../engine.ts';
import { newDiff } from '../diff.ts';
import { newStats } from '../stats.ts';
import type { EngineRequest } from '../../../workers/worker-api.ts';
import type { WebGpuEngine } from './webgpu-engine.ts';

/**
 * Raw bytes per side of the calibration diff: a 1024 × 1024 BF16 tensor pair. Large enough that
 * per-call costs (buffers, submission, readback, host merge) weigh about as they do on the jobs'
 * 8 MiB chunks; small because every worker calibrates and SwiftShader runs this diff at only
 * ~10–20 MB/s (measured: 4 MiB cost ≈ 1 s per worker on a 2-core machine, on top of ≈ 1–2 s of
 * kernel compilation).
 */
export const CALIBRATION_BYTES = 2 * 1024 * 1024;

export interface EngineChoice {
  engine: ComputeEngine;
  note?: string;
}

export interface Throughput {
  /** MB/s of raw input bytes (both sides) through `diff`. */
  cpu: number;
  /** The same on WebGPU — an upper bound when `gpuBound` (see measureDiffThroughput). */
  gpu: number;
  gpuBound: boolean;
}

/** A BF16 weight-like tensor and a lightly edited copy (every element's low mantissa bits perturbed). */
export function calibrationPair(bytes = CALIBRATION_BYTES): { a: Uint8Array; b: Uint8Array; shape: number[] } {
  const count = bytes / 2;
  const a = new Uint16Array(count);
  const b = new Uint16Array(count);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  let s = 0x9e3779b9;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  for (let i = 0; i < count; i++) {
    f[0] = ((next() / 4294967296) - 0.5) * 0.08;
    const h = ((u[0] as number) >>> 16) & 0xffff;
    a[i] = h;
    b[i] = h ^ (next() & 3);
  }
  return { a: new Uint8Array(a.buffer), b: new Uint8Array(b.buffer), shape: [count / 1024, 1024] };
}

async function timeDiff(engine: ComputeEngine, a: Uint8Array, b: Uint8Array, shape: number[]): Promise<number> {
  const count = a.byteLength / 2;
  const t0 = performance.now();
  await engine.diff({ bytes: a, dtype: 'BF16', count }, { bytes: b, dtype: 'BF16', count }, 0, newDiff('BF16', 'BF16', shape), newStats(), newStats());
  return Math.max(performance.now() - t0, 0.001);
}

async function timeStats(engine: ComputeEngine, a: Uint8Array): Promise<number> {
  const t0 = performance.now();
  await engine.stats({ bytes: a, dtype: 'BF16', count: a.byteLength / 2 }, newStats());
  return Math.max(performance.now() - t0, 0.001);
}

const rate = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

/**
 * Times the same BF16 diff through both engines, after a small warm-up that compiles the kernels.
 * Shortcut: a WebGPU diff includes a statistics pass over each side, so when WebGPU's statistics
 * of side A alone take longer than the CPU's whole diff, WebGPU cannot win — the diff kernel is
 * then neither compiled nor timed, and `gpu` is only an upper bound (`gpuBound`).
 */
export async function measureDiffThroughput(gpu: WebGpuEngine, cpu: ComputeEngine, bytes = CALIBRATION_BYTES): Promise<Throughput> {
  const warm = calibrationPair(64 * 1024);
  const { a, b, shape } = calibrationPair(bytes);
  const total = a.byteLength + b.byteLength;
  // The CPU side is JIT-compiled: its first runs are several times slower than its steady state
  // (measured in a fresh worker: 156 ms, then ~15 ms, for this diff). The best of three runs after
  // a warm-up is its rate on a model's thousands of chunks.
  await timeDiff(cpu, warm.a, warm.b, warm.shape);
  let cpuMs = Infinity;
  for (let i = 0; i < 3; i++) cpuMs = Math.min(cpuMs, await timeDiff(cpu, a, b, shape));
  await timeStats(gpu, warm.a);
  const statsMs = await timeStats(gpu, a);
  if (statsMs >= cpuMs) return { cpu: rate(total, cpuMs), gpu: rate(total, statsMs), gpuBound: true };
  await timeDiff(gpu, warm.a, warm.b, warm.shape);
  const gpuMs = await timeDiff(gpu, a, b, shape);
  return { cpu: rate(total, cpuMs), gpu: rate(total, gpuMs), gpuBound: false };
}

const mbps = (x: number): string => `${x.toFixed(0)} MB/s`;

/**
 * Applies the engine request to a ready WebGPU engine. When the CPU engine wins, the GPU device is
 * released before returning.
 */
export async function chooseEngine(gpu: WebGpuEngine, request: EngineRequest): Promise<EngineChoice> {
  if (request === 'webgpu') {
    return gpu.adapter.isSoftware ? { engine: gpu, note: `WebGPU engine (forced) on a software adapter: ${gpu.adapter.description}` } : { engine: gpu };
  }
  if (!gpu.adapter.isSoftware) return { engine: gpu };
  const cpu = new CpuEngine();
  let rates: Throughput;
  try {
    rates = await measureDiffThroughput(gpu, cpu);
  } catch (e) {
    gpu.dispose();
    return { engine: cpu, note: `WebGPU calibration failed on ${gpu.adapter.description} (${(e as Error).message}); used the CPU engine` };
  }
  const size = `${CALIBRATION_BYTES / 1024 / 1024} MiB BF16`;
  const how = rates.gpuBound
    ? `a ${size} diff ran at ${mbps(rates.cpu)} on the CPU, while WebGPU's statistics pass alone was slower (at most ${mbps(rates.gpu)})`
    : `a ${size} diff ran at ${mbps(rates.gpu)} on WebGPU vs ${mbps(rates.cpu)} on the CPU`;
  if (!rates.gpuBound && rates.gpu > rates.cpu) {
    return { engine: gpu, note: `WebGPU engine on a software adapter (${gpu.adapter.description}): ${how}` };
  }
  gpu.dispose();
  return { engine: cpu, note: `CPU engine: the WebGPU adapter is a software renderer (${gpu.adapter.description}) and ${how}` };
}
