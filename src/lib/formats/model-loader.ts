/**
 * From a set of files (a dropped folder, a CLI path) to one ModelManifest: classify each file by
 * name, sniff its bytes, read weight-file headers, reconcile shards with their index. Reads headers
 * only. A file that cannot be read becomes a `problem` (the model can then never be rated clean);
 * the rest of the model is still described.
 */
import { SleuthError, toErrorInfo, type ErrorInfo } from './errors.ts';
import { MAX_SIDECAR_BYTES, MAX_TENSORS_PER_MODEL } from './limits.ts';
import { autoMapNotices, remoteCodeNotices } from './hf/remote-code.ts';
import type { FileFormat, FileRole, ModelFile, ModelManifest, ReaderNotice, SidecarFile, TensorEntry, TensorTransform } from './manifest.ts';
import { parseSafetensors } from './safetensors/parse-safetensors.ts';
import { SNIFF_BYTES, sniffFormat } from './sniff.ts';
import { decodeUtf8Strict } from './bytes.ts';
import { isJsonObject, parseStrictJson, type JsonValue } from './strict-json.ts';
import type { ByteSource } from '../io/byte-source.ts';
import { ggufMetadataSummary, ggufToTensorEntries, ggufTokens, mapGgufTensors, parseGguf } from './gguf/index.ts';
import { parseTorchCheckpoint, sniffTorch } from './pytorch/index.ts';
import { scanZipPolyglot } from './pytorch/parse-torch.ts';
import { parseNpy, parseNpz } from './numpy/index.ts';
import type { SecurityFinding } from './pickle/findings.ts';

/** Model formats recognised by name only (ONNX, Keras/HDF5, TensorFlow, TFLite, Flax, Core ML, joblib, llamafile). */
const OTHER_WEIGHT_FORMATS = /\.(onnx|h5|hdf5|keras|pb|tflite|msgpack|mlmodel|joblib|llamafile|ggml|ot)$/;

export function roleOf(path: string): FileRole {
  const name = (path.split('/').pop() ?? path).toLowerCase();
  if (name === 'config.json') return 'config';
  if (name === 'generation_config.json') return 'generation-config';
  if (name === 'tokenizer_config.json') return 'tokenizer-config';
  if (name === 'special_tokens_map.json' || name === 'added_tokens.json') return 'special-tokens';
  if (name === 'tokenizer.json' || name === 'tokenizer.model' || name === 'vocab.json' || name === 'merges.txt' || name === 'vocab.txt' || name.endsWith('.tiktoken')) return 'tokenizer';
  if (name === 'chat_template.jinja' || name === 'chat_template.json' || name.endsWith('.jinja')) return 'chat-template';
  if (name === 'adapter_config.json') return 'adapter-config';
  if (name.startsWith('adapter_model.') || name.startsWith('adapters.')) return 'adapter-weights';
  if (name.endsWith('.index.json')) return 'index';
  if (/\.(safetensors|gguf|bin|pt|pth|ckpt|npy|npz|pkl|pickle)$/.test(name)) return 'weights';
  // Weights in formats this version does not read: hashed, reported as unreadable — never skipped.
  if (OTHER_WEIGHT_FORMATS.test(name)) return 'weights';
  if (name.endsWith('.py')) return 'code';
  return 'other';
}

/** Which files a model folder should include (REPORT.md "A path is a file or a folder"). */
export function isModelRelatedPath(path: string): boolean {
  const parts = path.split('/');
  if (parts.some((p) => p.startsWith('.'))) return false;
  const name = (parts.pop() ?? path).toLowerCase();
  return /\.(safetensors|gguf|bin|pt|pth|ckpt|npy|npz|json|jinja|model|txt|py|tiktoken|pkl|pickle)$/.test(name) || OTHER_WEIGHT_FORMATS.test(name);
}

export async function loadModel(label: string, sources: readonly ByteSource[]): Promise<ModelManifest> {
  const files: ModelFile[] = [];
  const tensors: TensorEntry[] = [];
  const problems: ErrorInfo[] = [];
  const metadata: Record<string, Record<string, string>> = {};
  const adapterTensors: TensorEntry[] = [];
  const sidecars: SidecarFile[] = [];
  const notices: ReaderNotice[] = [];
  let tokens: string[] | undefined;
  const shardTensors = new Map<string, Set<string>>();
  const indexes: { path: string; weightMap: Map<string, string> }[] = [];

  for (const source of [...sources].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0))) {
    const role = roleOf(source.path);
    const file: ModelFile = { path: source.path, size: source.size, format: 'unknown', role };
    if (source.lastModified !== undefined) file.lastModified = source.lastModified;
    files.push(file);
    try {
      const head = await source.read(0, Math.min(SNIFF_BYTES, source.size));
      let sniffed = sniffFormat(head, source.size, source.path);
      // safetensors has no magic: a *.safetensors file that fails the cheap sniff (cut inside its length
      // or header, a header length past the end or over the cap, a header not starting with "{") goes to
      // the reader anyway, so the user gets its precise code and offset rather than "unknown format".
      if (sniffed.kind === 'unknown' && source.path.toLowerCase().endsWith('.safetensors')) sniffed = { kind: 'format', format: 'safetensors' };
      // Protocol-0/1 pickles start with an opcode such as "c" (GLOBAL) or "(" (MARK), not 0x80.
      if (sniffed.kind === 'unknown' && (role === 'weights' || role === 'adapter-weights') && sniffTorch(head) === 'pickle') sniffed = { kind: 'format', format: 'pickle' };
      if (sniffed.kind === 'empty') {
        if (role === 'weights' || role === 'adapter-weights') throw new SleuthError('empty_file', 'The file is empty (0 bytes); expected model weights', { offset: 0 });
        continue;
      }
      // Python beside the weights (trust_remote_code): searched as text, never run.
      if (role === 'code') {
        file.format = 'text';
        notices.push(...remoteCodeNotices(source.path, await readCodeText(source)));
        continue;
      }
      if (sniffed.kind === 'git-lfs-pointer') {
        throw new SleuthError('git_lfs_pointer', `The file is a Git LFS pointer (${source.size} bytes of text starting "version https://git-lfs…"), not the model bytes; fetch the real file with "git lfs pull"`, { offset: 0 });
      }
      if (sniffed.kind === 'html') {
        throw new SleuthError('html_page', 'The file is an HTML page (probably a saved error or login page), not model data', { offset: 0 });
      }
      if (sniffed.kind === 'unknown') {
        const ext = OTHER_WEIGHT_FORMATS.exec(source.path.toLowerCase())?.[1];
        if (ext !== undefined) {
          throw new SleuthError('unsupported_format', `.${ext} model files are not analysed by this version: the file is hashed (its SHA-256 compared), its content is not read`, { offset: 0 });
        }
        if (role === 'weights' || role === 'adapter-weights') {
          throw new SleuthError('unknown_format', `The first bytes (${hexPreview(head)}) match no supported format; expected safetensors, GGUF, a PyTorch checkpoint or NumPy`, { offset: 0 });
        }
        continue;
      }
      file.format = sniffed.format;
      if (SIDECAR_ROLES.has(role) && (sniffed.format === 'json' || sniffed.format === 'text')) {
        sidecars.push({ path: source.path, role, text: await readSidecarText(source) });
        continue;
      }
      // Weights past the model-wide tensor cap are hashed, not parsed.
      if ((role === 'weights' || role === 'adapter-weights') && tensors.length + adapterTensors.length >= MAX_TENSORS_PER_MODEL) {
        throw new SleuthError('model_too_many_tensors', `Not read: the model's other files already list ${tensors.length + adapterTensors.length} tensors; expected at most ${MAX_TENSORS_PER_MODEL} in one model (the file is hashed only)`, { offset: 0 });
      }
      if (role === 'index') {
        file.format = 'safetensors-index';
        indexes.push({ path: source.path, weightMap: await readIndex(source) });
        continue;
      }
      if (sniffed.format === 'safetensors') {
        const header = await parseSafetensors(source);
        if (header.metadata) metadata[source.path] = header.metadata;
        // Adapter weights beside a model are audited separately, not merged into it; an adapter
        // given on its own is the thing being compared (see below).
        const into = role === 'adapter-weights' ? adapterTensors : tensors;
        const names = new Set<string>();
        for (const t of header.tensors) {
          names.add(t.name);
          into.push({
            name: t.name,
            file: source.path,
            dtype: t.dtype,
            shape: t.shape,
            byteOffset: header.dataStart + t.begin,
            byteLength: t.end - t.begin,
            layout: { kind: 'contiguous' },
          });
        }
        if (role !== 'adapter-weights') shardTensors.set(source.path, names);
        for (const f of await scanZipPolyglot(source, 'safetensors')) notices.push(noticeOf(f));
        continue;
      }
      if (sniffed.format === 'gguf') {
        const gguf = await parseGguf(source);
        metadata[source.path] = ggufMetadataSummary(gguf);
        const table = ggufTokens(gguf);
        if (table && table.length <= MAX_TOKENS_KEPT && tokens === undefined) {
          tokens = Array.from({ length: table.length }, (_, i) => table.get(i));
        }
        const mapping = mapGgufTensors(gguf);
        const entries = ggufToTensorEntries(gguf, source.path);
        const names = new Set<string>();
        entries.forEach((entry, i) => {
          const rec = mapping.tensors[i];
          if (rec) {
            const transform: TensorTransform = {};
            if (rec.ropePermutation) transform.ropeRows = rec.ropePermutation;
            if (rec.transposed) transform.transposed = true;
            if (rec.valueShift !== 0) transform.valueShift = rec.valueShift;
            if (rec.note !== undefined) transform.note = rec.note;
            if (Object.keys(transform).length > 0) entry.transform = transform;
          }
          names.add(entry.name);
          (role === 'adapter-weights' ? adapterTensors : tensors).push(entry);
        });
        if (role !== 'adapter-weights') shardTensors.set(source.path, names);
        if (gguf.unclaimed.length > 0) {
          const bytes = gguf.unclaimed.reduce((sum, r) => sum + r.length, 0);
          const first = gguf.unclaimed[0];
          notices.push({
            kind: 'weight-anomaly',
            severity: 'medium',
            key: 'gguf-unclaimed-bytes',
            file: source.path,
            offset: first?.offset ?? 0,
            message: `${bytes} bytes of ${source.path} belong to no tensor (beyond alignment padding; first at byte ${first?.offset ?? '?'}): room for a hidden payload — hashed with the file, not analysed`,
            details: { ranges: gguf.unclaimed.slice(0, 100) },
          });
        }
        for (const f of await scanZipPolyglot(source, 'GGUF')) notices.push(noticeOf(f));
        continue;
      }
      if (sniffed.format === 'pytorch-zip' || sniffed.format === 'pytorch-legacy' || sniffed.format === 'pickle' || sniffed.format === 'npy' || sniffed.format === 'npz') {
        const read = sniffed.format === 'npy' ? await parseNpy(source) : sniffed.format === 'npz' ? await parseNpz(source) : await parseTorchCheckpoint(source);
        if ('format' in read && read.format !== 'npy' && read.format !== 'npz') file.format = read.format;
        const into = role === 'adapter-weights' ? adapterTensors : tensors;
        const names = new Set<string>();
        for (const t of read.tensors) {
          names.add(t.name);
          into.push(t);
        }
        if (role !== 'adapter-weights') shardTensors.set(source.path, names);
        problems.push(...read.problems);
        for (const f of read.findings) notices.push(noticeOf(f));
        // A GGUF/safetensors/npy/pickle file whose tail is also a ZIP archive (not the zip formats themselves).
        if (sniffed.format !== 'pytorch-zip' && sniffed.format !== 'npz') for (const f of await scanZipPolyglot(source, formatName(file.format))) notices.push(noticeOf(f));
        continue;
      }
      if (role === 'weights' || role === 'adapter-weights') {
        throw new SleuthError('unsupported_format', `${formatName(sniffed.format)} files are recognised but not yet analysed by this version; the file is hashed only`, { offset: 0 });
      }
    } catch (e) {
      problems.push(toErrorInfo(e, source.path));
    }
  }

  for (const sc of sidecars) if (sc.role === 'config' || sc.role === 'tokenizer-config') notices.push(...autoMapNotices(sc.path, sc.text));
  reconcileIndexes(indexes, shardTensors, problems);
  if (tensors.length === 0) tensors.push(...adapterTensors);
  // The same tensor name in two files: a real ambiguity (which one does a loader pick?).
  const seen = new Map<string, TensorEntry>();
  const unique: TensorEntry[] = [];
  for (const t of tensors) {
    const prev = seen.get(t.name);
    if (prev) {
      problems.push(
        new SleuthError('duplicate_tensor', `Tensor "${t.name}" is defined in both ${prev.file} and ${t.file}; a loader would silently pick one`, { file: t.file, offset: t.byteOffset }).toInfo(),
      );
      continue;
    }
    seen.set(t.name, t);
    unique.push(t);
  }
  const manifest: ModelManifest = { label, files, tensors: unique, problems, metadata, sidecars, notices };
  if (tokens) manifest.tokens = tokens;
  return manifest;
}

/** Token strings kept from a GGUF vocabulary for naming rows (covers 256k-token vocabularies). */
const MAX_TOKENS_KEPT = 1_000_000;

/** Files beside the weights whose content is diffed semantically. */
const SIDECAR_ROLES: ReadonlySet<FileRole> = new Set<FileRole>(['config', 'generation-config', 'tokenizer', 'tokenizer-config', 'special-tokens', 'chat-template', 'adapter-config']);

/** A Python file's text for the static search: the first MAX_SIDECAR_BYTES, undecodable bytes replaced. */
async function readCodeText(source: ByteSource): Promise<string> {
  const bytes = await source.read(0, Math.min(source.size, MAX_SIDECAR_BYTES));
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

/** Whole text of a small file (capped), strict UTF-8. */
async function readSidecarText(source: ByteSource): Promise<string> {
  if (source.size > MAX_SIDECAR_BYTES) {
    throw new SleuthError('json_too_large', `${source.path} is ${source.size} bytes; expected at most ${MAX_SIDECAR_BYTES} for a file read whole`, { offset: 0, file: source.path });
  }
  const text = decodeUtf8Strict(await source.read(0, source.size));
  if (text === undefined) throw new SleuthError('json_not_utf8', `${source.path} is not valid UTF-8`, { offset: 0, file: source.path });
  return text;
}

async function readIndex(source: ByteSource): Promise<Map<string, string>> {
  const text = await readSidecarText(source);
  let root: JsonValue;
  try {
    root = parseStrictJson(text, { file: source.path, maxMembers: MAX_TENSORS_PER_MODEL });
  } catch (e) {
    if (!(e instanceof SleuthError) || e.code !== 'json_too_large') throw e;
    throw new SleuthError('model_too_many_tensors', `The index maps more than ${MAX_TENSORS_PER_MODEL} tensors (the entry at byte ${e.offset ?? 0} is one too many); expected at most ${MAX_TENSORS_PER_MODEL}`, { offset: e.offset ?? 0, file: source.path });
  }
  const wm = isJsonObject(root) ? root['weight_map'] : undefined;
  if (!isJsonObject(wm)) throw new SleuthError('index_bad_weight_map', 'The index has no "weight_map" object mapping tensor names to shard files', { offset: 0, file: source.path });
  const dir = source.path.includes('/') ? source.path.slice(0, source.path.lastIndexOf('/') + 1) : '';
  const map = new Map<string, string>();
  for (const [name, shard] of Object.entries(wm)) {
    if (typeof shard !== 'string') throw new SleuthError('index_bad_weight_map', `weight_map["${name.slice(0, 200)}"] is not a file name`, { offset: 0, file: source.path });
    map.set(name, dir + shard);
  }
  return map;
}

function reconcileIndexes(indexes: { path: string; weightMap: Map<string, string> }[], shardTensors: Map<string, Set<string>>, problems: ErrorInfo[]): void {
  for (const index of indexes) {
    const missingShards = new Set<string>();
    const listedByShard = new Map<string, number>();
    for (const [name, shard] of index.weightMap) {
      const present = shardTensors.get(shard);
      if (!present) {
        if (!missingShards.has(shard)) {
          missingShards.add(shard);
          const p = new SleuthError('index_missing_shard', `The index maps tensors to "${shard}", which is not among the files (or could not be read)`, { file: index.path });
          problems.push(p.toInfo());
        }
        continue;
      }
      listedByShard.set(shard, (listedByShard.get(shard) ?? 0) + 1);
      if (!present.has(name)) {
        problems.push(new SleuthError('index_tensor_missing', `The index maps "${name}" to ${shard}, which does not contain it`, { file: index.path }).toInfo());
      }
    }
    const shards = new Set(index.weightMap.values());
    for (const shard of shards) {
      const present = shardTensors.get(shard);
      if (!present) continue;
      for (const name of present) {
        if (index.weightMap.get(name) !== shard) {
          problems.push(new SleuthError('index_tensor_unlisted', `${shard} contains "${name}", which the index does not map to it`, { file: shard }).toInfo());
        }
      }
    }
  }
}

/** A reader's security finding as a manifest notice (keyed for comparing both sides). */
function noticeOf(f: SecurityFinding): ReaderNotice {
  const global = f.module !== undefined && f.name !== undefined ? `${f.module}.${f.name}` : undefined;
  const notice: ReaderNotice = {
    kind: f.kind,
    severity: f.severity,
    message: f.message,
    file: f.file,
    offset: f.offset,
    key: global ?? f.code,
    details: { code: f.code, ...(global === undefined ? {} : { global }), ...(f.member === undefined ? {} : { member: f.member }) },
  };
  return notice;
}

function formatName(f: FileFormat): string {
  return { gguf: 'GGUF', 'pytorch-zip': 'PyTorch (zip)', 'pytorch-legacy': 'PyTorch (legacy)', torchscript: 'TorchScript', pickle: 'Pickle', npy: 'NumPy .npy', npz: 'NumPy .npz' }[f as string] ?? f;
}

function hexPreview(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
}
