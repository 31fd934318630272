/**
 * config.json (transformers PretrainedConfig): the architecture fields the analyses need, read with
 * the aliases transformers itself maps (`attribute_map`: GPT-2's n_embd → hidden_size, n_layer →
 * num_hidden_layers, n_head → num_attention_heads, n_inner → intermediate_size, n_positions →
 * max_position_embeddings; GPT-NeoX's rotary_emb_base; `dtype`, the name transformers ≥ 4.56 writes
 * for torch_dtype). Multimodal configs keep the language model's fields in `text_config`, read
 * here recursively (one level). The whole object stays available as `raw` for key-path diffs.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../strict-json.ts';
import { describeJsonType, readHfJson, type HfReadResult, type WarningSink } from './read-json.ts';

export interface ModelConfig {
  modelType: string | undefined;
  architectures: string[];
  vocabSize: number | undefined;
  hiddenSize: number | undefined;
  intermediateSize: number | undefined;
  numHiddenLayers: number | undefined;
  numAttentionHeads: number | undefined;
  numKeyValueHeads: number | undefined;
  headDim: number | undefined;
  maxPositionEmbeddings: number | undefined;
  tieWordEmbeddings: boolean | undefined;
  ropeTheta: number | undefined;
  ropeScaling: JsonValue | undefined;
  torchDtype: string | undefined;
  rmsNormEps: number | undefined;
  layerNormEps: number | undefined;
  hiddenAct: string | undefined;
  attentionBias: boolean | undefined;
  mlpBias: boolean | undefined;
  numLocalExperts: number | undefined;
  numExpertsPerTok: number | undefined;
  quantizationConfig: JsonObject | undefined;
  /** The language model's config of a multimodal model (`text_config`). */
  textConfig: ModelConfig | undefined;
  raw: JsonObject;
}

/** Upper bound for a dimension or count read from config.json (no real model has a dim of 2^31). */
const MAX_CONFIG_DIM = 2 ** 31 - 1;

function pick(obj: JsonObject, keys: readonly string[]): [string, JsonValue] | undefined {
  for (const k of keys) {
    const v = obj[k];
    if (v !== undefined && v !== null) return [k, v];
  }
  return undefined;
}

function positiveInt(obj: JsonObject, keys: readonly string[], warn: WarningSink, where: string): number | undefined {
  const hit = pick(obj, keys);
  if (!hit) return undefined;
  const [k, v] = hit;
  if (typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MAX_CONFIG_DIM) return v;
  warn.add('hf_bad_field', `${where}${k} is ${typeof v === 'number' ? v : describeJsonType(v)}; expected a positive integer`);
  return undefined;
}

function finite(obj: JsonObject, keys: readonly string[], warn: WarningSink, where: string): number | undefined {
  const hit = pick(obj, keys);
  if (!hit) return undefined;
  const [k, v] = hit;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  warn.add('hf_bad_field', `${where}${k} is ${describeJsonType(v)}; expected a number`);
  return undefined;
}

function bool(obj: JsonObject, key: string, warn: WarningSink, where: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  warn.add('hf_bad_field', `${where}${key} is ${describeJsonType(v)}; expected true or false`);
  return undefined;
}

function str(obj: JsonObject, keys: readonly string[]): string | undefined {
  const hit = pick(obj, keys);
  return hit && typeof hit[1] === 'string' ? hit[1] : undefined;
}

export function interpretModelConfig(obj: JsonObject, warn: WarningSink, where = '', depth = 0): ModelConfig {
  const archs = obj['architectures'];
  const architectures = Array.isArray(archs) ? archs.filter((a): a is string => typeof a === 'string') : [];
  if (archs !== undefined && archs !== null && !Array.isArray(archs)) warn.add('hf_bad_field', `${where}architectures is ${describeJsonType(archs)}; expected a list of class names`);
  const text = obj['text_config'];
  const quant = obj['quantization_config'];
  return {
    modelType: str(obj, ['model_type']),
    architectures,
    vocabSize: positiveInt(obj, ['vocab_size'], warn, where),
    hiddenSize: positiveInt(obj, ['hidden_size', 'n_embd', 'd_model'], warn, where),
    intermediateSize: positiveInt(obj, ['intermediate_size', 'n_inner', 'ffn_dim'], warn, where),
    numHiddenLayers: positiveInt(obj, ['num_hidden_layers', 'n_layer', 'num_layers'], warn, where),
    numAttentionHeads: positiveInt(obj, ['num_attention_heads', 'n_head', 'num_heads'], warn, where),
    numKeyValueHeads: positiveInt(obj, ['num_key_value_heads'], warn, where),
    headDim: positiveInt(obj, ['head_dim'], warn, where),
    maxPositionEmbeddings: positiveInt(obj, ['max_position_embeddings', 'n_positions', 'n_ctx'], warn, where),
    tieWordEmbeddings: bool(obj, 'tie_word_embeddings', warn, where),
    ropeTheta: finite(obj, ['rope_theta', 'rotary_emb_base'], warn, where),
    ropeScaling: obj['rope_scaling'] ?? undefined,
    torchDtype: str(obj, ['torch_dtype', 'dtype']),
    rmsNormEps: finite(obj, ['rms_norm_eps'], warn, where),
    layerNormEps: finite(obj, ['layer_norm_eps', 'layer_norm_epsilon'], warn, where),
    hiddenAct: str(obj, ['hidden_act', 'activation_function', 'hidden_activation']),
    attentionBias: bool(obj, 'attention_bias', warn, where),
    mlpBias: bool(obj, 'mlp_bias', warn, where),
    numLocalExperts: positiveInt(obj, ['num_local_experts', 'num_experts'], warn, where),
    numExpertsPerTok: positiveInt(obj, ['num_experts_per_tok'], warn, where),
    quantizationConfig: isJsonObject(quant) ? quant : undefined,
    textConfig: isJsonObject(text) && depth === 0 ? interpretModelConfig(text, warn, 'text_config.', 1) : undefined,
    raw: obj,
  };
}

export function readModelConfig(text: string, file?: string): HfReadResult<ModelConfig> {
  return readHfJson(text, file, (root, warn) => interpretModelConfig(root, warn));
}
