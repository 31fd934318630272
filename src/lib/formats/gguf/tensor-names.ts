/**
 * GGUF tensor names ↔ Hugging Face (transformers) state-dict names, for pairing a GGUF file with
 * the checkpoint it was converted from.
 *
 * Source: gguf-py/gguf/constants.py (TENSOR_NAMES: "token_embd", "blk.{bid}.attn_q", …) and
 * gguf-py/gguf/tensor_mapping.py (the HF names each maps from), plus what convert_hf_to_gguf.py does
 * to values on the way, recorded so a comparison can undo it:
 * - GPT-2's Conv1D weights (c_attn, c_proj, c_fc) are stored transposed (`transposed`);
 * - Gemma 1/2/3 RMSNorm weights are stored as w + 1 (`valueShift` = 1; HF computes x·(1 + w));
 * - Llama-family q/k rows are permuted (./rope-permutation.ts; decided per file in ./to-manifest.ts).
 *
 * Only architectures whose HF names are known here are mapped; any other name is kept as stored.
 */

export interface HfNameMapping {
  /** The Hugging Face state-dict name. */
  name: string;
  /** The GGUF tensor is the transpose of the HF one (GPT-2 Conv1D weights). */
  transposed: boolean;
  /** GGUF value = HF value + valueShift (Gemma norms: 1). */
  valueShift: number;
  note?: string;
}

interface ArchTable {
  /** Whole-model tensors: GGUF base name → HF base name. */
  global: Readonly<Record<string, string>>;
  /** HF prefix of layer N, with {L} for the layer number. */
  layerPrefix: string;
  /** Per-layer tensors: GGUF name after "blk.N." → HF name after the layer prefix. */
  layer: Readonly<Record<string, string>>;
  /** GGUF per-layer bases whose `.weight` is stored transposed. */
  transposed?: ReadonlySet<string>;
  /** Every `*norm.weight` is stored as HF + 1. */
  normPlusOne?: boolean;
  /** Notes per GGUF base name. */
  notes?: Readonly<Record<string, string>>;
}

const LLAMA_GLOBAL = { token_embd: 'model.embed_tokens', output_norm: 'model.norm', output: 'lm_head' } as const;
const LLAMA_LAYER = {
  attn_norm: 'input_layernorm',
  attn_q: 'self_attn.q_proj',
  attn_k: 'self_attn.k_proj',
  attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj',
  attn_q_norm: 'self_attn.q_norm',
  attn_k_norm: 'self_attn.k_norm',
  ffn_norm: 'post_attention_layernorm',
  ffn_gate: 'mlp.gate_proj',
  ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
} as const;
const LLAMA_NOTES = { output: 'Absent from HF checkpoints with tied embeddings (lm_head shares embed_tokens).' } as const;

const llamaLike = (extraLayer: Readonly<Record<string, string>> = {}, extra: Partial<ArchTable> = {}): ArchTable => ({
  global: LLAMA_GLOBAL,
  layerPrefix: 'model.layers.{L}.',
  layer: { ...LLAMA_LAYER, ...extraLayer },
  notes: LLAMA_NOTES,
  ...extra,
});

const QWEN_MOE = {
  ffn_gate_inp: 'mlp.gate',
  ffn_gate_shexp: 'mlp.shared_expert.gate_proj',
  ffn_up_shexp: 'mlp.shared_expert.up_proj',
  ffn_down_shexp: 'mlp.shared_expert.down_proj',
  ffn_gate_inp_shexp: 'mlp.shared_expert_gate',
} as const;

// Gemma 2/3 have four norms per layer; GGUF's ffn_norm is the *pre*-feed-forward one there.
const GEMMA2_LAYER = {
  ffn_norm: 'pre_feedforward_layernorm',
  post_attention_norm: 'post_attention_layernorm',
  post_ffw_norm: 'post_feedforward_layernorm',
} as const;

const GPT2: ArchTable = {
  global: { token_embd: 'transformer.wte', position_embd: 'transformer.wpe', output_norm: 'transformer.ln_f', output: 'lm_head' },
  layerPrefix: 'transformer.h.{L}.',
  layer: {
    attn_norm: 'ln_1',
    attn_qkv: 'attn.c_attn',
    attn_output: 'attn.c_proj',
    ffn_norm: 'ln_2',
    ffn_up: 'mlp.c_fc',
    ffn_down: 'mlp.c_proj',
  },
  transposed: new Set(['attn_qkv', 'attn_output', 'ffn_up', 'ffn_down']),
  notes: { output: 'GPT-2 ties lm_head to wte: the converter writes a copy of token_embd as output.weight; HF checkpoints usually omit it.' },
};

const TABLES: Readonly<Record<string, ArchTable>> = {
  llama: llamaLike({ ffn_gate_inp: 'block_sparse_moe.gate' }),
  'llama-embed': llamaLike(),
  mistral: llamaLike(),
  deci: llamaLike(),
  granite: llamaLike(),
  granitemoe: llamaLike(),
  minicpm: llamaLike(),
  smollm3: llamaLike(),
  qwen2: llamaLike(),
  qwen3: llamaLike(),
  qwen2moe: llamaLike(QWEN_MOE),
  qwen3moe: llamaLike(QWEN_MOE),
  gemma: llamaLike({}, { normPlusOne: true }),
  gemma2: llamaLike(GEMMA2_LAYER, { normPlusOne: true }),
  gemma3: llamaLike(GEMMA2_LAYER, { normPlusOne: true }),
  gpt2: GPT2,
};

/** Architectures (GGUF `general.architecture`) whose tensor names are mapped. */
export const MAPPED_ARCHITECTURES: readonly string[] = Object.keys(TABLES);

const LAYER_RE = /^blk\.(\d+)\.(.+)\.(weight|bias)$/;
const GLOBAL_RE = /^(.+)\.(weight|bias)$/;

/** The HF name of a GGUF tensor, or undefined when the architecture or name is not mapped. */
export function ggufToHfName(storedName: string, architecture: string | undefined): HfNameMapping | undefined {
  const table = architecture === undefined ? undefined : TABLES[architecture];
  if (table === undefined) return undefined;
  const m = LAYER_RE.exec(storedName);
  const [layer, layerBase, layerKind] = [m?.[1], m?.[2], m?.[3]];
  if (layer !== undefined && layerBase !== undefined && layerKind !== undefined) {
    const hf = table.layer[layerBase];
    if (hf === undefined) return undefined;
    return finish(table, layerBase, layerKind, `${table.layerPrefix.replace('{L}', layer)}${hf}.${layerKind}`);
  }
  const g = GLOBAL_RE.exec(storedName);
  const [base, kind] = [g?.[1], g?.[2]];
  if (base === undefined || kind === undefined) return undefined;
  const hf = table.global[base];
  return hf === undefined ? undefined : finish(table, base, kind, `${hf}.${kind}`);
}

function finish(table: ArchTable, base: string, kind: string, name: string): HfNameMapping {
  const out: HfNameMapping = {
    name,
    transposed: kind === 'weight' && (table.transposed?.has(base) ?? false),
    valueShift: table.normPlusOne === true && kind === 'weight' && base.endsWith('norm') ? 1 : 0,
  };
  const note = table.notes?.[base];
  if (note !== undefined) out.note = note;
  return out;
}

/** The GGUF name of an HF tensor (inverse of `ggufToHfName`), or undefined when not mapped. */
export function hfToGgufName(hfName: string, architecture: string | undefined): string | undefined {
  const table = architecture === undefined ? undefined : TABLES[architecture];
  if (table === undefined) return undefined;
  const kindMatch = GLOBAL_RE.exec(hfName);
  const [base, kind] = [kindMatch?.[1], kindMatch?.[2]];
  if (base === undefined || kind === undefined) return undefined;
  for (const [gguf, hf] of Object.entries(table.global)) if (hf === base) return `${gguf}.${kind}`;
  // layerPrefix is "<pre>{L}." : the layer number runs up to the next dot.
  const pre = table.layerPrefix.slice(0, table.layerPrefix.indexOf('{L}'));
  if (!base.startsWith(pre)) return undefined;
  const rest = base.slice(pre.length);
  const dot = rest.indexOf('.');
  const layer = rest.slice(0, dot);
  if (dot <= 0 || !/^\d+$/.test(layer)) return undefined;
  const hfLayerName = rest.slice(dot + 1);
  for (const [gguf, hf] of Object.entries(table.layer)) if (hf === hfLayerName) return `blk.${layer}.${gguf}.${kind}`;
  return undefined;
}
