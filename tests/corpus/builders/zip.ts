/**
 * A ZIP writer for the corpus (PKWARE APPNOTE.TXT 6.3.10): local headers (4.3.7), optional data
 * descriptors (4.3.9, as torch writes them), central directory (4.3.12), ZIP64 records (4.3.14,
 * 4.3.15, extra field 4.5.3) and the end record (4.3.16). Deflate comes from ./deflate.ts, so no
 * zlib is involved and the bytes are the same everywhere. Every override exists to produce one
 * hostile variant: headers that lie about sizes, members that overlap, duplicate names, bytes
 * before, between or after the archive.
 */
import { crc32 } from '../../../src/lib/formats/zip/crc32.ts';
import { deflateFixed } from './deflate.ts';
import { utf8 } from './bytes.ts';

export interface ZipMember {
  name: string;
  data: Uint8Array;
  /** 0 stored (default) or 8 deflate; any other number is written as-is (unsupported methods). */
  method?: number;
  /** Compressed payload to write instead of deflating `data` (bombs, corrupt streams). */
  compressed?: Uint8Array;
  /** Uncompressed size to declare instead of data.length (a bomb lies about it). */
  declaredSize?: number | bigint;
  /** CRC-32 to declare instead of the real one. */
  crc?: number;
  /** torch style: zero CRC/sizes in the local header, a signed data descriptor after the data. */
  descriptor?: boolean;
  /** Pad the local extra field so the data starts at a multiple of this (torch uses 64). */
  align?: number;
  /** Extra general-purpose flag bits (bit 0 = encrypted). */
  flags?: number;
  /** Name written in the local header instead of `name`. */
  localName?: string;
  /** The central record points at member N's local header (overlapping members). */
  localHeaderOf?: number;
  /** Local header offset to declare instead (absolute, may be absurd; ZIP64 extra when ≥ 2^32). */
  localHeaderOffset?: bigint;
  /** Write no local header or data for this member (only its central record). */
  centralOnly?: boolean;
  /** Central directory record signature to write instead of PK\1\2. */
  centralSignature?: number;
  /** Disk number where the member starts. */
  diskStart?: number;
}

export interface ZipSpec {
  /** Bytes before the archive (a polyglot's other format, a self-extractor stub). */
  prefix?: Uint8Array;
  /** Offsets in the records are relative to the archive, not the file (as `cat a b > c` leaves them). */
  relativeToArchive?: boolean;
  trailing?: Uint8Array;
  comment?: string;
  /** Write ZIP64 end records (plain EOCD fields saturated). */
  zip64?: boolean;
  /** Entry count to declare instead of the real one (ZIP64 value when zip64). */
  entryCount?: bigint;
  /** Central directory size / offset to declare instead of the real ones. */
  directorySize?: bigint;
  directoryOffset?: bigint;
  /** Disk number of the EOCD (or the ZIP64 record). */
  disk?: number;
  /** ZIP64 locator: record offset to declare instead of the real one. */
  zip64RecordOffset?: bigint;
}

export interface BuiltZip {
  bytes: Uint8Array;
  localOffsets: number[];
  dataOffsets: number[];
  directoryOffset: number;
  eocdOffset: number;
}

class W {
  readonly parts: number[] = [];
  get length(): number {
    return this.parts.length;
  }
  u8(...b: number[]): this {
    for (const x of b) this.parts.push(x & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v & 0xff, (v >>> 8) & 0xff);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(Math.floor(v / 0x10000) & 0xffff);
  }
  u64(v: number | bigint): this {
    const b = BigInt.asUintN(64, BigInt(v));
    return this.u32(Number(b & 0xffffffffn)).u32(Number(b >> 32n));
  }
  bytes(b: Uint8Array | readonly number[]): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
}

const SAT32 = 0xffffffff;

export function buildZip(members: readonly ZipMember[], spec: ZipSpec = {}): BuiltZip {
  const w = new W();
  if (spec.prefix) w.bytes(spec.prefix);
  const base = spec.relativeToArchive ? w.length : 0;
  const localOffsets: number[] = [];
  const dataOffsets: number[] = [];
  const records: { m: ZipMember; crc: number; csize: number; usize: bigint; flags: number; method: number }[] = [];
  for (const m of members) {
    const method = m.method ?? 0;
    const payload = m.compressed ?? (method === 8 ? deflateFixed(m.data) : m.data);
    const crc = m.crc ?? crc32(m.data);
    const usize = BigInt(m.declaredSize ?? m.data.length);
    const flags = (m.flags ?? 0) | (m.descriptor ? 0x0008 : 0) | 0x0800;
    records.push({ m, crc, csize: payload.length, usize, flags, method });
    if (m.centralOnly) {
      localOffsets.push(-1);
      dataOffsets.push(-1);
      continue;
    }
    const name = utf8(m.localName ?? m.name);
    localOffsets.push(w.length);
    let extraLen = 0;
    if (m.align) {
      const dataAt = w.length + 30 + name.length + 4;
      extraLen = 4 + ((m.align - (dataAt % m.align)) % m.align);
    }
    const wideLocal = usize >= BigInt(SAT32);
    w.u32(0x04034b50).u16(wideLocal ? 45 : 20).u16(flags).u16(method).u16(0).u16(0);
    if (m.descriptor) w.u32(0).u32(0).u32(0);
    else w.u32(crc).u32(wideLocal ? SAT32 : payload.length).u32(wideLocal ? SAT32 : Number(usize));
    w.u16(name.length).u16(extraLen + (wideLocal ? 20 : 0)).bytes(name);
    if (wideLocal) w.u16(0x0001).u16(16).u64(usize).u64(payload.length);
    if (extraLen > 0) w.u16(0x4246).u16(extraLen - 4).bytes(new Array<number>(extraLen - 4).fill(0x5a));
    dataOffsets.push(w.length);
    w.bytes(payload);
    if (m.descriptor) w.u32(0x08074b50).u32(crc).u32(payload.length).u32(Number(BigInt.asUintN(32, usize)));
  }
  const directoryOffset = w.length;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as (typeof records)[number];
    const name = utf8(r.m.name);
    const lho = r.m.localHeaderOffset ?? BigInt((localOffsets[r.m.localHeaderOf ?? i] as number) - base);
    const z = spec.zip64 === true || r.usize >= BigInt(SAT32) || lho >= BigInt(SAT32);
    const zextra = z ? new W().u16(0x0001).u16(24).u64(r.usize).u64(r.csize).u64(lho) : undefined;
    w.u32(r.m.centralSignature ?? 0x02014b50).u16(0x031e).u16(z ? 45 : 20).u16(r.flags).u16(r.method).u16(0).u16(0).u32(r.crc);
    w.u32(z ? SAT32 : r.csize).u32(z ? SAT32 : Number(r.usize)).u16(name.length).u16(zextra?.length ?? 0).u16(0).u16(r.m.diskStart ?? 0).u16(0).u32(0);
    w.u32(z ? SAT32 : Number(lho)).bytes(name);
    if (zextra) w.bytes(zextra.parts);
  }
  const dirSize = spec.directorySize ?? BigInt(w.length - directoryOffset);
  const dirOffset = spec.directoryOffset ?? BigInt(directoryOffset - base);
  const count = spec.entryCount ?? BigInt(records.length);
  const comment = utf8(spec.comment ?? '');
  let eocdOffset: number;
  if (spec.zip64) {
    const recAt = w.length;
    w.u32(0x06064b50).u64(44).u16(45).u16(45).u32(spec.disk ?? 0).u32(0).u64(count).u64(count).u64(dirSize).u64(dirOffset);
    w.u32(0x07064b50).u32(0).u64(spec.zip64RecordOffset ?? BigInt(recAt - base)).u32(1);
    eocdOffset = w.length;
    w.u32(0x06054b50).u16(0).u16(0).u16(0xffff).u16(0xffff).u32(SAT32).u32(SAT32).u16(comment.length).bytes(comment);
  } else {
    const c16 = Number(BigInt.asUintN(16, count));
    eocdOffset = w.length;
    w.u32(0x06054b50).u16(spec.disk ?? 0).u16(0).u16(c16).u16(c16).u32(Number(BigInt.asUintN(32, dirSize))).u32(Number(BigInt.asUintN(32, dirOffset))).u16(comment.length).bytes(comment);
  }
  if (spec.trailing) w.bytes(spec.trailing);
  return { bytes: Uint8Array.from(w.parts), localOffsets, dataOffsets, directoryOffset, eocdOffset };
}
