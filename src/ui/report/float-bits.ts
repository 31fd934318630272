/**
 * Names the fields of a stored bit pattern, so "bit 30 flipped" reads as "exponent bit" — the
 * difference between rounding noise (low mantissa bits), a sign flip and a value blown up by 2^128
 * (a high exponent bit). Bits are numbered in the raw stored pattern, 0 = LSB (REPORT.md).
 */
import { DTYPES, type DType } from '../../lib/formats/dtype.ts';

export type BitField = 'sign' | 'exponent' | 'mantissa' | 'value' | 'bit';

function isDType(d: string): d is DType {
  return Object.prototype.hasOwnProperty.call(DTYPES, d);
}

export function bitField(dtype: string | null | undefined, bit: number): BitField {
  if (!dtype || !isDType(dtype)) return 'bit';
  const info = DTYPES[dtype];
  if (info.family === 'float' && info.blockElements === 1 && info.mantissaBits !== undefined) {
    const width = info.blockBytes * 8;
    if (dtype === 'F8_E8M0') return 'exponent'; // exponent-only scale type: no sign, no mantissa
    if (bit === width - 1) return 'sign';
    if (bit < info.mantissaBits) return 'mantissa';
    return bit < width ? 'exponent' : 'bit';
  }
  if (info.family === 'int' && info.blockElements === 1) return bit === info.blockBytes * 8 - 1 ? 'sign' : 'value';
  if (info.family === 'uint' || info.family === 'bool') return 'value';
  return 'bit';
}
