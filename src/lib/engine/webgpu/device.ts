/**
 * Device acquisition and the one failure path of the WebGPU engine (webgpu-samples habit: device
 * loss and uncaptured errors are a normal, visible outcome, not a crash).
 *
 * - `acquireGpuDevice` asks for an adapter and a device with the largest storage-binding and
 *   buffer sizes the adapter offers (capped, see MAX_REQUESTED_BINDING_BYTES); tiles are then sized
 *   from `device.limits`.
 * - `GpuFailureWatch` turns `device.lost`, `onuncapturederror` and error scopes into SleuthErrors:
 *   `gpu_device_lost`, `gpu_out_of_memory`, or `internal_error` for a validation error (our bug).
 *   Once failed, every later call rejects with the same error, and a pending readback is raced
 *   against the failure so it cannot hang.
 */
import { SleuthError } from '../../formats/errors.ts';

/**
 * Largest storage binding / buffer we ask for. Tiles are far smaller by default (64 MiB per side),
 * but a caller may raise the tile size on a big GPU; 1 GiB is what SwiftShader and most desktop
 * GPUs offer, and more would only hold more of one tensor at a time.
 */
const MAX_REQUESTED_BINDING_BYTES = 1024 * 1024 * 1024;

/** Adapter names of software rasterisers (CPU-backed WebGPU): SwiftShader, llvmpipe/lavapipe, WARP. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render|warp/i;

export interface GpuAdapterSummary {
  /** Human-readable adapter name for notes and reports. */
  description: string;
  /** A CPU-backed adapter (fallback adapter or a known software rasteriser). */
  isSoftware: boolean;
}

export interface AcquiredGpu {
  adapter: GPUAdapter;
  device: GPUDevice;
  summary: GpuAdapterSummary;
}

export function summariseAdapter(adapter: GPUAdapter): GpuAdapterSummary {
  const info = adapter.info;
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => typeof s === 'string' && s.length > 0);
  const description = parts.length > 0 ? [...new Set(parts)].join(' / ') : 'unknown adapter';
  // `isFallbackAdapter` moved from GPUAdapter to GPUAdapterInfo; read both (older Dawn/Chromium).
  const legacy = (adapter as unknown as { isFallbackAdapter?: unknown }).isFallbackAdapter;
  const fallback = info.isFallbackAdapter === true || legacy === true;
  return { description, isSoftware: fallback || SOFTWARE_ADAPTER.test(description) };
}

export async function acquireGpuDevice(gpu: GPU): Promise<AcquiredGpu> {
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    throw new SleuthError('gpu_unavailable', `Requesting a WebGPU adapter failed: ${(e as Error).message}`, { cause: e });
  }
  if (adapter === null) throw new SleuthError('gpu_unavailable', 'No WebGPU adapter is available on this system');
  const summary = summariseAdapter(adapter);
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: Math.min(adapter.limits.maxStorageBufferBindingSize, MAX_REQUESTED_BINDING_BYTES),
    maxBufferSize: Math.min(adapter.limits.maxBufferSize, MAX_REQUESTED_BINDING_BYTES),
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, label: 'model-sleuth' });
  } catch (e) {
    throw new SleuthError('gpu_unavailable', `Requesting a WebGPU device on ${summary.description} failed: ${(e as Error).message}`, { cause: e });
  }
  return { adapter, device, summary };
}

function isOutOfMemory(error: GPUError): boolean {
  return typeof GPUOutOfMemoryError !== 'undefined' ? error instanceof GPUOutOfMemoryError : error.constructor.name === 'GPUOutOfMemoryError';
}

/** The SleuthError for a GPUError surfaced by an error scope or `uncapturederror`. */
export function sleuthErrorOfGpuError(error: GPUError, what: string): SleuthError {
  if (isOutOfMemory(error)) return new SleuthError('gpu_out_of_memory', `The GPU ran out of memory during ${what}: ${error.message}`);
  return new SleuthError('internal_error', `WebGPU rejected ${what}: ${error.message}`);
}

export class GpuFailureWatch {
  private failure: SleuthError | undefined;
  private readonly waiters = new Set<(e: SleuthError) => void>();
  private disposed = false;

  constructor(device: GPUDevice, private readonly adapterName: string) {
    void device.lost.then((info) => {
      if (this.disposed && info.reason === 'destroyed') return;
      this.fail(new SleuthError('gpu_device_lost', `The GPU device (${adapterName}) was lost${info.reason === 'destroyed' ? ' (destroyed)' : ''}: ${info.message || 'no reason given'}`));
    });
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.fail(sleuthErrorOfGpuError(ev.error, 'a GPU command'));
    };
  }

  /** Records the first failure and wakes every pending readback. */
  fail(error: SleuthError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (const w of this.waiters) w(error);
    this.waiters.clear();
  }

  get failed(): SleuthError | undefined {
    return this.failure;
  }

  /** Throws the recorded failure, if any. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Resolves like `p`, or rejects with the failure if the device fails first. */
  guard<T>(p: Promise<T>): Promise<T> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const onFail = (e: SleuthError): void => reject(e);
      this.waiters.add(onFail);
      p.then(
        (v) => {
          this.waiters.delete(onFail);
          resolve(v);
        },
        (e: unknown) => {
          this.waiters.delete(onFail);
          // A rejected mapAsync after loss is the loss, not a separate bug.
          reject(this.failure ?? new SleuthError('gpu_device_lost', `A GPU operation on ${this.adapterName} failed: ${(e as Error).message}`, { cause: e }));
        },
      );
    });
  }

  /** Marks the coming `device.destroy()` as ours (not a loss to report). */
  markDisposed(): void {
    this.disposed = true;
  }
}
