/**
 * NumPy .npy files for the corpus (numpy/lib/format.py, NEP 1): "\x93NUMPY", version, a
 * little-endian header length (u16 for 1.0, u32 for 2.0/3.0), the header dict literal padded with
 * spaces and "\n" so the data starts 64-byte aligned, then the data.
 */
import { concat, latin1, u16, u32 } from './bytes.ts';

export interface NpySpec {
  descr?: string;
  fortran?: boolean;
  /** Shape as Python tuple text, e.g. "(2, 3)" (text, so hostile shapes can be written). */
  shape?: string;
  /** The whole dict literal, replacing descr/fortran/shape. */
  dict?: string;
  version?: 1 | 2 | 3 | readonly [number, number];
  /** Header length to declare instead of the real one. */
  declaredLength?: number;
  data?: Uint8Array;
}

export function npy(spec: NpySpec = {}): Uint8Array {
  const dict = spec.dict ?? `{'descr': '${spec.descr ?? '<f4'}', 'fortran_order': ${spec.fortran ? 'True' : 'False'}, 'shape': ${spec.shape ?? '(2,)'}, }`;
  const [major, minor] = typeof spec.version === 'object' ? spec.version : [spec.version ?? 1, 0];
  const fixed = major === 1 ? 10 : 12;
  let text = `${dict} `;
  while ((fixed + text.length + 1) % 64 !== 0) text += ' ';
  text += '\n';
  const length = spec.declaredLength ?? text.length;
  const lengthField = major === 1 ? u16(length) : u32(length);
  return concat(Uint8Array.of(0x93), latin1('NUMPY'), Uint8Array.of(major, minor), lengthField, latin1(text), spec.data ?? new Uint8Array(8));
}
