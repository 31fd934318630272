/**
 * Computation weights on a backend, loaded on first use and kept resident.
 *
 * - `ModelWeights`: one model's tensors (TensorReader → f32 → backend buffer). A `share` partner
 *   (the other model of the pair) lends its buffer for any tensor whose stored bytes are identical —
 *   the common case in forensics, where a suspect differs from its known-good in a few tensors —
 *   so a pair costs little more memory than one model. Identity is decided from the comparison
 *   report when one is given, else by comparing raw bytes (never by a hash that could collide).
 * - `OverlayWeights`: the suspect with some stored tensors taken from the known-good (the
 *   counterfactual revert of ./revert.ts), without reloading anything.
 */
import type { ActBackend, Buf } from './backend.ts';
import type { WeightProvider } from './model.ts';
import type { ComputeWeight } from './spec.ts';
import { shapeComputeWeight, type TensorReader } from './weights.ts';

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface LoadEvent {
  tensor: string;
  bytes: number;
  shared: boolean;
}

export class ModelWeights implements WeightProvider {
  private readonly bufs = new Map<string, Promise<Buf>>();
  private lastStored: { tensor: string; values: Promise<Float32Array> } | undefined;
  /** f32 bytes this model holds on the backend (not counting buffers borrowed from its partner). */
  residentBytes = 0;
  onLoad: ((e: LoadEvent) => void) | undefined;

  constructor(
    readonly reader: TensorReader,
    readonly backend: ActBackend,
    readonly label: string,
    private readonly share?: { partner: ModelWeights; identical?: ReadonlySet<string> },
  ) {}

  get(w: ComputeWeight): Promise<Buf> {
    let p = this.bufs.get(w.key);
    if (p === undefined) {
      p = this.load(w);
      this.bufs.set(w.key, p);
      p.catch(() => this.bufs.delete(w.key));
    }
    return p;
  }

  private async isIdenticalToPartner(tensor: string): Promise<boolean> {
    const share = this.share;
    if (share === undefined) return false;
    if (share.identical !== undefined) return share.identical.has(tensor);
    const mine = this.reader.entry(tensor);
    const theirs = share.partner.reader.entry(tensor);
    if (mine === undefined || theirs === undefined || mine.dtype !== theirs.dtype || mine.shape.join() !== theirs.shape.join()) return false;
    if (JSON.stringify(mine.transform ?? {}) !== JSON.stringify(theirs.transform ?? {})) return false;
    return bytesEqual(await this.reader.rawBytes(tensor), await share.partner.reader.rawBytes(tensor));
  }

  private async load(w: ComputeWeight): Promise<Buf> {
    if (this.share !== undefined && (await this.isIdenticalToPartner(w.tensor))) {
      const b = await this.share.partner.get(w);
      this.onLoad?.({ tensor: w.tensor, bytes: w.rows * w.cols * 4, shared: true });
      return b;
    }
    if (this.lastStored?.tensor !== w.tensor) {
      const values = this.reader.read(w.tensor).then((s) => s.values);
      this.lastStored = { tensor: w.tensor, values };
    }
    const stored = await this.lastStored.values;
    const values = shapeComputeWeight(w, stored);
    this.residentBytes += values.byteLength;
    this.onLoad?.({ tensor: w.tensor, bytes: values.byteLength, shared: false });
    return w.rows > 1 ? this.backend.uploadMatrix(values, w.rows, w.cols, `${this.label}:${w.key}`) : this.backend.upload(values, `${this.label}:${w.key}`);
  }

  /** Releases every buffer this model owns (not those borrowed from its partner). */
  async dispose(): Promise<void> {
    const owned: Buf[] = [];
    for (const p of this.bufs.values()) {
      try {
        const b = await p;
        if (b.label.startsWith(`${this.label}:`)) owned.push(b);
      } catch {
        // A failed load holds nothing.
      }
    }
    this.bufs.clear();
    this.lastStored = undefined;
    for (const b of owned) this.backend.release(b);
  }
}

/** `base`, with the stored tensors in `from` taken from `other`. */
export class OverlayWeights implements WeightProvider {
  constructor(
    private readonly base: WeightProvider,
    private readonly other: WeightProvider,
    private readonly from: ReadonlySet<string>,
  ) {}
  get(w: ComputeWeight): Promise<Buf> {
    return this.from.has(w.tensor) ? this.other.get(w) : this.base.get(w);
  }
}
