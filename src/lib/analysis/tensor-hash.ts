/**
 * SHA-256 of a tensor's raw bytes, fed chunk by chunk as the tensor streams. Two ways, one result:
 * - streamed through the platform's incremental hasher (node:crypto in the CLI; hash-wasm in the
 *   browser for tensors too big to buffer);
 * - buffered and digested at once by a native one-shot (WebCrypto in the browser) for tensors up
 *   to `OneShotSha256.maxBytes`. In the browser this moves about half the hashing off WebAssembly
 *   (the whole-file hashes must stream, so they stay there) onto SHA-NI on WebCrypto's thread.
 *
 * Digests of buffered tensors complete asynchronously while the job streams on (run-job.ts waits
 * for them before it returns). Memory stays bounded: buffers are recycled, and a new digest waits while the
 * bytes handed to WebCrypto and not yet digested exceed twice the buffer cap.
 */
import { SleuthError } from '../formats/errors.ts';
import type { OneShotSha256, Sha256, Sha256Factory } from '../evidence/sha256.ts';

export interface TensorHash {
  update(bytes: Uint8Array): void;
  /** An independent hash in the same state (two identical streams parting ways). */
  fork(): Promise<TensorHash>;
  /** Ends the hash. The hex digest may arrive after the caller moved on to the next tensor. */
  digest(): Promise<string>;
}

/** Streamed: the platform's incremental SHA-256. */
class StreamedHash implements TensorHash {
  constructor(private readonly h: Sha256) {}
  update(bytes: Uint8Array): void {
    this.h.update(bytes);
  }
  async fork(): Promise<TensorHash> {
    return new StreamedHash(await this.h.clone());
  }
  digest(): Promise<string> {
    return Promise.resolve(this.h.digestHex());
  }
}

/** Buffered: chunks copied into one buffer of the tensor's size, digested at once at the end. */
class BufferedHash implements TensorHash {
  private filled = 0;
  private ended = false;
  constructor(
    private readonly owner: TensorHasher,
    private readonly buf: Uint8Array,
  ) {}
  update(bytes: Uint8Array): void {
    if (this.ended || this.filled + bytes.byteLength > this.buf.byteLength) {
      throw new SleuthError('internal_error', `Tensor hash fed ${this.filled + bytes.byteLength} bytes into a ${this.buf.byteLength}-byte buffer${this.ended ? ' after its digest' : ''}`);
    }
    this.buf.set(bytes, this.filled);
    this.filled += bytes.byteLength;
  }
  fork(): Promise<TensorHash> {
    const copy = new BufferedHash(this.owner, this.owner.take(this.buf.byteLength));
    copy.update(this.buf.subarray(0, this.filled));
    return Promise.resolve(copy);
  }
  digest(): Promise<string> {
    this.ended = true;
    return this.owner.digestOnce(this.buf, this.filled);
  }
}

/** One job's tensor hashes: picks the way per tensor, recycles buffers, tracks pending digests. */
export class TensorHasher {
  private readonly spare: ArrayBuffer[] = [];
  private inFlight: { bytes: number; done: Promise<unknown> }[] = [];
  constructor(
    private readonly streaming: Sha256Factory,
    private readonly oneShot?: OneShotSha256,
  ) {}

  /** A hash for a tensor of `byteLength` stored bytes. */
  async open(byteLength: number): Promise<TensorHash> {
    if (this.oneShot && byteLength > 0 && byteLength <= this.oneShot.maxBytes) return new BufferedHash(this, this.take(byteLength));
    return new StreamedHash(await this.streaming());
  }

  /** A buffer of at least `bytes` (the smallest recycled one that fits), viewed at exactly `bytes`. */
  take(bytes: number): Uint8Array {
    const i = this.spare.findIndex((b) => b.byteLength >= bytes);
    const buf = i >= 0 ? (this.spare.splice(i, 1)[0] as ArrayBuffer) : new ArrayBuffer(bytes);
    return new Uint8Array(buf, 0, bytes);
  }

  async digestOnce(buf: Uint8Array, length: number): Promise<string> {
    const once = this.oneShot as OneShotSha256;
    // Bound the bytes WebCrypto holds copies of: wait for older digests when over budget.
    while (this.inFlight.length > 0 && this.inFlight.reduce((s, x) => s + x.bytes, 0) + length > 2 * once.maxBytes) {
      await (this.inFlight[0] as (typeof this.inFlight)[number]).done;
    }
    const digest = once.digestHex(buf.subarray(0, length));
    // WebCrypto copied the bytes on the call: the buffer is free for the next tensor.
    this.recycle(buf.buffer as ArrayBuffer);
    const entry = { bytes: length, done: digest.catch(() => undefined) };
    this.inFlight.push(entry);
    void entry.done.then(() => (this.inFlight = this.inFlight.filter((x) => x !== entry)));
    return digest;
  }

  /** Keeps the two largest spare buffers (one per side of the next pair); the rest go to the GC. */
  private recycle(buf: ArrayBuffer): void {
    this.spare.push(buf);
    this.spare.sort((x, y) => x.byteLength - y.byteLength);
    if (this.spare.length > 2) this.spare.splice(0, this.spare.length - 2);
  }
}
