/** NumPy .npy / .npz: strict header parser, in-place arrays, object arrays through the pickle policy. */
export { parseNpy, parseNpz } from './parse-npy.ts';
export type { NumpyFile, NpyArray } from './parse-npy.ts';
export { parseNpyHeader, npyHeaderSize, sniffNpy, parseLiteral, NPY_MAGIC } from './npy-header.ts';
export type { NpyHeader, NpyDescr, PyLiteral } from './npy-header.ts';
