/**
 * Self-contained HTML report: one file that opens offline anywhere and prints to PDF.
 *
 * No scripts at all and a CSP that forbids them (default-src 'none'; only inline styles and data:
 * images), no external resources (fonts, images, links), charts as inline SVG. Every string that
 * came from a model file — tensor names, file paths, labels, messages, tokens — enters the markup
 * through the `html`/`svg` template tags of escape.ts, which escape anything not built here.
 *
 * Order: the verdict in words, key findings, inputs, where the changes are (layer × module
 * heatmap), the tensor table (changed first; rounding-only and identical tensors collapsed, so a
 * 1,000-tensor model stays readable), a detail section per changed tensor, notes, and the tool.
 */
import { bitField } from '../analysis/classify-edit.ts';
import { DTYPES, type DType } from '../formats/dtype.ts';
import { clip, html, joinMarkup, SafeHtml } from './escape.ts';
import { embedJsonBlock } from './case-embed.ts';
import { renderTopRows } from './svg/bars.ts';
import { renderAdapterSection } from './render-adapter.ts';
import { formatBytes, formatCount, formatDuration, formatNumber, formatPercent, formatShape, formatValue } from './svg/format.ts';
import { renderLayerHeatmap, tensorColour } from './svg/heatmap.ts';
import { renderDeltaHistogram } from './svg/histogram.ts';
import { changeGroup, EDIT_KIND_WORDS, rankChanged, STATUS_WORDS } from './svg/model-layout.ts';
import { SEVERITIES, type DeltaReport, type Finding, type ReportFile, type ReportTensor, type ReportV1, type TopElementReport, type VerdictStatus } from './types.ts';

/** Detail sections for at most this many changed tensors (the most telling); the table lists all. */
export const MAX_DETAIL_SECTIONS = 30;
/** Rows of the changed-tensor and findings tables shown before the rest folds into a <details>. */
export const MAX_TABLE_ROWS = 200;
/** Names listed in the collapsed identical / rounding-only lists. */
const MAX_LISTED_NAMES = 5000;
/** Element changes shown before the rest of the recorded ones fold away. */
const TOP_ELEMENTS_SHOWN = 8;
/** Changed row indices spelled out in a detail section. */
const MAX_ROWS_LISTED = 40;

export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const VERDICT_WORDS: Record<VerdictStatus, { headline: string; meaning: string }> = {
  clean: {
    headline: 'No difference found',
    meaning: 'Every tensor of the suspect is bit-identical to the known-good model, and no file beside the weights differs.',
  },
  'benign-precision': {
    headline: 'Only precision changed',
    meaning: 'The suspect is a lower-precision copy (a dtype conversion or quantization): every difference is within the rounding of the narrower format. Nothing else differs.',
  },
  tampered: {
    headline: 'The suspect model was modified',
    meaning: 'Its weights or files differ from the known-good model in ways that rounding cannot explain. The findings below say where and how.',
  },
  'malicious-code': {
    headline: 'Executable code found',
    meaning: 'A model file would run code when it is loaded. Do not load it with pickle-based loaders (torch.load without weights_only).',
  },
  inconclusive: {
    headline: 'Not everything could be checked',
    meaning: 'Parts of the models could not be read or compared, so this is not a clean result. The findings below say what is missing.',
  },
};

// ── case-file integration (issue 6): an optional embedded JSON data block, so an exported HTML
// report can be imported and verified (case-embed.ts); the CSS, shared with the case report. ──
export interface RenderHtmlOptions {
  /** Embed the report JSON as a `<script type="application/json">` data block (never executed). */
  embedJson?: boolean;
}
export { CSS as REPORT_CSS };
// ── end case-file integration ──

export function renderHtmlReport(report: ReportV1, options: RenderHtmlOptions = {}): string {
  const changed = rankChanged(report.tensors);
  const anchors = new Map<string, string>();
  changed.slice(0, MAX_DETAIL_SECTIONS).forEach((t, i) => anchors.set(t.name, `t${i + 1}`));
  const heatmap = renderLayerHeatmap(report.tensors, { anchors });

  const doc = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${report.tool.name} ${report.tool.version}">
<title>${String(report.verdict.status).toUpperCase()} · Model Sleuth report · ${clip(report.inputs.suspect.label, 80)}</title>
<style>${new SafeHtml(CSS)}</style>
</head>
<body>
<header class="top"><span class="brand">Model Sleuth</span> <span class="muted">model forensics report · ${formatDate(report.generatedAt)}</span></header>
<main>
${verdictSection(report)}
${glance(report, changed.length)}
<nav class="toc" aria-label="Contents"><a href="#findings">Findings</a> · <a href="#inputs">Inputs</a> · <a href="#tensors">Tensors</a>${changed.length ? html` · <a href="#details">Changed tensors in detail</a>` : ''}${report.notes?.length ? html` · <a href="#notes">Notes</a>` : ''} · <a href="#about">About this report</a></nav>
${findingsSection(report)}
${renderAdapterSection(report)}
${inputsSection(report)}
${tensorsSection(report, changed, anchors, heatmap)}
${detailsSection(changed)}
${notesSection(report)}
${aboutSection(report)}
</main>
${options.embedJson ? new SafeHtml(`${embedJsonBlock(report)}\n`) : ''}</body>
</html>
`;
  return doc.value;
}

// ── verdict ─────────────────────────────────────────────────────────────────

function verdictSection(report: ReportV1): SafeHtml {
  const v = report.verdict;
  // A renderer may be handed an imported report that failed validation: never crash on a value.
  const words = VERDICT_WORDS[v.status] ?? { headline: 'Unknown verdict', meaning: 'The report names a verdict this version does not know.' };
  return html`<section class="verdict v-${v.status}" id="verdict" data-testid="verdict">
<div class="status">${String(v.status).replace('-', ' ')}</div>
<h1>${words.headline}</h1>
<p class="meaning">${words.meaning}</p>
<p class="summary">${v.summary}</p>
${report.patterns?.length ? html`<ul class="patterns">${report.patterns.map((p) => html`<li>${p}</li>`)}</ul>` : ''}
<dl class="compared"><dt>Known-good</dt><dd>${clip(report.inputs.knownGood.label)}</dd><dt>Suspect</dt><dd>${clip(report.inputs.suspect.label)}</dd></dl>
</section>`;
}

function glance(report: ReportV1, changedCount: number): SafeHtml {
  const total = report.tensors.length;
  const identical = report.tensors.filter((t) => changeGroup(t) === 'identical').length;
  const rounding = report.tensors.filter((t) => changeGroup(t) === 'rounding').length;
  const files = pairFiles(report);
  const differing = files.filter((f) => f.result !== 'same').length;
  const bySeverity = countBy(report.findings.map((f) => f.severity));
  const severities = SEVERITIES.filter((s) => bySeverity.get(s));
  const tile = (value: string, label: string, cls = ''): SafeHtml => html`<div class="tile ${cls}"><div class="value">${value}</div><div class="label">${label}</div></div>`;
  return html`<section class="glance" aria-label="At a glance">
${tile(formatCount(total), 'tensors compared')}
${tile(formatCount(changedCount), 'changed', changedCount ? 'bad' : 'good')}
${rounding ? tile(formatCount(rounding), 'rounding only') : ''}
${tile(formatCount(identical), 'identical')}
${tile(`${differing} of ${files.length}`, 'files differ', differing ? 'warn' : 'good')}
<div class="tile"><div class="value">${formatCount(report.findings.length)}</div><div class="label">finding${report.findings.length === 1 ? '' : 's'}${severities.map((s) => html` <span class="sev sev-${s}">${formatCount(bySeverity.get(s) ?? 0)} ${s}</span>`)}</div></div>
</section>`;
}

// ── findings ────────────────────────────────────────────────────────────────

function findingsSection(report: ReportV1): SafeHtml {
  const reasons = new Set(report.verdict.reasons);
  const row = (f: Finding): SafeHtml => html`<tr class="${reasons.has(f.id) ? 'reason' : ''}">
<td class="id">${f.id}</td>
<td><span class="sev sev-${f.severity}">${f.severity}</span>${reasons.has(f.id) ? html`<div class="why">decides the verdict</div>` : ''}</td>
<td><div>${clip(f.message, 2000)}</div><div class="kind">${f.kind}</div></td>
<td class="where">${f.tensor !== undefined ? html`<code>${nameHtml(f.tensor)}</code>` : ''}${f.tensor !== undefined && f.file !== undefined ? html`<br>` : ''}${f.file !== undefined ? html`<span class="muted">in</span> <code>${nameHtml(f.file)}</code>` : ''}</td>
</tr>`;
  if (report.findings.length === 0) return html`<section id="findings"><h2>Key findings</h2><p class="muted">No findings.</p></section>`;
  const head = html`<thead><tr><th>ID</th><th>Severity</th><th>What was found</th><th>Where</th></tr></thead>`;
  const shown = report.findings.slice(0, MAX_TABLE_ROWS);
  const rest = report.findings.slice(MAX_TABLE_ROWS);
  return html`<section id="findings"><h2>Key findings</h2>
<p class="muted">Most serious first. Highlighted findings decide the verdict.</p>
<table class="findings">${head}<tbody>${shown.map(row)}</tbody></table>
${rest.length ? html`<details><summary>${formatCount(rest.length)} more findings</summary><table class="findings">${head}<tbody>${rest.map(row)}</tbody></table></details>` : ''}
</section>`;
}

// ── inputs ──────────────────────────────────────────────────────────────────

type FileResult = 'same' | 'differs' | 'only-known-good' | 'only-suspect' | 'unreadable';
interface FilePair {
  path: string;
  knownGood: ReportFile | undefined;
  suspect: ReportFile | undefined;
  result: FileResult;
}

function pairFiles(report: ReportV1): FilePair[] {
  const kg = new Map(report.inputs.knownGood.files.map((f) => [f.path, f]));
  const su = new Map(report.inputs.suspect.files.map((f) => [f.path, f]));
  const paths = [...new Set([...kg.keys(), ...su.keys()])];
  return paths.map((path) => {
    const a = kg.get(path);
    const b = su.get(path);
    let result: FileResult;
    if (!a) result = 'only-suspect';
    else if (!b) result = 'only-known-good';
    else if (a.sha256 === null || b.sha256 === null) result = 'unreadable';
    else result = a.sha256 === b.sha256 ? 'same' : 'differs';
    return { path, knownGood: a, suspect: b, result };
  });
}

const FILE_RESULT_WORDS: Record<FileResult, string> = {
  same: 'identical bytes',
  differs: 'bytes differ',
  'only-known-good': 'missing from suspect',
  'only-suspect': 'only in suspect',
  unreadable: 'could not be hashed',
};

function inputsSection(report: ReportV1): SafeHtml {
  const files = pairFiles(report);
  const hash = (f: ReportFile | undefined): SafeHtml => (f ? (f.sha256 === null ? html`<span class="muted">not read to the end</span>` : html`<code class="hash">${f.sha256}</code>`) : html`<span class="muted">—</span>`);
  const size = (p: FilePair): string => {
    const a = p.knownGood?.size;
    const b = p.suspect?.size;
    if (a !== undefined && b !== undefined && a !== b) return `${formatBytes(a)} → ${formatBytes(b)}`;
    return formatBytes(a ?? b ?? 0);
  };
  const rows = files.map(
    (p) => html`<tr class="file-${p.result}">
<td><code>${nameHtml(p.path)}</code><div class="kind">${clip([p.suspect?.role ?? p.knownGood?.role, p.suspect?.format ?? p.knownGood?.format].filter((x) => x !== undefined && x !== '').join(' · '), 80)}</div></td>
<td class="num">${size(p)}</td>
<td>${hash(p.knownGood)}</td>
<td>${hash(p.suspect)}</td>
<td><span class="result r-${p.result}">${FILE_RESULT_WORDS[p.result]}</span></td>
</tr>`,
  );
  const problems = (side: 'knownGood' | 'suspect'): SafeHtml => {
    const list = report.inputs[side].problems ?? [];
    if (!list.length) return html``;
    return html`<p><b>${side === 'knownGood' ? 'Known-good' : 'Suspect'}: could not read</b></p><ul class="problems">${list.map(
      (e) => html`<li><code>${e.code}</code>${e.file !== undefined ? html` in <code>${clip(e.file)}</code>` : ''}${e.offset !== undefined ? ` at byte ${formatCount(e.offset)}` : ''}: ${clip(e.message, 2000)}</li>`,
    )}</ul>`;
  };
  return html`<section id="inputs"><h2>Inputs</h2>
<p class="muted">Known-good: <b>${clip(report.inputs.knownGood.label)}</b> (${report.inputs.knownGood.files.length} files) · Suspect: <b>${clip(report.inputs.suspect.label)}</b> (${report.inputs.suspect.files.length} files). SHA-256 of every file's bytes.</p>
<table class="files"><thead><tr><th>File</th><th class="num">Size</th><th>Known-good SHA-256</th><th>Suspect SHA-256</th><th>Result</th></tr></thead><tbody>${rows}</tbody></table>
${problems('knownGood')}${problems('suspect')}
</section>`;
}

// ── tensors ─────────────────────────────────────────────────────────────────

/** A tensor name or path that may wrap after its separators ("model.<wbr>layers.<wbr>3…") instead of mid-word. */
function nameHtml(name: string, max?: number): SafeHtml {
  const parts = clip(name, max).split(/(?<=[./_])/);
  return joinMarkup(
    parts.map((p) => html`${p}`),
    '<wbr>',
  );
}

function statusBadge(t: ReportTensor): SafeHtml {
  return html`<span class="badge st-${t.status}">${STATUS_WORDS[t.status] ?? t.status}</span>`;
}

function dtypeText(t: ReportTensor): string {
  const a = t.dtype.knownGood;
  const b = t.dtype.suspect;
  return a === b ? (a ?? '—') : `${a ?? '—'} → ${b ?? '—'}`;
}

function shapeText(t: ReportTensor): string {
  const a = formatShape(t.shape.knownGood);
  const b = formatShape(t.shape.suspect);
  return a === b ? a : `${a} → ${b}`;
}

function tensorsSection(report: ReportV1, changed: readonly ReportTensor[], anchors: ReadonlyMap<string, string>, heatmap: SafeHtml | null): SafeHtml {
  const rounding = report.tensors.filter((t) => changeGroup(t) === 'rounding');
  const identical = report.tensors.filter((t) => changeGroup(t) === 'identical');
  const row = (t: ReportTensor): SafeHtml => {
    const id = anchors.get(t.name);
    const d = t.delta;
    return html`<tr data-status="${t.status}">
<td><span class="swatch" style="background:${tensorColour(t)}"></span></td>
<td class="name">${id === undefined ? html`<code>${nameHtml(t.name)}</code>` : html`<a href="#${id}"><code>${nameHtml(t.name)}</code></a>`}</td>
<td>${statusBadge(t)}</td>
<td>${d ? d.edit.kind : html`<span class="muted">${t.notCompared !== undefined ? 'not compared' : '—'}</span>`}</td>
<td class="num">${d ? html`${formatCount(d.changedCount)} <span class="muted">(${formatPercent(d.changedFraction)})</span>` : '—'}</td>
<td class="num">${d ? formatNumber(d.relL2) : '—'}</td>
<td class="num">${d ? formatNumber(d.maxAbs) : '—'}</td>
<td class="dtype">${clip(dtypeText(t), 24)}</td>
<td class="shape">${shapeText(t)}</td>
</tr>`;
  };
  const head = html`<thead><tr><th></th><th>Tensor</th><th>Status</th><th>Edit</th><th class="num">Changed elements</th><th class="num">Relative change</th><th class="num">Largest |Δ|</th><th>dtype</th><th>Shape</th></tr></thead>`;
  const shown = changed.slice(0, MAX_TABLE_ROWS);
  const rest = changed.slice(MAX_TABLE_ROWS);
  const names = (list: readonly ReportTensor[], extra: (t: ReportTensor) => string): SafeHtml =>
    html`<ul class="names">${list.slice(0, MAX_LISTED_NAMES).map((t) => html`<li><code>${nameHtml(t.name)}</code>${extra(t) ? html` <span class="muted">${extra(t)}</span>` : ''}</li>`)}</ul>${
      list.length > MAX_LISTED_NAMES ? html`<p class="muted">… and ${formatCount(list.length - MAX_LISTED_NAMES)} more (see the JSON report).</p>` : ''
    }`;
  return html`<section id="tensors"><h2>Tensors</h2>
${
  heatmap
    ? html`<h3>Where the changes are</h3>
<p class="muted">One cell per tensor: columns are layers, rows are the modules inside a layer; colour is the size of the change relative to the weights. Click a coloured cell for its details.</p>
<figure class="wide">${heatmap}</figure>`
    : ''
}
<h3>${changed.length ? `${formatCount(changed.length)} changed tensor${changed.length === 1 ? '' : 's'}` : 'No changed tensors'}</h3>
${changed.length ? html`<p class="muted">Most telling first: added, removed or reshaped tensors, then by relative change ‖Δ‖₂ / ‖W‖₂.</p><table class="tensors">${head}<tbody>${shown.map(row)}</tbody></table>` : ''}
${rest.length ? html`<details><summary>${formatCount(rest.length)} more changed tensors</summary><table class="tensors">${head}<tbody>${rest.map(row)}</tbody></table></details>` : ''}
${
  rounding.length
    ? html`<details class="group"><summary>${formatCount(rounding.length)} tensor${rounding.length === 1 ? '' : 's'} differ only by rounding (${summariseDtypes(rounding)})</summary>${names(rounding, (t) => `${clip(dtypeText(t), 24)}, largest |Δ| ${formatNumber(t.delta?.maxAbs ?? 0)}`)}</details>`
    : ''
}
${identical.length ? html`<details class="group"><summary>${formatCount(identical.length)} tensor${identical.length === 1 ? ' is' : 's are'} bit-identical</summary>${names(identical, () => '')}</details>` : ''}
</section>`;
}

function summariseDtypes(list: readonly ReportTensor[]): string {
  const counts = countBy(list.map(dtypeText));
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, n]) => (counts.size > 1 ? `${clip(k, 24)} ×${n}` : clip(k, 24)))
    .join(', ');
}

// ── per-tensor details ──────────────────────────────────────────────────────

function detailsSection(changed: readonly ReportTensor[]): SafeHtml {
  if (!changed.length) return html``;
  const shown = changed.slice(0, MAX_DETAIL_SECTIONS);
  return html`<section id="details"><h2>Changed tensors in detail</h2>
${changed.length > shown.length ? html`<p class="muted">The ${shown.length} most telling of ${formatCount(changed.length)} changed tensors; all of them are in the table above and in the JSON report.</p>` : ''}
${shown.map((t, i) => tensorDetail(t, `t${i + 1}`))}
</section>`;
}

function tensorDetail(t: ReportTensor, id: string): SafeHtml {
  const d = t.delta;
  const rows = t.shape.knownGood?.[0] ?? t.shape.suspect?.[0];
  const shape = t.shape.knownGood ?? t.shape.suspect ?? [];
  const rowLength = shape.length >= 2 ? shape.slice(1).reduce((p, x) => p * x, 1) : undefined;
  const metric = (label: string, value: SafeHtml | string, hint = ''): SafeHtml => html`<div><dt>${label}</dt><dd>${value}${hint ? html`<div class="hint">${hint}</div>` : ''}</dd></div>`;
  const sides = html`${metric('dtype', clip(dtypeText(t), 60))}${metric('Shape', shapeText(t))}${
    t.file && (t.file.knownGood ?? t.file.suspect) !== null ? metric('File', html`<code>${nameHtml(t.file.suspect ?? t.file.knownGood ?? '')}</code>`) : ''
  }`;
  const hashes = html`<div class="hashes"><div><span class="muted">known-good bytes SHA-256</span> <code class="hash">${t.sha256.knownGood ?? '—'}</code></div><div><span class="muted">suspect bytes SHA-256</span> <code class="hash">${t.sha256.suspect ?? '—'}</code></div></div>`;
  const header = html`<h3>${statusBadge(t)}${d ? html` <span class="badge edit">${d.edit.kind} edit</span>` : ''} <code class="tname">${nameHtml(t.name)}</code></h3>`;
  if (!d) {
    return html`<article class="tensor" id="${id}">${header}
<p>${t.notCompared !== undefined ? html`Values were not compared: ${clip(t.notCompared, 2000)}.` : statusSentence(t)}</p>
<dl class="metrics">${sides}</dl>${hashes}</article>`;
  }
  const histogram = renderDeltaHistogram({ delta: d.deltaHistogram ?? [], weights: t.stats?.knownGood?.hist });
  const topRows = shape.length >= 2 && d.topRows.length ? renderTopRows(d.topRows, rowLength === undefined ? {} : { rowLength }) : null;
  const rowsChanged = d.changedRowsTruncated ? `more than ${formatCount(d.changedRows.length)}` : formatCount(d.changedRows.length);
  const rowList = d.changedRows.length && d.changedRows.length < (rows ?? Infinity) ? `: ${d.changedRows.slice(0, MAX_ROWS_LISTED).join(', ')}${d.changedRows.length > MAX_ROWS_LISTED || d.changedRowsTruncated ? ', …' : ''}` : '';
  const elements = shape.reduce((p, x) => p * x, 1);
  return html`<article class="tensor" id="${id}">${header}
<p class="edit-words"><b>${d.edit.kind}</b>${d.edit.rank !== undefined ? ` (rank ${d.edit.rank})` : ''}: ${EDIT_KIND_WORDS[d.edit.kind] ?? d.edit.kind}.${d.edit.explanation !== undefined ? html` Here: ${clip(d.edit.explanation, 2000)}.` : ''} <span class="muted">Confidence ${Math.round(d.edit.confidence * 100)} %.</span></p>
<dl class="metrics">
${metric('Changed elements', `${formatCount(d.changedCount)} of ${formatCount(elements)}`, formatPercent(d.changedFraction))}
${rows !== undefined && shape.length >= 2 ? metric('Changed rows', `${rowsChanged} of ${formatCount(rows)}`, rowList ? `rows${rowList}` : '') : ''}
${metric('Relative change', formatNumber(d.relL2), '‖Δ‖₂ / ‖W‖₂ — 1 means as large as the weights')}
${metric('Largest |Δ|', formatNumber(d.maxAbs))}
${metric('‖Δ‖₂', formatNumber(d.l2))}
${metric('Cosine similarity', formatNumber(d.cosine, 6), 'of the two tensors; 1 = same direction')}
${d.nonFiniteChanged ? metric('Non-finite changes', formatCount(d.nonFiniteChanged), 'NaN or ±∞ on one side') : ''}
${d.precisionViolations !== undefined ? metric('Beyond rounding', formatCount(d.precisionViolations), 'differences larger than the narrower dtype can round') : ''}
${sides}
</dl>
${hashes}
${
  histogram || topRows
    ? html`<div class="charts">${
        histogram
          ? html`<figure>${histogram}<figcaption>How big the changes are. Left of the grey weights: rounding-sized noise; beside them: a real edit; far right: values blown up (e.g. a flipped exponent bit).</figcaption></figure>`
          : ''
      }${topRows ? html`<figure>${topRows}<figcaption>Rows that changed most, by ‖Δ‖₂ of the row${d.rowBucket !== undefined && d.rowBucket > 1 ? ` (rows tracked in buckets of ${formatCount(d.rowBucket)})` : ''}.</figcaption></figure>` : ''}</div>`
    : ''
}
${topElementsTable(t, d)}
</article>`;
}

function statusSentence(t: ReportTensor): string {
  switch (t.status) {
    case 'added':
      return `This tensor exists only in the suspect (${t.dtype.suspect ?? '?'} ${formatShape(t.shape.suspect)}).`;
    case 'removed':
      return `This tensor is missing from the suspect (known-good: ${t.dtype.knownGood ?? '?'} ${formatShape(t.shape.knownGood)}).`;
    case 'shape-changed':
      return `The shape changed from ${formatShape(t.shape.knownGood)} to ${formatShape(t.shape.suspect)}, so values cannot be compared element by element.`;
    default:
      return 'The bytes differ; values were not compared.';
  }
}

function topElementsTable(t: ReportTensor, d: DeltaReport): SafeHtml {
  if (!d.topElements.length) return html``;
  const dtype = t.dtype.suspect ?? t.dtype.knownGood;
  const anyBits = d.topElements.some((e) => e.flippedBits !== undefined);
  const row = (e: TopElementReport): SafeHtml =>
    html`<tr><td class="mono idx">[${e.index.join(', ')}]</td><td class="num mono">${formatValue(e.knownGood)}</td><td class="num mono">${formatValue(e.suspect)}</td>${anyBits ? html`<td>${flippedBits(e, dtype)}</td>` : ''}</tr>`;
  const head = html`<thead><tr><th>Index</th><th class="num">Known-good</th><th class="num">Suspect</th>${anyBits ? html`<th>Flipped bits <span class="muted">(of the stored bit pattern; 0 = least significant)</span></th>` : ''}</tr></thead>`;
  const first = d.topElements.slice(0, TOP_ELEMENTS_SHOWN);
  const rest = d.topElements.slice(TOP_ELEMENTS_SHOWN);
  const total = d.changedCount > d.topElements.length ? ` of ${formatCount(d.changedCount)} changed` : '';
  return html`<h4>Largest element changes <span class="muted">(${first.length}${rest.length ? ` of the ${d.topElements.length} recorded` : ''}${total})</span></h4>
<table class="elements">${head}<tbody>${first.map(row)}</tbody></table>
${rest.length ? html`<details><summary>${rest.length} more recorded elements</summary><table class="elements">${head}<tbody>${rest.map(row)}</tbody></table></details>` : ''}`;
}

function flippedBits(e: TopElementReport, dtype: string | null): SafeHtml {
  const bits = e.flippedBits;
  if (bits === undefined) return html`<span class="muted">—</span>`;
  if (!bits.length) return html`<span class="muted">none</span>`;
  const groups = new Map<string, number[]>();
  for (const b of [...bits].sort((x, y) => y - x)) {
    const field = dtype !== null && Object.prototype.hasOwnProperty.call(DTYPES, dtype) ? bitField(dtype as DType, b) : 'bit';
    groups.set(field, [...(groups.get(field) ?? []), b]);
  }
  return joinMarkup(
    [...groups.entries()].map(([field, list]) =>
      field === 'mantissa' && list.length > 3 ? html`<span class="bits f-${field}" title="${list.join(', ')}">${list.length} mantissa bits</span>` : html`<span class="bits f-${field}">${field} ${list.join(', ')}</span>`,
    ),
    ' ',
  );
}

// ── notes, about ────────────────────────────────────────────────────────────

function notesSection(report: ReportV1): SafeHtml {
  if (!report.notes?.length) return html``;
  return html`<section id="notes"><h2>Notes</h2><ul>${report.notes.map((n) => html`<li>${clip(n, 2000)}</li>`)}</ul></section>`;
}

function aboutSection(report: ReportV1): SafeHtml {
  const s = report.summary;
  return html`<footer id="about"><h2>About this report</h2>
<dl class="about">
<dt>Tool</dt><dd>${report.tool.name} ${report.tool.version}, ${report.tool.engine === 'webgpu' ? 'WebGPU' : 'CPU'} engine</dd>
<dt>Generated</dt><dd>${formatDate(report.generatedAt)}</dd>
${s ? html`<dt>Work</dt><dd>${formatCount(s.filesCompared)} files, ${formatBytes(s.bytesRead)} read in ${formatDuration(s.durationMs)}</dd>` : ''}
<dt>Format</dt><dd>${report.schema} — the JSON report is the complete record; this page summarises it.</dd>
</dl>
<p class="muted">A self-contained page: no scripts, no network requests, nothing loaded from elsewhere. Names and text taken from the model files are shown as plain text; invisible or direction-changing characters in them appear as <span class="cc">U+XXXX</span>.</p>
</footer>`;
}

// ── helpers ─────────────────────────────────────────────────────────────────

function countBy<T>(items: readonly T[]): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const CSS = `
:root { --fg:#111827; --muted:#6b7280; --line:#e5e7eb; --bg:#fff; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: var(--fg); background: #f8fafc; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 0 20px 40px; }
header.top { max-width: 1040px; margin: 0 auto; padding: 14px 20px 6px; font-size: 13px; }
.brand { font-weight: 700; letter-spacing: .02em; }
.muted, .hint, .kind { color: var(--muted); }
code, .mono { font-family: var(--mono); font-size: .92em; overflow-wrap: anywhere; }
h2 { font-size: 19px; margin: 34px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 22px 0 6px; }
section, footer { break-inside: auto; }
a { color: #1d4ed8; text-decoration: none; }
a:hover { text-decoration: underline; }
.cc { font: 10px/1 var(--mono); border: 1px solid #b45309; color: #b45309; border-radius: 3px; padding: 0 2px; margin: 0 1px; white-space: nowrap; }

.verdict { margin: 8px 0 16px; padding: 22px 26px; border-radius: 10px; border: 2px solid; background: #fff; }
.verdict .status { display: inline-block; font-size: 13px; font-weight: 800; letter-spacing: .12em; text-transform: uppercase; color: #fff; padding: 3px 12px; border-radius: 999px; }
.verdict h1 { font-size: 32px; line-height: 1.15; margin: 12px 0 6px; }
.verdict .meaning { font-size: 16px; margin: 0 0 10px; }
.verdict .patterns { margin: 0 0 12px; padding-left: 20px; overflow-wrap: anywhere; }
.verdict .summary { margin: 0 0 12px; padding: 10px 14px; background: rgba(255,255,255,.7); border-radius: 6px; overflow-wrap: anywhere; }
.verdict .compared { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; font-size: 13px; }
.verdict .compared dt { color: var(--muted); }
.verdict .compared dd { margin: 0; overflow-wrap: anywhere; }
.v-clean { border-color: #15803d; background: #f0fdf4; } .v-clean .status { background: #15803d; } .v-clean h1 { color: #14532d; }
.v-benign-precision { border-color: #0e7490; background: #ecfeff; } .v-benign-precision .status { background: #0e7490; } .v-benign-precision h1 { color: #164e63; }
.v-tampered { border-color: #b91c1c; background: #fef2f2; } .v-tampered .status { background: #b91c1c; } .v-tampered h1 { color: #7f1d1d; }
.v-malicious-code { border-color: #86198f; background: #fdf4ff; } .v-malicious-code .status { background: #86198f; } .v-malicious-code h1 { color: #701a75; }
.v-inconclusive { border-color: #b45309; background: #fffbeb; } .v-inconclusive .status { background: #b45309; } .v-inconclusive h1 { color: #78350f; }

.glance { display: flex; flex-wrap: wrap; gap: 10px; margin: 0 0 10px; }
.tile { flex: 1 1 120px; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.tile .value { font-size: 22px; font-weight: 700; }
.tile .label { font-size: 12px; color: var(--muted); }
.tile.bad .value { color: #b91c1c; } .tile.warn .value { color: #b45309; } .tile.good .value { color: #15803d; }
.toc { font-size: 13px; color: var(--muted); margin: 6px 0 0; }

table { width: 100%; border-collapse: collapse; background: #fff; font-size: 13px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { font-size: 12px; color: #374151; background: #f1f5f9; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.reason td { background: #fff7ed; }
td.id, td.idx { font-family: var(--mono); white-space: nowrap; }
h4 { font-size: 13px; margin: 14px 0 4px; }
td.name { min-width: 240px; max-width: 420px; }
td.dtype, td.shape { white-space: nowrap; }
td.where { max-width: 300px; }
.why { font-size: 11px; color: #9a3412; font-weight: 600; white-space: nowrap; }
.kind { font-size: 11px; }
.hash { font-size: 11px; word-break: break-all; }
table.files td:nth-child(3), table.files td:nth-child(4) { max-width: 220px; }

.sev, .badge, .result { display: inline-block; font-size: 11px; font-weight: 600; padding: 1px 7px; border-radius: 999px; white-space: nowrap; }
.sev-critical { background: #7f1d1d; color: #fff; } .sev-high { background: #dc2626; color: #fff; } .sev-medium { background: #f59e0b; color: #111; }
.sev-low { background: #fde68a; color: #111; } .sev-info { background: #e5e7eb; color: #111; }
.badge { background: #e5e7eb; color: #111; }
.st-modified { background: #fee2e2; color: #991b1b; } .st-added, .st-removed, .st-shape-changed { background: #ede9fe; color: #5b21b6; }
.st-dtype-changed { background: #dbeafe; color: #1e40af; } .st-identical { background: #f1f5f9; color: #475569; }
.badge.edit { background: #fff7ed; color: #9a3412; }
.r-same { background: #dcfce7; color: #166534; } .r-differs { background: #fee2e2; color: #991b1b; }
.r-only-known-good, .r-only-suspect { background: #ede9fe; color: #5b21b6; } .r-unreadable { background: #fef3c7; color: #92400e; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; border: 1px solid #cbd5e1; vertical-align: middle; }

details { margin: 8px 0; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
details > summary { cursor: pointer; font-weight: 600; font-size: 13px; }
ul.names { columns: 2 360px; list-style: none; padding: 0; margin: 8px 0 0; font-size: 12px; }
ul.names li { break-inside: avoid; padding: 1px 0; }

figure { margin: 10px 0; }
figure.wide { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; overflow-x: auto; }
figcaption { font-size: 12px; color: var(--muted); max-width: 560px; }
svg.chart { max-width: 100%; height: auto; display: block; }
.chart text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.chart text.mono { font-family: var(--mono); }

article.tensor { background: #fff; border: 1px solid var(--line); border-left: 4px solid #dc2626; border-radius: 8px; padding: 4px 18px 12px; margin: 16px 0; break-inside: avoid-page; }
article.tensor h3 { font-size: 15px; margin: 12px 0 6px; }
.tname { font-size: 14px; }
.edit-words { margin: 4px 0 10px; }
dl.metrics { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 6px 16px; margin: 8px 0; }
dl.metrics dt { font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
dl.metrics dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
dl.metrics .hint { font-weight: 400; font-size: 11px; }
.hashes { font-size: 12px; margin: 6px 0; }
.charts figure { margin: 14px 0 4px; }
table.elements { margin-top: 6px; }
.bits { display: inline-block; font-family: var(--mono); font-size: 11px; padding: 0 5px; border-radius: 3px; margin: 1px 0; }
.f-sign { background: #ede9fe; color: #5b21b6; } .f-exponent { background: #fee2e2; color: #991b1b; font-weight: 700; } .f-mantissa { background: #f1f5f9; color: #334155; } .f-bit { background: #f1f5f9; }

footer { margin-top: 34px; font-size: 13px; }
dl.about { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; }
dl.about dt { color: var(--muted); } dl.about dd { margin: 0; overflow-wrap: anywhere; }
ul.problems li { overflow-wrap: anywhere; }

@media print {
  @page { margin: 14mm 12mm; }
  body { background: #fff; font-size: 10.5pt; }
  main, header.top { max-width: none; padding: 0; }
  .toc { display: none; }
  .verdict { break-inside: avoid; }
  tr, .tile, figure { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  a { text-decoration: none; }
  details { border: none; padding: 0; }
  table { font-size: 8.5pt; }
  th, td { padding: 3px 5px; }
  td.name { min-width: 0; }
  td.dtype, td.shape { white-space: normal; }
  figure.wide { padding: 0; border: none; }
}
`;
