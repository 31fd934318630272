import { describe, expect, it } from 'vitest';
import { MAX_MARKDOWN_ROWS, renderMarkdownReport } from '../../../src/lib/report/render-markdown.ts';
import { demoReport } from './demo-report.ts';
import { bigModel, HOSTILE, hostileReport, LONG_NAME } from './synthetic-report.ts';

/** Text outside code spans (CommonMark: a run of N backticks closes at the next run of exactly N). */
function outsideCode(line: string): string {
  let out = '';
  let at = 0;
  while (at < line.length) {
    const open = /`+/g;
    open.lastIndex = at;
    const m = open.exec(line);
    if (!m) break;
    const close = new RegExp(`(?<!\`)${m[0]}(?!\`)`, 'g');
    close.lastIndex = m.index + m[0].length;
    const c = close.exec(line);
    if (!c) break;
    out += line.slice(at, m.index);
    at = c.index + c[0].length;
  }
  return out + line.slice(at);
}

/** Cells of a GFM table row: split at "|" not escaped by a backslash. */
function cells(line: string): number {
  return line.split(/(?<!\\)\|/).length - 2;
}

/** The tables of a document: header cell count and every row's cell count. */
function tables(md: string): { header: number; rows: number[] }[] {
  const out: { header: number; rows: number[] }[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^\|[-:| ]+\|$/.test(lines[i + 1] ?? '') || !(lines[i] ?? '').startsWith('|')) continue;
    const t = { header: cells(lines[i] ?? ''), rows: [] as number[] };
    for (i += 2; (lines[i] ?? '').startsWith('|'); i++) t.rows.push(cells(lines[i] ?? ''));
    out.push(t);
  }
  return out;
}

describe('renderMarkdownReport', () => {
  it('gives the verdict, findings, changed tensors and file hashes of the demo case', async () => {
    const r = await demoReport();
    const md = renderMarkdownReport(r);
    expect(md.startsWith('# Model Sleuth report: TAMPERED\n')).toBe(true);
    expect(md).toContain('**Verdict: `tampered`** — The suspect model was modified.');
    expect(md).toContain('| **F1** | high | tensor-modified |');
    expect(md).toContain('| `model.layers.3.self_attn.o_proj.weight` | modified | sparse | 3 (0.073 %) |');
    for (const f of r.inputs.suspect.files) expect(md).toContain(`\`${f.sha256 ?? ''}\``);
    expect(md).toContain('| **differs** |');
    const t = tables(md);
    expect(t).toHaveLength(3);
    for (const table of t) expect(table.rows.every((n) => n === table.header)).toBe(true);
    expect(t[0]?.rows).toHaveLength(r.findings.length);
  });

  it('keeps hostile strings inert: no raw HTML, links, autolinks, extra table cells or lines', () => {
    const r = hostileReport();
    const md = renderMarkdownReport(r);
    for (const line of md.split('\n')) {
      const plain = outsideCode(line).replace(/^<sub>|<\/sub>$/g, '');
      expect(plain, line).not.toMatch(/(?<!\\)</); // every "<" outside code is "\<"
      expect(plain, line).not.toMatch(/(?<!\\)\](?:\(|\[|:)/); // no inline, reference or definition link
      expect(plain, line).not.toMatch(/(?<!\\)`/);
      expect(plain, line).not.toMatch(/https?:\/\//); // no GFM autolink
    }
    expect(md).not.toMatch(/[\u2028\u2029\u202e]/);
    expect(md).toContain('⟨U+202E⟩');
    // Table structure survives pipes, backticks and newlines in names and messages.
    for (const table of tables(md)) expect(table.rows.every((n) => n === table.header)).toBe(true);
    const findings = tables(md)[0];
    expect(findings?.rows).toHaveLength(HOSTILE.length);
    // Names are verbatim inside code spans (pipes escaped for the table).
    expect(md).toContain('| ````\\| pipe \\| `tick` ```fence``` *star* _under_ [link](http://evil.example) ![img](x) <b>bold</b> ~~s~~ $x$```` in `# heading` |');
    expect(md).not.toContain(LONG_NAME);
  });

  it('bounds its tables for a 1,000-tensor model where everything changed', () => {
    const md = renderMarkdownReport(bigModel(111, () => 'modified'));
    const t = tables(md);
    expect(t[0]?.rows).toHaveLength(MAX_MARKDOWN_ROWS);
    expect(t[1]?.rows).toHaveLength(MAX_MARKDOWN_ROWS);
    expect(md).toContain(`… and ${(1002 - MAX_MARKDOWN_ROWS).toLocaleString('en-US')} more changed tensors (see the JSON report).`);
    expect(md.length).toBeLessThan(40_000);
  });

  it('reports a clean comparison briefly', () => {
    const md = renderMarkdownReport(bigModel(2));
    expect(md).toContain('**Verdict: `clean`** — No difference found.');
    expect(md).toContain('No findings.');
    expect(md).toContain('No tensor changed beyond rounding.');
  });
});
