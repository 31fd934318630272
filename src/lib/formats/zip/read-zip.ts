/**
 * ZIP central-directory reader for model containers (torch.save ≥ 1.6, TorchScript, .npz).
 *
 * Reads the directory and every member's local header — never member payloads, except small ones
 * whose CRC-32 is checked — so that tensors can be streamed from the archive in place: for a
 * stored member, `dataOffset` is the absolute file offset of its first byte.
 *
 * Structures (PKWARE APPNOTE.TXT 6.3.10): end-of-central-directory record (EOCD, 4.3.16), found
 * by a backward search bounded to 22 + 65,535 bytes; ZIP64 EOCD locator (4.3.15) and record
 * (4.3.14), which torch always writes; central file headers (4.3.12); local file headers (4.3.7);
 * data descriptors (4.3.9, flag bit 3, which torch sets on every member); the ZIP64 extended
 * information extra field (4.5.3), whose 8-byte values appear only for fields saturated at
 * 0xFFFF/0xFFFFFFFF, in the order uncompressed size, compressed size, local header offset, disk.
 *
 * A hostile archive is *reported*, not just rejected: anything that leaves the archive usable is
 * an anomaly (duplicate names, path traversal, overlapping members, bytes hidden before, between
 * or after members, headers that disagree, CRC mismatches) — several are the parser differentials
 * that let one file mean different things to different readers. Only what makes the directory
 * unreadable throws (no EOCD, a central directory out of range, caps exceeded).
 */
import { view, toSafeNumber, decodeUtf8Strict, checkedLength } from '../bytes.ts';
import { SleuthError } from '../errors.ts';
import { MAX_ZIP_CENTRAL_DIRECTORY_BYTES, MAX_ZIP_ENTRIES, MAX_ZIP_EOCD_SEARCH_BYTES, MAX_ZIP_INFLATE_BYTES, STREAM_CHUNK_BYTES, ZIP_CRC_CHECK_DEFAULT_BYTES } from '../limits.ts';
import type { ByteSource } from '../../io/byte-source.ts';
import type { Severity } from '../pickle/findings.ts';
import { CachedReader } from './cached-reader.ts';
import { CRC32_INIT, crc32, crc32Final, crc32Update } from './crc32.ts';
import { inflateRange } from './inflate.ts';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_DESCRIPTOR = 0x08074b50;
const EXTRA_ZIP64 = 0x0001;
const EXTRA_UNICODE_PATH = 0x7075;

export const ZIP_METHOD_STORED = 0;
export const ZIP_METHOD_DEFLATE = 8;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;

export interface ZipEntry {
  /** Position in the central directory. */
  index: number;
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Absolute offset of the local header (any bytes prepended to the archive included). */
  localHeaderOffset: number;
  /** Absolute offset of the first byte of member data; undefined when the local header is unusable. */
  dataOffset: number | undefined;
  /** Absolute offset of this member's central directory record. */
  centralOffset: number;
  /** The central record carried a ZIP64 extra field. */
  zip64: boolean;
  encrypted: boolean;
  /** CRC-32 checked and matched (true), checked and wrong (false), not checked (undefined). */
  crcOk?: boolean;
}

export type ZipAnomalyCode =
  | 'duplicate-name'
  | 'unsafe-path'
  | 'bad-name-encoding'
  | 'unicode-path-extra'
  | 'encrypted-member'
  | 'unsupported-method'
  | 'crc-mismatch'
  | 'overlapping-members'
  | 'data-before-archive'
  | 'gap-before-first-member'
  | 'gap-between-members'
  | 'data-before-central-directory'
  | 'data-after-central-directory'
  | 'data-after-eocd'
  | 'archive-comment'
  | 'local-central-mismatch'
  | 'bad-local-header'
  | 'member-out-of-range'
  | 'descriptor-mismatch'
  | 'bad-extra-field'
  | 'eocd-mismatch'
  | 'entry-count-mismatch'
  // Added by the format readers that know what the archive should hold:
  | 'unreferenced-member'
  | 'unexpected-member'
  | 'compressed-member';

export interface ZipAnomaly {
  code: ZipAnomalyCode;
  severity: Severity;
  message: string;
  /** Absolute byte offset the anomaly concerns. */
  offset: number;
  member?: string;
}

export interface ZipDirectory {
  /** Central-directory order. */
  entries: ZipEntry[];
  /** Name → entry. With duplicate names the *first* record wins (and `duplicate-name` is reported). */
  byName: Map<string, ZipEntry>;
  anomalies: ZipAnomaly[];
  zip64: boolean;
  comment: string;
  /** Bytes before the archive proper (self-extractor stubs, polyglots): offsets are shifted by it. */
  prefixBytes: number;
  centralDirectoryOffset: number;
  centralDirectorySize: number;
  eocdOffset: number;
}

export interface ReadZipOptions {
  /** CRC-32 checks while reading the directory: members up to `crcMaxBytes` ('small', default), every member ('all'), none. */
  crc?: 'small' | 'all' | 'none';
  crcMaxBytes?: number;
}

/** Cheap check on the first bytes: a local header (or an empty archive's EOCD). */
export function sniffZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

/** At most this many anomalies of one code are listed; the rest are summarised in one line. */
const MAX_ANOMALIES_PER_CODE = 50;

class AnomalyList {
  readonly list: ZipAnomaly[] = [];
  private readonly counts = new Map<ZipAnomalyCode, number>();
  add(a: ZipAnomaly): void {
    const n = (this.counts.get(a.code) ?? 0) + 1;
    this.counts.set(a.code, n);
    if (n <= MAX_ANOMALIES_PER_CODE) this.list.push(a);
  }
  finish(): ZipAnomaly[] {
    for (const [code, n] of this.counts) {
      if (n > MAX_ANOMALIES_PER_CODE) {
        const first = this.list.find((a) => a.code === code);
        this.list.push({ code, severity: first?.severity ?? 'medium', offset: first?.offset ?? 0, message: `… and ${n - MAX_ANOMALIES_PER_CODE} more "${code}" anomalies not listed` });
      }
    }
    return this.list;
  }
}

export async function readZipDirectory(source: ByteSource, options: ReadZipOptions = {}): Promise<ZipDirectory> {
  const file = source.path;
  const fail = (code: 'zip_no_eocd' | 'zip_bad_eocd' | 'zip_multi_disk' | 'zip_bad_central_directory', message: string, offset: number): SleuthError =>
    new SleuthError(code, message, { offset, file });
  const anomalies = new AnomalyList();
  const size = source.size;

  // ── EOCD: the last signature in the tail whose comment fits ───────────────────────────────
  if (size < 22) throw fail('zip_no_eocd', `The file is ${size} bytes; a ZIP archive ends with a 22-byte end-of-central-directory record`, 0);
  const tailLength = Math.min(size, MAX_ZIP_EOCD_SEARCH_BYTES);
  const tailStart = size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  const tv = view(tail);
  let eocdAt = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === SIG_EOCD && i + 22 + tv.getUint16(i + 20, true) <= tailLength) {
      eocdAt = i;
      break;
    }
  }
  if (eocdAt < 0) throw fail('zip_no_eocd', `No end-of-central-directory signature (PK\\5\\6) in the last ${tailLength} bytes; expected a ZIP archive`, tailStart);
  const eocdOffset = tailStart + eocdAt;
  const disk = tv.getUint16(eocdAt + 4, true);
  const cdDisk = tv.getUint16(eocdAt + 6, true);
  const entriesOnDisk16 = tv.getUint16(eocdAt + 8, true);
  const entries16 = tv.getUint16(eocdAt + 10, true);
  const cdSize32 = tv.getUint32(eocdAt + 12, true);
  const cdOffset32 = tv.getUint32(eocdAt + 16, true);
  const commentLength = tv.getUint16(eocdAt + 20, true);
  const comment = latin1(tail.subarray(eocdAt + 22, eocdAt + 22 + commentLength));
  const eocdEnd = eocdOffset + 22 + commentLength;
  if (eocdEnd < size) {
    anomalies.add({ code: 'data-after-eocd', severity: 'medium', offset: eocdEnd, message: `${size - eocdEnd} bytes follow the end-of-central-directory record; a ZIP archive ends with it (appended data is invisible to ZIP readers)` });
  }
  if (commentLength > 0) {
    anomalies.add({ code: 'archive-comment', severity: 'info', offset: eocdOffset + 22, message: `The archive has a ${commentLength}-byte comment (torch and numpy write none)` });
  }

  // ── ZIP64 locator and record ──────────────────────────────────────────────────────────────
  let zip64 = false;
  let entryCount: bigint = BigInt(entries16);
  let cdSize: bigint = BigInt(cdSize32);
  let cdOffset: bigint = BigInt(cdOffset32);
  let directoryEnd = eocdOffset; // where the central directory (plus ZIP64 records) should end
  if (eocdOffset >= 20) {
    const loc = view(await source.read(eocdOffset - 20, 20));
    if (loc.getUint32(0, true) === SIG_ZIP64_LOCATOR) {
      zip64 = true;
      const totalDisks = loc.getUint32(16, true);
      if (loc.getUint32(4, true) !== 0 || totalDisks > 1) {
        throw fail('zip_multi_disk', `The ZIP64 locator names disk ${loc.getUint32(4, true)} of ${totalDisks}; expected a single-disk archive`, eocdOffset - 20);
      }
      const recordOffset = loc.getBigUint64(8, true);
      // The record normally sits right before the locator; with prepended bytes its stated offset is
      // shifted, so look where it must be first (as CPython's zipfile does).
      let recordAt = eocdOffset - 20 - 56;
      let rec = recordAt >= 0 ? view(await source.read(recordAt, 56)) : undefined;
      if (!rec || rec.getUint32(0, true) !== SIG_ZIP64_EOCD) {
        const stated = toSafeNumber(recordOffset, 'ZIP64 EOCD offset', eocdOffset - 12, 'zip_bad_eocd', file);
        if (stated + 56 > eocdOffset - 20) throw fail('zip_bad_eocd', `The ZIP64 locator points at byte ${stated}, not before the locator at ${eocdOffset - 20}; expected the ZIP64 EOCD record there`, eocdOffset - 12);
        recordAt = stated;
        rec = view(await source.read(recordAt, 56));
        if (rec.getUint32(0, true) !== SIG_ZIP64_EOCD) throw fail('zip_bad_eocd', `No ZIP64 end-of-central-directory signature (PK\\6\\6) at byte ${recordAt}, where the ZIP64 locator points`, recordAt);
      }
      const recordSize = rec.getBigUint64(4, true);
      directoryEnd = recordAt;
      if (BigInt(recordAt) + 12n + recordSize !== BigInt(eocdOffset - 20)) {
        anomalies.add({ code: 'eocd-mismatch', severity: 'low', offset: recordAt, message: `The ZIP64 EOCD record declares ${recordSize} bytes but the locator follows ${eocdOffset - 20 - recordAt - 12} bytes after its header` });
      }
      if (rec.getUint32(16, true) !== 0 || rec.getUint32(20, true) !== 0) {
        throw fail('zip_multi_disk', `The ZIP64 EOCD record names disk ${rec.getUint32(16, true)} / directory disk ${rec.getUint32(20, true)}; expected 0`, recordAt + 16);
      }
      const e64 = rec.getBigUint64(32, true);
      const s64 = rec.getBigUint64(40, true);
      const o64 = rec.getBigUint64(48, true);
      // Plain fields that are not saturated must agree with the ZIP64 ones: readers that consult
      // only one of the two records would otherwise see different archives.
      const disagree: string[] = [];
      if (entries16 !== 0xffff && BigInt(entries16) !== e64) disagree.push(`entries ${entries16} vs ${e64}`);
      if (cdSize32 !== 0xffffffff && BigInt(cdSize32) !== s64) disagree.push(`directory size ${cdSize32} vs ${s64}`);
      if (cdOffset32 !== 0xffffffff && BigInt(cdOffset32) !== o64) disagree.push(`directory offset ${cdOffset32} vs ${o64}`);
      if (disagree.length > 0) {
        anomalies.add({ code: 'eocd-mismatch', severity: 'high', offset: eocdOffset, message: `The EOCD and ZIP64 EOCD records disagree (${disagree.join('; ')}); readers that trust different records see different archives. The ZIP64 values are used.` });
      }
      entryCount = e64;
      cdSize = s64;
      cdOffset = o64;
    }
  }
  if (!zip64 && (disk !== 0 || cdDisk !== 0)) throw fail('zip_multi_disk', `The EOCD names disk ${disk} (directory on disk ${cdDisk}); expected a single-disk archive`, eocdOffset + 4);
  if (!zip64 && (entries16 === 0xffff || cdSize32 === 0xffffffff || cdOffset32 === 0xffffffff)) {
    throw fail('zip_bad_eocd', 'The EOCD has saturated fields (0xFFFF / 0xFFFFFFFF) but no ZIP64 locator precedes it; expected a ZIP64 end-of-central-directory locator', eocdOffset);
  }
  if (!zip64 && entriesOnDisk16 !== entries16) {
    anomalies.add({ code: 'eocd-mismatch', severity: 'low', offset: eocdOffset, message: `The EOCD counts ${entriesOnDisk16} entries on this disk but ${entries16} in total` });
  }

  const count = checkedLength(entryCount, { cap: MAX_ZIP_ENTRIES, remaining: Number.MAX_SAFE_INTEGER, what: 'Central directory entry count', offset: eocdOffset, file, code: 'zip_bad_eocd', capCode: 'zip_too_many_entries' });
  const dirSize = checkedLength(cdSize, { cap: MAX_ZIP_CENTRAL_DIRECTORY_BYTES, remaining: directoryEnd, what: 'Central directory size', offset: eocdOffset, file, code: 'zip_bad_central_directory', capCode: 'zip_central_directory_too_large' });
  if (count * 46 > dirSize) throw fail('zip_bad_eocd', `The EOCD declares ${count} entries in a ${dirSize}-byte central directory; each record needs at least 46 bytes`, eocdOffset);
  const statedOffset = toSafeNumber(cdOffset, 'Central directory offset', eocdOffset + 16, 'zip_bad_central_directory', file);

  // ── Where the directory really is: prepended bytes shift every stated offset ───────────────
  let shift = 0;
  const actualStart = directoryEnd - dirSize;
  if (actualStart < 0) throw fail('zip_bad_central_directory', `The central directory (${dirSize} bytes) would start before the file`, eocdOffset);
  const sigAt = async (o: number): Promise<boolean> => o >= 0 && o + 4 <= size && view(await source.read(o, 4)).getUint32(0, true) === SIG_CENTRAL;
  if (statedOffset !== actualStart) {
    if (count > 0 && statedOffset < actualStart && (await sigAt(statedOffset))) {
      anomalies.add({
        code: 'data-after-central-directory',
        severity: 'medium',
        offset: statedOffset + dirSize,
        message: `${actualStart - statedOffset} bytes lie between the end of the central directory (byte ${statedOffset + dirSize}) and the end record at ${directoryEnd}; nothing should be there`,
      });
    } else if (statedOffset < actualStart && (count === 0 || (await sigAt(actualStart)))) {
      shift = actualStart - statedOffset;
      anomalies.add({
        code: 'data-before-archive',
        severity: 'medium',
        offset: 0,
        message: `${shift} bytes precede the archive (every stated offset is off by ${shift}): a self-extractor stub or a polyglot file that is also something else`,
      });
    } else {
      throw fail('zip_bad_central_directory', `The central directory is stated at byte ${statedOffset} (${dirSize} bytes) but the end record at ${directoryEnd} implies ${actualStart}, and no directory record is found at either`, eocdOffset + 16);
    }
  }
  const cdStart = statedOffset + shift;
  if (count === 0 && dirSize === 0 && cdStart > 0) {
    anomalies.add({ code: 'data-before-central-directory', severity: 'medium', offset: 0, message: `The archive lists no members but ${cdStart} bytes precede its directory` });
  }

  // ── Central directory records ─────────────────────────────────────────────────────────────
  const reader = new CachedReader(source, 1024 * 1024, 2);
  const entries: ZipEntry[] = [];
  const nameBytesOf: Uint8Array[] = [];
  const byName = new Map<string, ZipEntry>();
  let pos = cdStart;
  const cdLimit = cdStart + dirSize;
  for (let i = 0; i < count; i++) {
    if (pos + 46 > cdLimit) {
      throw fail('zip_bad_central_directory', `Central directory record ${i} at byte ${pos} runs past the directory's end (${cdLimit}); expected ${count} records in ${dirSize} bytes`, pos);
    }
    const h = view(reader.tryRead(pos, 46) ?? (await reader.read(pos, 46)));
    if (h.getUint32(0, true) !== SIG_CENTRAL) {
      throw fail('zip_bad_central_directory', `Central directory record ${i} at byte ${pos} has signature 0x${h.getUint32(0, true).toString(16).padStart(8, '0')}; expected PK\\1\\2 (0x02014b50)`, pos);
    }
    const flags = h.getUint16(8, true);
    const method = h.getUint16(10, true);
    const crc = h.getUint32(16, true);
    const csize32 = h.getUint32(20, true);
    const usize32 = h.getUint32(24, true);
    const nameLength = h.getUint16(28, true);
    const extraLength = h.getUint16(30, true);
    const commentLen = h.getUint16(32, true);
    const diskStart = h.getUint16(34, true);
    const lho32 = h.getUint32(42, true);
    const varLength = nameLength + extraLength + commentLen;
    if (pos + 46 + varLength > cdLimit) {
      throw fail('zip_bad_central_directory', `Central directory record ${i} at byte ${pos} declares ${varLength} bytes of name/extra/comment, past the directory's end (${cdLimit})`, pos);
    }
    const varBytes = reader.tryRead(pos + 46, nameLength + extraLength) ?? (await reader.read(pos + 46, nameLength + extraLength));
    const nameBytes = varBytes.slice(0, nameLength);
    const extra = varBytes.subarray(nameLength, nameLength + extraLength);
    const name = decodeName(nameBytes, flags, pos, anomalies);

    let usize = BigInt(usize32);
    let csize = BigInt(csize32);
    let lho = BigInt(lho32);
    let entryZip64 = false;
    const fields = parseExtra(extra);
    if (fields.malformed) anomalies.add({ code: 'bad-extra-field', severity: 'low', offset: pos + 46 + nameLength, member: name, message: `The extra field of "${name}" in the central directory is malformed (a sub-field overruns it)` });
    const z = fields.map.get(EXTRA_ZIP64);
    if (z) {
      entryZip64 = true;
      const zv = view(z);
      let at = 0;
      const take = (what: string): bigint | undefined => {
        if (at + 8 > z.length) {
          anomalies.add({ code: 'bad-extra-field', severity: 'high', offset: pos + 46 + nameLength, member: name, message: `The ZIP64 extra field of "${name}" lacks the 64-bit ${what} its saturated header field announces` });
          return undefined;
        }
        const v = zv.getBigUint64(at, true);
        at += 8;
        return v;
      };
      if (usize32 === 0xffffffff) usize = take('uncompressed size') ?? usize;
      if (csize32 === 0xffffffff) csize = take('compressed size') ?? csize;
      if (lho32 === 0xffffffff) lho = take('local header offset') ?? lho;
    } else if (usize32 === 0xffffffff || csize32 === 0xffffffff || lho32 === 0xffffffff) {
      anomalies.add({ code: 'bad-extra-field', severity: 'high', offset: pos, member: name, message: `"${name}" has saturated 32-bit fields but no ZIP64 extra field; its sizes and offset are unknown` });
    }
    const unicodePath = fields.map.get(EXTRA_UNICODE_PATH);
    if (unicodePath && unicodePath.length > 5) {
      const alt = decodeUtf8Strict(unicodePath.subarray(5)) ?? '';
      if (alt !== name) {
        anomalies.add({ code: 'unicode-path-extra', severity: 'high', offset: pos, member: name, message: `"${name}" carries an Info-ZIP Unicode path extra field naming it "${alt}": readers that honour the field see a different name` });
      }
    }
    if (diskStart !== 0 && diskStart !== 0xffff) {
      throw fail('zip_multi_disk', `"${name}" starts on disk ${diskStart}; expected a single-disk archive`, pos + 34);
    }
    const offsetOf = (v: bigint, what: string): number => toSafeNumber(v, `${what} of "${name}"`, pos, 'zip_bad_central_directory', file);
    const entry: ZipEntry = {
      index: i,
      name,
      method,
      flags,
      crc32: crc,
      compressedSize: offsetOf(csize, 'Compressed size'),
      uncompressedSize: offsetOf(usize, 'Uncompressed size'),
      localHeaderOffset: offsetOf(lho, 'Local header offset') + shift,
      dataOffset: undefined,
      centralOffset: pos,
      zip64: entryZip64,
      encrypted: (flags & FLAG_ENCRYPTED) !== 0,
    };
    entries.push(entry);
    nameBytesOf.push(nameBytes);
    if (byName.has(name)) {
      const prev = byName.get(name);
      anomalies.add({
        code: 'duplicate-name',
        severity: 'high',
        offset: pos,
        member: name,
        message: `"${name}" appears twice in the central directory (records ${prev?.index ?? '?'} and ${i}); readers disagree on which one they use (this reader uses the first)`,
      });
    } else {
      byName.set(name, entry);
    }
    checkPath(name, pos, anomalies);
    if (entry.encrypted) anomalies.add({ code: 'encrypted-member', severity: 'high', offset: pos, member: name, message: `"${name}" is encrypted (flag bit 0); model writers never encrypt members and its content cannot be inspected` });
    if (method !== ZIP_METHOD_STORED && method !== ZIP_METHOD_DEFLATE) {
      anomalies.add({ code: 'unsupported-method', severity: 'medium', offset: pos + 10, member: name, message: `"${name}" uses compression method ${method}; expected 0 (stored) or 8 (deflate)` });
    }
    pos += 46 + varLength;
  }
  if (pos !== cdLimit) {
    anomalies.add({ code: 'entry-count-mismatch', severity: 'medium', offset: pos, message: `The ${count} central directory records end at byte ${pos} but the directory is declared to end at ${cdLimit}; ${cdLimit - pos} bytes are unaccounted for` });
  }

  // ── Local headers, data descriptors, extents ──────────────────────────────────────────────
  // Local headers are scattered through the file (between storages of any size): small blocks,
  // so a 100k-member checkpoint costs ~100k × 4 KiB of reads, not 100k × 1 MiB. Visiting them in
  // file order lets a header share its block with the previous member's data descriptor.
  const headerReader = new CachedReader(source, 4096, 4);
  const extents: { entry: ZipEntry; start: number; end: number }[] = [];
  const order = entries.map((_, i) => i).sort((x, y) => (entries[x] as ZipEntry).localHeaderOffset - (entries[y] as ZipEntry).localHeaderOffset);
  for (const i of order) {
    const entry = entries[i] as ZipEntry;
    const nameBytes = nameBytesOf[i] as Uint8Array;
    const end = await checkLocalHeader(headerReader, entry, nameBytes, cdStart, anomalies);
    if (end !== undefined) extents.push({ entry, start: entry.localHeaderOffset, end });
  }
  extents.sort((a, b) => a.start - b.start || a.end - b.end);
  let cursor = shift;
  for (let i = 0; i < extents.length; i++) {
    const x = extents[i] as (typeof extents)[number];
    if (x.start < cursor && i > 0) {
      const prev = extents[i - 1] as (typeof extents)[number];
      anomalies.add({
        code: 'overlapping-members',
        severity: 'high',
        offset: x.start,
        member: x.entry.name,
        message: `"${x.entry.name}" (bytes ${x.start}–${x.end}) overlaps "${prev.entry.name}" (ending at ${cursor}); overlapping members are a decompression-bomb and content-confusion technique`,
      });
    } else if (x.start > cursor) {
      if (i === 0) {
        anomalies.add({ code: 'gap-before-first-member', severity: 'medium', offset: cursor, message: `${x.start - cursor} bytes precede the first member ("${x.entry.name}" at ${x.start}); data hidden there is invisible to ZIP readers` });
      } else {
        anomalies.add({ code: 'gap-between-members', severity: 'low', offset: cursor, member: x.entry.name, message: `${x.start - cursor} unaccounted bytes lie before "${x.entry.name}" (bytes ${cursor}–${x.start})` });
      }
    }
    cursor = Math.max(cursor, x.end);
  }
  if (extents.length > 0 && cursor < cdStart) {
    anomalies.add({ code: 'data-before-central-directory', severity: 'medium', offset: cursor, message: `${cdStart - cursor} bytes lie between the last member (ending at ${cursor}) and the central directory at ${cdStart}; data hidden there is invisible to ZIP readers` });
  }

  // ── CRC-32 of small members ───────────────────────────────────────────────────────────────
  const mode = options.crc ?? 'small';
  if (mode !== 'none') {
    const limit = mode === 'all' ? Number.MAX_SAFE_INTEGER : (options.crcMaxBytes ?? ZIP_CRC_CHECK_DEFAULT_BYTES);
    // Small members sit next to each other: read them through one cache, in file order.
    const small = new CachedReader(source, 256 * 1024, 2);
    for (const i of order) {
      const entry = entries[i] as ZipEntry;
      if (entry.dataOffset === undefined || entry.encrypted || entry.uncompressedSize > limit) continue;
      if (entry.method !== ZIP_METHOD_STORED && entry.method !== ZIP_METHOD_DEFLATE) continue;
      if (entry.method === ZIP_METHOD_DEFLATE && entry.uncompressedSize > MAX_ZIP_INFLATE_BYTES) continue;
      await checkCrc(source, entry, anomalies, small);
    }
  }

  return {
    entries,
    byName,
    anomalies: anomalies.finish(),
    zip64,
    comment,
    prefixBytes: shift,
    centralDirectoryOffset: cdStart,
    centralDirectorySize: dirSize,
    eocdOffset,
  };
}

/** Reads and checks one local header; returns the absolute end of the member's extent (data + descriptor). */
async function checkLocalHeader(reader: CachedReader, entry: ZipEntry, nameBytes: Uint8Array, cdStart: number, anomalies: AnomalyList): Promise<number | undefined> {
  const at = entry.localHeaderOffset;
  const name = entry.name;
  if (at + 30 > cdStart) {
    anomalies.add({ code: 'member-out-of-range', severity: 'high', offset: entry.centralOffset, member: name, message: `"${name}" has its local header at byte ${at}, not before the central directory at ${cdStart}` });
    return undefined;
  }
  const h = view(reader.tryRead(at, 30) ?? (await reader.read(at, 30)));
  if (h.getUint32(0, true) !== SIG_LOCAL) {
    anomalies.add({ code: 'bad-local-header', severity: 'high', offset: at, member: name, message: `No local header signature (PK\\3\\4) at byte ${at}, where the central directory places "${name}"` });
    return undefined;
  }
  const flags = h.getUint16(6, true);
  const method = h.getUint16(8, true);
  const crc = h.getUint32(14, true);
  const csize32 = h.getUint32(18, true);
  const usize32 = h.getUint32(22, true);
  const nameLength = h.getUint16(26, true);
  const extraLength = h.getUint16(28, true);
  const dataOffset = at + 30 + nameLength + extraLength;
  if (dataOffset > cdStart) {
    anomalies.add({ code: 'member-out-of-range', severity: 'high', offset: at, member: name, message: `The local header of "${name}" at byte ${at} runs into the central directory (byte ${cdStart})` });
    return undefined;
  }
  const var_ = reader.tryRead(at + 30, nameLength + extraLength) ?? (await reader.read(at + 30, nameLength + extraLength));
  const localName = var_.subarray(0, nameLength);
  const mismatches: string[] = [];
  if (!sameBytes(localName, nameBytes)) mismatches.push(`name "${latin1(localName).slice(0, 200)}"`);
  if (method !== entry.method) mismatches.push(`method ${method} vs ${entry.method}`);
  if ((flags & (FLAG_ENCRYPTED | FLAG_DESCRIPTOR)) !== (entry.flags & (FLAG_ENCRYPTED | FLAG_DESCRIPTOR))) mismatches.push(`flags 0x${flags.toString(16)} vs 0x${entry.flags.toString(16)}`);
  let localZip64 = false;
  if ((flags & FLAG_DESCRIPTOR) === 0) {
    let lc = BigInt(csize32);
    let lu = BigInt(usize32);
    const z = parseExtra(var_.subarray(nameLength)).map.get(EXTRA_ZIP64);
    if (z && (csize32 === 0xffffffff || usize32 === 0xffffffff)) {
      localZip64 = true;
      // In a local header the ZIP64 field holds both sizes (APPNOTE 4.5.3): uncompressed, compressed.
      const zv = view(z);
      if (z.length >= 16) {
        lu = zv.getBigUint64(0, true);
        lc = zv.getBigUint64(8, true);
      }
    }
    if (crc !== entry.crc32) mismatches.push(`CRC 0x${hex32(crc)} vs 0x${hex32(entry.crc32)}`);
    if (lc !== BigInt(entry.compressedSize)) mismatches.push(`compressed size ${lc} vs ${entry.compressedSize}`);
    if (lu !== BigInt(entry.uncompressedSize)) mismatches.push(`size ${lu} vs ${entry.uncompressedSize}`);
  } else if (parseExtra(var_.subarray(nameLength)).map.has(EXTRA_ZIP64)) {
    localZip64 = true;
  }
  if (mismatches.length > 0) {
    anomalies.add({
      code: 'local-central-mismatch',
      severity: 'high',
      offset: at,
      member: name,
      message: `The local header of "${name}" disagrees with its central directory record (${mismatches.join('; ')}); streaming and directory-based readers would read different things`,
    });
  }
  const dataEnd = dataOffset + entry.compressedSize;
  if (dataEnd > cdStart) {
    anomalies.add({ code: 'member-out-of-range', severity: 'high', offset: dataOffset, member: name, message: `"${name}" declares ${entry.compressedSize} bytes of data from byte ${dataOffset}, running into the central directory at ${cdStart}` });
    return undefined;
  }
  entry.dataOffset = dataOffset;
  let end = dataEnd;
  if ((flags & FLAG_DESCRIPTOR) !== 0) {
    // Data descriptor: [signature] crc32, compressed size, uncompressed size (8-byte sizes for ZIP64).
    const wide = localZip64 || entry.zip64;
    const avail = Math.min(24, cdStart - dataEnd);
    const d = avail >= 12 ? view(reader.tryRead(dataEnd, avail) ?? (await reader.read(dataEnd, avail))) : undefined;
    if (!d) {
      anomalies.add({ code: 'descriptor-mismatch', severity: 'medium', offset: dataEnd, member: name, message: `"${name}" announces a data descriptor (flag bit 3) but none fits after its data at byte ${dataEnd}` });
    } else {
      const o = d.getUint32(0, true) === SIG_DESCRIPTOR ? 4 : 0;
      // APPNOTE 4.3.9: sizes are 8 bytes when the entry uses ZIP64; writers disagree on what
      // "uses" means (miniz, Python), so both widths are tried and the one that matches wins.
      const read = (w: boolean): { crc: number; c: bigint; u: bigint; len: number } | undefined => {
        const len = o + 4 + (w ? 16 : 8);
        if (len > avail) return undefined;
        return {
          crc: d.getUint32(o, true),
          c: w ? d.getBigUint64(o + 4, true) : BigInt(d.getUint32(o + 4, true)),
          u: w ? d.getBigUint64(o + 12, true) : BigInt(d.getUint32(o + 8, true)),
          len,
        };
      };
      const matches = (x: { crc: number; c: bigint; u: bigint } | undefined): boolean =>
        x !== undefined && x.crc === entry.crc32 && x.c === BigInt(entry.compressedSize) && x.u === BigInt(entry.uncompressedSize);
      const preferred = read(wide);
      const other = read(!wide);
      const found = matches(preferred) ? preferred : matches(other) ? other : preferred ?? other;
      if (!found) {
        anomalies.add({ code: 'descriptor-mismatch', severity: 'medium', offset: dataEnd, member: name, message: `The data descriptor of "${name}" at byte ${dataEnd} is cut short by the next structure` });
      } else {
        if (!matches(found)) {
          anomalies.add({
            code: 'descriptor-mismatch',
            severity: 'high',
            offset: dataEnd,
            member: name,
            message: `The data descriptor of "${name}" (CRC 0x${hex32(found.crc)}, ${found.c}/${found.u} bytes) disagrees with the central directory (CRC 0x${hex32(entry.crc32)}, ${entry.compressedSize}/${entry.uncompressedSize} bytes)`,
          });
        }
        end = dataEnd + found.len;
      }
    }
  }
  return end;
}

async function checkCrc(source: ByteSource, entry: ZipEntry, anomalies: AnomalyList, cache?: CachedReader): Promise<void> {
  const at = entry.dataOffset;
  if (at === undefined) return;
  let actual: number;
  let actualSize = entry.uncompressedSize;
  try {
    if (entry.method === ZIP_METHOD_STORED) {
      let state = CRC32_INIT;
      for (let done = 0; done < entry.compressedSize; ) {
        const n = Math.min(STREAM_CHUNK_BYTES, entry.compressedSize - done);
        state = crc32Update(state, cache ? await cache.read(at + done, n) : await source.read(at + done, n));
        done += n;
      }
      actual = crc32Final(state);
      actualSize = entry.compressedSize;
    } else {
      const { bytes } = await inflateRange(source, at, entry.compressedSize, { maxOutput: entry.uncompressedSize, what: `Member "${entry.name}"` });
      actual = crc32(bytes);
      actualSize = bytes.length;
    }
  } catch (e) {
    entry.crcOk = false;
    anomalies.add({ code: 'crc-mismatch', severity: 'high', offset: at, member: entry.name, message: `"${entry.name}" could not be checked: ${e instanceof Error ? e.message : String(e)}` });
    return;
  }
  entry.crcOk = actual === entry.crc32 && actualSize === entry.uncompressedSize;
  if (!entry.crcOk) {
    anomalies.add({
      code: 'crc-mismatch',
      severity: 'high',
      offset: at,
      member: entry.name,
      message: `"${entry.name}" has CRC-32 0x${hex32(actual)} over ${actualSize} bytes but the directory records 0x${hex32(entry.crc32)} over ${entry.uncompressedSize}: the member was altered after the archive was written`,
    });
  }
}

/** Streams a stored member's CRC-32 (for big storages, on request) and records the outcome on the entry. */
export async function verifyZipMemberCrc(source: ByteSource, entry: ZipEntry): Promise<boolean> {
  const list = new AnomalyList();
  await checkCrc(source, entry, list);
  return entry.crcOk === true;
}

/**
 * The whole content of a member, inflated if needed, at most `maxBytes` (default
 * MAX_ZIP_INFLATE_BYTES). For small members only (data.pkl, version, an .npy header): tensor
 * storages are never read through here.
 */
export async function readZipMember(source: ByteSource, entry: ZipEntry, maxBytes: number = MAX_ZIP_INFLATE_BYTES): Promise<Uint8Array> {
  const at = checkReadable(source, entry);
  if (entry.method === ZIP_METHOD_STORED) {
    if (entry.compressedSize > maxBytes) {
      throw new SleuthError('zip_member_too_large', `Member "${entry.name}" is ${entry.compressedSize} bytes; expected at most ${maxBytes} for a member read whole`, { offset: at, file: source.path });
    }
    return source.read(at, entry.compressedSize);
  }
  // Decompression bombs (CWE-409): a member declaring more than the cap is refused before any
  // inflating, and one that inflates past its declared size (a 60 KB member "of 200 bytes" that
  // expands to 62 MB) is stopped as soon as it does — memory and time bounded by the declaration.
  if (entry.uncompressedSize > maxBytes) {
    throw new SleuthError('zip_member_too_large', `Member "${entry.name}" declares ${entry.uncompressedSize} bytes uncompressed; expected at most ${maxBytes} for a member read whole (decompression-bomb guard)`, { offset: at, file: source.path });
  }
  const { bytes } = await inflateRange(source, at, entry.compressedSize, { maxOutput: entry.uncompressedSize, what: `Member "${entry.name}" (declared ${entry.uncompressedSize} bytes uncompressed)` });
  return bytes;
}

/** The first `length` bytes of a member's uncompressed content (fewer if the member is shorter). */
export async function readZipMemberPrefix(source: ByteSource, entry: ZipEntry, length: number): Promise<Uint8Array> {
  const at = checkReadable(source, entry);
  if (entry.method === ZIP_METHOD_STORED) return source.read(at, Math.min(length, entry.compressedSize));
  const { bytes } = await inflateRange(source, at, entry.compressedSize, { maxOutput: length, prefix: true, what: `Member "${entry.name}"` });
  return bytes;
}

/**
 * The offset messages about a member point at: its local header when the stated offset lies in the
 * file, else its central directory record (a hostile record may state any local header offset).
 */
export function memberOffset(entry: ZipEntry, fileSize: number): number {
  return entry.localHeaderOffset < fileSize ? entry.localHeaderOffset : entry.centralOffset;
}

function checkReadable(source: ByteSource, entry: ZipEntry): number {
  const at = entry.dataOffset;
  if (at === undefined) {
    throw new SleuthError('zip_bad_local_header', `Member "${entry.name}" has no usable local header (stated at byte ${entry.localHeaderOffset}), so its data cannot be located`, { offset: memberOffset(entry, source.size), file: source.path });
  }
  if (entry.encrypted) throw new SleuthError('zip_member_unreadable', `Member "${entry.name}" is encrypted; its content cannot be read`, { offset: at, file: source.path });
  if (entry.method !== ZIP_METHOD_STORED && entry.method !== ZIP_METHOD_DEFLATE) {
    throw new SleuthError('zip_member_unreadable', `Member "${entry.name}" uses compression method ${entry.method}; expected 0 (stored) or 8 (deflate)`, { offset: at, file: source.path });
  }
  return at;
}

// ── helpers ─────────────────────────────────────────────────────────────────────────────────

function parseExtra(extra: Uint8Array): { map: Map<number, Uint8Array>; malformed: boolean } {
  const map = new Map<number, Uint8Array>();
  const v = view(extra);
  let o = 0;
  while (o + 4 <= extra.length) {
    const id = v.getUint16(o, true);
    const len = v.getUint16(o + 2, true);
    if (o + 4 + len > extra.length) return { map, malformed: true };
    if (!map.has(id)) map.set(id, extra.subarray(o + 4, o + 4 + len));
    o += 4 + len;
  }
  // Trailing 1–3 bytes that cannot hold a sub-field header are tolerated when they are zero
  // padding; anything else is malformed.
  return { map, malformed: o !== extra.length && extra.subarray(o).some((b) => b !== 0) };
}

/** Names without the UTF-8 flag are CP437 (APPNOTE appendix D). */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

export function decodeCp437(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    s += b < 0x80 ? String.fromCharCode(b) : (CP437_HIGH[b - 0x80] ?? '?');
  }
  return s;
}

function decodeName(bytes: Uint8Array, flags: number, offset: number, anomalies: AnomalyList): string {
  if ((flags & FLAG_UTF8) !== 0) {
    const s = decodeUtf8Strict(bytes);
    if (s !== undefined) return s;
    const lossy = new TextDecoder('utf-8').decode(bytes);
    anomalies.add({ code: 'bad-name-encoding', severity: 'medium', offset, member: lossy, message: `A member name flagged UTF-8 is not valid UTF-8 ("${lossy}"); readers decode it differently` });
    return lossy;
  }
  return decodeCp437(bytes);
}

function checkPath(name: string, offset: number, anomalies: AnomalyList): void {
  const reasons: string[] = [];
  if (name.includes('\\')) reasons.push('contains a backslash (a path separator on Windows)');
  if (name.startsWith('/')) reasons.push('is absolute');
  if (/^[A-Za-z]:/.test(name)) reasons.push('starts with a drive letter');
  if (name.split(/[/\\]/).includes('..')) reasons.push('climbs out of the extraction folder with ".."');
  if (name.includes('\0')) reasons.push('contains a NUL byte');
  if (name.length === 0) reasons.push('is empty');
  if (reasons.length > 0) {
    anomalies.add({ code: 'unsafe-path', severity: 'high', offset, member: name, message: `Member name "${name}" ${reasons.join(', ')}: extracting the archive could write outside its folder (Zip Slip)` });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] as number);
  return s;
}
