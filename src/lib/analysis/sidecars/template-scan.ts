/**
 * Static scan of a Jinja chat template for injection and sandbox-escape patterns. The template is
 * *never rendered*: it is split into text / {{ expression }} / {% statement %} / {# comment #}
 * segments by a small lexer that understands string literals, and each rule looks at the segments.
 *
 * transformers renders chat templates in jinja2's ImmutableSandboxedEnvironment, which blocks
 * underscore attributes and mutation — but sandbox escapes have been found before (jinja2
 * CVE-2016-10745 str.format, CVE-2019-10906 str.format_map, CVE-2024-56201 and CVE-2024-56326,
 * CVE-2025-27516 `|attr` + format), and llama.cpp / other runtimes use their own Jinja engines with
 * different rules (CVE-2024-34359 "llama-drama": SSTI in llama-cpp-python's chat template
 * handling, via `self.__init__.__globals__` / `cycler` / `joiner` gadgets). A template that reaches
 * for Python internals has no legitimate purpose. Other rules find behaviour changes a template
 * can hide: conditionals keyed on message content (a trigger phrase), content rewriting, fixed
 * prose emitted into the prompt (an appended hidden instruction), `raise_exception` with computed
 * text, invisible or bidi characters (CVE-2021-42574), and lines too long to review.
 *
 * The scan reports patterns; whether a pattern is *new* (absent from the known-good template) is
 * decided by the caller (./template-diff.ts), since some — content conditionals, raise_exception —
 * occur in legitimate templates (Qwen3 tests `'</think>' in content`).
 */
import type { Severity } from '../../report/types.ts';
import { hasInvisible } from './display.ts';

export type TemplateRule =
  | 'python-internals'
  | 'attr-filter'
  | 'sandbox-gadget'
  | 'obfuscated-name'
  | 'loader-statement'
  | 'mutation'
  | 'resource-exhaustion'
  | 'raise-exception'
  | 'content-condition'
  | 'content-rewrite'
  | 'invisible-unicode'
  | 'long-line';

export interface TemplateHazard {
  rule: TemplateRule;
  severity: Severity;
  /** Words: what the pattern is and why it matters. */
  what: string;
  /** The offending source (raw, clipped to MAX_SNIPPET_CHARS). */
  snippet: string;
  /** 1-based. */
  line: number;
  column: number;
}

export interface TemplateLiteral {
  /** Text segment or string literal emitted or assigned by the template. */
  text: string;
  line: number;
  column: number;
}

export interface TemplateScan {
  hazards: TemplateHazard[];
  /** Text the template can put into the prompt (text segments, literals in {{ }} and {% set %}). */
  literals: TemplateLiteral[];
  maxLineLength: number;
  /** Hazards found past MAX_HAZARDS (not listed). */
  hazardsDropped: number;
}

/** A line longer than this hides content off-screen in every editor and diff viewer. Real
 *  templates written on one line (older Mistral / Zephyr ones in tokenizer_config.json) reach
 *  ~1,500 characters. */
export const MAX_TEMPLATE_LINE = 2000;
const MAX_SNIPPET_CHARS = 200;
const MAX_HAZARDS = 500;
const MAX_LITERALS = 5000;

export type SegmentKind = 'text' | 'expr' | 'stmt' | 'comment';
export interface Segment {
  kind: SegmentKind;
  /** Inside the delimiters, without whitespace-control marks. */
  body: string;
  /** Offset of `body` in the template. */
  start: number;
  /** Offset of the whole segment (delimiters included). */
  outerStart: number;
  outerEnd: number;
}

/** Splits a template into segments. Unterminated tags run to the end of the text. */
export function segmentTemplate(src: string): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  let textStart = 0;
  const flushText = (end: number): void => {
    if (end > textStart) out.push({ kind: 'text', body: src.slice(textStart, end), start: textStart, outerStart: textStart, outerEnd: end });
  };
  while (pos < src.length) {
    const open = src.indexOf('{', pos);
    if (open < 0 || open + 1 >= src.length) break;
    const next = src[open + 1];
    if (next !== '{' && next !== '%' && next !== '#') {
      pos = open + 1;
      continue;
    }
    flushText(open);
    let bodyStart = open + 2;
    if (src[bodyStart] === '-' || src[bodyStart] === '+') bodyStart++;
    let close: number;
    let closeLen: number;
    if (next === '#') {
      const c = src.indexOf('#}', bodyStart);
      close = c < 0 ? src.length : c;
      closeLen = c < 0 ? 0 : 2;
    } else {
      const closer = next === '{' ? '}}' : '%}';
      close = findCloser(src, bodyStart, closer);
      closeLen = close < src.length ? 2 : 0;
    }
    let bodyEnd = close;
    if (bodyEnd > bodyStart && (src[bodyEnd - 1] === '-' || src[bodyEnd - 1] === '+')) bodyEnd--;
    const kind: SegmentKind = next === '{' ? 'expr' : next === '%' ? 'stmt' : 'comment';
    const body = src.slice(bodyStart, bodyEnd);
    out.push({ kind, body, start: bodyStart, outerStart: open, outerEnd: close + closeLen });
    pos = close + closeLen;
    textStart = pos;
    // {% raw %} … {% endraw %}: everything up to endraw is text.
    if (kind === 'stmt' && /^\s*raw\s*$/.test(body)) {
      const m = /\{%[-+]?\s*endraw\s*[-+]?%\}/.exec(src.slice(pos));
      const end = m ? pos + m.index : src.length;
      if (end > pos) out.push({ kind: 'text', body: src.slice(pos, end), start: pos, outerStart: pos, outerEnd: end });
      pos = m ? end + m[0].length : src.length;
      textStart = pos;
    }
  }
  flushText(src.length);
  return out;
}

/** The closing delimiter of a tag, skipping string literals ("}}" inside '…' does not close). */
function findCloser(src: string, from: number, closer: string): number {
  let i = from;
  while (i < src.length) {
    const c = src[i];
    if (c === '"' || c === "'") {
      i = skipString(src, i);
      continue;
    }
    if (src.startsWith(closer, i)) return i;
    i++;
  }
  return src.length;
}

function skipString(src: string, at: number): number {
  const q = src[at];
  let i = at + 1;
  while (i < src.length && src[i] !== q) i += src[i] === '\\' ? 2 : 1;
  return Math.min(src.length, i + 1);
}

export interface StringLiteral {
  /** Decoded value (Python-style escapes: \n \t \\ \' \" and \xNN / \uNNNN). */
  value: string;
  raw: string;
  /** Offset in the tag body. */
  at: number;
  /** Used as a subscript key: x['content']. */
  subscript: boolean;
}

/** String literals of a tag body, and the body with each literal blanked out (for code rules). */
export function tagLiterals(body: string): { literals: StringLiteral[]; code: string } {
  const literals: StringLiteral[] = [];
  let code = '';
  let i = 0;
  while (i < body.length) {
    const c = body[i];
    if (c === '"' || c === "'") {
      const end = skipString(body, i);
      const raw = body.slice(i, end);
      const before = body.slice(0, i).trimEnd();
      const after = body.slice(end).trimStart();
      literals.push({ value: decodeLiteral(raw.slice(1, raw.endsWith(c) && raw.length > 1 ? -1 : undefined)), raw, at: i, subscript: before.endsWith('[') && after.startsWith(']') });
      code += c + ' '.repeat(Math.max(0, end - i - 2)) + (end - i >= 2 ? c : '');
      i = end;
      continue;
    }
    code += c;
    i++;
  }
  return { literals, code };
}

function decodeLiteral(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|.)/g, (_m, e: string) => {
    if (e.length > 1 && (e[0] === 'x' || e[0] === 'u' || e[0] === 'U')) {
      const cp = parseInt(e.slice(1), 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
    }
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ({ n: '\n', t: '\t', r: '\r', '0': '\0' } as Record<string, string>)[e] ?? e;
  });
}

/** Role and content-type names compared against in ordinary templates; not trigger strings. */
const ORDINARY_WORDS = new Set([
  'user', 'assistant', 'system', 'developer', 'tool', 'tools', 'ipython', 'function', 'functions', 'model', 'bot', 'human',
  'text', 'image', 'image_url', 'video', 'audio', 'file', 'document', 'tool_call', 'tool_calls', 'tool_use', 'tool_result',
  'function_call', 'json', 'json_object', 'object', 'string', 'array', 'none', 'auto', 'required', 'any', 'type', 'content',
  'role', 'name', 'arguments', 'parameters', 'description', 'properties', 'thinking', 'reasoning', 'reasoning_content', '',
  // Jinja test names passed as strings to select / selectattr / reject.
  'equalto', 'eq', '==', 'ne', '!=', 'in', 'defined', 'undefined', 'mapping', 'sequence', 'number', 'integer', 'true', 'false',
]);

const CONTENT_REF = /\b(content|contents|text|message|messages|prompt|query|input|user_input|question)\b/;
const COMPARISON = /(==|!=|\bin\b|\bnot in\b|startswith|endswith|\bfind\b|\bindex\b|\bcount\b|equalto|\bsearch\b|\bmatch\b|\bregex)/;
const REWRITE = /(\.replace\s*\(|\|\s*replace\b|regex_replace|\.format\s*\(|\|\s*format\b|\.split\s*\()/;
const DUNDER = /__[A-Za-z0-9_]+__|\.mro\b|__[A-Za-z]+\b/;
const GADGETS = /\b(cycler|joiner|lipsum|self|request|config|url_for|get_flashed_messages)\b|\bnamespace\b(?!\s*\()/;
const MUTATORS = /\.(append|pop|popitem|insert|extend|update|clear|remove|setdefault|sort|reverse)\s*\(/;
const LOADERS = /^\s*(include|import|from|extends)\b/;
const BIG_NUMBER = /\b(range\s*\(\s*[^)]*\b\d{6,}|\*\s*\d{5,}|\d{5,}\s*\*)/;
/** A string naming a Python internal outright: '__class__', '__globals__'. */
const WHOLE_DUNDER = /^__[A-Za-z0-9_]+__$/;
const OBFUSCATION = /\\x5[fF]|\\u005[fF]|\\U0000005[fF]|\\137|_\s*['"]\s*[~+]\s*['"]\s*_/;

export function scanChatTemplate(template: string): TemplateScan {
  const hazards: TemplateHazard[] = [];
  const literals: TemplateLiteral[] = [];
  let dropped = 0;
  const lineStarts = [0];
  for (let i = 0; i < template.length; i++) if (template.charCodeAt(i) === 0x0a) lineStarts.push(i + 1);
  const where = (offset: number): { line: number; column: number } => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (lineStarts[lo] ?? 0) + 1 };
  };
  const add = (rule: TemplateRule, severity: Severity, what: string, snippet: string, offset: number): void => {
    if (hazards.length >= MAX_HAZARDS) {
      dropped++;
      return;
    }
    hazards.push({ rule, severity, what, snippet: snippet.length > MAX_SNIPPET_CHARS ? `${snippet.slice(0, MAX_SNIPPET_CHARS)}…` : snippet, ...where(offset) });
  };
  const addLiteral = (text: string, offset: number): void => {
    if (text.trim() === '' || literals.length >= MAX_LITERALS) return;
    literals.push({ text, ...where(offset) });
  };

  for (const seg of segmentTemplate(template)) {
    const outer = template.slice(seg.outerStart, seg.outerEnd);
    if (seg.kind === 'text') {
      addLiteral(seg.body, seg.start);
      continue;
    }
    if (seg.kind === 'comment') continue;
    const { literals: lits, code } = tagLiterals(seg.body);
    const at = seg.outerStart;

    if (DUNDER.test(code) || lits.some((l) => WHOLE_DUNDER.test(l.value))) {
      add('python-internals', 'critical', 'reaches for Python internals (double-underscore attributes such as __class__, __globals__, __init__): a sandbox-escape technique with no use in a chat template', outer, at);
    }
    if (/\|\s*attr\s*\(/.test(code)) {
      add('attr-filter', 'critical', 'uses the |attr() filter, which fetches attributes by computed name and bypasses the sandbox\'s attribute checks in vulnerable Jinja versions (CVE-2025-27516)', outer, at);
    }
    const gadget = GADGETS.exec(code);
    if (gadget) {
      add('sandbox-gadget', 'high', `references the Jinja global ${JSON.stringify(gadget[1] ?? 'namespace')}${gadget[1] ? '' : ' as an object (not a call)'}, a known template-injection gadget (llama-cpp-python CVE-2024-34359)`, outer, at);
    }
    if (OBFUSCATION.test(seg.body) || lits.some((l) => l.value.includes('__') && !WHOLE_DUNDER.test(l.value))) {
      add('obfuscated-name', 'high', 'builds a name from escaped or concatenated underscores (\\x5f, "_" ~ "_", "__…__" strings): a way to spell Python internals past a filter', outer, at);
    }
    if (seg.kind === 'stmt' && LOADERS.test(code)) {
      add('loader-statement', 'high', 'loads another template (include / import / extends): a chat template is self-contained, and a loader reaches outside it', outer, at);
    }
    const mut = MUTATORS.exec(code);
    if (mut) {
      add('mutation', 'medium', `calls .${mut[1] ?? '?'}() to mutate data; the sandbox forbids it (the template then fails to render), and other engines allow it (messages rewritten)`, outer, at);
    }
    if (BIG_NUMBER.test(code)) {
      add('resource-exhaustion', 'medium', 'repeats or loops a very large number of times (range of ≥ 100,000 or string multiplication): a denial of service when rendered', outer, at);
    }
    if (/\braise_exception\s*\(/.test(code)) {
      const m = /\braise_exception\s*\(\s*(.*)\)\s*$/s.exec(seg.body.trim());
      const arg = (m?.[1] ?? '').trim();
      const literalOnly = /^(['"])(?:(?!\1)[^\\]|\\.)*\1$/s.test(arg);
      if (literalOnly) add('raise-exception', 'low', 'calls raise_exception (rendering fails with a fixed message)', outer, at);
      else add('raise-exception', 'high', 'calls raise_exception with a computed message: message content can be echoed into errors and logs, or rendering made to fail on chosen input', outer, at);
    }
    const condition = conditionOf(seg.kind, code);
    if (condition !== undefined) {
      const compared = lits.filter((l) => !l.subscript && l.at >= condition.from && !ORDINARY_WORDS.has(l.value.trim().toLowerCase()));
      const refsContent = CONTENT_REF.test(condition.text) || lits.some((l) => l.subscript && CONTENT_REF.test(l.value));
      if (compared.length > 0 && refsContent && COMPARISON.test(condition.text)) {
        const words = compared.slice(0, 3).map((l) => JSON.stringify(l.value.slice(0, 60))).join(', ');
        add('content-condition', 'high', `branches on message content matching the string${compared.length === 1 ? '' : 's'} ${words}: a trigger phrase can switch the template's behaviour`, outer, at);
      }
    }
    if (REWRITE.test(code) && (CONTENT_REF.test(code) || lits.some((l) => l.subscript && CONTENT_REF.test(l.value)))) {
      add('content-rewrite', 'medium', 'rewrites message content (replace / split / format) before it reaches the model', outer, at);
    }
    // Literals that can reach the prompt: everything in {{ }}, and values assigned by {% set %}.
    // (raise_exception's message is not prompt text.)
    if ((seg.kind === 'expr' && !/\braise_exception\s*\(/.test(code)) || /^\s*set\b/.test(code)) {
      for (const l of lits) if (!l.subscript) addLiteral(l.value, seg.start + l.at);
    }
  }

  // Invisible and bidi characters anywhere (text or tags), one hazard per line.
  const lines = template.split('\n');
  let maxLineLength = 0;
  let offset = 0;
  for (const line of lines) {
    maxLineLength = Math.max(maxLineLength, line.length);
    if (hasInvisible(line)) {
      const m = /[\p{Cf}\u2028\u2029\u180e\u3164\u115f\u1160\uffa0\ufe00-\ufe0f\u{e0100}-\u{e01ef}]/u.exec(line);
      const col = m ? m.index : 0;
      const names = invisibleNames(line);
      add('invisible-unicode', 'high', `contains invisible or bidirectional-control characters (${names}): what a reviewer sees is not what the model gets`, line.slice(Math.max(0, col - 40), col + 80), offset + col);
    }
    if (line.length > MAX_TEMPLATE_LINE) {
      add('long-line', 'medium', `has a line of ${line.length.toLocaleString('en-US')} characters: content past the edge of the screen escapes review`, line.slice(0, 120), offset);
    }
    offset += line.length + 1;
  }
  return { hazards, literals, maxLineLength, hazardsDropped: dropped };
}

function invisibleNames(s: string): string {
  const found = new Set<string>();
  for (const m of s.matchAll(/[\p{Cf}\u2028\u2029\u180e\u3164\u115f\u1160\uffa0\ufe00-\ufe0f\u{e0100}-\u{e01ef}]/gu)) {
    const cp = m[0].codePointAt(0) ?? 0;
    found.add(`U+${cp.toString(16).toUpperCase().padStart(4, '0')}${describeInvisible(cp)}`);
    if (found.size >= 6) break;
  }
  return [...found].join(', ');
}

function describeInvisible(cp: number): string {
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x200e || cp === 0x200f || cp === 0x061c) return ' bidi control';
  if (cp >= 0x200b && cp <= 0x200d) return ' zero-width';
  if (cp === 0x2060 || cp === 0xfeff) return ' zero-width no-break';
  if (cp >= 0xe0000 && cp <= 0xe007f) return ' tag character';
  if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef)) return ' variation selector';
  return '';
}

/** The condition part of `{% if … %}` / `{% elif … %}` / `{{ a if … else b }}` (code with literals blanked). */
function conditionOf(kind: SegmentKind, code: string): { text: string; from: number } | undefined {
  if (kind === 'stmt') {
    const m = /^\s*(el)?if\b/.exec(code);
    if (m) return { text: code.slice(m[0].length), from: m[0].length };
    // selectattr / select / reject filters with a test also branch on values.
    const f = /\b(selectattr|rejectattr|select|reject)\s*\(/.exec(code);
    if (f) return { text: code.slice(f.index), from: f.index };
    return undefined;
  }
  if (kind === 'expr') {
    const m = /\sif\s/.exec(code);
    if (m) {
      const rest = code.slice(m.index + m[0].length);
      const e = /\selse\s/.exec(rest);
      return { text: e ? rest.slice(0, e.index) : rest, from: m.index + m[0].length };
    }
    const f = /\b(selectattr|rejectattr|select|reject)\s*\(/.exec(code);
    if (f) return { text: code.slice(f.index), from: f.index };
  }
  return undefined;
}
