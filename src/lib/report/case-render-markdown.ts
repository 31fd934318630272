/**
 * The case report as Markdown for a ticket: the case, the compromise point, the latest verdicts,
 * manifest results with the drill-down, checklist status and the custody head — short enough to
 * paste; the JSON or HTML case report is the full record. Every case or model string is escaped
 * (escape.ts: code spans for names, escaped text elsewhere).
 */
import { CASE_ROLES, EVIDENCE_ROLES, EVIDENCE_SIDES } from '../evidence/case-model.ts';
import { CHECKLISTS, CHECKLIST_STATES } from '../evidence/checklists.ts';
import { COMPROMISE_POINTS, PROVENANCE_STAGES } from '../evidence/provenance.ts';
import type { CaseReportV1 } from './case-types.ts';
import { clip, escapeMarkdown, markdownCode } from './escape.ts';
import { formatBytes, formatCount } from './svg/format.ts';

const MAX_ROWS = 50;
const text = (s: string, max = 600): string => escapeMarkdown(clip(s, max));
const lineText = (s: string, max = 600): string => escapeMarkdown(clip(s, max), { atLineStart: true });
const code = (s: string): string => markdownCode(clip(s));
const codeInline = (s: string): string => markdownCode(clip(s), { inTable: false });

export function renderCaseMarkdown(doc: CaseReportV1): string {
  const c = doc.case;
  const out: string[] = [];
  out.push(`# ${text(c.id, 40)}: ${text(c.title || 'Untitled case', 200)}`, '');
  out.push(`- **Status:** ${text(c.status, 20)} · opened ${text(c.createdAt, 40)} · last change ${text(c.updatedAt, 40)}`);
  for (const [role, label] of Object.entries(CASE_ROLES)) {
    const who = c.roles[role as keyof typeof CASE_ROLES];
    if (who) out.push(`- **${label}:** ${text(who, 120)}`);
  }
  out.push('');
  if (c.summary) out.push(`> ${lineText(c.summary, 4000)}`, '');

  const a = doc.provenance.assessment;
  out.push('## Compromise point', '');
  out.push(`**${text(a.headline, 300)}**`, '');
  if (a.point !== 'none' && a.point !== 'undetermined') out.push(lineText(COMPROMISE_POINTS[a.point].meaning, 600), '', `Next: ${text(COMPROMISE_POINTS[a.point].next, 600)}`, '');
  out.push('| Step | Status | Details |', '|---|---|---|');
  for (const s of a.steps) out.push(`| ${PROVENANCE_STAGES[s.stage]} | ${text(s.status, 20)} | ${text(s.words, 300)} |`);
  out.push('');

  out.push('## Analyses', '');
  if (doc.analyses.length === 0) out.push('No comparison was run.', '');
  for (const an of doc.analyses) {
    const r = an.report;
    out.push(`### ${text(an.id, 20)}: ${codeInline(r.verdict.status)} — ${codeInline(r.inputs.knownGood.label)} vs ${codeInline(r.inputs.suspect.label)}`, '');
    out.push(`> ${lineText(r.verdict.summary, 2000)}`, '');
    const reasons = r.findings.filter((f) => r.verdict.reasons.includes(f.id)).slice(0, 10);
    for (const f of reasons) out.push(`- ${text(f.severity, 20)}: ${text(f.message, 400)}${f.tensor !== undefined ? ` (${codeInline(f.tensor)})` : ''}`);
    if (reasons.length) out.push('');
  }

  out.push('## Manifest verifications', '');
  if (doc.manifestChecks.length === 0) out.push('None.', '');
  for (const m of doc.manifestChecks) {
    const r = m.result;
    out.push(`### ${text(m.id, 20)}: ${codeInline(r.verdict)} — ${codeInline(r.manifestName)}`, '', lineText(r.summary, 600), '');
    if (r.signature) out.push(`- Signature: **${text(r.signature.status, 20)}** — ${text(r.signature.message, 600)}`);
    for (const cav of r.signature?.caveats ?? []) out.push(`- ${lineText(cav, 600)}`);
    const bad = r.items.filter((i) => i.status !== 'ok').slice(0, MAX_ROWS);
    if (bad.length) {
      out.push('', '| Item | Result | Tensors in the mismatching bytes |', '|---|---|---|');
      for (const i of bad) {
        const tensors = (i.tensors ?? []).slice(0, 12).map((t) => `${code(t.name)}${t.changed === true ? ' (changed)' : ''}`);
        const more = (i.tensors?.length ?? 0) - tensors.length + (i.tensorsOmitted ?? 0);
        out.push(`| ${code(i.name)} | ${text(i.status.toUpperCase(), 20)} | ${tensors.join(', ')}${more > 0 ? ` … ${formatCount(more)} more` : ''} |`);
      }
    }
    if (r.drillDown) out.push('', text(r.drillDown, 600));
    out.push('');
  }

  out.push('## Evidence', '');
  if (doc.evidence.length === 0) out.push('None.', '');
  else {
    out.push('| ID | File | Side / role | Size | SHA-256 |', '|---|---|---|---|---|');
    for (const e of doc.evidence.slice(0, MAX_ROWS)) out.push(`| ${text(e.id, 20)} | ${code(e.name)} | ${EVIDENCE_SIDES[e.side]} / ${EVIDENCE_ROLES[e.role]} | ${formatBytes(e.size)} | ${code(e.sha256)} |`);
    if (doc.evidence.length > MAX_ROWS) out.push('', `… and ${formatCount(doc.evidence.length - MAX_ROWS)} more (see the JSON case report).`);
    out.push('');
  }

  out.push('## Checklists', '', `${doc.checklists.progress.done} of ${doc.checklists.progress.total} done${doc.checklists.progress.failed ? `, ${doc.checklists.progress.failed} failed` : ''}.`, '');
  for (const s of CHECKLISTS) {
    out.push(`**${s.title}**`, '');
    for (const i of doc.checklists.items.filter((x) => x.section === s.id)) {
      const box = i.state === 'pass' ? '[x]' : i.state === 'n/a' ? '[x]' : '[ ]';
      out.push(`- ${box} ${text(i.label, 200)} — ${CHECKLIST_STATES[i.state]}${i.reason ? `: ${text(i.reason, 300)}` : ''}${i.note ? ` (note: ${text(i.note, 300)})` : ''}`);
    }
    out.push('');
  }

  out.push('## Chain of custody', '');
  out.push(`${formatCount(doc.custody.events.length)} events; head ${doc.custody.head.seq} ${codeInline(doc.custody.head.hash)}; ${doc.custody.verification.ok ? 'the chain verifies' : `**the chain is broken**: ${text(doc.custody.verification.problems.map((p) => p.message).join('; '), 1000)}`}.`, '');
  if (doc.integrity) {
    out.push(`Report digest (SHA-256, RFC 8785 canonical JSON): ${codeInline(doc.integrity.digest.value)}`);
    if (doc.integrity.signature) out.push(`Signed (ECDSA P-256) by ${text(doc.integrity.signature.signer ?? 'the analyst', 120)}; key fingerprint ${codeInline(doc.integrity.signature.publicKey.fingerprint)}`);
    out.push('');
  }
  out.push(`_Generated ${escapeMarkdown(doc.generatedAt)} by ${escapeMarkdown(doc.tool.name)} ${escapeMarkdown(doc.tool.version)}._`, '');
  return out.join('\n');
}
