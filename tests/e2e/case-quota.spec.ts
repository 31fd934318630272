/**
 * Storage refusal (QuotaExceededError) while a comparison is recorded: everything recorded before
 * stays in IndexedDB, the user is told, and the export offered includes the change that could not
 * be saved. The quota path is stubbed: IDBObjectStore add/put on the analyses store throw the
 * DOMException a full origin gets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { clone, find } from '../fixtures/tiny-llama.ts';
import { APP, SMALL, screenshot, singleFileModel, tempDir, tinyLlama } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
test.beforeAll(() => {
  tmp = tempDir('case-quota');
});
test.afterAll(() => tmp.cleanup());

test('a full store loses nothing recorded, says so, and offers an export with the unsaved comparison', async ({ page }) => {
  const tensors = tinyLlama(SMALL, 4);
  const edited = clone(tensors);
  const t = find(edited, 'model.layers.0.self_attn.q_proj.weight');
  t.values[3] = 9;
  const kg = singleFileModel(join(tmp.dir, 'kg'), tensors);
  const su = singleFileModel(join(tmp.dir, 'su'), edited);
  await page.addInitScript(() => {
    const w = window as unknown as { __quota: boolean };
    w.__quota = false;
    for (const name of ['add', 'put'] as const) {
      const original = IDBObjectStore.prototype[name];
      IDBObjectStore.prototype[name] = function (this: IDBObjectStore, ...args: [unknown, IDBValidKey?]) {
        if (w.__quota && this.name === 'analyses') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return original.apply(this, args);
      };
    }
  });
  await page.goto(APP);
  await page.getByTestId('new-case').click();
  await page.getByTestId('new-case-title').fill('Quota test');
  await page.getByTestId('analyst-name').fill('Sam');
  await page.getByTestId('create-case').click();
  await expect(page.getByTestId('case-id')).toHaveText(/^AI-IR-\d{4}-0001$/);
  const caseId = (await page.getByTestId('case-id').textContent()) ?? '';

  await page.evaluate(() => ((window as unknown as { __quota: boolean }).__quota = true));
  await page.getByTestId('tab-compare').click();
  await page.getByTestId('known-good-input').setInputFiles(kg);
  await page.getByTestId('suspect-input').setInputFiles(su);
  await page.getByTestId('compare-button').click();
  await expect(page.getByTestId('verdict')).toContainText('tampered');
  const banner = page.getByTestId('quota-banner');
  await expect(banner).toContainText('Not saved');
  await expect(banner).toContainText('Everything recorded before is safe');
  await screenshot(page, 'case-quota-1440', false);
  await page.setViewportSize({ width: 1024, height: 768 });
  await screenshot(page, 'case-quota-1024', false);
  await page.setViewportSize({ width: 1440, height: 900 });

  // The page keeps the change: evidence and the analysis, with custody events marked unsaved.
  await page.getByTestId('tab-evidence').click();
  await expect(page.getByTestId('evidence-table').locator('tbody tr[data-evidence]')).toHaveCount(4);
  await page.getByTestId('tab-custody').click();
  await expect(page.getByTestId('custody-table').locator('tr[data-type="analysis-run"]')).toContainText('not saved: storage full');

  // The rescue export holds it all, sealed.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('rescue-export').click()]);
  const path = join(tmp.dir, 'rescue.json');
  await download.saveAs(path);
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { analyses: unknown[]; evidence: unknown[]; custody: { events: { type: string }[] }; integrity: { digest: { value: string } } };
  expect(doc.analyses).toHaveLength(1);
  expect(doc.evidence).toHaveLength(4);
  expect(doc.custody.events.map((e) => e.type)).toEqual(['case-created', 'evidence-added', 'evidence-added', 'evidence-added', 'evidence-added', 'analysis-run', 'report-exported']);
  await page.getByTestId('tab-reports').click();
  await page.getByTestId('report-import-input').setInputFiles(path);
  await expect(page.getByTestId('import-digest')).toHaveAttribute('data-status', 'valid');
  await expect(page.getByTestId('import-custody')).toHaveAttribute('data-ok', 'true');

  // After a reload: what was recorded before the failure is all there, intact; the failed transaction left nothing half-written.
  await page.reload();
  await expect(page.getByTestId('case-id')).toHaveText(caseId);
  await page.getByTestId('tab-evidence').click();
  await expect(page.getByTestId('case-panel-evidence')).toContainText('No evidence yet');
  await page.getByTestId('tab-custody').click();
  await page.getByTestId('verify-chain').click();
  await expect(page.getByTestId('chain-result')).toHaveAttribute('data-ok', 'true');
  await expect(page.getByTestId('custody-table').locator('tr[data-type="case-created"]')).toHaveCount(1);
  await expect(page.getByTestId('custody-table').locator('tr[data-type="analysis-run"]')).toHaveCount(0);
});
