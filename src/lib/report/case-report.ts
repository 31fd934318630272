/** Builds case reports and custody-log exports from what the case store holds (pure). */
import type { AnalysisRecord, CaseRecord, ChecklistItemState, EvidenceItem, ManifestCheckRecord } from '../evidence/case-model.ts';
import { CHECKLISTS, checklistProgress } from '../evidence/checklists.ts';
import { headOf, verifyCustodyChain, type CustodyEvent } from '../evidence/custody-log.ts';
import { assessProvenance, emptyProvenanceChain, type ProvenanceStep } from '../evidence/provenance.ts';
import { CASE_REPORT_SCHEMA_ID, CUSTODY_LOG_SCHEMA_ID, type CaseReportChecklistItem, type CaseReportV1, type CustodyLogExportV1 } from './case-types.ts';

export interface CaseSnapshot {
  record: CaseRecord;
  evidence: readonly EvidenceItem[];
  analyses: readonly AnalysisRecord[];
  manifestChecks: readonly ManifestCheckRecord[];
  provenance: readonly ProvenanceStep[] | undefined;
  checklist: Readonly<Record<string, ChecklistItemState>>;
  custody: readonly CustodyEvent[];
}

export function checklistForReport(items: Readonly<Record<string, ChecklistItemState>>): CaseReportChecklistItem[] {
  return CHECKLISTS.flatMap((section) =>
    section.items.map((def) => {
      const s = items[def.id];
      const out: CaseReportChecklistItem = { id: def.id, section: section.id, label: def.label, state: s?.state ?? 'open', source: s?.source ?? 'none' };
      if (s?.reason !== undefined) out.reason = s.reason;
      if (s?.note !== undefined && s.note !== '') out.note = s.note;
      if (s?.updatedAt !== undefined) out.updatedAt = s.updatedAt;
      if (s?.updatedBy !== undefined) out.updatedBy = s.updatedBy;
      return out;
    }),
  );
}

export function buildCaseReport(s: CaseSnapshot, options: { toolVersion: string; now?: string }): CaseReportV1 {
  const { custodyHead: _head, ...caseFields } = s.record;
  const steps = s.provenance && s.provenance.length > 0 ? [...s.provenance] : emptyProvenanceChain();
  const chain = verifyCustodyChain(s.custody, { caseId: s.record.id, expectedHead: s.record.custodyHead });
  return {
    schema: CASE_REPORT_SCHEMA_ID,
    generatedAt: options.now ?? new Date().toISOString(),
    tool: { name: 'model-sleuth', version: options.toolVersion },
    case: { ...caseFields, roles: { ...s.record.roles } },
    evidence: s.evidence.map(({ caseId: _c, ...e }) => e),
    analyses: s.analyses.map((a) => ({ id: a.id, createdAt: a.createdAt, report: a.report })),
    manifestChecks: s.manifestChecks.map((m) => ({ id: m.id, createdAt: m.createdAt, result: m.result })),
    provenance: { steps, assessment: assessProvenance(steps) },
    checklists: { items: checklistForReport(s.checklist), progress: checklistProgress(s.checklist) },
    custody: { head: headOf(s.custody), events: [...s.custody], verification: { ok: chain.ok, problems: chain.problems } },
  };
}

export function buildCustodyExport(record: CaseRecord, events: readonly CustodyEvent[], options: { toolVersion: string; now?: string }): CustodyLogExportV1 {
  return {
    schema: CUSTODY_LOG_SCHEMA_ID,
    generatedAt: options.now ?? new Date().toISOString(),
    tool: { name: 'model-sleuth', version: options.toolVersion },
    caseId: record.id,
    head: headOf(events),
    events: [...events],
  };
}

/** The JSON text written for a report or custody export: 2-space indented, as every export of the tool. */
export function serialiseDocument(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
