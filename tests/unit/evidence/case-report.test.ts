/**
 * Case reports end to end without a browser: build → seal (digest + ECDSA signature) → validate
 * against schemas/case-report-v1.schema.json → render HTML/Markdown/SARIF → import and verify; and
 * the tamper cases: one byte of the exported JSON or HTML, one custody event.
 */
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { CASE_SCHEMA_PATH, CASE_VALIDATOR_PATH, generateCaseValidatorSource } from '../../../schemas/case-generate-validator.ts';
import { AJV_OPTIONS } from '../../../schemas/generate-validator.ts';
import { hashCustodyEvent } from '../../../src/lib/evidence/custody-log.ts';
import { autoChecklist } from '../../../src/lib/evidence/checklists.ts';
import { extractEmbeddedJson } from '../../../src/lib/report/case-embed.ts';
import { importReport, importVerdict } from '../../../src/lib/report/case-import.ts';
import { checkDocumentIntegrity, documentDigest, sealDocument } from '../../../src/lib/report/case-integrity.ts';
import { renderCaseHtml } from '../../../src/lib/report/case-render-html.ts';
import { renderCaseMarkdown } from '../../../src/lib/report/case-render-markdown.ts';
import { buildCaseReport, buildCustodyExport, serialiseDocument } from '../../../src/lib/report/case-report.ts';
import type { CaseReportV1 } from '../../../src/lib/report/case-types.ts';
import { validateCaseDocument } from '../../../src/lib/report/case-validate.ts';
import { REPORT_CSP, renderHtmlReport } from '../../../src/lib/report/render-html.ts';
import { caseToSarif, comparisonToSarif, pathToUri, type SarifLog } from '../../../src/lib/report/sarif.ts';
import { TOOL_VERSION } from '../../../src/lib/version.ts';
import { caseSnapshot } from './case-fixture.ts';

async function signer() {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, name: 'Dana <dana@example.test>' };
}

async function sealedReport(): Promise<CaseReportV1> {
  const snap = await caseSnapshot();
  return sealDocument(buildCaseReport(snap, { toolVersion: TOOL_VERSION, now: '2026-11-22T11:00:00.000Z' }), { signer: await signer(), now: '2026-11-22T11:00:01.000Z' });
}

/** Changes one byte of `text` at the first occurrence of `needle` (+offset): a digit or letter to another. */
function flipByte(text: string, needle: string, offset = 0): string {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`${needle} not in text`);
  const i = at + offset;
  const c = text[i] ?? '';
  const replacement = c === 'a' ? 'b' : /[0-9]/.test(c) ? String((Number(c) + 1) % 10) : 'a';
  return text.slice(0, i) + replacement + text.slice(i + 1);
}

describe('case report JSON', () => {
  it('the checked-in validator is generated from the schema', () => {
    expect(readFileSync(CASE_VALIDATOR_PATH, 'utf8')).toBe(generateCaseValidatorSource(readFileSync(CASE_SCHEMA_PATH, 'utf8')));
  });

  it('is valid against the schema (precompiled validator and Ajv at run time agree), with a digest and a signature that verify', async () => {
    const doc = await sealedReport();
    expect(validateCaseDocument(doc)).toEqual({ ok: true, kind: 'case-report' });
    const ajv = new Ajv2020(AJV_OPTIONS);
    expect(ajv.validate(JSON.parse(readFileSync(CASE_SCHEMA_PATH, 'utf8')) as object, JSON.parse(serialiseDocument(doc)))).toBe(true);
    expect(doc.integrity?.digest.value).toBe(documentDigest(doc));
    expect(await checkDocumentIntegrity(JSON.parse(serialiseDocument(doc)) as CaseReportV1)).toMatchObject({ digest: 'valid', signature: 'valid', signer: 'Dana <dana@example.test>' });
    expect(doc.custody.verification.ok).toBe(true);
    expect(doc.provenance.assessment.point).toBe('deployment-compromise');
  });

  it('the schema rejects what does not belong', async () => {
    const doc = JSON.parse(serialiseDocument(await sealedReport())) as Record<string, unknown>;
    const bad = { ...doc, case: { ...(doc['case'] as object), id: 'IR-1' } };
    const r = validateCaseDocument(bad);
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors.join('\n')).toMatch(/case\.id: must match/);
    const badReport = JSON.parse(serialiseDocument(doc)) as CaseReportV1;
    (badReport.analyses[0]?.report as unknown as { verdict: { status: string } }).verdict.status = 'fine';
    expect(validateCaseDocument(badReport).ok).toBe(false);
  });

  it('import: an untouched JSON export verifies; one edited byte of content does not', async () => {
    const text = serialiseDocument(await sealedReport());
    const ok = await importReport(text, 'case.json');
    expect(ok.kind).toBe('case-report');
    expect(ok.bytes).toBe('exact');
    expect(importVerdict(ok).status).toBe('verified');
    // One byte inside an evidence hash.
    const sha = (JSON.parse(text) as CaseReportV1).evidence[0]?.sha256 ?? '';
    const tampered = await importReport(flipByte(text, sha, 10), 'case.json');
    expect(tampered.integrity.digest).toBe('invalid');
    expect(tampered.integrity.signature).toBe('invalid');
    expect(importVerdict(tampered).status).toBe('tampered');
    // One byte of the title.
    const t2 = await importReport(flipByte(text, '"title": "Tiny', 12), 'case.json');
    expect(importVerdict(t2).status).toBe('tampered');
    // Whitespace only: content intact, bytes flagged.
    const t3 = await importReport(text.replace('\n  "generatedAt"', '\n   "generatedAt"'), 'case.json');
    expect(t3.integrity.digest).toBe('valid');
    expect(t3.bytes).toBe('reformatted');
    // A duplicate key (two readers would see two reports) is refused outright.
    await expect(importReport(text.replace('"schema": "model-sleuth/case-report/v1",', '"schema": "model-sleuth/case-report/v1", "schema": "model-sleuth/case-report/v1",'), 'x.json')).rejects.toMatchObject({ code: 'report_unreadable' });
  });

  it('import: one edited custody event is detected, even when the report digest is recomputed', async () => {
    const doc = await sealedReport();
    const forged = JSON.parse(serialiseDocument(doc)) as CaseReportV1;
    const e = forged.custody.events[1];
    if (!e) throw new Error('no event');
    e.summary = 'Added nothing';
    const resealed = await sealDocument(forged); // digest redone, no signature: the chain still breaks
    const imp = await importReport(serialiseDocument(resealed), 'forged.json');
    expect(imp.integrity.digest).toBe('valid');
    if (imp.kind !== 'case-report') throw new Error('kind');
    expect(imp.custody.ok).toBe(false);
    expect(imp.custody.problems[0]).toMatchObject({ kind: 'edited', seq: 2 });
    expect(importVerdict(imp).status).toBe('tampered');
    // An event hash recomputed too: the next event's link breaks.
    e.hash = hashCustodyEvent(e);
    const imp2 = await importReport(serialiseDocument(await sealDocument(forged)), 'forged2.json');
    expect(imp2.kind === 'case-report' && imp2.custody.problems.map((p) => p.kind)).toEqual(['broken-link']);
  });

  it('custody-log exports carry a digest and verify on import; an edited event is detected', async () => {
    const snap = await caseSnapshot();
    const exp = await sealDocument(buildCustodyExport(snap.record, snap.custody, { toolVersion: TOOL_VERSION, now: '2026-11-22T11:00:00.000Z' }));
    expect(validateCaseDocument(exp)).toEqual({ ok: true, kind: 'custody-log' });
    const text = serialiseDocument(exp);
    const imp = await importReport(text, 'custody-log.json');
    expect(importVerdict(imp).status).toBe('verified');
    const hash = exp.events[2]?.hash ?? '';
    const bad = await importReport(flipByte(text, `"summary": "${exp.events[2]?.summary ?? ''}`, 13), 'custody-log.json');
    expect(bad.kind === 'custody-log' && bad.custody.ok).toBe(false);
    expect(importVerdict(bad).status).toBe('tampered');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('case report HTML', () => {
  it('is self-contained: strict script-free CSP, one JSON data block and nothing executable, print styles', async () => {
    const html = renderCaseHtml(await sealedReport());
    expect(html).toContain(`content="${REPORT_CSP.replace(/'/g, '&#39;')}"`);
    const scripts = [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0]);
    expect(scripts).toEqual(['<script type="application/json" id="model-sleuth-report">']);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/(?:href|src)\s*=\s*["']?\s*(?:javascript:|https?:|\/\/)/i);
    expect(html).toContain('@media print');
    expect(html).toContain('<svg');
    // Hostile text from the case is escaped, also inside the data block ("<" written as \u003c).
    expect(html).toContain('Users report &lt;b&gt;odd&lt;/b&gt;');
    expect(extractEmbeddedJson(html)).not.toMatch(/<|>/);
  });

  it('import: the HTML page verifies; an edited visible byte or embedded byte is detected', async () => {
    const html = renderCaseHtml(await sealedReport());
    const ok = await importReport(html, 'case.html');
    expect(ok).toMatchObject({ format: 'html', bytes: 'exact' });
    expect(importVerdict(ok).status).toBe('verified');
    const visible = await importReport(html.replace('Tiny Llama answers differently', 'Tiny Llama answers identically'), 'case.html');
    expect(visible.integrity.digest).toBe('valid');
    expect(visible.bytes).toBe('page-edited');
    expect(importVerdict(visible).status).toBe('tampered');
    const block = extractEmbeddedJson(html) ?? '';
    const embedded = await importReport(html.replace(block, flipByte(block, '"seq": 2', 7)), 'case.html');
    expect(importVerdict(embedded).status).toBe('tampered');
  });

  it('comparison HTML reports can embed their JSON for import (opt-in, the default stays script-free)', async () => {
    const snap = await caseSnapshot();
    expect(renderHtmlReport(snap.report)).not.toMatch(/<script/i);
    const withData = renderHtmlReport({ ...snap.report, tool: { ...snap.report.tool, version: TOOL_VERSION } }, { embedJson: true });
    const imp = await importReport(withData, 'report.html');
    expect(imp).toMatchObject({ kind: 'comparison', bytes: 'exact', validation: { ok: true } });
    expect(importVerdict(imp).status).toBe('unverified');
  });
});

describe('case report Markdown', () => {
  it('has the case, the compromise point, the manifest drill-down and the custody head, with hostile text escaped', async () => {
    const md = renderCaseMarkdown(await sealedReport());
    expect(md).toMatch(/^# AI-IR-2026-0042: Tiny Llama answers differently in production/);
    expect(md).toContain('Deployment compromise');
    expect(md).toContain('`model.layers.2.mlp.down_proj.weight`');
    expect(md).toContain('\\<b\\>odd\\</b\\>');
    expect(md).toMatch(/Report digest \(SHA-256, RFC 8785 canonical JSON\): `[0-9a-f]{64}`/);
  });
});

/** The parts of the SARIF 2.1.0 schema (OASIS, sarif-schema-2.1.0.json) that consumers such as GitHub code scanning require. */
const SARIF_SUBSET = {
  type: 'object',
  required: ['version', 'runs', '$schema'],
  properties: {
    $schema: { type: 'string' },
    version: { const: '2.1.0' },
    runs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['tool', 'results'],
        properties: {
          tool: {
            type: 'object',
            required: ['driver'],
            properties: {
              driver: {
                type: 'object',
                required: ['name', 'rules'],
                properties: {
                  name: { type: 'string' },
                  semanticVersion: { type: 'string' },
                  rules: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['id', 'shortDescription', 'defaultConfiguration', 'properties'],
                      properties: {
                        id: { type: 'string' },
                        shortDescription: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } },
                        defaultConfiguration: { type: 'object', properties: { level: { enum: ['none', 'note', 'warning', 'error'] } } },
                        properties: { type: 'object', required: ['security-severity'], properties: { 'security-severity': { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' } } },
                      },
                    },
                  },
                },
              },
            },
          },
          results: {
            type: 'array',
            items: {
              type: 'object',
              required: ['ruleId', 'message', 'level'],
              properties: {
                ruleId: { type: 'string' },
                ruleIndex: { type: 'integer', minimum: 0 },
                level: { enum: ['none', 'note', 'warning', 'error'] },
                message: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } },
                locations: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      physicalLocation: { type: 'object', required: ['artifactLocation'], properties: { artifactLocation: { type: 'object', required: ['uri'], properties: { uri: { type: 'string', pattern: '^[^\\s]*$' } } } } },
                      logicalLocations: { type: 'array', items: { type: 'object', required: ['name'] } },
                    },
                  },
                },
                partialFingerprints: { type: 'object', additionalProperties: { type: 'string' } },
              },
            },
          },
          artifacts: { type: 'array', items: { type: 'object', required: ['location'], properties: { hashes: { type: 'object', properties: { 'sha-256': { type: 'string', pattern: '^[0-9a-f]{64}$' } } } } } },
        },
      },
    },
  },
};

function checkSarif(log: SarifLog): void {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const ok = ajv.validate(SARIF_SUBSET, JSON.parse(JSON.stringify(log)));
  expect(ok, JSON.stringify(ajv.errors)).toBe(true);
  for (const run of log.runs) {
    for (const r of run.results) {
      // ruleIndex points at the rule with that id (SARIF §3.27.6).
      expect(run.tool.driver.rules[r.ruleIndex]?.id).toBe(r.ruleId);
      for (const l of r.locations ?? []) {
        const idx = l.physicalLocation?.artifactLocation.index;
        if (idx !== undefined) expect(run.artifacts[idx]?.location.uri).toBe(l.physicalLocation?.artifactLocation.uri);
      }
    }
    expect(new Set(run.tool.driver.rules.map((r) => r.id)).size).toBe(run.tool.driver.rules.length);
  }
}

describe('SARIF 2.1.0', () => {
  it('a comparison: findings → results (rule id = finding kind; file and tensor locations)', async () => {
    const snap = await caseSnapshot();
    const log = comparisonToSarif(snap.report);
    checkSarif(log);
    const results = log.runs[0]?.results ?? [];
    expect(results).toHaveLength(snap.report.findings.length);
    const modified = results.find((r) => r.ruleId === 'tensor-modified');
    expect(modified?.level).toBe('error');
    expect(modified?.locations?.[0]?.logicalLocations?.[0]?.name).toMatch(/^model\./);
    expect(modified?.locations?.[0]?.physicalLocation?.artifactLocation.uri).toBe('model.safetensors');
  });

  it('a case: the latest comparison plus manifest mismatches; paths become URIs', async () => {
    const log = caseToSarif(await sealedReport());
    checkSarif(log);
    expect(log.runs[0]?.results.some((r) => r.ruleId === 'manifest-digest-mismatch' && /down_proj/.test(r.message.text))).toBe(true);
    expect(pathToUri('sub dir/we#ird%.bin')).toBe('sub%20dir/we%23ird%25.bin');
  });
});

describe('checklists auto-fill', () => {
  it('fills integrity items from a tampered comparison and keeps what a person set', async () => {
    const snap = await caseSnapshot();
    const auto = autoChecklist({ report: snap.report });
    expect(auto['integrity.file-hashes']?.state).toBe('fail');
    expect(auto['integrity.adapter-audit']?.state).toBe('n/a');
    expect(auto['integrity.architecture']).toMatchObject({ state: 'pass', reason: expect.stringMatching(/llama architecture validated/) });
    expect(snap.checklist['pm.timeline']).toMatchObject({ state: 'pass', source: 'manual' });
    expect(snap.checklist['pm.compromise-point']).toMatchObject({ state: 'pass', source: 'auto' });
    expect(snap.checklist['pm.evidence']).toMatchObject({ state: 'pass', source: 'auto' });
  });
});
