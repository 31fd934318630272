/**
 * Model-derived strings (tensor names, tokenizer vocab, chat templates, config values) are text,
 * never markup (CONVENTIONS "Text, never HTML"; issue 5 item 6): no source under src/ — nor the
 * service worker in public/ — may use an HTML sink. Svelte `{text}` interpolation and d3 `.text()`
 * escape; these do not. Comments count too (a sink named in prose reads like one in code to a
 * reviewer's grep): spell it differently there.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');

const SINKS: readonly { name: string; pattern: RegExp }[] = [
  { name: 'Svelte {@html}', pattern: /\{\s*@html\b/ },
  { name: 'innerHTML', pattern: /\binnerHTML\b/ },
  { name: 'outerHTML', pattern: /\bouterHTML\b/ },
  { name: 'insertAdjacentHTML', pattern: /\binsertAdjacentHTML\b/ },
  { name: 'document.write', pattern: /\bdocument\s*\.\s*write(?:ln)?\s*\(/ },
  { name: 'd3 .html()', pattern: /\.\s*html\s*\(/ },
  { name: 'createContextualFragment', pattern: /\bcreateContextualFragment\b/ },
  { name: 'iframe srcdoc', pattern: /\bsrcdoc\b/i },
];

const SOURCE = /\.(?:ts|js|mjs|cjs|svelte|html)$/;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile() && SOURCE.test(e.name)) out.push(p);
  }
  return out;
}

function findSinks(text: string): { sink: string; line: number; text: string }[] {
  const hits: { sink: string; line: number; text: string }[] = [];
  text.split('\n').forEach((line, i) => {
    for (const s of SINKS) if (s.pattern.test(line)) hits.push({ sink: s.name, line: i + 1, text: line.trim() });
  });
  return hits;
}

describe('no HTML sinks in the sources', () => {
  it('recognises every sink it is meant to ban', () => {
    const samples = [
      '{@html report.name}',
      '{ @html x }',
      'el.innerHTML = name;',
      'el.outerHTML = name;',
      "el.insertAdjacentHTML('beforeend', name)",
      'document.write(name)',
      'document.writeln(name)',
      "sel.append('text').html(d => d.name)",
      'range.createContextualFragment(name)',
      'frame.srcdoc = name',
    ];
    for (const s of samples) expect(findSinks(s), s).toHaveLength(1);
    for (const s of ['{name}', "sel.text(d => d.name)", "renderHtmlReport(report)", "'report.html'", "downloadText(`${stem()}.html`, html)"]) {
      expect(findSinks(s), s).toEqual([]);
    }
  });

  it('src/ and public/*.js use none of them', () => {
    const files = [...walk(join(ROOT, 'src')), ...walk(join(ROOT, 'public')).filter((f) => /\.m?js$/.test(f))];
    expect(files.length).toBeGreaterThan(50);
    expect(files.some((f) => f.endsWith('.svelte'))).toBe(true);
    const hits = files.flatMap((f) => findSinks(readFileSync(f, 'utf8')).map((h) => `${relative(ROOT, f)}:${h.line} ${h.sink}: ${h.text}`));
    expect(hits, hits.join('\n')).toEqual([]);
  });
});
