/**
 * One model on one backend: the forward pass of ./spec.ts's families (Llama-style and GPT-2),
 * written once over ../backend.ts's operations, with a KV cache for generation and optional
 * capture of what the probes look at (residual stream after every layer, attention entropy per
 * head, MLP activation sparsity, logit lens of the last position).
 *
 * Weights come from a `WeightProvider` on first use, layer by layer (nothing is read before the
 * layer that needs it runs), and stay resident; a counterfactual run swaps providers without
 * reloading anything (./weight-provider.ts).
 */
import { SleuthError } from '../formats/errors.ts';
import type { ActBackend, Buf } from './backend.ts';
import type { ComputeWeight, ModelSpec, RopeSpec } from './spec.ts';

export interface WeightProvider {
  get(w: ComputeWeight): Promise<Buf>;
}

export interface ForwardCapture {
  /** [(layers + 1), rows, hidden]: the residual stream after the embeddings (0) and after each layer. */
  hidden: Float32Array;
  /** [layers, heads, rows]: attention entropy (nats) per head and query position. */
  entropy: Float32Array;
  /** [layers, rows]: fraction of inactive MLP units (../backend.ts SPARSITY_RELATIVE). */
  sparsity: Float32Array;
  /** [(layers + 1), vocab]: logit lens of the last position (final norm + unembedding of each residual). */
  lens: Float32Array;
}

export interface ForwardOutput {
  /** Logits of the last row, [vocab]. */
  logits: Float32Array;
  capture?: ForwardCapture;
}

/** The cos/sin table of rotate_half RoPE, [positions, rotaryDim/2, 2], as transformers computes it in f32. */
export function ropeTable(rope: RopeSpec, positions: number): Float32Array {
  const half = rope.rotaryDim / 2;
  const f = Math.fround;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = f(1 / f(Math.pow(rope.theta, f((2 * i) / rope.rotaryDim))));
  const s = rope.scaling;
  if (s?.type === 'linear') for (let i = 0; i < half; i++) inv[i] = f((inv[i] as number) / s.factor);
  else if (s?.type === 'llama3') {
    // transformers modeling_rope_utils._compute_llama3_parameters.
    const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
    const highWavelen = s.originalMaxPositions / s.highFreqFactor;
    for (let i = 0; i < half; i++) {
      const x = inv[i] as number;
      const wavelen = (2 * Math.PI) / x;
      let y = wavelen > lowWavelen ? x / s.factor : x;
      if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
        const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        y = ((1 - smooth) * y) / s.factor + smooth * y;
      }
      inv[i] = f(y);
    }
  }
  const out = new Float32Array(positions * half * 2);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const a = f(p * (inv[i] as number));
      out[(p * half + i) * 2] = Math.cos(a);
      out[(p * half + i) * 2 + 1] = Math.sin(a);
    }
  }
  return out;
}

interface Scratch {
  rows: number;
  x: Buf;
  h: Buf;
  q: Buf;
  k: Buf;
  v: Buf;
  att: Buf;
  g: Buf;
  u: Buf;
  a: Buf;
  scores: Buf;
  entropy: Buf;
  sparsity: Buf;
  hidden: Buf;
}

/** Bytes of the activation buffers for `rows` rows at a context of `capacity` positions. */
export function activationBytes(spec: ModelSpec, rows: number, capacity: number, capture: boolean): number {
  const qDim = spec.heads * spec.headDim;
  const kvDim = spec.kvHeads * spec.headDim;
  const L = spec.layers;
  let n = rows * (2 * spec.hidden + 2 * qDim + 2 * kvDim + 3 * spec.intermediate);
  n += spec.heads * rows * capacity; // scores
  n += (L + 1) * spec.vocab + 3 * (L + 1) * spec.hidden; // logits / lens
  if (capture) n += (L + 1) * rows * spec.hidden + L * spec.heads * rows + L * rows;
  return n * 4;
}

/** Bytes of the KV cache for `capacity` positions. */
export function kvCacheBytes(spec: ModelSpec, capacity: number): number {
  return 2 * spec.layers * capacity * spec.kvHeads * spec.headDim * 4;
}

export class TransformerRunner {
  private readonly kCache: Buf[] = [];
  private readonly vCache: Buf[] = [];
  private table: Buf | undefined;
  private scratch: Scratch | undefined;
  private lensIn: Buf | undefined;
  private lensNorm: Buf | undefined;
  private logits: Buf | undefined;
  private disposed = false;
  /** Positions currently in the KV cache. */
  length = 0;

  constructor(
    readonly spec: ModelSpec,
    readonly backend: ActBackend,
    public weights: WeightProvider,
    /** Largest context (prompt + generated tokens) this runner will hold. */
    readonly capacity: number,
  ) {
    if (capacity > spec.maxPositions && spec.family === 'gpt2') {
      throw new SleuthError('unsupported_architecture', `GPT-2 has ${spec.maxPositions} learned positions; ${capacity} tokens do not fit`);
    }
    const kvDim = spec.kvHeads * spec.headDim;
    for (let l = 0; l < spec.layers; l++) {
      this.kCache.push(backend.alloc(capacity * kvDim, `k-cache.${l}`));
      this.vCache.push(backend.alloc(capacity * kvDim, `v-cache.${l}`));
    }
    if (spec.rope) this.table = backend.upload(ropeTable(spec.rope, capacity), 'rope-table');
  }

  /** Forgets the cached context (the next forward starts at position 0). */
  reset(): void {
    this.length = 0;
  }

  private scratchFor(rows: number): Scratch {
    const s = this.scratch;
    if (s !== undefined && s.rows >= rows) return s;
    if (s !== undefined) for (const b of Object.values(s) as (Buf | number)[]) if (typeof b !== 'number') this.backend.release(b);
    const spec = this.spec;
    const be = this.backend;
    const qDim = spec.heads * spec.headDim;
    const kvDim = spec.kvHeads * spec.headDim;
    const L = spec.layers;
    const next: Scratch = {
      rows,
      x: be.alloc(rows * spec.hidden, 'x'),
      h: be.alloc(rows * spec.hidden, 'h'),
      q: be.alloc(rows * qDim, 'q'),
      k: be.alloc(rows * kvDim, 'k'),
      v: be.alloc(rows * kvDim, 'v'),
      att: be.alloc(rows * qDim, 'att'),
      g: be.alloc(rows * spec.intermediate, 'gate'),
      u: be.alloc(rows * spec.intermediate, 'up'),
      a: be.alloc(rows * spec.intermediate, 'act'),
      scores: be.alloc(spec.heads * rows * this.capacity, 'scores'),
      entropy: be.alloc(L * spec.heads * rows, 'entropy'),
      sparsity: be.alloc(L * rows, 'sparsity'),
      hidden: be.alloc((L + 1) * rows * spec.hidden, 'hidden'),
    };
    this.scratch = next;
    return next;
  }

  /**
   * Runs `tokens` at positions length … length + n − 1, appending to the KV cache, and returns the
   * logits of the last one (and the capture, when asked).
   */
  async forward(tokens: readonly number[], capture = false): Promise<ForwardOutput> {
    if (this.disposed) throw new SleuthError('internal_error', 'forward on a disposed runner');
    const spec = this.spec;
    const T = tokens.length;
    const pos0 = this.length;
    if (T === 0) throw new SleuthError('usage', 'The prompt has no tokens');
    if (pos0 + T > this.capacity) throw new SleuthError('internal_error', `The context (${pos0 + T} tokens) exceeds the runner's capacity of ${this.capacity}`);
    for (const t of tokens) {
      if (!Number.isInteger(t) || t < 0 || t >= spec.vocab) throw new SleuthError('usage', `Token id ${t} is outside the vocabulary (0…${spec.vocab - 1})`);
    }
    const be = this.backend;
    const s = this.scratchFor(T);
    const D = spec.hidden;
    const I = spec.intermediate;
    const H = spec.heads;
    const KVH = spec.kvHeads;
    const hd = spec.headDim;
    const qDim = H * hd;
    const kvDim = KVH * hd;
    const L = spec.layers;
    const w = this.weights;
    const embedArgs = { out: s.x, tokens: Uint32Array.from(tokens), wte: await w.get(spec.embed), rows: T, dim: D, pos0 };
    be.embed(spec.positions ? { ...embedArgs, wpe: await w.get(spec.positions) } : embedArgs);
    if (capture) be.copy(s.hidden, 0, s.x, 0, T * D);
    const opt = async (cw: ComputeWeight | undefined): Promise<Buf | undefined> => (cw === undefined ? undefined : w.get(cw));
    const withBias = <A extends object>(a: A, bias: Buf | undefined): A & { bias?: Buf } => (bias === undefined ? a : { ...a, bias });
    for (let l = 0; l < L; l++) {
      const lw = spec.layerWeights[l];
      if (lw === undefined) throw new SleuthError('internal_error', `no weights for layer ${l}`);
      be.norm(withBias({ out: s.h, outOffset: 0, x: s.x, xOffset: 0, weight: await w.get(lw.attnNorm), rows: T, dim: D, eps: spec.normEps, kind: spec.norm }, await opt(lw.attnNormBias)));
      be.matmul(withBias({ out: s.q, outOffset: 0, x: s.h, xOffset: 0, w: await w.get(lw.q), rows: T, k: D, n: qDim, accumulate: false }, await opt(lw.qBias)));
      be.matmul(withBias({ out: s.k, outOffset: 0, x: s.h, xOffset: 0, w: await w.get(lw.k), rows: T, k: D, n: kvDim, accumulate: false }, await opt(lw.kBias)));
      be.matmul(withBias({ out: s.v, outOffset: 0, x: s.h, xOffset: 0, w: await w.get(lw.v), rows: T, k: D, n: kvDim, accumulate: false }, await opt(lw.vBias)));
      if (spec.rope && this.table) {
        be.rope({ x: s.q, rows: T, heads: H, headDim: hd, rotaryDim: spec.rope.rotaryDim, pos0, table: this.table });
        be.rope({ x: s.k, rows: T, heads: KVH, headDim: hd, rotaryDim: spec.rope.rotaryDim, pos0, table: this.table });
      }
      const kc = this.kCache[l] as Buf;
      const vc = this.vCache[l] as Buf;
      be.copy(kc, pos0 * kvDim, s.k, 0, T * kvDim);
      be.copy(vc, pos0 * kvDim, s.v, 0, T * kvDim);
      be.attention({
        out: s.att,
        q: s.q,
        kCache: kc,
        vCache: vc,
        scores: s.scores,
        entropy: s.entropy,
        entropyOffset: capture ? l * H * T : 0,
        rows: T,
        pos0,
        heads: H,
        kvHeads: KVH,
        headDim: hd,
        window: spec.slidingWindow ?? Number.POSITIVE_INFINITY,
        scale: 1 / Math.sqrt(hd),
      });
      be.matmul(withBias({ out: s.x, outOffset: 0, x: s.att, xOffset: 0, w: await w.get(lw.o), rows: T, k: qDim, n: D, accumulate: true }, await opt(lw.oBias)));
      be.norm(withBias({ out: s.h, outOffset: 0, x: s.x, xOffset: 0, weight: await w.get(lw.mlpNorm), rows: T, dim: D, eps: spec.normEps, kind: spec.norm }, await opt(lw.mlpNormBias)));
      be.matmul(withBias({ out: s.u, outOffset: 0, x: s.h, xOffset: 0, w: await w.get(lw.up), rows: T, k: D, n: I, accumulate: false }, await opt(lw.upBias)));
      if (lw.gate) {
        be.matmul(withBias({ out: s.g, outOffset: 0, x: s.h, xOffset: 0, w: await w.get(lw.gate), rows: T, k: D, n: I, accumulate: false }, await opt(lw.gateBias)));
        be.activation({ out: s.a, a: s.g, b: s.u, n: T * I, kind: spec.activation });
      } else {
        be.activation({ out: s.a, a: s.u, n: T * I, kind: spec.activation });
      }
      if (capture) be.sparsity({ out: s.sparsity, outOffset: l * T, x: s.a, rows: T, dim: I });
      be.matmul(withBias({ out: s.x, outOffset: 0, x: s.a, xOffset: 0, w: await w.get(lw.down), rows: T, k: I, n: D, accumulate: true }, await opt(lw.downBias)));
      if (capture) be.copy(s.hidden, (l + 1) * T * D, s.x, 0, T * D);
    }
    const V = spec.vocab;
    const lensRows = capture ? L + 1 : 1;
    if (this.lensIn === undefined || this.lensIn.length < lensRows * D) {
      if (this.lensIn) be.release(this.lensIn);
      if (this.lensNorm) be.release(this.lensNorm);
      if (this.logits) be.release(this.logits);
      this.lensIn = be.alloc((L + 1) * D, 'lens-in');
      this.lensNorm = be.alloc((L + 1) * D, 'lens-norm');
      this.logits = be.alloc((L + 1) * V, 'logits');
    }
    const lensIn = this.lensIn;
    const lensNorm = this.lensNorm as Buf;
    const logits = this.logits as Buf;
    // Row r of lens-in: the last position's residual after layer r (r = L is the model's output).
    if (capture) for (let r = 0; r <= L; r++) be.copy(lensIn, r * D, s.hidden, (r * T + T - 1) * D, D);
    else be.copy(lensIn, 0, s.x, (T - 1) * D, D);
    be.norm(withBias({ out: lensNorm, outOffset: 0, x: lensIn, xOffset: 0, weight: await w.get(spec.finalNorm), rows: lensRows, dim: D, eps: spec.normEps, kind: spec.norm }, await opt(spec.finalNormBias)));
    be.matmul({ out: logits, outOffset: 0, x: lensNorm, xOffset: 0, w: await w.get(spec.unembed), rows: lensRows, k: D, n: V, accumulate: false });
    this.length = pos0 + T;
    if (!capture) return { logits: await be.read(logits, 0, V) };
    const lens = await be.read(logits, 0, (L + 1) * V);
    return {
      logits: lens.slice(L * V, (L + 1) * V),
      capture: {
        lens,
        hidden: await be.read(s.hidden, 0, (L + 1) * T * D),
        entropy: await be.read(s.entropy, 0, L * H * T),
        sparsity: await be.read(s.sparsity, 0, L * T),
      },
    };
  }

  /**
   * Greedy decoding: the prompt, then `maxNewTokens` tokens each the argmax of the previous logits
   * (ties → the lowest id, as torch.argmax), stopping after a stop token or when `stopWhen` says
   * so (stop sequences). Resets the cache first unless the prompt's logits are given.
   */
  async generate(prompt: readonly number[], maxNewTokens: number, stopIds: ReadonlySet<number> = new Set(), first?: Float32Array, stopWhen?: (generated: readonly number[]) => boolean): Promise<number[]> {
    const out: number[] = [];
    let logits = first;
    if (logits === undefined) {
      this.reset();
      logits = (await this.forward(prompt)).logits;
    }
    for (let i = 0; i < maxNewTokens; i++) {
      const next = argmax(logits);
      out.push(next);
      if (stopIds.has(next) || i === maxNewTokens - 1 || (stopWhen !== undefined && stopWhen(out))) break;
      logits = (await this.forward([next])).logits;
    }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const be = this.backend;
    for (const b of [...this.kCache, ...this.vCache]) be.release(b);
    if (this.table) be.release(this.table);
    if (this.scratch) for (const b of Object.values(this.scratch) as (Buf | number)[]) if (typeof b !== 'number') be.release(b);
    for (const b of [this.lensIn, this.lensNorm, this.logits]) if (b) be.release(b);
  }
}

export function argmax(x: Float32Array): number {
  let best = 0;
  let bv = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  return best;
}
