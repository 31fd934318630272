/**
 * What the activation engine needs to know to run a model: its family (Llama-style or GPT-2), the
 * dimensions and hyper-parameters of the forward pass, and which stored tensor feeds each weight of
 * the computation. Read from config.json (transformers' PretrainedConfig, through
 * ../formats/hf/model-config.ts) or, for a GGUF file without one, from its metadata
 * (`{arch}.embedding_length`, `{arch}.attention.head_count`, … — ggml/docs/gguf.md "LLM").
 *
 * Families and the Hugging Face modules they mirror (transformers 4.4x):
 * - `llama`: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, SmolLM/SmolLM2 and TinyLlama
 *   (model_type "llama"): RMSNorm → attention (RoPE rotate_half, grouped-query heads, optional
 *   q/k/v/o biases — Qwen2 has q/k/v biases) → residual → RMSNorm → SiLU-gated MLP → residual;
 *   final RMSNorm; lm_head (or tied to embed_tokens).
 * - `gpt2`: GPT2LMHeadModel: token + learned position embeddings; LayerNorm → fused c_attn
 *   (Conv1D, weights stored [in, out]) → c_proj → residual → LayerNorm → c_fc → gelu_new → c_proj →
 *   residual; ln_f; lm_head tied to wte.
 *
 * Everything is checked against the tensors present (shapes included) before a byte of payload is
 * read, so a model that cannot run is refused with `unsupported_architecture` and a precise reason.
 */
import { SleuthError } from '../formats/errors.ts';
import type { ModelManifest, TensorEntry } from '../formats/manifest.ts';
import { readModelConfig, type ModelConfig } from '../formats/hf/model-config.ts';
import { isJsonObject, type JsonValue } from '../formats/strict-json.ts';

export type Family = 'llama' | 'gpt2';
export type Activation = 'silu' | 'gelu-tanh' | 'gelu';
export type NormKind = 'rms' | 'layer';

/** Rotary embedding parameters (HF `rope_theta`, `partial_rotary_factor`, `rope_scaling`). */
export interface RopeSpec {
  theta: number;
  /** Dimensions of each head that rotate (head_dim × partial_rotary_factor); the rest pass through. */
  rotaryDim: number;
  scaling?: RopeScaling;
}

export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

/**
 * One weight of the computation, always in nn.Linear layout [out, in] (y = x·Wᵀ), or a vector.
 * `part` selects rows of a fused stored tensor (GPT-2 c_attn holds q, k and v).
 */
export interface ComputeWeight {
  /** Unique key of the computation weight (tensor name, plus "#q"/"#k"/"#v" for parts). */
  key: string;
  /** The stored tensor it comes from (HF name, as in the manifest and the report). */
  tensor: string;
  rows: number;
  cols: number;
  /** The stored matrix is [in, out] (HF Conv1D) and must be transposed. */
  transpose: boolean;
  /** Rows part.index·rows … of the (transposed) stored tensor, of part.of equal parts. */
  part?: { index: number; of: number };
}

export interface LayerWeights {
  attnNorm: ComputeWeight;
  attnNormBias?: ComputeWeight;
  q: ComputeWeight;
  k: ComputeWeight;
  v: ComputeWeight;
  qBias?: ComputeWeight;
  kBias?: ComputeWeight;
  vBias?: ComputeWeight;
  o: ComputeWeight;
  oBias?: ComputeWeight;
  mlpNorm: ComputeWeight;
  mlpNormBias?: ComputeWeight;
  /** SiLU-gated MLP only. */
  gate?: ComputeWeight;
  gateBias?: ComputeWeight;
  up: ComputeWeight;
  upBias?: ComputeWeight;
  down: ComputeWeight;
  downBias?: ComputeWeight;
}

export interface ModelSpec {
  family: Family;
  /** Display name: "llama", "mistral", "qwen2", "gpt2" … */
  architecture: string;
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  norm: NormKind;
  normEps: number;
  activation: Activation;
  /** Absent for GPT-2 (learned positions). */
  rope?: RopeSpec;
  maxPositions: number;
  /** Mistral-style sliding-window attention (keys older than this many positions are masked). */
  slidingWindow?: number;
  tiedEmbeddings: boolean;
  embed: ComputeWeight;
  positions?: ComputeWeight;
  finalNorm: ComputeWeight;
  finalNormBias?: ComputeWeight;
  unembed: ComputeWeight;
  layerWeights: LayerWeights[];
  /** How the spec was obtained, for the report ("config.json", "GGUF metadata"). */
  source: string;
}

/** Every computation weight of a spec, in forward order. */
export function computeWeights(spec: ModelSpec): ComputeWeight[] {
  const out: ComputeWeight[] = [spec.embed];
  if (spec.positions) out.push(spec.positions);
  for (const l of spec.layerWeights) {
    for (const w of Object.values(l) as (ComputeWeight | undefined)[]) if (w) out.push(w);
  }
  out.push(spec.finalNorm);
  if (spec.finalNormBias) out.push(spec.finalNormBias);
  if (!spec.tiedEmbeddings) out.push(spec.unembed);
  return out;
}

/** The weights of one layer (for per-layer loading and whole-layer reverts). */
export function layerComputeWeights(l: LayerWeights): ComputeWeight[] {
  return (Object.values(l) as (ComputeWeight | undefined)[]).filter((w): w is ComputeWeight => w !== undefined);
}

/** Stored tensors that feed the computation (a fused tensor once). */
export function storedTensors(spec: ModelSpec): string[] {
  return [...new Set(computeWeights(spec).map((w) => w.tensor))];
}

const LLAMA_TYPES = new Set(['llama', 'mistral', 'qwen2', 'smollm', 'tinyllama']);
const LLAMA_CLASSES = /^(Llama|Mistral|Qwen2)ForCausalLM$/;
const GPT2_CLASSES = /^GPT2(LMHeadModel|Model)$/;

function unsupported(message: string): SleuthError {
  return new SleuthError('unsupported_architecture', message);
}

/** config.json of a model folder (the shallowest one), parsed; undefined when absent. */
export function modelConfigOf(manifest: ModelManifest): ModelConfig | undefined {
  const configs = manifest.sidecars.filter((s) => s.role === 'config' && (s.path.split('/').pop() ?? '') === 'config.json');
  configs.sort((a, b) => a.path.split('/').length - b.path.split('/').length);
  const c = configs[0];
  if (c === undefined) return undefined;
  const r = readModelConfig(c.text, c.path);
  if (!r.ok) throw new SleuthError('unsupported_architecture', `${c.path} could not be read: ${r.error.message}`, { file: c.path });
  return r.value.textConfig ?? r.value;
}

/** A flat view of GGUF metadata (summary strings) of the first GGUF weight file. */
function ggufMetadataOf(manifest: ModelManifest): Record<string, string> | undefined {
  const file = manifest.files.find((f) => f.format === 'gguf' && f.role === 'weights');
  return file === undefined ? undefined : manifest.metadata[file.path];
}

interface RawHyper {
  architecture: string;
  family: Family;
  hidden?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  headDim?: number;
  intermediate?: number;
  vocab?: number;
  normEps?: number;
  ropeTheta?: number;
  partialRotary?: number;
  rotaryDim?: number;
  ropeScaling?: JsonValue;
  maxPositions?: number;
  slidingWindow?: number;
  tied?: boolean;
  activation?: string;
  source: string;
}

function fromConfig(c: ModelConfig): RawHyper | undefined {
  const type = c.modelType?.toLowerCase();
  const cls = c.architectures[0] ?? '';
  let family: Family | undefined;
  if ((type !== undefined && LLAMA_TYPES.has(type)) || LLAMA_CLASSES.test(cls)) family = 'llama';
  else if (type === 'gpt2' || GPT2_CLASSES.test(cls)) family = 'gpt2';
  if (family === undefined) {
    if (type === undefined && cls === '') return undefined;
    throw unsupported(`config.json describes a ${type ?? cls} model; the activation engine runs the Llama family (llama, mistral, qwen2, SmolLM, TinyLlama) and GPT-2`);
  }
  const raw = c.raw;
  const num = (k: string): number | undefined => (typeof raw[k] === 'number' ? (raw[k] as number) : undefined);
  const out: RawHyper = { family, architecture: type ?? (family === 'gpt2' ? 'gpt2' : 'llama'), source: 'config.json' };
  const set = <K extends keyof RawHyper>(k: K, v: RawHyper[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  set('hidden', c.hiddenSize);
  set('layers', c.numHiddenLayers);
  set('heads', c.numAttentionHeads);
  set('kvHeads', c.numKeyValueHeads);
  set('headDim', c.headDim);
  set('intermediate', c.intermediateSize);
  set('vocab', c.vocabSize);
  set('normEps', family === 'gpt2' ? c.layerNormEps : (c.rmsNormEps ?? c.layerNormEps));
  set('ropeTheta', c.ropeTheta);
  set('partialRotary', num('partial_rotary_factor'));
  set('ropeScaling', c.ropeScaling);
  set('maxPositions', c.maxPositionEmbeddings);
  const sw = num('sliding_window');
  // Qwen2 configs carry sliding_window but only use it with use_sliding_window: true.
  if (sw !== undefined && (type !== 'qwen2' || raw['use_sliding_window'] === true)) out.slidingWindow = sw;
  set('tied', c.tieWordEmbeddings);
  set('activation', c.hiddenAct);
  return out;
}

function fromGguf(meta: Record<string, string>): RawHyper | undefined {
  const arch = meta['general.architecture'];
  if (arch === undefined) return undefined;
  let family: Family;
  if (arch === 'llama' || arch === 'mistral' || arch === 'qwen2') family = 'llama';
  else if (arch === 'gpt2') family = 'gpt2';
  else throw unsupported(`The GGUF file is a "${arch}" model; the activation engine runs llama, mistral, qwen2 and gpt2`);
  const n = (key: string): number | undefined => {
    const v = meta[`${arch}.${key}`];
    if (v === undefined) return undefined;
    const x = Number(v);
    return Number.isFinite(x) ? x : undefined;
  };
  const out: RawHyper = { family, architecture: arch, source: 'GGUF metadata' };
  const set = <K extends keyof RawHyper>(k: K, v: RawHyper[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  set('hidden', n('embedding_length'));
  set('layers', n('block_count'));
  set('heads', n('attention.head_count'));
  set('kvHeads', n('attention.head_count_kv'));
  set('headDim', n('attention.key_length'));
  set('intermediate', n('feed_forward_length'));
  set('vocab', n('vocab_size'));
  set('normEps', family === 'gpt2' ? n('attention.layer_norm_epsilon') : n('attention.layer_norm_rms_epsilon'));
  set('ropeTheta', n('rope.freq_base'));
  set('rotaryDim', n('rope.dimension_count'));
  set('maxPositions', n('context_length'));
  set('slidingWindow', n('attention.sliding_window'));
  const scaling = meta[`${arch}.rope.scaling.type`];
  const factor = n('rope.scaling.factor');
  if (scaling === 'linear' && factor !== undefined) out.ropeScaling = { type: 'linear', factor };
  else if (scaling !== undefined && scaling !== 'none') out.ropeScaling = { type: scaling };
  return out;
}

function parseScaling(v: JsonValue | undefined): RopeScaling | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isJsonObject(v)) throw unsupported('rope_scaling is not an object');
  const type = v['rope_type'] ?? v['type'];
  const num = (k: string): number | undefined => (typeof v[k] === 'number' ? (v[k] as number) : undefined);
  if (type === 'default') return undefined;
  if (type === 'linear') {
    const factor = num('factor');
    if (factor === undefined || factor <= 0) throw unsupported('rope_scaling "linear" needs a positive factor');
    return { type: 'linear', factor };
  }
  if (type === 'llama3') {
    const factor = num('factor');
    const low = num('low_freq_factor');
    const high = num('high_freq_factor');
    const orig = num('original_max_position_embeddings');
    if (factor === undefined || low === undefined || high === undefined || orig === undefined) throw unsupported('rope_scaling "llama3" needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings');
    return { type: 'llama3', factor, lowFreqFactor: low, highFreqFactor: high, originalMaxPositions: orig };
  }
  throw unsupported(`rope_scaling type ${JSON.stringify(type)} is not supported (supported: default, linear, llama3)`);
}

function activationOf(name: string | undefined, family: Family): Activation {
  if (name === undefined) return family === 'gpt2' ? 'gelu-tanh' : 'silu';
  switch (name) {
    case 'silu':
    case 'swish':
      return 'silu';
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      return 'gelu-tanh';
    case 'gelu':
      return 'gelu';
    default:
      throw unsupported(`hidden_act "${name}" is not supported (supported: silu, gelu, gelu_new, gelu_pytorch_tanh)`);
  }
}

/**
 * The runnable description of a model, or `unsupported_architecture` with the reason. Names are
 * found with or without the wrapper prefix ("model.", "transformer.").
 */
export function resolveModelSpec(manifest: ModelManifest): ModelSpec {
  const byName = new Map(manifest.tensors.map((t) => [t.name, t] as const));
  const config = modelConfigOf(manifest);
  const meta = ggufMetadataOf(manifest);
  const fromC = config ? fromConfig(config) : undefined;
  const fromG = meta ? fromGguf(meta) : undefined;
  let hyper: RawHyper | undefined = fromC ?? fromG;
  if (fromC && fromG) hyper = { ...fromG, ...stripUndefined(fromC), source: 'config.json + GGUF metadata' };
  if (hyper === undefined) hyper = sniffFamily(byName);
  if (hyper === undefined) throw unsupported('No config.json and no GGUF architecture metadata, and the tensor names match neither a Llama-family model nor GPT-2');
  return hyper.family === 'gpt2' ? gpt2Spec(hyper, byName) : llamaSpec(hyper, byName);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function sniffFamily(byName: ReadonlyMap<string, TensorEntry>): RawHyper | undefined {
  for (const n of byName.keys()) {
    if (/(^|\.)layers\.0\.self_attn\.q_proj\.weight$/.test(n)) return { family: 'llama', architecture: 'llama', source: 'tensor names' };
    if (/(^|\.)h\.0\.attn\.c_attn\.weight$/.test(n)) return { family: 'gpt2', architecture: 'gpt2', source: 'tensor names' };
  }
  return undefined;
}

function findPrefix(byName: ReadonlyMap<string, TensorEntry>, suffix: string, prefixes: readonly string[]): string | undefined {
  return prefixes.find((p) => byName.has(p + suffix));
}

function need(byName: ReadonlyMap<string, TensorEntry>, name: string): TensorEntry {
  const t = byName.get(name);
  if (t === undefined) throw unsupported(`The model has no tensor "${name}", which the forward pass needs`);
  return t;
}

function checkShape(t: TensorEntry, expected: readonly number[], what: string): void {
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw unsupported(`${t.name} has shape [${t.shape.join(', ')}]; the configuration implies [${expected.join(', ')}] for ${what}`);
  }
}

function matrix(byName: ReadonlyMap<string, TensorEntry>, name: string, rows: number, cols: number, what: string): ComputeWeight {
  checkShape(need(byName, name), [rows, cols], what);
  return { key: name, tensor: name, rows, cols, transpose: false };
}

function vector(byName: ReadonlyMap<string, TensorEntry>, name: string, n: number, what: string): ComputeWeight {
  checkShape(need(byName, name), [n], what);
  return { key: name, tensor: name, rows: 1, cols: n, transpose: false };
}

function optionalVector(byName: ReadonlyMap<string, TensorEntry>, name: string, n: number, what: string): ComputeWeight | undefined {
  return byName.has(name) ? vector(byName, name, n, what) : undefined;
}

function positive(v: number | undefined, what: string): number {
  if (v === undefined || !Number.isInteger(v) || v <= 0) throw unsupported(`The model's ${what} is missing or not a positive integer`);
  return v;
}

function llamaSpec(h: RawHyper, byName: ReadonlyMap<string, TensorEntry>): ModelSpec {
  const pre = findPrefix(byName, 'embed_tokens.weight', ['model.', '', 'model.language_model.', 'language_model.model.']);
  if (pre === undefined) throw unsupported('No embed_tokens.weight tensor: not a Llama-family checkpoint the activation engine can run');
  const embedEntry = need(byName, `${pre}embed_tokens.weight`);
  const [vocabRows, hiddenCols] = embedEntry.shape;
  const hidden = positive(h.hidden ?? hiddenCols, 'hidden size');
  const vocab = positive(h.vocab ?? vocabRows, 'vocabulary size');
  let layers = h.layers;
  if (layers === undefined) {
    layers = 0;
    while (byName.has(`${pre}layers.${layers}.self_attn.q_proj.weight`)) layers++;
  }
  layers = positive(layers, 'layer count');
  const heads = positive(h.heads, 'attention head count (num_attention_heads)');
  const kvHeads = positive(h.kvHeads ?? heads, 'key-value head count');
  const headDim = positive(h.headDim ?? hidden / heads, 'head dimension');
  if (heads % kvHeads !== 0) throw unsupported(`${heads} attention heads do not split into ${kvHeads} key-value groups`);
  const intermediate = positive(h.intermediate ?? need(byName, `${pre}layers.0.mlp.up_proj.weight`).shape[0], 'intermediate size');
  const rotaryDim = h.rotaryDim ?? Math.round(headDim * (h.partialRotary ?? 1));
  if (rotaryDim % 2 !== 0 || rotaryDim > headDim || rotaryDim <= 0) throw unsupported(`A rotary dimension of ${rotaryDim} does not fit heads of ${headDim}`);
  checkShape(embedEntry, [vocab, hidden], 'the token embedding');
  const qDim = heads * headDim;
  const kvDim = kvHeads * headDim;
  const layerWeights: LayerWeights[] = [];
  for (let l = 0; l < layers; l++) {
    const p = `${pre}layers.${l}.`;
    const lw: LayerWeights = {
      attnNorm: vector(byName, `${p}input_layernorm.weight`, hidden, 'input_layernorm'),
      q: matrix(byName, `${p}self_attn.q_proj.weight`, qDim, hidden, 'q_proj'),
      k: matrix(byName, `${p}self_attn.k_proj.weight`, kvDim, hidden, 'k_proj'),
      v: matrix(byName, `${p}self_attn.v_proj.weight`, kvDim, hidden, 'v_proj'),
      o: matrix(byName, `${p}self_attn.o_proj.weight`, hidden, qDim, 'o_proj'),
      mlpNorm: vector(byName, `${p}post_attention_layernorm.weight`, hidden, 'post_attention_layernorm'),
      gate: matrix(byName, `${p}mlp.gate_proj.weight`, intermediate, hidden, 'gate_proj'),
      up: matrix(byName, `${p}mlp.up_proj.weight`, intermediate, hidden, 'up_proj'),
      down: matrix(byName, `${p}mlp.down_proj.weight`, hidden, intermediate, 'down_proj'),
    };
    const opt = (k: keyof LayerWeights, name: string, n: number): void => {
      const w = optionalVector(byName, `${p}${name}`, n, name);
      if (w) lw[k] = w;
    };
    opt('qBias', 'self_attn.q_proj.bias', qDim);
    opt('kBias', 'self_attn.k_proj.bias', kvDim);
    opt('vBias', 'self_attn.v_proj.bias', kvDim);
    opt('oBias', 'self_attn.o_proj.bias', hidden);
    opt('gateBias', 'mlp.gate_proj.bias', intermediate);
    opt('upBias', 'mlp.up_proj.bias', intermediate);
    opt('downBias', 'mlp.down_proj.bias', hidden);
    if (byName.has(`${p}self_attn.q_norm.weight`)) throw unsupported('Per-head q/k norms (Qwen3, OLMo 2) are not supported');
    layerWeights.push(lw);
  }
  if (byName.has(`${pre}layers.${layers}.self_attn.q_proj.weight`)) throw unsupported(`The configuration says ${layers} layers but the checkpoint has more`);
  // Tied when the checkpoint has no head (a tied checkpoint that still carries a copy uses it as stored).
  const tied = !byName.has('lm_head.weight');
  const embed: ComputeWeight = { key: embedEntry.name, tensor: embedEntry.name, rows: vocab, cols: hidden, transpose: false };
  const unembed = tied ? embed : matrix(byName, 'lm_head.weight', vocab, hidden, 'lm_head');
  const rope: RopeSpec = { theta: h.ropeTheta ?? 10000, rotaryDim };
  const scaling = parseScaling(h.ropeScaling);
  if (scaling) rope.scaling = scaling;
  const spec: ModelSpec = {
    family: 'llama',
    architecture: h.architecture,
    vocab,
    hidden,
    layers,
    heads,
    kvHeads,
    headDim,
    intermediate,
    norm: 'rms',
    normEps: h.normEps ?? 1e-6,
    activation: activationOf(h.activation, 'llama'),
    rope,
    maxPositions: h.maxPositions ?? 2048,
    tiedEmbeddings: tied,
    embed,
    finalNorm: vector(byName, `${pre}norm.weight`, hidden, 'the final norm'),
    unembed,
    layerWeights,
    source: h.source,
  };
  if (h.slidingWindow !== undefined) spec.slidingWindow = h.slidingWindow;
  return spec;
}

function gpt2Spec(h: RawHyper, byName: ReadonlyMap<string, TensorEntry>): ModelSpec {
  const pre = findPrefix(byName, 'wte.weight', ['transformer.', '']);
  if (pre === undefined) throw unsupported('No wte.weight tensor: not a GPT-2 checkpoint the activation engine can run');
  const wte = need(byName, `${pre}wte.weight`);
  const wpe = need(byName, `${pre}wpe.weight`);
  const [vocabRows, hiddenCols] = wte.shape;
  const hidden = positive(h.hidden ?? hiddenCols, 'hidden size (n_embd)');
  const vocab = positive(h.vocab ?? vocabRows, 'vocabulary size');
  let layers = h.layers;
  if (layers === undefined) {
    layers = 0;
    while (byName.has(`${pre}h.${layers}.attn.c_attn.weight`)) layers++;
  }
  layers = positive(layers, 'layer count (n_layer)');
  const heads = positive(h.heads, 'head count (n_head)');
  if (hidden % heads !== 0) throw unsupported(`n_embd ${hidden} does not split into ${heads} heads`);
  const headDim = hidden / heads;
  const intermediate = positive(h.intermediate ?? 4 * hidden, 'inner size (n_inner)');
  const maxPositions = positive(h.maxPositions ?? wpe.shape[0], 'position count (n_positions)');
  checkShape(wte, [vocab, hidden], 'wte');
  checkShape(wpe, [maxPositions, hidden], 'wpe');
  /**
   * HF GPT-2 stores Conv1D weights as [in, out]; llama.cpp's converter stores them as [out, in]
   * (`transform.transposed` on the manifest entry). Either way the computation wants [out, in].
   */
  const conv = (name: string, inDim: number, outDim: number, what: string, parts?: number): ComputeWeight[] => {
    const t = need(byName, name);
    const stored = t.transform?.transposed === true ? [outDim, inDim] : [inDim, outDim];
    checkShape(t, stored, what);
    const transpose = t.transform?.transposed !== true;
    if (parts === undefined) return [{ key: name, tensor: name, rows: outDim, cols: inDim, transpose }];
    return Array.from({ length: parts }, (_, i) => ({ key: `${name}#${'qkv'[i] ?? i}`, tensor: name, rows: outDim / parts, cols: inDim, transpose, part: { index: i, of: parts } }));
  };
  const biasParts = (name: string, n: number, parts: number): ComputeWeight[] => {
    checkShape(need(byName, name), [n], name);
    return Array.from({ length: parts }, (_, i) => ({ key: `${name}#${'qkv'[i] ?? i}`, tensor: name, rows: 1, cols: n / parts, transpose: false, part: { index: i, of: parts } }));
  };
  const layerWeights: LayerWeights[] = [];
  for (let l = 0; l < layers; l++) {
    const p = `${pre}h.${l}.`;
    const [q, k, v] = conv(`${p}attn.c_attn.weight`, hidden, 3 * hidden, 'attn.c_attn', 3) as [ComputeWeight, ComputeWeight, ComputeWeight];
    const [qb, kb, vb] = biasParts(`${p}attn.c_attn.bias`, 3 * hidden, 3) as [ComputeWeight, ComputeWeight, ComputeWeight];
    const [o] = conv(`${p}attn.c_proj.weight`, hidden, hidden, 'attn.c_proj') as [ComputeWeight];
    const [up] = conv(`${p}mlp.c_fc.weight`, hidden, intermediate, 'mlp.c_fc') as [ComputeWeight];
    const [down] = conv(`${p}mlp.c_proj.weight`, intermediate, hidden, 'mlp.c_proj') as [ComputeWeight];
    layerWeights.push({
      attnNorm: vector(byName, `${p}ln_1.weight`, hidden, 'ln_1'),
      attnNormBias: vector(byName, `${p}ln_1.bias`, hidden, 'ln_1'),
      q,
      k,
      v,
      qBias: qb,
      kBias: kb,
      vBias: vb,
      o,
      oBias: vector(byName, `${p}attn.c_proj.bias`, hidden, 'attn.c_proj'),
      mlpNorm: vector(byName, `${p}ln_2.weight`, hidden, 'ln_2'),
      mlpNormBias: vector(byName, `${p}ln_2.bias`, hidden, 'ln_2'),
      up,
      upBias: vector(byName, `${p}mlp.c_fc.bias`, intermediate, 'mlp.c_fc'),
      down,
      downBias: vector(byName, `${p}mlp.c_proj.bias`, hidden, 'mlp.c_proj'),
    });
  }
  const embed: ComputeWeight = { key: wte.name, tensor: wte.name, rows: vocab, cols: hidden, transpose: false };
  // GPT-2 ties lm_head to wte; a converter's separate copy (GGUF output.weight) is used when present.
  const head = byName.get('lm_head.weight');
  const tied = head === undefined;
  const unembed = tied ? embed : matrix(byName, 'lm_head.weight', vocab, hidden, 'lm_head');
  return {
    family: 'gpt2',
    architecture: 'gpt2',
    vocab,
    hidden,
    layers,
    heads,
    kvHeads: heads,
    headDim,
    intermediate,
    norm: 'layer',
    normEps: h.normEps ?? 1e-5,
    activation: activationOf(h.activation, 'gpt2'),
    maxPositions,
    tiedEmbeddings: tied,
    embed,
    positions: { key: wpe.name, tensor: wpe.name, rows: maxPositions, cols: hidden, transpose: false },
    finalNorm: vector(byName, `${pre}ln_f.weight`, hidden, 'ln_f'),
    finalNormBias: vector(byName, `${pre}ln_f.bias`, hidden, 'ln_f'),
    unembed,
    layerWeights,
    source: h.source,
  };
}

/** Both models must line up token for token and layer for layer. */
export function checkCompatible(a: ModelSpec, b: ModelSpec): void {
  const diffs: string[] = [];
  for (const k of ['family', 'vocab', 'hidden', 'layers', 'heads', 'kvHeads', 'headDim', 'intermediate'] as const) {
    if (a[k] !== b[k]) diffs.push(`${k} ${String(a[k])} vs ${String(b[k])}`);
  }
  if (diffs.length > 0) throw new SleuthError('models_incompatible', `The two models cannot be run side by side: ${diffs.join(', ')}`);
}
