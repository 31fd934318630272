/**
 * Escaping for model-derived text (tensor names, file paths, labels, tokens, messages — all hostile)
 * placed in HTML, inline SVG or Markdown.
 *
 * HTML and SVG are built with the `html` / `svg` template tags: every interpolated value is escaped
 * unless it is markup the renderer itself built (a `SafeHtml`), so "forgot to escape" cannot happen
 * one call site at a time. Besides the five HTML-significant characters, text is made *visible*:
 * control, bidi-override, zero-width and line-separator characters are shown as ⟨U+XXXX⟩, so a
 * tensor name cannot hide or reorder characters on screen ("Trojan Source", CVE-2021-42574) and a
 * newline token is readable.
 */

/** The five characters that can end a text node or a quoted attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * Characters that are invisible, reorder text, or break lines and table cells: C0/C1 controls,
 * soft hyphen, Arabic letter mark, Hangul fillers, Mongolian vowel separator, zero-width and
 * directional marks, line/paragraph separators, bidi embeddings/overrides/isolates, invisible
 * operators, BOM, interlinear annotation, and Unicode tag characters (U+E0000 block).
 */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g;

function codePointLabel(c: string): string {
  return `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Invisible characters as "⟨U+202E⟩" (plain text: Markdown, attributes, SVG). */
export function revealInvisible(s: string): string {
  return s.replace(INVISIBLE, (c) => `⟨${codePointLabel(c)}⟩`);
}

/** Display length cap for one model-derived string; the JSON report keeps the whole value. */
export const MAX_DISPLAY_CHARS = 300;

/** Shortens very long text in the middle (both ends of a name are telling), on code-point boundaries. */
export function clip(s: string, max: number = MAX_DISPLAY_CHARS): string {
  if (s.length <= max) return s;
  const cps = Array.from(s);
  if (cps.length <= max) return s;
  if (max < 48) return `${cps.slice(0, Math.max(1, max - 1)).join('')}…`;
  const keep = Math.max(2, max - 24);
  const head = Math.ceil(keep / 2);
  const tail = keep - head;
  return `${cps.slice(0, head).join('')}…[${(cps.length - keep).toLocaleString('en-US')} characters]…${cps.slice(cps.length - tail).join('')}`;
}

// ── HTML / SVG building ────────────────────────────────────────────────────

/** Markup built by the renderer itself; the only thing the template tags insert unescaped. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type MarkupValue = SafeHtml | string | number | boolean | null | undefined | readonly MarkupValue[];

/** Escaped text for an HTML text node: invisible characters become a boxed ⟨U+XXXX⟩ marker. */
function htmlText(s: string): string {
  let out = '';
  let last = 0;
  for (const m of s.matchAll(INVISIBLE)) {
    const at = m.index;
    out += `${escapeHtml(s.slice(last, at))}<span class="cc">${codePointLabel(m[0])}</span>`;
    last = at + m[0].length;
  }
  return out + escapeHtml(s.slice(last));
}

/** Escaped text where no markup may appear (attribute values, SVG text). */
function plainText(s: string): string {
  return escapeHtml(revealInvisible(s));
}

function render(value: MarkupValue, inAttribute: boolean, svg: boolean): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((v: MarkupValue) => render(v, inAttribute, svg)).join('');
  const s = typeof value === 'number' ? formatPlainNumber(value) : String(value);
  return inAttribute || svg ? plainText(s) : htmlText(s);
}

function formatPlainNumber(x: number): string {
  return Number.isFinite(x) ? String(x) : x > 0 ? 'Infinity' : x < 0 ? '-Infinity' : 'NaN';
}

/**
 * Whether the text after `chunk` is inside a double-quoted attribute value, given the state before
 * it. Renderers quote every attribute with "; a `="` in a static chunk opens a value, the next `"`
 * closes it (values can span several interpolations: class="a ${x} b ${y}").
 */
function insideAttributeAfter(chunk: string, before: boolean): boolean {
  let inside = before;
  let at = 0;
  for (;;) {
    if (inside) {
      const close = chunk.indexOf('"', at);
      if (close < 0) return true;
      inside = false;
      at = close + 1;
    } else {
      const open = /=\s*"/g;
      open.lastIndex = at;
      const m = open.exec(chunk);
      if (!m) return false;
      inside = true;
      at = m.index + m[0].length;
    }
  }
}

/** An unquoted or single-quoted attribute value: escaping does not make interpolation there safe. */
const UNQUOTED_ATTRIBUTE = /=('[^']*)?$/;

function tag(svg: boolean) {
  return (strings: TemplateStringsArray, ...values: MarkupValue[]): SafeHtml => {
    let out = strings[0] ?? '';
    let inAttribute = insideAttributeAfter(out, false);
    values.forEach((v, i) => {
      const before = strings[i] ?? '';
      if (!inAttribute && UNQUOTED_ATTRIBUTE.test(before)) {
        throw new Error(`Interpolation into an unquoted attribute after ${JSON.stringify(before.slice(-40))}`);
      }
      const after = strings[i + 1] ?? '';
      out += render(v, inAttribute, svg) + after;
      inAttribute = insideAttributeAfter(after, inAttribute);
    });
    if (inAttribute) throw new Error('Template ends inside an attribute value');
    return new SafeHtml(out);
  };
}

/** HTML template: interpolations are escaped text unless they are SafeHtml. */
export const html = tag(false);
/** SVG template (inline in HTML): as `html`, but text never carries HTML markup (an HTML tag inside <svg> would end it). */
export const svg = tag(true);

export function joinMarkup(parts: readonly SafeHtml[], separator = ''): SafeHtml {
  return new SafeHtml(parts.map((p) => p.value).join(separator));
}

// ── Markdown ───────────────────────────────────────────────────────────────

/**
 * Plain Markdown text (CommonMark/GFM): a backslash before every character that could start
 * emphasis, code, a link or image ("[" — so "(" and "!" are harmless), raw HTML or an autolink
 * ("<"), an entity ("&"), a table cell ("|"), strikethrough ("~") or GitHub math ("$"); URL schemes
 * and "www." are broken up so GFM does not autolink them. Text that starts a line (or a list item
 * or quote) passes `atLineStart`, so a leading block marker (#, -, +, =, "1.") is escaped too
 * (">" always is). Invisible characters are revealed, so the text stays on one line.
 */
export function escapeMarkdown(s: string, options: { atLineStart?: boolean } = {}): string {
  const text = revealInvisible(s)
    .replace(/[\\`*_[\]<>|~&$]/g, (c) => `\\${c}`)
    .replace(/:\/\//g, ':\\/\\/')
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}\\.`);
  if (!options.atLineStart) return text;
  return text.replace(/^(\s*)([-+=#]|\d+[.)])/, (_m, sp: string, mark: string) => `${sp}${mark.replace(/([-+=#.)])$/, '\\$1')}`);
}

/**
 * A Markdown code span holding `s` verbatim (readable as-is in a raw ticket): the fence is one
 * backtick longer than any run inside; in a table "|" is written "\|" so the cell does not split
 * (GFM spec, Tables: the escape applies inside code spans too). Invisible characters are revealed.
 */
export function markdownCode(s: string, options: { inTable?: boolean } = {}): string {
  const shown = revealInvisible(s);
  const text = options.inTable === false ? shown : shown.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || (text.startsWith(' ') && text.endsWith(' ') && text.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}
