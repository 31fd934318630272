/**
 * `model-sleuth verify <path> --manifest F [--key PEM | --cert PEM] [--json F] [--sarif F]`:
 * verifies a model folder (or one file) against a sha256sum checksum file or an OpenSSF Model
 * Signing manifest (Sigstore bundle, DSSE envelope or in-toto statement), offline.
 *
 * Output (stdout) follows `sha256sum -c`: "<name>: OK", "<name>: FAILED", "<name>: FAILED open or
 * read" for a listed file that is not there, and "<name>: FAILED (not in the manifest)" for a file a
 * signed manifest does not list; under each mismatching file or shard, the tensors whose bytes lie in
 * it. Warnings, the signature result and the summary go to stderr.
 * Exit: 0 every item OK (and a supplied key's signature verified) · 1 a mismatch, a missing or extra
 * file, a signature that fails, or anything unverifiable · 2 usage error or unreadable input.
 *
 * Names in the manifest are data: the folder is walked here and each name is only compared with the
 * paths found; nothing is opened by a name taken from the manifest.
 */
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { SleuthError } from '../lib/formats/errors.ts';
import { isModelRelatedPath, loadModel } from '../lib/formats/model-loader.ts';
import { NodeFileSource } from '../lib/io/node-source.ts';
import { EvidenceError } from '../lib/evidence/errors.ts';
import { formatChecksumLine } from '../lib/evidence/manifests/sha256sum.ts';
import { readVerificationKey, type VerificationKey } from '../lib/evidence/manifests/signature.ts';
import { attachTensors, verifyModelAgainstManifest, type ItemResult, type ManifestVerification } from '../lib/evidence/manifests/verify-model.ts';
import { MAX_OMS_BYTES } from '../lib/evidence/manifests/oms.ts';
import { manifestToSarif } from '../lib/report/sarif.ts';
import { TOOL_VERSION } from '../lib/version.ts';
import { createPooledHasher, hashSourceInProcess, POOL_MIN_TOTAL_BYTES, workerCount, type CliArgs, type CliOutput, type PooledFileHasher } from './hash.ts';

/** Files walked below a folder; a manifest for a whole repository stays far below. */
export const MAX_VERIFY_FILES = 100_000;
/** Key and certificate files are small; anything bigger is not one. */
const MAX_KEY_BYTES = 1024 * 1024;
/** Tensors printed under one mismatching item (the JSON output has up to MAX_TENSORS_PER_ITEM). */
const MAX_TENSORS_PRINTED = 20;

async function readInput(path: string, what: string, max: number): Promise<string> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new SleuthError('read_failed', `Cannot open the ${what} ${path}: ${(e as Error).message}`, { file: path });
  }
  if (!st.isFile()) throw new SleuthError('read_failed', `The ${what} ${path} is not a file`, { file: path });
  if (st.size > max) throw new SleuthError('read_failed', `The ${what} ${path} is ${st.size.toLocaleString('en-US')} bytes; more than the ${max.toLocaleString('en-US')} allowed`, { file: path });
  return readFile(path, 'utf8');
}

/** Every regular file below `root` (symbolic links are not followed; .git folders skipped), relative POSIX paths. */
async function walk(root: string, notes: string[]): Promise<NodeFileSource[]> {
  const out: NodeFileSource[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== '.git') await visit(full);
      } else if (e.isSymbolicLink()) notes.push(`${relative(root, full).split(sep).join('/')}: a symbolic link, not followed`);
      else if (e.isFile()) {
        if (out.length >= MAX_VERIFY_FILES) throw new SleuthError('read_failed', `More than ${MAX_VERIFY_FILES} files below ${root}`, { file: root });
        const st = await stat(full);
        out.push(new NodeFileSource(full, relative(root, full).split(sep).join('/'), st.size, st.mtimeMs));
      }
    }
  };
  await visit(root);
  return out;
}

export async function runVerifyCommand(args: CliArgs, io: CliOutput): Promise<number> {
  const [target, ...extra] = args.positional;
  if (target === undefined || extra.length > 0) throw new SleuthError('usage', 'verify takes one path: verify <path> --manifest F [--key PEM | --cert PEM]');
  const manifestPath = args.flags.get('--manifest');
  if (manifestPath === undefined) throw new SleuthError('usage', 'verify needs --manifest F (a sha256sum file or a model_signing bundle)');
  const keyPath = args.flags.get('--key');
  const certPath = args.flags.get('--cert');
  if (keyPath !== undefined && certPath !== undefined) throw new SleuthError('usage', 'Give --key or --cert, not both');

  const manifestText = await readInput(manifestPath, 'manifest', MAX_OMS_BYTES);
  let key: VerificationKey | undefined;
  const keyFile = keyPath ?? certPath;
  if (keyFile !== undefined) {
    try {
      key = readVerificationKey(await readInput(keyFile, keyPath !== undefined ? 'key' : 'certificate', MAX_KEY_BYTES));
    } catch (e) {
      if (e instanceof EvidenceError) throw new SleuthError('read_failed', `${keyFile}: ${e.message}`, { file: keyFile });
      throw e;
    }
    if (certPath !== undefined && key.kind !== 'certificate') throw new SleuthError('usage', `--cert ${certPath} holds a public key, not a certificate; use --key`);
  }

  const root = resolve(target);
  let rootStat;
  try {
    rootStat = await lstat(root);
  } catch (e) {
    throw new SleuthError('read_failed', `Cannot open ${target}: ${(e as Error).message}`, { file: target });
  }
  const notes: string[] = [];
  const sources = rootStat.isDirectory() ? await walk(root, notes) : [await NodeFileSource.open(root, basename(root))];
  const manifestAbs = resolve(manifestPath);
  const ignore = rootStat.isDirectory() && manifestAbs.startsWith(root + sep) ? [relative(root, manifestAbs).split(sep).join('/')] : [];
  const byPath = new Map(sources.map((s) => [s.path, s]));
  const total = sources.reduce((n, s) => n + s.size, 0);
  let pooled: PooledFileHasher | undefined;
  const hasher = (): PooledFileHasher | undefined => {
    if (pooled === undefined && sources.length > 1 && total >= POOL_MIN_TOTAL_BYTES) pooled = createPooledHasher(sources, workerCount(args.flags));
    return pooled;
  };

  let result: ManifestVerification;
  try {
    try {
      result = await verifyModelAgainstManifest({
        manifestName: basename(manifestPath),
        manifestText,
        files: sources.map((s) => ({ path: s.path, size: s.size })),
        ...(key === undefined ? {} : { key }),
        ignore,
        concurrency: 4,
        hash: async (path, range) => {
          const s = byPath.get(path);
          if (!s) throw new Error('not enumerated');
          const pool = range === undefined ? hasher() : undefined;
          return pool ? pool.hash(path, s.size) : hashSourceInProcess(s, range);
        },
      });
    } catch (e) {
      if (e instanceof EvidenceError) throw new SleuthError('read_failed', `${manifestPath}: ${e.message}`, { file: manifestPath });
      throw e;
    }
    await drillDown(result, sources, notes);
  } finally {
    pooled?.dispose();
    await Promise.all(sources.map((s) => s.close().catch(() => undefined)));
  }

  for (const item of result.items) printItem(item, io);
  for (const p of result.problems) io.stderr(`model-sleuth: ${p}\n`);
  for (const w of [...result.warnings, ...notes]) io.stderr(`model-sleuth: warning: ${w}\n`);
  if (result.rootDigest && !result.rootDigest.consistent) io.stderr('model-sleuth: WARNING: the manifest is inconsistent (its resources do not hash to its subject digest)\n');
  const c = result.counts;
  if (c.failed) io.stderr(`model-sleuth: WARNING: ${c.failed} computed checksum${c.failed === 1 ? '' : 's'} did NOT match\n`);
  if (c.missing) io.stderr(`model-sleuth: WARNING: ${c.missing} listed file${c.missing === 1 ? '' : 's'} could not be read\n`);
  if (c.extra) io.stderr(`model-sleuth: WARNING: ${c.extra} file${c.extra === 1 ? ' is' : 's are'} not in the manifest\n`);
  if (result.signature) {
    io.stderr(`signature: ${result.signature.status.toUpperCase()}: ${result.signature.message}\n`);
    for (const cav of result.signature.caveats) io.stderr(`signature: note: ${cav}\n`);
  }
  if (result.drillDown) io.stderr(`drill-down: ${result.drillDown}\n`);
  io.stderr(`${result.verdict.toUpperCase()}: ${result.summary}\n`);

  const json = args.flags.get('--json');
  if (json !== undefined) await writeOut(json, `${JSON.stringify(result, null, 2)}\n`, io);
  const sarif = args.flags.get('--sarif');
  if (sarif !== undefined) await writeOut(sarif, `${JSON.stringify(manifestToSarif(result, TOOL_VERSION, target), null, 2)}\n`, io);
  return result.verdict === 'verified' ? 0 : 1;
}

async function writeOut(path: string, text: string, io: CliOutput): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  if (path === '-') io.stdout(text);
  else await writeFile(path, text);
}

/** Names the tensors in the mismatching bytes (model files' headers only; nothing else is read). */
async function drillDown(result: ManifestVerification, sources: readonly NodeFileSource[], notes: string[]): Promise<void> {
  if (!result.items.some((i) => i.status === 'failed')) return;
  const modelFiles = sources.filter((s) => isModelRelatedPath(s.path));
  if (modelFiles.length === 0) return;
  try {
    const model = await loadModel('verify', modelFiles);
    await attachTensors(result, model, new Map(sources.map((s) => [s.path, s.size])));
  } catch (e) {
    notes.push(`the model's headers could not be read for the drill-down to tensors: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** sha256sum -c's line for an item ("name: OK"), with the name escaped as sha256sum escapes it. */
function statusLine(name: string, words: string): string {
  const escaped = formatChecksumLine('0'.repeat(64), name).startsWith('\\');
  const shown = escaped ? `\\${name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}` : name;
  return `${shown}: ${words}\n`;
}

function printItem(item: ItemResult, io: CliOutput): void {
  const words =
    item.status === 'ok'
      ? 'OK'
      : item.status === 'missing'
        ? 'FAILED open or read'
        : item.status === 'extra'
          ? 'FAILED (not in the manifest)'
          : item.status === 'failed'
            ? item.message && item.message !== 'the digest differs' ? `FAILED (${item.message})` : 'FAILED'
            : `FAILED (${item.message ?? item.status})`;
  io.stdout(statusLine(item.name, words));
  const tensors = item.tensors ?? [];
  if (tensors.length === 0) return;
  const range = item.range ? `bytes ${item.range[0]}–${item.range[1]}` : 'this file';
  const changed = tensors.filter((t) => t.changed === true);
  const shown = (changed.length ? changed : tensors).slice(0, MAX_TENSORS_PRINTED);
  const more = (changed.length ? changed.length : tensors.length + (item.tensorsOmitted ?? 0)) - shown.length;
  io.stdout(`  ${changed.length ? 'changed tensors' : 'tensors'} in ${range}${item.headerInRange ? ' (with the file header)' : ''}: ${shown.map((t) => t.name).join(', ')}${more > 0 ? ` … and ${more} more` : ''}\n`);
}
