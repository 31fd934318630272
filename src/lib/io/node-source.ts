/**
 * ByteSource over a file on disk (CLI, benchmarks, Node tests). Reads with positional `read`
 * into fresh buffers, so memory stays bounded by the chunk size whatever the file size.
 *
 * A file that changes while it is analysed is reported (`file_changed`), never silently mixed
 * into a verdict: its size and modification time are checked against those it had when the
 * analysis started (the `size`/`lastModified` given here) when the file is opened, after the read
 * that reaches its last byte, and when it is closed — and at close, also that its path still names
 * the same file (a copy swapped in by rename keeps the old inode open here, so it would otherwise
 * go unnoticed). A read that comes up short is reported at once.
 */
import { open, stat, readdir, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { SleuthError } from '../formats/errors.ts';
import { MAX_FILES_PER_MODEL } from '../formats/limits.ts';
import { checkRange, ReadBuffers, type ByteSource } from './byte-source.ts';
import { isModelRelatedPath } from '../formats/model-loader.ts';

export class NodeFileSource implements ByteSource {
  private handle: Promise<FileHandle> | undefined;
  /** Device and inode of the file first opened: a later open or the path must name the same file. */
  private identity: { dev: number; ino: number } | undefined;
  readonly lastModified?: number;
  constructor(
    readonly absolutePath: string,
    readonly path: string,
    readonly size: number,
    lastModified?: number,
  ) {
    if (lastModified !== undefined) this.lastModified = lastModified;
  }

  static async open(absolutePath: string, relativePath: string): Promise<NodeFileSource> {
    let st;
    try {
      st = await stat(absolutePath);
    } catch (e) {
      throw new SleuthError('read_failed', `Cannot open ${absolutePath}: ${(e as Error).message}`, { file: relativePath, cause: e });
    }
    return new NodeFileSource(absolutePath, relativePath, st.size, st.mtimeMs);
  }

  private fh(): Promise<FileHandle> {
    this.handle ??= this.openChecked();
    return this.handle;
  }

  private async openChecked(): Promise<FileHandle> {
    let fh: FileHandle;
    try {
      fh = await open(this.absolutePath, 'r');
    } catch (e) {
      const gone = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw new SleuthError(gone ? 'file_changed' : 'read_failed', gone ? `${this.path} was removed after the analysis started` : `Cannot open ${this.absolutePath}: ${(e as Error).message}`, { file: this.path, cause: e });
    }
    try {
      this.verify(await fh.stat(), 'when it was opened');
    } catch (e) {
      await fh.close();
      throw e;
    }
    return fh;
  }

  /** Throws file_changed unless `st` is the file this source was made for, unchanged. */
  private verify(st: Stats, when: string): void {
    const change = describeFileChange(st, this.size, this.lastModified);
    if (change !== undefined) throw fileChangedError(this.path, change, when);
    if (this.identity === undefined) this.identity = { dev: st.dev, ino: st.ino };
    else if (this.identity.dev !== st.dev || this.identity.ino !== st.ino) throw fileChangedError(this.path, 'was replaced by another file', when);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    const fh = await this.fh();
    const buf = new Uint8Array(this.buffers.take(length), 0, length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) {
        throw new SleuthError('file_changed', `${this.path} ended at byte ${offset + done} while ${this.size} bytes were expected: it changed while it was read`, {
          offset: offset + done,
          file: this.path,
        });
      }
      done += bytesRead;
    }
    // The read that reaches the last byte: the file must still be what it was (not grown, not
    // rewritten in place while earlier parts were read).
    if (offset + length === this.size) this.verify(await fh.stat(), 'by the end of its read');
    this.buffers.lend(buf.buffer);
    return buf;
  }

  /** Read buffers handed back by the caller, reused for later reads (see ReadBuffers). */
  private readonly buffers = new ReadBuffers();

  release(bytes: Uint8Array): void {
    this.buffers.release(bytes);
  }

  /** Releases the handle; throws file_changed if the file (or what its path names) changed meanwhile. */
  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (!h) return;
    // An open that failed has already reported why to the read that needed it.
    const fh = await h.catch(() => undefined);
    if (!fh) return;
    try {
      this.verify(await fh.stat(), 'by the end of its read');
      let st: Stats;
      try {
        st = await stat(this.absolutePath);
      } catch (e) {
        throw new SleuthError('file_changed', `${this.path} was removed while it was being analysed`, { file: this.path, cause: e });
      }
      this.verify(st, 'by the end of its read');
    } finally {
      await fh.close();
    }
  }
}

/** How a file's stat differs from its size and mtime when the analysis started; undefined if it does not. */
export function describeFileChange(st: { size: number; mtimeMs: number }, size: number, lastModified: number | undefined): string | undefined {
  if (st.size !== size) return `was ${size} bytes when the analysis started but ${st.size} bytes`;
  if (lastModified !== undefined && st.mtimeMs !== lastModified) return `was modified (${isoTime(lastModified)} → ${isoTime(st.mtimeMs)})`;
  return undefined;
}

export function fileChangedError(path: string, what: string, when: string): SleuthError {
  return new SleuthError('file_changed', `${path} ${what} ${when}: the file changed while it was being analysed, so what was read cannot be vouched for`, { file: path });
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Opens a CLI path: a single file, or every model-related file below a folder (hidden folders
 * such as .git skipped), with paths relative to that folder.
 */
export async function openPath(path: string): Promise<NodeFileSource[]> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new SleuthError('read_failed', `Cannot open ${path}: ${(e as Error).message}`, { file: path, cause: e });
  }
  if (st.isFile()) {
    const name = path.split(sep).pop() ?? path;
    return [new NodeFileSource(path, name, st.size, st.mtimeMs)];
  }
  const out: NodeFileSource[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) {
        const rel = relative(path, full).split(sep).join('/');
        if (!isModelRelatedPath(rel)) continue;
        if (out.length >= MAX_FILES_PER_MODEL) {
          throw new SleuthError('read_failed', `More than ${MAX_FILES_PER_MODEL} model files below ${path}; point at the model's own folder`, { file: path });
        }
        const fst = await stat(full);
        out.push(new NodeFileSource(full, rel, fst.size, fst.mtimeMs));
      }
    }
  };
  await walk(path);
  return out;
}
