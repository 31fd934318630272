/**
 * Random-access, read-only view of one input file. Everything downstream reads byte ranges
 * through this interface, so nothing ever needs a whole file in memory, and the same readers run
 * over a browser `File`, a Node file handle, or bytes built in a test.
 */
import { SleuthError } from '../formats/errors.ts';

export interface ByteSource {
  /** Path relative to the model's root folder, POSIX separators ("shards/model-00001-of-00003.safetensors"). */
  readonly path: string;
  readonly size: number;
  /** Milliseconds since the epoch, when the platform knows it. */
  readonly lastModified?: number;
  /**
   * Exactly `length` bytes starting at `offset`. Reading past the end throws `truncated`.
   * The returned array may be a view into a larger buffer; never assume byteOffset alignment.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases OS handles (Node); a no-op elsewhere. */
  close?(): Promise<void>;
  /**
   * The caller is done with `bytes` (returned by `read`) and holds no other view of them: the
   * source may reuse their memory for a later read. Optional; ignored for memory it does not own.
   */
  release?(bytes: Uint8Array): void;
}

export function checkRange(source: { path: string; size: number }, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new SleuthError('internal_error', `Invalid read of ${length} bytes at ${offset} in ${source.path}`, { file: source.path });
  }
  if (offset + length > source.size) {
    throw new SleuthError('truncated', `Read of ${length} bytes at byte ${offset} runs past the end of the file (${source.size} bytes)`, {
      offset,
      file: source.path,
    });
  }
}

/**
 * Read buffers handed back through `ByteSource.release`, reused for later reads: a fresh 8 MiB
 * buffer per read costs zeroing and page faults (measured in Chromium on a 1.3 GB file: 2.4–3.1
 * CPU-seconds with a new buffer per read vs 1.5 with reuse). Only buffers the source lent out
 * whole, and not since taken back or kept elsewhere, qualify; a second release is ignored.
 */
export class ReadBuffers {
  private readonly lent = new WeakSet<ArrayBuffer>();
  private readonly spare: ArrayBuffer[] = [];
  constructor(private readonly maxSpare = 1) {}

  /** A buffer of at least `length` bytes (a spare one up to twice that size, else a new one). */
  take(length: number): ArrayBuffer {
    const i = this.spare.findIndex((b) => b.byteLength >= length && b.byteLength <= 2 * length);
    return i >= 0 ? (this.spare.splice(i, 1)[0] as ArrayBuffer) : new ArrayBuffer(length);
  }

  /** `buffer` now belongs to a caller, who may release it. */
  lend(buffer: ArrayBuffer): void {
    this.lent.add(buffer);
  }

  /** `buffer` is kept by the source itself (a cache): never recycled. */
  keep(buffer: ArrayBuffer): void {
    this.lent.delete(buffer);
  }

  release(bytes: Uint8Array): void {
    const buffer = bytes.buffer as ArrayBuffer;
    if (bytes.byteOffset !== 0 || !this.lent.has(buffer) || this.spare.length >= this.maxSpare) return;
    this.lent.delete(buffer);
    this.spare.push(buffer);
  }
}

/** Bytes held in memory: tests, fixtures built on the fly, the demo case. */
export class MemorySource implements ByteSource {
  readonly size: number;
  readonly lastModified?: number;
  constructor(
    readonly path: string,
    private readonly bytes: Uint8Array,
    lastModified?: number,
  ) {
    this.size = bytes.byteLength;
    if (lastModified !== undefined) this.lastModified = lastModified;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    try {
      checkRange(this, offset, length);
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve(this.bytes.subarray(offset, offset + length));
  }
}

/**
 * Read-ahead windows for Blob sources. Chromium spends ~1.7 ms per `Blob.slice().arrayBuffer()`
 * whatever the size, so thousands of small tensor reads would dominate; small reads are served
 * from a window read ahead. A few windows are shared by all sources of a worker (LRU), so memory
 * stays bounded whatever the number of files.
 */
const WINDOW_BYTES = 4 * 1024 * 1024;
const MAX_WINDOWS = 4;
/** Reads at least this large may be served by a sequential stream. */
const STREAM_MIN_BYTES = 1024 * 1024;
const windows: { source: BlobSource; offset: number; bytes: Uint8Array }[] = [];

/** A browser `Blob`/`File` (also works in Node ≥ 20, which has Blob). */
export class BlobSource implements ByteSource {
  readonly size: number;
  readonly lastModified?: number;
  constructor(
    readonly path: string,
    private readonly blob: Blob,
  ) {
    this.size = blob.size;
    const lm = (blob as Partial<File>).lastModified;
    if (typeof lm === 'number') this.lastModified = lm;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    if (length >= WINDOW_BYTES / 4) return this.readDirect(offset, length);
    const hit = windows.findIndex((w) => w.source === this && offset >= w.offset && offset + length <= w.offset + w.bytes.byteLength);
    if (hit >= 0) {
      const w = windows[hit] as (typeof windows)[number];
      windows.splice(hit, 1);
      windows.unshift(w);
      return w.bytes.subarray(offset - w.offset, offset - w.offset + length);
    }
    const bytes = await this.readDirect(offset, Math.min(WINDOW_BYTES, this.size - offset));
    this.buffers.keep(bytes.buffer as ArrayBuffer); // cached for later reads: never recycled
    windows.unshift({ source: this, offset, bytes });
    if (windows.length > MAX_WINDOWS) windows.pop();
    return bytes.subarray(0, length);
  }

  /**
   * Sequential large reads come from one open stream of the file's remaining bytes: Chromium
   * serves `blob.stream()` with a BYOB reader at ~4× the rate of one `slice().arrayBuffer()` per
   * chunk (measured: 927 vs 226 MB/s for 8 MiB chunks of a 1.2 GB file). Any other read, or a read
   * while the stream is busy, takes a slice of its own.
   */
  private stream: { reader: ReadableStreamBYOBReader; pos: number; busy: boolean } | undefined;

  /** Released stream buffers, reused as the next reads' BYOB targets. */
  private readonly buffers = new ReadBuffers();

  release(bytes: Uint8Array): void {
    this.buffers.release(bytes);
  }

  private async readDirect(offset: number, length: number): Promise<Uint8Array> {
    if (length >= STREAM_MIN_BYTES) {
      const s = this.stream;
      if (s && !s.busy && s.pos === offset) return this.readStream(s, offset, length);
      if (!s || !s.busy) {
        const opened = this.openStream(offset);
        if (opened) return this.readStream(opened, offset, length);
      }
    }
    return this.readSlice(offset, length);
  }

  private openStream(offset: number): { reader: ReadableStreamBYOBReader; pos: number; busy: boolean } | undefined {
    this.closeStream();
    try {
      const reader = this.blob.slice(offset).stream().getReader({ mode: 'byob' });
      this.stream = { reader, pos: offset, busy: false };
      return this.stream;
    } catch {
      return undefined; // no byte stream here: slices it is
    }
  }

  private closeStream(): void {
    const s = this.stream;
    this.stream = undefined;
    if (s) void s.reader.cancel().catch(() => undefined);
  }

  private async readStream(s: { reader: ReadableStreamBYOBReader; pos: number; busy: boolean }, offset: number, length: number): Promise<Uint8Array> {
    s.busy = true;
    let buffer = this.buffers.take(length);
    let filled = 0;
    try {
      while (filled < length) {
        const { value, done } = await s.reader.read(new Uint8Array(buffer, filled, length - filled));
        if (done || !value) break;
        buffer = value.buffer as ArrayBuffer;
        filled += value.byteLength;
      }
    } catch (e) {
      if (this.stream === s) this.stream = undefined;
      throw this.changed(e, offset, length);
    } finally {
      s.busy = false;
    }
    if (filled !== length) {
      if (this.stream === s) this.closeStream();
      throw new SleuthError('file_changed', `Read ${filled} bytes at byte ${offset} where ${length} were expected: the file changed while it was read`, { offset, file: this.path });
    }
    s.pos = offset + length;
    if (s.pos >= this.size && this.stream === s) this.closeStream();
    this.buffers.lend(buffer);
    return new Uint8Array(buffer, 0, length);
  }

  private async readSlice(offset: number, length: number): Promise<Uint8Array> {
    let buf: ArrayBuffer;
    try {
      buf = await this.blob.slice(offset, offset + length).arrayBuffer();
    } catch (e) {
      throw this.changed(e, offset, length);
    }
    if (buf.byteLength !== length) {
      throw new SleuthError('file_changed', `Read ${buf.byteLength} bytes at byte ${offset} where ${length} were expected: the file changed while it was read`, {
        offset,
        file: this.path,
      });
    }
    return new Uint8Array(buf);
  }

  /** Chromium raises NotReadableError when the file's size or modification time moved since it was
   * picked (or it vanished); its own message blames permissions, so only its name is kept. */
  private changed(e: unknown, offset: number, length: number): SleuthError {
    const why = e instanceof Error ? e.name : String(e);
    return new SleuthError('file_changed', `Could not read ${length} bytes at byte ${offset} of ${this.path}: the file changed on disk or was removed after it was selected (${why})`, {
      offset,
      file: this.path,
      cause: e,
    });
  }
}

/** Normalises a relative path: POSIX separators, no leading "./" or "/". */
export function normalisePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/^\/+/, '');
}

/** Strips the single top-level folder shared by every path (a dropped folder's own name). */
export function stripCommonRoot(paths: readonly string[]): string[] {
  if (paths.length === 0) return [];
  const first = paths[0]?.split('/') ?? [];
  if (first.length < 2) return [...paths];
  const root = first[0];
  if (!paths.every((p) => p.split('/').length >= 2 && p.split('/')[0] === root)) return [...paths];
  return paths.map((p) => p.slice((root?.length ?? 0) + 1));
}
