/**
 * Clean failure in the browser (issue 5 item 6):
 * - Cancel mid-stream ends the job: no verdict, the workbench usable again, and every analysis
 *   worker of the run closed;
 * - a picked file that changes on disk while it is read — truncated, or merely touched (same bytes,
 *   new mtime) — is reported as `file_changed` with the file's name (Chromium refuses to read a
 *   File whose size or modification time moved since it was picked: NotReadableError), never clean.
 * Models are sparse files (no disk, no time to write), large enough that the stream lasts seconds.
 */
import { closeSync, openSync, rmSync, truncateSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page, type Worker } from '@playwright/test';
import { sparseDir, sparseLayout, writeSparseSafetensors, type SparseModelSpec } from '../unit/robustness/sparse-model.ts';
import { APP, screenshot, watchConsole } from './helpers.ts';

let dir: string;
test.beforeAll(() => {
  dir = sparseDir('e2e-failure');
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 2 × 256 MiB per side: several seconds of streaming in the browser on two cores.
const SPEC: SparseModelSpec = { tensors: 2, rows: 16384, cols: 4096 };
const STREAMING = 'Hashing and comparing tensors';

function pair(name: string): { kg: string; su: string } {
  const kg = join(dir, `${name}-kg.safetensors`);
  const su = join(dir, `${name}-su.safetensors`);
  writeSparseSafetensors(kg, SPEC);
  writeSparseSafetensors(su, SPEC);
  return { kg, su };
}

async function startCompare(page: Page, p: { kg: string; su: string }): Promise<void> {
  await page.getByTestId('known-good-input').setInputFiles(p.kg);
  await page.getByTestId('suspect-input').setInputFiles(p.su);
  await page.getByTestId('compare-button').click();
  await expect(page.getByTestId('progress-phase')).toHaveText(STREAMING, { timeout: 30_000 });
}

test('cancel mid-stream: no verdict, every analysis worker closed, the workbench usable', async ({ page }) => {
  const console = watchConsole(page);
  const workers: { worker: Worker; closed: boolean }[] = [];
  page.on('worker', (worker) => {
    const w = { worker, closed: false };
    workers.push(w);
    worker.on('close', () => (w.closed = true));
  });
  await page.goto(APP);
  const p = pair('cancel');
  await startCompare(page, p);
  expect(workers.filter((w) => /analysis\.worker/.test(w.worker.url())).length).toBeGreaterThan(0);
  await page.getByTestId('cancel-button').click();
  await expect(page.getByTestId('cancelled')).toBeVisible({ timeout: 10_000 });
  await expect(page.getByTestId('progress')).toHaveCount(0);
  await expect(page.getByTestId('verdict')).toHaveCount(0);
  await expect.poll(() => workers.filter((w) => !w.closed).map((w) => w.worker.url()), { timeout: 5_000 }).toEqual([]);
  await expect(page.getByTestId('compare-button')).toBeEnabled();
  console.check();
});

for (const change of ['truncated', 'touched'] as const) {
  test(`a picked file ${change} on disk mid-read → file_changed naming it, never clean`, async ({ page }) => {
    const console = watchConsole(page);
    await page.goto(APP);
    const p = pair(change);
    await startCompare(page, p);
    if (change === 'truncated') {
      truncateSync(p.su, sparseLayout(SPEC).dataStart + 4096);
    } else {
      // The same bytes over the same bytes: only the modification time says the file was touched.
      const fd = openSync(p.su, 'r+');
      writeSync(fd, new Uint8Array(4), 0, 4, sparseLayout(SPEC).dataStart);
      closeSync(fd);
      utimesSync(p.su, new Date(), new Date(Date.now() + 5_000));
    }
    const verdict = page.getByTestId('verdict');
    await expect(verdict).toBeVisible({ timeout: 60_000 });
    await expect(verdict).toHaveAttribute('data-status', 'inconclusive');
    await expect(verdict).not.toContainText('clean');
    const findings = page.getByTestId('findings');
    await expect(findings).toContainText('file_changed');
    await expect(findings).toContainText(`${change}-su.safetensors`);
    await screenshot(page, `file-${change}-1440`, false);
    console.check();
  });
}
