/** A case as the store would hold it, with a real comparison report (the demo case) and a manifest check. */
import type { AnalysisRecord, CaseRecord, EvidenceItem, ManifestCheckRecord } from '../../../src/lib/evidence/case-model.ts';
import { autoChecklist, mergeAutoChecklist } from '../../../src/lib/evidence/checklists.ts';
import { headOf, nextCustodyEvent, verifyCustodyChain, type CustodyEvent } from '../../../src/lib/evidence/custody-log.ts';
import type { ManifestVerification } from '../../../src/lib/evidence/manifests/verify-model.ts';
import { assessProvenance, emptyProvenanceChain, type ProvenanceStep } from '../../../src/lib/evidence/provenance.ts';
import type { CaseSnapshot } from '../../../src/lib/report/case-report.ts';
import type { ReportV1 } from '../../../src/lib/report/types.ts';
import { demoReport } from '../report/demo-report.ts';

export const CASE_ID = 'AI-IR-2026-0042';

export const MANIFEST_CHECK: ManifestVerification = {
  kind: 'oms',
  manifestName: 'model.sig',
  manifestSha256: 'c'.repeat(64),
  checkedAt: '2026-11-22T10:05:00.000Z',
  modelName: 'tiny-llama',
  granularity: 'shards',
  items: [
    { name: 'model.safetensors:0:4096', path: 'model.safetensors', range: [0, 4096], status: 'ok', expected: 'a'.repeat(64), actual: 'a'.repeat(64) },
    {
      name: 'model.safetensors:4096:8192',
      path: 'model.safetensors',
      range: [4096, 8192],
      status: 'failed',
      expected: 'a'.repeat(64),
      actual: 'b'.repeat(64),
      message: 'the digest differs',
      tensors: [{ name: 'model.layers.2.mlp.down_proj.weight', dtype: 'F32', shape: [64, 176], byteOffset: 4000, byteLength: 45056 }],
    },
  ],
  counts: { ok: 1, failed: 1, missing: 0, extra: 0, unreadable: 0, unsupported: 0 },
  signature: { status: 'verified', method: 'public-key', curve: 'P-256', keyFingerprint: 'd'.repeat(64), message: 'verifies', caveats: [] },
  rootDigest: { expected: 'e'.repeat(64), computed: 'e'.repeat(64), consistent: true },
  problems: [],
  warnings: [],
  verdict: 'mismatch',
  summary: 'The model does NOT match the manifest: 1 OK, 1 FAILED; signature verified.',
  drillDown: 'Per-shard digests: the tensors listed are those whose bytes lie in a mismatching shard; one or more of them changed.',
};

export async function caseSnapshot(): Promise<CaseSnapshot & { report: ReportV1 }> {
  const report = await demoReport();
  const events: CustodyEvent[] = [];
  const add = (type: CustodyEvent['type'], summary: string): void => {
    events.push(nextCustodyEvent(CASE_ID, headOf(events), { type, summary, actor: 'Dana (evidence custodian)', at: `2026-11-22T10:0${events.length}:00.000Z`, data: { n: events.length } }));
  };
  add('case-created', 'Case opened');
  const evidence: EvidenceItem[] = [...report.inputs.knownGood.files.map((f) => ({ f, side: 'known-good' as const })), ...report.inputs.suspect.files.map((f) => ({ f, side: 'suspect' as const }))].map(({ f, side }, i) => {
    add('evidence-added', `Added ${f.path} (${side})`);
    return {
      caseId: CASE_ID,
      id: `E-${String(i + 1).padStart(4, '0')}`,
      name: f.path,
      size: f.size,
      lastModified: Date.UTC(2026, 10, 20),
      sha256: f.sha256 ?? '0'.repeat(64),
      role: f.role === 'weights' ? 'weights' : f.role === 'config' ? 'config' : 'tokenizer',
      side,
      provenance: { source: side === 'known-good' ? 'https://models.example/tiny-llama' : 'prod-gpu-07:/srv/models/tiny-llama', obtainedAt: '2026-11-21T08:00:00Z', obtainedBy: 'Dana' },
      addedAt: '2026-11-22T10:01:00.000Z',
      verifications: [],
    };
  });
  add('analysis-run', 'Compared');
  add('manifest-verified', 'Verified model.sig');
  const record: CaseRecord = {
    id: CASE_ID,
    title: 'Tiny Llama answers differently in production',
    status: 'open',
    createdAt: '2026-11-22T10:00:00.000Z',
    updatedAt: '2026-11-22T10:06:00.000Z',
    roles: { 'incident-commander': 'Alex', 'ai-investigator': 'Sam', 'evidence-custodian': 'Dana' },
    summary: 'Users report <b>odd</b> answers; | pipes | and `ticks`.',
    custodyHead: headOf(events),
  };
  const analyses: AnalysisRecord[] = [{ caseId: CASE_ID, id: 'A-0001', createdAt: '2026-11-22T10:02:00.000Z', kind: 'compare', report, verdict: report.verdict.status, summary: report.verdict.summary }];
  const manifestChecks: ManifestCheckRecord[] = [{ caseId: CASE_ID, id: 'M-0001', createdAt: '2026-11-22T10:05:00.000Z', result: MANIFEST_CHECK }];
  const provenance: ProvenanceStep[] = emptyProvenanceChain().map((s) =>
    s.stage === 'base'
      ? { ...s, name: 'vendor release', expected: evidence.filter((e) => e.side === 'known-good').map((e) => ({ path: e.name, sha256: e.sha256 })), observed: evidence.filter((e) => e.side === 'known-good').map((e) => ({ path: e.name, sha256: e.sha256, evidenceId: e.id })) }
      : s.stage === 'deployment'
        ? { ...s, name: 'prod', expected: evidence.filter((e) => e.side === 'known-good').map((e) => ({ path: e.name, sha256: e.sha256 })), observed: evidence.filter((e) => e.side === 'suspect').map((e) => ({ path: e.name, sha256: e.sha256, evidenceId: e.id })) }
        : { ...s, applicable: false },
  );
  const auto = autoChecklist({ report, manifestChecks: [MANIFEST_CHECK], assessment: assessProvenance(provenance), custody: verifyCustodyChain(events), evidenceCount: evidence.length });
  const { items } = mergeAutoChecklist({ 'pm.timeline': { state: 'pass', source: 'manual', note: 'See ticket <INC-7>', updatedAt: '2026-11-22T10:06:00.000Z', updatedBy: 'Alex' } }, auto, '2026-11-22T10:06:00.000Z');
  return { record, evidence, analyses, manifestChecks, provenance, checklist: items, custody: events, report };
}
