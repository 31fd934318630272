/**
 * `model-sleuth hash <path>`: sha256sum lines ("<hex>  <relative path>") for every model file of a
 * folder (or the one file), in path order, byte-compatible with GNU sha256sum (names holding "\",
 * LF or CR are escaped as sha256sum escapes them), so `cd <folder> && sha256sum -c` accepts the
 * output as it is.
 *
 * Big models are hashed concurrently: one file per worker thread of the analysis pool (SHA-256 of
 * one file is sequential; parallelism comes from hashing different files at once — DESIGN.md), in
 * streaming chunks, lines printed in path order as soon as each is known. Small inputs are hashed
 * in-process, where starting workers would cost more than it saves.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { describeError, SleuthError, toErrorInfo } from '../lib/formats/errors.ts';
import { openPath, type NodeFileSource } from '../lib/io/node-source.ts';
import { createNodeSha256 } from '../lib/evidence/sha256-node.ts';
import { formatChecksumLine } from '../lib/evidence/manifests/sha256sum.ts';
import type { JobSpec } from '../lib/analysis/job.ts';
import type { WorkerPool } from '../lib/analysis/worker-pool.ts';
import { createNodePool } from './node-pool.ts';

export interface CliArgs {
  positional: string[];
  flags: Map<string, string>;
  switches: Set<string>;
}

export interface CliOutput {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
}

/** Below this total (or with one file) hashing stays in-process: workers take ~0.1 s each to start. */
export const POOL_MIN_TOTAL_BYTES = 64 * 1024 * 1024;
const CHUNK_BYTES = 8 * 1024 * 1024;

/** Streams one file (or bytes [start, end) of it) through node:crypto SHA-256. */
export async function hashSourceInProcess(source: Pick<NodeFileSource, 'read' | 'size'>, range?: readonly [number, number]): Promise<string> {
  const h = await createNodeSha256();
  const [start, end] = range ?? [0, source.size];
  for (let off = start; off < end; off += CHUNK_BYTES) h.update(await source.read(off, Math.min(CHUNK_BYTES, end - off)));
  return h.digestHex();
}

/** Hashes whole files on a pool of worker threads (jobs with only `hashFiles`). */
export class PooledFileHasher {
  private nextId = 1;
  constructor(private readonly pool: WorkerPool) {}
  async hash(path: string, size: number): Promise<string> {
    const spec: JobSpec = { id: this.nextId++, hashFiles: [{ side: 'suspect', path }], pairs: [], plannedBytes: size };
    const out = await this.pool.runJob(spec, () => undefined);
    if (!out.ok) throw new SleuthError(out.error.code, out.error.message, { file: path });
    const file = out.value.files.find((f) => f.path === path);
    if (!file) {
      const e = out.value.errors[0];
      throw new SleuthError(e?.code ?? 'read_failed', e?.message ?? `${path} could not be hashed`, { file: path });
    }
    return file.sha256;
  }
  dispose(): void {
    this.pool.dispose();
  }
}

export function workerCount(flags: Map<string, string>): number {
  const flag = flags.get('--workers');
  const n = flag === undefined ? Math.max(1, availableParallelism()) : Number(flag);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new SleuthError('usage', `--workers must be an integer 1…256 (got "${flag}")`);
  return n;
}

export function createPooledHasher(sources: readonly NodeFileSource[], workers: number): PooledFileHasher {
  const refs = sources.map((s) => ({ path: s.path, size: s.size, absolutePath: s.absolutePath, ...(s.lastModified === undefined ? {} : { lastModified: s.lastModified }) }));
  return new PooledFileHasher(createNodePool({ knownGood: [], suspect: refs }, { engine: 'cpu', workers: Math.min(workers, sources.length) }));
}

export async function runHashCommand(args: CliArgs, io: CliOutput): Promise<number> {
  const [path, ...extra] = args.positional;
  if (path === undefined || extra.length > 0) throw new SleuthError('usage', 'hash takes one path');
  const sources = await openPath(resolve(path));
  const total = sources.reduce((n, s) => n + s.size, 0);
  const pooled = sources.length > 1 && total >= POOL_MIN_TOTAL_BYTES ? createPooledHasher(sources, workerCount(args.flags)) : undefined;
  let failed = false;
  const print = (s: NodeFileSource, r: { ok: true; sha256: string } | { ok: false; error: unknown }): void => {
    if (r.ok) io.stdout(formatChecksumLine(r.sha256, s.path));
    else {
      failed = true;
      io.stderr(`error: ${describeError(toErrorInfo(r.error, s.path))}\n`);
    }
  };
  if (pooled) {
    try {
      // Every file is queued at once (the pool runs one per worker); lines still come out in path order.
      const digests = sources.map((s) => pooled.hash(s.path, s.size).then((sha256) => ({ ok: true as const, sha256 }), (error: unknown) => ({ ok: false as const, error })));
      for (const [i, s] of sources.entries()) print(s, await (digests[i] as (typeof digests)[number]));
    } finally {
      pooled.dispose();
    }
  } else {
    for (const s of sources) {
      try {
        const sha256 = await hashSourceInProcess(s);
        // Closing checks the file did not change while it was read (node-source.ts).
        await s.close();
        print(s, { ok: true, sha256 });
      } catch (error) {
        print(s, { ok: false, error });
        await s.close().catch(() => undefined);
      }
    }
  }
  return failed ? 2 : 0;
}
