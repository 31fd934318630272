/**
 * generation_config.json (transformers GenerationConfig): the token ids that start and stop
 * generation and the sampling defaults. Token-id fields may be an integer or a list of integers
 * (Llama 3 lists several eos ids); both read as a list here. The whole object stays as `raw`.
 */
import type { JsonObject } from '../strict-json.ts';
import { MAX_TOKEN_ID } from './limits.ts';
import { describeJsonType, isTokenId, optBoolean, optNumber, readHfJson, type HfReadResult, type WarningSink } from './read-json.ts';

export interface GenerationConfig {
  bosTokenId: number[] | undefined;
  eosTokenId: number[] | undefined;
  padTokenId: number[] | undefined;
  doSample: boolean | undefined;
  temperature: number | undefined;
  topP: number | undefined;
  topK: number | undefined;
  maxLength: number | undefined;
  maxNewTokens: number | undefined;
  repetitionPenalty: number | undefined;
  raw: JsonObject;
}

function tokenIds(obj: JsonObject, key: string, warn: WarningSink): number[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (isTokenId(v, MAX_TOKEN_ID)) return [v];
  if (Array.isArray(v) && v.length <= 4096 && v.every((x) => isTokenId(x, MAX_TOKEN_ID))) return v.filter((x): x is number => typeof x === 'number');
  warn.add('hf_bad_field', `${key} is ${describeJsonType(v)}; expected a token id or a list of token ids`);
  return undefined;
}

export function readGenerationConfig(text: string, file?: string): HfReadResult<GenerationConfig> {
  return readHfJson(text, file, (root, warn) => ({
    bosTokenId: tokenIds(root, 'bos_token_id', warn),
    eosTokenId: tokenIds(root, 'eos_token_id', warn),
    padTokenId: tokenIds(root, 'pad_token_id', warn),
    doSample: optBoolean(root, 'do_sample'),
    temperature: optNumber(root, 'temperature'),
    topP: optNumber(root, 'top_p'),
    topK: optNumber(root, 'top_k'),
    maxLength: optNumber(root, 'max_length'),
    maxNewTokens: optNumber(root, 'max_new_tokens'),
    repetitionPenalty: optNumber(root, 'repetition_penalty'),
    raw: root,
  }));
}
