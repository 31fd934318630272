/**
 * Architecture validation: from config.json, the tensors a model of a known family must have and
 * their shapes; compared with the tensors the weight files actually hold. A tensor the config does
 * not imply (`model.layers.3.mlp.backdoor.weight`), a missing one, a wrong shape, or more or fewer
 * layers than the config declares are `weight-anomaly` findings.
 *
 * Families (transformers modeling_*.py state-dict names; shapes are nn.Linear's [out, in], GPT-2's
 * Conv1D is [in, out]):
 * - llama, mistral, qwen2 (q/k/v biases), qwen3 (q/k norms), gemma, gemma2 and gemma3_text
 *   (pre/post feed-forward norms; gemma3 q/k norms), mixtral (sparse experts): `model.embed_tokens`
 *   [vocab, hidden]; per layer q [heads·head_dim, hidden], k/v [kv_heads·head_dim, hidden],
 *   o [hidden, heads·head_dim], gate/up [intermediate, hidden], down [hidden, intermediate], norms
 *   [hidden]; `model.norm`; `lm_head` [vocab, hidden] unless embeddings are tied.
 * - gpt2: `transformer.wte`, `wpe`, `h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc,
 *   mlp.c_proj}` weights and biases, `ln_f`; lm_head tied.
 * - gpt_neox: `gpt_neox.embed_in`, `layers.N.{input_layernorm, post_attention_layernorm,
 *   attention.query_key_value, attention.dense, mlp.dense_h_to_4h, mlp.dense_4h_to_h}` weights and
 *   biases, `final_layer_norm`, `embed_out`.
 * Non-persistent buffers that older checkpoints still carry (`rotary_emb.inv_freq`, GPT-2's
 * `attn.bias` / `attn.masked_bias`) and a saved copy of a tied lm_head are accepted, not required.
 *
 * Anything else — an unknown model_type, a multimodal or quantized checkpoint, a non-causal head,
 * a config missing a size — yields one informational note and no anomalies: never a false alarm.
 *
 * `validateArchitecture` looks at one model. `architectureFindings` compares two: an anomaly is
 * 'tampered' only when the known-good model does not show the same one (a checkpoint that always
 * carried an extra buffer is not evidence).
 */
import { readModelConfig, type ModelConfig } from '../formats/hf/model-config.ts';
import type { ModelManifest, TensorEntry } from '../formats/manifest.ts';
import { listWords, plural, quote, visible } from './sidecars/display.ts';
import { MAX_LISTED, type SidecarFinding } from './sidecars/types.ts';

export type ArchitectureFamily = 'llama' | 'mistral' | 'mixtral' | 'qwen2' | 'qwen3' | 'gemma' | 'gemma2' | 'gemma3_text' | 'gpt2' | 'gpt_neox';

export const SUPPORTED_FAMILIES: readonly ArchitectureFamily[] = ['llama', 'mistral', 'mixtral', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'gemma3_text', 'gpt2', 'gpt_neox'];

export interface ExpectedTensor {
  name: string;
  /** Row-major; undefined for buffers whose shape varies (accepted whatever it is). */
  shape: number[] | undefined;
  optional: boolean;
}

export type AnomalyType = 'missing' | 'extra' | 'shape' | 'layer-count';

export interface ArchitectureAnomaly {
  /** Stable identity for comparing two models: `${type}:${tensor}` or `layer-count`. */
  key: string;
  type: AnomalyType;
  tensor?: string;
  expected?: number[];
  actual?: number[];
  /** Words, for one line of a message. */
  words: string;
}

export interface ArchitectureValidation {
  status: 'validated' | 'unsupported' | 'no-config' | 'unreadable-config';
  family: ArchitectureFamily | undefined;
  /** One sentence: what was (or could not be) validated. */
  note: string;
  /** The config file used. */
  configFile: string | undefined;
  expected: ExpectedTensor[];
  anomalies: ArchitectureAnomaly[];
  /** Layers the tensors cover (highest layer index + 1), when any layer tensor exists. */
  layersFound: number | undefined;
}

const FAMILY_BY_ARCH: Readonly<Record<string, ArchitectureFamily>> = {
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'mistral',
  MixtralForCausalLM: 'mixtral',
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
  GemmaForCausalLM: 'gemma',
  Gemma2ForCausalLM: 'gemma2',
  Gemma3ForCausalLM: 'gemma3_text',
  GPT2LMHeadModel: 'gpt2',
  GPTNeoXForCausalLM: 'gpt_neox',
};

/** transformers' defaults for fields a saved config may omit (configuration_*.py). */
const TIE_DEFAULT: Record<ArchitectureFamily, boolean> = {
  llama: false,
  mistral: false,
  mixtral: false,
  qwen2: false,
  qwen3: false,
  gemma: true,
  gemma2: true,
  gemma3_text: true,
  gpt2: true,
  gpt_neox: false,
};
const KV_HEADS_DEFAULT: Partial<Record<ArchitectureFamily, number>> = { mistral: 8, mixtral: 8, qwen2: 32, qwen3: 8, gemma: 16, gemma2: 8, gemma3_text: 4 };
const HEAD_DIM_DEFAULT: Partial<Record<ArchitectureFamily, number>> = { gemma: 256, gemma2: 256, gemma3_text: 256, qwen3: 128 };

/** A model's tensors above this count are not enumerated (a config claiming 10^6 layers). */
const MAX_EXPECTED_TENSORS = 2_000_000;

function familyOf(cfg: ModelConfig): ArchitectureFamily | undefined {
  const mt = cfg.modelType;
  if (mt !== undefined) {
    if (mt === 'gpt-neox') return 'gpt_neox';
    return (SUPPORTED_FAMILIES as readonly string[]).includes(mt) ? (mt as ArchitectureFamily) : undefined;
  }
  for (const a of cfg.architectures) {
    const f = FAMILY_BY_ARCH[a];
    if (f) return f;
  }
  return undefined;
}

type Built = { ok: true; family: ArchitectureFamily; expected: ExpectedTensor[]; layerPattern: RegExp; layers: number } | { ok: false; reason: string; family: ArchitectureFamily | undefined };

/** Prefix of the base model inside the checkpoint ("model." for LlamaForCausalLM, "" for LlamaModel). */
function detectPrefix(names: readonly string[], marker: string, fallback: string): string {
  const hits = names.filter((n) => n.endsWith(marker)).sort((x, y) => x.length - y.length);
  const first = hits[0];
  return first === undefined ? fallback : first.slice(0, first.length - marker.length);
}

const topOf = (prefix: string, inner: string): string => (prefix.endsWith(inner) ? prefix.slice(0, prefix.length - inner.length) : prefix);

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function expectedTensors(cfg: ModelConfig, tensorNames: readonly string[]): Built {
  const family = familyOf(cfg);
  if (!family) {
    return { ok: false, family: undefined, reason: cfg.modelType !== undefined ? `model_type ${quote(cfg.modelType, 40)} is not a family this version validates (${SUPPORTED_FAMILIES.join(', ')})` : 'config.json names no model_type or known architecture' };
  }
  if (cfg.quantizationConfig) {
    const method = cfg.quantizationConfig['quant_method'];
    return { ok: false, family, reason: `the checkpoint is quantized (${typeof method === 'string' ? quote(method, 20) : 'quantization_config'}); its packed tensor layout is not validated` };
  }
  if (cfg.textConfig || cfg.raw['vision_config'] !== undefined) return { ok: false, family, reason: 'the model is multimodal (text_config / vision_config); only text-only checkpoints are validated' };
  const head = cfg.architectures.find((a) => !/ForCausalLM$|LMHeadModel$/.test(a));
  if (head !== undefined) return { ok: false, family, reason: `architecture ${quote(head, 60)} has a head other than a causal language-model head` };

  const V = cfg.vocabSize;
  const H = cfg.hiddenSize;
  const L = cfg.numHiddenLayers;
  const nH = cfg.numAttentionHeads;
  const gpt2 = family === 'gpt2';
  // GPT-2's n_inner is null in most configs: the MLP is then 4 × hidden (modeling_gpt2.py).
  const I = cfg.intermediateSize ?? (gpt2 && H !== undefined ? 4 * H : undefined);
  const missing = [V === undefined && 'vocab_size', H === undefined && 'hidden_size', L === undefined && 'num_hidden_layers', nH === undefined && 'num_attention_heads', I === undefined && 'intermediate_size'].filter((x): x is string => typeof x === 'string');
  if (V === undefined || H === undefined || L === undefined || nH === undefined || I === undefined) return { ok: false, family, reason: `config.json lacks ${missing.join(', ')}` };
  const tie = cfg.tieWordEmbeddings ?? TIE_DEFAULT[family];

  const out: ExpectedTensor[] = [];
  const req = (name: string, shape: number[]): void => void out.push({ name, shape, optional: false });
  const opt = (name: string, shape: number[] | undefined): void => void out.push({ name, shape, optional: true });

  if (gpt2) {
    const P = detectPrefix(tensorNames, 'wte.weight', 'transformer.');
    const nPos = cfg.maxPositionEmbeddings;
    if (nPos === undefined) return { ok: false, family, reason: 'config.json lacks n_positions' };
    if (L * 12 > MAX_EXPECTED_TENSORS) return { ok: false, family, reason: `num_hidden_layers ${L} is implausibly large` };
    req(`${P}wte.weight`, [V, H]);
    req(`${P}wpe.weight`, [nPos, H]);
    for (let l = 0; l < L; l++) {
      const p = `${P}h.${l}.`;
      req(`${p}ln_1.weight`, [H]);
      req(`${p}ln_1.bias`, [H]);
      req(`${p}attn.c_attn.weight`, [H, 3 * H]);
      req(`${p}attn.c_attn.bias`, [3 * H]);
      req(`${p}attn.c_proj.weight`, [H, H]);
      req(`${p}attn.c_proj.bias`, [H]);
      req(`${p}ln_2.weight`, [H]);
      req(`${p}ln_2.bias`, [H]);
      req(`${p}mlp.c_fc.weight`, [H, I]);
      req(`${p}mlp.c_fc.bias`, [I]);
      req(`${p}mlp.c_proj.weight`, [I, H]);
      req(`${p}mlp.c_proj.bias`, [H]);
      opt(`${p}attn.bias`, undefined);
      opt(`${p}attn.masked_bias`, undefined);
    }
    req(`${P}ln_f.weight`, [H]);
    req(`${P}ln_f.bias`, [H]);
    const lm = `${topOf(P, 'transformer.')}lm_head.weight`;
    if (tie) opt(lm, [V, H]);
    else req(lm, [V, H]);
    return { ok: true, family, expected: out, layerPattern: new RegExp(`^${escapeRe(P)}h\\.(\\d+)\\.`), layers: L };
  }

  if (family === 'gpt_neox') {
    const P = detectPrefix(tensorNames, 'embed_in.weight', 'gpt_neox.');
    const bias = cfg.attentionBias ?? true;
    if (L * 16 > MAX_EXPECTED_TENSORS) return { ok: false, family, reason: `num_hidden_layers ${L} is implausibly large` };
    req(`${P}embed_in.weight`, [V, H]);
    for (let l = 0; l < L; l++) {
      const p = `${P}layers.${l}.`;
      for (const n of ['input_layernorm', 'post_attention_layernorm']) {
        req(`${p}${n}.weight`, [H]);
        req(`${p}${n}.bias`, [H]);
      }
      req(`${p}attention.query_key_value.weight`, [3 * H, H]);
      if (bias) req(`${p}attention.query_key_value.bias`, [3 * H]);
      req(`${p}attention.dense.weight`, [H, H]);
      if (bias) req(`${p}attention.dense.bias`, [H]);
      req(`${p}mlp.dense_h_to_4h.weight`, [I, H]);
      req(`${p}mlp.dense_h_to_4h.bias`, [I]);
      req(`${p}mlp.dense_4h_to_h.weight`, [H, I]);
      req(`${p}mlp.dense_4h_to_h.bias`, [H]);
      opt(`${p}attention.bias`, undefined);
      opt(`${p}attention.masked_bias`, undefined);
      opt(`${p}attention.rotary_emb.inv_freq`, undefined);
    }
    req(`${P}final_layer_norm.weight`, [H]);
    req(`${P}final_layer_norm.bias`, [H]);
    const head = `${topOf(P, 'gpt_neox.')}embed_out.weight`;
    if (tie) opt(head, [V, H]);
    else req(head, [V, H]);
    return { ok: true, family, expected: out, layerPattern: new RegExp(`^${escapeRe(P)}layers\\.(\\d+)\\.`), layers: L };
  }

  // Llama family.
  const nKV = cfg.numKeyValueHeads ?? KV_HEADS_DEFAULT[family] ?? nH;
  const hd = cfg.headDim ?? HEAD_DIM_DEFAULT[family] ?? H / nH;
  if (!Number.isInteger(hd)) return { ok: false, family, reason: `head_dim is not given and hidden_size ${H} is not a multiple of num_attention_heads ${nH}` };
  const experts = family === 'mixtral' ? cfg.numLocalExperts : undefined;
  if (family === 'mixtral' && experts === undefined) return { ok: false, family, reason: 'config.json lacks num_local_experts' };
  if (L * (16 + 3 * (experts ?? 0)) > MAX_EXPECTED_TENSORS) return { ok: false, family, reason: `num_hidden_layers ${L} is implausibly large` };
  const P = detectPrefix(tensorNames, 'embed_tokens.weight', 'model.');
  const qkvBias = family === 'qwen2' || cfg.attentionBias === true;
  const oBias = cfg.attentionBias === true;
  const mlpBias = cfg.mlpBias === true;
  const qkNorm = family === 'qwen3' || family === 'gemma3_text';
  const ffNorms = family === 'gemma2' || family === 'gemma3_text';
  req(`${P}embed_tokens.weight`, [V, H]);
  for (let l = 0; l < L; l++) {
    const p = `${P}layers.${l}.`;
    req(`${p}input_layernorm.weight`, [H]);
    req(`${p}post_attention_layernorm.weight`, [H]);
    if (ffNorms) {
      req(`${p}pre_feedforward_layernorm.weight`, [H]);
      req(`${p}post_feedforward_layernorm.weight`, [H]);
    }
    req(`${p}self_attn.q_proj.weight`, [nH * hd, H]);
    req(`${p}self_attn.k_proj.weight`, [nKV * hd, H]);
    req(`${p}self_attn.v_proj.weight`, [nKV * hd, H]);
    req(`${p}self_attn.o_proj.weight`, [H, nH * hd]);
    if (qkvBias) {
      req(`${p}self_attn.q_proj.bias`, [nH * hd]);
      req(`${p}self_attn.k_proj.bias`, [nKV * hd]);
      req(`${p}self_attn.v_proj.bias`, [nKV * hd]);
    }
    if (oBias) req(`${p}self_attn.o_proj.bias`, [H]);
    if (qkNorm) {
      req(`${p}self_attn.q_norm.weight`, [hd]);
      req(`${p}self_attn.k_norm.weight`, [hd]);
    }
    opt(`${p}self_attn.rotary_emb.inv_freq`, undefined);
    if (experts !== undefined) {
      req(`${p}block_sparse_moe.gate.weight`, [experts, H]);
      for (let e = 0; e < experts; e++) {
        const x = `${p}block_sparse_moe.experts.${e}.`;
        req(`${x}w1.weight`, [I, H]);
        req(`${x}w2.weight`, [H, I]);
        req(`${x}w3.weight`, [I, H]);
      }
    } else {
      req(`${p}mlp.gate_proj.weight`, [I, H]);
      req(`${p}mlp.up_proj.weight`, [I, H]);
      req(`${p}mlp.down_proj.weight`, [H, I]);
      if (mlpBias) {
        req(`${p}mlp.gate_proj.bias`, [I]);
        req(`${p}mlp.up_proj.bias`, [I]);
        req(`${p}mlp.down_proj.bias`, [H]);
      }
    }
  }
  req(`${P}norm.weight`, [H]);
  const lm = `${topOf(P, 'model.')}lm_head.weight`;
  if (tie) opt(lm, [V, H]);
  else req(lm, [V, H]);
  return { ok: true, family, expected: out, layerPattern: new RegExp(`^${escapeRe(P)}layers\\.(\\d+)\\.`), layers: L };
}

const shapeWords = (s: readonly number[] | undefined): string => (s === undefined ? '?' : `[${s.join(', ')}]`);
const sameShape = (x: readonly number[], y: readonly number[]): boolean => x.length === y.length && x.every((d, i) => d === y[i]);

/** Checks `tensors` against what `cfg` implies. */
export function validateTensors(cfg: ModelConfig, tensors: readonly Pick<TensorEntry, 'name' | 'shape'>[], configFile?: string): ArchitectureValidation {
  const names = tensors.map((t) => t.name);
  const built = expectedTensors(cfg, names);
  if (!built.ok) {
    return { status: 'unsupported', family: built.family, note: `Architecture not validated: ${built.reason}.`, configFile, expected: [], anomalies: [], layersFound: undefined };
  }
  const present = new Map(tensors.map((t) => [t.name, t] as const));
  const expectedByName = new Map(built.expected.map((e) => [e.name, e] as const));
  const anomalies: ArchitectureAnomaly[] = [];
  for (const e of built.expected) {
    const t = present.get(e.name);
    if (!t) {
      if (!e.optional) anomalies.push({ key: `missing:${e.name}`, type: 'missing', tensor: e.name, ...(e.shape ? { expected: e.shape } : {}), words: `${visible(e.name)} ${shapeWords(e.shape)}` });
      continue;
    }
    if (e.shape && !sameShape(e.shape, t.shape)) {
      anomalies.push({ key: `shape:${e.name}`, type: 'shape', tensor: e.name, expected: e.shape, actual: [...t.shape], words: `${visible(e.name)} is ${shapeWords(t.shape)}, config implies ${shapeWords(e.shape)}` });
    }
  }
  let maxLayer = -1;
  for (const t of tensors) {
    const m = built.layerPattern.exec(t.name);
    if (m) maxLayer = Math.max(maxLayer, Number(m[1]));
    if (!expectedByName.has(t.name)) anomalies.push({ key: `extra:${t.name}`, type: 'extra', tensor: t.name, actual: [...t.shape], words: `${visible(t.name)} ${shapeWords(t.shape)}` });
  }
  const layersFound = maxLayer >= 0 ? maxLayer + 1 : undefined;
  if (layersFound !== undefined && layersFound !== built.layers) {
    anomalies.push({ key: 'layer-count', type: 'layer-count', expected: [built.layers], actual: [layersFound], words: `config declares ${plural(built.layers, 'layer')}, the weights hold tensors for ${plural(layersFound, 'layer')}` });
  }
  return {
    status: 'validated',
    family: built.family,
    note: `${built.family} architecture validated against ${configFile ?? 'config.json'}: ${plural(built.expected.filter((e) => !e.optional).length, 'required tensor')}, ${plural(anomalies.length, 'anomaly', 'anomalies')}.`,
    configFile,
    expected: built.expected,
    anomalies,
    layersFound,
  };
}

/** The model's config.json (the shallowest one), parsed; undefined when there is none. */
function modelConfigOf(manifest: ModelManifest): { file: string; result: ReturnType<typeof readModelConfig> } | undefined {
  const configs = manifest.sidecars
    .filter((f) => (f.path.split('/').pop() ?? f.path).toLowerCase() === 'config.json')
    .sort((x, y) => x.path.split('/').length - y.path.split('/').length || (x.path < y.path ? -1 : 1));
  const f = configs[0];
  return f ? { file: f.path, result: readModelConfig(f.text, f.path) } : undefined;
}

/** Validates one model against its own config.json. */
export function validateArchitecture(manifest: ModelManifest): ArchitectureValidation {
  const c = modelConfigOf(manifest);
  if (!c) return { status: 'no-config', family: undefined, note: 'Architecture not validated: the model has no config.json.', configFile: undefined, expected: [], anomalies: [], layersFound: undefined };
  if (!c.result.ok) {
    return { status: 'unreadable-config', family: undefined, note: `Architecture not validated: ${c.file} could not be read (${c.result.error.code}).`, configFile: c.file, expected: [], anomalies: [], layersFound: undefined };
  }
  return validateTensors(c.result.value, manifest.tensors, c.file);
}

/**
 * Architecture findings for a comparison. The suspect is validated against its own config; the
 * known-good against its own, or — when it has none it can use — against the suspect's, so that
 * "the known-good shows the same anomaly" can still be decided.
 */
export function architectureFindings(knownGood: ModelManifest, suspect: ModelManifest): SidecarFinding[] {
  const su = validateArchitecture(suspect);
  if (su.status !== 'validated') return [{ kind: 'weight-anomaly', severity: 'info', ...(su.configFile ? { file: su.configFile } : {}), message: su.note, details: { status: su.status, ...(su.family ? { family: su.family } : {}) }, effect: 'none' }];
  let kg = validateArchitecture(knownGood);
  if (kg.status !== 'validated') {
    const c = modelConfigOf(suspect);
    if (c?.result.ok) kg = validateTensors(c.result.value, knownGood.tensors, c.file);
  }
  const baseline = new Set(kg.status === 'validated' ? kg.anomalies.map((a) => a.key) : []);
  const fresh = su.anomalies.filter((a) => !baseline.has(a.key));
  const shared = su.anomalies.filter((a) => baseline.has(a.key));
  const file = su.configFile;
  const fileOpt = file ? { file } : {};
  const out: SidecarFinding[] = [];
  const where = `${su.family ?? '?'} config${file ? ` (${file})` : ''}`;
  const baselineNote = kg.status === 'validated' ? '' : ' (the known-good could not be validated, so there is no baseline)';

  for (const a of fresh.filter((x) => x.type === 'extra')) {
    out.push({
      kind: 'weight-anomaly',
      severity: 'high',
      ...fileOpt,
      ...(a.tensor === undefined ? {} : { tensor: a.tensor }),
      message: `Tensor ${a.words} is not implied by the ${where}: the model computes nothing with it unless code or another loader uses it${baselineNote}`,
      details: { anomaly: 'extra', ...(a.actual ? { shape: a.actual } : {}) },
      effect: 'tampered',
    });
  }
  for (const a of fresh.filter((x) => x.type === 'shape')) {
    out.push({ kind: 'weight-anomaly', severity: 'high', ...fileOpt, ...(a.tensor === undefined ? {} : { tensor: a.tensor }), message: `Tensor ${a.words} (${where})${baselineNote}`, details: { anomaly: 'shape', expected: a.expected, actual: a.actual }, effect: 'tampered' });
  }
  const missing = fresh.filter((x) => x.type === 'missing');
  if (missing.length) {
    out.push({
      kind: 'weight-anomaly',
      severity: 'high',
      ...fileOpt,
      message: `${plural(missing.length, 'tensor')} the ${where} requires ${missing.length === 1 ? 'is' : 'are'} missing: ${listWords(missing.slice(0, 3).map((a) => a.words), missing.length)} (a loader would initialise ${missing.length === 1 ? 'it' : 'them'} randomly or fail)${baselineNote}`,
      details: { anomaly: 'missing', count: missing.length, truncated: missing.length > MAX_LISTED, tensors: missing.slice(0, MAX_LISTED).map((a) => ({ name: a.tensor, shape: a.expected })) },
      effect: 'tampered',
    });
  }
  for (const a of fresh.filter((x) => x.type === 'layer-count')) {
    out.push({ kind: 'weight-anomaly', severity: 'high', ...fileOpt, message: `Layer count mismatch: ${a.words}${baselineNote}`, details: { anomaly: 'layer-count', expected: a.expected?.[0], actual: a.actual?.[0] }, effect: 'tampered' });
  }
  if (shared.length) {
    out.push({
      kind: 'weight-anomaly',
      severity: 'info',
      ...fileOpt,
      message: `${plural(shared.length, 'architecture anomaly', 'architecture anomalies')} of the suspect ${shared.length === 1 ? 'is' : 'are'} shared by the known-good (not a difference): ${listWords(shared.slice(0, 3).map((a) => `${a.type} ${a.words}`), shared.length)}`,
      details: { anomalies: shared.slice(0, MAX_LISTED).map((a) => ({ type: a.type, tensor: a.tensor ?? null, expected: a.expected ?? null, actual: a.actual ?? null })), count: shared.length },
      effect: 'none',
    });
  }
  if (out.length === 0) out.push({ kind: 'weight-anomaly', severity: 'info', ...fileOpt, message: su.note, details: { status: su.status, family: su.family ?? null, anomalies: 0 }, effect: 'none' });
  return out;
}
