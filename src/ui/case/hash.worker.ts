/**
 * A hashing worker for the case file: SHA-256 of a File (or a byte range of it), streamed in
 * chunks through hash-wasm, off the page's thread. Used to re-verify dropped files against the
 * recorded evidence, to verify a model against a manifest (files and shards), and to hash single
 * tensors for the manifest drill-down. Returns results, never exceptions (comlink keeps only an
 * error's name and message).
 */
import * as Comlink from 'comlink';
import { createWasmSha256 } from '../../lib/evidence/sha256.ts';

/** Bytes read per slice: big enough to amortise Chromium's per-read cost, small enough to stay light. */
const CHUNK_BYTES = 8 * 1024 * 1024;

export type HashOutcome = { ok: true; sha256: string } | { ok: false; message: string };

const api = {
  async hash(blob: Blob, start: number, end: number, onBytes?: (n: number) => void): Promise<HashOutcome> {
    try {
      if (end > blob.size || start < 0 || end < start) return { ok: false, message: `bytes ${start}–${end} are outside the file (${blob.size} bytes)` };
      const h = await createWasmSha256();
      for (let off = start; off < end; off += CHUNK_BYTES) {
        const n = Math.min(CHUNK_BYTES, end - off);
        const buf = new Uint8Array(await blob.slice(off, off + n).arrayBuffer());
        if (buf.byteLength !== n) return { ok: false, message: 'the file changed while it was read' };
        h.update(buf);
        onBytes?.(n);
      }
      return { ok: true, sha256: h.digestHex() };
    } catch (e) {
      return { ok: false, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
  },
};

export type HashWorkerApi = typeof api;
Comlink.expose(api);
