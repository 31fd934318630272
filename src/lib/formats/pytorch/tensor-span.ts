/**
 * From a strided view (storage offset, size, stride — all in elements, as torch pickles them) to
 * the bytes it touches: the first element's byte offset within the storage, the length of the span
 * up to and including the last addressable element, and whether the view is plain row-major.
 *
 * Element [i0, i1, …] of a view lives at storage element `offset + Σ ik·stride[k]`. Strides are
 * non-negative in torch (no negative strides exist), so the span is [offset, offset + Σ (size[k]−1)·
 * stride[k]]. A view is row-major contiguous when every dim with more than one element has the
 * stride of the dims after it multiplied together (dims of size 1 may carry any stride, as torch
 * itself allows). All arithmetic is bigint: sizes and strides come from the file.
 */

export interface ViewSpan {
  /** Elements in the view (product of size). */
  numel: bigint;
  /** Bytes from the storage start to element [0, …, 0]. */
  startByte: bigint;
  /** Bytes from element [0, …, 0] to the end of the last addressable element; 0 for empty views. */
  spanBytes: bigint;
  contiguous: boolean;
}

export function viewSpan(size: readonly number[], stride: readonly number[], storageOffset: number, elementBytes: number): ViewSpan {
  const es = BigInt(elementBytes);
  let numel = 1n;
  for (const d of size) numel *= BigInt(d);
  const startByte = BigInt(storageOffset) * es;
  if (numel === 0n) return { numel, startByte, spanBytes: 0n, contiguous: true };
  let maxIndex = 0n;
  for (let k = 0; k < size.length; k++) maxIndex += BigInt((size[k] as number) - 1) * BigInt(stride[k] ?? 0);
  let expected = 1n;
  let contiguous = true;
  for (let k = size.length - 1; k >= 0; k--) {
    const d = BigInt(size[k] as number);
    if (d !== 1n && BigInt(stride[k] ?? 0) !== expected) contiguous = false;
    expected *= d;
  }
  return { numel, startByte, spanBytes: (maxIndex + 1n) * es, contiguous };
}

/** Row-major (C-order) strides of a shape, in elements. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  let acc = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    out[k] = acc;
    acc *= shape[k] as number;
  }
  return out;
}

/** Column-major (Fortran-order) strides of a shape, in elements. */
export function columnMajorStrides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  let acc = 1;
  for (let k = 0; k < shape.length; k++) {
    out[k] = acc;
    acc *= shape[k] as number;
  }
  return out;
}
