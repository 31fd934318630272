/**
 * adapter_config.json of PEFT (peft/tuners/lora/config.py `LoraConfig`, saved by `save_pretrained`)
 * and of mlx-lm (mlx_lm/lora.py writes the training arguments: `lora_parameters`, `num_layers` or
 * the older `lora_layers`, `fine_tune_type` or the older `use_dora`).
 *
 * Read as data only: `target_modules` given as a regular expression is reported, never compiled
 * (a pattern from a hostile file is a ReDoS vector, CWE-1333); `rank_pattern`/`alpha_pattern` keys
 * are matched as literal module-name suffixes, which is what PEFT's `get_pattern_key` does for the
 * keys its own tools write (`q_proj`, `model.layers.0.self_attn.q_proj`).
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../strict-json.ts';
import type { AdapterConfigSummary } from './types.ts';

/** Longest string kept from a config (names, regexes); the rest is cut with a note. */
export const MAX_CONFIG_STRING = 1000;
/** Entries kept from a config list or pattern map (a real config lists a handful of modules). */
export const MAX_CONFIG_ENTRIES = 10_000;

export type ConfigKind = 'peft' | 'mlx' | 'unknown';

/** Which tool wrote a config, from the keys only it writes. */
export function configKind(root: JsonValue): ConfigKind {
  if (!isJsonObject(root)) return 'unknown';
  if (typeof root['peft_type'] === 'string') return 'peft';
  if ('lora_parameters' in root || 'fine_tune_type' in root || 'lora_layers' in root || ('num_layers' in root && 'adapter_path' in root)) return 'mlx';
  return 'unknown';
}

export function parseAdapterConfig(root: JsonValue, file: string, notes: string[]): { kind: ConfigKind; summary: AdapterConfigSummary } {
  const kind = configKind(root);
  const obj: JsonObject = isJsonObject(root) ? root : {};
  const summary: AdapterConfigSummary = { file, type: 'unknown', useRslora: false, useDora: false, fanInFanOut: false, rankPattern: {}, alphaPattern: {} };
  if (kind === 'peft') {
    summary.type = str(obj['peft_type']) ?? 'unknown';
    setNum(summary, 'rank', posInt(obj['r']));
    setNum(summary, 'alpha', finite(obj['lora_alpha']));
    summary.useRslora = obj['use_rslora'] === true;
    summary.useDora = obj['use_dora'] === true;
    summary.fanInFanOut = obj['fan_in_fan_out'] === true;
    const tm = obj['target_modules'];
    if (typeof tm === 'string') summary.targetModulesRegex = clipped(tm, notes, 'target_modules');
    else {
      const list = strList(tm);
      if (list) summary.targetModules = list;
    }
    const layers = obj['layers_to_transform'];
    if (typeof layers === 'number' && Number.isInteger(layers)) summary.layersToTransform = [layers];
    else {
      const list = intList(layers);
      if (list) summary.layersToTransform = list;
    }
    summary.rankPattern = numberMap(obj['rank_pattern']);
    summary.alphaPattern = numberMap(obj['alpha_pattern']);
    const base = str(obj['base_model_name_or_path']);
    if (base !== undefined) summary.baseModel = clipped(base, notes, 'base_model_name_or_path');
    const save = strList(obj['modules_to_save']);
    if (save) summary.modulesToSave = [...new Set(save)];
  } else if (kind === 'mlx') {
    const fineTune = str(obj['fine_tune_type']);
    summary.useDora = obj['use_dora'] === true || fineTune === 'dora';
    summary.type = fineTune ?? (summary.useDora ? 'dora' : 'lora');
    const params = isJsonObject(obj['lora_parameters']) ? obj['lora_parameters'] : {};
    setNum(summary, 'rank', posInt(params['rank']));
    setNum(summary, 'alpha', finite(params['alpha']));
    setNum(summary, 'mlxScale', finite(params['scale']));
    const keys = strList(params['keys']);
    if (keys) summary.targetModules = keys;
    setNum(summary, 'numLayers', posInt(obj['num_layers']) ?? posInt(obj['lora_layers']));
    const model = str(obj['model']);
    if (model !== undefined) summary.baseModel = clipped(model, notes, 'model');
  }
  return { kind, summary };
}

/** PEFT `get_pattern_key`, literal form: a key matches the module itself or a dotted suffix of it. */
export function patternValue(pattern: Record<string, number>, module: string): number | undefined {
  let best: { key: string; value: number } | undefined;
  for (const [key, value] of Object.entries(pattern)) {
    if (module === key || module.endsWith(`.${key}`)) {
      // The longest (most specific) key wins when several match.
      if (!best || key.length > best.key.length) best = { key, value };
    }
  }
  return best?.value;
}

/** PEFT's list form of target_modules: a module is targeted when its name ends with ".<entry>" (or is it). */
export function isTargetedModule(list: readonly string[], module: string): boolean {
  return list.some((t) => module === t || module.endsWith(`.${t}`));
}

/** The transformer layer a module belongs to (model.layers.N…, h.N…, blocks.N…), if any. */
export function layerOf(module: string): number | undefined {
  const m = /(?:^|\.)(?:layers|layer|h|blocks|block|decoder\.layers|encoder\.layers)\.(\d{1,6})(?:\.|$)/.exec(module);
  return m ? Number(m[1]) : undefined;
}

// ── JSON helpers ─────────────────────────────────────────────────────────────

function setNum<K extends 'rank' | 'alpha' | 'mlxScale' | 'numLayers'>(s: AdapterConfigSummary, key: K, v: number | undefined): void {
  if (v !== undefined) s[key] = v;
}

function str(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function finite(v: JsonValue | undefined): number | undefined {
  if (typeof v === 'bigint') return Number(v);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function posInt(v: JsonValue | undefined): number | undefined {
  const n = finite(v);
  return n !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

function clipped(s: string, notes: string[], key: string): string {
  if (s.length <= MAX_CONFIG_STRING) return s;
  notes.push(`adapter_config.json: "${key}" is ${s.length} characters long; only the first ${MAX_CONFIG_STRING} are kept`);
  return s.slice(0, MAX_CONFIG_STRING);
}

function strList(v: JsonValue | undefined): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v
    .slice(0, MAX_CONFIG_ENTRIES)
    .filter((x): x is string => typeof x === 'string')
    .map((x) => x.slice(0, MAX_CONFIG_STRING));
}

function intList(v: JsonValue | undefined): number[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: number[] = [];
  for (const x of v.slice(0, MAX_CONFIG_ENTRIES)) {
    const n = finite(x);
    if (n !== undefined && Number.isInteger(n)) out.push(n);
  }
  return out;
}

function numberMap(v: JsonValue | undefined): Record<string, number> {
  // No prototype: a key such as "__proto__" from the file stays an ordinary entry.
  const out = Object.create(null) as Record<string, number>;
  if (!isJsonObject(v)) return out;
  for (const [k, x] of Object.entries(v).slice(0, MAX_CONFIG_ENTRIES)) {
    const n = finite(x);
    if (n !== undefined) out[k.slice(0, MAX_CONFIG_STRING)] = n;
  }
  return out;
}
