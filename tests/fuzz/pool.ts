/**
 * Runs fuzz cases in worker threads under a watchdog. Each case is posted to a worker; if no
 * answer comes within `timeoutMs` the worker is terminated (a hang), if the worker dies (its heap
 * cap, an uncaught error) the case is a crash; either way a fresh worker takes over. The parser
 * under test therefore cannot take the test process down with it.
 */
import { Worker } from 'node:worker_threads';
import type { TargetName, TargetRun } from './targets.ts';
import type { CaseReply, CaseRequest, ProbeTarget } from './worker.ts';

export type CaseStatus = 'ok' | 'input-error' | 'violation' | 'hang' | 'crash';

export interface CaseResult {
  status: CaseStatus;
  violations: string[];
  /** Wall time of one parse (for hangs and crashes: until the watchdog or the death). */
  ms: number;
  /** Process CPU time during the parse (see TargetRun.cpuMs); absent for hangs and crashes. */
  cpuMs?: number;
  code?: string;
  summary?: string;
}

export interface PoolOptions {
  workers?: number;
  /** Watchdog per case, ms (default 10 s): past it the worker is killed and the case is a hang. */
  timeoutMs?: number;
  /** Heap cap of each worker (default 768 MB): a parser that allocates past it is a crash, not an OOM of the runner. */
  heapMb?: number;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  /** Settles the case in flight when the worker dies. */
  onDeath?: ((why: string) => void) | undefined;
  onReply?: ((reply: CaseReply) => void) | undefined;
}

export class FuzzPool {
  private readonly slots: Slot[] = [];
  private readonly free: Slot[] = [];
  private readonly waiting: ((s: Slot) => void)[] = [];
  private nextId = 1;
  private closed = false;
  readonly timeoutMs: number;
  private readonly heapMb: number;
  /** Workers started (1 per slot, plus one per hang or crash). */
  started = 0;

  constructor(options: PoolOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.heapMb = options.heapMb ?? 768;
    for (let i = 0; i < (options.workers ?? 1); i++) {
      const s = this.spawn();
      this.slots.push(s);
      this.free.push(s);
    }
  }

  private spawn(): Slot {
    this.started++;
    const worker = new Worker(new URL('./worker-bootstrap.mjs', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: this.heapMb } });
    const slot: Slot = { worker, ready: Promise.resolve() };
    slot.ready = new Promise<void>((resolve, reject) => {
      const onFirst = (m: unknown): void => {
        if (typeof m === 'object' && m !== null && 'ready' in m) {
          worker.off('message', onFirst);
          resolve();
        }
      };
      worker.on('message', onFirst);
      worker.once('error', reject);
    });
    worker.on('message', (m: unknown) => {
      if (typeof m === 'object' && m !== null && 'id' in m) slot.onReply?.(m as CaseReply);
    });
    worker.on('error', (e) => slot.onDeath?.(`worker error: ${e.message}`));
    worker.on('exit', (code) => slot.onDeath?.(`worker exited with code ${code}`));
    return slot;
  }

  private async acquire(): Promise<Slot> {
    const s = this.free.pop();
    if (s) return s;
    return new Promise<Slot>((resolve) => this.waiting.push(resolve));
  }

  private release(s: Slot): void {
    const w = this.waiting.shift();
    if (w) w(s);
    else this.free.push(s);
  }

  /** Replaces a dead or hung worker. */
  private replace(old: Slot): Slot {
    old.onDeath = undefined;
    old.onReply = undefined;
    void old.worker.terminate();
    const fresh = this.spawn();
    const i = this.slots.indexOf(old);
    if (i >= 0) this.slots[i] = fresh;
    return fresh;
  }

  async run(target: TargetName | ProbeTarget, bytes: Uint8Array, name: string): Promise<CaseResult> {
    if (this.closed) throw new Error('fuzz pool closed');
    let slot = await this.acquire();
    try {
      await slot.ready;
    } catch (e) {
      slot = this.replace(slot);
      await slot.ready;
      void e;
    }
    const id = this.nextId++;
    const started = performance.now();
    const outcome = await new Promise<{ kind: 'reply'; reply: CaseReply } | { kind: 'hang' } | { kind: 'death'; why: string }>((resolve) => {
      const timer = setTimeout(() => resolve({ kind: 'hang' }), this.timeoutMs);
      slot.onReply = (reply) => {
        if (reply.id !== id) return;
        clearTimeout(timer);
        resolve({ kind: 'reply', reply });
      };
      slot.onDeath = (why) => {
        clearTimeout(timer);
        resolve({ kind: 'death', why });
      };
      const req: CaseRequest = { id, target, name, bytes };
      slot.worker.postMessage(req);
    });
    const wall = performance.now() - started;
    slot.onReply = undefined;
    slot.onDeath = undefined;
    if (outcome.kind === 'hang') {
      this.release(this.replace(slot));
      return { status: 'hang', violations: [`no answer within the ${this.timeoutMs} ms watchdog: worker terminated`], ms: wall };
    }
    if (outcome.kind === 'death') {
      this.release(this.replace(slot));
      return { status: 'crash', violations: [outcome.why], ms: wall };
    }
    this.release(slot);
    const reply = outcome.reply;
    if (!reply.ok) return { status: 'crash', violations: [`escaped the target: ${reply.error}`], ms: wall };
    const run: TargetRun = reply.run;
    const result: CaseResult = { status: run.violations.length > 0 ? 'violation' : run.outcome, violations: run.violations, ms: run.ms, cpuMs: run.cpuMs, summary: run.summary };
    if (run.code !== undefined) result.code = run.code;
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => {
      s.onDeath = undefined;
      return s.worker.terminate();
    }));
  }
}
