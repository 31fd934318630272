/**
 * Raw-deflate decompression (RFC 1951, ZIP method 8) with an output cap, on the platform's
 * `DecompressionStream('deflate-raw')` (Chromium ≥ 103, Node ≥ 20): no dependency, and the same
 * code in the browser, in workers and in the CLI.
 *
 * Compressed bytes are pulled from the ByteSource in chunks and inflated output is consumed as it
 * appears, so a decompression bomb (CWE-409) costs at most `maxOutput` bytes of memory: the stream
 * is cancelled as soon as the cap would be passed. `prefix` mode stops after the first
 * `maxOutput` bytes instead of failing (enough to read an .npy header out of a compressed .npz).
 */
import { SleuthError } from '../errors.ts';
import type { ByteSource } from '../../io/byte-source.ts';

const IN_CHUNK = 256 * 1024;
/** Smallest compressed chunk fed at once. */
const MIN_IN_CHUNK = 4 * 1024;
/** Deflate's largest expansion: 258 bytes out per ~2 bits in, about 1032:1. */
const MAX_DEFLATE_RATIO = 1032;

export interface InflateResult {
  bytes: Uint8Array;
  /** False when `prefix` mode stopped before the end of the stream. */
  complete: boolean;
}

export async function inflateRange(
  source: ByteSource,
  offset: number,
  compressedLength: number,
  opts: { maxOutput: number; prefix?: boolean; what: string },
): Promise<InflateResult> {
  const ds = new DecompressionStream('deflate-raw');
  const writer = ds.writable.getWriter();
  const reader = ds.readable.getReader();
  let stop = false;
  let total = 0;
  // Feed compressed chunks while the consumer drains output; backpressure keeps memory bounded.
  // A platform inflater may expand a whole input chunk at once (Chromium does), so each chunk is
  // sized to what may still come out: a bomb declaring 200 bytes gets a few KiB of input at a
  // time, not 256 KiB that expand to 250 MB before the cap is seen.
  const feed = (async (): Promise<void> => {
    try {
      for (let done = 0; done < compressedLength && !stop; ) {
        const allowed = Math.max(0, opts.maxOutput - total);
        const sized = Math.max(MIN_IN_CHUNK, Math.ceil(allowed / MAX_DEFLATE_RATIO) + 1);
        const n = Math.min(IN_CHUNK, sized, compressedLength - done);
        const chunk = await source.read(offset + done, n);
        // The stream API wants a view of a plain ArrayBuffer (not a SharedArrayBuffer).
        await writer.write(chunk.buffer instanceof ArrayBuffer ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : chunk.slice());
        done += n;
      }
      if (!stop) await writer.close();
    } catch {
      // The readable side reports the failure (corrupt data) or was cancelled on purpose.
    }
  })();

  const parts: Uint8Array[] = [];
  let complete = true;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (total + value.byteLength > opts.maxOutput) {
        if (opts.prefix) {
          parts.push(value.subarray(0, opts.maxOutput - total));
          total = opts.maxOutput;
          complete = false;
          break;
        }
        stop = true;
        throw new SleuthError('zip_member_too_large', `${opts.what} inflates to more than ${opts.maxOutput} bytes; expected at most that (decompression-bomb guard)`, {
          offset,
          file: source.path,
        });
      }
      parts.push(value);
      total += value.byteLength;
    }
  } catch (e) {
    stop = true;
    await reader.cancel().catch(() => undefined);
    await writer.abort().catch(() => undefined);
    await feed;
    if (e instanceof SleuthError) throw e;
    throw new SleuthError('zip_inflate_failed', `${opts.what} is not valid deflate data (${e instanceof Error ? e.message : String(e)}); expected a raw deflate stream (ZIP method 8)`, {
      offset,
      file: source.path,
      cause: e,
    });
  }
  if (!complete) {
    stop = true;
    await reader.cancel().catch(() => undefined);
    await writer.abort().catch(() => undefined);
  }
  await feed;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return { bytes: out, complete };
}
