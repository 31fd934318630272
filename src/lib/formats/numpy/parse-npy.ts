/**
 * NumPy .npy and .npz readers (numpy/lib/format.py, numpy/lib/npyio.py `savez`).
 *
 * An .npy is a header (npy-header.ts) followed by the array bytes: numel × itemsize, C order, or
 * Fortran order when `fortran_order` is True (described as a strided layout). Object arrays
 * (descr '|O') are not numbers: their payload is a pickle, which goes through the pickle reader
 * and the pickle policy — that is where malicious .npy files hide their code.
 *
 * An .npz is a ZIP of .npy members named "<key>.npy" (np.savez stores, np.savez_compressed
 * deflates). Stored members are streamed in place like any .npy; deflated members can be hashed
 * but not read in place, so their header is inflated (a prefix only) to describe them and they are
 * reported with `npy_member_compressed` instead of a TensorEntry.
 */
import type { ErrorInfo } from '../errors.ts';
import { SleuthError, toErrorInfo } from '../errors.ts';
import { MAX_NPY_HEADER_BYTES, MAX_TENSORS_PER_FILE, MAX_ZIP_INFLATE_BYTES } from '../limits.ts';
import type { TensorEntry, TensorLayout } from '../manifest.ts';
import type { SecurityFinding } from '../pickle/findings.ts';
import { evaluatePickle, zipAnomalyFindings } from '../pickle/policy.ts';
import { scanPickle, type PickleScan } from '../pickle/scan-pickle.ts';
import { memberOffset, readZipDirectory, readZipMember, readZipMemberPrefix, ZIP_METHOD_STORED, type ReadZipOptions, type ZipAnomaly, type ZipDirectory, type ZipEntry } from '../zip/read-zip.ts';
import type { ByteSource } from '../../io/byte-source.ts';
import { columnMajorStrides } from '../pytorch/tensor-span.ts';
import { npyHeaderSize, parseNpyHeader, type NpyHeader } from './npy-header.ts';

export interface NpyArray {
  /** Array name: the file stem for .npy, the member name without ".npy" for .npz. */
  name: string;
  member?: string;
  header: NpyHeader;
  /** Absolute offset of the first data byte (undefined for deflated members). */
  dataOffset?: number;
  dataLength: number;
  /** False for deflated .npz members. */
  inPlace: boolean;
}

export interface NumpyFile {
  format: 'npy' | 'npz';
  arrays: NpyArray[];
  /** Arrays with a comparable dtype that can be streamed in place. */
  tensors: TensorEntry[];
  findings: SecurityFinding[];
  problems: ErrorInfo[];
  zip?: ZipDirectory;
  /** Pickles of object arrays. */
  pickles: { member?: string; scan: PickleScan }[];
}

export async function parseNpy(source: ByteSource): Promise<NumpyFile> {
  const out: NumpyFile = { format: 'npy', arrays: [], tensors: [], findings: [], problems: [], pickles: [] };
  const stem = (source.path.split('/').pop() ?? source.path).replace(/\.npy$/i, '');
  const header = await readHeader(source, 0, source.size, source.path);
  await addArray(out, source, { name: stem, header, start: 0, end: source.size, inPlace: true });
  return out;
}

export async function parseNpz(source: ByteSource, options: { crc?: ReadZipOptions['crc']; crcMaxBytes?: number } = {}): Promise<NumpyFile> {
  const file = source.path;
  const zipOpts: ReadZipOptions = {};
  if (options.crc !== undefined) zipOpts.crc = options.crc;
  if (options.crcMaxBytes !== undefined) zipOpts.crcMaxBytes = options.crcMaxBytes;
  const dir = await readZipDirectory(source, zipOpts);
  const out: NumpyFile = { format: 'npz', arrays: [], tensors: [], findings: [], problems: [], zip: dir, pickles: [] };
  const extra: ZipAnomaly[] = [];
  for (const e of dir.entries) {
    // Duplicate names are reported by the ZIP reader and the first is listed; np.load (zipfile)
    // returns the *last*, so a later duplicate is still read when it is an object array (a pickle).
    const duplicate = dir.byName.get(e.name) !== e;
    if (!e.name.toLowerCase().endsWith('.npy')) {
      extra.push({ code: 'unexpected-member', severity: 'low', offset: memberOffset(e, source.size), member: e.name, message: `"${e.name}" is not an .npy array; np.load exposes it only as raw bytes` });
      continue;
    }
    const name = e.name.slice(0, -4);
    try {
      if (e.dataOffset === undefined) throw new SleuthError('zip_bad_local_header', `Member "${e.name}" has no usable local header`, { offset: memberOffset(e, source.size), file });
      if (e.method === ZIP_METHOD_STORED) {
        const header = await readHeader(source, e.dataOffset, e.dataOffset + e.compressedSize, file);
        if (duplicate && !header.descr.object) continue;
        await addArray(out, source, { name, member: e.name, header, start: e.dataOffset, end: e.dataOffset + e.compressedSize, inPlace: true });
      } else {
        const prefix = await readZipMemberPrefix(source, e, MAX_NPY_HEADER_BYTES + 12);
        const header = memberHeader(prefix, e, file, source.size);
        if (duplicate && !header.descr.object) continue;
        await addArray(out, source, { name, member: e.name, header, start: 0, end: e.uncompressedSize, inPlace: false, entry: e });
      }
    } catch (err) {
      out.problems.push(toErrorInfo(err, file));
    }
  }
  out.findings.unshift(...zipAnomalyFindings([...dir.anomalies, ...extra], file));
  out.zip = { ...dir, anomalies: [...dir.anomalies, ...extra] };
  return out;
}

/** The header of a deflated member: errors point at the member (offsets inside inflated bytes mean nothing in the file). */
function memberHeader(prefix: Uint8Array, e: ZipEntry, file: string, fileSize: number): NpyHeader {
  try {
    return parseNpyHeader(prefix, 0, file);
  } catch (err) {
    if (err instanceof SleuthError) throw new SleuthError(err.code, `Deflated member "${e.name}", byte ${err.offset ?? 0} of its content: ${err.message}`, { offset: memberOffset(e, fileSize), file });
    throw err;
  }
}

async function readHeader(source: ByteSource, start: number, end: number, file: string): Promise<NpyHeader> {
  const first = await source.read(start, Math.min(12, end - start));
  const size = npyHeaderSize(first, start, file);
  if (start + size > end) throw new SleuthError('truncated', `The .npy header declares ${size} bytes but only ${end - start} are present`, { offset: start + 8, file });
  return parseNpyHeader(await source.read(start, size), start, file);
}

interface ArraySpec {
  name: string;
  member?: string;
  header: NpyHeader;
  /** Range of the .npy bytes: absolute in the file when inPlace, else offsets in the inflated member. */
  start: number;
  end: number;
  inPlace: boolean;
  entry?: ZipEntry;
}

async function addArray(out: NumpyFile, source: ByteSource, a: ArraySpec): Promise<void> {
  const file = source.path;
  const h = a.header;
  const where = a.member ?? file;
  const dataStart = a.start + h.headerLength;
  const available = a.end - dataStart;
  // Offsets inside a deflated member mean nothing in the file: point at the member instead.
  const at = (offset: number): number => (a.inPlace ? offset : a.entry ? memberOffset(a.entry, source.size) : 0);
  const problem = (code: 'npy_big_endian' | 'npy_object_array' | 'npy_member_compressed' | 'unsupported_dtype' | 'npy_truncated_data', message: string, offset: number): void => {
    out.problems.push(new SleuthError(code, message, { offset: at(offset), file }).toInfo());
  };

  if (h.descr.object) {
    // The payload is a pickle: scan it (never load it).
    problem('npy_object_array', `Array "${a.name}" has dtype ${h.descr.text}: its data is a pickle of Python objects, not numbers`, dataStart);
    let scan: PickleScan;
    if (a.inPlace) {
      scan = await scanPickle({ source, offset: dataStart, length: available }, { file });
    } else if (a.entry) {
      const bytes = await readZipMember(source, a.entry, MAX_ZIP_INFLATE_BYTES);
      scan = await scanPickle(bytes.subarray(h.headerLength), { file, baseOffset: h.headerLength });
    } else return;
    out.pickles.push(a.member === undefined ? { scan } : { member: a.member, scan });
    out.findings.push(...evaluatePickle(scan, a.member === undefined ? { file } : { file, member: a.member }));
    out.arrays.push({ name: a.name, ...(a.member === undefined ? {} : { member: a.member }), header: h, ...(a.inPlace ? { dataOffset: dataStart } : {}), dataLength: available, inPlace: a.inPlace });
    return;
  }

  // Structured dtypes are listed with an unknown item size: their data is taken to be the rest.
  const bytes = h.descr.itemSize === 0 ? BigInt(available) : h.numel * BigInt(h.descr.itemSize);
  if (bytes > BigInt(available)) {
    throw new SleuthError('npy_truncated_data', `Array "${a.name}" (${h.descr.text}, shape [${h.shape.join(', ')}]) needs ${bytes} bytes of data from byte ${dataStart} but ${where} holds only ${available}`, { offset: at(dataStart), file });
  }
  const dataLength = Number(bytes);
  if (dataLength < available) h.notes.push(`${available - dataLength} bytes follow the array data (numpy ignores them)`);
  const arr: NpyArray = { name: a.name, header: h, dataLength, inPlace: a.inPlace };
  if (a.member !== undefined) arr.member = a.member;
  if (a.inPlace) arr.dataOffset = dataStart;
  out.arrays.push(arr);

  if (h.descr.dtype === undefined) {
    problem('unsupported_dtype', `Array "${a.name}" has dtype ${h.descr.text} (${h.descr.unsupported ?? 'unsupported'}); it is listed, not compared`, a.start + 10);
    return;
  }
  if (!a.inPlace) {
    problem('npy_member_compressed', `Array "${a.name}" (${h.descr.text}, shape [${h.shape.join(', ')}]) is in deflate-compressed member "${a.member ?? ''}": it can be hashed but not streamed in place`, 0);
    return;
  }
  if (h.descr.byteOrder === 'big') {
    problem('npy_big_endian', `Array "${a.name}" is stored big-endian (${h.descr.text}): its bytes are byte-swapped relative to a little-endian copy`, a.start + 10);
  }
  if (out.tensors.length >= MAX_TENSORS_PER_FILE) return;
  // Fortran order: element [i0, i1, …] is at Σ ik·(d0·…·d(k-1)). With ≤ 1 dim of size > 1 that is
  // the same as C order (MLX flags every 1-D array fortran_order).
  const bigDims = h.shape.filter((d) => d > 1).length;
  const layout: TensorLayout = h.fortranOrder && bigDims > 1 ? { kind: 'strided', strides: columnMajorStrides(h.shape), storageOffsetBytes: 0 } : { kind: 'contiguous' };
  out.tensors.push({ name: a.name, file, dtype: h.descr.dtype, shape: [...h.shape], byteOffset: dataStart, byteLength: dataLength, layout });
}
