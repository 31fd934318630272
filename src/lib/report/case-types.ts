/**
 * Case report JSON, version 1: the case file of an incident, shared with people who must be able
 * to trust it. schemas/case-report-v1.schema.json is its precise form (validated on export and on
 * import). The comparison reports inside are report JSON v1 (REPORT.md), unchanged.
 *
 * Integrity: `integrity.digest.value` is the SHA-256 of the RFC 8785 canonical JSON of the report
 * without its `integrity` member; `integrity.signature`, when present, is an ECDSA P-256/SHA-256
 * signature (IEEE P1363 r ‖ s, base64) over those same canonical bytes by the analyst's key, whose
 * public half is in the report (JWK and SPKI). A valid signature says the report is unchanged since
 * that key signed it; whether that key belongs to someone you trust is for you to establish (its
 * SHA-256 fingerprint is shown for comparing out of band).
 */
import type { CaseRecord, CaseRole, ChecklistState, EvidenceItem } from '../evidence/case-model.ts';
import type { ChainProblem, CustodyEvent } from '../evidence/custody-log.ts';
import type { ManifestVerification } from '../evidence/manifests/verify-model.ts';
import type { CompromiseAssessment, ProvenanceStep } from '../evidence/provenance.ts';
import type { ReportV1 } from './types.ts';

export const CASE_REPORT_SCHEMA_ID = 'model-sleuth/case-report/v1';
export const CUSTODY_LOG_SCHEMA_ID = 'model-sleuth/custody-log/v1';

export type CaseReportEvidence = Omit<EvidenceItem, 'caseId'>;

export interface CaseReportChecklistItem {
  id: string;
  section: 'integrity' | 'behaviour' | 'post-mortem';
  label: string;
  state: ChecklistState;
  source: 'auto' | 'manual' | 'none';
  reason?: string;
  note?: string;
  updatedAt?: string;
  updatedBy?: string;
}

export interface IntegrityDigest {
  algorithm: 'sha256';
  canonicalization: 'RFC8785-JCS';
  /** Words for people: what the digest covers. */
  covers: string;
  value: string;
}

export interface IntegritySignature {
  algorithm: 'ECDSA-P256-SHA256';
  format: 'ieee-p1363';
  /** base64 of r ‖ s. */
  value: string;
  publicKey: {
    jwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
    /** base64 DER SubjectPublicKeyInfo. */
    spki: string;
    /** SHA-256 (hex) of the SPKI DER: compare out of band. */
    fingerprint: string;
  };
  signer?: string;
  signedAt: string;
}

export interface ReportIntegrity {
  digest: IntegrityDigest;
  signature?: IntegritySignature;
}

export interface CaseReportV1 {
  schema: typeof CASE_REPORT_SCHEMA_ID;
  generatedAt: string;
  tool: { name: 'model-sleuth'; version: string };
  case: Omit<CaseRecord, 'custodyHead'> & { roles: Partial<Record<CaseRole, string>> };
  evidence: CaseReportEvidence[];
  analyses: { id: string; createdAt: string; report: ReportV1 }[];
  manifestChecks: { id: string; createdAt: string; result: ManifestVerification }[];
  provenance: { steps: ProvenanceStep[]; assessment: CompromiseAssessment };
  checklists: { items: CaseReportChecklistItem[]; progress: { done: number; total: number; failed: number } };
  custody: {
    head: { seq: number; hash: string };
    events: CustodyEvent[];
    /** The chain as verified when the report was made. */
    verification: { ok: boolean; problems: ChainProblem[] };
  };
  integrity?: ReportIntegrity;
}

/** A standalone export of a case's custody log (custody-log.json). */
export interface CustodyLogExportV1 {
  schema: typeof CUSTODY_LOG_SCHEMA_ID;
  generatedAt: string;
  tool: { name: 'model-sleuth'; version: string };
  caseId: string;
  head: { seq: number; hash: string };
  events: CustodyEvent[];
  integrity?: ReportIntegrity;
}
