/**
 * Verifies a model's files against a manifest — a sha256sum checksum file or an OpenSSF Model
 * Signing (OMS) manifest — offline, streaming, on any platform: the caller enumerates the files
 * (relative paths) and supplies a function that hashes a byte range of one of them.
 *
 * Names in a manifest are only ever compared with the enumerated paths; a name that matches no
 * enumerated file is "missing", whatever it says ("/etc/passwd", "../x", "C:\\x").
 *
 * A mismatching file or shard is then drilled into: `attachTensors` names the tensors whose bytes
 * lie in the mismatching range (from the model's own headers, ModelManifest byte ranges). A
 * per-file digest cannot say *which* of a file's tensors changed; a shard manifest narrows it to
 * the shards' tensors, and reference tensor hashes (a known-good report) narrow it to the changed
 * ones — the result says which of these it could do.
 */
import type { ModelManifest, TensorEntry } from '../../formats/manifest.ts';
import { EvidenceError } from '../errors.ts';
import { sha256Hex } from '../sha256-sync.ts';
import { entryLookupPath, parseChecksums, type ChecksumProblem } from './sha256sum.ts';
import { looksLikeOms, parseOmsManifest, type OmsManifest } from './oms.ts';
import { verifyEnvelopeSignature, type SignatureCheck, type VerificationKey } from './signature.ts';

export interface LocalFile {
  /** POSIX path relative to the model folder. */
  path: string;
  size: number;
}

/** SHA-256 (hex) of bytes [start, end) of the enumerated file `path` (the whole file when no range). */
export type RangeHasher = (path: string, range?: readonly [number, number]) => Promise<string>;

export type ItemStatus = 'ok' | 'failed' | 'missing' | 'extra' | 'unreadable' | 'unsupported';

export interface TensorHit {
  name: string;
  dtype: string;
  shape: number[];
  byteOffset: number;
  byteLength: number;
  /** With reference tensor hashes: whether this tensor's bytes differ from the reference. */
  changed?: boolean;
}

export interface ItemResult {
  /** The resource name as the manifest writes it (a path, or "path:start:end"). */
  name: string;
  path: string;
  range?: [number, number];
  status: ItemStatus;
  expected?: string;
  actual?: string;
  message?: string;
  /** Drill-down: tensors in the mismatching bytes (failed items only). */
  tensors?: TensorHit[];
  /** Tensors beyond those listed (kept out of the result to bound its size). */
  tensorsOmitted?: number;
  /** Whether the mismatching range also covers format header bytes (metadata). */
  headerInRange?: boolean;
}

export interface ManifestVerification {
  kind: 'sha256sum' | 'oms';
  manifestName: string;
  manifestSha256: string;
  checkedAt: string;
  modelName?: string;
  /** OMS: "files" or "shards". */
  granularity?: 'files' | 'shards';
  items: ItemResult[];
  counts: Record<ItemStatus, number>;
  signature?: SignatureCheck;
  rootDigest?: { expected: string; computed: string; consistent: boolean };
  /** Lines or fields of the manifest that could not be read. */
  problems: string[];
  warnings: string[];
  /** verified: every item OK and nothing unverifiable; mismatch: a digest differs or a file is missing/extra; unverifiable: otherwise. */
  verdict: 'verified' | 'mismatch' | 'unverifiable';
  summary: string;
  /** How far the drill-down could narrow mismatches. */
  drillDown?: string;
}

export type ParsedManifest = { kind: 'sha256sum'; entries: { path: string; sha256: string; line: number }[]; problems: ChecksumProblem[] } | { kind: 'oms'; oms: OmsManifest };

/** OMS and model_signing's own defaults: files that are never part of a signed model. */
export const OMS_DEFAULT_IGNORED = ['.git', '.gitattributes', '.github', '.gitignore'];

export function parseManifest(text: string): ParsedManifest {
  if (looksLikeOms(text)) return { kind: 'oms', oms: parseOmsManifest(text) };
  const parsed = parseChecksums(text);
  if (parsed.entries.length === 0) {
    if (text.trimStart().startsWith('{')) return { kind: 'oms', oms: parseOmsManifest(text) };
    throw new EvidenceError('manifest_unrecognised', `No checksum lines found${parsed.problems[0] ? ` (${parsed.problems[0].message})` : ''}: not a sha256sum file, and not a model_signing bundle`);
  }
  return { kind: 'sha256sum', entries: parsed.entries, problems: parsed.problems };
}

export interface VerifyOptions {
  manifestName: string;
  manifestText: string;
  files: readonly LocalFile[];
  hash: RangeHasher;
  key?: VerificationKey;
  /** Paths (relative to the model folder) that are not model files, e.g. the manifest itself. */
  ignore?: readonly string[];
  /** Hashes run at once (I/O overlap; the hasher decides where they run). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  now?: () => string;
}

function emptyCounts(): Record<ItemStatus, number> {
  return { ok: 0, failed: 0, missing: 0, extra: 0, unreadable: 0, unsupported: 0 };
}

function isIgnored(path: string, ignored: readonly string[]): boolean {
  return ignored.some((p) => {
    const q = p.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    return q !== '' && (path === q || path.startsWith(`${q}/`));
  });
}

async function runLimited<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      const task = tasks[i];
      if (task) out[i] = await task();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  return out;
}

export async function verifyModelAgainstManifest(options: VerifyOptions): Promise<ManifestVerification> {
  const parsed = parseManifest(options.manifestText);
  const byPath = new Map(options.files.map((f) => [f.path, f]));
  const items: ItemResult[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  const jobs: { item: ItemResult; range?: [number, number] }[] = [];
  let signature: SignatureCheck | undefined;
  let rootDigest: ManifestVerification['rootDigest'];
  let modelName: string | undefined;
  let granularity: ManifestVerification['granularity'];

  if (parsed.kind === 'sha256sum') {
    problems.push(...parsed.problems.map((p) => p.message));
    const seen = new Set<string>();
    for (const e of parsed.entries) {
      const path = entryLookupPath(e.path);
      if (seen.has(path)) warnings.push(`line ${e.line}: ${JSON.stringify(e.path)} is listed more than once`);
      seen.add(path);
      const item: ItemResult = { name: e.path, path, status: 'ok', expected: e.sha256 };
      items.push(item);
      if (!byPath.has(path)) {
        item.status = 'missing';
        item.message = 'no such file among the model’s files';
      } else jobs.push({ item });
    }
  } else {
    const oms = parsed.oms;
    modelName = oms.modelName;
    granularity = oms.serialization.method === 'shards' ? 'shards' : 'files';
    warnings.push(...oms.warnings);
    rootDigest = oms.rootDigest;
    if (oms.rootDigest && !oms.rootDigest.consistent) problems.push(`The manifest is inconsistent: its resources hash to ${oms.rootDigest.computed}, not the subject digest ${oms.rootDigest.expected} (model_signing rejects such a manifest)`);
    if (oms.envelope) signature = await verifyEnvelopeSignature(oms.envelope, oms.keyMaterial, options.key);
    else if (options.key) signature = { status: 'unsupported', method: options.key.kind, message: 'The manifest is a bare in-toto statement: it carries no signature to verify.', caveats: [] };
    const ignored = [...OMS_DEFAULT_IGNORED, ...oms.serialization.ignorePaths, ...(options.ignore ?? [])];
    const covered = new Map<string, [number, number][]>();
    const listed = new Set<string>();
    // A model signed as a single file names its one resource "." (the path relative to itself).
    const onlyFile = options.files.length === 1 ? options.files[0] : undefined;
    for (const original of oms.items) {
      const it = original.path === '.' && onlyFile ? { ...original, path: onlyFile.path } : original;
      const item: ItemResult = { name: it.name, path: it.path, status: 'ok', expected: it.digest };
      items.push(item);
      listed.add(it.path);
      if (it.algorithm.toLowerCase() !== 'sha256') {
        item.status = 'unsupported';
        item.message = `digest algorithm ${JSON.stringify(it.algorithm)} is not verified by this version (SHA-256 only)`;
        continue;
      }
      const file = byPath.get(it.path);
      if (file === undefined) {
        item.status = isIgnored(it.path, ignored) ? 'unreadable' : 'missing';
        item.message = isIgnored(it.path, ignored) ? 'listed, but in an ignored path' : 'no such file among the model’s files';
        continue;
      }
      if (it.kind === 'shard') {
        item.range = [it.start, it.end];
        const list = covered.get(it.path) ?? [];
        list.push([it.start, it.end]);
        covered.set(it.path, list);
        if (it.end > file.size) {
          item.status = 'failed';
          item.message = `the shard ends at byte ${it.end} but the file has ${file.size} bytes`;
          continue;
        }
        jobs.push({ item, range: [it.start, it.end] });
      } else jobs.push({ item });
    }
    // Bytes of a listed file that no shard covers (an appended tensor) are a mismatch too.
    for (const [path, ranges] of covered) {
      const file = byPath.get(path);
      if (!file) continue;
      ranges.sort((a, b) => a[0] - b[0]);
      let at = 0;
      const gaps: [number, number][] = [];
      for (const [s, e] of ranges) {
        if (s > at) gaps.push([at, s]);
        at = Math.max(at, e);
      }
      if (at < file.size) gaps.push([at, file.size]);
      for (const [s, e] of gaps) items.push({ name: `${path}:${s}:${e}`, path, range: [s, e], status: 'failed', message: `bytes ${s}–${e} of the file are in no shard of the manifest (the file is ${file.size} bytes)` });
    }
    for (const f of options.files) {
      if (listed.has(f.path) || isIgnored(f.path, ignored)) continue;
      items.push({ name: f.path, path: f.path, status: 'extra', message: 'not in the manifest (model_signing verification fails on files it did not sign)' });
    }
  }

  let done = 0;
  options.onProgress?.(0, jobs.length);
  await runLimited(
    jobs.map((job) => async () => {
      try {
        const actual = await options.hash(job.item.path, job.range);
        job.item.actual = actual;
        if (actual !== job.item.expected) {
          job.item.status = 'failed';
          job.item.message ??= 'the digest differs';
        }
      } catch (e) {
        job.item.status = 'unreadable';
        job.item.message = `could not be read: ${e instanceof Error ? e.message : String(e)}`;
      }
      options.onProgress?.(++done, jobs.length);
    }),
    options.concurrency ?? 2,
  );

  const counts = emptyCounts();
  for (const it of items) counts[it.status]++;
  const bad = counts.failed + counts.missing + counts.extra;
  const unverifiable = counts.unreadable + counts.unsupported + (problems.length > 0 ? 1 : 0) + (signature?.status === 'failed' ? 1 : 0);
  const verdict: ManifestVerification['verdict'] = bad > 0 || signature?.status === 'failed' || (rootDigest !== undefined && !rootDigest.consistent) ? 'mismatch' : unverifiable > 0 ? 'unverifiable' : 'verified';
  const out: ManifestVerification = {
    kind: parsed.kind,
    manifestName: options.manifestName,
    manifestSha256: sha256Hex(options.manifestText),
    checkedAt: options.now?.() ?? new Date().toISOString(),
    items,
    counts,
    problems,
    warnings,
    verdict,
    summary: summarise(counts, verdict, signature),
  };
  if (modelName !== undefined) out.modelName = modelName;
  if (granularity !== undefined) out.granularity = granularity;
  if (signature !== undefined) out.signature = signature;
  if (rootDigest !== undefined) out.rootDigest = rootDigest;
  return out;
}

function summarise(c: Record<ItemStatus, number>, verdict: ManifestVerification['verdict'], sig: SignatureCheck | undefined): string {
  const parts = [`${c.ok} OK`];
  if (c.failed) parts.push(`${c.failed} FAILED`);
  if (c.missing) parts.push(`${c.missing} missing`);
  if (c.extra) parts.push(`${c.extra} not in the manifest`);
  if (c.unreadable) parts.push(`${c.unreadable} unreadable`);
  if (c.unsupported) parts.push(`${c.unsupported} with an unsupported digest`);
  const sigWords = sig === undefined ? '' : sig.status === 'verified' ? '; signature verified' : sig.status === 'failed' ? '; signature FAILED' : sig.status === 'not-checked' ? '; signature not checked' : '; no signature';
  const head = verdict === 'verified' ? 'Every file matches the manifest' : verdict === 'mismatch' ? 'The model does NOT match the manifest' : 'The model could not be fully verified';
  return `${head}: ${parts.join(', ')}${sigWords}.`;
}

/** Tensors listed per failed item before the rest is only counted. */
export const MAX_TENSORS_PER_ITEM = 200;

/**
 * Drill-down: names the tensors whose bytes overlap each failed item's range, from the model's
 * headers (`model`). With `referenceTensorHashes` (tensor name → SHA-256 of its bytes in a trusted
 * copy) and `hashTensor`, each of those tensors is hashed and marked changed or unchanged.
 */
export async function attachTensors(
  result: ManifestVerification,
  model: Pick<ModelManifest, 'tensors' | 'files'>,
  sizes: ReadonlyMap<string, number>,
  options: { referenceTensorHashes?: ReadonlyMap<string, string>; hashTensor?: (t: TensorEntry) => Promise<string> } = {},
): Promise<void> {
  const byFile = new Map<string, TensorEntry[]>();
  for (const t of model.tensors) {
    const list = byFile.get(t.file) ?? [];
    list.push(t);
    byFile.set(t.file, list);
  }
  let narrowed = false;
  let anyFailed = false;
  for (const item of result.items) {
    if (item.status !== 'failed') continue;
    anyFailed = true;
    const size = sizes.get(item.path);
    const [s, e] = item.range ?? [0, size ?? Number.MAX_SAFE_INTEGER];
    const tensors = (byFile.get(item.path) ?? []).filter((t) => t.byteOffset < e && t.byteOffset + t.byteLength > s).sort((a, b) => a.byteOffset - b.byteOffset);
    const inFile = byFile.get(item.path) ?? [];
    const dataStart = inFile.reduce((m, t) => Math.min(m, t.byteOffset), Number.MAX_SAFE_INTEGER);
    item.headerInRange = inFile.length > 0 && s < dataStart;
    const hits: TensorHit[] = [];
    for (const t of tensors) {
      const hit: TensorHit = { name: t.name, dtype: t.dtype, shape: [...t.shape], byteOffset: t.byteOffset, byteLength: t.byteLength };
      const ref = options.referenceTensorHashes?.get(t.name);
      if (ref !== undefined && options.hashTensor && t.layout.kind === 'contiguous') {
        try {
          hit.changed = (await options.hashTensor(t)) !== ref;
          narrowed = true;
        } catch {
          // Unreadable here: left without a changed flag.
        }
      }
      hits.push(hit);
    }
    // Changed tensors first, so a capped list still names them.
    hits.sort((a, b) => Number(b.changed === true) - Number(a.changed === true) || a.byteOffset - b.byteOffset);
    item.tensors = hits.slice(0, MAX_TENSORS_PER_ITEM);
    if (hits.length > MAX_TENSORS_PER_ITEM) item.tensorsOmitted = hits.length - MAX_TENSORS_PER_ITEM;
  }
  if (!anyFailed || !result.items.some((i) => (i.tensors?.length ?? 0) > 0)) return;
  result.drillDown = narrowed
    ? 'Tensors in mismatching files were hashed and compared with the reference tensor hashes: "changed" marks the ones that differ.'
    : result.granularity === 'shards'
      ? 'Per-shard digests: the tensors listed are those whose bytes lie in a mismatching shard; one or more of them changed.'
      : 'Per-file digests: every tensor of a mismatching file is listed because a file digest cannot say which of them changed. A shard manifest (model_signing --shard) or a comparison with the known-good narrows it down.';
}
