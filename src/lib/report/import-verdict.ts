/**
 * What an imported report is (case-import.ts) and the one-line answer shown for it. Kept apart
 * from the importer so that the page can show a verdict without loading the importer and its two
 * precompiled schema validators (~440 KiB of source), which load when a file is imported.
 */
import type { ChainVerification } from '../evidence/custody-log.ts';
import type { IntegrityCheck } from './case-integrity.ts';
import type { CaseReportV1, CustodyLogExportV1 } from './case-types.ts';
import type { ReportV1 } from './types.ts';

export type BytesCheck = 'exact' | 'reformatted' | 'page-edited' | 'not-checked';

interface ImportBase {
  fileName: string;
  format: 'json' | 'html';
  /** Whether the file's bytes are what the tool writes for its content. */
  bytes: BytesCheck;
  bytesNote: string;
  validation: { ok: boolean; errors: string[] };
}

export type ImportedDocument =
  | (ImportBase & { kind: 'case-report'; doc: CaseReportV1; integrity: IntegrityCheck; custody: ChainVerification })
  | (ImportBase & { kind: 'custody-log'; doc: CustodyLogExportV1; integrity: IntegrityCheck; custody: ChainVerification })
  | (ImportBase & { kind: 'comparison'; doc: ReportV1; integrity: IntegrityCheck });

/** The overall answer, for a badge: trusted content, tampered, or unverifiable. */
export function importVerdict(imp: ImportedDocument): { status: 'verified' | 'tampered' | 'unverified'; words: string } {
  const problems: string[] = [];
  if (imp.integrity.digest === 'invalid') problems.push('its content does not match its digest');
  if (imp.integrity.signature === 'invalid') problems.push('its signature does not verify');
  if ((imp.kind === 'case-report' || imp.kind === 'custody-log') && !imp.custody.ok) problems.push('its custody chain is broken');
  if (imp.bytes === 'page-edited') problems.push('the visible page was edited (it no longer matches the data embedded in it)');
  if (problems.length) return { status: 'tampered', words: `Do not trust this report: ${problems.join('; ')}.` };
  // Intact but not in the form this version reads (a newer version's fields, or a hand-made file).
  if (!imp.validation.ok) return { status: 'unverified', words: `Its integrity checks pass, but it does not follow the schema this version reads (${imp.validation.errors[0] ?? 'schema errors'}); it may come from a newer version.` };
  if (imp.integrity.digest === 'absent') return { status: 'unverified', words: 'This report carries no digest: whether it was changed cannot be told.' };
  if (imp.integrity.signature === 'valid') return { status: 'verified', words: `Content, digest and signature verify (key ${imp.integrity.keyFingerprint?.slice(0, 16) ?? ''}…${imp.integrity.signer ? `, ${imp.integrity.signer}` : ''}).` };
  return { status: 'verified', words: 'Content matches its digest; the report is not signed, so who made it cannot be verified.' };
}
