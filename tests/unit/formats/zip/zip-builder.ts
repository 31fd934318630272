/**
 * Writes ZIP archives from APPNOTE.TXT for the reader tests — well-formed ones (torch-style data
 * descriptors and 64-byte "FB" alignment padding, ZIP64 records) and deliberately broken ones
 * (every knob below exists to produce one anomaly).
 */
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../../../src/lib/formats/zip/crc32.ts';

export interface MemberSpec {
  name: string;
  data: Uint8Array;
  method?: 0 | 8;
  /** Extra general-purpose flags (bit 3 data descriptor is set by `descriptor`). */
  flags?: number;
  /** torch style: local CRC/sizes zero, a signed data descriptor after the data. */
  descriptor?: boolean;
  /** Pad the local extra field so data starts at a multiple of this (torch uses 64). */
  align?: number;
  /** Corruptions. */
  centralCrc?: number;
  localName?: string;
  localMethod?: number;
  centralName?: string;
  descriptorCrc?: number;
  /** Point the central record at another member's local header (overlap). */
  centralLhoOf?: number;
  centralExtra?: Uint8Array;
  /** Bytes written after this member's data/descriptor (gap). */
  gapAfter?: number;
}

export interface ZipSpec {
  prefix?: Uint8Array;
  /** Bytes between the last member and the central directory. */
  beforeDirectory?: number;
  /** Bytes between the central directory and the end records. */
  afterDirectory?: number;
  trailing?: Uint8Array;
  comment?: string;
  /** Write ZIP64 end records (and saturate the plain EOCD's fields). */
  zip64?: boolean;
  /** Offsets in the records are relative to the archive start, not the file (as a stub+zip concatenation leaves them). */
  relativeToArchive?: boolean;
  /** Override the EOCD entry count / directory size. */
  entryCount?: number;
  directorySize?: number;
  disk?: number;
}

export interface BuiltZip {
  bytes: Uint8Array;
  localOffsets: number[];
  dataOffsets: number[];
  directoryOffset: number;
}

class W {
  parts: number[] = [];
  get length(): number {
    return this.parts.length;
  }
  u8(...b: number[]): this {
    this.parts.push(...b);
    return this;
  }
  u16(v: number): this {
    return this.u8(v & 0xff, (v >>> 8) & 0xff);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(Math.floor(v / 0x10000) & 0xffff);
  }
  u64(v: number): this {
    return this.u32(v % 2 ** 32).u32(Math.floor(v / 2 ** 32));
  }
  bytes(b: Uint8Array | readonly number[]): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  zeros(n: number): this {
    for (let i = 0; i < n; i++) this.parts.push(0);
    return this;
  }
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export function buildZip(members: readonly MemberSpec[], spec: ZipSpec = {}): BuiltZip {
  const w = new W();
  if (spec.prefix) w.bytes(spec.prefix);
  const base = spec.relativeToArchive ? w.length : 0;
  const localOffsets: number[] = [];
  const dataOffsets: number[] = [];
  const records: { m: MemberSpec; crc: number; csize: number; usize: number; flags: number; method: number }[] = [];
  for (const m of members) {
    const method = m.method ?? 0;
    const payload = method === 8 ? new Uint8Array(deflateRawSync(m.data)) : m.data;
    const crc = crc32(m.data);
    const flags = (m.flags ?? 0) | (m.descriptor ? 0x0008 : 0) | 0x0800;
    const name = enc(m.localName ?? m.name);
    localOffsets.push(w.length);
    let extraLen = 0;
    if (m.align) {
      const dataAt = w.length + 30 + name.length + 4;
      extraLen = 4 + ((m.align - (dataAt % m.align)) % m.align);
    }
    w.u32(0x04034b50).u16(20).u16(flags).u16(m.localMethod ?? method).u16(0).u16(0);
    if (m.descriptor) w.u32(0).u32(0).u32(0);
    else w.u32(crc).u32(payload.length).u32(m.data.length);
    w.u16(name.length).u16(extraLen).bytes(name);
    if (extraLen > 0) w.u16(0x4246).u16(extraLen - 4).bytes(new Array<number>(extraLen - 4).fill(0x5a));
    dataOffsets.push(w.length);
    w.bytes(payload);
    if (m.descriptor) w.u32(0x08074b50).u32(m.descriptorCrc ?? crc).u32(payload.length).u32(m.data.length);
    if (m.gapAfter) w.zeros(m.gapAfter);
    records.push({ m, crc: m.centralCrc ?? crc, csize: payload.length, usize: m.data.length, flags, method });
  }
  if (spec.beforeDirectory) w.zeros(spec.beforeDirectory);
  const directoryOffset = w.length;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as (typeof records)[number];
    const name = enc(r.m.centralName ?? r.m.name);
    const lho = (localOffsets[r.m.centralLhoOf ?? i] as number) - base;
    const extra = r.m.centralExtra ?? new Uint8Array(0);
    const z = spec.zip64;
    const zextra = z ? new W().u16(0x0001).u16(24).u64(r.usize).u64(r.csize).u64(lho) : undefined;
    w.u32(0x02014b50).u16(0x031e).u16(z ? 45 : 20).u16(r.flags).u16(r.method).u16(0).u16(0).u32(r.crc);
    w.u32(z ? 0xffffffff : r.csize).u32(z ? 0xffffffff : r.usize).u16(name.length).u16(extra.length + (zextra?.length ?? 0)).u16(0).u16(0).u16(0).u32(0);
    w.u32(z ? 0xffffffff : lho).bytes(name).bytes(extra);
    if (zextra) w.bytes(zextra.parts);
  }
  const dirSize = spec.directorySize ?? w.length - directoryOffset;
  if (spec.afterDirectory) w.zeros(spec.afterDirectory);
  const count = spec.entryCount ?? records.length;
  const comment = enc(spec.comment ?? '');
  if (spec.zip64) {
    const recAt = w.length;
    w.u32(0x06064b50).u64(44).u16(45).u16(45).u32(spec.disk ?? 0).u32(0).u64(count).u64(count).u64(dirSize).u64(directoryOffset - base);
    w.u32(0x07064b50).u32(0).u64(recAt - base).u32(1);
    w.u32(0x06054b50).u16(0).u16(0).u16(0xffff).u16(0xffff).u32(0xffffffff).u32(0xffffffff).u16(comment.length).bytes(comment);
  } else {
    w.u32(0x06054b50).u16(spec.disk ?? 0).u16(0).u16(count).u16(count).u32(dirSize).u32(directoryOffset - base).u16(comment.length).bytes(comment);
  }
  if (spec.trailing) w.bytes(spec.trailing);
  return { bytes: Uint8Array.from(w.parts), localOffsets, dataOffsets, directoryOffset };
}

export { enc };
