/**
 * A worker that dies mid-job (issue 5 item 6), on real worker_threads killed from the outside —
 * no test hook in production code. The pool (src/lib/analysis/worker-pool.ts) must fail the job
 * with worker_failed and retry it once on the CPU engine in a fresh worker; if the retry dies too,
 * the run ends with the coded error in the report (inconclusive) — never a hang, never "clean".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Comlink from 'comlink';
import { afterAll, describe, expect, it } from 'vitest';
import { compareModels } from '../../../src/lib/analysis/compare.ts';
import { WorkerPool, type SpawnedWorker } from '../../../src/lib/analysis/worker-pool.ts';
import { spawnNodeWorker } from '../../../src/cli/node-pool.ts';
import type { SourceRef } from '../../../src/workers/worker-api.ts';
import { tensorName, writeSparseSafetensors, type SparseModelSpec } from './sparse-model.ts';

const dir = mkdtempSync(join(tmpdir(), 'model-sleuth-worker-death-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPEC: SparseModelSpec = { tensors: 4, rows: 4096, cols: 4096 }; // 4 × 64 MiB
const EDITED = tensorName(3);

function refs(): { knownGood: SourceRef[]; suspect: SourceRef[] } {
  const kg = join(dir, 'kg.safetensors');
  const su = join(dir, 'su.safetensors');
  const size = writeSparseSafetensors(kg, SPEC);
  writeSparseSafetensors(su, SPEC, [{ tensor: 3, element: 4096 * 4096 - 5, value: 3.5 }]);
  return {
    knownGood: [{ path: 'model.safetensors', size, absolutePath: kg }],
    suspect: [{ path: 'model.safetensors', size, absolutePath: su }],
  };
}

/** A spawn factory that keeps every worker it starts, so the test can kill them. */
function trackingSpawn(): { spawn: () => SpawnedWorker; spawned: SpawnedWorker[] } {
  const spawned: SpawnedWorker[] = [];
  return {
    spawned,
    spawn: () => {
      const w = spawnNodeWorker();
      spawned.push(w);
      return w;
    },
  };
}

function pool(sources: ReturnType<typeof refs>, spawn: () => SpawnedWorker): WorkerPool {
  // Small chunks keep each job streaming for a while, so a kill lands mid-job.
  return new WorkerPool({ size: 2, engine: 'cpu', spawn, proxy: (fn) => Comlink.proxy(fn), sources, chunkBytes: 256 * 1024 });
}

/** Fails the test instead of hanging it. */
function withinMs<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms: the pool hangs`)), ms))]);
}

describe('WorkerPool: a worker killed mid-job', () => {
  const sources = refs();

  it('is replaced, the job retried on the CPU engine, and the edit still found', async () => {
    const { spawn, spawned } = trackingSpawn();
    const p = pool(sources, spawn);
    let killedAt = -1;
    try {
      const report = await withinMs(
        compareModels(p, {
          toolVersion: 'test',
          onProgress: (pr) => {
            if (killedAt < 0 && pr.phase === 'streaming' && pr.bytesDone > 32 * 1024 * 1024) {
              killedAt = pr.bytesDone;
              spawned[0]?.terminate();
            }
          },
        }),
        60_000,
      );
      expect(killedAt).toBeGreaterThan(0);
      expect(spawned.length).toBe(3);
      expect(report.verdict.status).toBe('tampered');
      expect(report.tensors.find((t) => t.name === EDITED)?.status).toBe('modified');
      expect(report.notes?.some((n) => /retried on the CPU engine after worker_failed/.test(n))).toBe(true);
    } finally {
      p.dispose();
    }
  }, 90_000);

  it('when the retry dies as well, the run ends with worker_failed in the report — no hang, not clean', async () => {
    const { spawn, spawned } = trackingSpawn();
    let killing = false;
    // From the first streamed bytes on, every worker — running or newly spawned — is killed.
    const killer = (): SpawnedWorker => {
      const w = spawn();
      if (killing) setTimeout(() => w.terminate(), 50);
      return w;
    };
    const p = pool(sources, killer);
    try {
      // Headers were read before the first byte streamed, so the run still ends in a report.
      const report = await withinMs(
        compareModels(p, {
          toolVersion: 'test',
          onProgress: (pr) => {
            if (!killing && pr.phase === 'streaming' && pr.bytesDone > 0) {
              killing = true;
              for (const w of spawned) w.terminate();
            }
          },
        }),
        60_000,
      );
      expect(killing).toBe(true);
      expect(spawned.length).toBeGreaterThan(2);
      expect(report.verdict.status).toBe('inconclusive');
      const failed = report.findings.filter((f) => f.details?.['code'] === 'worker_failed');
      expect(failed.length).toBeGreaterThan(0);
      expect(failed[0]?.message).toMatch(/worker_failed: A worker stopped/);
    } finally {
      p.dispose();
    }
  }, 90_000);
});
