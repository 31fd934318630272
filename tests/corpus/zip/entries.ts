/**
 * ZIP container corpus (PKWARE APPNOTE.TXT 6.3.10): the archive structures themselves — end
 * record, ZIP64 records, central directory, local headers — cut short, overflowing, lying about
 * counts and sizes, split across "disks", with bytes before or after the archive. Saved as a
 * torch checkpoint (`model.pt`), the container every ZIP-based model format shares.
 */
import { concat, f32, patched, u16, u32, u64, utf8 } from '../builders/bytes.ts';
import { stateDictPickle, systemCall } from '../builders/pickle.ts';
import { buildSafetensors } from '../../fixtures/safetensors-builder.ts';
import { buildZip, type BuiltZip, type ZipSpec } from '../builders/zip.ts';
import { torchZip } from '../builders/torch.ts';
import type { CorpusEntry } from '../types.ts';

const PT = 'model.pt';

const pkl = (name: string): Uint8Array => stateDictPickle([[name, (p) => p.tensor({ key: '0', numel: 2, size: [2], stride: [1] })]]).stop().bytesOut();
/** A valid two-member checkpoint (data.pkl + one storage), optionally with ZIP64 end records. */
const ckpt = (name: string, zip: ZipSpec = {}): BuiltZip => torchZip({ dataPkl: pkl(name), storages: { '0': f32(1, 2) }, byteorder: null, zip });

const V = ckpt('zip.valid');
const SIZE = V.bytes.length;

/** The valid checkpoint cut at `at` bytes. */
const cut = (at: number): Uint8Array => ckpt('zip.valid').bytes.subarray(0, at);

export const ZIP_ENTRIES: readonly CorpusEntry[] = [
  // ── truncation at every structure ─────────────────────────────────────────
  {
    id: 'zip/truncated-inside-first-local-header',
    format: 'zip',
    name: PT,
    build: () => cut(20),
    expect: { code: 'zip_no_eocd', offset: 0 },
    source: 'spec rule: APPNOTE 4.3.16 — every archive ends with an end-of-central-directory record; a 20-byte file cannot hold one',
  },
  {
    id: 'zip/truncated-after-members',
    format: 'zip',
    name: PT,
    build: () => cut(V.directoryOffset),
    expect: { code: 'zip_no_eocd', offset: 0 },
    source: 'spec rule: APPNOTE 4.3.6 — members are followed by the central directory and the end record (download cut after the data)',
  },
  {
    id: 'zip/truncated-inside-central-directory',
    format: 'zip',
    name: PT,
    build: () => cut(V.directoryOffset + 30),
    expect: { code: 'zip_no_eocd', offset: 0 },
    source: 'spec rule: APPNOTE 4.3.12 — the file ends inside a central directory record',
  },
  {
    id: 'zip/truncated-inside-eocd',
    format: 'zip',
    name: PT,
    build: () => cut(V.eocdOffset + 12),
    expect: { code: 'zip_no_eocd', offset: 0 },
    source: 'spec rule: APPNOTE 4.3.16 — the end record is 22 bytes; the file ends 12 bytes into it',
  },
  {
    id: 'zip/truncated-inside-eocd-comment',
    format: 'zip',
    name: PT,
    build: () => ckpt('zip.comment', { comment: 'saved by trainer v1.2' }).bytes.subarray(0, SIZE + 10),
    expect: { code: 'zip_no_eocd', offset: 0 },
    source: 'spec rule: APPNOTE 4.3.16 — the end record\'s comment length runs past the end of the file',
  },
  {
    id: 'zip/empty-archive',
    format: 'zip',
    name: PT,
    build: () => buildZip([]).bytes,
    expect: { code: 'torch_no_data_pkl', offset: 0 },
    source: 'spec rule: APPNOTE 4.3.16 — a valid empty archive (only the end record) holds no data.pkl',
  },
  // ── end records ───────────────────────────────────────────────────────────
  {
    id: 'zip/saturated-eocd-without-zip64',
    format: 'zip',
    name: PT,
    build: () => patched(V.bytes, V.eocdOffset + 8, concat(u16(0xffff), u16(0xffff))),
    expect: { code: 'zip_bad_eocd', offset: V.eocdOffset },
    source: 'spec rule: APPNOTE 4.4.1.4 — 0xFFFF counts mean "see the ZIP64 record", which is missing',
  },
  {
    id: 'zip/multi-disk',
    format: 'zip',
    name: PT,
    build: () => ckpt('zip.disk', { disk: 1 }).bytes,
    expect: { code: 'zip_multi_disk', offset: V.eocdOffset + 4 },
    source: 'spec rule: APPNOTE 8.0 — a spanned/split archive (disk 1); readers that ignore the disk number read the wrong bytes',
  },
  {
    id: 'zip/entry-count-too-large-for-directory',
    format: 'zip',
    name: PT,
    build: () => ckpt('zip.count', { entryCount: 1000n }).bytes,
    expect: { code: 'zip_bad_eocd', offset: V.eocdOffset },
    source: 'spec rule: APPNOTE 4.3.12 — each central record is at least 46 bytes, so 1000 entries cannot fit the directory',
  },
  {
    id: 'zip/zip64-entry-count-2p40',
    format: 'zip',
    name: PT,
    build: () => ckpt('zip.z64count', { zip64: true, entryCount: 1n << 40n }).bytes,
    expect: { code: 'zip_too_many_entries' },
    source: 'spec rule: limits.ts MAX_ZIP_ENTRIES — a ZIP64 count of 2^40 sizing the entry table (CWE-770)',
  },
  {
    id: 'zip/zip64-directory-size-2p62',
    format: 'zip',
    name: PT,
    build: () => ckpt('zip.z64size', { zip64: true, directorySize: 1n << 62n }).bytes,
    expect: { code: 'zip_central_directory_too_large' },
    source: 'spec rule: limits.ts MAX_ZIP_CENTRAL_DIRECTORY_BYTES — a ZIP64 directory size of 2^62 (allocation from a declared size)',
  },
  {
    id: 'zip/zip64-directory-offset-2p63',
    format: 'zip',
    name: PT,
    build: () => ckpt('zip.z64off', { zip64: true, directoryOffset: 1n << 63n }).bytes,
    expect: { code: 'zip_bad_central_directory' },
    source: 'spec rule: APPNOTE 4.3.14 — a ZIP64 directory offset of 2^63, beyond any file (and beyond 2^53 for a JS reader)',
  },
  {
    id: 'zip/zip64-locator-points-nowhere',
    format: 'zip',
    name: PT,
    build: () => {
      // Move the ZIP64 record: the locator then points at data bytes where no PK\6\6 signature is.
      const z = ckpt('zip.locator', { zip64: true, zip64RecordOffset: 8n });
      const recAt = z.eocdOffset - 20 - 56;
      return patched(z.bytes, recAt, u32(0x12345678));
    },
    expect: { code: 'zip_bad_eocd' },
    source: 'spec rule: APPNOTE 4.3.15 — the ZIP64 locator gives the offset of the ZIP64 end record',
  },
  {
    id: 'zip/directory-offset-out-of-range',
    format: 'zip',
    name: PT,
    build: () => patched(V.bytes, V.eocdOffset + 16, u32(0x7fffffff)),
    expect: { code: 'zip_bad_central_directory' },
    source: 'spec rule: APPNOTE 4.3.16 — the central directory offset lies inside the file, before the end record',
  },
  {
    id: 'zip/central-record-bad-signature',
    format: 'zip',
    name: PT,
    build: () => patched(V.bytes, V.directoryOffset, u32(0x02014b51)),
    expect: { code: 'zip_bad_central_directory' },
    source: 'spec rule: APPNOTE 4.3.12 — each central directory record starts with PK\\1\\2 (0x02014b50)',
  },
  {
    id: 'zip/central-name-length-past-directory',
    format: 'zip',
    name: PT,
    build: () => patched(V.bytes, V.directoryOffset + 28, u16(0xffff)),
    expect: { code: 'zip_bad_central_directory', offset: V.directoryOffset },
    source: 'spec rule: APPNOTE 4.3.12 — name, extra and comment lengths stay inside the central directory',
  },
  {
    id: 'zip/member-on-disk-2',
    format: 'zip',
    name: PT,
    build: () => buildZip([{ name: 'archive/data.pkl', data: pkl('zip.memberdisk'), diskStart: 2 }]).bytes,
    expect: { code: 'zip_multi_disk' },
    source: 'spec rule: APPNOTE 4.4.13 — a member starting on another disk of a spanned archive',
  },
  {
    id: 'zip/local-header-offset-2p60',
    format: 'zip',
    name: PT,
    build: () => buildZip([{ name: 'archive/data.pkl', data: pkl('zip.lho'), localHeaderOffset: 1n << 60n }]).bytes,
    expect: { code: 'zip_bad_central_directory' },
    source: 'spec rule: APPNOTE 4.5.3 — a ZIP64 local header offset of 2^60 (beyond the file and 2^53)',
  },
  {
    id: 'zip/data-pkl-local-header-missing',
    format: 'zip',
    name: PT,
    // The storage first (so the file still starts with PK\3\4), then data.pkl with its local header zeroed.
    build: () => {
      const z = buildZip([
        { name: 'archive/data/0', data: f32(1, 2) },
        { name: 'archive/data.pkl', data: pkl('zip.nolocal') },
      ]);
      return patched(z.bytes, z.localOffsets[1] ?? 0, u32(0));
    },
    expect: { code: 'zip_bad_local_header', offset: 30 + 14 + 8 },
    source: 'spec rule: APPNOTE 4.3.7 — each member\'s data is preceded by a local header (PK\\3\\4) where the directory says',
  },
  {
    id: 'zip/member-size-past-directory',
    format: 'zip',
    name: PT,
    // data.pkl's central record declares 2 GB of compressed data: it would run through the directory.
    build: () => patched(V.bytes, V.directoryOffset + 20, u32(0x7fff0000)),
    expect: { code: 'zip_bad_local_header', offset: 0 },
    source: 'spec rule: APPNOTE 4.3.12 — a member\'s compressed size keeps its data before the central directory',
  },
  {
    id: 'zip/local-header-offset-past-eof',
    format: 'zip',
    name: PT,
    // data.pkl's central record states its local header at byte 0x7fff0000 of a 671-byte file.
    build: () => patched(V.bytes, V.directoryOffset + 42, u32(0x7fff0000)),
    expect: { code: 'zip_bad_local_header', offset: V.directoryOffset },
    source: 'fuzz find',
    note: 'The error pointed at the stated local header offset, 2 GB past the end of the file; it now points at the member\'s central directory record (memberOffset in read-zip.ts).',
  },
  // ── bytes outside the archive, archives inside other formats (polyglots) ─────────
  {
    id: 'zip/polyglot-safetensors-with-zip-tensor',
    format: 'zip',
    name: 'model.safetensors',
    // A valid safetensors file whose only (U8) tensor is a torch.save ZIP with a payload in data.pkl.
    build: () => {
      const zip = torchZip({ dataPkl: stateDictPickle([['zip.st', (p) => p.raw(systemCall('id').bytesOut())]]).stop().bytesOut() }).bytes;
      return buildSafetensors([{ name: 'zip.st.polyglot', dtype: 'U8', shape: [zip.length], data: zip }]);
    },
    expect: { notice: { kind: 'unsafe-pickle-global', key: 'posix.system', severity: 'critical' }, verdict: 'malicious-code' },
    source: 'scanner bypass: a valid safetensors file that is also a ZIP (the archive is its last tensor) — safetensors loaders read weights, zipfile-based tools find the end record in the tail and open the archive',
  },
  {
    id: 'zip/self-extractor-stub',
    format: 'zip',
    name: PT,
    build: () => concat(utf8('MZ\x90\x00'), new Uint8Array(60), ckpt('zip.sfx', { relativeToArchive: true }).bytes),
    // "MZ" reads as a pickle opcode (BININT2), so the file is tried as a pickle and fails; its tail is still an archive.
    expect: { code: 'torch_scan_incomplete', cause: 'pickle_unknown_opcode', offset: 4, notice: { kind: 'zip-anomaly', key: 'polyglot-zip', severity: 'high' } },
    source: 'scanner bypass: an executable stub in front of a checkpoint — not a checkpoint to torch.load (_is_zipfile checks the first bytes), an archive to zipfile-based tools',
  },
];
