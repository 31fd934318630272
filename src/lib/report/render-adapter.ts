/**
 * The adapter audit in the HTML and Markdown reports (and the words the workbench panel shares):
 * what the adapter is (format, r, alpha, scale, target modules, layers), per modified tensor the
 * residual ‖Δ − scale·B·A‖ / ‖Δ‖ and whether it is explained, the changed tensors no factor pair
 * explains, and the adapter's files with their hashes.
 *
 * Every string from the adapter (labels, module and tensor names, config values, notes quoting them)
 * is hostile: HTML goes through the `html` tag of escape.ts, Markdown through escapeMarkdown /
 * markdownCode, as in the other renderers.
 */
import { clip, escapeMarkdown, html, markdownCode, type SafeHtml } from './escape.ts';
import { formatBytes, formatNumber } from './svg/format.ts';
import type { AdapterReport, AdapterTargetReport, AdapterTargetStatus, ReportV1 } from './types.ts';

/** Tensor rows shown before the rest fold away (HTML) or are counted (Markdown). */
export const MAX_ADAPTER_ROWS = 200;
const MAX_MARKDOWN_ADAPTER_ROWS = 50;

export const ADAPTER_STATUS_WORDS: Record<AdapterTargetStatus, string> = {
  explained: 'explained',
  mismatch: 'not explained',
  unchanged: 'not merged',
  missing: 'no such tensor',
  'not-audited': 'not audited',
};

const FORMAT_WORDS: Record<string, string> = { peft: 'PEFT', mlx: 'mlx-lm', kohya: 'kohya-ss', diffusers: 'diffusers', cloneofsimo: 'cloneofsimo/lora', unknown: 'unknown format' };

/** A residual ratio as a percentage (ratios above 1 included: "141 %"). */
export function ratioText(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '—';
  if (x === 0) return '0 %';
  const p = x * 100;
  if (p >= 1e4) return `${formatNumber(p, 2)} %`;
  if (p >= 10) return `${p.toFixed(0)} %`;
  if (p >= 0.01) return `${Number(p.toPrecision(2))} %`;
  return `${p.toExponential(1)} %`;
}

/** "PEFT LoRA · r 4 · alpha 8 · scale 2 (lora_alpha / r = 8 / 4)". */
export function adapterHeadline(a: AdapterReport): string {
  const type = a.type === 'LORA' || a.type === 'lora' ? 'LoRA' : a.type;
  const parts = [`${FORMAT_WORDS[a.format] ?? a.format} ${type}`];
  if (a.rank !== undefined) parts.push(`r ${a.rank}`);
  if (a.alpha !== undefined) parts.push(`alpha ${formatNumber(a.alpha)}`);
  if (a.scale !== undefined) parts.push(`scale ${formatNumber(a.scale, 4)}${a.scaleRule !== undefined ? ` (${a.scaleRule})` : ''}`);
  else if (a.scaleRule !== undefined) parts.push(`scale ${a.scaleRule}`);
  if (a.useRslora) parts.push('rsLoRA');
  if (a.fanInFanOut) parts.push('fan_in_fan_out');
  return parts.join(' · ');
}

/** "q_proj, v_proj · layers 1–2". */
export function adapterScope(a: AdapterReport): string {
  const parts: string[] = [];
  if (a.targetModules?.length) parts.push(`modules ${a.targetModules.join(', ')}`);
  if (a.targetModulesRegex !== undefined) parts.push(`modules matching /${a.targetModulesRegex}/`);
  if (a.layers?.length) parts.push(`layer${a.layers.length === 1 ? '' : 's'} ${ranges(a.layers)}`);
  if (a.baseModel !== undefined) parts.push(`base model ${a.baseModel}`);
  return parts.join(' · ');
}

/** One sentence on the outcome. */
export function adapterOutcome(a: AdapterReport): string {
  const n = (s: AdapterTargetStatus): number => a.targets.filter((t) => t.status === s).length;
  if (!a.supported) return `Not audited: ${a.type === 'unknown' ? 'no LoRA factor pairs were found' : `${a.type} is not a plain LoRA`} (see the notes).`;
  const explained = n('explained');
  const parts = [`${explained} of ${a.targets.length} modified tensor${a.targets.length === 1 ? '' : 's'} explained by known-good + scale·B·A (residual ≤ ${ratioText(a.residualThreshold)} and within the merge's rounding)`];
  if (n('mismatch')) parts.push(`${n('mismatch')} not explained`);
  if (a.notMerged.length) parts.push(`${a.notMerged.length} not merged (unchanged)`);
  if (n('missing')) parts.push(`${n('missing')} name tensors the models do not have`);
  if (n('not-audited')) parts.push(`${n('not-audited')} not audited`);
  const tail = a.allChangesExplained ? ' Every change to the suspect is explained by this adapter.' : a.unexplained.length ? ` ${a.unexplained.length} changed tensor${a.unexplained.length === 1 ? ' is' : 's are'} not explained by it.` : '';
  return `${parts.join('; ')}.${tail}`;
}

/** Explained first is not useful: problems first, then explained, then the rest. */
export function orderTargets(targets: readonly AdapterTargetReport[]): AdapterTargetReport[] {
  const rank: Record<AdapterTargetStatus, number> = { mismatch: 0, explained: 1, unchanged: 2, 'not-audited': 3, missing: 4 };
  return [...targets].sort((x, y) => (rank[x.status] ?? 9) - (rank[y.status] ?? 9) || (x.tensor ?? x.module).localeCompare(y.tensor ?? y.module));
}

function ranges(list: readonly number[]): string {
  const sorted = [...new Set(list)].sort((x, y) => x - y);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    out.push(j > i ? `${sorted[i]}–${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return out.join(', ');
}

function targetNote(t: AdapterTargetReport): string {
  const parts: string[] = [];
  if (t.reason !== undefined) parts.push(t.reason);
  if (t.status === 'mismatch' && t.fittedScale !== undefined && t.fittedResidualRatio !== undefined && t.fittedResidualRatio <= 0.05) parts.push(`fits at scale ${formatNumber(t.fittedScale, 4)} (residual ${ratioText(t.fittedResidualRatio)})`);
  if (t.elementsBeyondRounding) parts.push(`${t.elementsBeyondRounding} element${t.elementsBeyondRounding === 1 ? '' : 's'} beyond rounding${t.largestResidual ? `, largest at [${t.largestResidual.index.join(', ')}]` : ''}`);
  if (t.scale === null && t.fittedScale !== undefined) parts.push(`scale fitted: ${formatNumber(t.fittedScale, 4)}`);
  return parts.join('; ');
}

// ── HTML ──────────────────────────────────────────────────────────────────────

export function renderAdapterSection(report: ReportV1): SafeHtml {
  const a = report.adapter;
  if (!a) return html``;
  const statusClass: Record<AdapterTargetStatus, string> = { explained: 'r-same', mismatch: 'r-differs', unchanged: 'r-unreadable', missing: 'r-only-known-good', 'not-audited': 'r-unreadable' };
  const row = (t: AdapterTargetReport): SafeHtml => html`<tr>
<td class="name"><code>${clip(t.tensor ?? t.module)}</code></td>
<td><span class="result ${statusClass[t.status] ?? ''}">${t.status === 'explained' ? '✓ ' : t.status === 'mismatch' ? '✗ ' : ''}${ADAPTER_STATUS_WORDS[t.status] ?? t.status}</span></td>
<td class="num">${ratioText(t.residualRatio)}</td>
<td class="num">${t.deltaNorm === undefined ? '—' : formatNumber(t.deltaNorm)}</td>
<td class="num">${t.scale === null ? '—' : formatNumber(t.scale, 4)}</td>
<td class="num">${t.fittedScale === undefined ? '—' : formatNumber(t.fittedScale, 4)}</td>
<td>${clip(targetNote(t), 600)}</td>
</tr>`;
  const ordered = orderTargets(a.targets);
  const head = html`<thead><tr><th>Tensor</th><th>Result</th><th class="num">‖Δ − s·B·A‖ / ‖Δ‖</th><th class="num">‖Δ‖</th><th class="num">Scale</th><th class="num">Fitted scale</th><th>Note</th></tr></thead>`;
  const shown = ordered.slice(0, MAX_ADAPTER_ROWS);
  const rest = ordered.slice(MAX_ADAPTER_ROWS);
  const scope = adapterScope(a);
  return html`<section id="adapter"><h2>Adapter audit</h2>
<p><strong>${clip(a.label)}</strong> — ${clip(adapterHeadline(a), 600)}${scope ? html`<br><span class="muted">${clip(scope, 600)}</span>` : ''}</p>
<p>${adapterOutcome(a)}</p>
${a.targets.length ? html`<table class="adapter">${head}<tbody>${shown.map(row)}</tbody></table>` : ''}
${rest.length ? html`<details><summary>${rest.length} more modified tensors</summary><table class="adapter">${head}<tbody>${rest.map(row)}</tbody></table></details>` : ''}
${a.unexplained.length ? html`<h3>Changed tensors the adapter does not explain (${a.unexplained.length})</h3><ul class="names">${a.unexplained.slice(0, 5000).map((n) => html`<li><code>${clip(n)}</code></li>`)}</ul>` : ''}
${a.notes.length ? html`<h3>Notes on the adapter</h3><ul>${a.notes.map((n) => html`<li>${clip(n, 2000)}</li>`)}</ul>` : ''}
${a.problems?.length ? html`<ul class="problems">${a.problems.map((p) => html`<li><code>${p.code}</code>${p.file !== undefined ? html` in <code>${clip(p.file)}</code>` : ''}: ${clip(p.message, 2000)}</li>`)}</ul>` : ''}
<table class="files"><thead><tr><th>Adapter file</th><th class="num">Size</th><th>SHA-256</th></tr></thead><tbody>${a.files.map(
    (f) => html`<tr><td><code>${clip(f.path)}</code></td><td class="num">${formatBytes(f.size)}</td><td class="hash">${f.sha256 === null ? 'not read' : html`<code>${f.sha256}</code>`}</td></tr>`,
  )}</tbody></table>
<p class="muted">Explained: every element of Δ = suspect − known-good is within the merge's rounding of scale·B·A, or the residual ratio is at most ${ratioText(a.residualThreshold)} with no element standing out of it. A merged adapter still changed the weights, so the verdict stays "tampered"; the tensor findings say which changes the adapter explains.</p>
</section>`;
}

// ── Markdown ──────────────────────────────────────────────────────────────────

export function renderAdapterMarkdown(report: ReportV1): string[] {
  const a = report.adapter;
  if (!a) return [];
  const text = (s: string, max = 600): string => escapeMarkdown(clip(s, max));
  const code = (s: string): string => markdownCode(clip(s));
  const out: string[] = ['## Adapter audit', ''];
  out.push(`**Adapter:** ${markdownCode(clip(a.label), { inTable: false })} — ${text(adapterHeadline(a))}`, '');
  const scope = adapterScope(a);
  if (scope) out.push(`**Modifies:** ${text(scope)}`, '');
  out.push(escapeMarkdown(adapterOutcome(a), { atLineStart: true }), '');
  if (a.targets.length) {
    out.push('| Tensor | Result | ‖Δ − s·B·A‖ / ‖Δ‖ | ‖Δ‖ | Scale | Note |', '|---|---|--:|--:|--:|---|');
    const ordered = orderTargets(a.targets);
    for (const t of ordered.slice(0, MAX_MARKDOWN_ADAPTER_ROWS)) {
      const mark = t.status === 'explained' ? '✓ ' : t.status === 'mismatch' ? '✗ ' : '';
      out.push(`| ${code(t.tensor ?? t.module)} | ${mark}${text(ADAPTER_STATUS_WORDS[t.status] ?? t.status, 40)} | ${ratioText(t.residualRatio)} | ${t.deltaNorm === undefined ? '—' : formatNumber(t.deltaNorm)} | ${t.scale === null ? 'fitted' : formatNumber(t.scale, 4)} | ${text(targetNote(t))} |`);
    }
    if (ordered.length > MAX_MARKDOWN_ADAPTER_ROWS) out.push('', `… and ${ordered.length - MAX_MARKDOWN_ADAPTER_ROWS} more (see the JSON report).`);
    out.push('');
  }
  if (a.unexplained.length) {
    out.push(`**Changed tensors the adapter does not explain (${a.unexplained.length}):** ${a.unexplained.slice(0, MAX_MARKDOWN_ADAPTER_ROWS).map((n) => markdownCode(clip(n), { inTable: false })).join(', ')}${a.unexplained.length > MAX_MARKDOWN_ADAPTER_ROWS ? ', …' : ''}`, '');
  }
  for (const n of a.notes) out.push(`- ${escapeMarkdown(clip(n), { atLineStart: true })}`);
  if (a.notes.length) out.push('');
  return out;
}
