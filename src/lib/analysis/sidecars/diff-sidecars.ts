/**
 * The semantic layer over the files beside the weights: `diffSidecars(knownGood, suspect)` pairs
 * the sidecar files of two manifests and says, in words, what changed inside them — tokenizer
 * vocabulary, merges and special tokens, chat templates (with injection patterns), config and
 * generation settings graded by consequence — where a SHA-256 comparison can only say "differs".
 *
 * Pairing: by relative path, then (for the rest) by file name when the name is unique on both
 * sides (a model dropped from "llama/" against one from "llama-v2/").
 *
 * Outcomes per file:
 * - equal text → nothing;
 * - only on one side → an added/removed finding ('tampered'); chat-template files are compared as
 *   templates instead (a template moving between files is not a change);
 * - both parse → semantic findings; none at all → one `reserialized` info finding (formatting or
 *   key order only, effect 'none'), so the caller can stand down its byte-level finding;
 * - a side does not parse (bad JSON, duplicate key, over a cap) → a parse-error finding with the
 *   code and byte offset ('inconclusive'), and, since the bytes differ, a textual change finding
 *   with a line diff ('tampered');
 * - both sides carry the same unparsable text → one finding with effect 'none' (not a difference).
 * Structural warnings that only the suspect has (two tokens claiming one id …) → 'inconclusive'.
 */
import { readGenerationConfig } from '../../formats/hf/generation-config.ts';
import { readModelConfig } from '../../formats/hf/model-config.ts';
import { readHfJson, type HfProblem, type HfReadResult } from '../../formats/hf/read-json.ts';
import { readMergesTxt, readVocabJson, readVocabTxt } from '../../formats/hf/slow-tokenizer-files.ts';
import { readAddedTokensJson, readChatTemplateJson, readSpecialTokensMap, readTokenizerConfig, type TokenizerConfig } from '../../formats/hf/tokenizer-config.ts';
import { readTokenizerJson } from '../../formats/hf/tokenizer-json.ts';
import type { FileRole, ModelManifest, SidecarFile } from '../../formats/manifest.ts';
import type { JsonObject } from '../../formats/strict-json.ts';
import type { FindingKind } from '../../report/types.ts';
import { diffConfigObjects } from './config-diff.ts';
import { listWords, plural, quote } from './display.ts';
import { firstDifference, unifiedDiff } from './line-diff.ts';
import { diffTemplateSources, jinjaTemplateName, TEMPLATE_PRECEDENCE, type TemplateSource } from './template-diff.ts';
import { diffSpecialTokensMaps, diffTokenizerConfigs } from './tokenizer-config-diff.ts';
import { diffMerges, diffTokenizers, diffVocab, mergeFindings, vocabFindings } from './tokenizer-diff.ts';
import type { SidecarFinding } from './types.ts';

export type { SidecarEffect, SidecarFinding } from './types.ts';

/** Text larger than this is not line-diffed when it cannot be parsed (one-line 30 MB JSON). */
const MAX_TEXT_DIFF_CHARS = 1_000_000;

const ROLE_KIND: Record<FileRole, FindingKind> = {
  config: 'config-changed',
  'generation-config': 'config-changed',
  'adapter-config': 'config-changed',
  tokenizer: 'tokenizer-changed',
  'tokenizer-config': 'tokenizer-changed',
  'special-tokens': 'tokenizer-changed',
  'chat-template': 'chat-template-changed',
  code: 'code-changed',
  weights: 'file-hash-mismatch',
  index: 'file-hash-mismatch',
  'adapter-weights': 'file-hash-mismatch',
  other: 'config-changed',
};

type FileType =
  | 'tokenizer-json'
  | 'vocab-json'
  | 'merges-txt'
  | 'vocab-txt'
  | 'tokenizer-config'
  | 'special-tokens-map'
  | 'added-tokens'
  | 'chat-template-json'
  | 'jinja'
  | 'config'
  | 'generation-config'
  | 'adapter-config'
  | 'json'
  | 'text';

const baseName = (path: string): string => (path.split('/').pop() ?? path).toLowerCase();

function fileType(f: SidecarFile): FileType {
  const name = baseName(f.path);
  switch (name) {
    case 'tokenizer.json':
      return 'tokenizer-json';
    case 'vocab.json':
      return 'vocab-json';
    case 'merges.txt':
      return 'merges-txt';
    case 'vocab.txt':
      return 'vocab-txt';
    case 'tokenizer_config.json':
      return 'tokenizer-config';
    case 'special_tokens_map.json':
      return 'special-tokens-map';
    case 'added_tokens.json':
      return 'added-tokens';
    case 'chat_template.json':
      return 'chat-template-json';
    case 'config.json':
      return 'config';
    case 'generation_config.json':
      return 'generation-config';
    case 'adapter_config.json':
      return 'adapter-config';
    default:
      if (name.endsWith('.jinja')) return 'jinja';
      return name.endsWith('.json') ? 'json' : 'text';
  }
}

/** A parsed side as a closure: diffing needs both sides of one reader's type. */
interface Parsed {
  problem: HfProblem | undefined;
  warnings: HfProblem[];
  /** Semantic findings against the other side's parse of the same reader (both ok). */
  diff: ((other: Parsed, file: string) => SidecarFinding[]) | undefined;
  value: unknown;
}

function parser<T>(read: (text: string, file: string) => HfReadResult<T>, diff: (a: T, b: T, file: string) => SidecarFinding[]): (text: string, file: string) => Parsed {
  return (text, file) => {
    const r = read(text, file);
    if (!r.ok) return { problem: r.error, warnings: [], diff: undefined, value: undefined };
    const self: Parsed = {
      problem: undefined,
      warnings: r.warnings,
      value: r.value,
      // `other` came from the same parser (same file type), so its value is a T.
      diff: (other, f) => diff(r.value, other.value as T, f),
    };
    return self;
  };
}

const readJsonObject = (text: string, file: string): HfReadResult<JsonObject> => readHfJson(text, file, (root) => root);

const PARSERS: Partial<Record<FileType, (text: string, file: string) => Parsed>> = {
  'tokenizer-json': parser(readTokenizerJson, diffTokenizers),
  'vocab-json': parser(readVocabJson, (a, b, f) => vocabFindings(diffVocab(a, b), f, 'byte-level')),
  'merges-txt': parser(readMergesTxt, (a, b, f) => mergeFindings(diffMerges(a, b), f)),
  'vocab-txt': parser(readVocabTxt, (a, b, f) => vocabFindings(diffVocab(a, b), f, 'plain')),
  'tokenizer-config': parser(readTokenizerConfig, diffTokenizerConfigs),
  'special-tokens-map': parser(readSpecialTokensMap, diffSpecialTokensMaps),
  'added-tokens': parser(readAddedTokensJson, (a, b, f) => vocabFindings(diffVocab(a, b), f, 'plain', 'added tokens')),
  'chat-template-json': parser(readChatTemplateJson, (a, b, f) => diffConfigObjects(a.other, b.other, f, 'tokenizer-config')),
  config: parser(readModelConfig, (a, b, f) => diffConfigObjects(a.raw, b.raw, f, 'config')),
  'generation-config': parser(readGenerationConfig, (a, b, f) => diffConfigObjects(a.raw, b.raw, f, 'generation-config')),
  'adapter-config': parser(readJsonObject, (a, b, f) => diffConfigObjects(a, b, f, 'adapter-config')),
  json: parser(readJsonObject, (a, b, f) => diffConfigObjects(a, b, f, 'config')),
};

const sideWord = (side: 'knownGood' | 'suspect'): string => (side === 'knownGood' ? 'known-good' : 'suspect');

function parseErrorFinding(side: 'knownGood' | 'suspect', file: string, p: HfProblem): SidecarFinding {
  const at = p.offset === undefined ? '' : ` at byte ${p.offset}`;
  return {
    kind: 'parse-error',
    severity: 'high',
    file,
    message: `${file}: the ${sideWord(side)} copy could not be read (${p.code}${at}): ${p.message}`,
    details: { side, code: p.code, ...(p.offset === undefined ? {} : { offset: p.offset }), reason: p.message },
    effect: 'inconclusive',
  };
}

/** Bytes differ but the content could not be compared semantically: a line diff of the text. */
function textChangeFinding(role: FileRole, file: string, a: string, b: string, why: string): SidecarFinding {
  const first = firstDifference(a, b);
  const small = a.length <= MAX_TEXT_DIFF_CHARS && b.length <= MAX_TEXT_DIFF_CHARS;
  const d = small ? unifiedDiff(a, b, `known-good/${file}`, `suspect/${file}`) : undefined;
  const lines = d ? `${plural(d.added, 'line')} added, ${plural(d.removed, 'line')} removed` : `${a.length.toLocaleString('en-US')} → ${b.length.toLocaleString('en-US')} characters`;
  return {
    kind: ROLE_KIND[role],
    severity: role === 'config' || role === 'generation-config' ? 'medium' : 'high',
    file,
    message: `${file} differs (${why}): ${lines}${first ? `; first difference at line ${first.line}, column ${first.column}` : ''}`,
    details: {
      change: 'modified',
      semantic: false,
      ...(d ? { diff: d.unified, diffTruncated: d.truncated, linesAdded: d.added, linesRemoved: d.removed } : { diffOmitted: 'file too large for a text diff' }),
      ...(first ? { firstDifference: first } : {}),
    },
    effect: 'tampered',
  };
}

function warningFindings(file: string, a: readonly HfProblem[], b: readonly HfProblem[]): SidecarFinding[] {
  const known = new Set(a.map((w) => `${w.code}\u0000${w.message}`));
  const fresh = b.filter((w) => !known.has(`${w.code}\u0000${w.message}`));
  if (fresh.length === 0) return [];
  return [
    {
      kind: 'parse-error',
      severity: 'medium',
      file,
      message: `${file}: the suspect copy has ${plural(fresh.length, 'structural problem')} the known-good lacks (readers may disagree on its meaning): ${listWords(fresh.slice(0, 2).map((w) => `${w.code}: ${quote(w.message, 160)}`), fresh.length, 2)}`,
      details: { side: 'suspect', problems: fresh.map((w) => ({ code: w.code, message: w.message })) },
      effect: 'inconclusive',
    },
  ];
}

function pairSidecars(a: readonly SidecarFile[], b: readonly SidecarFile[]): { a: SidecarFile | undefined; b: SidecarFile | undefined }[] {
  const bByPath = new Map(b.map((f) => [f.path, f] as const));
  const pairs: { a: SidecarFile | undefined; b: SidecarFile | undefined }[] = [];
  const usedB = new Set<SidecarFile>();
  const restA: SidecarFile[] = [];
  for (const f of a) {
    const g = bByPath.get(f.path);
    if (g) {
      pairs.push({ a: f, b: g });
      usedB.add(g);
    } else restA.push(f);
  }
  const restB = b.filter((g) => !usedB.has(g));
  const count = (list: readonly SidecarFile[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const f of list) m.set(baseName(f.path), (m.get(baseName(f.path)) ?? 0) + 1);
    return m;
  };
  const ca = count(restA);
  const cb = count(restB);
  const bByName = new Map(restB.map((g) => [baseName(g.path), g] as const));
  for (const f of restA) {
    const n = baseName(f.path);
    const g = ca.get(n) === 1 && cb.get(n) === 1 ? bByName.get(n) : undefined;
    if (g) usedB.add(g);
    pairs.push({ a: f, b: g });
  }
  for (const g of restB) if (!usedB.has(g)) pairs.push({ a: undefined, b: g });
  return pairs;
}

function templatesOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null && 'chatTemplates' in value ? value.chatTemplates : undefined;
}

/** Every chat template a model carries (one model, e.g. for `scan`). */
export function modelTemplates(files: readonly SidecarFile[]): TemplateSource[] {
  return templateSources(files, (f) => readTokenizerConfig(f.text, f.path));
}

/** Every chat template a side carries, with where it came from. Unreadable files contribute none. */
function templateSources(files: readonly SidecarFile[], parsedConfig: (f: SidecarFile) => HfReadResult<TokenizerConfig>): TemplateSource[] {
  const out: TemplateSource[] = [];
  for (const f of files) {
    const type = fileType(f);
    if (type === 'jinja') out.push({ file: f.path, name: jinjaTemplateName(f.path), template: f.text, precedence: TEMPLATE_PRECEDENCE.jinja });
    else if (type === 'tokenizer-config') {
      const r = parsedConfig(f);
      if (r.ok) for (const t of r.value.chatTemplates) out.push({ file: f.path, name: t.name, template: t.template, precedence: TEMPLATE_PRECEDENCE.tokenizerConfig });
    } else if (type === 'chat-template-json') {
      const r = readChatTemplateJson(f.text, f.path);
      if (r.ok) for (const t of r.value.chatTemplates) out.push({ file: f.path, name: t.name, template: t.template, precedence: TEMPLATE_PRECEDENCE.chatTemplateJson });
    }
  }
  return out;
}

export function diffSidecars(knownGood: ModelManifest, suspect: ModelManifest): SidecarFinding[] {
  const out: SidecarFinding[] = [];
  const configCache = new Map<SidecarFile, HfReadResult<TokenizerConfig>>();
  const parsedConfig = (f: SidecarFile): HfReadResult<TokenizerConfig> => {
    let r = configCache.get(f);
    if (!r) {
      r = readTokenizerConfig(f.text, f.path);
      configCache.set(f, r);
    }
    return r;
  };
  const parse = (f: SidecarFile): Parsed | undefined => {
    const type = fileType(f);
    if (type === 'tokenizer-config') {
      const r = parsedConfig(f);
      if (!r.ok) return { problem: r.error, warnings: [], diff: undefined, value: undefined };
      return { problem: undefined, warnings: r.warnings, value: r.value, diff: (other, file) => diffTokenizerConfigs(r.value, other.value as TokenizerConfig, file) };
    }
    const p = PARSERS[type];
    return p ? p(f.text, f.path) : undefined;
  };

  for (const { a, b } of pairSidecars(knownGood.sidecars, suspect.sidecars)) {
    const either = (b ?? a) as SidecarFile;
    const file = either.path;
    const type = fileType(either);
    const isTemplateFile = type === 'jinja' || type === 'chat-template-json';
    if (a && b && a.text === b.text) continue;

    if (!a || !b) {
      const only = (a ?? b) as SidecarFile;
      const side = a ? 'knownGood' : 'suspect';
      if (!isTemplateFile) {
        out.push({
          kind: ROLE_KIND[only.role],
          severity: only.role === 'config' || only.role === 'generation-config' ? 'medium' : 'high',
          file: only.path,
          message: a ? `${only.path} is missing from the suspect` : `${only.path} exists only in the suspect`,
          details: { change: a ? 'removed' : 'added', side },
          effect: 'tampered',
        });
      }
      const p = parse(only);
      if (p?.problem) out.push(parseErrorFinding(side, only.path, p.problem));
      else if (p && !a && p.warnings.length) out.push(...warningFindings(only.path, [], p.warnings));
      continue;
    }

    const pa = parse(a);
    const pb = parse(b);
    if (!pa || !pb) {
      // Plain text beside the weights that has no reader (other than templates, compared below).
      if (!isTemplateFile) out.push(textChangeFinding(b.role, file, a.text, b.text, 'no semantic reader for this file'));
      continue;
    }
    if (pa.problem || pb.problem) {
      if (pa.problem) out.push(parseErrorFinding('knownGood', a.path, pa.problem));
      if (pb.problem) out.push(parseErrorFinding('suspect', b.path, pb.problem));
      out.push(textChangeFinding(b.role, file, a.text, b.text, pa.problem && pb.problem ? 'neither copy could be parsed' : `the ${pa.problem ? 'known-good' : 'suspect'} copy could not be parsed`));
      continue;
    }
    const findings = pa.diff ? pa.diff(pb, file) : [];
    out.push(...findings);
    out.push(...warningFindings(file, pa.warnings, pb.warnings));
    // tokenizer_config.json whose only change is its chat template: the template diff below says so.
    const templatesDiffer = type === 'tokenizer-config' && JSON.stringify(templatesOf(pa.value)) !== JSON.stringify(templatesOf(pb.value));
    if (findings.length === 0 && !isTemplateFile && !templatesDiffer) {
      out.push({
        kind: 'reserialized',
        severity: 'info',
        file,
        message: `${file} differs in bytes only (formatting, key order or escaping); its content is the same`,
        details: { change: 'reserialized', role: b.role },
        effect: 'none',
      });
    }
  }

  // Same unparsable text on both sides: not a difference, but worth saying.
  for (const f of knownGood.sidecars) {
    const g = suspect.sidecars.find((x) => x.path === f.path);
    if (!g || g.text !== f.text) continue;
    const p = parse(f);
    if (p?.problem) {
      out.push({
        kind: 'parse-error',
        severity: 'medium',
        file: f.path,
        message: `${f.path} cannot be parsed (${p.problem.code}${p.problem.offset === undefined ? '' : ` at byte ${p.problem.offset}`}) — identically in both copies, so it is not a difference between them: ${p.problem.message}`,
        details: { side: 'both', code: p.problem.code, ...(p.problem.offset === undefined ? {} : { offset: p.problem.offset }), reason: p.problem.message },
        effect: 'none',
      });
    }
  }

  out.push(...diffTemplateSources(templateSources(knownGood.sidecars, parsedConfig), templateSources(suspect.sidecars, parsedConfig)));
  return out;
}
