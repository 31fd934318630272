/**
 * Test helper: a tensor's elements in row-major order, read from the file through its
 * TensorEntry (contiguous span, or a strided gather) — what any consumer of the manifest must do.
 */
import { createHash } from 'node:crypto';
import { elementBytes } from '../../../../src/lib/formats/dtype.ts';
import type { TensorEntry } from '../../../../src/lib/formats/manifest.ts';
import type { ByteSource } from '../../../../src/lib/io/byte-source.ts';

export async function rowMajorBytes(source: ByteSource, t: TensorEntry): Promise<Uint8Array> {
  const es = elementBytes(t.dtype);
  if (es === undefined) throw new Error(`no element size for ${t.dtype}`);
  const span = await source.read(t.byteOffset, t.byteLength);
  if (t.layout.kind === 'contiguous') return span;
  const { strides } = t.layout;
  let n = 1;
  for (const d of t.shape) n *= d;
  const out = new Uint8Array(n * es);
  const idx = new Array<number>(t.shape.length).fill(0);
  for (let e = 0; e < n; e++) {
    let at = 0;
    for (let k = 0; k < idx.length; k++) at += (idx[k] as number) * (strides[k] as number);
    out.set(span.subarray(at * es, at * es + es), e * es);
    for (let k = idx.length - 1; k >= 0; k--) {
      idx[k] = (idx[k] as number) + 1;
      if ((idx[k] as number) < (t.shape[k] as number)) break;
      idx[k] = 0;
    }
  }
  return out;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** torch dtype name → the DType the reader must report. */
export const TORCH_TO_DTYPE: Record<string, string> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  float64: 'F64',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};
