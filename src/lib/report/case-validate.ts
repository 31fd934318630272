/**
 * Checks that a value is a case report v1 or a custody-log export: schemas/case-report-v1.schema.json
 * through its precompiled validator (schemas/case-generate-validator.ts), then each comparison
 * report inside through the report's own validator (validate.ts). Used on every export (tests) and
 * every import, so messages are for people.
 */
import { validate as validateCaseSchema, type ValidatorError } from '../../../schemas/case-report-v1.validate.js';
import { CASE_REPORT_SCHEMA_ID, CUSTODY_LOG_SCHEMA_ID, type CaseReportV1, type CustodyLogExportV1 } from './case-types.ts';
import { MAX_VALIDATION_MESSAGES, validateReport } from './validate.ts';

export type CaseValidation = { ok: true; kind: 'case-report' | 'custody-log' } | { ok: false; errors: string[] };

export function validateCaseDocument(value: unknown): CaseValidation {
  const schema = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['schema'] : undefined;
  const kind = schema === CASE_REPORT_SCHEMA_ID ? 'case-report' : schema === CUSTODY_LOG_SCHEMA_ID ? 'custody-log' : undefined;
  if (kind === undefined) return { ok: false, errors: [`"schema" must be "${CASE_REPORT_SCHEMA_ID}" or "${CUSTODY_LOG_SCHEMA_ID}" (found ${JSON.stringify(schema) ?? 'nothing'})`] };
  const errors: string[] = [];
  if (!validateCaseSchema(value)) {
    const branch = kind === 'case-report' ? '#/$defs/caseReport' : '#/$defs/custodyExport';
    const other = kind === 'case-report' ? '#/$defs/custodyExport' : '#/$defs/caseReport';
    for (const e of validateCaseSchema.errors ?? []) {
      if (e.schemaPath.startsWith(other) || e.schemaPath === '#/oneOf') continue;
      if (!e.schemaPath.startsWith(branch) && !e.schemaPath.startsWith('#/$defs/')) continue;
      errors.push(describe(e));
    }
    if (errors.length === 0) errors.push('the document does not follow the case report schema');
  } else if (kind === 'case-report') {
    for (const [i, a] of (value as CaseReportV1).analyses.entries()) {
      const r = validateReport(a.report);
      if (!r.ok) errors.push(...r.errors.map((m) => `analyses[${i}].report: ${m}`));
    }
  }
  const unique = [...new Set(errors)];
  if (unique.length === 0) return { ok: true, kind };
  return { ok: false, errors: unique.length > MAX_VALIDATION_MESSAGES ? [...unique.slice(0, MAX_VALIDATION_MESSAGES), `… and ${unique.length - MAX_VALIDATION_MESSAGES} more problems`] : unique };
}

function describe(e: ValidatorError): string {
  const where = e.instancePath === '' ? 'document' : e.instancePath.slice(1).replace(/\//g, '.');
  const p = e.params;
  switch (e.keyword) {
    case 'required':
      return `${where}: missing required field "${String(p['missingProperty'])}"`;
    case 'additionalProperties':
      return `${where}: unexpected field "${String(p['additionalProperty'])}"`;
    case 'enum':
      return `${where}: must be one of ${Array.isArray(p['allowedValues']) ? p['allowedValues'].map((v) => JSON.stringify(v)).join(', ') : '?'}`;
    case 'const':
      return `${where}: must be ${JSON.stringify(p['allowedValue'])}`;
    case 'pattern':
      return `${where}: ${String(p['pattern']) === '^[0-9a-f]{64}$' ? 'must be a SHA-256 digest (64 lowercase hex digits)' : `must match ${String(p['pattern'])}`}`;
    default:
      return `${where}: ${e.message ?? e.keyword}`;
  }
}

export function isCaseReport(value: unknown): value is CaseReportV1 {
  const r = validateCaseDocument(value);
  return r.ok && r.kind === 'case-report';
}

export function isCustodyExport(value: unknown): value is CustodyLogExportV1 {
  const r = validateCaseDocument(value);
  return r.ok && r.kind === 'custody-log';
}
