/**
 * Import of a shared report into the workbench, read-only: a case report (JSON, or its HTML page
 * with the JSON embedded), a custody-log export, or a plain comparison report (report JSON v1, or
 * an HTML report exported with its JSON embedded). Says what can be trusted about it:
 * - schema: does it follow its schema (case-validate.ts / validate.ts)?
 * - digest: does the content hash to the digest it carries? (any edited byte of content: no)
 * - signature: does the ECDSA signature over it verify with the public key it carries?
 * - custody: does its custody chain verify against the head it records?
 * - bytes: are the file's bytes exactly what the tool writes for that content? (JSON: reformatted or
 *   not; HTML: the visible page re-rendered from the embedded JSON — an edited page shows here even
 *   when the embedded data is intact).
 * The text is parsed with the strict JSON reader (duplicate keys rejected: two readers must never
 * see two different reports in one file).
 */
import { parseStrictJson } from '../formats/strict-json.ts';
import { verifyCustodyChain, type ChainVerification } from '../evidence/custody-log.ts';
import { EvidenceError } from '../evidence/errors.ts';
import { renderCaseHtml } from './case-render-html.ts';
import { checkDocumentIntegrity, type IntegrityCheck } from './case-integrity.ts';
import { extractEmbeddedJson } from './case-embed.ts';
import { serialiseDocument } from './case-report.ts';
import { CASE_REPORT_SCHEMA_ID, CUSTODY_LOG_SCHEMA_ID, type CaseReportV1, type CustodyLogExportV1 } from './case-types.ts';
import { validateCaseDocument } from './case-validate.ts';
import { renderHtmlReport } from './render-html.ts';
import { REPORT_SCHEMA_ID, type ReportV1 } from './types.ts';
import { validateReport } from './validate.ts';
import { TOOL_VERSION as TOOL_VERSION_FOR_RENDER } from '../version.ts';
import type { BytesCheck, ImportedDocument } from './import-verdict.ts';

/** Imported reports larger than this are refused (a case with many full comparison reports stays far below). CWE-770. */
export const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

export { importVerdict, type BytesCheck, type ImportedDocument } from './import-verdict.ts';

export async function importReport(text: string, fileName: string): Promise<ImportedDocument> {
  if (text.length > MAX_IMPORT_BYTES) throw new EvidenceError('report_unreadable', `${fileName} is larger than the ${MAX_IMPORT_BYTES.toLocaleString('en-US')} characters allowed`);
  const isHtml = /^\s*(<!doctype html|<html)/i.test(text);
  let jsonText: string;
  if (isHtml) {
    const embedded = extractEmbeddedJson(text);
    if (embedded === undefined) throw new EvidenceError('report_unreadable', `${fileName} is an HTML page without an embedded Model Sleuth report. Import the JSON report, or an HTML report exported from a case (they embed their JSON).`);
    jsonText = embedded;
  } else jsonText = text;
  let value: unknown;
  try {
    value = parseStrictJson(jsonText);
  } catch (e) {
    throw new EvidenceError('report_unreadable', `${fileName} is not a valid JSON report: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const schema = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['schema'] : undefined;
  const format = isHtml ? 'html' : 'json';
  if (schema === CASE_REPORT_SCHEMA_ID || schema === CUSTODY_LOG_SCHEMA_ID) {
    const validation = validateCaseDocument(value);
    const integrity = await checkDocumentIntegrity(value as { integrity?: unknown });
    if (schema === CASE_REPORT_SCHEMA_ID) {
      const doc = value as CaseReportV1;
      const custody = verifyCustodyChain(Array.isArray(doc.custody?.events) ? doc.custody.events : [], { caseId: doc.case?.id ?? '', expectedHead: doc.custody?.head ?? { seq: 0, hash: '' } });
      const bytes = checkBytes(text, value, isHtml, doc.tool?.version, () => (validation.ok ? renderCaseHtml(doc) : undefined));
      return { kind: 'case-report', doc, integrity, custody, fileName, format, ...bytes, validation: validation.ok ? { ok: true, errors: [] } : { ok: false, errors: validation.errors } };
    }
    const doc = value as CustodyLogExportV1;
    const custody = verifyCustodyChain(Array.isArray(doc.events) ? doc.events : [], { caseId: doc.caseId ?? '', expectedHead: doc.head ?? { seq: 0, hash: '' } });
    const bytes = checkBytes(text, value, isHtml, doc.tool?.version, () => undefined);
    return { kind: 'custody-log', doc, integrity, custody, fileName, format, ...bytes, validation: validation.ok ? { ok: true, errors: [] } : { ok: false, errors: validation.errors } };
  }
  if (schema === REPORT_SCHEMA_ID) {
    const r = validateReport(value);
    const doc = value as ReportV1;
    const integrity: IntegrityCheck = { digest: 'absent', computed: '', signature: 'absent' };
    const bytes = checkBytes(text, value, isHtml, doc.tool?.version, () => (r.ok ? renderHtmlReport(doc, { embedJson: true }) : undefined));
    return { kind: 'comparison', doc, integrity, fileName, format, ...bytes, validation: r.ok ? { ok: true, errors: [] } : { ok: false, errors: r.errors } };
  }
  throw new EvidenceError('report_unreadable', `${fileName} is JSON but not a Model Sleuth report ("schema" is ${JSON.stringify(schema) ?? 'missing'})`);
}

function checkBytes(text: string, value: unknown, isHtml: boolean, version: string | undefined, render: () => string | undefined): { bytes: BytesCheck; bytesNote: string } {
  if (!isHtml) {
    return serialiseDocument(value) === text
      ? { bytes: 'exact', bytesNote: 'Formatted byte for byte as the tool writes this content (whether the content is intact is the digest’s answer).' }
      : { bytes: 'reformatted', bytesNote: 'The file’s bytes differ from what the tool writes for this content (re-indented or re-encoded); the digest decides whether the content changed.' };
  }
  if (version !== TOOL_VERSION_FOR_RENDER) return { bytes: 'not-checked', bytesNote: `Rendered by version ${version ?? '?'}: the visible page could not be re-rendered to compare; the embedded data was verified.` };
  const expected = render();
  if (expected === undefined) return { bytes: 'not-checked', bytesNote: 'The embedded data does not follow its schema, so the page was not re-rendered.' };
  return expected === text
    ? { bytes: 'exact', bytesNote: 'The visible page is exactly the one rendered from its embedded data.' }
    : { bytes: 'page-edited', bytesNote: 'The visible page differs from the page its embedded data renders to: the HTML was edited after export.' };
}

