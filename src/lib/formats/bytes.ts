/**
 * Byte-level helpers shared by the readers: unaligned little-endian reads (real files put tensors
 * at offsets a TypedArray view cannot start at — safetensors samples with 526-byte headers) and the
 * one length check every count/size read from a file goes through.
 */
import { SleuthError, type ErrorCode } from './errors.ts';

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Checks a length or count read from a file against its cap and against the bytes that remain,
 * *before* anything is allocated. 64-bit values stay bigint until this checked conversion.
 * `unit` is the size of one counted item in bytes (1 for byte lengths).
 */
export function checkedLength(
  value: bigint | number,
  opts: { cap: number; remaining: number; unit?: number; what: string; offset: number; file?: string; code?: ErrorCode; capCode?: ErrorCode },
): number {
  const v = typeof value === 'bigint' ? value : BigInt(value);
  const unit = BigInt(opts.unit ?? 1);
  const fileOpt = opts.file === undefined ? {} : { file: opts.file };
  if (v < 0n) {
    throw new SleuthError(opts.capCode ?? opts.code ?? 'truncated', `${opts.what} is negative (${v}); expected a non-negative length`, { offset: opts.offset, ...fileOpt });
  }
  if (v > BigInt(opts.cap)) {
    throw new SleuthError(opts.capCode ?? opts.code ?? 'truncated', `${opts.what} is ${v}, over the cap of ${opts.cap}`, { offset: opts.offset, ...fileOpt });
  }
  if (v * unit > BigInt(opts.remaining)) {
    throw new SleuthError(opts.code ?? 'truncated', `${opts.what} needs ${v * unit} bytes but only ${opts.remaining} remain in the file`, { offset: opts.offset, ...fileOpt });
  }
  return Number(v);
}

/** Exact conversion of a file-derived bigint to number; throws when it exceeds 2^53. */
export function toSafeNumber(value: bigint, what: string, offset: number, code: ErrorCode, file?: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < 0n) {
    throw new SleuthError(code, `${what} (${value}) is outside the range this reader can address (0 … 2^53)`, { offset, ...(file === undefined ? {} : { file }) });
  }
  return Number(value);
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
/** Strict UTF-8 decode; returns undefined on invalid sequences (callers raise their own code). */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] as number).toString(16).padStart(2, '0');
  return s;
}

const nodeBuffer = (globalThis as { Buffer?: { compare(a: Uint8Array, b: Uint8Array): number } }).Buffer;

/** True when both ranges hold the same bytes; compared 32 bits at a time where alignment allows. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  // Node: memcmp through Buffer (≈ 10 GB/s); browsers fall through to the word loop (≈ 3 GB/s).
  if (nodeBuffer) return nodeBuffer.compare(a, b) === 0;
  const n = a.byteLength;
  let i = 0;
  if ((a.byteOffset & 3) === 0 && (b.byteOffset & 3) === 0) {
    const words = n >>> 2;
    const ia = new Int32Array(a.buffer, a.byteOffset, words);
    const ib = new Int32Array(b.buffer, b.byteOffset, words);
    for (let w = 0; w < words; w++) if (ia[w] !== ib[w]) return false;
    i = words * 4;
  }
  for (; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
