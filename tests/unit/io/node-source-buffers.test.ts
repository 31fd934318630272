/** NodeFileSource reuses read buffers the caller released — never ones it did not lend out whole. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeFileSource } from '../../../src/lib/io/node-source.ts';

const dir = mkdtempSync(join(tmpdir(), 'ms-node-buffers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('NodeFileSource read buffers', () => {
  it('a released buffer serves a later read, with that read’s bytes; other memory is never reused', async () => {
    const bytes = Uint8Array.from({ length: 3 * 65536 + 17 }, (_, i) => (i * 7 + (i >> 8)) & 255);
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    const src = await NodeFileSource.open(join(dir, 'model.safetensors'), 'model.safetensors');
    try {
      const first = await src.read(0, 65536);
      expect(first).toEqual(bytes.subarray(0, 65536));
      src.release(first);
      src.release(first); // twice: ignored
      const second = await src.read(65536, 65536);
      expect(second.buffer).toBe(first.buffer);
      expect(second).toEqual(bytes.subarray(65536, 131072));
      // Only whole lent buffers qualify: a view into one is ignored, so is foreign memory.
      src.release(second.subarray(16));
      src.release(new Uint8Array(65536));
      const third = await src.read(131072, 65536);
      expect(third.buffer).not.toBe(second.buffer);
      expect(third).toEqual(bytes.subarray(131072, 196608));
      expect(second).toEqual(bytes.subarray(65536, 131072));
      // A read far smaller than a spare buffer gets its own (spares serve up to twice their need).
      src.release(third);
      const tail = await src.read(196608, 17);
      expect(tail.buffer).not.toBe(third.buffer);
      expect(tail).toEqual(bytes.subarray(196608));
    } finally {
      await src.close();
    }
  });
});
