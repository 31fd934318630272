/**
 * NodeFileSource reports a file that changes while it is analysed (issue 5 item 6): shorter,
 * longer, rewritten in place, swapped by rename, removed — each one `file_changed` naming the file,
 * at the latest when the source is closed at the end of a job.
 */
import { appendFileSync, mkdtempSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SleuthError } from '../../../src/lib/formats/errors.ts';
import { NodeFileSource } from '../../../src/lib/io/node-source.ts';

const dir = mkdtempSync(join(tmpdir(), 'model-sleuth-node-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SIZE = 256 * 1024;
let n = 0;
function fixture(): { path: string; source: NodeFileSource } {
  const path = join(dir, `f${n++}.bin`);
  writeFileSync(path, new Uint8Array(SIZE).map((_, i) => i & 0xff));
  // A past mtime, so a later write (which stamps "now") always moves it.
  utimesSync(path, new Date(2020, 0, 1), new Date(2020, 0, 1));
  const st = statSync(path);
  return { path, source: new NodeFileSource(path, `models/f${n}.bin`, st.size, st.mtimeMs) };
}

async function readAll(source: NodeFileSource, chunk = 64 * 1024): Promise<void> {
  for (let off = 0; off < source.size; off += chunk) await source.read(off, Math.min(chunk, source.size - off));
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (!(e instanceof SleuthError)) throw e;
    expect(e.file).toMatch(/^models\/f\d+\.bin$/);
    expect(e.message).toContain(e.file);
    return e.code;
  }
}

describe('NodeFileSource and files that change mid-read', () => {
  it('an unchanged file reads and closes cleanly, again and again', async () => {
    const { source } = fixture();
    await readAll(source);
    await source.close();
    await readAll(source);
    await source.close();
    expect((await source.read(SIZE - 4, 4)).at(-1)).toBe((SIZE - 1) & 0xff);
    await source.close();
  });

  it('truncated mid-read: the next read past the new end fails', async () => {
    const { path, source } = fixture();
    await source.read(0, 1024);
    truncateSync(path, 4096);
    expect(await codeOf(source.read(8192, 1024))).toBe('file_changed');
    expect(await codeOf(source.close())).toBe('file_changed');
  });

  it('rewritten in place (same size): the read reaching the end fails, and so does close', async () => {
    const { path, source } = fixture();
    await source.read(0, 1024);
    writeFileSync(path, new Uint8Array(SIZE).fill(7));
    expect(await codeOf(source.read(1024, 1024))).toBe('ok'); // bytes in the middle cannot tell
    expect(await codeOf(source.read(SIZE - 1024, 1024))).toBe('file_changed');
    expect(await codeOf(source.close())).toBe('file_changed');
  });

  it('grown: the end-of-file read notices the new size', async () => {
    const { path, source } = fixture();
    await source.read(0, 1024);
    appendFileSync(path, new Uint8Array(10));
    expect(await codeOf(source.read(SIZE - 1024, 1024))).toBe('file_changed');
  });

  it('swapped by rename for an identical-looking copy (same size and mtime): close notices', async () => {
    const { path, source } = fixture();
    await readAll(source);
    const copy = `${path}.copy`;
    writeFileSync(copy, new Uint8Array(SIZE).fill(1));
    utimesSync(copy, new Date(2020, 0, 1), new Date(2020, 0, 1));
    renameSync(copy, path);
    expect(await codeOf(source.close())).toBe('file_changed');
  });

  it('removed mid-read: close notices (the open handle still reads the old bytes on POSIX)', async () => {
    const { path, source } = fixture();
    await source.read(0, 1024);
    unlinkSync(path);
    expect(await codeOf(readAll(source))).toBe('ok');
    expect(await codeOf(source.close())).toBe('file_changed');
    expect(await codeOf(source.read(0, 1024))).toBe('file_changed');
  });

  it('changed between selection and first read: the first read fails', async () => {
    const { path, source } = fixture();
    utimesSync(path, new Date(2021, 0, 1), new Date(2021, 0, 1));
    expect(await codeOf(source.read(0, 16))).toBe('file_changed');
  });
});
