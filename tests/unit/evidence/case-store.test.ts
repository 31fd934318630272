/**
 * The IndexedDB case store in a real browser: Debian's Chromium driven by Playwright, the store
 * bundled with esbuild and served from a routed https origin (IndexedDB and WebCrypto need one).
 * Schema migration v1 → v2 with data kept, case numbering, evidence, analyses, re-verification,
 * the custody chain, the quota path and the non-extractable analyst key.
 */
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportV1 } from '../../../src/lib/report/types.ts';
import { demoReport } from '../report/demo-report.ts';

const ORIGIN = 'https://case-store.test';
let browser: Browser;
let page: Page;
let report: ReportV1;

beforeAll(async () => {
  const bundle = await build({ entryPoints: [fileURLToPath(new URL('./browser/store-harness.ts', import.meta.url))], bundle: true, write: false, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'silent' });
  const js = bundle.outputFiles[0]?.text ?? '';
  browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage();
  await page.route(`${ORIGIN}/**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/harness.js') return route.fulfill({ body: js, contentType: 'text/javascript' });
    return route.fulfill({ body: '<!doctype html><meta charset="utf-8"><script type="module" src="/harness.js"></script>', contentType: 'text/html' });
  });
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction(() => 'storeHarness' in window);
  report = JSON.parse(JSON.stringify(await demoReport())) as ReportV1;
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('case store (IndexedDB, in Chromium)', () => {
  it('migrates a v1 database to v2 and keeps its data: case, custody chain, evidence provenance, numbering', async () => {
    await page.evaluate((n) => window.storeHarness.seedV1(n), 'migrate');
    expect(await page.evaluate((n) => window.storeHarness.open(n), 'migrate')).toEqual({ version: 2 });
    const snap = await page.evaluate(({ n, id }) => window.storeHarness.load(n, id), { n: 'migrate', id: 'AI-IR-2025-0007' });
    expect(snap.record.title).toBe('Old case');
    expect(snap.evidence).toEqual([
      expect.objectContaining({ id: 'E-0001', name: 'model.safetensors', side: 'other', verifications: [], provenance: { source: 'https://old.example/model', obtainedAt: '2025-02-28', obtainedBy: 'Lee' } }),
    ]);
    expect(snap.evidence[0]).not.toHaveProperty('source');
    expect(snap.custody).toHaveLength(2);
    expect(snap.chain.ok).toBe(true);
    expect(snap.analyses).toEqual([]);
  });

  it('numbers cases AI-IR-YYYY-NNNN per year, records evidence, analyses, re-verifications, checklist and notes with an intact chain', async () => {
    const year = new Date().getUTCFullYear();
    const ids = await page.evaluate((n) => window.storeHarness.createCases(n, ['first', 'second']), 'cases');
    expect(ids).toEqual([`AI-IR-${year}-0001`, `AI-IR-${year}-0002`]);
    const id = ids[0] ?? '';
    await page.evaluate(({ n, id, r }) => window.storeHarness.addEvidenceAndAnalysis(n, id, r), { n: 'cases', id, r: report });
    const snap = await page.evaluate(({ n, id }) => window.storeHarness.load(n, id), { n: 'cases', id });
    const files = report.inputs.knownGood.files.length + report.inputs.suspect.files.length;
    expect(snap.evidence).toHaveLength(1 + files);
    expect(snap.analyses).toHaveLength(1);
    expect(snap.analyses[0]?.report.verdict.status).toBe(report.verdict.status);
    expect(snap.evidence.find((e) => e.id === 'E-0002')?.verifications.map((v) => v.result)).toEqual(['match', 'mismatch']);
    expect(snap.checklist['pm.timeline']?.state).toBe('pass');
    expect(snap.custody.map((e) => e.type)).toEqual(['case-created', 'evidence-added', ...Array<string>(files).fill('evidence-added'), 'analysis-run', 'evidence-verified', 'evidence-verified', 'checklist-changed', 'note']);
    expect(snap.chain).toMatchObject({ ok: true, headChecked: true });
    const list = await page.evaluate((n) => window.storeHarness.list(n), 'cases');
    expect(list.find((c) => c.id === id)).toMatchObject({ evidence: 1 + files, analyses: 1 });
  });

  it('a quota error loses nothing that was recorded, and is reported as store_quota', async () => {
    const [id] = await page.evaluate((n) => window.storeHarness.createCases(n, ['quota']), 'quota');
    await page.evaluate(({ n, id, r }) => window.storeHarness.addEvidenceAndAnalysis(n, id, r), { n: 'quota', id: id ?? '', r: report });
    const before = await page.evaluate(({ n, id }) => window.storeHarness.load(n, id), { n: 'quota', id: id ?? '' });
    const failure = await page.evaluate(({ n, id, r }) => window.storeHarness.analysisUnderQuota(n, id, r), { n: 'quota', id: id ?? '', r: report });
    expect(failure.code).toBe('store_quota');
    expect(failure.message).toMatch(/quota .* Nothing recorded before was lost/);
    const after = await page.evaluate(({ n, id }) => window.storeHarness.load(n, id), { n: 'quota', id: id ?? '' });
    // The whole transaction was rolled back: no half-added evidence, no event, the same head.
    expect(after.evidence).toEqual(before.evidence);
    expect(after.analyses).toHaveLength(before.analyses.length);
    expect(after.custody).toEqual(before.custody);
    expect(after.record.custodyHead).toEqual(before.record.custodyHead);
    expect(after.chain.ok).toBe(true);
  });

  it('keeps the analyst’s signing key: non-extractable, usable after reopening', async () => {
    const k = await page.evaluate((n) => window.storeHarness.analystKey(n), 'keys');
    expect(k).toMatchObject({ extractable: false, signs: true, sameAfterReopen: true });
    expect(k.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(['persisted', 'denied', 'unsupported']).toContain(await page.evaluate(() => window.storeHarness.persist()));
  });
});
