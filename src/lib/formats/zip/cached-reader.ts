/**
 * Small reads through a block cache. Readers of archives and pickles make thousands of tiny reads
 * (a 30-byte local header per member, a few bytes per opcode); going to the ByteSource for each is
 * a syscall (Node) or a Blob slice (browser) every time. Reads are served from a few cached blocks
 * of `blockSize` bytes; a read larger than a block goes straight to the source. Memory stays at
 * `blockSize × maxBlocks` whatever the file size.
 */
import type { ByteSource } from '../../io/byte-source.ts';

export class CachedReader {
  private readonly blocks = new Map<number, Uint8Array>();

  constructor(
    readonly source: ByteSource,
    private readonly blockSize = 64 * 1024,
    private readonly maxBlocks = 4,
  ) {}

  get size(): number {
    return this.source.size;
  }

  /** Exactly `length` bytes at `offset` (throws `truncated` past the end, as ByteSource does). */
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (length > this.blockSize || offset + length > this.source.size) return this.source.read(offset, length);
    const first = Math.floor(offset / this.blockSize);
    const last = Math.floor((offset + length - 1) / this.blockSize);
    if (length === 0) return new Uint8Array(0);
    if (first === last) {
      const b = await this.block(first);
      const at = offset - first * this.blockSize;
      return b.subarray(at, at + length);
    }
    const out = new Uint8Array(length);
    let done = 0;
    for (let k = first; k <= last; k++) {
      const b = await this.block(k);
      const start = k === first ? offset - k * this.blockSize : 0;
      const take = Math.min(b.length - start, length - done);
      out.set(b.subarray(start, start + take), done);
      done += take;
    }
    return out;
  }

  /** The bytes when they are already cached (no promise, no I/O); undefined otherwise. */
  tryRead(offset: number, length: number): Uint8Array | undefined {
    if (length === 0 || length > this.blockSize || offset + length > this.source.size) return undefined;
    const index = Math.floor(offset / this.blockSize);
    if (Math.floor((offset + length - 1) / this.blockSize) !== index) return undefined;
    const b = this.blocks.get(index);
    if (!b) return undefined;
    const at = offset - index * this.blockSize;
    return b.subarray(at, at + length);
  }

  private async block(index: number): Promise<Uint8Array> {
    const hit = this.blocks.get(index);
    if (hit) {
      // Refresh LRU order.
      this.blocks.delete(index);
      this.blocks.set(index, hit);
      return hit;
    }
    const start = index * this.blockSize;
    const len = Math.min(this.blockSize, this.source.size - start);
    const b = await this.source.read(start, len);
    if (this.blocks.size >= this.maxBlocks) {
      const oldest = this.blocks.keys().next();
      if (!oldest.done) this.blocks.delete(oldest.value);
    }
    this.blocks.set(index, b);
    return b;
  }
}
