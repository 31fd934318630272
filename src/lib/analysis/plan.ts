/**
 * Pairing and job planning.
 *
 * Pairing is by canonical tensor name. Planning decides how the bytes are read:
 * - "lockstep" when the models split into at least as many independent file groups as there are
 *   workers (typical sharded models): one job per group streams its files once, and that single
 *   read feeds the file hashes, the tensor hashes, the statistics and the diff;
 * - "split" otherwise (e.g. one big file per side on a 2-core machine): the tensor work is cut into
 *   one slice per worker, and each file's whole-file hash rides on one slice's read of it (the
 *   bytes that slice does not need are read for the hash alone), so every core works and the model
 *   is read about 1.5× instead of twice.
 * Files no tensor lives in (sidecars, unparsed files) are hashed by small jobs of their own.
 */
import type { ModelManifest, TensorEntry } from '../formats/manifest.ts';
import type { FileKey, JobSpec, PairTask, Side } from './job.ts';

export function pairTensors(knownGood: ModelManifest, suspect: ModelManifest): PairTask[] {
  const bySuspect = new Map(suspect.tensors.map((t) => [t.name, t] as const));
  const pairs: PairTask[] = [];
  for (const a of knownGood.tensors) {
    const b = bySuspect.get(a.name);
    pairs.push(b ? { name: a.name, a, b } : { name: a.name, a });
    bySuspect.delete(a.name);
  }
  for (const b of bySuspect.values()) pairs.push({ name: b.name, b });
  return pairs;
}

export type PlanMode = 'lockstep' | 'split';

export interface Plan {
  mode: PlanMode;
  jobs: JobSpec[];
  totalBytes: number;
}

const fileKey = (side: Side, path: string): string => `${side}\u0000${path}`;

export function planJobs(knownGood: ModelManifest, suspect: ModelManifest, pairs: readonly PairTask[], workers: number): Plan {
  // Union-find over files linked by tensor pairs.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r) as string;
    parent.set(x, r);
    return r;
  };
  const add = (x: string): void => {
    if (!parent.has(x)) parent.set(x, x);
  };
  const union = (x: string, y: string): void => {
    add(x);
    add(y);
    const rx = find(x);
    const ry = find(y);
    if (rx !== ry) parent.set(rx, ry);
  };
  for (const p of pairs) {
    if (p.a) add(fileKey('knownGood', p.a.file));
    if (p.b) add(fileKey('suspect', p.b.file));
    if (p.a && p.b) union(fileKey('knownGood', p.a.file), fileKey('suspect', p.b.file));
  }

  const sizeOf = new Map<string, number>();
  for (const f of knownGood.files) sizeOf.set(fileKey('knownGood', f.path), f.size);
  for (const f of suspect.files) sizeOf.set(fileKey('suspect', f.path), f.size);

  const groups = new Map<string, { files: FileKey[]; pairs: PairTask[]; bytes: number }>();
  for (const k of parent.keys()) {
    const root = find(k);
    let g = groups.get(root);
    if (!g) groups.set(root, (g = { files: [], pairs: [], bytes: 0 }));
    const [side, path] = k.split('\u0000') as [Side, string];
    g.files.push({ side, path });
    g.bytes += sizeOf.get(k) ?? 0;
  }
  for (const p of pairs) {
    const anchor = p.a ? fileKey('knownGood', p.a.file) : fileKey('suspect', (p.b as TensorEntry).file);
    groups.get(find(anchor))?.pairs.push(p);
  }

  const jobs: JobSpec[] = [];
  let id = 0;
  const groupList = [...groups.values()].sort((x, y) => y.bytes - x.bytes);
  const mode: PlanMode = groupList.length >= workers || workers <= 1 ? 'lockstep' : 'split';
  if (mode === 'lockstep') {
    for (const g of groupList) {
      jobs.push({ id: id++, hashFiles: sortFiles(g.files), pairs: orderForStreaming(g.pairs), plannedBytes: g.bytes });
    }
  } else {
    for (const g of groupList) {
      // Tensor work split into `workers` slices of similar byte size, each contiguous in file order.
      const ordered = orderForStreaming(g.pairs);
      const total = ordered.reduce((s, p) => s + pairBytes(p), 0);
      const target = total / workers;
      const slices: JobSpec[] = [];
      let slice: PairTask[] = [];
      let bytes = 0;
      for (const p of ordered) {
        slice.push(p);
        bytes += pairBytes(p);
        if (bytes >= target && jobs.length + slices.length < 10_000) {
          slices.push({ id: id++, hashFiles: [], pairs: slice, plannedBytes: bytes });
          slice = [];
          bytes = 0;
        }
      }
      if (slice.length > 0) slices.push({ id: id++, hashFiles: [], pairs: slice, plannedBytes: bytes });
      // Each file is hashed whole by one slice job, on the same read as that job's tensors in it
      // (the rest of the file is read for the hash alone): one big file per side on two workers
      // reads 1.5× the model instead of 2× with separate hashing jobs.
      const files = sortFiles(g.files);
      files.forEach((f, i) => {
        const job = slices[i % Math.max(1, slices.length)];
        const size = sizeOf.get(fileKey(f.side, f.path)) ?? 0;
        if (!job) {
          jobs.push({ id: id++, hashFiles: [f], pairs: [], plannedBytes: size });
          return;
        }
        job.hashFiles.push(f);
        job.plannedBytes += Math.max(0, size - bytesIn(job.pairs, f));
      });
      jobs.push(...slices);
    }
  }

  // Files no tensor lives in: sidecars, indexes, unreadable weights.
  for (const [side, model] of [['knownGood', knownGood], ['suspect', suspect]] as const) {
    for (const f of model.files) {
      if (parent.has(fileKey(side, f.path))) continue;
      jobs.push({ id: id++, hashFiles: [{ side, path: f.path }], pairs: [], plannedBytes: f.size });
    }
  }
  // Largest first: the longest job starts first, so the pool drains evenly.
  jobs.sort((x, y) => y.plannedBytes - x.plannedBytes);
  const totalBytes = jobs.reduce((s, j) => s + j.plannedBytes, 0);
  return { mode, jobs, totalBytes };
}

/** Bytes of `file` that a job's pairs read anyway. */
function bytesIn(pairs: readonly PairTask[], file: FileKey): number {
  let n = 0;
  for (const p of pairs) {
    if (file.side === 'knownGood' && p.a?.file === file.path) n += p.a.byteLength;
    if (file.side === 'suspect' && p.b?.file === file.path) n += p.b.byteLength;
  }
  return n;
}

function pairBytes(p: PairTask): number {
  return (p.a?.byteLength ?? 0) + (p.b?.byteLength ?? 0);
}

function sortFiles(files: FileKey[]): FileKey[] {
  return [...files].sort((x, y) => (x.side === y.side ? (x.path < y.path ? -1 : x.path > y.path ? 1 : 0) : x.side === 'knownGood' ? -1 : 1));
}

/** Known-good file order and offset first (sequential reads), suspect-only tensors by their offset. */
function orderForStreaming(pairs: readonly PairTask[]): PairTask[] {
  const pos = (p: PairTask): [number, string, number] => (p.a ? [0, p.a.file, p.a.byteOffset] : [1, (p.b as TensorEntry).file, (p.b as TensorEntry).byteOffset]);
  return [...pairs].sort((x, y) => {
    const [sx, fx, ox] = pos(x);
    const [sy, fy, oy] = pos(y);
    return sx - sy || (fx < fy ? -1 : fx > fy ? 1 : 0) || ox - oy;
  });
}
