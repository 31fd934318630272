/**
 * ZIP containers (torch.save ≥ 1.6, TorchScript, .npz): central directory incl. ZIP64, local
 * header checks, anomalies, CRC-32, capped inflate of small members.
 */
export { readZipDirectory, readZipMember, readZipMemberPrefix, verifyZipMemberCrc, sniffZip, decodeCp437, ZIP_METHOD_STORED, ZIP_METHOD_DEFLATE } from './read-zip.ts';
export type { ZipDirectory, ZipEntry, ZipAnomaly, ZipAnomalyCode, ReadZipOptions } from './read-zip.ts';
export { crc32, crc32Update, crc32Final, CRC32_INIT } from './crc32.ts';
export { inflateRange } from './inflate.ts';
export type { InflateResult } from './inflate.ts';
export { CachedReader } from './cached-reader.ts';
