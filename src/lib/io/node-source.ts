/**
 * ByteSource over a file on disk (CLI, benchmarks, Node tests). Reads with positional `read`
 * into fresh buffers, so memory stays bounded by the chunk size whatever the file size, and
 * re-checks the file's size when it is closed so that a file changed mid-read is reported.
 */
import { open, stat, readdir, type FileHandle } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { SleuthError } from '../formats/errors.ts';
import { MAX_FILES_PER_MODEL } from '../formats/limits.ts';
import { checkRange, type ByteSource } from './byte-source.ts';
import { isModelRelatedPath } from '../formats/model-loader.ts';

export class NodeFileSource implements ByteSource {
  private handle: Promise<FileHandle> | undefined;
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
    this.handle ??= open(this.absolutePath, 'r').catch((e: unknown) => {
      throw new SleuthError('read_failed', `Cannot open ${this.absolutePath}: ${(e as Error).message}`, { file: this.path, cause: e });
    });
    return this.handle;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    const fh = await this.fh();
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) {
        throw new SleuthError('file_changed', `The file ended at byte ${offset + done} while ${this.size} bytes were expected: it changed while it was read`, {
          offset: offset + done,
          file: this.path,
        });
      }
      done += bytesRead;
    }
    return buf;
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (h) await (await h).close();
  }
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
