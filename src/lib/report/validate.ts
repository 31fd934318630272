/**
 * Checks that a value is a v1 report: schemas/report-v1.schema.json (through its precompiled Ajv
 * validator — see schemas/generate-validator.ts for why it is precompiled) plus the cross-references
 * a JSON Schema cannot express (unique finding ids, verdict reasons that name findings, unique
 * tensor names). Used on every report the tool writes (tests) and on every report the workbench or
 * the CLI imports, so the messages are for people: where, what was expected, what was found.
 */
import { validate as validateSchema, type ValidatorError } from '../../../schemas/report-v1.validate.js';
import type { ReportV1 } from './types.ts';

export type ValidationResult = { ok: true } | { ok: false; errors: string[] };

/** At most this many messages are listed (a wholly wrong file would otherwise give thousands). */
export const MAX_VALIDATION_MESSAGES = 50;
/** Offending values are quoted up to this many characters. */
const MAX_QUOTED = 80;

export function validateReport(value: unknown): ValidationResult {
  const errors: string[] = [];
  if (!validateSchema(value)) {
    for (const e of validateSchema.errors ?? []) errors.push(describeSchemaError(e, value));
  } else {
    errors.push(...crossReferenceErrors(value as ReportV1));
  }
  if (errors.length === 0) return { ok: true };
  const unique = [...new Set(errors)];
  if (unique.length > MAX_VALIDATION_MESSAGES) {
    const more = unique.length - MAX_VALIDATION_MESSAGES;
    return { ok: false, errors: [...unique.slice(0, MAX_VALIDATION_MESSAGES), `… and ${more} more problem${more === 1 ? '' : 's'}`] };
  }
  return { ok: false, errors: unique };
}

export function isReportV1(value: unknown): value is ReportV1 {
  return validateReport(value).ok;
}

// ── messages ───────────────────────────────────────────────────────────────

/** Schema patterns, said in words. */
const PATTERN_WORDS: Record<string, string> = {
  '^[0-9a-f]{64}$': 'must be a SHA-256 digest: 64 lowercase hex digits',
  '\\S': 'must not be blank',
  '^(NaN|Infinity|-Infinity)$': 'must be a number, or one of the strings "NaN", "Infinity", "-Infinity"',
  '^[a-z][a-z0-9]*(_[a-z0-9]+)*$': 'must be a snake_case error code',
};

function describeSchemaError(e: ValidatorError, root: unknown): string {
  const segments = pointerSegments(e.instancePath);
  const got = resolvePointer(root, segments);
  const where = describeLocation(root, segments);
  const p = e.params;
  switch (e.keyword) {
    case 'required':
      return `${where}: missing required field "${String(p['missingProperty'])}"`;
    case 'additionalProperties':
      return `${where}: unexpected field "${String(p['additionalProperty'])}"`;
    case 'enum': {
      const allowed = Array.isArray(p['allowedValues']) ? p['allowedValues'].map((v) => JSON.stringify(v)).join(', ') : '?';
      return `${where}: must be one of ${allowed} (found ${quote(got)})`;
    }
    case 'const':
      return `${where}: must be ${JSON.stringify(p['allowedValue'])} (found ${quote(got)})`;
    case 'type':
      return `${where}: must be ${String(p['type']).split(',').join(' or ')} (found ${quote(got)})`;
    case 'pattern': {
      const pattern = String(p['pattern']);
      if (pattern.startsWith('^[0-9]{4}-')) return `${where}: must be an RFC 3339 date-time such as "2026-11-22T10:00:00Z" (found ${quote(got)})`;
      return `${where}: ${PATTERN_WORDS[pattern] ?? `must match ${pattern}`} (found ${quote(got)})`;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${where}: must be ${String(p['comparison'])} ${String(p['limit'])} (found ${quote(got)})`;
    case 'minItems':
    case 'maxItems':
      return `${where}: must have ${e.keyword === 'minItems' ? 'at least' : 'at most'} ${String(p['limit'])} items (found ${Array.isArray(got) ? got.length : '?'})`;
    case 'uniqueItems': {
      const [first, second] = [Number(p['i']), Number(p['j'])].sort((x, y) => x - y);
      return `${where}: items ${String(first)} and ${String(second)} are the same; each value may appear once`;
    }
    default:
      return `${where}: ${e.message ?? `fails "${e.keyword}"`}`;
  }
}

/** "tensors[3] (model.layers.3.mlp.up_proj.weight) › delta › edit › kind" — the path plus the name of the tensor or finding it is in. */
function describeLocation(root: unknown, segments: readonly string[]): string {
  if (segments.length === 0) return 'report';
  const parts: string[] = [];
  let node: unknown = root;
  for (const [i, s] of segments.entries()) {
    const parent = node;
    node = child(node, s);
    if (Array.isArray(parent)) {
      const prev = parts.pop() ?? '';
      let label = `${prev}[${s}]`;
      const topLevel = i === 1 ? segments[0] : undefined;
      if (topLevel === 'tensors' || topLevel === 'findings') {
        const key = topLevel === 'tensors' ? 'name' : 'id';
        const name = isObject(node) ? node[key] : undefined;
        if (typeof name === 'string') label += ` (${truncate(name)})`;
      }
      parts.push(label);
    } else {
      parts.push(s);
    }
  }
  return parts.join('.');
}

function quote(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return truncate(JSON.stringify(v));
  return truncate(String(v));
}

function truncate(s: string): string {
  return s.length > MAX_QUOTED ? `${s.slice(0, MAX_QUOTED - 1)}…` : s;
}

// ── JSON Pointer (RFC 6901) ────────────────────────────────────────────────

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolvePointer(root: unknown, segments: readonly string[]): unknown {
  let node = root;
  for (const s of segments) node = child(node, s);
  return node;
}

function child(node: unknown, segment: string): unknown {
  if (Array.isArray(node)) return node[Number(segment)];
  if (isObject(node) && Object.prototype.hasOwnProperty.call(node, segment)) return node[segment];
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ── what JSON Schema cannot say ────────────────────────────────────────────

function crossReferenceErrors(report: ReportV1): string[] {
  const errors: string[] = [];
  const ids = new Map<string, number>();
  report.findings.forEach((f, i) => {
    const first = ids.get(f.id);
    if (first === undefined) ids.set(f.id, i);
    else errors.push(`findings[${i}] (${truncate(f.id)}): id is already used by findings[${first}]; finding ids must be unique`);
  });
  report.verdict.reasons.forEach((id, i) => {
    if (!ids.has(id)) errors.push(`verdict.reasons[${i}]: names finding ${quote(id)}, which is not in findings`);
  });
  const names = new Map<string, number>();
  report.tensors.forEach((t, i) => {
    const first = names.get(t.name);
    if (first === undefined) names.set(t.name, i);
    else errors.push(`tensors[${i}] (${truncate(t.name)}): the same name as tensors[${first}]; each tensor appears once`);
  });
  return errors;
}
