/**
 * From the files of an adapter (a folder or a single file: adapter_config.json + adapter_model.* of
 * PEFT, adapter_config.json + adapters.safetensors of mlx-lm, a bare LoRA .safetensors) to an
 * AdapterManifest: its factor pairs, the base tensors they modify, and each pair's scale.
 *
 * Headers and the small config only; nothing here reads factor values (the audit job does).
 * Nothing the files say is a reason to throw: unknown adapter types, DoRA, unpaired tensors and
 * undeclared scales become notes, and the manifest says whether the residual test applies.
 */
import { decodeUtf8Strict } from '../bytes.ts';
import { SleuthError, toErrorInfo } from '../errors.ts';
import { MAX_SIDECAR_BYTES } from '../limits.ts';
import type { ModelFile } from '../manifest.ts';
import { loadModel, roleOf } from '../model-loader.ts';
import { parseStrictJson } from '../strict-json.ts';
import type { ByteSource } from '../../io/byte-source.ts';
import { isTargetedModule, layerOf, parseAdapterConfig, patternValue, type ConfigKind } from './adapter-config.ts';
import { listNames, pairAdapterTensors } from './adapter-names.ts';
import type { AdapterConfigSummary, AdapterFormat, AdapterManifest, AdapterPair } from './types.ts';

/** PEFT `LoraConfig` defaults (peft/tuners/lora/config.py), used when a PEFT config omits a field. */
const PEFT_DEFAULT_R = 8;
const PEFT_DEFAULT_ALPHA = 8;

const baseName = (path: string): string => (path.split('/').pop() ?? path).toLowerCase();

/** adapter_config.json, also under a prefixed name ("mlx-lora-adapter_config.json" in a collection). */
export function isAdapterConfigPath(path: string): boolean {
  return baseName(path).endsWith('adapter_config.json');
}

const WEIGHT_FILE = /\.(safetensors|bin|pt|pth|ckpt|npz|gguf)$/;

export async function loadAdapter(label: string, sources: readonly ByteSource[]): Promise<AdapterManifest> {
  const notes: string[] = [];
  const sorted = [...sources].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const configs = sorted.filter((s) => isAdapterConfigPath(s.path));
  // adapter_model.* / adapters.* when present; otherwise every weight file (a LoRA saved under another name).
  const named = sorted.filter((s) => roleOf(s.path) === 'adapter-weights');
  const weights = named.length > 0 ? named : sorted.filter((s) => !isAdapterConfigPath(s.path) && WEIGHT_FILE.test(baseName(s.path)));
  const ignored = sorted.filter((s) => !configs.includes(s) && !weights.includes(s));
  if (ignored.length) notes.push(`Not part of the adapter, ignored: ${listNames(ignored.map((s) => s.path))}`);

  const model = await loadModel(label, weights);
  const files: ModelFile[] = [...model.files];
  const problems = [...model.problems];
  for (const s of [...configs, ...ignored]) {
    files.push({ path: s.path, size: s.size, format: configs.includes(s) ? 'json' : 'unknown', role: configs.includes(s) ? 'adapter-config' : roleOf(s.path), ...(s.lastModified === undefined ? {} : { lastModified: s.lastModified }) });
  }
  files.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));

  // ── config ───────────────────────────────────────────────────────────────
  let kind: ConfigKind = 'unknown';
  let config: AdapterConfigSummary | undefined;
  for (const source of configs) {
    try {
      const parsed = parseAdapterConfig(parseStrictJson(await readText(source), { file: source.path }), source.path, notes);
      if (config) {
        notes.push(`More than one adapter config; ${config.file} is used, ${source.path} is ignored`);
        continue;
      }
      kind = parsed.kind;
      config = parsed.summary;
      if (kind === 'unknown') notes.push(`${source.path} is neither a PEFT nor an mlx-lm adapter config (no "peft_type", no "lora_parameters")`);
    } catch (e) {
      problems.push(toErrorInfo(e, source.path));
    }
  }

  // ── factor pairs ─────────────────────────────────────────────────────────
  const pairing = pairAdapterTensors(model.tensors, { fanInFanOut: config?.fanInFanOut === true });
  notes.push(...pairing.notes);
  const format: AdapterFormat =
    kind === 'peft' || pairing.namings.has('peft') || pairing.namings.has('peft-embedding')
      ? 'peft'
      : kind === 'mlx' || pairing.namings.has('mlx')
        ? 'mlx'
        : pairing.namings.has('indexed')
          ? 'cloneofsimo'
          : pairing.namings.has('kohya-alpha') || pairing.pairs.some((p) => p.module.startsWith('lora_'))
            ? 'kohya'
            : pairing.namings.has('up-down')
              ? 'diffusers'
              : 'unknown';

  let type = config?.type ?? (pairing.pairs.length > 0 ? 'LORA' : 'unknown');
  let supported = pairing.pairs.length > 0;
  if (config && kind === 'peft' && config.type !== 'LORA') {
    supported = false;
    notes.push(`Unknown adapter type: PEFT "${config.type}" is not a LoRA, so its change to the weights is not a product B·A; the residual test does not apply (its tensors are listed, nothing is audited)`);
  } else if (config && kind === 'mlx' && config.type !== 'lora') {
    supported = false;
    notes.push(`mlx-lm fine_tune_type "${config.type}" is not a plain LoRA; the residual test does not apply`);
  }
  if (config?.useDora || pairing.namings.has('dora-magnitude')) {
    supported = false;
    type = kind === 'mlx' ? 'dora' : `${type} (DoRA)`;
    notes.push('DoRA adapter: the merge rescales every column by a learned magnitude (W′ = m · (W + s·B·A) / ‖W + s·B·A‖), so the change is not s·B·A; the residual test does not apply');
  }
  if (pairing.pairs.length === 0 && model.tensors.length > 0) {
    notes.push(`No LoRA factor pairs among the ${model.tensors.length} adapter tensor${model.tensors.length === 1 ? '' : 's'} (${listNames(model.tensors.map((t) => t.name))})`);
  } else if (pairing.other.length > 0) {
    const saved = pairing.other.filter((t) => !/\.lora_magnitude_vector/.test(t.name));
    if (saved.length) notes.push(`${saved.length} adapter tensor${saved.length === 1 ? ' is' : 's are'} not LoRA factors (whole modules saved with the adapter, such as classifier heads; not audited): ${listNames(saved.map((t) => t.name))}`);
  }
  if (model.tensors.length === 0 && problems.length === 0) notes.push('No adapter weights were found among the files given');
  if (format === 'cloneofsimo') notes.push('cloneofsimo/lora format: factor pairs are indexed by injection order (text_encoder:N, unet:N), not by module name, so they cannot be matched to base tensors');

  for (const p of pairing.pairs) assignScale(p, kind, config, notes);
  if (config && kind !== 'unknown') checkConsistency(pairing.pairs, config, notes);

  const manifest: AdapterManifest = { label, files, format, type, supported, pairs: pairing.pairs, notes: dedupe(notes), problems, notices: model.notices };
  if (config) manifest.config = config;
  return manifest;
}

/** PEFT: lora_alpha / r (or / √r with use_rslora), per-module patterns first; mlx-lm: lora_parameters.scale. */
function assignScale(p: AdapterPair, kind: ConfigKind, config: AdapterConfigSummary | undefined, notes: string[]): void {
  if (kind === 'peft' && config) {
    const declaredRank = patternValue(config.rankPattern, p.module) ?? config.rank;
    const alpha = patternValue(config.alphaPattern, p.module) ?? config.alpha;
    const r = declaredRank ?? PEFT_DEFAULT_R;
    const a = alpha ?? PEFT_DEFAULT_ALPHA;
    if (declaredRank !== undefined) p.declaredRank = declaredRank;
    if (alpha === undefined) notes.push(`The PEFT config has no lora_alpha; PEFT's default ${PEFT_DEFAULT_ALPHA} is assumed`);
    if (declaredRank === undefined) notes.push(`The PEFT config has no r; PEFT's default ${PEFT_DEFAULT_R} is assumed`);
    if (r !== p.rank) notes.push(`${p.module}: the config declares r = ${r} but its factors have rank ${p.rank} (PEFT would refuse to load this adapter); the declared r is used for the scale`);
    p.alpha = a;
    p.scale = config.useRslora ? a / Math.sqrt(r) : a / r;
    p.scaleRule = config.useRslora ? `lora_alpha / √r = ${a} / √${r} (rsLoRA)` : `lora_alpha / r = ${a} / ${r}`;
    // The other convention is what a merge script that ignored (or wrongly applied) use_rslora produces.
    p.alternatives = [config.useRslora ? { scale: a / r, rule: `lora_alpha / r = ${a} / ${r} (without rsLoRA)` } : { scale: a / Math.sqrt(r), rule: `lora_alpha / √r = ${a} / √${r} (rsLoRA)` }];
    return;
  }
  if (kind === 'mlx' && config) {
    if (config.mlxScale !== undefined) {
      // mlx-lm multiplies by lora_parameters.scale as is (mlx_lm/tuner/lora.py LoRALinear: self.scale = scale);
      // some forks multiply by scale · alpha / rank instead.
      p.scale = config.mlxScale;
      p.scaleRule = `lora_parameters.scale = ${config.mlxScale} (mlx-lm uses it as is)`;
      if (config.alpha !== undefined) p.alternatives = [{ scale: (config.mlxScale * config.alpha) / p.rank, rule: `scale · alpha / rank = ${config.mlxScale} · ${config.alpha} / ${p.rank} (mlx-lm forks)` }];
      if (config.alpha !== undefined) p.alpha = config.alpha;
    } else {
      p.scaleRule = 'not declared (lora_parameters.scale missing): fitted';
    }
    return;
  }
  if (p.naming === 'up-down' && p.alphaTensor) {
    p.scaleRule = `alpha / r (alpha read from ${p.alphaTensor.name})`;
    return;
  }
  if (p.naming === 'up-down') {
    // kohya-ss: a network saved without .alpha tensors used alpha = rank, i.e. scale 1.
    p.scale = 1;
    p.scaleRule = 'alpha = rank (no alpha tensor): 1';
    return;
  }
  p.scaleRule = 'not declared (no adapter_config.json): fitted';
}

/** Pairs the config does not announce, and announced modules without pairs. */
function checkConsistency(pairs: readonly AdapterPair[], config: AdapterConfigSummary, notes: string[]): void {
  if (config.targetModules && config.targetModules.length > 0) {
    const list = config.targetModules;
    const stray = pairs.filter((p) => p.naming !== 'indexed' && !isTargetedModule(list, p.module)).map((p) => p.module);
    if (stray.length) notes.push(`${stray.length} factor pair${stray.length === 1 ? '' : 's'} modify modules the config's target_modules (${list.join(', ')}) does not name: ${listNames(stray)}`);
  } else if (config.targetModulesRegex !== undefined) {
    notes.push('target_modules is a regular expression; it is reported but not evaluated (a pattern from a file is not run)');
  }
  if (config.layersToTransform && config.layersToTransform.length > 0) {
    const allowed = new Set(config.layersToTransform);
    const stray = pairs.filter((p) => {
      const l = layerOf(p.module);
      return l !== undefined && !allowed.has(l);
    });
    if (stray.length) notes.push(`${stray.length} factor pair${stray.length === 1 ? '' : 's'} sit in layers outside layers_to_transform [${config.layersToTransform.join(', ')}]: ${listNames(stray.map((p) => p.module))}`);
  }
}

async function readText(source: ByteSource): Promise<string> {
  if (source.size > MAX_SIDECAR_BYTES) {
    throw new SleuthError('json_too_large', `${source.path} is ${source.size} bytes; expected at most ${MAX_SIDECAR_BYTES} for an adapter config`, { offset: 0, file: source.path });
  }
  const text = decodeUtf8Strict(await source.read(0, source.size));
  if (text === undefined) throw new SleuthError('json_not_utf8', `${source.path} is not valid UTF-8`, { offset: 0, file: source.path });
  return text;
}

function dedupe(notes: readonly string[]): string[] {
  return [...new Set(notes)];
}
