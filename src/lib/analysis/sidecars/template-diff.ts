/**
 * Chat templates across every file that can hold one, compared by template *name* after applying
 * transformers' precedence (tokenization_utils_base.py: a separate chat_template.jinja — and
 * additional_chat_templates/<name>.jinja — override `chat_template` in tokenizer_config.json;
 * processors read chat_template.json): the template a runtime actually uses is what matters, and a
 * template that merely moved from tokenizer_config.json to chat_template.jinja is not a change.
 * Templates that are shadowed by a higher-precedence file are still compared (older runtimes and
 * converters such as llama.cpp's read tokenizer_config.json), at medium severity.
 *
 * For a changed or added template the suspect is scanned (./template-scan.ts) and every pattern
 * absent from the known-good template becomes its own finding with the offending snippet, as does
 * every new piece of fixed prose the template can emit into the prompt.
 */
import type { Severity } from '../../report/types.ts';
import { clipMiddle, plural, quote } from './display.ts';
import { firstDifference, unifiedDiff } from './line-diff.ts';
import { scanChatTemplate, type TemplateHazard, type TemplateLiteral } from './template-scan.ts';
import type { SidecarFinding } from './types.ts';

export interface TemplateSource {
  file: string;
  name: string;
  template: string;
  /** Higher wins: 3 = *.jinja, 2 = chat_template.json, 1 = tokenizer_config.json. */
  precedence: number;
}

export const TEMPLATE_PRECEDENCE = { jinja: 3, chatTemplateJson: 2, tokenizerConfig: 1 } as const;

/** The name a .jinja file defines: chat_template.jinja is "default", others their base name. */
export function jinjaTemplateName(path: string): string {
  const base = path.split('/').pop() ?? path;
  if (base.toLowerCase() === 'chat_template.jinja') return 'default';
  return base.replace(/\.jinja$/i, '');
}

export function effectiveTemplates(sources: readonly TemplateSource[]): Map<string, TemplateSource> {
  const out = new Map<string, TemplateSource>();
  for (const s of sources) {
    const cur = out.get(s.name);
    if (!cur || s.precedence > cur.precedence || (s.precedence === cur.precedence && s.file < cur.file)) out.set(s.name, s);
  }
  return out;
}

const label = (name: string): string => `Chat template ${quote(name, 60)}`;

/**
 * Identity of a pattern for "does the known-good have it too": rule and snippet (whitespace
 * collapsed). A literal-message raise_exception and a long line are judged by rule alone — the
 * known-good having one makes another unremarkable (the line diff still shows the text).
 */
function hazardKey(h: TemplateHazard): string {
  if ((h.rule === 'raise-exception' && h.severity === 'low') || h.rule === 'long-line') return `${h.rule}\u0000${h.severity}`;
  return `${h.rule}\u0000${h.snippet.replace(/\s+/g, ' ').trim()}`;
}

/** Prose: at least four words with letters once format tokens ("<|start_header_id|>", "[INST]",
 *  "<start_of_turn>") are removed. */
export function isProse(text: string): boolean {
  const words = text
    .replace(/<\|[^|]*\|>|<\/?[A-Za-z_][\w-]*>|\[\/?[A-Z_]+\]/g, ' ')
    .split(/\s+/)
    .filter((w) => /\p{L}{2,}/u.test(w));
  return words.length >= 4;
}

const normalize = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Findings for patterns of `suspect` that `knownGood` (undefined: no baseline) does not have. */
export function templateHazardFindings(name: string, file: string, suspect: string, knownGood: string | undefined): SidecarFinding[] {
  const scan = scanChatTemplate(suspect);
  const base = knownGood === undefined ? undefined : scanChatTemplate(knownGood);
  const known = new Set(base?.hazards.map(hazardKey) ?? []);
  const knownRules = new Set(base?.hazards.map((h) => h.rule) ?? []);
  const out: SidecarFinding[] = [];
  for (const h of scan.hazards) {
    if (known.has(hazardKey(h))) continue;
    if (h.rule === 'long-line' && base !== undefined && base.maxLineLength >= scan.maxLineLength) continue;
    out.push({
      kind: 'chat-template-changed',
      severity: h.severity,
      file,
      message: `${label(name)} (${file} line ${h.line}) ${h.what}: ${quote(h.snippet, 160)}`,
      details: { change: 'template-pattern', rule: h.rule, template: name, line: h.line, column: h.column, snippet: h.snippet, knownGoodHasRule: knownRules.has(h.rule) },
      effect: 'tampered',
    });
  }
  if (scan.hazardsDropped > 0) {
    out.push({ kind: 'chat-template-changed', severity: 'medium', file, message: `${label(name)} (${file}): ${plural(scan.hazardsDropped, 'further pattern')} not listed`, details: { change: 'template-pattern', dropped: scan.hazardsDropped }, effect: 'tampered' });
  }
  const knownLiterals = new Set(base?.literals.map((l) => normalize(l.text)) ?? []);
  const fresh: TemplateLiteral[] = scan.literals.filter((l) => isProse(l.text) && !knownLiterals.has(normalize(l.text)) && !(knownGood ?? '').includes(l.text));
  for (const l of fresh.slice(0, 50)) {
    out.push({
      kind: 'chat-template-changed',
      severity: knownGood === undefined ? 'medium' : 'high',
      file,
      message: `${label(name)} (${file} line ${l.line}) ${knownGood === undefined ? 'emits fixed text into the prompt' : 'emits new fixed text into the prompt (an instruction the user never wrote)'}: ${quote(l.text, 200)}`,
      details: { change: 'template-text', template: name, line: l.line, column: l.column, text: l.text },
      effect: 'tampered',
    });
  }
  return out;
}

function changedFinding(name: string, x: TemplateSource, y: TemplateSource, severity: Severity, shadowed: boolean): SidecarFinding {
  const d = unifiedDiff(x.template, y.template, `known-good/${x.file}`, `suspect/${y.file}`);
  const first = firstDifference(x.template, y.template);
  const where = x.file === y.file ? y.file : `${x.file} → ${y.file}`;
  const lines = `${plural(d.added, 'line')} added, ${plural(d.removed, 'line')} removed`;
  const at = first ? `; first difference at line ${first.line}, column ${first.column}: ${quote(first.knownGood, 40)} → ${quote(first.suspect, 40)}` : '';
  return {
    kind: 'chat-template-changed',
    severity,
    file: y.file,
    message: `${label(name)} ${shadowed ? '(shadowed by a higher-precedence file, still read by some runtimes) ' : ''}changed (${where}): ${lines}${at}`,
    details: {
      change: 'modified',
      template: name,
      shadowed,
      knownGoodFile: x.file,
      suspectFile: y.file,
      linesAdded: d.added,
      linesRemoved: d.removed,
      diff: d.unified,
      diffTruncated: d.truncated,
      ...(first ? { firstDifference: first } : {}),
    },
    effect: 'tampered',
  };
}

/** A pattern in a shadowed template is one step less urgent (high → medium); sandbox escapes stay critical. */
function shadowedSeverity(f: SidecarFinding): SidecarFinding {
  return f.severity === 'high' ? { ...f, severity: 'medium' } : f;
}

export function diffTemplateSources(a: readonly TemplateSource[], b: readonly TemplateSource[]): SidecarFinding[] {
  const out: SidecarFinding[] = [];
  const effA = effectiveTemplates(a);
  const effB = effectiveTemplates(b);
  const names = [...new Set([...effA.keys(), ...effB.keys()])].sort();
  for (const name of names) {
    const x = effA.get(name);
    const y = effB.get(name);
    if (x && y) {
      if (x.template === y.template) {
        if (x.file !== y.file) {
          out.push({ kind: 'chat-template-changed', severity: 'info', file: y.file, message: `${label(name)} moved from ${x.file} to ${y.file}, unchanged`, details: { change: 'moved', template: name, knownGoodFile: x.file, suspectFile: y.file }, effect: 'none' });
        }
        continue;
      }
      out.push(changedFinding(name, x, y, 'high', false));
      out.push(...templateHazardFindings(name, y.file, y.template, x.template));
    } else if (y) {
      out.push({
        kind: 'chat-template-changed',
        severity: 'high',
        file: y.file,
        message: `${label(name)} exists only in the suspect (${y.file}, ${plural(y.template.split('\n').length, 'line')}): ${quote(clipMiddle(y.template, 120), 120)}`,
        details: { change: 'added', template: name, suspectFile: y.file, text: y.template },
        effect: 'tampered',
      });
      out.push(...templateHazardFindings(name, y.file, y.template, undefined));
    } else if (x) {
      out.push({
        kind: 'chat-template-changed',
        severity: 'high',
        file: x.file,
        message: `${label(name)} (${x.file}) is missing from the suspect: prompts are formatted differently or fall back to a default`,
        details: { change: 'removed', template: name, knownGoodFile: x.file },
        effect: 'tampered',
      });
    }
  }
  // Shadowed templates: compared location by location (same file, same name).
  const key = (s: TemplateSource): string => `${s.file}\u0000${s.name}`;
  const aByKey = new Map(a.map((s) => [key(s), s] as const));
  const bByKey = new Map(b.map((s) => [key(s), s] as const));
  for (const y of b) {
    if (effB.get(y.name) === y) continue;
    const x = aByKey.get(key(y));
    if (x && x.template !== y.template) {
      out.push(changedFinding(y.name, x, y, 'medium', true));
      out.push(...templateHazardFindings(y.name, y.file, y.template, x.template).map(shadowedSeverity));
    } else if (!x && effA.get(y.name)?.template !== y.template) {
      out.push({ kind: 'chat-template-changed', severity: 'medium', file: y.file, message: `${label(y.name)} added to ${y.file} (shadowed by a higher-precedence file, still read by some runtimes)`, details: { change: 'added', template: y.name, suspectFile: y.file, shadowed: true, text: y.template }, effect: 'tampered' });
      out.push(...templateHazardFindings(y.name, y.file, y.template, effA.get(y.name)?.template).map(shadowedSeverity));
    }
  }
  for (const x of a) {
    if (effA.get(x.name) === x || bByKey.has(key(x))) continue;
    if (effB.get(x.name)?.template === x.template) continue;
    out.push({ kind: 'chat-template-changed', severity: 'low', file: x.file, message: `${label(x.name)} (shadowed in the known-good) removed from ${x.file}`, details: { change: 'removed', template: x.name, knownGoodFile: x.file, shadowed: true }, effect: 'tampered' });
  }
  return out;
}
