/**
 * Raw deflate (RFC 1951) written by hand, so ZIP corpus files need no zlib and every compressed
 * byte is explained here:
 *
 * - `deflateFixed(data)`: one final block with the fixed Huffman code (§3.2.6); runs of a repeated
 *   byte become length/distance-1 matches, everything else literals. Valid deflate, modest ratio.
 * - `deflateZeroBomb(matches)`: one final block with a *dynamic* Huffman code (§3.2.7) in which the
 *   length-258 symbol and distance 1 each take one bit, so every 2 bits of input inflate to 258 zero
 *   bytes — the ~1032:1 ratio of classic zip bombs (CWE-409). 60 KB of it inflate to ~62 MB.
 */

class BitWriter {
  private readonly out: number[] = [];
  private acc = 0;
  private n = 0;
  /** `count` bits of `value`, least significant first (header fields, extra bits). */
  bits(value: number, count: number): void {
    for (let i = 0; i < count; i++) this.bit((value >>> i) & 1);
  }
  /** A Huffman code of `length` bits, most significant bit first (§3.1.1). */
  code(code: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) this.bit((code >>> i) & 1);
  }
  private bit(b: number): void {
    this.acc |= b << this.n;
    if (++this.n === 8) {
      this.out.push(this.acc);
      this.acc = 0;
      this.n = 0;
    }
  }
  finish(): Uint8Array {
    if (this.n > 0) this.out.push(this.acc);
    return Uint8Array.from(this.out);
  }
}

/** Length symbols 257…285: base length and extra bits (§3.2.5). */
const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];

function fixedLitLen(w: BitWriter, sym: number): void {
  if (sym < 144) w.code(0x30 + sym, 8);
  else if (sym < 256) w.code(0x190 + sym - 144, 9);
  else if (sym < 280) w.code(sym - 256, 7);
  else w.code(0xc0 + sym - 280, 8);
}

function fixedLength(w: BitWriter, length: number): void {
  let i = LENGTH_BASE.length - 1;
  while ((LENGTH_BASE[i] as number) > length) i--;
  // 258 has its own symbol (285); 227 + 31 would also reach it with symbol 284.
  fixedLitLen(w, 257 + i);
  w.bits(length - (LENGTH_BASE[i] as number), LENGTH_EXTRA[i] as number);
}

/**
 * `final: false` ends the block without BFINAL and appends an empty stored block (zlib's sync
 * flush), which leaves the stream byte-aligned: another deflate stream's blocks can follow.
 */
export function deflateFixed(data: Uint8Array, final = true): Uint8Array {
  const w = new BitWriter();
  w.bits(final ? 1 : 0, 1); // BFINAL
  w.bits(1, 2); // BTYPE = 01, fixed Huffman
  let i = 0;
  while (i < data.length) {
    const b = data[i] as number;
    fixedLitLen(w, b);
    i++;
    // A run of the same byte: copy from distance 1 (distance code 0, 5 bits, no extra bits).
    let run = 0;
    while (i + run < data.length && data[i + run] === b && run < 258) run++;
    if (run >= 3) {
      fixedLength(w, run);
      w.code(0, 5);
      i += run;
    }
  }
  fixedLitLen(w, 256); // end of block
  if (!final) {
    w.bits(0, 1); // BFINAL = 0
    w.bits(0, 2); // BTYPE = 00, stored: pad to a byte, then LEN = 0 and NLEN = 0xFFFF
    const out = [...w.finish(), 0x00, 0x00, 0xff, 0xff];
    return Uint8Array.from(out);
  }
  return w.finish();
}

/** Bytes `deflateZeroBomb(matches)` inflates to. */
export const zeroBombSize = (matches: number): number => 1 + 258 * matches;

export function deflateZeroBomb(matches: number): Uint8Array {
  const w = new BitWriter();
  w.bits(1, 1); // BFINAL
  w.bits(2, 2); // BTYPE = 10, dynamic Huffman
  w.bits(286 - 257, 5); // HLIT: literal/length codes 0…285
  w.bits(1 - 1, 5); // HDIST: one distance code
  w.bits(18 - 4, 4); // HCLEN: code-length codes up to "1" in the permuted order below
  // Code-length alphabet, in the order 16,17,18,0,8,7,9,6,10,5,11,4,12,3,13,2,14,1: "0" gets one
  // bit, "1" and "2" two bits each (a complete code: 1/2 + 1/4 + 1/4).
  const clOrderLengths = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2];
  for (const l of clOrderLengths) w.bits(l, 3);
  // Canonical codes for the code-length alphabet: 0 → "0", 1 → "10", 2 → "11".
  const cl = (len: number): void => (len === 0 ? w.code(0, 1) : len === 1 ? w.code(0b10, 2) : w.code(0b11, 2));
  // Literal/length code lengths: literal 0 and end-of-block 2 bits, length 258 (symbol 285) 1 bit.
  for (let sym = 0; sym < 286; sym++) cl(sym === 285 ? 1 : sym === 0 || sym === 256 ? 2 : 0);
  cl(1); // distance code 0 (distance 1): 1 bit — the one incomplete code RFC 1951 tolerates
  // Canonical literal/length codes: 285 → "0", 0 → "10", 256 → "11"; distance 0 → "0".
  w.code(0b10, 2); // literal 0
  for (let i = 0; i < matches; i++) {
    w.code(0, 1); // length 258
    w.code(0, 1); // distance 1
  }
  w.code(0b11, 2); // end of block
  return w.finish();
}
