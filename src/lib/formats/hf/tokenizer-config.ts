/**
 * tokenizer_config.json, special_tokens_map.json, added_tokens.json and chat_template.json
 * (transformers/tokenization_utils_base.py `from_pretrained` / `save_pretrained`).
 *
 * - `chat_template` is a string, or a list of {name, template} (named templates: "default",
 *   "tool_use", "rag" …). Templates are Jinja source and stay *text*: nothing here renders or
 *   evaluates them.
 * - Special tokens (bos_token, eos_token, pad_token, unk_token, …, and any other `*_token` key a
 *   processor adds) are a string, null, or an AddedToken dict {"content": …, "__type": "AddedToken"}.
 * - `added_tokens_decoder` maps an id (as a string key) to an AddedToken dict.
 * - `additional_special_tokens` is a list of the same; `extra_special_tokens` (transformers ≥ 4.47)
 *   maps a name to one.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../strict-json.ts';
import { HF_LIMITS, MAX_TOKEN_ID, type HfLimits } from './limits.ts';
import { checkCount, describeJsonType, readHfJson, without, type HfReadResult, type WarningSink } from './read-json.ts';
import { clipForMessage, readAddedToken, readVocabObject, type AddedToken, type Vocab } from './tokenizer-json.ts';

export interface ChatTemplate {
  /** "default" for a single string template. */
  name: string;
  template: string;
}

export interface SpecialTokens {
  /** `*_token` key → token content (null when explicitly null). */
  named: Map<string, string | null>;
  additional: string[];
  /** extra_special_tokens: name → content. */
  extra: Map<string, string>;
}

export interface TokenizerConfig {
  chatTemplates: ChatTemplate[];
  /** How `chat_template` was written. */
  chatTemplateForm: 'string' | 'list' | 'none';
  specialTokens: SpecialTokens;
  addedTokensDecoder: AddedToken[];
  /** Keys not interpreted above (model_max_length, add_bos_token, tokenizer_class, auto_map …). */
  other: JsonObject;
}

const SPECIAL_KEY = /_token$/;

function tokenContent(v: JsonValue | undefined): string | null | undefined {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (isJsonObject(v) && typeof v['content'] === 'string') return v['content'];
  return undefined;
}

/** Reads the special-token part of an object; returns the keys it interpreted. */
function readSpecialTokens(root: JsonObject, warn: WarningSink, file: string | undefined, limits: HfLimits): { tokens: SpecialTokens; used: string[] } {
  const named = new Map<string, string | null>();
  const used: string[] = [];
  for (const [key, value] of Object.entries(root)) {
    if (!SPECIAL_KEY.test(key)) continue;
    const content = tokenContent(value);
    if (content === undefined) continue; // add_bos_token: true and the like are not tokens
    named.set(key, content);
    used.push(key);
  }
  const additional: string[] = [];
  const rawAdditional = root['additional_special_tokens'];
  if (Array.isArray(rawAdditional)) {
    checkCount(rawAdditional.length, limits.maxAddedTokens, 'additional_special_tokens', file);
    rawAdditional.forEach((v, i) => {
      const c = tokenContent(v);
      if (typeof c === 'string') additional.push(c);
      else warn.add('hf_bad_field', `additional_special_tokens[${i}] is ${describeJsonType(v)}; expected a token`);
    });
    used.push('additional_special_tokens');
  } else if (rawAdditional !== undefined && rawAdditional !== null) {
    warn.add('hf_bad_field', `additional_special_tokens is ${describeJsonType(rawAdditional)}; expected a list`);
  }
  const extra = new Map<string, string>();
  const rawExtra = root['extra_special_tokens'];
  if (isJsonObject(rawExtra)) {
    const keys = Object.keys(rawExtra);
    checkCount(keys.length, limits.maxAddedTokens, 'extra_special_tokens', file);
    for (const k of keys) {
      const c = tokenContent(rawExtra[k]);
      if (typeof c === 'string') extra.set(k, c);
      else warn.add('hf_bad_field', `extra_special_tokens[${JSON.stringify(clipForMessage(k))}] is ${describeJsonType(rawExtra[k])}; expected a token`);
    }
    used.push('extra_special_tokens');
  }
  return { tokens: { named, additional, extra }, used };
}

/** `chat_template` as a string or a list of {name, template}; malformed entries become warnings. */
export function readChatTemplateValue(value: JsonValue | undefined, warn: WarningSink, file: string | undefined, limits: HfLimits = HF_LIMITS): { templates: ChatTemplate[]; form: TokenizerConfig['chatTemplateForm'] } {
  if (value === undefined || value === null) return { templates: [], form: 'none' };
  if (typeof value === 'string') return { templates: [{ name: 'default', template: value }], form: 'string' };
  if (!Array.isArray(value)) {
    warn.add('hf_bad_template', `chat_template is ${describeJsonType(value)}; expected a string or a list of {name, template}`);
    return { templates: [], form: 'none' };
  }
  checkCount(value.length, limits.maxChatTemplates, 'chat_template', file);
  const templates: ChatTemplate[] = [];
  const seen = new Set<string>();
  value.forEach((entry, i) => {
    const name = isJsonObject(entry) ? entry['name'] : undefined;
    const template = isJsonObject(entry) ? entry['template'] : undefined;
    if (typeof name !== 'string' || typeof template !== 'string') {
      warn.add('hf_bad_template', `chat_template[${i}] is not {name: string, template: string}`);
      return;
    }
    if (seen.has(name)) {
      warn.add('hf_bad_template', `chat_template[${i}] repeats the name ${JSON.stringify(clipForMessage(name))}; the first is used`);
      return;
    }
    seen.add(name);
    templates.push({ name, template });
  });
  return { templates, form: 'list' };
}

export function readTokenizerConfig(text: string, file?: string, limits: HfLimits = HF_LIMITS): HfReadResult<TokenizerConfig> {
  return readHfJson(text, file, (root, warn) => {
    const { templates, form } = readChatTemplateValue(root['chat_template'], warn, file, limits);
    const { tokens, used } = readSpecialTokens(root, warn, file, limits);
    const addedTokensDecoder: AddedToken[] = [];
    const rawDecoder = root['added_tokens_decoder'];
    if (isJsonObject(rawDecoder)) {
      const keys = Object.keys(rawDecoder);
      checkCount(keys.length, limits.maxAddedTokens, 'added_tokens_decoder', file);
      for (const key of keys) {
        const id = /^(0|[1-9]\d{0,9})$/.test(key) ? Number(key) : -1;
        if (id < 0 || id > MAX_TOKEN_ID) {
          warn.add('hf_bad_added_token', `added_tokens_decoder key ${JSON.stringify(clipForMessage(key))} is not a token id`);
          continue;
        }
        const t = readAddedToken(rawDecoder[key], id, warn, `added_tokens_decoder[${key}]`);
        if (t) addedTokensDecoder.push(t);
      }
    } else if (rawDecoder !== undefined && rawDecoder !== null) {
      warn.add('hf_bad_field', `added_tokens_decoder is ${describeJsonType(rawDecoder)}; expected an object`);
    }
    return {
      chatTemplates: templates,
      chatTemplateForm: form,
      specialTokens: tokens,
      addedTokensDecoder,
      other: without(root, ['chat_template', 'added_tokens_decoder', ...used]),
    };
  });
}

/** special_tokens_map.json: the special-token part only; other keys are kept in `other`. */
export function readSpecialTokensMap(text: string, file?: string, limits: HfLimits = HF_LIMITS): HfReadResult<{ specialTokens: SpecialTokens; other: JsonObject }> {
  return readHfJson(text, file, (root, warn) => {
    const { tokens, used } = readSpecialTokens(root, warn, file, limits);
    return { specialTokens: tokens, other: without(root, used) };
  });
}

/** added_tokens.json: token → id of tokens added on top of the model vocabulary. */
export function readAddedTokensJson(text: string, file?: string): HfReadResult<Vocab> {
  return readHfJson(text, file, (root, warn) => readVocabObject(root, warn, 'added_tokens.json', file));
}

/** chat_template.json (processors): {"chat_template": string | [{name, template}]}. */
export function readChatTemplateJson(text: string, file?: string): HfReadResult<{ chatTemplates: ChatTemplate[]; other: JsonObject }> {
  return readHfJson(text, file, (root, warn) => {
    const { templates } = readChatTemplateValue(root['chat_template'], warn, file);
    if (root['chat_template'] === undefined) warn.add('hf_bad_template', 'chat_template.json has no "chat_template" key');
    return { chatTemplates: templates, other: without(root, ['chat_template']) };
  });
}
