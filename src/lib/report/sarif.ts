/**
 * SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format) for CI code scanning: a comparison
 * report's findings, and a case's manifest mismatches, as results that GitHub code scanning and
 * other SARIF consumers show next to the model files.
 *
 * Mapping: rule id = finding kind (REPORT.md; "manifest-*" for manifest checks); level from
 * severity (critical/high → error, medium → warning, low/info → note) and the rule's
 * `security-severity` property, which GitHub reads to rank security alerts; each result's physical
 * location is the model file (a relative URI under uriBaseId MODEL_ROOT), its logical location the
 * tensor; partialFingerprints keep an alert stable across runs. Model-derived strings stay plain
 * text (`message.text`, never markdown).
 */
import type { ManifestVerification } from '../evidence/manifests/verify-model.ts';
import { sha256Hex } from '../evidence/sha256-sync.ts';
import type { CaseReportV1 } from './case-types.ts';
import type { Finding, ReportV1, Severity } from './types.ts';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const MODEL_ROOT = 'MODEL_ROOT';

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: SarifRun[];
}

export interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription?: { text: string };
  defaultConfiguration: { level: SarifLevel };
  properties: { tags: string[]; 'security-severity': string };
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: { text: string };
  locations?: {
    physicalLocation?: { artifactLocation: { uri: string; uriBaseId: string; index?: number } };
    logicalLocations?: { name: string; fullyQualifiedName: string; kind: string }[];
  }[];
  partialFingerprints: Record<string, string>;
  properties: Record<string, unknown>;
}

export interface SarifRun {
  tool: { driver: { name: string; semanticVersion: string; version: string; informationUri?: string; rules: SarifRule[] } };
  automationDetails?: { id: string };
  originalUriBaseIds: Record<string, { description: { text: string } }>;
  artifacts: { location: { uri: string; uriBaseId: string }; length: number; hashes?: Record<string, string>; roles?: string[] }[];
  results: SarifResult[];
  invocations: { executionSuccessful: boolean; toolExecutionNotifications?: { level: SarifLevel; message: { text: string } }[] }[];
  properties?: Record<string, unknown>;
}

const LEVEL: Record<Severity, SarifLevel> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
/** GitHub's scale: > 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

const RULE_WORDS: Record<string, string> = {
  'file-hash-mismatch': 'A model file’s bytes differ from the known-good copy',
  'file-added': 'A file exists only in the suspect model',
  'file-removed': 'A file of the known-good model is missing from the suspect',
  reserialized: 'A file was re-serialized without changing any tensor',
  'tensor-modified': 'A tensor’s values were changed',
  'tensor-added': 'A tensor exists only in the suspect model',
  'tensor-removed': 'A tensor of the known-good model is missing',
  'shape-changed': 'A tensor’s shape changed',
  'dtype-changed': 'A tensor’s dtype changed',
  'tensor-not-compared': 'A tensor could not be compared',
  'unsafe-pickle-global': 'A pickle imports a callable that can execute code on load',
  'pickle-anomaly': 'A pickle stream is malformed or unusual',
  'zip-anomaly': 'A ZIP container is malformed or unusual',
  'parse-error': 'A model file could not be read',
  'config-changed': 'The model configuration changed',
  'tokenizer-changed': 'The tokenizer changed',
  'chat-template-changed': 'The chat template changed',
  'code-changed': 'Code shipped with the model changed',
  'remote-code': 'Python shipped with the model runs when it is loaded with trust_remote_code',
  'adapter-explains-delta': 'An adapter explains a weight change',
  'adapter-mismatch': 'An adapter does not match the weights',
  'weight-anomaly': 'Architecture or weight statistics anomaly',
  'activation-divergence': 'Activations diverge from the known-good model',
  'behaviour-divergence': 'Outputs diverge from the known-good model',
  'engine-fallback': 'The analysis fell back to another engine',
  'manifest-digest-mismatch': 'A file or shard does not match its signed or recorded digest',
  'manifest-file-missing': 'A file listed in the manifest is missing',
  'manifest-file-extra': 'A file is not listed in the signed manifest',
  'manifest-signature-invalid': 'The manifest’s signature does not verify',
  'manifest-unverifiable': 'Part of the model could not be verified against the manifest',
};

/** A relative URI reference for a model path: each segment percent-encoded, so spaces, "#", "?" and "%" stay data. */
export function pathToUri(path: string): string {
  return path
    .split('/')
    .map((seg) => encodeURIComponent(seg))
    .join('/');
}

function ruleName(id: string): string {
  return id.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase());
}

class RunBuilder {
  private readonly rules: SarifRule[] = [];
  private readonly ruleIndex = new Map<string, number>();
  readonly results: SarifResult[] = [];
  readonly artifacts: SarifRun['artifacts'] = [];
  private readonly artifactIndex = new Map<string, number>();

  rule(id: string, severity: Severity): number {
    const known = this.ruleIndex.get(id);
    if (known !== undefined) {
      const r = this.rules[known];
      // A rule's default level and severity are those of its most severe result.
      if (r && Number(SECURITY_SEVERITY[severity]) > Number(r.properties['security-severity'])) {
        r.defaultConfiguration.level = LEVEL[severity];
        r.properties['security-severity'] = SECURITY_SEVERITY[severity];
      }
      return known;
    }
    const words = RULE_WORDS[id] ?? id;
    this.rules.push({ id, name: ruleName(id), shortDescription: { text: words }, defaultConfiguration: { level: LEVEL[severity] }, properties: { tags: ['security', 'ai-model', 'model-integrity'], 'security-severity': SECURITY_SEVERITY[severity] } });
    this.ruleIndex.set(id, this.rules.length - 1);
    return this.rules.length - 1;
  }

  artifact(path: string, length: number, sha256: string | null | undefined, role: string): number {
    const known = this.artifactIndex.get(path);
    if (known !== undefined) return known;
    this.artifacts.push({ location: { uri: pathToUri(path), uriBaseId: MODEL_ROOT }, length, ...(sha256 ? { hashes: { 'sha-256': sha256 } } : {}), roles: [role] });
    this.artifactIndex.set(path, this.artifacts.length - 1);
    return this.artifacts.length - 1;
  }

  add(ruleId: string, severity: Severity, message: string, where: { file?: string; tensor?: string }, properties: Record<string, unknown>): void {
    const ruleIndex = this.rule(ruleId, severity);
    const location: NonNullable<SarifResult['locations']>[number] = {};
    if (where.file !== undefined) {
      const idx = this.artifactIndex.get(where.file);
      location.physicalLocation = { artifactLocation: { uri: pathToUri(where.file), uriBaseId: MODEL_ROOT, ...(idx === undefined ? {} : { index: idx }) } };
    }
    if (where.tensor !== undefined) location.logicalLocations = [{ name: where.tensor, fullyQualifiedName: where.tensor, kind: 'member' }];
    this.results.push({
      ruleId,
      ruleIndex,
      level: LEVEL[severity],
      message: { text: message },
      ...(location.physicalLocation || location.logicalLocations ? { locations: [location] } : {}),
      partialFingerprints: { 'modelSleuth/v1': sha256Hex(`${ruleId}\u0000${where.file ?? ''}\u0000${where.tensor ?? ''}\u0000${String(properties['detail'] ?? '')}`) },
      properties: { severity, ...properties },
    });
  }

  build(toolVersion: string, label: string, automationId: string, notes: string[]): SarifRun {
    return {
      tool: { driver: { name: 'Model Sleuth', semanticVersion: toolVersion, version: toolVersion, rules: this.rules } },
      automationDetails: { id: automationId },
      originalUriBaseIds: { [MODEL_ROOT]: { description: { text: `The folder of the model checked: ${label}` } } },
      artifacts: this.artifacts,
      results: this.results,
      invocations: [{ executionSuccessful: true, ...(notes.length ? { toolExecutionNotifications: notes.map((n) => ({ level: 'note' as const, message: { text: n } })) } : {}) }],
    };
  }
}

function addFindings(b: RunBuilder, report: ReportV1): void {
  for (const f of report.inputs.suspect.files) b.artifact(f.path, f.size, f.sha256, 'analysisTarget');
  for (const f of report.findings) b.add(f.kind, f.severity, f.message, findingWhere(f), { findingId: f.id, decidesVerdict: report.verdict.reasons.includes(f.id), detail: f.tensor === undefined ? f.message : '' });
}

function findingWhere(f: Finding): { file?: string; tensor?: string } {
  return { ...(f.file === undefined ? {} : { file: f.file }), ...(f.tensor === undefined ? {} : { tensor: f.tensor }) };
}

/** One SARIF log for one comparison report. */
export function comparisonToSarif(report: ReportV1): SarifLog {
  const b = new RunBuilder();
  addFindings(b, report);
  const run = b.build(report.tool.version, report.inputs.suspect.label, 'model-sleuth/compare', [`Verdict: ${report.verdict.status} — ${report.verdict.summary}`]);
  run.properties = { verdict: report.verdict.status, knownGood: report.inputs.knownGood.label, suspect: report.inputs.suspect.label };
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] };
}

function addManifest(b: RunBuilder, m: ManifestVerification): void {
  for (const it of m.items) {
    const tensors = it.tensors ?? [];
    const changed = tensors.filter((t) => t.changed === true);
    const named = (changed.length ? changed : tensors).slice(0, 10).map((t) => t.name);
    const detail = named.length ? ` Tensors in these bytes${changed.length ? ' that changed' : ''}: ${named.join(', ')}${tensors.length > named.length ? ' …' : ''}.` : '';
    const where = { file: it.path };
    if (it.status === 'failed') b.add('manifest-digest-mismatch', 'high', `${it.name} does not match ${m.manifestName}: ${it.message ?? 'the digest differs'}.${detail}`, where, { manifest: m.manifestName, expected: it.expected, actual: it.actual, detail: it.name });
    else if (it.status === 'missing') b.add('manifest-file-missing', 'high', `${it.name} is listed in ${m.manifestName} but missing`, where, { manifest: m.manifestName, detail: it.name });
    else if (it.status === 'extra') b.add('manifest-file-extra', 'medium', `${it.name} is not in ${m.manifestName}`, where, { manifest: m.manifestName, detail: it.name });
    else if (it.status === 'unreadable' || it.status === 'unsupported') b.add('manifest-unverifiable', 'medium', `${it.name} could not be verified against ${m.manifestName}: ${it.message ?? it.status}`, where, { manifest: m.manifestName, detail: it.name });
  }
  if (m.signature?.status === 'failed') b.add('manifest-signature-invalid', 'critical', `${m.manifestName}: ${m.signature.message}`, {}, { manifest: m.manifestName, detail: 'signature' });
}

/** A case: the latest comparison's findings and every manifest check's problems, in one run. */
export function caseToSarif(doc: CaseReportV1): SarifLog {
  const b = new RunBuilder();
  const latest = doc.analyses[doc.analyses.length - 1]?.report;
  if (latest) addFindings(b, latest);
  for (const e of doc.evidence) if (e.side !== 'known-good') b.artifact(e.name, e.size, e.sha256, 'analysisTarget');
  for (const m of doc.manifestChecks) addManifest(b, m.result);
  const notes = [`Case ${doc.case.id}: ${doc.provenance.assessment.headline}`];
  const run = b.build(doc.tool.version, latest?.inputs.suspect.label ?? doc.case.title, `model-sleuth/case/${doc.case.id}`, notes);
  run.properties = { caseId: doc.case.id, compromisePoint: doc.provenance.assessment.point, ...(latest ? { verdict: latest.verdict.status } : {}) };
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] };
}

/** A manifest verification alone (CLI `verify --sarif`). */
export function manifestToSarif(m: ManifestVerification, toolVersion: string, label: string): SarifLog {
  const b = new RunBuilder();
  addManifest(b, m);
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [b.build(toolVersion, label, 'model-sleuth/verify', [m.summary])] };
}
