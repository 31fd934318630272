/**
 * The probe: both models on the same tokens, everything captured, compared layer by layer.
 *
 * Per layer and position: residual-stream norm, mean and std (each model), relative L2 distance
 * and cosine between the two residual streams; per block: attention entropy per head and MLP
 * activation sparsity; per layer: the logit lens at the last position. At the end: the next-token
 * distributions and their KL divergence, and greedy continuations side by side (KV cache).
 *
 * The precision floor. Two models that differ only by storage precision (an F16 copy of an F32
 * model, a Q8_0 GGUF) produce residual streams that differ by about the rounding of the coarser
 * dtype, amplified a little through the layers; a model whose weights are bit-identical to the
 * known-good produces exactly the same numbers on the same engine. The floor is therefore
 * 8 × the unit roundoff of the coarsest dtype among the tensors whose dtypes differ between the
 * two models (F16 2⁻¹¹ → 3.9e-3, BF16 2⁻⁸ → 3.1e-2, 8-bit quantization → 3.1e-2, 4-bit → 0.5),
 * and 1e-5 (f32 arithmetic) when no dtype differs. A layer "diverges" when its relL2 exceeds the
 * floor at some position. It is a heuristic threshold for where to look first, not a verdict;
 * `precisionFloor` can be set explicitly.
 */
import type { DType } from '../formats/dtype.ts';
import { DTYPES } from '../formats/dtype.ts';
import { visible } from '../analysis/sidecars/display.ts';
import { tokenNamerFromList } from '../analysis/tokens.ts';
import type { ForwardCapture, TransformerRunner } from './model.ts';
import type { ActivationSession } from './session.ts';
import { storedTensors, type ModelSpec } from './spec.ts';
import type { Continuation, LayerProbe, ProbeReport, ResidualStats, TokenRef, TopToken } from './types.ts';

/** The f32 arithmetic floor: relL2 of identical weights run by different kernels stays below it. */
export const F32_FLOOR = 1e-5;
/** Residual divergence amplifies rounding through the layers: floor = this × unit roundoff. */
const FLOOR_FACTOR = 8;
export const DEFAULT_TOP_K = 5;

function unitRoundoff(dtype: DType): number {
  const info = DTYPES[dtype];
  switch (dtype) {
    case 'F64':
    case 'F32':
      return 2 ** -24;
    case 'F16':
      return 2 ** -11;
    case 'BF16':
      return 2 ** -8;
    default:
      if (info.family === 'quant') return /^(Q8|IQ8)/.test(dtype) ? 2 ** -8 : /^(Q6|Q5)/.test(dtype) ? 2 ** -6 : 2 ** -4;
      return 2 ** -4;
  }
}

export function precisionFloorOf(session: ActivationSession): number {
  const kg = new Map(session.knownGood.manifest.tensors.map((t) => [t.name, t.dtype] as const));
  const su = new Map(session.suspect.manifest.tensors.map((t) => [t.name, t.dtype] as const));
  let eps = 0;
  for (const name of storedTensors(session.spec)) {
    const a = kg.get(name);
    const b = su.get(name);
    if (a !== undefined && b !== undefined && a !== b) eps = Math.max(eps, unitRoundoff(a), unitRoundoff(b));
  }
  return eps === 0 ? F32_FLOOR : Math.max(F32_FLOOR, FLOOR_FACTOR * eps);
}

export type TokenText = (id: number) => string;

/** Display text of a token id: the tokenizer's decoding, else the GGUF vocabulary, else ⟨id⟩. */
export function tokenTextOf(session: ActivationSession): TokenText {
  const tok = session.tokenizer;
  if (tok) return (id) => tok.display([id]);
  const list = session.knownGood.manifest.tokens;
  if (list) {
    const namer = tokenNamerFromList(list);
    return (id) => namer(id) ?? `⟨${id}⟩`;
  }
  return (id) => `⟨${id}⟩`;
}

export function continuationText(session: ActivationSession, ids: readonly number[], text: TokenText): string {
  return session.tokenizer ? session.tokenizer.display(ids) : ids.map(text).join('');
}

/** Token ids that end generation: the tokenizer's end-of-text special tokens. */
export function stopIdsOf(session: ActivationSession): Set<number> {
  const out = new Set<number>();
  for (const t of session.tokenizer?.hf.addedTokens ?? []) {
    if (t.special && /^(<\/s>|<\|endoftext\|>|<\|eot_id\|>|<\|im_end\|>|<\|end_of_text\|>|<eos>|<\|end\|>)$/.test(t.content)) out.add(t.id);
  }
  return out;
}

// ── distributions ──────────────────────────────────────────────────────────
export function logSoftmax(logits: Float32Array): Float64Array {
  let m = -Infinity;
  for (const v of logits) if (v > m) m = v;
  let s = 0;
  for (const v of logits) s += Math.exp(v - m);
  const lse = m + Math.log(s);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = (logits[i] as number) - lse;
  return out;
}

/** KL(p ‖ q) in nats from log-probabilities. */
export function klDivergence(logP: Float64Array, logQ: Float64Array): number {
  let kl = 0;
  for (let i = 0; i < logP.length; i++) {
    const lp = logP[i] as number;
    if (lp === -Infinity) continue;
    kl += Math.exp(lp) * (lp - (logQ[i] as number));
  }
  return Math.max(0, kl);
}

export function topTokens(logits: Float32Array, k: number, text: TokenText): TopToken[] {
  const lp = logSoftmax(logits);
  const idx: number[] = [];
  for (let i = 0; i < lp.length; i++) {
    if (idx.length < k) {
      idx.push(i);
      idx.sort((a, b) => (lp[b] as number) - (lp[a] as number) || a - b);
    } else if ((lp[i] as number) > (lp[idx[k - 1] as number] as number)) {
      idx[k - 1] = i;
      idx.sort((a, b) => (lp[b] as number) - (lp[a] as number) || a - b);
    }
  }
  return idx.map((id) => ({ id, text: text(id), prob: round(Math.exp(lp[id] as number)) }));
}

function round(x: number, digits = 6): number {
  if (!Number.isFinite(x)) return x;
  if (x === 0) return 0;
  return Number(x.toPrecision(digits));
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? round(x) : null;
}

// ── residual statistics ────────────────────────────────────────────────────
function residualStats(hidden: Float32Array, layer: number, T: number, D: number): ResidualStats {
  const norm: number[] = [];
  const mean: number[] = [];
  const std: number[] = [];
  for (let t = 0; t < T; t++) {
    const o = (layer * T + t) * D;
    let s = 0;
    let ss = 0;
    for (let d = 0; d < D; d++) {
      const v = hidden[o + d] as number;
      s += v;
      ss += v * v;
    }
    const m = s / D;
    norm.push(round(Math.sqrt(ss)));
    mean.push(round(m));
    std.push(round(Math.sqrt(Math.max(0, ss / D - m * m))));
  }
  return { norm, mean, std };
}

/** Per position: relative L2 and cosine between two residual streams of one layer. */
export function divergence(a: Float32Array, b: Float32Array, layer: number, T: number, D: number): { relL2: number[]; cosine: number[] } {
  const relL2: number[] = [];
  const cosine: number[] = [];
  for (let t = 0; t < T; t++) {
    const o = (layer * T + t) * D;
    let aa = 0;
    let bb = 0;
    let ab = 0;
    let dd = 0;
    for (let d = 0; d < D; d++) {
      const x = a[o + d] as number;
      const y = b[o + d] as number;
      aa += x * x;
      bb += y * y;
      ab += x * y;
      dd += (y - x) * (y - x);
    }
    relL2.push(aa > 0 ? Math.sqrt(dd / aa) : dd > 0 ? Infinity : 0);
    cosine.push(aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : aa === bb ? 1 : 0);
  }
  return { relL2, cosine };
}

export interface ProbeInput {
  prompt: string | null;
  tokens: number[];
}

export interface ProbeOptions {
  maxNewTokens: number;
  /** Generation also stops once the continuation contains one of these (e.g. "\n"). */
  stopSequences?: readonly string[];
  precisionFloor?: number;
  topK?: number;
}

/** A probe's report plus what later steps (reverts) compare against. */
export interface ProbeRun {
  report: ProbeReport;
  knownGoodLogits: Float32Array;
  suspectLogits: Float32Array;
  knownGoodCapture: ForwardCapture;
  suspectCapture: ForwardCapture;
}

/** A predicate that ends generation once the decoded continuation contains a stop sequence. */
export type Stopper = ((generated: readonly number[]) => boolean) | undefined;

export function stopperOf(session: ActivationSession, sequences: readonly string[] | undefined): Stopper {
  const tok = session.tokenizer;
  const seqs = (sequences ?? []).filter((s) => s.length > 0);
  if (tok === undefined || seqs.length === 0) return undefined;
  return (ids) => {
    const text = tok.decode(ids);
    return seqs.some((s) => text.includes(s));
  };
}

export async function runModel(runner: TransformerRunner, tokens: readonly number[], maxNewTokens: number, stopIds: ReadonlySet<number>, stopper?: Stopper): Promise<{ logits: Float32Array; capture: ForwardCapture; continuation: number[] }> {
  runner.reset();
  const out = await runner.forward(tokens, true);
  const capture = out.capture;
  if (capture === undefined) throw new Error('no capture');
  const continuation = maxNewTokens > 0 ? await runner.generate(tokens, maxNewTokens, stopIds, out.logits, stopper) : [];
  return { logits: out.logits, capture, continuation };
}

export async function runProbe(session: ActivationSession, input: ProbeInput, options: ProbeOptions): Promise<ProbeRun> {
  const spec: ModelSpec = session.spec;
  const text = tokenTextOf(session);
  const stop = stopIdsOf(session);
  const topK = options.topK ?? DEFAULT_TOP_K;
  const floor = options.precisionFloor ?? precisionFloorOf(session);
  const stopper = stopperOf(session, options.stopSequences);
  const kg = await runModel(session.knownGoodRunner, input.tokens, options.maxNewTokens, stop, stopper);
  const su = await runModel(session.suspectRunner, input.tokens, options.maxNewTokens, stop, stopper);
  const T = input.tokens.length;
  const D = spec.hidden;
  const V = spec.vocab;
  const H = spec.heads;
  const L = spec.layers;
  const layers: LayerProbe[] = [];
  let firstDivergentLayer: number | null = null;
  let max = { layer: 0, position: 0, relL2: -1 };
  for (let l = 0; l <= L; l++) {
    const { relL2, cosine } = divergence(kg.capture.hidden, su.capture.hidden, l, T, D);
    const layer = l - 1;
    for (const [position, r] of relL2.entries()) {
      if (r > floor && firstDivergentLayer === null) firstDivergentLayer = layer;
      if (r > max.relL2) max = { layer, position, relL2: r };
    }
    const entry: LayerProbe = {
      layer,
      relL2: relL2.map(finiteOrNull),
      cosine: cosine.map(finiteOrNull),
      knownGood: residualStats(kg.capture.hidden, l, T, D),
      suspect: residualStats(su.capture.hidden, l, T, D),
      logitLens: {
        knownGood: topTokens(kg.capture.lens.subarray(l * V, (l + 1) * V), topK, text),
        suspect: topTokens(su.capture.lens.subarray(l * V, (l + 1) * V), topK, text),
      },
    };
    if (layer >= 0) {
      const ent = (e: Float32Array): number[][] => Array.from({ length: H }, (_, h) => Array.from(e.subarray((layer * H + h) * T, (layer * H + h + 1) * T), (v) => round(v)));
      entry.attentionEntropy = { knownGood: ent(kg.capture.entropy), suspect: ent(su.capture.entropy) };
      entry.mlpSparsity = {
        knownGood: Array.from(kg.capture.sparsity.subarray(layer * T, (layer + 1) * T), (v) => round(v)),
        suspect: Array.from(su.capture.sparsity.subarray(layer * T, (layer + 1) * T), (v) => round(v)),
      };
    }
    layers.push(entry);
  }
  const lpK = logSoftmax(kg.logits);
  const lpS = logSoftmax(su.logits);
  const cont = (ids: number[]): Continuation => ({ ids, text: continuationText(session, ids, text) });
  let firstDifference: number | null = null;
  for (let i = 0; i < Math.max(kg.continuation.length, su.continuation.length); i++) {
    if (kg.continuation[i] !== su.continuation[i]) {
      firstDifference = i;
      break;
    }
  }
  const report: ProbeReport = {
    prompt: input.prompt,
    tokens: input.tokens.map((id) => ({ id, text: text(id) })),
    precisionFloor: floor,
    firstDivergentLayer,
    maxDivergence: max.relL2 > 0 && Number.isFinite(max.relL2) ? { ...max, relL2: round(max.relL2) } : null,
    layers,
    nextToken: {
      knownGood: topTokens(kg.logits, topK, text),
      suspect: topTokens(su.logits, topK, text),
      kl: round(klDivergence(lpK, lpS)),
      klReverse: round(klDivergence(lpS, lpK)),
    },
    continuation: {
      maxNewTokens: options.maxNewTokens,
      ...(options.stopSequences && options.stopSequences.length > 0 ? { stopSequences: [...options.stopSequences] } : {}),
      knownGood: cont(kg.continuation),
      suspect: cont(su.continuation),
      equal: firstDifference === null,
      firstDifference,
    },
  };
  if (input.prompt !== null && session.suspectTokenizer && session.tokenizer) {
    const theirs = session.suspectTokenizer.encode(input.prompt);
    if (theirs.join() !== input.tokens.join()) report.suspectTokens = theirs.map((id) => ({ id, text: session.suspectTokenizer?.display([id]) ?? '' }));
  }
  return { report, knownGoodLogits: kg.logits, suspectLogits: su.logits, knownGoodCapture: kg.capture, suspectCapture: su.capture };
}
