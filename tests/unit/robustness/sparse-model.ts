/**
 * Sparse model files for the resource and failure tests: a real safetensors header declaring
 * gigabytes of F32 tensors whose data section is a hole (`ftruncate`), so a "4.5 GiB model" costs a
 * few kilobytes of disk and no time to write. Reading a hole returns zeros, so every tensor is a
 * valid all-zero F32 tensor; an "edit" writes a few real bytes at a chosen element.
 */
import { accessSync, closeSync, constants, ftruncateSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SparseModelSpec {
  tensors: number;
  rows: number;
  cols: number;
  /** Name of tensor i; model.layers.<i>.mlp.down_proj.weight by default. */
  name?: (i: number) => string;
}

export interface SparseEdit {
  tensor: number;
  element: number;
  value: number;
}

export const GiB = 1024 ** 3;

export function tensorName(i: number): string {
  return `model.layers.${i}.mlp.down_proj.weight`;
}

/** Bytes of header (length prefix included) and the data offset of tensor i. */
export function sparseLayout(spec: SparseModelSpec): { headerText: string; dataStart: number; tensorBytes: number; fileSize: number } {
  const tensorBytes = spec.rows * spec.cols * 4;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  for (let i = 0; i < spec.tensors; i++) {
    header[(spec.name ?? tensorName)(i)] = { dtype: 'F32', shape: [spec.rows, spec.cols], data_offsets: [i * tensorBytes, (i + 1) * tensorBytes] };
  }
  let headerText = JSON.stringify(header);
  while (Buffer.byteLength(headerText) % 8 !== 0) headerText += ' ';
  const dataStart = 8 + Buffer.byteLength(headerText);
  return { headerText, dataStart, tensorBytes, fileSize: dataStart + spec.tensors * tensorBytes };
}

/** Writes the header, extends the file to its full size as a hole, then applies the edits. */
export function writeSparseSafetensors(path: string, spec: SparseModelSpec, edits: readonly SparseEdit[] = []): number {
  const { headerText, dataStart, tensorBytes, fileSize } = sparseLayout(spec);
  const fd = openSync(path, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(headerText)));
    writeSync(fd, len, 0, 8, 0);
    writeSync(fd, Buffer.from(headerText), 0, Buffer.byteLength(headerText), 8);
    ftruncateSync(fd, fileSize);
    for (const e of edits) {
      const b = Buffer.alloc(4);
      b.writeFloatLE(e.value);
      writeSync(fd, b, 0, 4, dataStart + e.tensor * tensorBytes + e.element * 4);
    }
  } finally {
    closeSync(fd);
  }
  return fileSize;
}

/**
 * A fresh folder for sparse files: on tmpfs (/dev/shm) when there is one, where reading a hole
 * maps the shared zero page instead of filling the page cache with gigabytes of zeros — 1.5–3×
 * faster on these machines; the system temp folder otherwise.
 */
export function sparseDir(prefix: string): string {
  let base = tmpdir();
  try {
    accessSync('/dev/shm', constants.W_OK);
    base = '/dev/shm';
  } catch {
    // no tmpfs: the temp folder works, only slower
  }
  return mkdtempSync(join(base, `model-sleuth-${prefix}-`));
}
