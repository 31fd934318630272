/**
 * What an adapter (a LoRA and its relatives) is made of, format-neutral: which base tensors its
 * factor pairs modify, with which rank and scale. Plain data (crosses worker boundaries by
 * structured clone). Built from headers and the small JSON config only; factor values are read
 * later, by the job that audits the tensor they modify.
 *
 * Every supported layout is reduced to one product: the merge adds
 *
 *     Δ = scale · L · R,   L [rows, r], R [r, cols]
 *
 * to the base tensor viewed as a matrix [shape[0], numel / shape[0]] (a conv kernel [out, in, kh, kw]
 * is [out, in·kh·kw]). L and R are stored tensors, possibly transposed:
 *
 * | naming                                   | L (left)                 | R (right)               |
 * |------------------------------------------|--------------------------|-------------------------|
 * | PEFT `lora_B.weight` [out,r] / `lora_A.weight` [r,in]          | B            | A           |
 * | PEFT, `fan_in_fan_out: true` (GPT-2 Conv1D) Δ = s·(BA)ᵀ        | Aᵀ           | Bᵀ          |
 * | PEFT `lora_embedding_A` [r,V] / `lora_embedding_B` [d,r], Δ = s·(BA)ᵀ | Aᵀ    | Bᵀ          |
 * | MLX `lora_a` [in,r] / `lora_b` [r,out] (linear), Δ = s·(a b)ᵀ | bᵀ            | aᵀ          |
 * | MLX embedding `lora_a` [V,r] / `lora_b` [r,d], Δ = s·a b       | a            | b           |
 * | `lora_up` [out,r(,1,1)] / `lora_down` [r,in(,kh,kw)]          | up           | down        |
 *
 * Sources: PEFT `LoraLayer.get_delta_weight` (peft/tuners/lora/layer.py: `transpose(B @ A,
 * fan_in_fan_out) * scaling`, embeddings `transpose(B @ A, True)`); mlx-lm `LoRALinear.fuse`
 * (`weight + (scale * lora_b.T) @ lora_a.T`) and `LoRAEmbedding.fuse` (`weight + (scale * lora_a) @
 * lora_b`); cloneofsimo/lora `weight_apply_lora` (`weight + alpha * up @ down`); kohya-ss sd-scripts
 * networks (`lora_up`/`lora_down` with a scalar `.alpha`, scale alpha / r).
 */
import type { ErrorInfo } from '../errors.ts';
import type { ModelFile, ReaderNotice, TensorEntry } from '../manifest.ts';

/** Which tool wrote the adapter, judged from its config and tensor names. */
export type AdapterFormat = 'peft' | 'mlx' | 'kohya' | 'diffusers' | 'cloneofsimo' | 'unknown';

/** Naming family of one factor pair (see the table above). */
export type AdapterNaming = 'peft' | 'peft-embedding' | 'mlx' | 'up-down' | 'indexed';

export interface FactorRef {
  /** The stored tensor (in one of the adapter's files). */
  entry: TensorEntry;
  /**
   * False: stored in the orientation of the product's factor (L as [rows, r], R as [r, cols]);
   * true: stored transposed (L as [r, rows], R as [cols, r]).
   */
  transposed: boolean;
}

export interface AdapterPair {
  /** Module path in the base model (PEFT's `base_model.model.` prefix removed), e.g. model.layers.1.self_attn.q_proj. */
  module: string;
  /** Base tensor names this pair may modify, best first (`<module>.weight` …); empty when unknowable. */
  targets: string[];
  naming: AdapterNaming;
  left: FactorRef;
  right: FactorRef;
  /** Rank from the stored shapes. */
  rank: number;
  /** Declared rank (config, rank_pattern), when the config gives one. */
  declaredRank?: number;
  alpha?: number;
  /** Scale the merge multiplies L·R by; undefined when nothing declares it (then fitted). */
  scale?: number;
  /** How `scale` was obtained, in words ("lora_alpha / r = 8 / 4"). */
  scaleRule: string;
  /** A scalar tensor holding alpha (kohya `<module>.alpha`); scale = alpha / rank once read. */
  alphaTensor?: TensorEntry;
  /** Other scales a writer of this format may have used (reported when they fit better). */
  alternatives?: { scale: number; rule: string }[];
}

/** The adapter's configuration as declared (adapter_config.json of PEFT or mlx-lm). */
export interface AdapterConfigSummary {
  file: string;
  /** peft_type (PEFT), fine_tune_type (mlx-lm), or "unknown". */
  type: string;
  rank?: number;
  alpha?: number;
  /** mlx-lm `lora_parameters.scale` (used as is by mlx-lm). */
  mlxScale?: number;
  useRslora: boolean;
  useDora: boolean;
  fanInFanOut: boolean;
  /** Module-name suffixes (PEFT list, mlx-lm `keys`). */
  targetModules?: string[];
  /** PEFT `target_modules` given as a regular expression string (shown, never evaluated). */
  targetModulesRegex?: string;
  layersToTransform?: number[];
  /** mlx-lm `num_layers` / `lora_layers`: the adapter covers the last N layers. */
  numLayers?: number;
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  baseModel?: string;
  modulesToSave?: string[];
}

export interface AdapterManifest {
  label: string;
  /** Every file given (configs, weights, ignored files), in path order. */
  files: ModelFile[];
  format: AdapterFormat;
  /** "LORA", another PEFT type verbatim, "lora"/"dora" (mlx-lm), or "unknown". */
  type: string;
  /** False when the residual test does not apply (DoRA, non-LoRA PEFT types, no factor pairs). */
  supported: boolean;
  config?: AdapterConfigSummary;
  pairs: AdapterPair[];
  /** What the reader noticed: unknown types, unpaired tensors, ignored files, assumptions. */
  notes: string[];
  /** Files that could not be read. */
  problems: ErrorInfo[];
  /** Reader notices of the weight files (pickle globals …). */
  notices: ReaderNotice[];
}
