/**
 * PyTorch checkpoints, read without unpickling:
 *
 * - **zip** (torch.save ≥ 1.6, torch/serialization.py `_save`): one top folder `<archive>/` holding
 *   `data.pkl` (the pickled object; storages are persistent ids), `data/<key>` (one stored member
 *   per storage, raw little- or big-endian bytes, 64-byte aligned by torch's writer), `byteorder`
 *   ("little"/"big", absent before 1.10), `version` or `.data/version`, `.data/serialization_id`,
 *   `.format_version`, `.storage_alignment`;
 * - **TorchScript** (torch.jit.save): the same container plus `code/` (TorchScript source, usually
 *   deflated), `constants.pkl` (+ `constants/<key>` storages), `*.debug_pkl`, `extra/`. Every pickle
 *   member is scanned; `__torch__.*` classes are TorchScript's own;
 * - **legacy** (pre-1.6, `_legacy_save`): five concatenated pickles — the magic number
 *   0x1950a86a20f9469cfc6c, the protocol version 1001, a sys_info dict (byte order, type sizes), the
 *   object, and the sorted list of storage keys — followed by each storage in that order as an
 *   8-byte little-endian element count and the raw elements. Storage offsets are computed by walking
 *   those records;
 * - any other **pickle** stream (a raw .pkl, a forged legacy file): scanned for globals only.
 *
 * Tensors come out as TensorEntry with absolute byte offsets into the file, so they are streamed
 * from the checkpoint in place; strided views are described exactly (manifest.ts TensorLayout).
 * Findings (pickle globals and anomalies, ZIP anomalies) and problems (what could not be read) are
 * returned, not thrown, once the container is recognised — a malicious checkpoint still yields
 * every tensor it declares.
 */
import { view } from '../bytes.ts';
import type { DType } from '../dtype.ts';
import { SleuthError, toErrorInfo, type ErrorCode, type ErrorInfo } from '../errors.ts';
import { MAX_PICKLES_PER_STREAM, MAX_TENSORS_PER_FILE } from '../limits.ts';
import type { StorageRef, TensorEntry, TensorLayout } from '../manifest.ts';
import type { SecurityFinding } from '../pickle/findings.ts';
import { evaluatePickle, zipAnomalyFindings } from '../pickle/policy.ts';
import { scanPickle, scanPickleStream, type NamedTensor, type PickleScan } from '../pickle/scan-pickle.ts';
import { asNumber, asSequence, asString, type PValue, type StorageRecord } from '../pickle/values.ts';
import { memberOffset, readZipDirectory, readZipMember, readZipMemberPrefix, sniffZip, ZIP_METHOD_DEFLATE, ZIP_METHOD_STORED, type ReadZipOptions, type ZipAnomaly, type ZipDirectory, type ZipEntry } from '../zip/read-zip.ts';
import { CachedReader } from '../zip/cached-reader.ts';
import type { ByteSource } from '../../io/byte-source.ts';
import { storageTypeInfo, torchDtypeInfo, type TorchTypeInfo } from './torch-dtypes.ts';
import { viewSpan } from './tensor-span.ts';

export type TorchFormat = 'pytorch-zip' | 'torchscript' | 'pytorch-legacy' | 'pickle';

/** Per-tensor facts beyond TensorEntry (same order as `tensors`). */
export interface TorchTensorDetail {
  name: string;
  storageKey: string;
  /** Storage class as pickled ("FloatStorage", "UntypedStorage" …). */
  storageType: string;
  /** torch dtype name ("bfloat16"). */
  torchDtype: string;
  /** Device the storage was saved from ("cpu", "cuda:0"): metadata only, bytes are always in the file. */
  location: string;
  rebuild: string;
  parameter: boolean;
  requiresGrad?: boolean;
  quantized: boolean;
  /** Absolute offset of the REDUCE that rebuilt it (pickle member for zip files). */
  pickleOffset: number;
}

export interface TorchStorage {
  key: string;
  storageType: string;
  location: string;
  /** Absolute byte range of the storage's data in the file (undefined when it could not be located). */
  byteOffset?: number;
  byteLength: number;
  /** The zip member holding it. */
  member?: string;
}

export interface TorchCheckpoint {
  format: TorchFormat;
  tensors: TensorEntry[];
  details: TorchTensorDetail[];
  storages: TorchStorage[];
  findings: SecurityFinding[];
  /** What could not be read or must be known before comparing (big-endian bytes, missing storages…). */
  problems: ErrorInfo[];
  byteOrder: 'little' | 'big';
  /** Top folder of a zip checkpoint. */
  archiveName?: string;
  /** Content of `version` / `.data/version`. */
  version?: string;
  zip?: ZipDirectory;
  /** The pickles read, without their unpickled values. */
  pickles: { member?: string; scan: PickleScan }[];
}

export interface ParseTorchOptions {
  /** CRC checking of zip members (default: members up to 1 MiB). */
  crc?: ReadZipOptions['crc'];
  crcMaxBytes?: number;
}

/** Legacy torch.save magic: LONG1 0x1950a86a20f9469cfc6c right after PROTO 2. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

export type TorchSniff = 'zip' | 'legacy' | 'pickle' | undefined;

/** Cheap look at the first bytes (16 are enough). */
export function sniffTorch(head: Uint8Array): TorchSniff {
  if (sniffZip(head)) return 'zip';
  if (head[0] === 0x80 && head.length >= 2 && (head[1] as number) <= 5) {
    const magic = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
    return magic.every((b, i) => head[2 + i] === b) ? 'legacy' : 'pickle';
  }
  // Protocol 0/1 pickles start with an opcode such as "(", "c", "}", "]", "N", "I" …
  if (head.length > 0 && '(c}]NIiSVXKJMLF)'.includes(String.fromCharCode(head[0] as number))) return 'pickle';
  return undefined;
}

export async function parseTorchCheckpoint(source: ByteSource, options: ParseTorchOptions = {}): Promise<TorchCheckpoint> {
  const head = await source.read(0, Math.min(16, source.size));
  const kind = sniffTorch(head);
  if (kind === 'zip') return parseZipCheckpoint(source, options);
  if (kind === 'legacy') return parseLegacyCheckpoint(source);
  if (kind === 'pickle') return parsePickleFile(source);
  throw new SleuthError('unknown_format', 'The file is neither a ZIP archive nor a pickle stream; expected a PyTorch checkpoint', { offset: 0, file: source.path });
}

// ── shared: tensor → TensorEntry ────────────────────────────────────────────────────────────

interface StorageLocation {
  byteOffset: number;
  byteLength: number;
  member?: string;
}

class Builder {
  readonly tensors: TensorEntry[] = [];
  readonly details: TorchTensorDetail[] = [];
  readonly problems: ErrorInfo[] = [];
  readonly findings: SecurityFinding[] = [];
  private readonly names = new Set<string>();
  constructor(readonly file: string) {}

  problem(code: ErrorCode, message: string, offset?: number): void {
    if (this.problems.length >= 200) return;
    this.problems.push(new SleuthError(code, message, { file: this.file, ...(offset === undefined ? {} : { offset }) }).toInfo());
  }

  /**
   * Adds one named tensor. `locate` gives the storage's byte range in the file (the *root*
   * storage for legacy views: the view offset is applied here).
   */
  add(named: NamedTensor, prefix: string, locate: (s: StorageRecord) => StorageLocation | ErrorInfo): void {
    const t = named.tensor;
    const name = prefix + named.name;
    if (t.problem) {
      this.problem('torch_bad_tensor', `Tensor "${name}" (rebuilt at byte ${t.offset}) cannot be located: ${t.problem}`, t.offset);
      return;
    }
    const s = t.storage;
    if (!s) return;
    const storageInfo = storageTypeInfo(s.storageType);
    const dtypeInfo: TorchTypeInfo | undefined = t.dtypeName !== undefined ? torchDtypeInfo(t.dtypeName) : storageInfo;
    if (!storageInfo || !dtypeInfo) {
      this.problem('torch_unsupported_dtype', `Tensor "${name}" uses ${t.dtypeName !== undefined ? `dtype torch.${t.dtypeName}` : `storage class ${s.storageModule}.${s.storageType}`}, which this reader does not know`, t.offset);
      return;
    }
    if (dtypeInfo.dtype === undefined) {
      this.problem('torch_unsupported_dtype', `Tensor "${name}" is torch.${dtypeInfo.torchName}, which has no comparable dtype here (it is listed, not compared)`, t.offset);
      return;
    }
    if (t.dtypeName !== undefined && s.storageType !== 'UntypedStorage' && storageInfo.dtype !== dtypeInfo.dtype) {
      this.problem('torch_bad_tensor', `Tensor "${name}" is rebuilt as torch.${t.dtypeName} over a ${s.storageType}; torch refuses such a mix`, t.offset);
      return;
    }
    const loc = locate(s);
    if ('code' in loc) {
      if (this.problems.length < 200) this.problems.push(loc);
      return;
    }
    // Legacy views: the storage the tensor sees starts `view.offset` elements into the root.
    let storageStart = loc.byteOffset;
    let storageBytes = loc.byteLength;
    if (s.view) {
      storageStart += s.view.offset * storageInfo.size;
      storageBytes = s.view.numel * storageInfo.size;
      if (s.view.offset * storageInfo.size + storageBytes > loc.byteLength) {
        this.problem('torch_storage_too_small', `Tensor "${name}": its storage view [${s.view.offset}, +${s.view.numel}) lies outside storage "${s.key}" (${loc.byteLength} bytes)`, t.offset);
        return;
      }
    }
    const span = viewSpan(t.size, t.stride, t.storageOffset, dtypeInfo.size);
    if (span.startByte + span.spanBytes > BigInt(storageBytes)) {
      this.problem(
        'torch_storage_too_small',
        `Tensor "${name}" (size [${t.size.join(', ')}], stride [${t.stride.join(', ')}], offset ${t.storageOffset}) reaches byte ${span.startByte + span.spanBytes} of its storage "${s.view?.key ?? s.key}", which holds ${storageBytes} bytes`,
        t.offset,
      );
      return;
    }
    if (this.names.has(name)) {
      this.problem('duplicate_tensor', `Tensor name "${name}" occurs twice in the checkpoint; a loader keeps one of them (the first is listed)`, t.offset);
      return;
    }
    if (this.tensors.length >= MAX_TENSORS_PER_FILE) {
      this.problem('torch_bad_tensor', `More than ${MAX_TENSORS_PER_FILE} tensors; the rest are not listed`, t.offset);
      return;
    }
    this.names.add(name);
    const storage: StorageRef = { key: s.view?.key ?? s.key, byteOffset: storageStart, byteLength: storageBytes };
    const layout: TensorLayout = span.contiguous
      ? { kind: 'contiguous', storage }
      : { kind: 'strided', strides: [...t.stride], storageOffsetBytes: Number(span.startByte), storage };
    this.tensors.push({
      name,
      file: this.file,
      dtype: dtypeInfo.dtype satisfies DType,
      shape: [...t.size],
      byteOffset: storageStart + Number(span.startByte),
      byteLength: Number(span.spanBytes),
      layout,
    });
    const detail: TorchTensorDetail = {
      name,
      storageKey: s.key,
      storageType: s.storageType,
      torchDtype: dtypeInfo.torchName,
      location: s.location,
      rebuild: t.rebuild,
      parameter: t.parameter,
      quantized: t.quantized || dtypeInfo.quantized === true,
      pickleOffset: t.offset,
    };
    if (t.requiresGrad !== undefined) detail.requiresGrad = t.requiresGrad;
    this.details.push(detail);
  }

  scanFindings(scan: PickleScan, member: string | undefined, torchscript: boolean): void {
    const ctx = member === undefined ? { file: this.file, torchscript } : { file: this.file, member, torchscript };
    this.findings.push(...evaluatePickle(scan, ctx));
  }
}

function strip(scan: PickleScan): PickleScan {
  const { root: _root, ...rest } = scan;
  return rest;
}

// ── zip checkpoints ─────────────────────────────────────────────────────────────────────────

/** Members torch.save writes besides data/<key>. */
const TORCH_SAVE_MEMBERS = new Set(['data.pkl', 'byteorder', 'version', '.data/version', '.data/serialization_id', '.format_version', '.storage_alignment']);

async function parseZipCheckpoint(source: ByteSource, options: ParseTorchOptions): Promise<TorchCheckpoint> {
  const file = source.path;
  const zipOpts: ReadZipOptions = {};
  if (options.crc !== undefined) zipOpts.crc = options.crc;
  if (options.crcMaxBytes !== undefined) zipOpts.crcMaxBytes = options.crcMaxBytes;
  const dir = await readZipDirectory(source, zipOpts);
  const b = new Builder(file);
  const extraAnomalies: ZipAnomaly[] = [];

  // torch's reader (caffe2/serialize/inline_container.cc) takes the archive name from the first
  // member's folder and reads every record below it.
  const first = dir.entries[0];
  let archive = first && first.name.includes('/') ? first.name.slice(0, first.name.indexOf('/')) : undefined;
  if (archive === undefined || !dir.byName.has(`${archive}/data.pkl`)) {
    const alt = dir.entries.find((e) => /^[^/]+\/data\.pkl$/.test(e.name));
    if (!alt) {
      throw new SleuthError('torch_no_data_pkl', `The archive has no "<folder>/data.pkl" member (${dir.entries.length} members${first ? `, the first is "${first.name}"` : ''}); expected a torch.save or TorchScript archive`, {
        offset: dir.centralDirectoryOffset,
        file,
      });
    }
    archive = alt.name.slice(0, alt.name.indexOf('/'));
    extraAnomalies.push({ code: 'unexpected-member', severity: 'medium', offset: first?.centralOffset ?? 0, member: first?.name ?? '', message: `The first member "${first?.name ?? ''}" is not in the checkpoint's folder "${archive}/"; torch's own reader would look for its records elsewhere` });
  }
  const prefix = `${archive}/`;
  const member = (rel: string): ZipEntry | undefined => dir.byName.get(prefix + rel);
  const torchscript = member('constants.pkl') !== undefined || dir.entries.some((e) => e.name.startsWith(`${prefix}code/`));
  const format: TorchFormat = torchscript ? 'torchscript' : 'pytorch-zip';

  // byteorder and version records (small text members).
  let byteOrder: 'little' | 'big' = 'little';
  const bo = member('byteorder');
  if (bo) {
    const text = await readSmallText(source, bo, b);
    if (text === 'big') {
      byteOrder = 'big';
      b.problem('torch_big_endian', 'The checkpoint was saved on a big-endian machine ("byteorder" = "big"): every multi-byte tensor value is byte-swapped relative to a little-endian file; raw bytes can be compared with another big-endian copy only', bo.dataOffset);
    } else if (text !== undefined && text !== 'little') {
      b.problem('torch_bad_tensor', `The "byteorder" record reads ${JSON.stringify(text.slice(0, 20))}; expected "little" or "big"`, bo.dataOffset);
    }
  }
  const ver = member('.data/version') ?? member('version');
  const version = ver ? (await readSmallText(source, ver, b))?.trim() : undefined;

  // Pickles: data.pkl always; TorchScript also constants.pkl and debug pickles.
  const pickles: { member?: string; scan: PickleScan }[] = [];
  const pickleMembers: { entry: ZipEntry; storageDir: string; namePrefix: string }[] = [];
  const dataPkl = member('data.pkl');
  if (dataPkl) pickleMembers.push({ entry: dataPkl, storageDir: 'data/', namePrefix: '' });
  if (torchscript) {
    const c = member('constants.pkl');
    if (c) pickleMembers.push({ entry: c, storageDir: 'constants/', namePrefix: 'constants.' });
    for (const e of dir.entries) {
      if (e.name.startsWith(prefix) && (e.name.endsWith('.debug_pkl') || (e.name.endsWith('.pkl') && e !== dataPkl && e !== c))) {
        pickleMembers.push({ entry: e, storageDir: 'data/', namePrefix: `${e.name.slice(prefix.length)}:` });
      }
    }
  }

  const referenced = new Set<ZipEntry>();
  const storages = new Map<string, TorchStorage>();
  for (const pm of pickleMembers) {
    const e = pm.entry;
    referenced.add(e);
    let bytes: Uint8Array;
    try {
      bytes = await readZipMember(source, e);
    } catch (err) {
      b.problems.push(toErrorInfo(err, file));
      b.findings.push({ kind: 'pickle-anomaly', severity: 'high', code: 'scan-incomplete', file, member: e.name, offset: e.dataOffset ?? memberOffset(e, source.size), message: `The pickle member "${e.name}" could not be read, so its globals are unknown` });
      continue;
    }
    if (e.method !== ZIP_METHOD_STORED && !e.name.endsWith('.debug_pkl')) {
      extraAnomalies.push({ code: 'compressed-member', severity: torchscript ? 'info' : 'medium', offset: memberOffset(e, source.size), member: e.name, message: `"${e.name}" is deflate-compressed (torch.save stores every member); offsets reported inside it are offsets in its inflated content` });
    }
    const base = e.method === ZIP_METHOD_STORED ? (e.dataOffset ?? 0) : 0;
    const scan = await scanPickle(bytes, { file, baseOffset: base });
    pickles.push({ member: e.name, scan: strip(scan) });
    b.scanFindings(scan, e.name, torchscript);
    if (!scan.complete) b.problem('torch_scan_incomplete', `The pickle "${e.name}" could not be read to its end (${reason(scan)}); tensors and globals after byte ${scan.endOffset} are unknown`, e.method === ZIP_METHOD_STORED ? stopAt(scan) : (e.dataOffset ?? memberOffset(e, source.size)));
    // Bytes after STOP: pickle.load ignores them, but they may hold a second payload for another reader.
    if (scan.complete && scan.endOffset < base + bytes.length) {
      const rest = await scanPickleStream(bytes.subarray(scan.endOffset - base), { file, baseOffset: scan.endOffset, maxPickles: MAX_PICKLES_PER_STREAM });
      for (const r of rest) {
        pickles.push({ member: e.name, scan: strip(r) });
        b.scanFindings(r, e.name, torchscript);
      }
    }
    // Every storage a pickle names is accounted for, whether or not its tensor can be compared.
    for (const s of scan.storages) {
      const entry = member(pm.storageDir + s.key) ?? member(`data/${s.key}`) ?? member(`constants/${s.key}`) ?? member(`.data/${s.key}`);
      if (entry) referenced.add(entry);
    }
    for (const named of scan.tensors) {
      b.add(named, pm.namePrefix, (s) => {
        const entry = member(pm.storageDir + s.key) ?? member(`data/${s.key}`) ?? member(`constants/${s.key}`) ?? member(`.data/${s.key}`);
        const info = storageTypeInfo(s.storageType);
        const declared = s.numel * (info?.size ?? 1);
        if (!entry) return miss('torch_missing_storage', `Tensor "${pm.namePrefix}${named.name}" needs storage "${s.key}" but the archive has no member "${prefix}${pm.storageDir}${s.key}"`, s.offset, file);
        referenced.add(entry);
        if (entry.method !== ZIP_METHOD_STORED || entry.dataOffset === undefined) {
          if (entry.method !== ZIP_METHOD_STORED && !storages.has(entry.name)) {
            extraAnomalies.push({ code: 'compressed-member', severity: 'medium', offset: memberOffset(entry, source.size), member: entry.name, message: `Storage "${entry.name}" is deflate-compressed; torch.save stores storages uncompressed` });
            storages.set(entry.name, { key: s.key, storageType: s.storageType, location: s.location, byteLength: declared, member: entry.name });
          }
          return miss(entry.dataOffset === undefined ? 'torch_missing_storage' : 'torch_storage_compressed', `Tensor "${pm.namePrefix}${named.name}": storage member "${entry.name}" ${entry.dataOffset === undefined ? 'has no usable local header' : 'is compressed, so it cannot be read in place'}`, memberOffset(entry, source.size), file);
        }
        if (entry.uncompressedSize < declared) {
          return miss('torch_storage_too_small', `Storage "${entry.name}" holds ${entry.uncompressedSize} bytes but its persistent id declares ${s.numel} × ${info?.size ?? 1} = ${declared}`, entry.dataOffset, file);
        }
        if (!storages.has(entry.name)) storages.set(entry.name, { key: s.key, storageType: s.storageType, location: s.location, byteOffset: entry.dataOffset, byteLength: declared, member: entry.name });
        return { byteOffset: entry.dataOffset, byteLength: declared, member: entry.name };
      });
    }
    if (pm.entry === dataPkl && scan.storages.length > 0 && scan.tensors.length === 0 && scan.complete) {
      // Storages pickled on their own (torch.save(storage)) are data too, but not tensors.
      b.problem('torch_bad_tensor', `"${e.name}" references ${scan.storages.length} storage(s) but rebuilds no tensor from them`, scan.startOffset);
    }
  }

  // Members the checkpoint does not account for. Those torch never reads are where a second-stage
  // payload hides (an extra "storage", a second data.pkl under the same name — Python's zipfile
  // picks the last): any of them that is a pickle is scanned for its globals too.
  const hidden: ZipEntry[] = [];
  for (const e of dir.entries) {
    if (referenced.has(e)) continue;
    const rel = e.name.startsWith(prefix) ? e.name.slice(prefix.length) : undefined;
    if (rel === undefined) {
      extraAnomalies.push({ code: 'unexpected-member', severity: 'medium', offset: memberOffset(e, source.size), member: e.name, message: `"${e.name}" lies outside the checkpoint folder "${prefix}"; torch never reads it` });
      hidden.push(e);
    } else if (rel.startsWith('data/') || rel.startsWith('constants/')) {
      extraAnomalies.push({ code: 'unreferenced-member', severity: 'medium', offset: memberOffset(e, source.size), member: e.name, message: `Storage member "${e.name}" (${e.uncompressedSize} bytes) is not referenced by any pickle; its bytes are invisible to torch.load` });
      hidden.push(e);
    } else if (dir.byName.get(e.name) !== e && pickleMembers.some((pm) => pm.entry.name === e.name)) {
      hidden.push(e); // a duplicate of a pickle member (the ZIP reader reports the duplicate name)
    } else if (!TORCH_SAVE_MEMBERS.has(rel) && !(torchscript && (rel.startsWith('code/') || rel.startsWith('extra/') || rel.startsWith('.data/') || rel === 'bytecode.pkl'))) {
      extraAnomalies.push({ code: 'unexpected-member', severity: 'low', offset: memberOffset(e, source.size), member: e.name, message: `"${e.name}" is not a member torch.save writes` });
      hidden.push(e);
    }
  }
  for (const e of hidden) {
    for (const scan of await scanHiddenPickle(source, e)) {
      pickles.push({ member: e.name, scan: strip(scan) });
      b.scanFindings(scan, e.name, torchscript);
    }
  }
  if (!dataPkl) b.problem('torch_no_data_pkl', `The archive folder "${prefix}" has no data.pkl`, dir.centralDirectoryOffset);

  const findings = [...zipAnomalyFindings([...dir.anomalies, ...extraAnomalies], file), ...b.findings];
  const result: TorchCheckpoint = {
    format,
    tensors: b.tensors,
    details: b.details,
    storages: [...storages.values()],
    findings,
    problems: b.problems,
    byteOrder,
    archiveName: archive,
    zip: { ...dir, anomalies: [...dir.anomalies, ...extraAnomalies] },
    pickles,
  };
  if (version !== undefined) result.version = version;
  return result;
}

/**
 * A ZIP archive at the end of a file of another format (a GGUF, safetensors, .npy or pickle file
 * with an archive appended or hidden in its last tensor): this reader sees the outer format, but
 * Python's zipfile — and the scanners built on it — find the end record in the tail and open the
 * archive. Returns a `polyglot-zip` finding and the findings of every pickle among its members;
 * nothing when the tail holds no readable ZIP directory.
 */
export async function scanZipPolyglot(source: ByteSource, outerFormat: string): Promise<SecurityFinding[]> {
  if (source.size < 22) return [];
  let dir: ZipDirectory;
  try {
    dir = await readZipDirectory(source, { crc: 'none' });
  } catch {
    return [];
  }
  if (dir.entries.length === 0) return [];
  const file = source.path;
  const findings: SecurityFinding[] = [
    {
      kind: 'zip-anomaly',
      severity: 'high',
      code: 'polyglot-zip',
      file,
      offset: dir.eocdOffset,
      message: `${file} is also a ZIP archive (${dir.entries.length} member(s)${dir.entries[0] ? `, the first "${dir.entries[0].name.slice(0, 200)}"` : ''}; end record at byte ${dir.eocdOffset}): this reader reads it as ${outerFormat}, while zipfile-based tools open the archive`,
    },
  ];
  for (const e of dir.entries.slice(0, 1000)) {
    for (const scan of await scanHiddenPickle(source, e)) findings.push(...evaluatePickle(scan, { file, member: e.name }));
  }
  return findings;
}

/** Bytes of an unaccounted member read to look for a hidden pickle (storages are usually larger: only their first bytes matter). */
const HIDDEN_PICKLE_MAX_BYTES = 1024 * 1024;

/**
 * The pickles in a member torch never reads, when it holds any: scans that import something
 * (a member of raw tensor bytes or text yields none and is left alone).
 */
async function scanHiddenPickle(source: ByteSource, e: ZipEntry): Promise<PickleScan[]> {
  if (e.dataOffset === undefined || e.encrypted || (e.method !== ZIP_METHOD_STORED && e.method !== ZIP_METHOD_DEFLATE) || e.uncompressedSize === 0) return [];
  let bytes: Uint8Array;
  try {
    bytes = e.method === ZIP_METHOD_STORED ? await source.read(e.dataOffset, Math.min(e.compressedSize, HIDDEN_PICKLE_MAX_BYTES)) : await readZipMemberPrefix(source, e, HIDDEN_PICKLE_MAX_BYTES);
  } catch {
    return []; // unreadable members are reported by the ZIP reader
  }
  if (!looksLikePickle(bytes)) return [];
  const base = e.method === ZIP_METHOD_STORED ? e.dataOffset : 0;
  const scans = await scanPickleStream(bytes, { file: source.path, baseOffset: base, maxPickles: 16 });
  return scans.some((sc) => sc.globals.length > 0) ? scans : [];
}

/** A pickle's first bytes: PROTO 0-5, or a protocol-0/1 GLOBAL "c<module>\n<name>\n", or a container opcode with STOP at the end. */
function looksLikePickle(b: Uint8Array): boolean {
  if (b.length < 2) return false;
  if (b[0] === 0x80) return (b[1] as number) <= 5;
  let head = '';
  for (let i = 0; i < Math.min(b.length, 256); i++) head += String.fromCharCode(b[i] as number);
  if (/^c[A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n/.test(head)) return true;
  return '(]}'.includes(head[0] ?? '') && b[b.length - 1] === 0x2e;
}

/** Why a scan stopped, led by the precise pickle code ("pickle_mark_too_deep: 10000 MARKs are open …"). */
function reason(scan: PickleScan): string {
  return scan.error ? `${scan.error.code}: ${scan.error.message}` : 'unknown reason';
}

/** Where a scan stopped: the opcode it failed on (the error's offset), else where reading ended. */
function stopAt(scan: PickleScan): number {
  return scan.error?.offset ?? scan.endOffset;
}

function miss(code: ErrorCode, message: string, offset: number, file: string): ErrorInfo {
  return new SleuthError(code, message, { offset, file }).toInfo();
}

async function readSmallText(source: ByteSource, entry: ZipEntry, b: Builder): Promise<string | undefined> {
  try {
    const bytes = await readZipMember(source, entry, 4096);
    let s = '';
    for (const x of bytes) s += String.fromCharCode(x);
    return s;
  } catch (e) {
    b.problems.push(toErrorInfo(e, source.path));
    return undefined;
  }
}

// ── legacy checkpoints ──────────────────────────────────────────────────────────────────────

async function parseLegacyCheckpoint(source: ByteSource): Promise<TorchCheckpoint> {
  const file = source.path;
  const b = new Builder(file);
  const scans = await scanPickleStream({ source, offset: 0 }, { file, maxPickles: 5 });
  const pickles = scans.map((scan) => ({ scan: strip(scan) }));
  for (const s of scans) b.scanFindings(s, undefined, false);

  const [magic, proto, sysInfo, main, keys] = scans;
  const problems: string[] = [];
  if (!magic?.complete || magic.root?.t !== 'int' || BigInt(magic.root.v) !== LEGACY_MAGIC) problems.push('the first pickle is not the magic number 0x1950a86a20f9469cfc6c');
  if (!proto?.complete || asNumber(proto.root) !== LEGACY_PROTOCOL) problems.push(`the second pickle is not the protocol version ${LEGACY_PROTOCOL}`);
  if (!sysInfo?.complete || sysInfo.root?.t !== 'dict') problems.push('the third pickle is not the sys_info dict');
  if (!main?.complete) problems.push('the object pickle could not be read');
  const keyList = asSequence(keys?.root)?.map((k) => asString(k));
  if (!keys?.complete || !keyList || keyList.some((k) => k === undefined)) problems.push('the fifth pickle is not the list of storage keys');

  let byteOrder: 'little' | 'big' = 'little';
  if (sysInfo?.root?.t === 'dict') {
    const le = sysInfo.root.entries.find(([k]) => asString(k) === 'little_endian')?.[1];
    if (le?.t === 'bool' && !le.v) {
      byteOrder = 'big';
      b.problem('torch_big_endian', 'sys_info says the checkpoint was saved on a big-endian machine: every multi-byte tensor value (and each storage\'s 8-byte element count) is byte-swapped', sysInfo.startOffset);
    }
  }

  if (problems.length > 0 || !main || !keys || !keyList) {
    b.problem('torch_legacy_bad_magic', `The file starts like a legacy torch.save stream but ${problems.join('; ')}`, scans[0]?.startOffset ?? 0);
    // Not a real checkpoint: read every remaining pickle for what it imports.
    const last = scans[scans.length - 1];
    if (last?.complete && scans.length === 5 && last.endOffset < source.size) {
      const rest = await scanPickleStream({ source, offset: last.endOffset }, { file, maxPickles: MAX_PICKLES_PER_STREAM - 5 });
      for (const r of rest) {
        pickles.push({ scan: strip(r) });
        b.scanFindings(r, undefined, false);
      }
    }
    for (const s of scans) if (!s.complete) b.problem('torch_scan_incomplete', `A pickle at byte ${s.startOffset} could not be read to its end (${reason(s)})`, stopAt(s));
    return { format: 'pytorch-legacy', tensors: [], details: [], storages: [], findings: b.findings, problems: b.problems, byteOrder, pickles };
  }

  // Storage records follow the fifth pickle, in the order of the key list.
  const rootInfo = new Map<string, StorageRecord>();
  for (const s of main.storages) if (!rootInfo.has(s.key)) rootInfo.set(s.key, s);
  const located = new Map<string, StorageLocation>();
  const storages: TorchStorage[] = [];
  let pos = keys.endOffset;
  let broken = false;
  // Element counts of consecutive small storages share blocks; a big storage costs one small read.
  const counts = new CachedReader(source, 4096, 2);
  for (const key of keyList as string[]) {
    const rec = rootInfo.get(key);
    const info = rec ? storageTypeInfo(rec.storageType) : undefined;
    if (!rec || !info) {
      b.problem('torch_legacy_storage_mismatch', `Storage "${key}" is listed at byte ${keys.startOffset} but ${rec ? `its class ${rec.storageType} is unknown` : 'no tensor refers to it'}, so its element size — and every later storage's offset — is unknown`, pos);
      broken = true;
      break;
    }
    if (pos + 8 > source.size) {
      b.problem('truncated', `The file ends at byte ${source.size}, before the element count of storage "${key}" at byte ${pos}`, pos);
      broken = true;
      break;
    }
    const cv = view(counts.tryRead(pos, 8) ?? (await counts.read(pos, 8)));
    const count = byteOrder === 'big' ? cv.getBigUint64(0, false) : cv.getBigUint64(0, true);
    if (count !== BigInt(rec.numel)) {
      b.problem('torch_legacy_storage_mismatch', `Storage "${key}" at byte ${pos} records ${count} elements but the pickle declares ${rec.numel}`, pos);
      broken = true;
      break;
    }
    const bytes = rec.numel * info.size;
    if (pos + 8 + bytes > source.size) {
      b.problem('truncated', `Storage "${key}" (${bytes} bytes from byte ${pos + 8}) runs past the end of the file (${source.size} bytes)`, pos);
      broken = true;
      break;
    }
    located.set(key, { byteOffset: pos + 8, byteLength: bytes });
    storages.push({ key, storageType: rec.storageType, location: rec.location, byteOffset: pos + 8, byteLength: bytes });
    pos += 8 + bytes;
  }
  if (!broken && pos < source.size) {
    b.findings.push({ kind: 'pickle-anomaly', severity: 'medium', code: 'data-after-storages', file, offset: pos, message: `${source.size - pos} bytes follow the last storage record (byte ${pos}); torch.load never reads them` });
    // A pickle appended there is a payload for a second-stage loader: scan it too.
    const tail = await source.read(pos, Math.min(source.size - pos, HIDDEN_PICKLE_MAX_BYTES));
    if (looksLikePickle(tail)) {
      const rest = await scanPickleStream(tail, { file, baseOffset: pos, maxPickles: 16 });
      if (rest.some((sc) => sc.globals.length > 0)) {
        for (const r of rest) {
          pickles.push({ scan: strip(r) });
          b.scanFindings(r, undefined, false);
        }
      }
    }
  }
  for (const named of main.tensors) {
    b.add(named, '', (s) => located.get(s.key) ?? miss('torch_missing_storage', `Tensor "${named.name}" needs storage "${s.key}", which ${broken ? 'could not be located' : 'is not in the storage key list'}`, s.offset, file));
  }
  return { format: 'pytorch-legacy', tensors: b.tensors, details: b.details, storages, findings: b.findings, problems: b.problems, byteOrder, pickles };
}

// ── plain pickle streams ────────────────────────────────────────────────────────────────────

async function parsePickleFile(source: ByteSource): Promise<TorchCheckpoint> {
  const file = source.path;
  const b = new Builder(file);
  const scans = await scanPickleStream({ source, offset: 0 }, { file, maxPickles: MAX_PICKLES_PER_STREAM });
  const pickles = scans.map((scan) => ({ scan: strip(scan) }));
  for (const s of scans) {
    b.scanFindings(s, undefined, false);
    if (!s.complete) b.problem('torch_scan_incomplete', `The pickle at byte ${s.startOffset} could not be read to its end (${reason(s)})`, stopAt(s));
  }
  const last = scans[scans.length - 1];
  if (last?.complete && scans.length >= MAX_PICKLES_PER_STREAM && last.endOffset < source.size) {
    b.problem('pickle_too_many_pickles', `The stream holds more than ${MAX_PICKLES_PER_STREAM} pickles; the rest (from byte ${last.endOffset}) was not read`, last.endOffset);
  }
  const first = scans[0];
  // A forged legacy header (magic computed by a call, as in picklescan's pytorch_magic_bypass).
  if (scans.length >= 5 && asNumber(scans[1]?.root) === LEGACY_PROTOCOL && first && !(first.root?.t === 'int' && BigInt(first.root.v) === LEGACY_MAGIC)) {
    const how = first.root?.t === 'object' ? `computed by a call (${first.globals.map((g) => `${g.module}.${g.name}`).join(', ')}) instead of written as a constant` : 'not 0x1950a86a20f9469cfc6c';
    b.problem('torch_legacy_bad_magic', `The file is laid out like a legacy torch.save stream (protocol 1001 follows), but its magic number is ${how}`, first.startOffset);
  }
  const tensorCount = scans.reduce((n, s) => n + s.tensors.length, 0);
  if (tensorCount > 0) b.problem('torch_missing_storage', `The pickle rebuilds ${tensorCount} tensor(s) but a bare pickle carries no storage data to read them from`, 0);
  return { format: 'pickle', tensors: [], details: [], storages: [], findings: b.findings, problems: b.problems, byteOrder: 'little', pickles };
}

/** The unpickled value of a scan, when kept (tests, UIs that show the object). */
export type { PValue };
