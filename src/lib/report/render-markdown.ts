/**
 * Markdown report for tickets (GitHub / GitLab flavoured): the verdict, the findings, the changed
 * tensors and the file hashes — short enough to paste, with the JSON report as the full record.
 *
 * Model-derived strings are hostile: names and paths go in code spans (`markdownCode`: verbatim,
 * no Markdown or HTML inside, "|" escaped for tables), free text through `escapeMarkdown`
 * (backslash before every character that could format, link, embed HTML or split a table cell).
 */
import { clip, escapeMarkdown, markdownCode } from './escape.ts';
import { formatBytes, formatCount, formatNumber, formatPercent, formatShape } from './svg/format.ts';
import { changeGroup, rankChanged, STATUS_WORDS } from './svg/model-layout.ts';
import { renderAdapterMarkdown } from './render-adapter.ts';
import type { ReportTensor, ReportV1, VerdictStatus } from './types.ts';

/** Rows of the findings and changed-tensor tables before "… and N more". */
export const MAX_MARKDOWN_ROWS = 50;

const HEADLINE: Record<VerdictStatus, string> = {
  clean: 'No difference found',
  'benign-precision': 'Only precision changed (within rounding)',
  tampered: 'The suspect model was modified',
  'malicious-code': 'Executable code found in a model file',
  inconclusive: 'Not everything could be checked',
};

/** Free text in a table cell or a line: escaped, one line, clipped. */
const text = (s: string, max = 600): string => escapeMarkdown(clip(s, max));
/** The same, where the text begins a line, list item or quote (block markers count there). */
const lineText = (s: string, max = 600): string => escapeMarkdown(clip(s, max), { atLineStart: true });
const code = (s: string): string => markdownCode(clip(s));
const codeInline = (s: string): string => markdownCode(clip(s), { inTable: false });

export function renderMarkdownReport(report: ReportV1): string {
  const out: string[] = [];
  const v = report.verdict;
  out.push(`# Model Sleuth report: ${text(v.status.toUpperCase(), 40)}`, '');
  out.push(`**Verdict: ${codeInline(v.status)}** — ${HEADLINE[v.status] ?? 'unknown status'}.`, '');
  out.push(`> ${lineText(v.summary, 4000)}`, '');
  for (const p of report.patterns ?? []) out.push(`- ${lineText(p, 1000)}`);
  if (report.patterns?.length) out.push('');
  out.push(`- **Known-good:** ${codeInline(report.inputs.knownGood.label)} (${report.inputs.knownGood.files.length} files)`);
  out.push(`- **Suspect:** ${codeInline(report.inputs.suspect.label)} (${report.inputs.suspect.files.length} files)`);
  const counts = countGroups(report.tensors);
  out.push(`- **Tensors:** ${formatCount(report.tensors.length)} compared — ${formatCount(counts.changed)} changed, ${counts.rounding ? `${formatCount(counts.rounding)} rounding only, ` : ''}${formatCount(counts.identical)} identical`);
  out.push(`- **Generated:** ${escapeMarkdown(report.generatedAt)} by ${escapeMarkdown(report.tool.name)} ${escapeMarkdown(report.tool.version)} (${escapeMarkdown(report.tool.engine)} engine)`, '');

  out.push('## Findings', '');
  if (report.findings.length === 0) out.push('No findings.', '');
  else {
    const reasons = new Set(v.reasons);
    out.push('| ID | Severity | Kind | Finding | Where |', '|---|---|---|---|---|');
    for (const f of report.findings.slice(0, MAX_MARKDOWN_ROWS)) {
      const where = [f.tensor !== undefined ? code(f.tensor) : '', f.file !== undefined ? `in ${code(f.file)}` : ''].filter(Boolean).join(' ');
      out.push(`| ${reasons.has(f.id) ? `**${text(f.id, 40)}**` : text(f.id, 40)} | ${text(f.severity, 20)} | ${text(f.kind, 60)} | ${text(f.message)} | ${where} |`);
    }
    if (report.findings.length > MAX_MARKDOWN_ROWS) out.push('', `… and ${formatCount(report.findings.length - MAX_MARKDOWN_ROWS)} more findings (see the JSON report).`);
    out.push('', 'Findings in **bold** decide the verdict.', '');
  }

  const changed = rankChanged(report.tensors);
  out.push('## Changed tensors', '');
  if (changed.length === 0) out.push('No tensor changed beyond rounding.', '');
  else {
    out.push('| Tensor | Status | Edit | Changed elements | Relative change | Largest \\|Δ\\| | dtype | Shape |', '|---|---|---|--:|--:|--:|---|---|');
    for (const t of changed.slice(0, MAX_MARKDOWN_ROWS)) out.push(tensorRow(t));
    if (changed.length > MAX_MARKDOWN_ROWS) out.push('', `… and ${formatCount(changed.length - MAX_MARKDOWN_ROWS)} more changed tensors (see the JSON report).`);
    out.push('');
  }
  if (counts.rounding) out.push(`${formatCount(counts.rounding)} tensor${counts.rounding === 1 ? '' : 's'} differ only by rounding (a dtype cast within precision).`, '');

  out.push(...renderAdapterMarkdown(report));
  out.push('## Files', '');
  out.push('| File | Size | Known-good SHA-256 | Suspect SHA-256 | Result |', '|---|--:|---|---|---|');
  const kg = new Map(report.inputs.knownGood.files.map((f) => [f.path, f]));
  const su = new Map(report.inputs.suspect.files.map((f) => [f.path, f]));
  for (const path of new Set([...kg.keys(), ...su.keys()])) {
    const a = kg.get(path);
    const b = su.get(path);
    const hash = (h: string | null | undefined): string => (h === undefined ? '—' : h === null ? 'not read' : code(h));
    const result = !a ? 'only in suspect' : !b ? 'missing from suspect' : a.sha256 === null || b.sha256 === null ? 'could not be hashed' : a.sha256 === b.sha256 ? 'identical' : '**differs**';
    out.push(`| ${code(path)} | ${formatBytes(b?.size ?? a?.size ?? 0)} | ${hash(a?.sha256)} | ${hash(b?.sha256)} | ${result} |`);
  }
  out.push('');
  for (const side of ['knownGood', 'suspect'] as const) {
    const problems = report.inputs[side].problems ?? [];
    if (!problems.length) continue;
    out.push(`**${side === 'knownGood' ? 'Known-good' : 'Suspect'} — could not read:**`, '');
    for (const p of problems) out.push(`- ${codeInline(p.code)}${p.file !== undefined ? ` in ${codeInline(p.file)}` : ''}${p.offset !== undefined ? ` at byte ${formatCount(p.offset)}` : ''}: ${text(p.message)}`);
    out.push('');
  }

  if (report.notes?.length) {
    out.push('## Notes', '');
    for (const n of report.notes) out.push(`- ${lineText(n)}`);
    out.push('');
  }
  out.push(`<sub>${escapeMarkdown(report.schema)} · the JSON report is the complete record.</sub>`, '');
  return out.join('\n');
}

function tensorRow(t: ReportTensor): string {
  const d = t.delta;
  const dtype = t.dtype.knownGood === t.dtype.suspect ? (t.dtype.knownGood ?? '—') : `${t.dtype.knownGood ?? '—'} → ${t.dtype.suspect ?? '—'}`;
  const a = formatShape(t.shape.knownGood);
  const b = formatShape(t.shape.suspect);
  const cells = [
    code(t.name),
    text(STATUS_WORDS[t.status] ?? t.status, 40),
    d ? text(d.edit.kind, 40) : t.notCompared !== undefined ? 'not compared' : '—',
    d ? `${formatCount(d.changedCount)} (${formatPercent(d.changedFraction)})` : '—',
    d ? formatNumber(d.relL2) : '—',
    d ? formatNumber(d.maxAbs) : '—',
    text(dtype, 40),
    a === b ? a : `${a} → ${b}`,
  ];
  return `| ${cells.join(' | ')} |`;
}

function countGroups(tensors: readonly ReportTensor[]): Record<'changed' | 'rounding' | 'identical', number> {
  const c = { changed: 0, rounding: 0, identical: 0 };
  for (const t of tensors) c[changeGroup(t)]++;
  return c;
}
