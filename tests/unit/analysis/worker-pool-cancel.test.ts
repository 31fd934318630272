/**
 * Cancel while the pool is still starting: with engine 'auto' the first worker chooses the engine
 * (a calibration) while the others, spawned at once, wait for its choice. A pool disposed
 * meanwhile must answer every pending call with `cancelled` — never hang —, end every worker it
 * spawned, including those still waiting, and spawn none after it was disposed.
 */
import { describe, expect, it } from 'vitest';
import { WorkerPool, type PromisifiedApi, type SpawnedWorker } from '../../../src/lib/analysis/worker-pool.ts';

/** A worker whose init never answers (stuck calibrating), terminated only from outside. */
function stuckWorker(log: string[]): SpawnedWorker {
  let exit: (why: string) => void = () => undefined;
  const never = new Promise<never>(() => undefined);
  const api = new Proxy({}, { get: (_t, name) => () => (name === 'cancel' ? Promise.resolve() : never) }) as PromisifiedApi;
  log.push('spawn');
  return { api, exited: new Promise((r) => (exit = r)), terminate: () => (log.push('terminate'), exit('terminated')) };
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);
}

describe('WorkerPool disposed while the first worker is still choosing the engine', () => {
  it('answers pending calls with cancelled and spawns nothing more', async () => {
    const log: string[] = [];
    const pool = new WorkerPool({ size: 3, engine: 'auto', spawn: () => stuckWorker(log), proxy: (fn) => fn, sources: { knownGood: [], suspect: [] } });
    const pending = [pool.loadModel('knownGood', 'kg'), pool.loadModel('suspect', 'su'), pool.runJob({ id: 0 } as never, () => undefined)];
    pool.cancel();
    setTimeout(() => pool.dispose(), 20);
    const outs = await within(Promise.all(pending), 2000);
    for (const out of outs) {
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.error.code).toBe('cancelled');
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(log).toEqual(['spawn', 'spawn', 'spawn', 'terminate', 'terminate', 'terminate']);
  });

  it('a first worker that dies while choosing leaves the pool usable on the CPU engine', async () => {
    const log: string[] = [];
    const workers: SpawnedWorker[] = [];
    const pool = new WorkerPool({
      size: 2,
      engine: 'auto',
      spawn: () => {
        const w = stuckWorker(log);
        workers.push(w);
        return w;
      },
      proxy: (fn) => fn,
      sources: { knownGood: [], suspect: [] },
    });
    workers[0]?.terminate();
    const out = await within(pool.loadModel('knownGood', 'kg'), 2000);
    // The first worker's death fails the call routed to it (worker_failed); the second was spawned.
    expect(log.filter((l) => l === 'spawn').length).toBe(2);
    expect(out.ok ? 'ok' : out.error.code).toBe('worker_failed');
    pool.dispose();
  });
});
