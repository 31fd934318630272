/**
 * The watchdog worker: runs fuzz cases one at a time and posts back each result. The parent
 * (./pool.ts) terminates it when a case overruns its watchdog or the heap cap, so a hang or a
 * memory blow-up costs one worker, never the test process.
 *
 * Three probe targets exercise the watchdog itself: `__hang__` never returns, `__oom__` allocates
 * until the heap cap, `__throw__` throws a TypeError out of the target.
 */
import { parentPort } from 'node:worker_threads';
import { runTarget, type TargetName, type TargetRun } from './targets.ts';

export type ProbeTarget = '__hang__' | '__oom__' | '__throw__';

export interface CaseRequest {
  id: number;
  target: TargetName | ProbeTarget;
  name: string;
  bytes: Uint8Array;
}

export type CaseReply = { id: number; ok: true; run: TargetRun } | { id: number; ok: false; error: string };

async function run(req: CaseRequest): Promise<TargetRun> {
  switch (req.target) {
    case '__hang__':
      for (;;) {
        // Busy forever: only terminating the thread stops it.
      }
    case '__oom__': {
      const hoard: number[][] = [];
      for (;;) hoard.push(new Array<number>(1 << 20).fill(hoard.length));
    }
    case '__throw__':
      throw new TypeError('probe');
    default:
      return runTarget(req.target, req.bytes, req.name);
  }
}

const port = parentPort;
if (!port) throw new Error('fuzz worker: no parent port');
port.on('message', (req: CaseRequest) => {
  run(req).then(
    (r) => port.postMessage({ id: req.id, ok: true, run: r } satisfies CaseReply),
    (e: unknown) => port.postMessage({ id: req.id, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) } satisfies CaseReply),
  );
});
port.postMessage({ ready: true });
