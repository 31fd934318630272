/**
 * CRC-32 as ZIP uses it (APPNOTE 4.4.7: polynomial 0xEDB88320 reflected, initial and final value
 * 0xFFFFFFFF), table-driven, incremental so that members are checked while they stream.
 */

const TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Running state: start with `CRC32_INIT`, feed chunks with `crc32Update`, finish with `crc32Final`. */
export const CRC32_INIT = 0xffffffff;

export function crc32Update(state: number, bytes: Uint8Array): number {
  let c = state;
  for (let i = 0; i < bytes.length; i++) c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return c >>> 0;
}

export function crc32Final(state: number): number {
  return (state ^ 0xffffffff) >>> 0;
}

export function crc32(bytes: Uint8Array): number {
  return crc32Final(crc32Update(CRC32_INIT, bytes));
}
