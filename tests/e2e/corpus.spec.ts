/**
 * The bad-input corpus (tests/corpus/manifest.ts) through the workbench, as a responder would meet
 * it: every unreadable entry in one folder (one sub-folder each) picked as both models, then every
 * entry carrying a payload or an anomaly. The page must name each entry's file with its code and a
 * readable message, never say clean, and stay usable; the downloaded report must carry each
 * payload's finding. Per-entry parse times in Chromium: tests/browser/corpus.test.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { CORPUS, type CorpusEntry } from '../corpus/manifest.ts';
import { APP, screenshot, tempDir, watchConsole } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
test.beforeAll(() => {
  tmp = tempDir('corpus');
});
test.afterAll(() => tmp.cleanup());

const runnable = CORPUS.filter((e) => e.knownIssue === undefined);
const verdictOf = (e: CorpusEntry): string => e.expect.verdict ?? 'inconclusive';
const unreadable = runnable.filter((e) => verdictOf(e) === 'inconclusive' && e.expect.code !== undefined);
const withFindings = runnable.filter((e) => !unreadable.includes(e));
const folderOf = (e: CorpusEntry): string => e.id.replace(/\//g, '--');
const codesOf = (e: CorpusEntry): string[] => [...new Set([...(e.expect.code === undefined ? [] : [e.expect.code]), ...(e.expect.alsoCodes ?? [])])];

function writeGroup(name: string, entries: readonly CorpusEntry[]): string {
  const root = join(tmp.dir, name);
  for (const e of entries) {
    const files: Record<string, Uint8Array> = { [e.name]: e.build(), ...(e.siblings?.() ?? {}) };
    for (const [rel, bytes] of Object.entries(files)) {
      const path = join(root, folderOf(e), rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
    }
  }
  return root;
}

async function compareFolder(page: Page, folder: string): Promise<void> {
  await page.goto(APP);
  await page.getByTestId('known-good-folder-input').setInputFiles(folder);
  await page.getByTestId('suspect-folder-input').setInputFiles(folder);
  await page.getByTestId('compare-button').click();
  await expect(page.getByTestId('verdict')).toBeVisible({ timeout: 60_000 });
}

test(`${unreadable.length} unreadable corpus entries: each file named with its code and a message, never clean`, async ({ page }) => {
  const console = watchConsole(page);
  await compareFolder(page, writeGroup('unreadable', unreadable));
  const verdict = page.getByTestId('verdict');
  await expect(verdict).toHaveAttribute('data-status', 'inconclusive');
  await expect(verdict).not.toContainText('clean');
  const rows = await page
    .getByTestId('input-problems')
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent?.trim() ?? '')));
  const seen = new Set(rows.map(([, code, file]) => `${(file ?? '').split('/')[0]} ${code}`));
  for (const e of unreadable) {
    for (const code of codesOf(e)) expect(seen.has(`${folderOf(e)} ${code}`), `${e.id}: no ${code} row`).toBe(true);
  }
  for (const [, , , , message] of rows) expect((message ?? '').length).toBeGreaterThan(20);
  await screenshot(page, 'corpus-unreadable-1440', false);
  // The workbench stays usable: the demo still runs to its verdict.
  await page.getByTestId('demo-button').click();
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-status', 'tampered', { timeout: 60_000 });
  console.check();
});

test(`${withFindings.length} corpus entries with payloads or anomalies: every one reported, never clean`, async ({ page }) => {
  const console = watchConsole(page);
  await compareFolder(page, writeGroup('findings', withFindings));
  const verdict = page.getByTestId('verdict');
  const worst = withFindings.some((e) => verdictOf(e) === 'malicious-code') ? 'malicious-code' : 'tampered';
  await expect(verdict).toHaveAttribute('data-status', worst);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
  const report = JSON.parse(readFileSync(await download.path(), 'utf8')) as { verdict: { status: string }; findings: { kind: string; file?: string; details?: Record<string, unknown> }[] };
  expect(report.verdict.status).toBe(worst);
  for (const e of withFindings) {
    const n = e.expect.notice;
    if (!n) continue;
    const file = `${folderOf(e)}/${e.name}`;
    expect(report.findings.some((f) => f.kind === n.kind && f.details?.['key'] === n.key && f.file === file), `${e.id}: no ${n.kind} "${n.key}" on ${file}`).toBe(true);
  }
  await screenshot(page, 'corpus-findings-1440', false);
  console.check();
});
