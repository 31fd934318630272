/**
 * The `activations` section of a v1 report (schemas/report-v1.schema.json `$defs.activations`):
 * what `model-sleuth activations` and the workbench's Activations panel found when both models ran
 * on the same probe. Plain JSON (numbers are finite: non-finite values are written as null).
 *
 * Layer numbering follows the tensor names: `layer` −1 is the embeddings (the residual stream
 * before the first block), 0 … L−1 the residual stream after block N (model.layers.N /
 * transformer.h.N).
 */

export interface TokenRef {
  id: number;
  /** Display text (control characters escaped); never HTML. */
  text: string;
}

export interface TopToken extends TokenRef {
  prob: number;
}

export interface ResidualStats {
  /** Per position: L2 norm, mean and standard deviation of the residual stream. */
  norm: number[];
  mean: number[];
  std: number[];
}

export interface LayerProbe {
  layer: number;
  /** Per position: ‖suspect − known-good‖ / ‖known-good‖ of the residual stream. */
  relL2: (number | null)[];
  /** Per position: cosine similarity of the two residual streams. */
  cosine: (number | null)[];
  knownGood: ResidualStats;
  suspect: ResidualStats;
  /** Blocks only: attention entropy in nats, [head][position]. */
  attentionEntropy?: { knownGood: number[][]; suspect: number[][] };
  /** Blocks only: fraction of inactive MLP units per position. */
  mlpSparsity?: { knownGood: number[]; suspect: number[] };
  /** Final norm + unembedding of this layer's residual at the last position: top tokens. */
  logitLens: { knownGood: TopToken[]; suspect: TopToken[] };
}

export interface Continuation {
  ids: number[];
  text: string;
}

export interface ProbeReport {
  /** The prompt text; null when token ids were given. */
  prompt: string | null;
  tokens: TokenRef[];
  /** When the suspect's own tokenizer encodes the prompt differently (a tokenizer change at work). */
  suspectTokens?: TokenRef[];
  /** relL2 at or below this is what precision differences alone produce (see probe.ts). */
  precisionFloor: number;
  /** First layer whose residual diverges beyond the floor at some position; null if none. */
  firstDivergentLayer: number | null;
  maxDivergence: { layer: number; position: number; relL2: number } | null;
  layers: LayerProbe[];
  nextToken: {
    knownGood: TopToken[];
    suspect: TopToken[];
    /** KL(known-good ‖ suspect) of the next-token distributions at the last position, nats. */
    kl: number;
    /** KL(suspect ‖ known-good). */
    klReverse: number;
  };
  continuation: {
    maxNewTokens: number;
    /** Generation stopped early once the text contained one of these. */
    stopSequences?: string[];
    knownGood: Continuation;
    suspect: Continuation;
    equal: boolean;
    /** Index of the first differing generated token; null when equal. */
    firstDifference: number | null;
  };
}

export interface RevertCandidate {
  /** A stored tensor name, or "layer N" for every changed tensor of block N. */
  target: string;
  kind: 'tensor' | 'layer';
  tensors: string[];
  /** KL(known-good ‖ reverted suspect) at the last prompt position. */
  kl: number;
  /** 1 − kl / kl(suspect): how much of the next-token divergence putting these back removes. */
  explained: number;
  /** 1 − (final-layer relL2 reverted / suspect), mean over positions. */
  explainedResidual: number;
  continuation: Continuation;
  /** The reverted suspect's behaviour on the probe is the known-good's (see revert.ts). */
  restores: boolean;
}

export interface RevertReport {
  /** Changed tensors the comparison reported (the candidates). */
  changedTensors: string[];
  /** Changed tensors that are not weights of the forward pass (ignored). */
  ignored: string[];
  ranking: RevertCandidate[];
  /** Smallest set found (greedy by rank, then pruned) that restores the known-good behaviour. */
  minimalSet: { tensors: string[]; restores: boolean; kl: number; continuation: Continuation } | null;
  /** How "restores" was decided. */
  criterion: string;
  runs: number;
}

export interface TriggerCandidate {
  token: TokenRef;
  source: 'embedding-row' | 'unembedding-row' | 'tokenizer';
  /** Why it is a candidate ("embed_tokens row 371 changed, ‖Δ‖ 1.3"). */
  reason: string;
  /** Largest KL(known-good ‖ suspect) over the insertion positions tried. */
  kl: number;
  /** Where it was inserted for that KL (token index in the probe). */
  position: number;
  continuationDiffers: boolean;
  knownGood: Continuation;
  suspect: Continuation;
}

export interface TriggerSweepReport {
  neutralPrompt: string | null;
  neutralTokens: TokenRef[];
  /** KL and continuations of the neutral prompt alone. */
  baselineKl: number;
  baselineContinuationDiffers: boolean;
  candidates: TriggerCandidate[];
}

export interface ActivationsSection {
  engine: 'cpu' | 'webgpu';
  architecture: string;
  /** Layers, hidden size, heads … as run. */
  model: { family: string; layers: number; hidden: number; heads: number; kvHeads: number; vocab: number; source: string };
  probes: ProbeReport[];
  revert?: RevertReport;
  triggerSweep?: TriggerSweepReport;
  memory: { estimatedBytes: number; budgetBytes: number };
  durationMs: number;
  notes: string[];
}
