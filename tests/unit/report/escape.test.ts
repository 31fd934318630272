import { describe, expect, it } from 'vitest';
import { clip, escapeHtml, escapeMarkdown, html, markdownCode, revealInvisible, SafeHtml, svg } from '../../../src/lib/report/escape.ts';

describe('html / svg template tags', () => {
  it('escapes interpolated text and keeps SafeHtml', () => {
    const name = `<script>alert("x")</script>&'`;
    const out = html`<td>${name}</td>${new SafeHtml('<br>')}`.value;
    expect(out).toBe('<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</td><br>');
  });

  it('escapes attribute values, including values spread over several interpolations', () => {
    const evil = `x" onmouseover="alert(1)`;
    expect(html`<a title="${evil}">t</a>`.value).toBe('<a title="x&quot; onmouseover=&quot;alert(1)">t</a>');
    expect(html`<span class="a ${evil} b ${'\u202e'}">t</span>`.value).toBe('<span class="a x&quot; onmouseover=&quot;alert(1) b ⟨U+202E⟩">t</span>');
  });

  it('refuses interpolation into unquoted or single-quoted attributes', () => {
    expect(() => html`<a title=${'x'}>`).toThrow(/unquoted attribute/);
    expect(() => html`<a title='${'x'}'>`).toThrow(/unquoted attribute/);
  });

  it('shows invisible characters as a boxed marker in text, as plain ⟨U+…⟩ in attributes and SVG', () => {
    const s = 'a\u202eb\u2028c\nd';
    expect(html`<p>${s}</p>`.value).toBe('<p>a<span class="cc">U+202E</span>b<span class="cc">U+2028</span>c<span class="cc">U+000A</span>d</p>');
    expect(html`<p title="${s}"></p>`.value).toBe('<p title="a⟨U+202E⟩b⟨U+2028⟩c⟨U+000A⟩d"></p>');
    // An HTML tag inside <svg> would end the SVG: no markup in SVG text.
    expect(svg`<text>${s}</text>`.value).toBe('<text>a⟨U+202E⟩b⟨U+2028⟩c⟨U+000A⟩d</text>');
  });

  it('renders numbers, arrays and empty values', () => {
    expect(html`${[1, 'a<', null, undefined, false, Infinity, Number.NaN]}`.value).toBe('1a&lt;InfinityNaN');
  });
});

describe('text helpers', () => {
  it('escapeHtml covers the five significant characters', () => {
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });

  it('reveals controls, bidi overrides, zero-width characters and tag characters', () => {
    expect(revealInvisible('a\u0000b\u200bc\u2066d\ufeffe\u{e0041}f')).toBe('a⟨U+0000⟩b⟨U+200B⟩c⟨U+2066⟩d⟨U+FEFF⟩e⟨U+E0041⟩f');
    expect(revealInvisible('plain ascii, émoji 🙂, CJK 漢字')).toBe('plain ascii, émoji 🙂, CJK 漢字');
  });

  it('clips long text in the middle on code-point boundaries, and short limits at the end', () => {
    const long = `${'a'.repeat(500)}🙂${'z'.repeat(500)}`;
    const c = clip(long, 100);
    expect(c.startsWith('a'.repeat(38))).toBe(true);
    expect(c.endsWith('z'.repeat(38))).toBe(true);
    expect(c).toContain('…[925 characters]…');
    expect(clip('🙂'.repeat(30), 10)).toBe(`${'🙂'.repeat(9)}…`);
    expect(clip('short')).toBe('short');
  });
});

describe('Markdown escaping', () => {
  it('backslash-escapes formatting, HTML, table and link characters', () => {
    expect(escapeMarkdown('a|b `c` *d* _e_ [f](javascript:g) <img src=x> ~h~ &lt; $x$')).toBe(
      'a\\|b \\`c\\` \\*d\\* \\_e\\_ \\[f\\](javascript:g) \\<img src=x\\> \\~h\\~ \\&lt; \\$x\\$',
    );
  });

  it('breaks autolinks and, at a line start, block markers', () => {
    expect(escapeMarkdown('see https://evil.example and www.evil.example')).toBe('see https:\\/\\/evil.example and www\\.evil.example');
    expect(escapeMarkdown('# title', { atLineStart: true })).toBe('\\# title');
    expect(escapeMarkdown('1. item', { atLineStart: true })).toBe('1\\. item');
    expect(escapeMarkdown('- item', { atLineStart: true })).toBe('\\- item');
    expect(escapeMarkdown('1. item')).toBe('1. item');
    expect(escapeMarkdown('line1\nline2')).toBe('line1⟨U+000A⟩line2');
  });

  it('code spans hold any text verbatim with a long enough fence', () => {
    expect(markdownCode('model.layers.0.weight')).toBe('`model.layers.0.weight`');
    expect(markdownCode('a`b``c')).toBe('```a`b``c```');
    expect(markdownCode('`x`')).toBe('`` `x` ``');
    expect(markdownCode('a|b')).toBe('`a\\|b`');
    expect(markdownCode('a|b', { inTable: false })).toBe('`a|b`');
    expect(markdownCode('a\nb')).toBe('`a⟨U+000A⟩b`');
  });
});
