/**
 * Key-path diffs of config.json, generation_config.json, adapter_config.json (and the settings part
 * of tokenizer_config.json / special_tokens_map.json), graded by what a key can do to the model's
 * outputs.
 *
 * Cosmetic keys — severity low, effect 'none' (they cannot change what the model computes):
 * - provenance stamps: `_name_or_path`, `name_or_path`, `transformers_version`, `_commit_hash`,
 *   `_from_model_config`, `tokenizer_file`, `special_tokens_map_file`;
 * - `torch_dtype` / `dtype`: the storage dtype; the weights themselves are compared tensor by tensor
 *   (a cast is reported there as a precision change);
 * - kernel selection: `attn_implementation`, `_attn_implementation`, `_attn_implementation_autoset`
 *   (eager / sdpa / flash give the same result up to rounding), `pretraining_tp` (Llama's sliced
 *   matmuls, same result up to rounding), `use_cache` (KV cache reuse, same outputs);
 * - output plumbing: `output_attentions`, `output_hidden_states`, `return_dict`, `use_return_dict`,
 *   `torchscript`;
 * - training-only: `initializer_range`, `gradient_checkpointing`, `inference_mode`, and every
 *   dropout (`*dropout*`, `*pdrop*`: dropout is off at inference).
 *
 * Behaviour-critical keys — severity high: the architecture (sizes, layer and head counts, rope
 * settings, norms, activations, biases, tying, sliding windows, experts, quantization), the
 * special token ids that start, stop and pad generation, token-forcing and token-banning
 * generation settings, `auto_map` (which Python code `trust_remote_code` runs), and an adapter's
 * base model, rank, scale and target modules. Under a parent key in the list (`rope_scaling`,
 * `quantization_config`) every sub-key is critical too.
 *
 * Everything else — severity medium, effect 'tampered' (a behaviour-relevant setting changed:
 * sampling defaults, max lengths, labels …). Unknown keys are never assumed cosmetic.
 */
import type { JsonObject } from '../../formats/strict-json.ts';
import type { Severity } from '../../report/types.ts';
import { describeChange, diffJson, type JsonChange, type PathKey } from './json-diff.ts';
import { listWords } from './display.ts';
import type { SidecarFinding } from './types.ts';

export type ConfigFileKind = 'config' | 'generation-config' | 'adapter-config' | 'tokenizer-config' | 'special-tokens';

export const COSMETIC_KEYS: ReadonlySet<string> = new Set([
  '_name_or_path',
  'name_or_path',
  'transformers_version',
  '_commit_hash',
  '_from_model_config',
  'tokenizer_file',
  'special_tokens_map_file',
  'torch_dtype',
  'dtype',
  'attn_implementation',
  '_attn_implementation',
  '_attn_implementation_autoset',
  'pretraining_tp',
  'use_cache',
  'output_attentions',
  'output_hidden_states',
  'return_dict',
  'use_return_dict',
  'torchscript',
  'initializer_range',
  'gradient_checkpointing',
  'inference_mode',
]);
const COSMETIC_PATTERN = /dropout|pdrop/i;

const ARCHITECTURE_KEYS = [
  'model_type', 'architectures', 'vocab_size', 'hidden_size', 'n_embd', 'd_model', 'intermediate_size', 'n_inner', 'ffn_dim',
  'num_hidden_layers', 'n_layer', 'num_layers', 'num_attention_heads', 'n_head', 'num_heads', 'num_key_value_heads', 'head_dim',
  'tie_word_embeddings', 'rope_theta', 'rotary_emb_base', 'rope_scaling', 'rope_parameters', 'rope_local_base_freq',
  'partial_rotary_factor', 'rotary_pct', 'rotary_dim', 'max_position_embeddings', 'n_positions', 'n_ctx', 'rms_norm_eps',
  'layer_norm_eps', 'layer_norm_epsilon', 'hidden_act', 'activation_function', 'hidden_activation', 'attention_bias', 'mlp_bias',
  'sliding_window', 'use_sliding_window', 'max_window_layers', 'layer_types', 'sliding_window_pattern', 'num_local_experts',
  'num_experts', 'num_experts_per_tok', 'moe_intermediate_size', 'shared_expert_intermediate_size', 'norm_topk_prob',
  'quantization_config', 'attn_logit_softcapping', 'final_logit_softcapping', 'query_pre_attn_scalar', 'use_parallel_residual',
  'scale_attn_weights', 'scale_attn_by_inverse_layer_idx', 'reorder_and_upcast_attn', 'use_qk_norm', 'embedding_multiplier',
  'logits_scaling', 'residual_multiplier', 'attention_multiplier', 'auto_map',
];
const TOKEN_ID_KEYS = ['bos_token_id', 'eos_token_id', 'pad_token_id', 'decoder_start_token_id', 'sep_token_id', 'unk_token_id'];
const GENERATION_CRITICAL = [
  'forced_bos_token_id', 'forced_eos_token_id', 'suppress_tokens', 'begin_suppress_tokens', 'bad_words_ids', 'force_words_ids',
  'sequence_bias', 'forced_decoder_ids', 'stop_strings', 'min_length', 'min_new_tokens', 'token_healing', 'watermarking_config',
];
const ADAPTER_CRITICAL = [
  'base_model_name_or_path', 'target_modules', 'r', 'lora_alpha', 'modules_to_save', 'peft_type', 'layers_to_transform',
  'layers_pattern', 'rank_pattern', 'alpha_pattern', 'use_rslora', 'use_dora', 'fan_in_fan_out', 'bias', 'init_lora_weights',
  'exclude_modules', 'trainable_token_indices', 'target_parameters',
];
const TOKENIZER_CRITICAL = [
  'auto_map', 'tokenizer_class', 'add_bos_token', 'add_eos_token', 'add_prefix_space', 'legacy', 'do_lower_case', 'strip_accents',
  'clean_up_tokenization_spaces', 'spaces_between_special_tokens', 'use_default_system_prompt', 'split_special_tokens', 'padding_side',
];

const CRITICAL: Record<ConfigFileKind, ReadonlySet<string>> = {
  config: new Set([...ARCHITECTURE_KEYS, ...TOKEN_ID_KEYS]),
  'generation-config': new Set([...TOKEN_ID_KEYS, ...GENERATION_CRITICAL]),
  'adapter-config': new Set([...ADAPTER_CRITICAL, 'auto_mapping']),
  'tokenizer-config': new Set(TOKENIZER_CRITICAL),
  'special-tokens': new Set(TOKENIZER_CRITICAL),
};

export type KeyClass = 'cosmetic' | 'critical' | 'setting';

/** The class of a key path: the leaf decides first, then each parent up to the root. */
export function classifyConfigKey(keys: readonly PathKey[], kind: ConfigFileKind): KeyClass {
  const critical = CRITICAL[kind];
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i];
    if (typeof k !== 'string') continue;
    if (COSMETIC_KEYS.has(k) || COSMETIC_PATTERN.test(k)) return 'cosmetic';
    if (critical.has(k)) return 'critical';
  }
  return 'setting';
}

const CLASS_WORDS: Record<ConfigFileKind, Record<KeyClass, string>> = {
  config: { critical: 'architecture or special-token settings changed', setting: 'settings changed', cosmetic: 'cosmetic fields changed (no effect on outputs)' },
  'generation-config': { critical: 'start/stop token or token-forcing settings changed', setting: 'generation defaults changed', cosmetic: 'cosmetic fields changed (no effect on outputs)' },
  'adapter-config': { critical: 'adapter base model, rank, scale or targets changed', setting: 'adapter settings changed', cosmetic: 'cosmetic fields changed (no effect on outputs)' },
  'tokenizer-config': { critical: 'tokenization settings changed', setting: 'tokenizer settings changed', cosmetic: 'cosmetic fields changed (no effect on outputs)' },
  'special-tokens': { critical: 'tokenization settings changed', setting: 'settings changed', cosmetic: 'cosmetic fields changed (no effect on outputs)' },
};

const SEVERITY: Record<KeyClass, Severity> = { critical: 'high', setting: 'medium', cosmetic: 'low' };

/** Findings for the key-path changes from `a` to `b` (one finding per class of key). */
export function diffConfigObjects(a: JsonObject, b: JsonObject, file: string, kind: ConfigFileKind, options: { ignoreTopLevel?: readonly string[] } = {}): SidecarFinding[] {
  const diff = diffJson(a, b, { ignoreTopLevel: options.ignoreTopLevel ?? [], maxChanges: Number.MAX_SAFE_INTEGER });
  const groups = new Map<KeyClass, { change: JsonChange; words: string }[]>();
  diff.changes.forEach((change, i) => {
    const cls = classifyConfigKey(change.keys, kind);
    const r = diff.raw[i];
    const list = groups.get(cls) ?? [];
    list.push({ change, words: describeChange(change, r?.old, r?.new) });
    groups.set(cls, list);
  });
  const findingKind = kind === 'tokenizer-config' || kind === 'special-tokens' ? 'tokenizer-changed' : 'config-changed';
  const out: SidecarFinding[] = [];
  for (const cls of ['critical', 'setting', 'cosmetic'] as const) {
    const list = groups.get(cls);
    if (!list || list.length === 0) continue;
    const listed = list.slice(0, 1000);
    out.push({
      kind: findingKind,
      severity: SEVERITY[cls],
      file,
      message: `${file}: ${CLASS_WORDS[kind][cls]}: ${listWords(list.map((x) => x.words), list.length, 5)}`,
      details: {
        change: 'modified',
        keyClass: cls,
        count: list.length,
        truncated: list.length > listed.length,
        changes: listed.map((x) => x.change),
      },
      effect: cls === 'cosmetic' ? 'none' : 'tampered',
    });
  }
  return out;
}
