/**
 * The case file of an incident (DESIGN.md "Case workflow"; the model-compromise playbook): what is
 * kept in IndexedDB, exported in case reports, and verified on import. Plain data only — every
 * record is structured-clonable and JSON-serialisable; only hashes and results are kept, never
 * model bytes.
 *
 * Times are UTC ISO 8601 strings ("2026-11-22T10:00:00.000Z"); file modification times stay the
 * millisecond numbers the platform gives (File.lastModified, fs.Stats.mtimeMs).
 */
import type { ReportV1, VerdictStatus } from '../report/types.ts';
import type { ManifestVerification } from './manifests/verify-model.ts';
import type { ProvenanceStep } from './provenance.ts';

// ── case ────────────────────────────────────────────────────────────────────

/** The response team of the playbook, in its order. */
export const CASE_ROLES = {
  'incident-commander': 'Incident commander',
  'ai-investigator': 'AI investigator',
  'infrastructure-lead': 'Infrastructure lead',
  'supply-chain-investigator': 'Supply-chain investigator',
  'evidence-custodian': 'Evidence custodian',
} as const;
export type CaseRole = keyof typeof CASE_ROLES;
export const CASE_ROLE_IDS = Object.keys(CASE_ROLES) as CaseRole[];

export type CaseStatus = 'open' | 'closed';

export interface CustodyHead {
  /** Number of events (the last event's seq); 0 for an empty log. */
  seq: number;
  /** Hash of the last event; GENESIS_HASH for an empty log. */
  hash: string;
}

export interface CaseRecord {
  /** AI-IR-YYYY-NNNN: year of creation (UTC) and a sequence number within that year. */
  id: string;
  title: string;
  status: CaseStatus;
  createdAt: string;
  updatedAt: string;
  roles: Partial<Record<CaseRole, string>>;
  /** Free text: what happened, what triggered the case. */
  summary?: string;
  /** The custody log's head, updated in the same transaction as every append (detects a removed tail). */
  custodyHead: CustodyHead;
}

/** "AI-IR-2026-0007" — at least four digits, more when a year has more than 9,999 cases. */
export function formatCaseId(year: number, sequence: number): string {
  return `AI-IR-${String(year).padStart(4, '0')}-${String(sequence).padStart(4, '0')}`;
}

export const CASE_ID_PATTERN = /^AI-IR-\d{4}-\d{4,}$/;

export function parseCaseId(id: string): { year: number; sequence: number } | undefined {
  const m = /^AI-IR-(\d{4})-(\d{4,})$/.exec(id);
  if (!m) return undefined;
  return { year: Number(m[1]), sequence: Number(m[2]) };
}

// ── evidence ────────────────────────────────────────────────────────────────

export const EVIDENCE_ROLES = {
  weights: 'Weights',
  adapter: 'Adapter',
  tokenizer: 'Tokenizer',
  config: 'Config',
  'serving-config': 'Serving configuration',
  'deployment-manifest': 'Deployment manifest',
  other: 'Other',
} as const;
export type EvidenceRole = keyof typeof EVIDENCE_ROLES;
export const EVIDENCE_ROLE_IDS = Object.keys(EVIDENCE_ROLES) as EvidenceRole[];

export type EvidenceSide = 'known-good' | 'suspect' | 'other';
export const EVIDENCE_SIDES: Record<EvidenceSide, string> = { 'known-good': 'Known-good', suspect: 'Suspect', other: 'Other' };

export interface Provenance {
  /** Where it came from: a URL, a registry reference, a host and path, a ticket. */
  source?: string;
  /** When it was obtained (UTC ISO, or as the user wrote it). */
  obtainedAt?: string;
  /** Who obtained it. */
  obtainedBy?: string;
  notes?: string;
}

export interface Reverification {
  at: string;
  result: 'match' | 'mismatch';
  /** The digest computed this time. */
  sha256: string;
}

export interface EvidenceItem {
  caseId: string;
  /** E-0001, E-0002 … within the case. */
  id: string;
  /** Path relative to the model folder (or the file name). Data only: never opened by path. */
  name: string;
  size: number;
  /** Milliseconds since the epoch (File.lastModified), when the platform knew it. */
  lastModified?: number;
  sha256: string;
  role: EvidenceRole;
  side: EvidenceSide;
  provenance: Provenance;
  addedAt: string;
  addedBy?: string;
  /** Re-verifications (newest last, at most MAX_REVERIFICATIONS kept). */
  verifications: Reverification[];
}

export const MAX_REVERIFICATIONS = 20;

// ── analyses, manifest checks ───────────────────────────────────────────────

export interface AnalysisRecord {
  caseId: string;
  /** A-0001 … */
  id: string;
  createdAt: string;
  kind: 'compare';
  /** The comparison report as produced (report JSON v1). */
  report: ReportV1;
  verdict: VerdictStatus;
  summary: string;
}

export interface ManifestCheckRecord {
  caseId: string;
  /** M-0001 … */
  id: string;
  createdAt: string;
  result: ManifestVerification;
}

// ── checklists, provenance ──────────────────────────────────────────────────

export type ChecklistState = 'open' | 'pass' | 'fail' | 'n/a';

export interface ChecklistItemState {
  state: ChecklistState;
  note?: string;
  /** 'auto': set from results (reason says which); 'manual': set by a person. */
  source: 'auto' | 'manual';
  reason?: string;
  updatedAt: string;
  updatedBy?: string;
}

export interface ChecklistRecord {
  caseId: string;
  items: Record<string, ChecklistItemState>;
}

export interface ProvenanceRecord {
  caseId: string;
  steps: ProvenanceStep[];
}

/** ISO 8601 UTC now. */
export function utcNow(): string {
  return new Date().toISOString();
}

/** "E-0007" */
export function sequenceId(prefix: string, n: number): string {
  return `${prefix}-${String(n).padStart(4, '0')}`;
}
