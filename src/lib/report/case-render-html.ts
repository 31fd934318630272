/**
 * The case report as one self-contained HTML page: opens offline anywhere, prints to PDF, no
 * scripts (CSP `default-src 'none'`), charts as inline SVG, every string from a case or a model file
 * through the escaping `html`/`svg` tags. It reuses the comparison report's CSS and pieces (the
 * layer × module heatmap) and embeds the case report JSON as a data block (case-embed.ts) so the
 * page itself can be imported and verified.
 *
 * Deterministic: the same report renders to the same bytes (no clock, no locale), which is what lets
 * an import re-render the embedded JSON and notice an edited page.
 */
import { CASE_ROLES, EVIDENCE_ROLES, EVIDENCE_SIDES } from '../evidence/case-model.ts';
import { CHECKLISTS, CHECKLIST_STATES } from '../evidence/checklists.ts';
import { CUSTODY_EVENT_TYPES } from '../evidence/custody-log.ts';
import type { ItemResult, ManifestVerification } from '../evidence/manifests/verify-model.ts';
import { COMPROMISE_POINTS, PROVENANCE_STAGES, type StepResult } from '../evidence/provenance.ts';
import { embedJsonBlock } from './case-embed.ts';
import type { CaseReportV1 } from './case-types.ts';
import { clip, html, joinMarkup, SafeHtml, svg } from './escape.ts';
import { REPORT_CSP, REPORT_CSS } from './render-html.ts';
import { formatBytes, formatCount } from './svg/format.ts';
import { renderLayerHeatmap } from './svg/heatmap.ts';
import type { ReportV1 } from './types.ts';

/** Findings listed per analysis (the comparison's own report lists all). */
const MAX_FINDINGS_PER_ANALYSIS = 25;
/** Manifest items listed per verification (problems first). */
const MAX_MANIFEST_ITEMS = 200;
/** Tensors named per mismatching manifest item. */
const MAX_TENSORS_SHOWN = 40;

export function renderCaseHtml(doc: CaseReportV1): string {
  const c = doc.case;
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${doc.tool.name} ${doc.tool.version}">
<title>${c.id} · ${clip(c.title, 80)} · Model Sleuth case report</title>
<style>${new SafeHtml(REPORT_CSS)}${new SafeHtml(CASE_CSS)}</style>
</head>
<body>
<header class="top"><span class="brand">Model Sleuth</span> <span class="muted">incident case report · generated ${formatDate(doc.generatedAt)}</span></header>
<main>
${caseHeader(doc)}
${glance(doc)}
<nav class="toc" aria-label="Contents"><a href="#team">Team</a> · <a href="#provenance">Provenance</a> · <a href="#evidence">Evidence</a> · <a href="#analyses">Analyses</a> · <a href="#manifests">Manifests</a> · <a href="#checklists">Checklists</a> · <a href="#custody">Custody log</a> · <a href="#integrity">Integrity</a></nav>
${teamSection(doc)}
${provenanceSection(doc)}
${evidenceSection(doc)}
${analysesSection(doc)}
${manifestsSection(doc)}
${checklistsSection(doc)}
${custodySection(doc)}
${integritySection(doc)}
</main>
${new SafeHtml(embedJsonBlock(doc))}
</body>
</html>
`;
  return page.value;
}

function caseHeader(doc: CaseReportV1): SafeHtml {
  const c = doc.case;
  return html`<section class="case-head" data-testid="case-report-head">
<div class="case-id">${c.id} <span class="badge st-${c.status === 'open' ? 'dtype-changed' : 'identical'}">${c.status}</span></div>
<h1>${clip(c.title || 'Untitled case', 300)}</h1>
${c.summary ? html`<p class="meaning">${clip(c.summary, 4000)}</p>` : ''}
<dl class="compared"><dt>Opened</dt><dd>${formatDate(c.createdAt)}</dd><dt>Last change</dt><dd>${formatDate(c.updatedAt)}</dd></dl>
</section>`;
}

function tile(value: string, label: string, cls = ''): SafeHtml {
  return html`<div class="tile ${cls}"><div class="value">${value}</div><div class="label">${label}</div></div>`;
}

function glance(doc: CaseReportV1): SafeHtml {
  const latest = doc.analyses[doc.analyses.length - 1]?.report;
  const point = doc.provenance.assessment.point;
  const mf = doc.manifestChecks[doc.manifestChecks.length - 1]?.result;
  const p = doc.checklists.progress;
  return html`<section class="glance" aria-label="At a glance">
${tile(formatCount(doc.evidence.length), 'evidence items')}
${tile(latest ? latest.verdict.status : '—', latest ? 'latest comparison' : 'no comparison yet', `text ${latest ? (latest.verdict.status === 'clean' || latest.verdict.status === 'benign-precision' ? 'good' : 'bad') : ''}`)}
${tile(mf ? mf.verdict : '—', mf ? `manifest ${clip(mf.manifestName, 40)}` : 'no manifest checked', `text ${mf ? (mf.verdict === 'verified' ? 'good' : 'bad') : ''}`)}
${tile(point === 'none' ? 'none' : point === 'undetermined' ? 'undetermined' : COMPROMISE_POINTS[point].label, 'compromise point', `text ${point === 'none' ? 'good' : point === 'undetermined' ? 'warn' : 'bad'}`)}
${tile(`${p.done} / ${p.total}`, `checklist items done${p.failed ? `, ${p.failed} failed` : ''}`, p.failed ? 'warn' : '')}
${tile(formatCount(doc.custody.events.length), doc.custody.verification.ok ? 'custody events, chain intact' : 'custody events, CHAIN BROKEN', doc.custody.verification.ok ? 'good' : 'bad')}
</section>`;
}

function teamSection(doc: CaseReportV1): SafeHtml {
  const rows = (Object.keys(CASE_ROLES) as (keyof typeof CASE_ROLES)[]).map((r) => html`<dt>${CASE_ROLES[r]}</dt><dd>${doc.case.roles[r] ? clip(doc.case.roles[r] ?? '', 200) : html`<span class="muted">not assigned</span>`}</dd>`);
  return html`<section id="team"><h2>Team</h2><dl class="about">${rows}</dl></section>`;
}

// ── provenance ──────────────────────────────────────────────────────────────

const STEP_COLOUR: Record<StepResult['status'], string> = { match: '#15803d', mismatch: '#b91c1c', incomplete: '#b45309', unknown: '#6b7280', 'not-applicable': '#cbd5e1' };

function provenanceChainSvg(doc: CaseReportV1): SafeHtml {
  const steps = doc.provenance.assessment.steps;
  const w = 180;
  const gap = 40;
  const width = steps.length * w + (steps.length - 1) * gap + 20;
  const breakStage = doc.provenance.assessment.stage;
  const boxes = steps.map((s, i) => {
    const x = 10 + i * (w + gap);
    const colour = STEP_COLOUR[s.status];
    const arrow = i < steps.length - 1 ? svg`<path d="M${x + w + 4} 45 h${gap - 12}" stroke="#94a3b8" stroke-width="2"/><path d="M${x + w + gap - 8} 40 l6 5 l-6 5 z" fill="#94a3b8"/>` : svg``;
    const marker = breakStage === s.stage ? svg`<text x="${x + w / 2}" y="100" text-anchor="middle" font-size="12" font-weight="700" fill="#b91c1c">▲ checksums stop matching</text>` : svg``;
    return svg`<g><rect x="${x}" y="10" width="${w}" height="70" rx="8" fill="#fff" stroke="${colour}" stroke-width="3"/>
<text x="${x + w / 2}" y="36" text-anchor="middle" font-size="13" font-weight="700" fill="#111827">${PROVENANCE_STAGES[s.stage]}</text>
<text x="${x + w / 2}" y="58" text-anchor="middle" font-size="12" fill="${colour}">${s.status.replace('-', ' ')}</text>${arrow}${marker}</g>`;
  });
  return svg`<svg class="chart" viewBox="0 0 ${width} 110" width="${width}" height="110" role="img" aria-label="Provenance chain: base, fine-tune, post-processing, deployment">${boxes}</svg>`;
}

function provenanceSection(doc: CaseReportV1): SafeHtml {
  const a = doc.provenance.assessment;
  const point = a.point === 'none' || a.point === 'undetermined' ? undefined : COMPROMISE_POINTS[a.point];
  const rows = doc.provenance.steps.map((step) => {
    const r = a.steps.find((s) => s.stage === step.stage);
    const bad = r?.artefacts.filter((x) => x.result !== 'match') ?? [];
    return html`<tr><td><b>${PROVENANCE_STAGES[step.stage]}</b>${step.name ? html`<div>${clip(step.name, 200)}</div>` : ''}${step.source ? html`<div class="kind">${clip(step.source, 300)}</div>` : ''}</td>
<td><span class="result r-${r?.status === 'match' ? 'same' : r?.status === 'mismatch' ? 'differs' : 'unreadable'}">${r?.status ?? '—'}</span><div class="kind">${r?.words ?? ''}</div></td>
<td class="num">${step.expected.length}</td><td class="num">${step.observed.length}</td>
<td>${bad.length ? html`<ul class="problems">${bad.slice(0, 20).map((x) => html`<li><code>${clip(x.path, 200)}</code> ${x.result}${x.expected ? html` <span class="muted">expected</span> <code class="hash">${x.expected.slice(0, 16)}…</code>` : ''}${x.observed ? html` <span class="muted">observed</span> <code class="hash">${x.observed.slice(0, 16)}…</code>` : ''}</li>`)}</ul>` : html`<span class="muted">—</span>`}</td></tr>`;
  });
  return html`<section id="provenance"><h2>Provenance chain and compromise point</h2>
<div class="verdict ${point ? 'v-tampered' : a.point === 'none' ? 'v-clean' : 'v-inconclusive'} small-verdict" data-testid="case-report-compromise">
<div class="status">${point ? 'compromise point' : a.point}</div>
<h1>${a.headline}</h1>
${point ? html`<p class="meaning">${point.meaning}</p><p><b>Next:</b> ${point.next}</p>` : ''}
${a.reasoning.length ? html`<ul class="patterns">${a.reasoning.map((x) => html`<li>${x}</li>`)}</ul>` : ''}
</div>
<figure class="wide">${provenanceChainSvg(doc)}</figure>
<table><thead><tr><th>Step</th><th>Checksums</th><th class="num">Expected</th><th class="num">Observed</th><th>Differences</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

// ── evidence ────────────────────────────────────────────────────────────────

function evidenceSection(doc: CaseReportV1): SafeHtml {
  if (doc.evidence.length === 0) return html`<section id="evidence"><h2>Evidence</h2><p class="muted">No evidence recorded.</p></section>`;
  const rows = doc.evidence.map((e) => {
    const last = e.verifications[e.verifications.length - 1];
    const prov = [e.provenance.source, e.provenance.obtainedBy ? `by ${e.provenance.obtainedBy}` : undefined, e.provenance.obtainedAt ? `on ${e.provenance.obtainedAt}` : undefined].filter((x): x is string => x !== undefined && x !== '');
    return html`<tr><td class="id">${e.id}</td><td><code>${clip(e.name, 200)}</code><div class="kind">${EVIDENCE_SIDES[e.side]} · ${EVIDENCE_ROLES[e.role]}</div></td>
<td class="num">${formatBytes(e.size)}</td><td><code class="hash">${e.sha256}</code></td>
<td>${prov.length ? clip(prov.join(' '), 400) : html`<span class="muted">not recorded</span>`}${e.provenance.notes ? html`<div class="kind">${clip(e.provenance.notes, 400)}</div>` : ''}</td>
<td>${formatDate(e.addedAt)}${e.lastModified !== undefined ? html`<div class="kind">file modified ${formatDate(new Date(e.lastModified).toISOString())}</div>` : ''}</td>
<td>${last ? html`<span class="result r-${last.result === 'match' ? 'same' : 'differs'}">${last.result}</span><div class="kind">${formatDate(last.at)}</div>` : html`<span class="muted">—</span>`}</td></tr>`;
  });
  return html`<section id="evidence"><h2>Evidence</h2>
<p class="muted">Every analysed file: its SHA-256 and provenance. Only hashes and results are kept — never the model bytes. Check a file with <code>sha256sum</code> against the digest shown.</p>
<table class="files"><thead><tr><th>ID</th><th>File</th><th class="num">Size</th><th>SHA-256</th><th>Provenance</th><th>Recorded (UTC)</th><th>Last re-verification</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

// ── analyses ────────────────────────────────────────────────────────────────

function analysisArticle(id: string, createdAt: string, r: ReportV1): SafeHtml {
  const shown = r.findings.slice(0, MAX_FINDINGS_PER_ANALYSIS);
  const heat = renderLayerHeatmap(r.tensors);
  const changed = r.tensors.filter((t) => t.status !== 'identical').length;
  return html`<article class="tensor analysis" id="${`analysis-${id}`}">
<h3><span class="badge">${id}</span> <span class="verdict-pill v-${r.verdict.status}">${r.verdict.status}</span> ${clip(r.inputs.knownGood.label, 80)} vs ${clip(r.inputs.suspect.label, 80)}</h3>
<p>${clip(r.verdict.summary, 2000)}</p>
${r.patterns?.length ? html`<ul class="patterns">${r.patterns.map((p) => html`<li>${clip(p, 1000)}</li>`)}</ul>` : ''}
<p class="muted">Run ${formatDate(createdAt)} · ${formatCount(r.tensors.length)} tensors, ${formatCount(changed)} changed · ${formatCount(r.findings.length)} findings · ${r.inputs.knownGood.files.length} + ${r.inputs.suspect.files.length} files · ${r.tool.name} ${r.tool.version} (${r.tool.engine})</p>
${heat ? html`<figure class="wide">${heat}</figure>` : ''}
${shown.length ? html`<table class="findings"><thead><tr><th>ID</th><th>Severity</th><th>What was found</th><th>Where</th></tr></thead><tbody>${shown.map(
    (f) => html`<tr><td class="id">${f.id}</td><td><span class="sev sev-${f.severity}">${f.severity}</span></td><td>${clip(f.message, 1000)}<div class="kind">${f.kind}</div></td><td class="where">${f.tensor !== undefined ? html`<code>${clip(f.tensor, 200)}</code>` : ''}${f.file !== undefined ? html` <span class="muted">in</span> <code>${clip(f.file, 200)}</code>` : ''}</td></tr>`,
  )}</tbody></table>${r.findings.length > shown.length ? html`<p class="muted">… and ${formatCount(r.findings.length - shown.length)} more findings in the JSON report.</p>` : ''}` : ''}
</article>`;
}

function analysesSection(doc: CaseReportV1): SafeHtml {
  if (doc.analyses.length === 0) return html`<section id="analyses"><h2>Analyses</h2><p class="muted">No comparison was run in this case.</p></section>`;
  return html`<section id="analyses"><h2>Analyses</h2>
<p class="muted">Comparisons of a suspect model with a known-good copy, newest last. The JSON case report holds each complete report (every tensor with its SHA-256).</p>
${doc.analyses.map((a) => analysisArticle(a.id, a.createdAt, a.report))}
</section>`;
}

// ── manifests ───────────────────────────────────────────────────────────────

function itemRow(it: ItemResult): SafeHtml {
  const tensors = it.tensors ?? [];
  return html`<tr class="${it.status === 'ok' ? '' : 'reason'}"><td><code>${clip(it.name, 300)}</code></td><td><span class="result r-${it.status === 'ok' ? 'same' : it.status === 'failed' || it.status === 'missing' || it.status === 'extra' ? 'differs' : 'unreadable'}">${it.status.toUpperCase()}</span></td>
<td>${it.message ? clip(it.message, 500) : ''}${tensors.length ? html`<div class="kind">Tensors in these bytes${tensors.some((t) => t.changed !== undefined) ? ' (changed first)' : ''}: ${joinMarkup(
    tensors.slice(0, MAX_TENSORS_SHOWN).map((t) => html`<code>${clip(t.name, 160)}</code>${t.changed === true ? html` <b>changed</b>` : t.changed === false ? html` <span class="muted">unchanged</span>` : ''}`),
    ', ',
  )}${tensors.length > MAX_TENSORS_SHOWN || it.tensorsOmitted ? html` … ${formatCount(tensors.length - Math.min(tensors.length, MAX_TENSORS_SHOWN) + (it.tensorsOmitted ?? 0))} more` : ''}</div>` : ''}</td>
<td>${it.expected ? html`<code class="hash">${it.expected}</code>` : ''}</td><td>${it.actual ? html`<code class="hash">${it.actual}</code>` : ''}</td></tr>`;
}

function manifestArticle(id: string, m: ManifestVerification): SafeHtml {
  const problems = m.items.filter((i) => i.status !== 'ok');
  const listed = [...problems, ...m.items.filter((i) => i.status === 'ok')].slice(0, MAX_MANIFEST_ITEMS);
  const sig = m.signature;
  return html`<article class="tensor manifest" id="${`manifest-${id}`}">
<h3><span class="badge">${id}</span> <span class="verdict-pill ${m.verdict === 'verified' ? 'v-clean' : m.verdict === 'mismatch' ? 'v-tampered' : 'v-inconclusive'}">${m.verdict}</span> <code>${clip(m.manifestName, 200)}</code> <span class="muted">(${m.kind === 'oms' ? `OpenSSF Model Signing, per ${m.granularity === 'shards' ? 'shard' : 'file'}` : 'sha256sum'})</span></h3>
<p>${m.summary}</p>
${sig ? html`<p><b>Signature:</b> ${sig.status} — ${sig.message}</p>${sig.caveats.length ? html`<ul class="patterns">${sig.caveats.map((c) => html`<li>${c}</li>`)}</ul>` : ''}` : ''}
${m.rootDigest && !m.rootDigest.consistent ? html`<p><b>The manifest is inconsistent:</b> its resources do not hash to its subject digest.</p>` : ''}
${m.drillDown ? html`<p class="muted">${m.drillDown}</p>` : ''}
${m.problems.length ? html`<ul class="problems">${m.problems.slice(0, 20).map((p) => html`<li>${clip(p, 500)}</li>`)}</ul>` : ''}
<p class="muted">Checked ${formatDate(m.checkedAt)} · manifest SHA-256 <code class="hash">${m.manifestSha256}</code></p>
<table class="files"><thead><tr><th>Item</th><th>Result</th><th>Details</th><th>Expected</th><th>Actual</th></tr></thead><tbody>${listed.map(itemRow)}</tbody></table>
${m.items.length > listed.length ? html`<p class="muted">… and ${formatCount(m.items.length - listed.length)} more items (all OK) in the JSON report.</p>` : ''}
</article>`;
}

function manifestsSection(doc: CaseReportV1): SafeHtml {
  if (doc.manifestChecks.length === 0) return html`<section id="manifests"><h2>Manifest verifications</h2><p class="muted">No model was verified against a checksum file or a signed manifest.</p></section>`;
  return html`<section id="manifests"><h2>Manifest verifications</h2>${doc.manifestChecks.map((m) => manifestArticle(m.id, m.result))}</section>`;
}

// ── checklists, custody ─────────────────────────────────────────────────────

function checklistsSection(doc: CaseReportV1): SafeHtml {
  const sections = CHECKLISTS.map((s) => {
    const items = doc.checklists.items.filter((i) => i.section === s.id);
    return html`<h3>${s.title}</h3><table><thead><tr><th>Item</th><th>State</th><th>Why / note</th><th>Set</th></tr></thead><tbody>${items.map(
      (i) => html`<tr><td>${i.label}</td><td><span class="result r-${i.state === 'pass' ? 'same' : i.state === 'fail' ? 'differs' : i.state === 'n/a' ? 'only-suspect' : 'unreadable'}">${CHECKLIST_STATES[i.state]}</span></td>
<td>${i.reason ? clip(i.reason, 600) : ''}${i.note ? html`<div><b>Note:</b> ${clip(i.note, 2000)}</div>` : ''}</td>
<td class="kind">${i.source === 'none' ? '' : i.source === 'auto' ? 'from results' : `by ${i.updatedBy ?? 'hand'}`}${i.updatedAt ? html`<div>${formatDate(i.updatedAt)}</div>` : ''}</td></tr>`,
    )}</tbody></table>`;
  });
  return html`<section id="checklists"><h2>Checklists</h2><p class="muted">${doc.checklists.progress.done} of ${doc.checklists.progress.total} items done${doc.checklists.progress.failed ? `, ${doc.checklists.progress.failed} failed` : ''}. Items marked “from results” were filled in from the analyses, manifest checks, provenance chain and custody log.</p>${sections}</section>`;
}

function custodySection(doc: CaseReportV1): SafeHtml {
  const v = doc.custody.verification;
  const rows = doc.custody.events.map(
    (e) => html`<tr><td class="id">${e.seq}</td><td class="id">${formatDate(e.at)}</td><td>${clip(e.actor, 120)}</td><td>${CUSTODY_EVENT_TYPES[e.type] ?? e.type}</td><td>${clip(e.summary, 1000)}</td><td><code class="hash">${e.hash.slice(0, 16)}…</code></td></tr>`,
  );
  return html`<section id="custody"><h2>Chain of custody</h2>
<p>${v.ok ? html`<span class="result r-same">chain intact</span> Every event links to the SHA-256 of the one before it, up to the recorded head (event ${doc.custody.head.seq}, <code class="hash">${doc.custody.head.hash}</code>).` : html`<span class="result r-differs">chain broken</span> ${v.problems.map((p) => p.message).join('; ')}`}</p>
<table><thead><tr><th>#</th><th>When (UTC)</th><th>Who</th><th>Event</th><th>What</th><th>Hash</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

function integritySection(doc: CaseReportV1): SafeHtml {
  const i = doc.integrity;
  return html`<footer id="integrity"><h2>Integrity of this report</h2>
<dl class="about">
<dt>Digest</dt><dd>${i ? html`<code class="hash">${i.digest.value}</code><div class="kind">${i.digest.covers}</div>` : html`<span class="muted">none</span>`}</dd>
<dt>Signature</dt><dd>${i?.signature ? html`ECDSA P-256 by ${i.signature.signer ? clip(i.signature.signer, 120) : 'the analyst'} on ${formatDate(i.signature.signedAt)} · public key SHA-256 <code class="hash">${i.signature.publicKey.fingerprint}</code>` : html`<span class="muted">not signed</span>`}</dd>
<dt>Tool</dt><dd>${doc.tool.name} ${doc.tool.version}</dd>
<dt>Format</dt><dd>${doc.schema} — the JSON is embedded in this page; import the page (or the JSON file) into Model Sleuth to verify the digest, the signature and the custody chain.</dd>
</dl>
<p class="muted">A self-contained page: no scripts, no network requests. A valid signature shows the report is unchanged since the key above signed it; compare that key’s fingerprint with the analyst’s through another channel before trusting it.</p>
</footer>`;
}

function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const CASE_CSS = `
.case-head .compared { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; font-size: 13px; }
.case-head .compared dt { color: var(--muted); } .case-head .compared dd { margin: 0; }
.tile.text .value { font-size: 17px; line-height: 1.3; }
.case-head { margin: 8px 0 16px; padding: 20px 24px; border-radius: 10px; border: 2px solid #10233f; background: #fff; }
.case-head .case-id { font: 700 15px/1.2 var(--mono); letter-spacing: .04em; }
.case-head h1 { font-size: 28px; margin: 8px 0 6px; }
.small-verdict h1 { font-size: 22px; }
.verdict-pill { display: inline-block; font-size: 11px; font-weight: 800; letter-spacing: .08em; text-transform: uppercase; color: #fff; padding: 2px 10px; border-radius: 999px; background: #6b7280; }
.verdict-pill.v-clean { background: #15803d; } .verdict-pill.v-benign-precision { background: #0e7490; } .verdict-pill.v-tampered { background: #b91c1c; }
.verdict-pill.v-malicious-code { background: #86198f; } .verdict-pill.v-inconclusive { background: #b45309; }
article.analysis, article.manifest { border-left-color: #10233f; }
article.manifest td:first-child { min-width: 220px; }
`;
