/**
 * SHA-256 of files and byte ranges in the browser, on a small pool of hashing workers (one per core,
 * at most 4; SHA-256 of one file is sequential, so parallelism comes from hashing several at once).
 * The workers are ended when the queue has been empty for a while.
 */
import * as Comlink from 'comlink';
import type { HashOutcome, HashWorkerApi } from './hash.worker.ts';

const IDLE_MS = 10_000;

interface Slot {
  worker: Worker;
  api: Comlink.Remote<HashWorkerApi>;
  busy: boolean;
}

let slots: Slot[] = [];
const queue: (() => void)[] = [];
let idleTimer: ReturnType<typeof setTimeout> | undefined;

function poolSize(): number {
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2));
}

function spawn(): Slot {
  const worker = new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module', name: 'model-sleuth-hash' });
  return { worker, api: Comlink.wrap<HashWorkerApi>(worker), busy: false };
}

async function acquire(): Promise<Slot> {
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  for (;;) {
    const free = slots.find((s) => !s.busy);
    if (free) {
      free.busy = true;
      return free;
    }
    if (slots.length < poolSize()) {
      const s = spawn();
      s.busy = true;
      slots.push(s);
      return s;
    }
    await new Promise<void>((resolve) => queue.push(resolve));
  }
}

function release(slot: Slot): void {
  slot.busy = false;
  const next = queue.shift();
  if (next) next();
  else if (slots.every((s) => !s.busy)) {
    idleTimer = setTimeout(() => {
      for (const s of slots) s.worker.terminate();
      slots = [];
    }, IDLE_MS);
  }
}

/** SHA-256 (hex) of `blob`, or of bytes [start, end) of it. Throws with the worker's message on failure. */
export async function hashBlob(blob: Blob, range?: readonly [number, number], onBytes?: (n: number) => void): Promise<string> {
  const slot = await acquire();
  try {
    const [start, end] = range ?? [0, blob.size];
    const out: HashOutcome = await slot.api.hash(blob, start, end, onBytes ? Comlink.proxy(onBytes) : undefined);
    if (!out.ok) throw new Error(out.message);
    return out.sha256;
  } finally {
    release(slot);
  }
}
